//! dYdX v4's errors: a malformed market from the indexer, a price or size that does not fit a
//! market's grid, a message that does not parse or is not allowed, a transaction that cannot be
//! built. Each says what failed and with which input.

use rust_decimal::Decimal;
use thiserror::Error;

use crate::chain::cosmos::CosmosError;

#[derive(Debug, Error)]
pub enum DydxError {
    /// The indexer's `/v4/perpetualMarkets` answer, or one market in it, is malformed.
    #[error("perpetual market {market}: {problem}")]
    Market { market: String, problem: String },
    /// A price or size that is not a whole number of the market's steps (exact conversion).
    #[error("{what} {value} is not a multiple of the {ticker} {what} step {step}")]
    OffGrid {
        ticker: String,
        what: &'static str,
        value: Decimal,
        step: Decimal,
    },
    /// A price or size that is zero, negative, below one step after rounding, or too large.
    #[error("{what} {value} on {ticker}: {problem}")]
    OutOfRange {
        ticker: String,
        what: &'static str,
        value: String,
        problem: String,
    },
    /// A message that does not parse (proto-JSON, protobuf) or is not allowed.
    #[error("invalid message: {0}")]
    Message(String),
    /// The Cosmos layer (keys, coins, signing).
    #[error(transparent)]
    Cosmos(#[from] CosmosError),
}

impl DydxError {
    pub(crate) fn message(detail: impl Into<String>) -> Self {
        Self::Message(detail.into())
    }

    pub(crate) fn market(market: impl Into<String>, problem: impl Into<String>) -> Self {
        Self::Market {
            market: market.into(),
            problem: problem.into(),
        }
    }
}
