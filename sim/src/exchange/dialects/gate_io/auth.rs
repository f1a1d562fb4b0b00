//! Verification of Gate.io's signatures as the exchange does it: REST requests carry `KEY`,
//! `Timestamp` (seconds, within 60 s of the server's clock, else `REQUEST_EXPIRED`) and `SIGN`,
//! checked by recomputing it with the documented recipe (the library's
//! [`GateV4`](sluice::cex::sign::recipes::GateV4): HMAC-SHA512 of `METHOD\npath\nquery\n
//! hex(SHA512(body))\ntimestamp`) over the request as received; private websocket subscriptions
//! carry `auth.KEY` and `auth.SIGN` over `channel=…&event=…&time=…`.

use hmac::{Hmac, Mac};
use sha2::Sha512;

use sluice::cex::sign::recipes::GateV4;
use sluice::cex::sign::{Credentials, KeyForm, SignRequest, SigningRecipe};

use super::error::GateError;
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::exchange::Exchange;

/// Largest gap between a request's `Timestamp` and the server's clock.
pub const MAX_SKEW_S: u64 = 60;

fn secret_of(ex: &Exchange, account: usize) -> Option<String> {
    match ex.accounts.get(account)?.key() {
        AccountKey::Hmac(s) => Some(s.to_string()),
        AccountKey::Ed25519(_) => None,
    }
}

/// Constant-time comparison of a hex signature with the expected bytes.
fn hex_matches(expected: &[u8], got: &str) -> bool {
    hex::decode(got.trim()).is_ok_and(|g| {
        g.len() == expected.len() && g.iter().zip(expected).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
    })
}

/// One REST request as received.
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
    pub key: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub sign: Option<&'a str>,
}

/// The account of a signed REST request, or Gate.io's error.
pub fn verify_rest(ex: &Exchange, r: &Received<'_>, now_ms: u64) -> Result<usize, GateError> {
    let (Some(key), Some(ts), Some(sign)) = (r.key, r.timestamp, r.sign) else {
        return Err(GateError::new(
            401,
            "MISSING_REQUIRED_HEADER",
            "Missing required header: KEY, Timestamp or SIGN",
        ));
    };
    let account = *ex
        .keys
        .get(key)
        .ok_or_else(|| GateError::new(401, "INVALID_KEY", "Invalid key provided"))?;
    let ts: u64 = ts
        .trim()
        .parse()
        .map_err(|_| GateError::new(401, "REQUEST_EXPIRED", "Invalid Timestamp"))?;
    let now = now_ms / 1000;
    if ts.abs_diff(now) > MAX_SKEW_S {
        return Err(GateError::new(
            401,
            "REQUEST_EXPIRED",
            format!("gap between request Timestamp and server time exceeds {MAX_SKEW_S}"),
        ));
    }
    let secret = secret_of(ex, account)
        .ok_or_else(|| GateError::new(401, "INVALID_KEY", "Key does not sign with HMAC"))?;
    let creds = Credentials::parse(KeyForm::HmacRaw, key, &secret, None)
        .map_err(|_| GateError::new(401, "INVALID_KEY", "Invalid key provided"))?;
    // the recipe signs the query as pairs; re-encode the received string exactly
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(r.query.as_bytes())
        .into_owned()
        .collect();
    let method = reqwest_method(r.method);
    let req = SignRequest::new(method, r.path, ts.saturating_mul(1000))
        .query(&pairs)
        .body(r.body);
    let expected = GateV4
        .sign(&req, &creds)
        .ok()
        .and_then(|p| p.header("SIGN").map(str::to_string))
        .ok_or_else(|| GateError::new(401, "INVALID_SIGNATURE", "Signature mismatch"))?;
    let expected = hex::decode(expected).unwrap_or_default();
    // the query as received must be the one signed (a client that encodes differently fails)
    if req.encoded_query() != r.query || !hex_matches(&expected, sign) {
        return Err(GateError::new(
            401,
            "INVALID_SIGNATURE",
            "Signature mismatch",
        ));
    }
    Ok(account)
}

/// `hyper`'s method type is the one the library's signer takes (both are `http::Method`).
fn reqwest_method(m: &str) -> hyper::Method {
    hyper::Method::from_bytes(m.as_bytes()).unwrap_or(hyper::Method::GET)
}

/// The account of a private websocket subscription, or why it is refused.
pub fn verify_ws(
    ex: &Exchange,
    key: &str,
    sign: &str,
    channel: &str,
    event: &str,
    time_s: u64,
    now_ms: u64,
) -> Result<usize, &'static str> {
    let account = *ex.keys.get(key).ok_or("invalid key")?;
    if time_s.abs_diff(now_ms / 1000) > MAX_SKEW_S {
        return Err("request expired");
    }
    let secret = secret_of(ex, account).ok_or("invalid key")?;
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).map_err(|_| "invalid key")?;
    mac.update(format!("channel={channel}&event={event}&time={time_s}").as_bytes());
    if hex_matches(&mac.finalize().into_bytes(), sign) {
        Ok(account)
    } else {
        Err("signature mismatch")
    }
}
