//! Binance request authentication as the exchange checks it: HMAC-SHA256 hex signatures over the
//! REST `totalParams` (query string then body, concatenated with no separator, the `signature`
//! pair left out) or over the WebSocket API's alphabetically sorted `key=value&...` parameters,
//! and the `timestamp` / `recvWindow` timing rule.

use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use sha2::Sha256;

use super::error::ApiError;
use crate::exchange::engine::account::AccountKey;

type HmacSha256 = Hmac<Sha256>;

/// Default `recvWindow` (ms) when the request sends none.
pub const DEFAULT_RECV_WINDOW_MS: u64 = 5_000;
/// Largest `recvWindow` (ms) Binance accepts.
pub const MAX_RECV_WINDOW_MS: u64 = 60_000;

/// Hex HMAC-SHA256 of `payload` under `secret` (lower case), Binance's HMAC signature.
pub fn hmac_sha256_hex(secret: &[u8], payload: &[u8]) -> String {
    // HMAC takes keys of any length: `new_from_slice` never fails for it.
    match HmacSha256::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(payload);
            hex::encode(mac.finalize().into_bytes())
        }
        Err(_) => String::new(),
    }
}

/// Checks a hex HMAC-SHA256 signature in constant time; hex case does not matter (Binance: HMAC
/// signatures are not case-sensitive).
pub fn verify_hmac_hex(secret: &[u8], payload: &[u8], signature: &str) -> bool {
    let Ok(sig) = hex::decode(signature) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(payload);
    mac.verify_slice(&sig).is_ok()
}

/// Verifies a base64 Ed25519 signature (Binance Ed25519 keys; case-sensitive).
pub fn verify_ed25519_base64(
    key: &ed25519_dalek::VerifyingKey,
    payload: &[u8],
    signature: &str,
) -> bool {
    use base64::Engine;
    let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(signature) else {
        return false;
    };
    let Ok(sig) = ed25519_dalek::Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify_strict(payload, &sig).is_ok()
}

/// Splits a raw REST request into the signed payload (`totalParams`) and the `signature` value.
///
/// `totalParams` is the query string concatenated to the body with no separator (catalog §2.1,
/// example 3); the `signature=...` pair is removed from whichever part carries it (the query's
/// one wins if both do), keeping every other pair byte for byte as it was sent.
pub fn split_signature(query: &str, body: &str) -> (String, Option<String>) {
    let (query_rest, query_sig) = strip_signature(query);
    let (body_rest, body_sig) = strip_signature(body);
    (format!("{query_rest}{body_rest}"), query_sig.or(body_sig))
}

fn strip_signature(part: &str) -> (String, Option<String>) {
    if part.is_empty() {
        return (String::new(), None);
    }
    let mut signature = None;
    let kept: Vec<&str> = part
        .split('&')
        .filter(|pair| match pair.strip_prefix("signature=") {
            Some(value) => {
                if signature.is_none() {
                    signature = Some(value.to_string());
                }
                false
            }
            None => true,
        })
        .collect();
    (kept.join("&"), signature)
}

/// The WebSocket API signature payload: every parameter except `signature`, sorted by name,
/// formatted `name=value` (strings unquoted, UTF-8 as is) and joined with `&`.
pub fn ws_api_payload(params: &serde_json::Map<String, serde_json::Value>) -> String {
    let mut pairs: Vec<(&String, String)> = params
        .iter()
        .filter(|(k, _)| k.as_str() != "signature")
        .map(|(k, v)| (k, json_param_text(v)))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A JSON parameter value as text: strings without quotes, everything else as its JSON literal.
pub fn json_param_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses a `timestamp` (milliseconds, or microseconds when it has 16+ digits) into microseconds.
pub fn parse_timestamp_us(raw: &str) -> Result<u64, ApiError> {
    let value: u64 = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::mandatory("timestamp"))?;
    if value >= 10_u64.pow(14) {
        Ok(value)
    } else {
        value
            .checked_mul(1_000)
            .ok_or_else(|| ApiError::mandatory("timestamp"))
    }
}

/// Parses `recvWindow` (milliseconds, up to three decimals) into microseconds; at most 60000 ms.
pub fn parse_recv_window_us(raw: Option<&str>) -> Result<u64, ApiError> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_RECV_WINDOW_MS * 1_000);
    };
    let ms: Decimal = raw
        .trim()
        .parse()
        .map_err(|_| ApiError::mandatory("recvWindow"))?;
    if ms.is_sign_negative() || ms.scale() > 3 {
        return Err(ApiError::mandatory("recvWindow"));
    }
    if ms > Decimal::from(MAX_RECV_WINDOW_MS) {
        return Err(ApiError::greater_than("recvWindow", "60000"));
    }
    (ms * Decimal::from(1_000))
        .trunc()
        .to_u64()
        .ok_or_else(|| ApiError::mandatory("recvWindow"))
}

/// Binance's timing rule: accept when `timestamp < serverTime + 1 s` and
/// `serverTime - timestamp <= recvWindow`.
pub fn check_timing(
    timestamp_us: u64,
    recv_window_us: u64,
    server_time_us: u64,
) -> Result<(), ApiError> {
    if timestamp_us >= server_time_us.saturating_add(1_000_000) {
        return Err(ApiError::ahead_of_server());
    }
    if server_time_us.saturating_sub(timestamp_us) > recv_window_us {
        return Err(ApiError::outside_recv_window());
    }
    Ok(())
}

