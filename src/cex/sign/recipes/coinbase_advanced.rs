//! Coinbase Advanced Trade with CDP keys: `Authorization: Bearer <JWT>`, an ES256 JWT with header
//! `{alg: ES256, kid: key name, nonce: random hex, typ: JWT}` and claims `{sub: key name,
//! iss: "cdp", nbf: now, exp: now + 120, uri: "METHOD host path"}` (no query in `uri`). ECDSA
//! signatures are not reproducible byte for byte; the exchange verifies them with the public key.
//! The websocket channels take the same JWT without the `uri` claim in each subscribe message.

use serde::Serialize;

use super::{
    Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe, method, wrong_form,
};
use crate::cex::sign::jwt::{Es256Header, es256_jwt};

/// How long a REST JWT stays valid, in seconds (Coinbase: two minutes).
const LIFETIME_S: u64 = 120;

#[derive(Debug, Clone, Copy, Default)]
pub struct CoinbaseAdvanced;

/// The claims of a CDP REST JWT.
#[derive(Debug, Clone, Serialize)]
pub struct CdpClaims<'a> {
    pub sub: &'a str,
    pub iss: &'static str,
    pub nbf: u64,
    pub exp: u64,
    pub uri: String,
}

impl CoinbaseAdvanced {
    /// The claims for `req` signed by key `key_name`.
    pub fn claims<'a>(req: &SignRequest<'_>, key_name: &'a str) -> CdpClaims<'a> {
        let now = req.time_s();
        CdpClaims {
            sub: key_name,
            iss: "cdp",
            nbf: now,
            exp: now.saturating_add(LIFETIME_S),
            uri: format!("{} {}{}", method(req), req.host, req.path),
        }
    }
}

/// The claims of a CDP websocket JWT: a REST JWT's without `uri`.
#[derive(Debug, Clone, Serialize)]
pub struct CdpWsClaims<'a> {
    pub sub: &'a str,
    pub iss: &'static str,
    pub nbf: u64,
    pub exp: u64,
}

impl CoinbaseAdvanced {
    /// The JWT a websocket subscribe message carries (`"jwt"`), signed at `time_s` with a fresh
    /// random nonce.
    pub fn ws_jwt(creds: &Credentials, time_s: u64) -> Result<String, SignError> {
        let key = creds
            .p256_key()
            .ok_or_else(|| wrong_form(&CoinbaseAdvanced, creds))?;
        let nonce = SignRequest::new(reqwest::Method::GET, "", 0).random_nonce();
        let header = Es256Header::new(creds.api_key(), &nonce);
        let claims = CdpWsClaims {
            sub: creds.api_key(),
            iss: "cdp",
            nbf: time_s,
            exp: time_s.saturating_add(LIFETIME_S),
        };
        es256_jwt(key, &header, &claims)
    }
}

impl SigningRecipe for CoinbaseAdvanced {
    fn name(&self) -> &'static str {
        "coinbase advanced"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::EcP256Pem
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = creds.p256_key().ok_or_else(|| wrong_form(self, creds))?;
        if req.host.is_empty() {
            return Err(SignError::MissingHost {
                recipe: self.name(),
            });
        }
        let nonce = req.random_nonce();
        let header = Es256Header::new(creds.api_key(), &nonce);
        let jwt = es256_jwt(key, &header, &Self::claims(req, creds.api_key()))?;
        Ok(SignedParts {
            headers: vec![("Authorization", format!("Bearer {jwt}"))],
            query: Vec::new(),
            body: None,
            encoded_query: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::pairs;
    use super::*;
    use crate::cex::sign::NonceSource;
    use crate::cex::sign::credentials::tests::p256_sec1_escaped;
    use crate::cex::sign::jwt::tests::verify_jwt;
    use reqwest::Method;

    const KEY_NAME: &str = "organizations/org-1/apiKeys/key-1";

    fn creds() -> Credentials {
        Credentials::parse(
            KeyForm::EcP256Pem,
            KEY_NAME,
            &p256_sec1_escaped([3; 32]),
            None,
        )
        .unwrap()
    }

    #[test]
    fn jwt_carries_the_uri_claim_and_verifies() {
        let q = pairs(&[("limit", "5")]);
        let req = SignRequest::new(Method::POST, "/api/v3/brokerage/orders", 1_700_000_000_500)
            .host("api.coinbase.com")
            .query(&q)
            .body(br#"{"product_id":"BTC-USD"}"#)
            .nonce(NonceSource::Given("0badc0de".into()));
        let parts = CoinbaseAdvanced.sign(&req, &creds()).unwrap();
        let token = parts
            .header("Authorization")
            .unwrap()
            .strip_prefix("Bearer ")
            .unwrap();
        let public = *p256::ecdsa::SigningKey::from_slice(&[3; 32])
            .unwrap()
            .verifying_key();
        let (header, claims) = verify_jwt(token, &public);
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "kid": KEY_NAME, "nonce": "0badc0de", "typ": "JWT"})
        );
        assert_eq!(
            claims,
            serde_json::json!({
                "sub": KEY_NAME, "iss": "cdp", "nbf": 1_700_000_000u64, "exp": 1_700_000_120u64,
                "uri": "POST api.coinbase.com/api/v3/brokerage/orders"
            })
        );
    }

    #[test]
    fn websocket_jwt_has_no_uri_claim_and_verifies() {
        let token = CoinbaseAdvanced::ws_jwt(&creds(), 1_700_000_000).unwrap();
        let public = *p256::ecdsa::SigningKey::from_slice(&[3; 32])
            .unwrap()
            .verifying_key();
        let (header, claims) = verify_jwt(&token, &public);
        assert_eq!(header["kid"], KEY_NAME);
        assert_eq!(header["nonce"].as_str().map(str::len), Some(64));
        assert_eq!(
            claims,
            serde_json::json!({"sub": KEY_NAME, "iss": "cdp", "nbf": 1_700_000_000u64, "exp": 1_700_000_120u64})
        );
        let hmac = Credentials::parse(KeyForm::HmacRaw, "k", "secret", None).unwrap();
        assert!(CoinbaseAdvanced::ws_jwt(&hmac, 1).is_err());
    }

    #[test]
    fn derived_nonce_is_fresh_random_hex_and_host_is_required() {
        let req =
            SignRequest::new(Method::GET, "/api/v3/brokerage/accounts", 1).host("api.coinbase.com");
        let public = *p256::ecdsa::SigningKey::from_slice(&[3; 32])
            .unwrap()
            .verifying_key();
        let nonce = |parts: SignedParts| {
            let t = parts.header("Authorization").unwrap()[7..].to_string();
            verify_jwt(&t, &public).0["nonce"]
                .as_str()
                .unwrap()
                .to_string()
        };
        let (a, b) = (
            nonce(CoinbaseAdvanced.sign(&req, &creds()).unwrap()),
            nonce(CoinbaseAdvanced.sign(&req, &creds()).unwrap()),
        );
        assert!(a.len() == 64 && a.bytes().all(|c| c.is_ascii_hexdigit()) && a != b);
        let no_host = SignRequest::new(Method::GET, "/api/v3/brokerage/accounts", 1);
        assert_eq!(
            CoinbaseAdvanced.sign(&no_host, &creds()).unwrap_err(),
            SignError::MissingHost {
                recipe: "coinbase advanced"
            }
        );
    }
}
