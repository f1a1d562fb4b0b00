//! What the engine publishes, rendered by the dialect: the engine hands its objects (a depth diff,
//! a trade, an order after an execution, changed balances) to an [`EventShapes`], and sends the
//! text it gets back to the market and user streams. The engine never builds a message itself.

use rust_decimal::Decimal;

use super::account::Balance;
use super::book::PriceLevel;
use super::order::{Execution, Order, Trade};

/// A dialect's rendering of the engine's stream events.
pub trait EventShapes: Send + Sync + std::fmt::Debug {
    /// A change of a symbol's book spanning update ids `first_update_id..=final_update_id`.
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) -> String;
    /// A public trade.
    fn trade(&self, trade: &Trade, event_time: u64) -> String;
    /// An order after an execution (new, trade, cancel, expiry), for its owner.
    fn execution(&self, order: &Order, execution: &Execution) -> String;
    /// The balances an operation changed, for their owner.
    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String;
    /// A balance changed from outside trading (a deposit, a test setting it), for its owner.
    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String;
}
