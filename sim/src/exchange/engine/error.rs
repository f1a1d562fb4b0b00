//! Why the engine refused an operation, in the engine's own terms. A dialect maps each case to its
//! exchange's HTTP status, error code and message (`dialects::binance::error` for Binance); the
//! engine knows no exchange's codes.

use super::spec::NotionalFilter;

/// A listed symbol's rule that an order broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// The price is off the tick grid or outside the price bounds.
    Price,
    /// The quantity is off the step grid or outside the quantity bounds.
    Quantity,
    /// The notional (price × quantity) is outside the symbol's bounds, checked in this style.
    Notional(NotionalFilter),
}

/// What the engine was doing when it did not find an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Place,
    Cancel,
    Query,
}

/// An operation the engine refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    #[error("the symbol is not listed")]
    UnknownSymbol,
    #[error("no such account")]
    UnknownAccount,
    #[error("filter failure: {0:?}")]
    Filter(Filter),
    #[error("an open order of this account already has this client id")]
    DuplicateClientId,
    #[error("a maker-only order would immediately match and take")]
    WouldTake,
    #[error("a market order needs a base or a quote quantity")]
    NoQuantity,
    #[error("the account's free balance is short of what the order locks")]
    InsufficientBalance,
    #[error("the book is empty on the side a quote-sized market order takes")]
    NoLiquidity,
    #[error("the book's liquidity is less than the symbol's minimum quantity")]
    LiquidityBelowMinQuantity,
    #[error("no such order ({0:?})")]
    UnknownOrder(Operation),
    #[error("the new tick size must divide the current one")]
    BadTickSize,
}

/// Which rate limit a request or an order breached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Breach {
    /// Requests keep coming after repeated rejections: refused until `until_ms`.
    Banned { until_ms: u64 },
    /// Raw request count per 5 minutes.
    RawRequests { limit: u64 },
    /// Request weight per minute.
    RequestWeight { limit: u64 },
    /// Unfilled orders of one account per window.
    Orders { limit: u64, window: OrderWindow },
}

/// The windows of the unfilled-order count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderWindow {
    TenSeconds,
    Day,
}

/// A rate-limit rejection: what was breached and the seconds until a retry may pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejection {
    pub breach: Breach,
    pub retry_after_secs: u64,
}
