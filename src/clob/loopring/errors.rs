//! Loopring's refusals → the typed errors, and the HTTP side of the API (the protocol the
//! framework's REST client asks for). Every endpoint refuses with
//! `{"resultInfo":{"code":N,"message":…}}`; the code says why. The codes below are the ones sluice
//! reads (the simulator answers with the same); any other is a plain refusal.

use std::time::Duration;

use serde::Deserialize;

use crate::cex::error::ApiErrorKind;
use crate::cex::http::HttpProtocol;
use crate::cex::rate_limit::{RateLimit, RateLimiter};

/// `resultInfo` codes.
pub mod code {
    /// A parameter is missing or malformed.
    pub const INVALID_ARGUMENT: i64 = 100_001;
    /// The `X-API-KEY` header is missing.
    pub const EMPTY_API_KEY: i64 = 104_001;
    /// The API key is not the account's.
    pub const INVALID_API_KEY: i64 = 104_002;
    /// The `X-API-SIG` signature does not verify against the account's L2 key.
    pub const INVALID_SIGNATURE: i64 = 104_003;
    /// The account does not exist.
    pub const NO_ACCOUNT: i64 = 101_002;
    /// The order's `eddsaSignature` does not verify against the account's L2 key.
    pub const INVALID_ORDER_SIGNATURE: i64 = 102_010;
    /// The market does not exist.
    pub const UNKNOWN_MARKET: i64 = 102_011;
    /// The token does not exist.
    pub const UNKNOWN_TOKEN: i64 = 102_012;
    /// The order's amounts are outside the token's order limits.
    pub const AMOUNT_OUT_OF_RANGE: i64 = 102_014;
    /// The account's balance does not cover the order.
    pub const INSUFFICIENT_BALANCE: i64 = 102_020;
    /// The storage id was used or is not the next one.
    pub const INVALID_STORAGE_ID: i64 = 102_021;
    /// A `clientOrderId` already used by the account.
    pub const DUPLICATED_ORDER: i64 = 102_024;
    /// No such order.
    pub const ORDER_NOT_FOUND: i64 = 107_003;
    /// The order is no longer open.
    pub const ORDER_NOT_OPEN: i64 = 107_004;
}

/// The kind of a refusal with `code` (HTTP `status`).
pub fn classify(status: u16, code: i64) -> ApiErrorKind {
    use self::code::*;
    match code {
        EMPTY_API_KEY | INVALID_API_KEY | INVALID_SIGNATURE | INVALID_ORDER_SIGNATURE => {
            ApiErrorKind::Authentication
        }
        UNKNOWN_MARKET | UNKNOWN_TOKEN => ApiErrorKind::UnknownSymbol,
        INSUFFICIENT_BALANCE => ApiErrorKind::InsufficientBalance,
        ORDER_NOT_FOUND => ApiErrorKind::UnknownOrder,
        AMOUNT_OUT_OF_RANGE | INVALID_ARGUMENT => ApiErrorKind::RejectedByRule,
        _ if status == 401 || status == 403 => ApiErrorKind::Authentication,
        _ if status == 429 => ApiErrorKind::RateLimited,
        _ => ApiErrorKind::Rejected,
    }
}

/// The `resultInfo` of a refusal.
pub fn result_info(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Info {
        code: i64,
        #[serde(default)]
        message: String,
    }
    #[derive(Deserialize)]
    struct Body {
        #[serde(rename = "resultInfo")]
        result_info: Info,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    (b.result_info.code != 0).then_some((b.result_info.code, b.result_info.message))
}

/// Rate-limit counters.
pub mod limit {
    pub const REST: &str = "loopring:rest";
}

/// Loopring asked clients to stay under about 10 requests a second per IP.
pub fn default_limits() -> Vec<RateLimit> {
    vec![RateLimit::new(limit::REST, Duration::from_secs(1), 10)]
}

/// The HTTP side of Loopring's API v3.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoopringProtocol;

impl HttpProtocol for LoopringProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        result_info(body)
    }

    fn classify_error(&self, status: u16, code: i64, _msg: &str) -> ApiErrorKind {
        classify(status, code)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v3/timestamp"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::REST, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            timestamp: i64,
        }
        serde_json::from_slice::<T>(body).ok().map(|t| t.timestamp)
    }

    fn observe_headers(&self, _headers: &reqwest::header::HeaderMap, _limiter: &RateLimiter) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        use ApiErrorKind::*;
        for (status, c, kind) in [
            (401, code::INVALID_SIGNATURE, Authentication),
            (400, code::INVALID_ORDER_SIGNATURE, Authentication),
            (400, code::EMPTY_API_KEY, Authentication),
            (400, code::UNKNOWN_MARKET, UnknownSymbol),
            (400, code::INSUFFICIENT_BALANCE, InsufficientBalance),
            (400, code::ORDER_NOT_FOUND, UnknownOrder),
            (400, code::AMOUNT_OUT_OF_RANGE, RejectedByRule),
            (400, code::INVALID_STORAGE_ID, Rejected),
            (429, 0, RateLimited),
        ] {
            assert_eq!(classify(status, c), kind, "{status} {c}");
        }
        assert_eq!(
            result_info(br#"{"resultInfo":{"code":104003,"message":"bad sig"}}"#),
            Some((104_003, "bad sig".into()))
        );
        assert_eq!(result_info(br#"{"resultInfo":{"code":0}}"#), None);
        assert_eq!(result_info(b"<html>"), None);
    }
}
