//! HTX's signing room: the connector's [`Signer`] for stored keys (the catalog recipe
//! [`HtxV2`]: signature version 2 in the query, see `cex::sign::recipes::htx`), and the private
//! WebSocket's `auth` request, signed by version 2.1: the same pre-sign text
//! `GET\nhost\n/ws/v2\nsortedQuery` over lower-case parameter names `accessKey`,
//! `signatureMethod=HmacSHA256`, `signatureVersion=2.1`, `timestamp`.

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::encode_pairs;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::recipes::HtxV2;
use crate::cex::sign::time::iso8601_seconds;
use crate::cex::sign::{Credentials, KeyForm, SignError, Signer, SigningRecipe};

/// The private WebSocket's path, which the `auth` request signs.
pub const WS_PRIVATE_PATH: &str = "/ws/v2";

/// The signer of HTX requests for `creds`.
pub fn htx_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(HtxV2),
        creds.to_signing(KeyForm::HmacRaw)?,
    )?)
}

/// The v2.1 parameters of an `auth` request at `time_ms`, sorted by name.
fn ws_auth_params(api_key: &str, time_ms: u64) -> Vec<(String, String)> {
    vec![
        ("accessKey".to_string(), api_key.to_string()),
        ("signatureMethod".to_string(), "HmacSHA256".to_string()),
        ("signatureVersion".to_string(), "2.1".to_string()),
        ("timestamp".to_string(), iso8601_seconds(time_ms)),
    ]
}

/// The text the `auth` request signs, for `host` (lower-cased, with `:port` if not default).
pub fn ws_auth_text(host: &str, api_key: &str, time_ms: u64) -> String {
    format!(
        "GET\n{}\n{WS_PRIVATE_PATH}\n{}",
        host.to_ascii_lowercase(),
        encode_pairs(&ws_auth_params(api_key, time_ms))
    )
}

/// The `auth` request's signature: base64(HMAC-SHA256(secret, [`ws_auth_text`])).
pub fn ws_auth_signature(
    creds: &Credentials,
    host: &str,
    time_ms: u64,
) -> Result<String, SignError> {
    let key = match creds.hmac_key() {
        Some(k) if creds.key_form() == KeyForm::HmacRaw => k,
        _ => {
            return Err(SignError::WrongKeyForm {
                recipe: HtxV2.name(),
                need: KeyForm::HmacRaw,
                have: creds.key_form(),
            });
        }
    };
    let text = ws_auth_text(host, creds.api_key(), time_ms);
    Ok(hmac_encoded(
        HmacHash::Sha256,
        key,
        &[text.as_bytes()],
        Encoding::Base64,
    ))
}

/// The `{"action":"req","ch":"auth","params":{…}}` message at `time_ms`. It carries a
/// signature: never logged.
pub fn ws_auth_message(signer: &Signer, host: &str, time_ms: u64) -> Result<String, CexError> {
    let creds = signer.credentials();
    let signature = ws_auth_signature(creds, host, time_ms)?;
    Ok(serde_json::json!({
        "action": "req",
        "ch": "auth",
        "params": {
            "authType": "api",
            "accessKey": creds.api_key(),
            "signatureMethod": "HmacSHA256",
            "signatureVersion": "2.1",
            "timestamp": iso8601_seconds(time_ms),
            "signature": signature,
        }
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, prepare_request};
    use crate::cex::sign::NonceSource;
    use reqwest::Method;

    // The docs' redacted example key and secret (catalog §2.10).
    const KEY: &str = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx";
    const SECRET: &str = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx";

    fn signer() -> Signer {
        htx_signer(&ApiCredentials::new(KEY, SECRET).unwrap()).unwrap()
    }

    /// The documented example (`GET /v1/order/orders?order-id=1234567890` at
    /// 2017-05-11T15:19:30) through the live request path: the signature is the catalog's
    /// recomputation over the documented pre-sign text, URL-encoded in the query.
    #[test]
    fn documented_example_signs_through_the_live_path() {
        let req = ApiRequest::new(Method::GET, "/v1/order/orders")
            .param("order-id", "1234567890")
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://api.huobi.pro"),
            None,
            Some(&signer()),
            &req,
            1_494_515_970_000,
            NonceSource::Derived,
        )
        .unwrap();
        assert_eq!(
            p.url,
            "https://api.huobi.pro/v1/order/orders?order-id=1234567890&AccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30&Signature=Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM%3D"
        );
        assert!(p.headers.iter().all(|(_, v)| !v.contains(SECRET)));
    }

    #[test]
    fn ws_auth_signs_version_2_1_over_the_private_path() {
        let s = signer();
        assert_eq!(
            ws_auth_text("API.huobi.pro", KEY, 1_494_515_970_000),
            "GET\napi.huobi.pro\n/ws/v2\naccessKey=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&signatureMethod=HmacSHA256&signatureVersion=2.1&timestamp=2017-05-11T15%3A19%3A30"
        );
        let m: serde_json::Value =
            serde_json::from_str(&ws_auth_message(&s, "api.huobi.pro", 1_494_515_970_000).unwrap())
                .unwrap();
        assert_eq!(m["action"], "req");
        assert_eq!(m["ch"], "auth");
        assert_eq!(m["params"]["signatureVersion"], "2.1");
        assert_eq!(m["params"]["timestamp"], "2017-05-11T15:19:30");
        let sig = m["params"]["signature"].as_str().unwrap();
        assert_eq!(
            sig,
            ws_auth_signature(s.credentials(), "api.huobi.pro", 1_494_515_970_000).unwrap()
        );
        // another time signs differently
        assert_ne!(
            sig,
            ws_auth_signature(s.credentials(), "api.huobi.pro", 1_494_515_971_000).unwrap()
        );
    }
}
