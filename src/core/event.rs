//! Venue events: what a connector tells its consumers, in order.

use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;

use super::{Balance, ClientOrderId, Fill, FundingPayment, OrderState, Pair, Position};

/// What a chain venue knows of a transaction it sent for an order (a swap, an approval, a replacement).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxInfo {
    pub chain: String,
    pub hash: String,
    pub from: String,
    pub nonce: u64,
    /// The order it serves, if any (approvals serve none).
    pub client_id: Option<ClientOrderId>,
    pub status: TxState,
    pub gas_used: Option<u64>,
    /// Wei per gas, as a decimal integer string.
    pub effective_gas_price: Option<String>,
    /// Gas used × effective price, in whole units of the native asset.
    pub fee_native: Option<Decimal>,
    pub native_asset: String,
    pub block: Option<u64>,
}

/// Where a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TxState {
    /// Broadcast, not yet mined.
    Pending,
    Mined,
    Reverted,
    /// Gone from the pool without being mined.
    Dropped,
    /// Superseded by another transaction with the same nonce.
    Replaced,
}

impl TxState {
    pub fn as_str(self) -> &'static str {
        match self {
            TxState::Pending => "pending",
            TxState::Mined => "mined",
            TxState::Reverted => "reverted",
            TxState::Dropped => "dropped",
            TxState::Replaced => "replaced",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Mined,
            Self::Reverted,
            Self::Dropped,
            Self::Replaced,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether the transaction's fate is settled.
    pub fn is_final(self) -> bool {
        !matches!(self, TxState::Pending)
    }
}

/// Something that happened at a venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum VenueEvent {
    /// An order changed state (accepted, partially filled, filled, cancelled, failed, unknown).
    Order {
        client_id: ClientOrderId,
        venue_order_id: Option<String>,
        state: OrderState,
        reason: Option<String>,
    },
    Fill(Fill),
    Balance(Balance),
    /// A funding settlement on a perpetual position (counted once by its id).
    Funding(FundingPayment),
    /// A perpetual position changed (size, entry, margin); the venue's view after the change.
    Position(Box<Position>),
    /// A chain venue sent or followed a transaction (hash, nonce, status, gas).
    Transaction(TxInfo),
    /// The order book of a pair changed.
    BookChanged {
        pair: Pair,
    },
    /// An AMM pool's state changed (new block or pool event).
    PoolChanged {
        pair: Pair,
        block: u64,
    },
    /// A stream or node connection was lost; data may be stale until `Resynced`.
    ConnectionLost {
        reason: String,
    },
    /// Data is consistent again after a reconnect or a gap.
    Resynced {
        what: String,
    },
}
