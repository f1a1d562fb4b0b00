//! Verification of Coinbase Exchange's signatures as the exchange does it: REST requests carry
//! `CB-ACCESS-KEY`, `CB-ACCESS-SIGN`, `CB-ACCESS-TIMESTAMP` (seconds, within 30 s of the server's
//! clock) and `CB-ACCESS-PASSPHRASE`; the signature is recomputed with the documented recipe (the
//! library's [`CoinbaseExchange`]: base64 HMAC-SHA256 with the base64-decoded secret over
//! `timestamp + METHOD + path(+?query) + body`) over the request as received. A websocket
//! subscription carries `key`, `passphrase`, `timestamp`, `signature` over
//! `timestamp + GET + /users/self/verify`.

use std::collections::HashMap;

use sluice::cex::sign::recipes::CoinbaseExchange;
use sluice::cex::sign::{Credentials, KeyForm, SignRequest, SigningRecipe};

use super::error::CbError;
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::exchange::Exchange;

/// Largest gap between a request's timestamp and the server's clock.
pub const MAX_SKEW_S: u64 = 30;

/// One signed request as received (REST, or a subscription as `GET /users/self/verify`).
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
    pub key: Option<&'a str>,
    pub sign: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub passphrase: Option<&'a str>,
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The account of a signed request, or Coinbase's error.
pub fn verify(
    ex: &Exchange,
    passphrases: &HashMap<String, String>,
    r: &Received<'_>,
    now_ms: u64,
) -> Result<usize, CbError> {
    let (Some(key), Some(sign), Some(ts), Some(pass)) = (r.key, r.sign, r.timestamp, r.passphrase)
    else {
        return Err(CbError::bad_request("CB-ACCESS-KEY header is required"));
    };
    let account = *ex
        .keys
        .get(key)
        .ok_or_else(|| CbError::new(401, "Invalid API Key"))?;
    if passphrases
        .get(key)
        .is_none_or(|p| !same(p.as_bytes(), pass.as_bytes()))
    {
        return Err(CbError::new(401, "Invalid Passphrase"));
    }
    let ts_s: u64 = ts
        .trim()
        .split('.')
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| CbError::bad_request("invalid timestamp"))?;
    if ts_s.abs_diff(now_ms / 1000) > MAX_SKEW_S {
        return Err(CbError::bad_request("request timestamp expired"));
    }
    let secret = match ex.accounts.get(account).map(|a| a.key()) {
        Some(AccountKey::Hmac(s)) => s.to_string(),
        _ => return Err(CbError::new(401, "Invalid API Key")),
    };
    let creds = Credentials::parse(KeyForm::HmacBase64, key, &secret, Some(pass))
        .map_err(|_| CbError::new(401, "Invalid API Key"))?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(r.query.as_bytes())
        .into_owned()
        .collect();
    let method = hyper::Method::from_bytes(r.method.as_bytes()).unwrap_or(hyper::Method::GET);
    let req = SignRequest::new(method, r.path, ts_s.saturating_mul(1000))
        .query(&pairs)
        .body(r.body);
    let expected = CoinbaseExchange
        .sign(&req, &creds)
        .ok()
        .and_then(|p| p.header("CB-ACCESS-SIGN").map(str::to_string))
        .ok_or_else(|| CbError::new(401, "invalid signature"))?;
    // the query as received must be the one signed
    if req.encoded_query() != r.query || !same(expected.as_bytes(), sign.trim().as_bytes()) {
        return Err(CbError::new(401, "invalid signature"));
    }
    Ok(account)
}
