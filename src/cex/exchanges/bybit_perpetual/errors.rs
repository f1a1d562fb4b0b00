//! Bybit v5 `retCode`s and what they mean: [`classify`] turns a response's code into the
//! framework's [`ApiErrorKind`]; the codes the connector and the simulator share are named in
//! [`code`]. Codes from Bybit's v5 error-code table.

use crate::cex::error::ApiErrorKind;

/// Bybit v5 return codes.
pub mod code {
    /// Success.
    pub const OK: i64 = 0;
    /// "Params error" (a missing or invalid parameter, an unknown symbol among them).
    pub const PARAMS_ERROR: i64 = 10001;
    /// The request's timestamp is outside `recv_window` of the server time.
    pub const TIMESTAMP_WINDOW: i64 = 10002;
    /// "API key is invalid."
    pub const INVALID_API_KEY: i64 = 10003;
    /// "Error sign, please check your signature generation algorithm."
    pub const INVALID_SIGN: i64 = 10004;
    /// "Permission denied, please check your API key permissions."
    pub const PERMISSION_DENIED: i64 = 10005;
    /// "Too many visits!": the per-UID, per-endpoint rate limit.
    pub const TOO_MANY_VISITS: i64 = 10006;
    /// "Internal system error."
    pub const INTERNAL_ERROR: i64 = 10016;
    /// "Order does not exist."
    pub const ORDER_NOT_EXISTS: i64 = 110001;
    /// "Order price exceeds the allowable range."
    pub const PRICE_OUT_OF_RANGE: i64 = 110003;
    /// "Available balance is insufficient" (the order's margin).
    pub const INSUFFICIENT_BALANCE: i64 = 110007;
    /// "The order has been filled or cancelled."
    pub const ORDER_FINISHED: i64 = 110008;
    /// "Reduce-only rule not satisfied."
    pub const REDUCE_ONLY_RULE: i64 = 110017;
    /// "Position mode is not modified."
    pub const POSITION_MODE_NOT_MODIFIED: i64 = 110025;
    /// "Set leverage not modified."
    pub const LEVERAGE_NOT_MODIFIED: i64 = 110043;
    /// "Duplicate orderLinkId."
    pub const DUPLICATE_ORDER_LINK_ID: i64 = 110072;
    /// "The quantity is below the minimum or not a multiple of qtyStep."
    pub const QTY_INVALID: i64 = 110094;
    /// "Not supported symbols" / the symbol is not trading.
    pub const SYMBOL_INVALID: i64 = 10029;
    /// "The position is in the same position side" (post-only would take, among others).
    pub const POST_ONLY_WOULD_TAKE: i64 = 110013;
}

/// What a `retCode` means.
pub fn classify(status: u16, ret_code: i64, msg: &str) -> ApiErrorKind {
    match ret_code {
        code::INVALID_API_KEY | code::INVALID_SIGN | code::PERMISSION_DENIED => {
            ApiErrorKind::Authentication
        }
        code::TIMESTAMP_WINDOW => ApiErrorKind::Timestamp,
        code::TOO_MANY_VISITS => ApiErrorKind::RateLimited,
        code::INSUFFICIENT_BALANCE => ApiErrorKind::InsufficientBalance,
        code::ORDER_NOT_EXISTS => ApiErrorKind::UnknownOrder,
        code::SYMBOL_INVALID => ApiErrorKind::UnknownSymbol,
        code::PARAMS_ERROR if msg.to_ascii_lowercase().contains("symbol") => {
            ApiErrorKind::UnknownSymbol
        }
        code::PRICE_OUT_OF_RANGE
        | code::REDUCE_ONLY_RULE
        | code::QTY_INVALID
        | code::POST_ONLY_WOULD_TAKE
        | code::DUPLICATE_ORDER_LINK_ID => ApiErrorKind::RejectedByRule,
        _ => match status {
            401 | 403 => ApiErrorKind::Authentication,
            _ => ApiErrorKind::Rejected,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_codes_map_to_kinds() {
        assert_eq!(classify(200, 10003, ""), ApiErrorKind::Authentication);
        assert_eq!(classify(200, 10004, ""), ApiErrorKind::Authentication);
        assert_eq!(classify(200, 10002, ""), ApiErrorKind::Timestamp);
        assert_eq!(
            classify(200, 10006, "Too many visits!"),
            ApiErrorKind::RateLimited
        );
        assert_eq!(classify(200, 110007, ""), ApiErrorKind::InsufficientBalance);
        assert_eq!(classify(200, 110001, ""), ApiErrorKind::UnknownOrder);
        assert_eq!(
            classify(200, 10001, "params error: symbol invalid"),
            ApiErrorKind::UnknownSymbol
        );
        assert_eq!(classify(200, 10001, "qty invalid"), ApiErrorKind::Rejected);
        assert_eq!(classify(200, 110017, ""), ApiErrorKind::RejectedByRule);
        assert_eq!(classify(401, 99999, ""), ApiErrorKind::Authentication);
        assert_eq!(classify(200, 99999, ""), ApiErrorKind::Rejected);
    }
}
