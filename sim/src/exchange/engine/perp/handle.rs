//! What a perpetual dialect's handle offers the tests over the ledger, written once: the ledger
//! synced with the engine's trades, the trading account's positions as the venue reports them.
//! A dialect names its engine, its ledger and its trading account; the rest comes with the trait.

use std::sync::{Mutex, MutexGuard};

use super::{PerpLedger, PositionRisk};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::lock;

/// Locks `ledger` and applies the engine's trades not applied yet (lock the engine first).
pub fn synced<'a>(ledger: &'a Mutex<PerpLedger>, ex: &Exchange) -> MutexGuard<'a, PerpLedger> {
    let mut l = lock(ledger);
    l.sync(ex);
    l
}

/// A simulated perpetual exchange's handle.
pub trait PerpHandle {
    /// The engine, locked.
    fn engine(&self) -> MutexGuard<'_, Exchange>;
    /// The ledger behind the accounts.
    fn ledger_cell(&self) -> &Mutex<PerpLedger>;
    /// The engine's number of the trading account (the ledger's key).
    fn account(&self) -> usize;

    /// A copy of the ledger (positions, settings, marks, funding, liquidations) with the
    /// engine's trades so far applied: what the venue's answers are checked against.
    fn ledger(&self) -> PerpLedger {
        let ex = self.engine();
        synced(self.ledger_cell(), &ex).clone()
    }

    /// The trading account's open positions as the venue reports them (size, entry, mark,
    /// unrealized PnL, margin, maintenance, leverage, margin mode, liquidation and bankruptcy
    /// prices).
    fn position_risks(&self) -> Vec<PositionRisk> {
        let ex = self.engine();
        synced(self.ledger_cell(), &ex).position_risks(&ex, self.account())
    }
}
