//! Verification of HTX's signatures as the exchange does it: a REST request carries
//! `AccessKeyId`, `SignatureMethod=HmacSHA256`, `SignatureVersion=2`, `Timestamp` (UTC
//! `YYYY-MM-DDThh:mm:ss`, within [`MAX_SKEW_MS`] of the server's clock) and `Signature` in its
//! query, checked by recomputing it with the library's recipe
//! ([`HtxV2`](sluice::cex::sign::recipes::HtxV2)) over the request as received (method, `Host`,
//! path, the other query parameters); the private WebSocket's `auth` request by version 2.1 over
//! `GET\nhost\n/ws/v2\n…` ([`ws_auth_signature`]).

use sluice::cex::exchanges::htx::sign::ws_auth_signature;
use sluice::cex::sign::recipes::HtxV2;
use sluice::cex::sign::{Credentials, KeyForm, SignRequest, SigningRecipe};

use super::error::HtxError;
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::exchange::Exchange;

/// Largest gap between a request's `Timestamp` and the server's clock (HTX: 5 minutes).
pub const MAX_SKEW_MS: u64 = 300_000;

/// `YYYY-MM-DDThh:mm:ss` (UTC) as ms since the epoch.
pub fn parse_timestamp(t: &str) -> Option<u64> {
    let b = t.as_bytes();
    if b.len() != 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let n = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(5..7)?, n(8..10)?);
    let (hh, mm, ss) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // days from the civil date (Howard Hinnant's algorithm)
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(((days * 24 + hh) * 60 + mm) * 60 + ss)
        .ok()?
        .checked_mul(1000)
}

fn credentials(ex: &Exchange, key: &str) -> Result<(usize, Credentials), HtxError> {
    let account = *ex
        .keys
        .get(key)
        .ok_or_else(|| HtxError::new("invalid-access-key-id", "the access key is unknown"))?;
    let secret = match ex.accounts.get(account).map(|a| a.key()) {
        Some(AccountKey::Hmac(s)) => s.to_string(),
        _ => return Err(HtxError::auth("the key does not sign with HMAC")),
    };
    let creds = Credentials::parse(KeyForm::HmacRaw, key, &secret, None)
        .map_err(|_| HtxError::auth("the key does not sign with HMAC"))?;
    Ok((account, creds))
}

fn fresh(ts_ms: u64, now_ms: u64) -> Result<(), HtxError> {
    if ts_ms.abs_diff(now_ms) > MAX_SKEW_MS {
        return Err(HtxError::new(
            "invalid-timestamp",
            "the request timestamp is outside the allowed window",
        ));
    }
    Ok(())
}

/// Constant-time equality of two signatures.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The account of a signed REST request (`query` as received, still encoded), or HTX's error.
pub fn verify_rest(
    ex: &Exchange,
    method: &str,
    host: &str,
    path: &str,
    query: &str,
    now_ms: u64,
) -> Result<usize, HtxError> {
    let mut business = Vec::new();
    let (mut key, mut ts, mut sig, mut m, mut v) = (None, None, None, None, None);
    for (k, val) in url::form_urlencoded::parse(query.as_bytes()).into_owned() {
        match k.as_str() {
            "AccessKeyId" => key = Some(val),
            "Timestamp" => ts = Some(val),
            "Signature" => sig = Some(val),
            "SignatureMethod" => m = Some(val),
            "SignatureVersion" => v = Some(val),
            _ => business.push((k, val)),
        }
    }
    let (Some(key), Some(ts), Some(sig)) = (key, ts, sig) else {
        return Err(HtxError::auth(
            "missing AccessKeyId, Timestamp or Signature",
        ));
    };
    if m.as_deref() != Some("HmacSHA256") || v.as_deref() != Some("2") {
        return Err(HtxError::auth(
            "SignatureMethod must be HmacSHA256, SignatureVersion 2",
        ));
    }
    let ts_ms = parse_timestamp(&ts).ok_or_else(|| {
        HtxError::new("invalid-timestamp", "Timestamp must be YYYY-MM-DDThh:mm:ss")
    })?;
    fresh(ts_ms, now_ms)?;
    let (account, creds) = credentials(ex, &key)?;
    let method = hyper::Method::from_bytes(method.as_bytes()).unwrap_or(hyper::Method::GET);
    let req = SignRequest::new(method, path, ts_ms)
        .host(host)
        .query(&business);
    let expected = HtxV2
        .sign(&req, &creds)
        .ok()
        .and_then(|p| p.query.into_iter().find(|(k, _)| k == "Signature"))
        .map(|(_, s)| s)
        .ok_or_else(|| HtxError::auth("signature not computable"))?;
    if !same(&expected, &sig) {
        return Err(HtxError::auth("Signature not valid: Verification failure"));
    }
    Ok(account)
}

/// The account of a v2.1 `auth` request's `params` received on a connection to `host`.
pub fn verify_ws(
    ex: &Exchange,
    host: &str,
    params: &serde_json::Value,
    now_ms: u64,
) -> Result<usize, HtxError> {
    let s = |k: &str| params.get(k).and_then(|v| v.as_str()).unwrap_or_default();
    if s("authType") != "api"
        || s("signatureMethod") != "HmacSHA256"
        || s("signatureVersion") != "2.1"
    {
        return Err(HtxError::auth(
            "authType api, HmacSHA256 and version 2.1 are required",
        ));
    }
    let ts_ms = parse_timestamp(s("timestamp")).ok_or_else(|| {
        HtxError::new("invalid-timestamp", "timestamp must be YYYY-MM-DDThh:mm:ss")
    })?;
    fresh(ts_ms, now_ms)?;
    let (account, creds) = credentials(ex, s("accessKey"))?;
    let expected = ws_auth_signature(&creds, host, ts_ms)
        .map_err(|_| HtxError::auth("signature not computable"))?;
    if !same(&expected, s("signature")) {
        return Err(HtxError::auth("signature mismatch"));
    }
    Ok(account)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_parse_as_utc_seconds() {
        assert_eq!(
            parse_timestamp("2017-05-11T15:19:30"),
            Some(1_494_515_970_000)
        );
        assert_eq!(parse_timestamp("1970-01-01T00:00:00"), Some(0));
        assert_eq!(
            parse_timestamp("2024-02-29T23:59:59"),
            Some(1_709_251_199_000)
        );
        for bad in [
            "2017-05-11 15:19:30",
            "2017-13-11T15:19:30",
            "",
            "2017-05-11T15:19:3x",
        ] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }
}
