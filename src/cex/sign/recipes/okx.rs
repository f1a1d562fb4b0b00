//! OKX v5: headers `OK-ACCESS-KEY`, `OK-ACCESS-SIGN` = base64(HMAC-SHA256(secret,
//! timestamp + METHOD + requestPath(+?query) + body)), `OK-ACCESS-TIMESTAMP` (ISO-8601 UTC with
//! milliseconds) and `OK-ACCESS-PASSPHRASE` (as given). No signed example is published.

#[cfg(test)]
use super::{Credentials, SigningRecipe};
use super::{KeyForm, PassphraseHmac, PassphraseRecipe, SignRequest, time_method_path_body};
use crate::cex::sign::hmac::Encoding;
use crate::cex::sign::time::iso8601_millis;

#[derive(Debug, Clone, Copy, Default)]
pub struct Okx;

impl Okx {
    /// The text OKX signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> Vec<u8> {
        time_method_path_body(&iso8601_millis(req.time_ms), req)
    }
}

impl PassphraseRecipe for Okx {
    const NAME: &'static str = "okx";
    const KEY_FORM: KeyForm = KeyForm::HmacRaw;

    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)> {
        vec![
            ("OK-ACCESS-KEY", hm.api_key.to_string()),
            (
                "OK-ACCESS-SIGN",
                hm.sign(&Self::pre_sign_text(req), Encoding::Base64),
            ),
            ("OK-ACCESS-TIMESTAMP", iso8601_millis(req.time_ms)),
            ("OK-ACCESS-PASSPHRASE", hm.passphrase.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{b64, hmac256, pairs};
    use super::*;
    use reqwest::Method;

    fn creds() -> Credentials {
        Credentials::parse(KeyForm::HmacRaw, "okx-key", "okx-secret", Some("my pass")).unwrap()
    }

    #[test]
    fn get_signs_path_with_query() {
        let q = pairs(&[("ccy", "BTC")]);
        let req =
            SignRequest::new(Method::GET, "/api/v5/account/balance", 1_607_418_537_715).query(&q);
        let text = "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC";
        assert_eq!(Okx::pre_sign_text(&req), text.as_bytes());
        let parts = Okx.sign(&req, &creds()).unwrap();
        assert_eq!(
            parts.headers,
            vec![
                ("OK-ACCESS-KEY", "okx-key".to_string()),
                (
                    "OK-ACCESS-SIGN",
                    b64(&hmac256(b"okx-secret", text.as_bytes()))
                ),
                (
                    "OK-ACCESS-TIMESTAMP",
                    "2020-12-08T09:08:57.715Z".to_string()
                ),
                ("OK-ACCESS-PASSPHRASE", "my pass".to_string()),
            ]
        );
    }

    #[test]
    fn post_signs_the_body() {
        let body = br#"{"instId":"BTC-USDT","tdMode":"cash","side":"buy","ordType":"limit","px":"2.15","sz":"2"}"#;
        let req =
            SignRequest::new(Method::POST, "/api/v5/trade/order", 1_607_418_537_715).body(body);
        let mut text = b"2020-12-08T09:08:57.715ZPOST/api/v5/trade/order".to_vec();
        text.extend_from_slice(body);
        assert_eq!(Okx::pre_sign_text(&req), text);
        assert_eq!(
            Okx.sign(&req, &creds()).unwrap().header("OK-ACCESS-SIGN"),
            Some(b64(&hmac256(b"okx-secret", &text)).as_str())
        );
    }
}
