//! OKX's error codes and what they mean: [`classify`] turns a response's `code` (or an order
//! item's `sCode`) into the framework's [`ApiErrorKind`] (authentication, timestamp, rate limit,
//! unknown instrument or order, insufficient balance, a trading rule), and the codes the
//! connector and the simulator share by name. Codes from the OKX v5 error-code table.

use crate::cex::error::ApiErrorKind;

/// OKX v5 error codes (`code` of a response, `sCode` of an order item).
pub mod code {
    /// Success.
    pub const OK: i64 = 0;
    /// "Operation failed" / "All operations failed": the item's `sCode` says why.
    pub const OPERATION_FAILED: i64 = 1;
    /// "Bulk operation partially succeeded."
    pub const PARTIALLY_SUCCEEDED: i64 = 2;
    /// "Too Many Requests" (HTTP 429).
    pub const RATE_LIMITED: i64 = 50011;
    /// "Timestamp request expired."
    pub const TIMESTAMP_EXPIRED: i64 = 50102;
    /// Request header `OK-ACCESS-KEY` cannot be empty.
    pub const KEY_MISSING: i64 = 50103;
    /// Request header `OK-ACCESS-PASSPHRASE` cannot be empty.
    pub const PASSPHRASE_MISSING: i64 = 50104;
    /// Request header `OK-ACCESS-PASSPHRASE` incorrect.
    pub const PASSPHRASE_INCORRECT: i64 = 50105;
    /// Request header `OK-ACCESS-SIGN` cannot be empty.
    pub const SIGN_MISSING: i64 = 50106;
    /// Request header `OK-ACCESS-TIMESTAMP` cannot be empty.
    pub const TIMESTAMP_MISSING: i64 = 50107;
    /// Invalid `OK-ACCESS-KEY`.
    pub const INVALID_KEY: i64 = 50111;
    /// Invalid `OK-ACCESS-TIMESTAMP`.
    pub const INVALID_TIMESTAMP: i64 = 50112;
    /// Invalid signature.
    pub const INVALID_SIGN: i64 = 50113;
    /// Invalid authorization.
    pub const INVALID_AUTHORIZATION: i64 = 50114;
    /// Parameter error.
    pub const PARAMETER_ERROR: i64 = 51000;
    /// Instrument ID does not exist.
    pub const INSTRUMENT_NOT_FOUND: i64 = 51001;
    /// Order price is not within the price limit.
    pub const PRICE_OUT_OF_LIMIT: i64 = 51006;
    /// Order failed: insufficient balance.
    pub const INSUFFICIENT_BALANCE: i64 = 51008;
    /// Duplicated `clOrdId`.
    pub const DUPLICATE_CLIENT_ID: i64 = 51016;
    /// A post-only order would take liquidity.
    pub const POST_ONLY_WOULD_TAKE: i64 = 51019;
    /// Order amount below the instrument's minimum.
    pub const BELOW_MIN_SIZE: i64 = 51020;
    /// Order quantity is not a multiple of the lot size.
    pub const NOT_LOT_MULTIPLE: i64 = 51121;
    /// Cancellation failed: the order was filled, canceled or does not exist.
    pub const CANCEL_FAILED: i64 = 51400;
    /// Order does not exist.
    pub const ORDER_NOT_FOUND: i64 = 51603;
    /// WebSocket: invalid timestamp at login.
    pub const WS_INVALID_TIMESTAMP: i64 = 60004;
    /// WebSocket: invalid `apiKey` at login.
    pub const WS_INVALID_KEY: i64 = 60005;
    /// WebSocket: invalid sign at login.
    pub const WS_INVALID_SIGN: i64 = 60007;
    /// WebSocket: login failed.
    pub const WS_LOGIN_FAILED: i64 = 60009;
    /// WebSocket: please log in (a private channel before login).
    pub const WS_NOT_LOGGED_IN: i64 = 60011;
    /// WebSocket: invalid request.
    pub const WS_INVALID_REQUEST: i64 = 60012;
    /// WebSocket: wrong URL or channel does not exist.
    pub const WS_NO_CHANNEL: i64 = 60018;
    /// WebSocket: wrong passphrase.
    pub const WS_WRONG_PASSPHRASE: i64 = 60024;
}

/// What an OKX error means. HTTP 401 is authentication whatever the code; 429 a rate limit.
pub fn classify(status: u16, code: i64, _msg: &str) -> ApiErrorKind {
    use code::*;
    match code {
        RATE_LIMITED => ApiErrorKind::RateLimited,
        TIMESTAMP_EXPIRED | INVALID_TIMESTAMP | WS_INVALID_TIMESTAMP => ApiErrorKind::Timestamp,
        KEY_MISSING
        | PASSPHRASE_MISSING
        | PASSPHRASE_INCORRECT
        | SIGN_MISSING
        | TIMESTAMP_MISSING
        | INVALID_KEY
        | INVALID_SIGN
        | INVALID_AUTHORIZATION
        | 50100..=50101
        | 50110
        | WS_INVALID_KEY
        | WS_INVALID_SIGN
        | WS_LOGIN_FAILED
        | WS_WRONG_PASSPHRASE => ApiErrorKind::Authentication,
        INSTRUMENT_NOT_FOUND => ApiErrorKind::UnknownSymbol,
        ORDER_NOT_FOUND => ApiErrorKind::UnknownOrder,
        INSUFFICIENT_BALANCE => ApiErrorKind::InsufficientBalance,
        PRICE_OUT_OF_LIMIT | POST_ONLY_WOULD_TAKE | BELOW_MIN_SIZE | NOT_LOT_MULTIPLE => {
            ApiErrorKind::RejectedByRule
        }
        _ if status == 401 || status == 403 => ApiErrorKind::Authentication,
        _ if status == 429 => ApiErrorKind::RateLimited,
        _ => ApiErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_typed_errors() {
        let k = |status, code| classify(status, code, "");
        assert_eq!(k(200, 51008), ApiErrorKind::InsufficientBalance);
        assert_eq!(k(200, 51001), ApiErrorKind::UnknownSymbol);
        assert_eq!(k(400, 51001), ApiErrorKind::UnknownSymbol);
        assert_eq!(k(429, 50011), ApiErrorKind::RateLimited);
        for c in [50111, 50112, 50113] {
            assert_ne!(k(401, c), ApiErrorKind::Rejected, "{c}");
        }
        assert_eq!(k(401, 50111), ApiErrorKind::Authentication);
        assert_eq!(k(401, 50113), ApiErrorKind::Authentication);
        assert_eq!(k(401, 50112), ApiErrorKind::Timestamp);
        assert_eq!(k(401, 50102), ApiErrorKind::Timestamp);
        assert_eq!(k(200, 51603), ApiErrorKind::UnknownOrder);
        assert_eq!(k(200, 51019), ApiErrorKind::RejectedByRule);
        assert_eq!(k(200, 51121), ApiErrorKind::RejectedByRule);
        // a cancel of a closed order is a refusal, not "no such order"
        assert_eq!(k(200, 51400), ApiErrorKind::Rejected);
        assert_eq!(k(401, 99999), ApiErrorKind::Authentication);
        assert_eq!(k(200, 51000), ApiErrorKind::Rejected);
    }
}
