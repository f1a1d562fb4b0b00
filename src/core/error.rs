//! Errors of the core domain layer.

use rust_decimal::Decimal;

/// An error raised by the core domain: parsing, unit conversion, or an illegal state change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoreError {
    #[error(
        "invalid asset symbol {0:?}: expected 1-20 characters of A-Z, a-z, 0-9, '.', '_' or '/'"
    )]
    InvalidAsset(String),
    #[error("invalid token id: {0}")]
    InvalidTokenId(String),
    #[error("invalid pair {0:?}: expected BASE-QUOTE, e.g. ETH-USDT")]
    InvalidPair(String),
    #[error("invalid side {0:?}: expected buy or sell")]
    InvalidSide(String),
    #[error("amount {amount} is negative")]
    NegativeAmount { amount: Decimal },
    #[error(
        "amount {amount} has more than {decimals} decimals and an exact conversion was asked for"
    )]
    LostPrecision { amount: Decimal, decimals: u8 },
    #[error("amount does not fit: {what}")]
    Overflow { what: String },
    #[error("token decimals {0} are out of range (at most 77 for a 256-bit amount)")]
    DecimalsOutOfRange(u8),
    #[error("order {id}: illegal transition {from:?} -> {to:?}")]
    IllegalTransition {
        id: String,
        from: super::OrderState,
        to: super::OrderState,
    },
    #[error(
        "order {id}: fill {trade_id} of {amount} would exceed the order amount {order_amount} (filled {filled})"
    )]
    Overfill {
        id: String,
        trade_id: String,
        amount: Decimal,
        filled: Decimal,
        order_amount: Decimal,
    },
    #[error("order {id}: fill {trade_id} is for another order")]
    FillMismatch { id: String, trade_id: String },
    #[error("invalid order request: {0}")]
    InvalidOrder(String),
    #[error("invalid client order id {0:?}: {1}")]
    InvalidClientOrderId(String, &'static str),
}
