//! OKX's signing room: the connector's [`Signer`] for stored keys (the catalog recipe
//! [`Okx`]: `OK-ACCESS-SIGN` is the base64 HMAC-SHA256, keyed by the secret, of the timestamp,
//! the method, the request path with its query and the body, concatenated; `OK-ACCESS-TIMESTAMP`
//! is ISO-8601 with milliseconds, the passphrase goes in `OK-ACCESS-PASSPHRASE`), and the
//! WebSocket login's sign: the same HMAC over `timestamp + "GET" + "/users/self/verify"` with the
//! timestamp in Unix seconds.

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::recipes::Okx;
use crate::cex::sign::{Credentials, KeyForm, SignError, Signer, SigningRecipe};

/// The path the WebSocket login signs.
pub const WS_LOGIN_PATH: &str = "/users/self/verify";

/// The signer of OKX requests for `creds` (which must carry the passphrase).
pub fn okx_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(Okx),
        creds.to_signing(KeyForm::HmacRaw)?,
    )?)
}

/// The text the WebSocket login signs at `time_s` (Unix seconds).
pub fn ws_login_text(time_s: u64) -> String {
    format!("{time_s}GET{WS_LOGIN_PATH}")
}

/// The login's `sign`: base64(HMAC-SHA256(secret, `ws_login_text(time_s)`)).
pub fn ws_login_sign(creds: &Credentials, time_s: u64) -> Result<String, SignError> {
    let key = match creds.hmac_key() {
        Some(k) if creds.key_form() == KeyForm::HmacRaw => k,
        _ => {
            return Err(SignError::WrongKeyForm {
                recipe: Okx.name(),
                need: KeyForm::HmacRaw,
                have: creds.key_form(),
            });
        }
    };
    Ok(hmac_encoded(
        HmacHash::Sha256,
        key,
        &[ws_login_text(time_s).as_bytes()],
        Encoding::Base64,
    ))
}

/// The login message `{"op":"login","args":[{apiKey, passphrase, timestamp, sign}]}` at
/// `time_s`. It carries the passphrase and a signature: never logged.
pub fn ws_login_message(signer: &Signer, time_s: u64) -> Result<String, CexError> {
    let creds = signer.credentials();
    let passphrase = creds
        .passphrase()
        .ok_or(SignError::MissingPassphrase { recipe: Okx.name() })?;
    let sign = ws_login_sign(creds, time_s)?;
    Ok(serde_json::json!({
        "op": "login",
        "args": [{
            "apiKey": creds.api_key(),
            "passphrase": passphrase,
            "timestamp": time_s.to_string(),
            "sign": sign,
        }]
    })
    .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, prepare_request};
    use crate::cex::sign::NonceSource;
    use reqwest::Method;

    /// Base64 HMAC-SHA256 values computed independently (`openssl dgst -sha256 -hmac
    /// okx-test-secret -binary | base64`) over the documented pre-sign texts.
    const SECRET: &str = "okx-test-secret";

    fn signer() -> Signer {
        let c = ApiCredentials::new("985d5b66-57ce-40fb-b714-afc0b9787083", SECRET)
            .unwrap()
            .with_passphrase("123456")
            .unwrap();
        okx_signer(&c).unwrap()
    }

    /// The docs' GET example: `2020-12-08T09:08:57.715Z` + `GET` +
    /// `/api/v5/account/balance?ccy=BTC`, through the live request path.
    #[test]
    fn documented_get_example_signs_through_the_live_path() {
        let s = signer();
        let req = ApiRequest::new(Method::GET, "/api/v5/account/balance")
            .param("ccy", "BTC")
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://www.okx.com"),
            None,
            Some(&s),
            &req,
            1_607_418_537_715,
            NonceSource::Derived,
        )
        .unwrap();
        assert_eq!(p.url, "https://www.okx.com/api/v5/account/balance?ccy=BTC");
        let h = |n: &str| {
            p.headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            h("OK-ACCESS-SIGN").as_deref(),
            Some("zoyYBAbbthbWS/lMxs58ldmr49iLIYLocgewx2gd6g8=")
        );
        assert_eq!(
            h("OK-ACCESS-TIMESTAMP").as_deref(),
            Some("2020-12-08T09:08:57.715Z")
        );
        assert_eq!(h("OK-ACCESS-PASSPHRASE").as_deref(), Some("123456"));
        assert_eq!(
            h("OK-ACCESS-KEY").as_deref(),
            Some("985d5b66-57ce-40fb-b714-afc0b9787083")
        );
    }

    /// The docs' POST example body, signed as sent.
    #[test]
    fn documented_post_example_signs_the_body() {
        let s = signer();
        let body = r#"{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"b15","side":"buy","ordType":"limit","px":"2.15","sz":"2"}"#;
        let req = ApiRequest::new(Method::POST, "/api/v5/trade/order")
            .body(crate::cex::http::RequestBody::Json(body.into()))
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://www.okx.com"),
            None,
            Some(&s),
            &req,
            1_607_418_537_715,
            NonceSource::Derived,
        )
        .unwrap();
        let sign = p.headers.iter().find(|(k, _)| *k == "OK-ACCESS-SIGN");
        assert_eq!(
            sign.map(|(_, v)| v.as_str()),
            Some("3uhesbSAtYBEMd0celqq5R/HhNWD/ll2mhtnYO4NHG4=")
        );
        assert_eq!(p.body.as_deref(), Some(body.as_bytes()));
    }

    /// The docs' login example: timestamp `1538054050` (seconds), `GET`, `/users/self/verify`.
    #[test]
    fn documented_ws_login_example() {
        let s = signer();
        assert_eq!(
            ws_login_text(1_538_054_050),
            "1538054050GET/users/self/verify"
        );
        assert_eq!(
            ws_login_sign(s.credentials(), 1_538_054_050).unwrap(),
            "glDzkdxsbPQQjWTlU42gCcktsrKcEmquRBno72XX5Mk="
        );
        let m: serde_json::Value =
            serde_json::from_str(&ws_login_message(&s, 1_538_054_050).unwrap()).unwrap();
        assert_eq!(m["op"], "login");
        assert_eq!(m["args"][0]["timestamp"], "1538054050");
        assert_eq!(m["args"][0]["passphrase"], "123456");
    }

    #[test]
    fn keys_without_a_passphrase_are_refused() {
        let c = ApiCredentials::new("k", SECRET).unwrap();
        assert!(okx_signer(&c).is_err());
    }
}
