//! Bybit v5: headers `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (ms), `X-BAPI-RECV-WINDOW` and
//! `X-BAPI-SIGN` = hex HMAC-SHA256(secret, timestamp + apiKey + recvWindow + payload), the
//! payload being the query string for GET and the raw JSON body otherwise. No signed example is
//! published.

use reqwest::Method;

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe};
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};

#[derive(Debug, Clone, Copy)]
pub struct BybitV5 {
    /// Milliseconds the request stays valid (`X-BAPI-RECV-WINDOW`).
    pub recv_window_ms: u32,
}

impl Default for BybitV5 {
    /// Bybit's documented default window, 5000 ms.
    fn default() -> Self {
        Self {
            recv_window_ms: 5000,
        }
    }
}

impl BybitV5 {
    /// The text Bybit signs.
    pub fn pre_sign_text(&self, req: &SignRequest<'_>, api_key: &str) -> Vec<u8> {
        let mut text = format!("{}{api_key}{}", req.time_ms, self.recv_window_ms).into_bytes();
        if req.method == Method::GET {
            text.extend_from_slice(req.encoded_query().as_bytes());
        } else {
            text.extend_from_slice(req.body);
        }
        text
    }
}

impl SigningRecipe for BybitV5 {
    fn name(&self) -> &'static str {
        "bybit"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacRaw
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        let text = self.pre_sign_text(req, creds.api_key());
        Ok(SignedParts {
            headers: vec![
                ("X-BAPI-API-KEY", creds.api_key().to_string()),
                ("X-BAPI-TIMESTAMP", req.time_ms.to_string()),
                ("X-BAPI-RECV-WINDOW", self.recv_window_ms.to_string()),
                (
                    "X-BAPI-SIGN",
                    hmac_encoded(HmacHash::Sha256, key, &[&text], Encoding::Hex),
                ),
            ],
            query: Vec::new(),
            body: None,
            encoded_query: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{hmac256, pairs};
    use super::*;

    fn creds() -> Credentials {
        Credentials::parse(KeyForm::HmacRaw, "XXXXXXXXXX", "bybit-secret", None).unwrap()
    }

    #[test]
    fn get_signs_the_query_string() {
        let q = pairs(&[("category", "linear"), ("symbol", "BTCUSDT")]);
        let req = SignRequest::new(Method::GET, "/v5/order/realtime", 1_658_384_314_791).query(&q);
        let text = "1658384314791XXXXXXXXXX5000category=linear&symbol=BTCUSDT";
        assert_eq!(
            BybitV5::default().pre_sign_text(&req, "XXXXXXXXXX"),
            text.as_bytes()
        );
        let parts = BybitV5::default().sign(&req, &creds()).unwrap();
        assert_eq!(
            parts.headers,
            vec![
                ("X-BAPI-API-KEY", "XXXXXXXXXX".to_string()),
                ("X-BAPI-TIMESTAMP", "1658384314791".to_string()),
                ("X-BAPI-RECV-WINDOW", "5000".to_string()),
                (
                    "X-BAPI-SIGN",
                    hex::encode(hmac256(b"bybit-secret", text.as_bytes()))
                ),
            ]
        );
    }

    #[test]
    fn post_signs_the_body_with_the_configured_window() {
        let body = br#"{"category":"linear","symbol":"BTCUSDT","side":"Buy","orderType":"Limit","qty":"0.1","price":"20000"}"#;
        let q = pairs(&[("ignored", "1")]);
        let req = SignRequest::new(Method::POST, "/v5/order/create", 1_658_384_314_791)
            .query(&q)
            .body(body);
        let recipe = BybitV5 {
            recv_window_ms: 20_000,
        };
        let mut text = b"1658384314791XXXXXXXXXX20000".to_vec();
        text.extend_from_slice(body);
        assert_eq!(recipe.pre_sign_text(&req, "XXXXXXXXXX"), text);
        let parts = recipe.sign(&req, &creds()).unwrap();
        assert_eq!(parts.header("X-BAPI-RECV-WINDOW"), Some("20000"));
        assert_eq!(
            parts.header("X-BAPI-SIGN"),
            Some(hex::encode(hmac256(b"bybit-secret", &text)).as_str())
        );
    }
}
