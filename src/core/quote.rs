//! Quotes: what trading a given size would actually cost at a venue, fees (and gas) included.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Asset, Pair, Side};

/// Ask a venue for the executable price of `base_amount` of `pair` on `side`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuoteRequest {
    pub pair: Pair,
    pub side: Side,
    pub base_amount: Decimal,
}

/// Gas a chain venue would spend, in the chain's native asset and, when a price is known, in the
/// pair's quote asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GasCost {
    pub gas_units: u64,
    pub native_asset: Asset,
    pub native_amount: Decimal,
    pub quote_amount: Option<Decimal>,
}

/// An executable quote for a size.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quote {
    pub venue: String,
    pub pair: Pair,
    pub side: Side,
    pub base_amount: Decimal,
    /// Quote asset paid (buy) or received (sell), fees included.
    pub quote_amount: Decimal,
    /// `quote_amount / base_amount`: fees included.
    pub average_price: Decimal,
    /// Price of the last unit (the deepest level touched, or the pool price after the swap).
    pub worst_price: Decimal,
    pub fee_asset: Asset,
    pub fee_amount: Decimal,
    pub gas: Option<GasCost>,
}

impl Quote {
    /// Quote amount including gas converted to the quote asset: what a buy really costs, or what a
    /// sell really yields.
    pub fn net_quote_amount(&self) -> Decimal {
        let gas = self
            .gas
            .as_ref()
            .and_then(|g| g.quote_amount)
            .unwrap_or_default();
        match self.side {
            Side::Buy => self.quote_amount + gas,
            Side::Sell => self.quote_amount - gas,
        }
    }
}
