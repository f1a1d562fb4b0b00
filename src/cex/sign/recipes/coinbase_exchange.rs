//! Coinbase Exchange (ex-Coinbase Pro): headers `CB-ACCESS-KEY`, `CB-ACCESS-SIGN` =
//! base64(HMAC-SHA256(base64-decoded secret, timestamp + METHOD + path(+?query) + body)),
//! `CB-ACCESS-TIMESTAMP` (whole seconds) and `CB-ACCESS-PASSPHRASE`. No signed example is
//! published.

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe, method};
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};

#[derive(Debug, Clone, Copy, Default)]
pub struct CoinbaseExchange;

impl CoinbaseExchange {
    /// The text Coinbase Exchange signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> Vec<u8> {
        let mut text =
            format!("{}{}{}", req.time_s(), method(req), req.path_and_query()).into_bytes();
        text.extend_from_slice(req.body);
        text
    }
}

impl SigningRecipe for CoinbaseExchange {
    fn name(&self) -> &'static str {
        "coinbase exchange"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacBase64
    }

    fn needs_passphrase(&self) -> bool {
        true
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        let passphrase = super::passphrase(self, creds)?;
        let text = Self::pre_sign_text(req);
        Ok(SignedParts {
            headers: vec![
                ("CB-ACCESS-KEY", creds.api_key().to_string()),
                (
                    "CB-ACCESS-SIGN",
                    hmac_encoded(HmacHash::Sha256, key, &[&text], Encoding::Base64),
                ),
                ("CB-ACCESS-TIMESTAMP", req.time_s().to_string()),
                ("CB-ACCESS-PASSPHRASE", passphrase.to_string()),
            ],
            query: Vec::new(),
            body: None,
        })
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
