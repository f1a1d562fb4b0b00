//! The SQLite journal: runs, order intents (written before they are sent), every order state change,
//! fills unique by (venue, trade id), transactions and balance snapshots. It is what a restart reloads
//! and what the `history` report reads.

mod exposure;
mod journal;
pub(crate) mod lock;
mod perp_journal;
mod queries;
mod report;
mod scope;
mod tx_journal;

pub use exposure::{
    AssetPosition, LegPosition, canonical_positions, describe_positions, describe_scope,
};
pub use journal::{Journal, JournalOrder, RunId, StoreError};
pub use lock::{HomeLock, LockError};
pub use perp_journal::{FundingRow, PositionRow};
pub use report::{AssetFlow, HistoryReport, RunReport, TradeRow};
pub use scope::{RunAlias, RunKind, RunLeg, RunScope};
pub use tx_journal::RunTxJournal;

#[cfg(test)]
mod perp_tests;
#[cfg(test)]
mod tests;