/// Verifies `signature` over `payload` with an account's key by Binance's recipe: HMAC-SHA256 hex
/// or Ed25519 base64. `url_encoded` is set for REST, where an Ed25519 (base64) signature arrives
/// percent-encoded.
pub fn verify(key: &AccountKey, payload: &[u8], signature: &str, url_encoded: bool) -> bool {
    match key {
        AccountKey::Hmac(secret) => verify_hmac_hex(secret.as_bytes(), payload, signature),
        AccountKey::Ed25519(key) => {
            let decoded = if url_encoded {
                url::form_urlencoded::parse(format!("s={signature}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            } else {
                signature.to_string()
            };
            verify_ed25519_base64(key, payload, &decoded)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";

    #[test]
    fn documented_rest_examples_verify() {
        // Catalog §2.1, examples 1/2: every parameter in the query string (or every one in the body).
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert_eq!(hmac_sha256_hex(SECRET.as_bytes(), query.as_bytes()), sig);
        let signed_query = format!("{query}&signature={sig}");
        let (payload, got) = split_signature(&signed_query, "");
        assert_eq!(payload, query);
        assert_eq!(got.as_deref(), Some(sig));
        assert!(verify_hmac_hex(SECRET.as_bytes(), payload.as_bytes(), sig));
        let (payload, got) = split_signature("", &signed_query);
        assert!(verify_hmac_hex(
            SECRET.as_bytes(),
            payload.as_bytes(),
            &got.unwrap()
        ));
    }

    #[test]
    fn documented_mixed_query_and_body_example_verifies() {
        // Catalog §2.1, example 3: totalParams = query + body with no '&' between them.
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC";
        let body = "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559&signature=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77";
        let (payload, sig) = split_signature(query, body);
        assert_eq!(
            payload,
            "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTCquantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
        );
        assert!(verify_hmac_hex(
            SECRET.as_bytes(),
            payload.as_bytes(),
            &sig.unwrap()
        ));
    }

    #[test]
    fn documented_percent_encoded_unicode_example_verifies() {
        let query = "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3";
        assert_eq!(hmac_sha256_hex(SECRET.as_bytes(), query.as_bytes()), sig);
        // HMAC signatures are case-insensitive.
        assert!(verify_hmac_hex(
            SECRET.as_bytes(),
            query.as_bytes(),
            &sig.to_uppercase()
        ));
    }

    #[test]
    fn documented_ws_api_example_verifies() {
        // web-socket-api.md, "SIGNED request example (HMAC)", ASCII example.
        let params = serde_json::json!({
            "symbol": "BTCUSDT", "side": "SELL", "type": "LIMIT", "timeInForce": "GTC",
            "quantity": "0.01000000", "price": "52000.00", "recvWindow": 100,
            "timestamp": 1645423376532_u64,
            "apiKey": "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A",
            "signature": "ignored"
        });
        let payload = ws_api_payload(params.as_object().unwrap());
        assert_eq!(
            payload,
            "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&price=52000.00&quantity=0.01000000&recvWindow=100&side=SELL&symbol=BTCUSDT&timeInForce=GTC&timestamp=1645423376532&type=LIMIT"
        );
        assert_eq!(
            hmac_sha256_hex(SECRET.as_bytes(), payload.as_bytes()),
            "aa1b5712c094bc4e57c05a1a5c1fd8d88dcd628338ea863fec7b88e59fe2db24"
        );
    }

    #[test]
    fn wrong_secret_and_tampered_payload_fail() {
        let query = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let sig = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        assert!(!verify_hmac_hex(b"wrong", query.as_bytes(), sig));
        let tampered = query.replace("quantity=1", "quantity=2");
        assert!(!verify_hmac_hex(
            SECRET.as_bytes(),
            tampered.as_bytes(),
            sig
        ));
        assert!(!verify_hmac_hex(
            SECRET.as_bytes(),
            query.as_bytes(),
            "not-hex"
        ));
    }

    #[test]
    fn timing_rule_matches_binance() {
        let now = 1_700_000_000_000_000;
        let rw = parse_recv_window_us(None).unwrap();
        assert_eq!(rw, 5_000_000);
        assert!(check_timing(now - 5_000_000, rw, now).is_ok());
        assert_eq!(
            check_timing(now - 5_000_001, rw, now).unwrap_err().code,
            -1021
        );
        assert!(check_timing(now + 999_999, rw, now).is_ok());
        let ahead = check_timing(now + 1_000_000, rw, now).unwrap_err();
        assert!(ahead.msg.contains("ahead"));
        assert_eq!(parse_recv_window_us(Some("60001")).unwrap_err().code, -1102);
        assert_eq!(parse_recv_window_us(Some("6000.346")).unwrap(), 6_000_346);
        assert_eq!(
            parse_timestamp_us("1499827319559").unwrap(),
            1_499_827_319_559_000
        );
        assert_eq!(
            parse_timestamp_us("1499827319559123").unwrap(),
            1_499_827_319_559_123
        );
    }
}
