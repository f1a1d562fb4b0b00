//! Fills: one execution against an order, with its fee and the venue's trade id.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Asset, ClientOrderId, Pair, Side};

/// One execution. Unique by (venue, trade id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub venue: String,
    /// The venue's trade id (a transaction hash plus log index for a swap).
    pub trade_id: String,
    pub client_id: Option<ClientOrderId>,
    pub venue_order_id: Option<String>,
    pub pair: Pair,
    pub side: Side,
    pub price: Decimal,
    /// Base amount.
    pub amount: Decimal,
    /// What the venue charged on top of `price × amount`. For an AMM swap the pool fee is inside the
    /// price, and the fee is the transaction's gas in the chain's native asset.
    pub fee_asset: Asset,
    pub fee_amount: Decimal,
    pub is_maker: bool,
    pub timestamp_ms: u64,
}

impl Fill {
    /// Quote amount exchanged (before fees).
    pub fn notional(&self) -> Decimal {
        self.price * self.amount
    }
}
