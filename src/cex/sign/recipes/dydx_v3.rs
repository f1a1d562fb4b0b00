//! dYdX v3's API key signature (the official clients' `sign`): HMAC-SHA256 keyed with the
//! secret's URL-safe base64 decoded, over ISO time (milliseconds, `Z`) + method + request path
//! (query included) + body, sent URL-safe base64 in `DYDX-SIGNATURE` with `DYDX-API-KEY`,
//! `DYDX-TIMESTAMP` and `DYDX-PASSPHRASE`.

use super::{KeyForm, PassphraseHmac, PassphraseRecipe, SignRequest, time_method_path_body};
use crate::cex::sign::hmac::Encoding;
use crate::cex::sign::time::iso8601_millis;

#[derive(Debug, Clone, Copy, Default)]
pub struct DydxV3;

impl DydxV3 {
    /// The text dYdX v3 signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> Vec<u8> {
        time_method_path_body(&iso8601_millis(req.time_ms), req)
    }
}

impl PassphraseRecipe for DydxV3 {
    const NAME: &'static str = "dydx_v3";
    const KEY_FORM: KeyForm = KeyForm::HmacBase64Url;

    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)> {
        vec![
            (
                "DYDX-SIGNATURE",
                hm.sign(&Self::pre_sign_text(req), Encoding::Base64Url),
            ),
            ("DYDX-API-KEY", hm.api_key.to_string()),
            ("DYDX-TIMESTAMP", iso8601_millis(req.time_ms)),
            ("DYDX-PASSPHRASE", hm.passphrase.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{hmac256, pairs};
    use super::*;
    use crate::cex::sign::{Credentials, SigningRecipe};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE;
    use reqwest::Method;

    /// The official client's onboarding test credentials (Ganache's key, mainnet): public test
    /// material, a secret in URL-safe base64 with `_` in it.
    const SECRET: &str = "rdHdKDAOCa0B_Mq-Q9kh8Fz6rK3ocZNOhKB4QsR9";

    fn creds() -> Credentials {
        Credentials::parse(
            KeyForm::HmacBase64Url,
            "50fdcaa0-62b8-e827-02e8-a9520d46cb9f",
            SECRET,
            Some("12_1LuuJMZUxcj3kGBWc"),
        )
        .unwrap()
    }

    #[test]
    fn get_and_post_sign_time_method_path_and_body() {
        let key = URL_SAFE.decode(SECRET).unwrap();
        let q = pairs(&[("market", "BTC-USD")]);
        let get = SignRequest::new(Method::GET, "/v3/orders", 1_610_100_372_500).query(&q);
        let text = "2021-01-08T10:06:12.500ZGET/v3/orders?market=BTC-USD";
        assert_eq!(DydxV3::pre_sign_text(&get), text.as_bytes());
        let parts = DydxV3.sign(&get, &creds()).unwrap();
        assert_eq!(
            parts.headers,
            vec![
                (
                    "DYDX-SIGNATURE",
                    URL_SAFE.encode(hmac256(&key, text.as_bytes()))
                ),
                (
                    "DYDX-API-KEY",
                    "50fdcaa0-62b8-e827-02e8-a9520d46cb9f".to_string()
                ),
                ("DYDX-TIMESTAMP", "2021-01-08T10:06:12.500Z".to_string()),
                ("DYDX-PASSPHRASE", "12_1LuuJMZUxcj3kGBWc".to_string()),
            ]
        );
        let body = br#"{"market":"BTC-USD","side":"BUY"}"#;
        let post = SignRequest::new(Method::POST, "/v3/orders", 1_610_100_372_500).body(body);
        let text = [&b"2021-01-08T10:06:12.500ZPOST/v3/orders"[..], body].concat();
        let parts = DydxV3.sign(&post, &creds()).unwrap();
        assert_eq!(parts.headers[0].1, URL_SAFE.encode(hmac256(&key, &text)));
    }

    #[test]
    fn a_standard_base64_key_or_no_passphrase_is_refused() {
        let raw = Credentials::parse(KeyForm::HmacRaw, "k", SECRET, Some("p")).unwrap();
        let req = SignRequest::new(Method::GET, "/v3/accounts", 0);
        assert!(DydxV3.sign(&req, &raw).is_err());
        let no_pass = Credentials::parse(KeyForm::HmacBase64Url, "k", SECRET, None).unwrap();
        assert!(DydxV3.sign(&req, &no_pass).is_err());
    }
}
