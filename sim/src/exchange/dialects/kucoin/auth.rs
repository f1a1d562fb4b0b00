//! Verification of KuCoin's signatures as the exchange does it, written from the documented
//! recipe (not the library's signer, so that the two check each other): a private REST request
//! carries `KC-API-KEY`, `KC-API-TIMESTAMP` (ms, within [`MAX_SKEW_MS`] of the server's clock),
//! `KC-API-SIGN` = base64(HMAC-SHA256(secret, timestamp + METHOD + endpoint + body)), where the
//! endpoint is the path and, when there is one, `?` and the query exactly as received, and for
//! version-2 keys `KC-API-PASSPHRASE` = base64(HMAC-SHA256(secret, passphrase)) with
//! `KC-API-KEY-VERSION: 2`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::{KuCoinError, code};

/// Largest gap between a request's `KC-API-TIMESTAMP` and the server's clock.
pub const MAX_SKEW_MS: u64 = 5_000;

/// One REST request as received.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// The raw query string (without `?`), empty when there is none.
    pub query: &'a str,
    pub body: &'a [u8],
    pub key: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub sign: Option<&'a str>,
    pub passphrase: Option<&'a str>,
    pub key_version: Option<&'a str>,
}

/// What the server knows of a key: its account, secret and passphrase.
#[derive(Clone, Copy)]
pub struct KeyRecord<'a> {
    pub account: usize,
    pub secret: &'a str,
    pub passphrase: &'a str,
}

fn hmac_b64(secret: &str, parts: &[&[u8]]) -> Option<Vec<u8>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).ok()?;
    for p in parts {
        mac.update(p);
    }
    Some(mac.finalize().into_bytes().to_vec())
}

/// Constant-time comparison of a base64 value with the expected bytes.
fn b64_matches(expected: &[u8], got: &str) -> bool {
    STANDARD.decode(got.trim()).is_ok_and(|g| {
        g.len() == expected.len() && g.iter().zip(expected).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0
    })
}

/// The text KuCoin signs for a request.
pub fn pre_sign_text(r: &Received<'_>, timestamp: &str) -> Vec<u8> {
    let mut text = Vec::with_capacity(64 + r.body.len());
    text.extend_from_slice(timestamp.as_bytes());
    text.extend_from_slice(r.method.to_ascii_uppercase().as_bytes());
    text.extend_from_slice(r.path.as_bytes());
    if !r.query.is_empty() {
        text.push(b'?');
        text.extend_from_slice(r.query.as_bytes());
    }
    text.extend_from_slice(r.body);
    text
}

/// The account of a signed REST request (`lookup` finds a key's record), or KuCoin's error.
pub fn verify_rest<'k>(
    r: &Received<'_>,
    now_ms: u64,
    lookup: impl FnOnce(&str) -> Option<KeyRecord<'k>>,
) -> Result<usize, KuCoinError> {
    let e = |c, m: &str| KuCoinError::new(401, c, m);
    let key = r
        .key
        .ok_or_else(|| e(code::KEY_MISSING, "KC-API-KEY not exists"))?;
    let (Some(ts), Some(sign), Some(pass)) = (r.timestamp, r.sign, r.passphrase) else {
        return Err(e(
            code::KEY_MISSING,
            "KC-API-TIMESTAMP, KC-API-SIGN or KC-API-PASSPHRASE missing",
        ));
    };
    let rec = lookup(key).ok_or_else(|| e(code::KEY_NOT_FOUND, "KC-API-KEY not exists"))?;
    let t: u64 = ts
        .trim()
        .parse()
        .map_err(|_| e(code::INVALID_TIMESTAMP, "KC-API-TIMESTAMP Invalid"))?;
    if t.abs_diff(now_ms) > MAX_SKEW_MS {
        return Err(e(
            code::INVALID_TIMESTAMP,
            "KC-API-TIMESTAMP Invalid -- Time differs from server time by more than 5 seconds",
        ));
    }
    if r.key_version.map(str::trim) != Some("2") {
        return Err(e(
            code::PASSPHRASE_INCORRECT,
            "KC-API-KEY-VERSION must be 2 for this key",
        ));
    }
    let pass_sig = hmac_b64(rec.secret, &[rec.passphrase.as_bytes()])
        .ok_or_else(|| e(code::KEY_NOT_FOUND, "KC-API-KEY not exists"))?;
    if !b64_matches(&pass_sig, pass) {
        return Err(e(code::PASSPHRASE_INCORRECT, "KC-API-PASSPHRASE error"));
    }
    let expected = hmac_b64(rec.secret, &[&pre_sign_text(r, ts.trim())])
        .ok_or_else(|| e(code::KEY_NOT_FOUND, "KC-API-KEY not exists"))?;
    if !b64_matches(&expected, sign) {
        return Err(e(code::INVALID_SIGN, "Signature verification failed"));
    }
    Ok(rec.account)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// KuCoin publishes no signed vector: these were computed with `openssl dgst -sha256 -hmac
    /// kucoin-test-secret -binary | base64` over the documented pre-sign text.
    #[test]
    fn accepts_the_openssl_vectors_and_refuses_any_change() {
        let rec = KeyRecord {
            account: 3,
            secret: "kucoin-test-secret",
            passphrase: "my-passphrase",
        };
        let r = Received {
            method: "GET",
            path: "/api/v1/deposit-addresses",
            query: "currency=BTC",
            body: b"",
            key: Some("k"),
            timestamp: Some("1547015186532"),
            sign: Some("qEp/fCvgBM9Vpo3A5pEOGTgJesdZdZp2VFFhSd2XMhg="),
            passphrase: Some("EcJTb1CX/uRsJ9TSYHBxNI4vwK6raXJLo1YxD0wCBG4="),
            key_version: Some("2"),
        };
        assert_eq!(verify_rest(&r, 1_547_015_187_000, |_| Some(rec)), Ok(3));
        let changed = Received {
            query: "currency=ETH",
            ..r
        };
        assert_eq!(
            verify_rest(&changed, 1_547_015_187_000, |_| Some(rec))
                .unwrap_err()
                .code,
            code::INVALID_SIGN
        );
        assert_eq!(
            verify_rest(&r, 1_547_015_199_000, |_| Some(rec))
                .unwrap_err()
                .code,
            code::INVALID_TIMESTAMP
        );
        let wrong_pass = KeyRecord {
            passphrase: "other",
            ..rec
        };
        assert_eq!(
            verify_rest(&r, 1_547_015_187_000, |_| Some(wrong_pass))
                .unwrap_err()
                .code,
            code::PASSPHRASE_INCORRECT
        );
        assert_eq!(
            verify_rest(&r, 1_547_015_187_000, |_| None)
                .unwrap_err()
                .code,
            code::KEY_NOT_FOUND
        );
        let post = Received {
            method: "POST",
            path: "/api/v1/orders",
            query: "",
            body: br#"{"clientOid":"5c52e11203aa677f33e493fb","side":"buy","symbol":"BTC-USDT","type":"limit","price":"10000","size":"0.001"}"#,
            sign: Some("Qk7bFjZprOWEXTLN4leXD0KihH6JGClZlrZDMoErev0="),
            ..r
        };
        assert_eq!(verify_rest(&post, 1_547_015_186_532, |_| Some(rec)), Ok(3));
    }
}
