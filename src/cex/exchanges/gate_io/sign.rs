//! Gate.io's signing room: REST requests sign with the catalog recipe
//! [`GateV4`](crate::cex::sign::recipes::GateV4) (headers `KEY`, `Timestamp` in seconds, `SIGN` =
//! hex HMAC-SHA512 of `METHOD\nPATH\nQUERY\nhex(SHA512(body))\nTIMESTAMP`) through
//! `cex::http::prepare_request`; private websocket channels sign each request with the same key:
//! `SIGN` = hex HMAC-SHA512 of `channel=<channel>&event=<event>&time=<seconds>`.

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::recipes::GateV4;
use crate::cex::sign::{Credentials, KeyForm, SignError, Signer, SigningRecipe};

/// The signer of Gate.io REST requests for `creds` (an HMAC secret used as its UTF-8 bytes).
pub fn gate_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(GateV4),
        creds.to_signing(KeyForm::HmacRaw)?,
    )?)
}

/// The text a private websocket request signs.
pub fn ws_sign_text(channel: &str, event: &str, time_s: u64) -> String {
    format!("channel={channel}&event={event}&time={time_s}")
}

/// The `SIGN` of a private websocket request (`auth.method = "api_key"`).
pub fn ws_signature(
    creds: &Credentials,
    channel: &str,
    event: &str,
    time_s: u64,
) -> Result<String, SignError> {
    let key = creds.hmac_key().ok_or(SignError::WrongKeyForm {
        recipe: GateV4.name(),
        need: KeyForm::HmacRaw,
        have: creds.key_form(),
    })?;
    let text = ws_sign_text(channel, event, time_s);
    Ok(hmac_encoded(
        HmacHash::Sha512,
        key,
        &[text.as_bytes()],
        Encoding::Hex,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, RequestBody, prepare_request};
    use crate::cex::sign::NonceSource;
    use reqwest::Method;

    fn signer() -> Signer {
        gate_signer(&ApiCredentials::new("key", "secret").unwrap()).unwrap()
    }

    /// Gate.io's documented GET example (key `key`, secret `secret`), through the connector's
    /// signer and the live request path.
    #[test]
    fn documented_get_example_through_the_live_path() {
        let req = ApiRequest::new(Method::GET, "/api/v4/futures/orders")
            .param("contract", "BTC_USD")
            .param("status", "finished")
            .param("limit", 50)
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://api.gateio.ws"),
            None,
            Some(&signer()),
            &req,
            1_541_993_715_000,
            NonceSource::Derived,
        )
        .unwrap();
        let header = |n: &str| {
            p.headers
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(header("KEY"), Some("key"));
        assert_eq!(header("Timestamp"), Some("1541993715"));
        assert_eq!(
            header("SIGN"),
            Some(
                "55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a"
            )
        );
        assert_eq!(
            p.url,
            "https://api.gateio.ws/api/v4/futures/orders?contract=BTC_USD&status=finished&limit=50"
        );
    }

    /// Gate.io's documented POST example: the body's SHA-512 is signed, the body sent unchanged.
    #[test]
    fn documented_post_example_through_the_live_path() {
        let body = r#"{"contract":"BTC_USD","type":"limit","size":100,"price":6800,"time_in_force":"gtc"}"#;
        let req = ApiRequest::new(Method::POST, "/api/v4/futures/orders")
            .body(RequestBody::Json(body.into()))
            .signed();
        let p = prepare_request(
            &Endpoint::new("https://api.gateio.ws"),
            None,
            Some(&signer()),
            &req,
            1_541_993_715_999,
            NonceSource::Derived,
        )
        .unwrap();
        let sign = p
            .headers
            .iter()
            .find(|(k, _)| *k == "SIGN")
            .map(|(_, v)| v.as_str());
        assert_eq!(
            sign,
            Some(
                "eae42da914a590ddf727473aff25fc87d50b64783941061f47a3fdb92742541fc4c2c14017581b4199a1418d54471c269c03a38d788d802e2c306c37636389f0"
            )
        );
        assert_eq!(p.body.as_deref(), Some(body.as_bytes()));
    }

    /// The websocket recipe against an HMAC-SHA512 computed by the `hmac` crate's own type.
    #[test]
    fn websocket_auth_signs_channel_event_and_time() {
        use hmac::{Hmac, Mac};
        let creds = Credentials::parse(KeyForm::HmacRaw, "key", "secret", None).unwrap();
        let got = ws_signature(&creds, "spot.orders", "subscribe", 1_606_292_218).unwrap();
        let mut m = Hmac::<sha2::Sha512>::new_from_slice(b"secret").unwrap();
        m.update(b"channel=spot.orders&event=subscribe&time=1606292218");
        assert_eq!(got, hex::encode(m.finalize().into_bytes()));
        assert_eq!(got.len(), 128);
    }
}
