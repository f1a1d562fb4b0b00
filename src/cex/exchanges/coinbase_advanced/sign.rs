//! Coinbase Advanced Trade's signing room: REST requests sign with the catalog recipe
//! [`CoinbaseAdvanced`] (a CDP key's ES256 JWT per request: header `kid` = key name and a random
//! `nonce`; claims `iss: cdp`, `sub` = key name, `nbf` = now, `exp` = now + 120 s,
//! `uri` = `METHOD host/path`; sent as `Authorization: Bearer <jwt>`) through
//! `cex::http::prepare_request`; the websocket's `user` and `heartbeats` subscriptions carry the
//! same JWT without `uri` ([`CoinbaseAdvanced::ws_jwt`]). The key is the CDP key's PEM (SEC1
//! `EC PRIVATE KEY` or PKCS#8), one line with `\n` escapes as Coinbase's key file has it, or
//! multi-line.

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::recipes::CoinbaseAdvanced;
use crate::cex::sign::{KeyForm, Signer};

/// The signer of Advanced Trade requests for `creds` (key name and PEM private key).
pub fn coinbase_advanced_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(CoinbaseAdvanced),
        creds.to_signing(KeyForm::EcP256Pem)?,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, RequestBody, prepare_request};
    use crate::cex::sign::NonceSource;
    use crate::cex::sign::credentials::tests::p256_sec1_escaped;
    use crate::cex::sign::jwt::tests::verify_jwt;
    use reqwest::Method;

    const KEY_NAME: &str = "organizations/{org_id}/apiKeys/{key_id}";

    fn signer() -> Signer {
        coinbase_advanced_signer(
            &ApiCredentials::new(KEY_NAME, p256_sec1_escaped([7; 32])).unwrap(),
        )
        .unwrap()
    }

    fn public() -> p256::ecdsa::VerifyingKey {
        *p256::ecdsa::SigningKey::from_slice(&[7; 32])
            .unwrap()
            .verifying_key()
    }

    fn bearer(p: &crate::cex::http::PreparedRequest) -> String {
        p.headers
            .iter()
            .find(|(k, _)| *k == "Authorization")
            .and_then(|(_, v)| v.strip_prefix("Bearer "))
            .unwrap()
            .to_string()
    }

    /// Coinbase's documented example: `POST api.coinbase.com/api/v3/brokerage/orders`, through
    /// the connector's signer and the live request path; the JWT verifies with the key's public
    /// part and carries the documented header and claims (the query is not in `uri`).
    #[test]
    fn documented_order_request_through_the_live_path() {
        let body = r#"{"client_order_id":"0000-00000-000000","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"0.001"}}}"#;
        let req = ApiRequest::new(Method::POST, "/api/v3/brokerage/orders")
            .body(RequestBody::Json(body.into()))
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://api.coinbase.com"),
            None,
            Some(&signer()),
            &req,
            1_700_000_000_999,
            NonceSource::Given("abcdef0123456789".into()),
        )
        .unwrap();
        assert_eq!(p.url, "https://api.coinbase.com/api/v3/brokerage/orders");
        assert_eq!(p.body.as_deref(), Some(body.as_bytes()));
        let (header, claims) = verify_jwt(&bearer(&p), &public());
        assert_eq!(
            header,
            serde_json::json!({"alg": "ES256", "kid": KEY_NAME, "nonce": "abcdef0123456789", "typ": "JWT"})
        );
        assert_eq!(
            claims,
            serde_json::json!({"sub": KEY_NAME, "iss": "cdp", "nbf": 1_700_000_000u64,
                "exp": 1_700_000_120u64, "uri": "POST api.coinbase.com/api/v3/brokerage/orders"})
        );
    }

    #[test]
    fn a_get_with_a_query_signs_the_path_only_and_a_port_is_part_of_the_host() {
        let req = ApiRequest::new(Method::GET, "/api/v3/brokerage/accounts")
            .param("limit", 250)
            .signed();
        let p = prepare_request(
            &Endpoint::new("http://127.0.0.1:8443"),
            None,
            Some(&signer()),
            &req,
            1_700_000_000_000,
            NonceSource::Derived,
        )
        .unwrap();
        assert_eq!(
            p.url,
            "http://127.0.0.1:8443/api/v3/brokerage/accounts?limit=250"
        );
        let (_, claims) = verify_jwt(&bearer(&p), &public());
        assert_eq!(
            claims["uri"],
            "GET 127.0.0.1:8443/api/v3/brokerage/accounts"
        );
    }

    #[test]
    fn an_hmac_secret_is_refused_without_quoting_it() {
        let e = coinbase_advanced_signer(
            &ApiCredentials::new(KEY_NAME, "c2VjcmV0LXNlY3JldA==").unwrap(),
        )
        .unwrap_err()
        .to_string();
        assert!(!e.contains("c2VjcmV0"), "{e}");
    }
}
