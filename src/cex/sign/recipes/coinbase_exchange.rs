//! Coinbase Exchange (ex-Coinbase Pro): headers `CB-ACCESS-KEY`, `CB-ACCESS-SIGN` =
//! base64(HMAC-SHA256(base64-decoded secret, timestamp + METHOD + path(+?query) + body)),
//! `CB-ACCESS-TIMESTAMP` (whole seconds) and `CB-ACCESS-PASSPHRASE`. No signed example is
//! published.

#[cfg(test)]
use super::{Credentials, SigningRecipe};
use super::{KeyForm, PassphraseHmac, PassphraseRecipe, SignRequest, time_method_path_body};
use crate::cex::sign::hmac::Encoding;

#[derive(Debug, Clone, Copy, Default)]
pub struct CoinbaseExchange;

impl CoinbaseExchange {
    /// The text Coinbase Exchange signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> Vec<u8> {
        time_method_path_body(&req.time_s().to_string(), req)
    }
}

impl PassphraseRecipe for CoinbaseExchange {
    const NAME: &'static str = "coinbase exchange";
    const KEY_FORM: KeyForm = KeyForm::HmacBase64;

    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)> {
        vec![
            ("CB-ACCESS-KEY", hm.api_key.to_string()),
            (
                "CB-ACCESS-SIGN",
                hm.sign(&Self::pre_sign_text(req), Encoding::Base64),
            ),
            ("CB-ACCESS-TIMESTAMP", req.time_s().to_string()),
            ("CB-ACCESS-PASSPHRASE", hm.passphrase.to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{b64, hmac256, pairs};
    use super::*;
    use reqwest::Method;

    #[test]
    fn signs_with_the_decoded_secret() {
        let raw_secret = b"\x01\x02coinbase-secret\xff";
        let creds = Credentials::parse(
            KeyForm::HmacBase64,
            "cb-key",
            &b64(raw_secret),
            Some("cb-pass"),
        )
        .unwrap();
        let q = pairs(&[("product_id", "BTC-USD")]);
        let req = SignRequest::new(Method::GET, "/orders", 1_700_000_000_999).query(&q);
        let text = "1700000000GET/orders?product_id=BTC-USD";
        assert_eq!(CoinbaseExchange::pre_sign_text(&req), text.as_bytes());
        let parts = CoinbaseExchange.sign(&req, &creds).unwrap();
        assert_eq!(
            parts.headers,
            vec![
                ("CB-ACCESS-KEY", "cb-key".to_string()),
                ("CB-ACCESS-SIGN", b64(&hmac256(raw_secret, text.as_bytes()))),
                ("CB-ACCESS-TIMESTAMP", "1700000000".to_string()),
                ("CB-ACCESS-PASSPHRASE", "cb-pass".to_string()),
            ]
        );
    }
}
