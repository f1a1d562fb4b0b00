//! Binance's error codes and what they mean: the table [`classify`] that turns an error body's
//! code into the framework's [`ApiErrorKind`] (authentication, timestamp, rate limit, unknown
//! symbol or order, insufficient balance, a trading rule), and the codes the connector reacts to.

use crate::cex::error::ApiErrorKind;

/// Error codes the connector reacts to.
pub mod code {
    pub const TOO_MANY_REQUESTS: i64 = -1003;
    /// "Too many new orders" (the ORDERS limit).
    pub const TOO_MANY_ORDERS: i64 = -1015;
    pub const TIMESTAMP_OUTSIDE_RECV_WINDOW: i64 = -1021;
    pub const INVALID_SIGNATURE: i64 = -1022;
    /// A filter (`PRICE_FILTER`, `LOT_SIZE`, `MIN_NOTIONAL`, …) refused the order.
    pub const FILTER_FAILURE: i64 = -1013;
    pub const BAD_SYMBOL: i64 = -1121;
    pub const NEW_ORDER_REJECTED: i64 = -2010;
    pub const CANCEL_REJECTED: i64 = -2011;
    pub const NO_SUCH_ORDER: i64 = -2013;
    /// "API-key format invalid."
    pub const BAD_API_KEY_FORMAT: i64 = -2014;
    /// "Invalid API-key, IP, or permissions for action."
    pub const REJECTED_MBX_KEY: i64 = -2015;
    /// `UNSUPPORTED_OPERATION`: what the WebSocket API answers for a method it does not serve.
    pub const UNSUPPORTED_OPERATION: i64 = -1020;
    /// `INVALID_LISTEN_KEY`: "This listenKey does not exist." (expired or closed).
    pub const INVALID_LISTEN_KEY: i64 = -1125;
}

/// What a Binance error means. `-2010` is split by its message: Binance reports a lack of funds
/// as "Account has insufficient balance for requested action." and a post-only order that would
/// cross as "Order would immediately match and take.".
pub fn classify(status: u16, code: i64, msg: &str) -> ApiErrorKind {
    match code {
        code::INVALID_SIGNATURE | code::BAD_API_KEY_FORMAT | code::REJECTED_MBX_KEY => {
            ApiErrorKind::Authentication
        }
        code::TIMESTAMP_OUTSIDE_RECV_WINDOW => ApiErrorKind::Timestamp,
        code::TOO_MANY_REQUESTS | code::TOO_MANY_ORDERS => ApiErrorKind::RateLimited,
        code::BAD_SYMBOL => ApiErrorKind::UnknownSymbol,
        code::NO_SUCH_ORDER => ApiErrorKind::UnknownOrder,
        code::FILTER_FAILURE => ApiErrorKind::RejectedByRule,
        code::NEW_ORDER_REJECTED if msg.to_ascii_lowercase().contains("insufficient balance") => {
            ApiErrorKind::InsufficientBalance
        }
        code::NEW_ORDER_REJECTED if msg.contains("immediately match") => {
            ApiErrorKind::RejectedByRule
        }
        _ if status == 401 || status == 403 => ApiErrorKind::Authentication,
        _ => ApiErrorKind::Rejected,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_typed_errors() {
        let k = |status, code, msg| classify(status, code, msg);
        assert_eq!(k(400, -1022, ""), ApiErrorKind::Authentication);
        assert_eq!(k(401, -2015, ""), ApiErrorKind::Authentication);
        assert_eq!(k(401, -9999, ""), ApiErrorKind::Authentication);
        assert_eq!(k(400, -1021, ""), ApiErrorKind::Timestamp);
        assert_eq!(k(429, -1003, ""), ApiErrorKind::RateLimited);
        assert_eq!(
            k(400, -1121, "Invalid symbol."),
            ApiErrorKind::UnknownSymbol
        );
        assert_eq!(k(400, -2013, ""), ApiErrorKind::UnknownOrder);
        assert_eq!(
            k(400, -1013, "Filter failure: LOT_SIZE"),
            ApiErrorKind::RejectedByRule
        );
        assert_eq!(
            k(
                400,
                -2010,
                "Account has insufficient balance for requested action."
            ),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(
            k(400, -2010, "Order would immediately match and take."),
            ApiErrorKind::RejectedByRule
        );
        assert_eq!(k(400, -2011, "Unknown order sent."), ApiErrorKind::Rejected);
    }
}
