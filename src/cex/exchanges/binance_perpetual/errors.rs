//! USDⓈ-M futures error codes: the futures-only codes first (margin, reduce-only, position side,
//! settings already in place), then Binance spot's table for the codes the two APIs share.

use crate::cex::error::ApiErrorKind;
use crate::cex::exchanges::binance::errors as spot;

/// Futures-only codes the connector reacts to.
pub mod code {
    /// "Margin is insufficient."
    pub const MARGIN_INSUFFICIENT: i64 = -2019;
    /// "ReduceOnly Order is rejected."
    pub const REDUCE_ONLY_REJECTED: i64 = -2022;
    /// "No need to change margin type."
    pub const NO_NEED_TO_CHANGE_MARGIN_TYPE: i64 = -4046;
    /// "No need to change position side."
    pub const NO_NEED_TO_CHANGE_POSITION_SIDE: i64 = -4059;
    /// "Order's position side does not match user's setting."
    pub const POSITION_SIDE_MISMATCH: i64 = -4061;
    /// The minimum notional of an order (`MIN_NOTIONAL`).
    pub const MIN_NOTIONAL: i64 = -4164;
}

/// What a futures error means.
pub fn classify(status: u16, code: i64, msg: &str) -> ApiErrorKind {
    match code {
        code::MARGIN_INSUFFICIENT => ApiErrorKind::InsufficientBalance,
        code::REDUCE_ONLY_REJECTED | code::POSITION_SIDE_MISMATCH | code::MIN_NOTIONAL => {
            ApiErrorKind::RejectedByRule
        }
        _ => spot::classify(status, code, msg),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn futures_codes_then_spot_codes() {
        assert_eq!(
            classify(400, -2019, "Margin is insufficient."),
            ApiErrorKind::InsufficientBalance
        );
        assert_eq!(classify(400, -2022, ""), ApiErrorKind::RejectedByRule);
        assert_eq!(classify(400, -4061, ""), ApiErrorKind::RejectedByRule);
        assert_eq!(classify(400, -4046, ""), ApiErrorKind::Rejected);
        assert_eq!(classify(400, -1022, ""), ApiErrorKind::Authentication);
        assert_eq!(classify(400, -2013, ""), ApiErrorKind::UnknownOrder);
        assert_eq!(classify(400, -1121, ""), ApiErrorKind::UnknownSymbol);
    }
}
