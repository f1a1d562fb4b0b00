//! The journal as a venue's [`TxJournal`]: the transactions a chain venue signs are recorded under the
//! current run before they are broadcast, and read back after a restart.

use crate::core::{ClientOrderId, TxInfo};
use crate::venue::TxJournal;

use super::{Journal, RunId};

/// A journal handle bound to a run, given to chain venues (`Venue::attach_tx_journal`).
#[derive(Debug, Clone)]
pub struct RunTxJournal {
    journal: Journal,
    run: RunId,
}

impl RunTxJournal {
    pub fn new(journal: Journal, run: RunId) -> Self {
        Self { journal, run }
    }
}

impl TxJournal for RunTxJournal {
    fn record_tx(&self, tx: &TxInfo) -> Result<(), String> {
        self.journal
            .record_tx(self.run, tx)
            .map_err(|e| e.to_string())
    }

    fn order_txs(&self, client_id: &ClientOrderId) -> Result<Vec<TxInfo>, String> {
        self.journal
            .transactions_of_order(client_id)
            .map_err(|e| e.to_string())
    }

    fn pending_txs(&self, chain: &str, from: &str) -> Result<Vec<TxInfo>, String> {
        self.journal
            .pending_transactions_of(chain, from)
            .map_err(|e| e.to_string())
    }
}
