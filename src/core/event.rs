//! Venue events: what a connector tells its consumers, in order.

use serde::{Deserialize, Serialize};

use super::{Balance, ClientOrderId, Fill, OrderState, Pair};

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
