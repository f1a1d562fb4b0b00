//! A swap's transaction in the journal and back: each signed transaction is recorded (pending,
//! with its sequence and fee) before its broadcast; when it settles, its record is updated; and
//! after a restart an order the process does not track is adopted from its recorded
//! transactions, looked up by hash on the node — found in a block (its fill read from the
//! pair's events), failed, superseded (the account's sequence moved past it without it), or still
//! pending (then `Unknown`, asked again later). Nothing is ever sent again from here.

use std::sync::Arc;

use rust_decimal::Decimal;

use super::{Market, TerraSwapVenue, Tracked, chain_err, now_ms};
use crate::chain::cosmos::lcd::Event;
use crate::chain::cosmos::sender::Signed;
use crate::chain::cosmos::{Coin, CosmosError};
use crate::core::{
    Asset as Sym, ClientOrderId, Fill, Order, OrderRequest, OrderState, Side, TxInfo, TxState,
};
use crate::venue::{TxJournal, VenueError};

use super::super::swap::{from_units, swap_of};

/// What a swap's records and fills need to know about the venue (owned: it moves into the
/// task that follows the swap).
#[derive(Clone)]
pub(super) struct Ledger {
    pub venue: String,
    /// The chain label transactions are journaled under (the venue id's chain).
    pub chain: String,
    pub from: String,
    pub native: Sym,
    pub native_decimals: u8,
    pub native_denom: Option<String>,
    pub journal: Option<Arc<dyn TxJournal>>,
}

/// How a swap's transaction ended, as the order sees it.
pub(super) struct Settled {
    pub state: OrderState,
    pub txhash: Option<String>,
    pub reason: Option<String>,
    pub fill: Option<Fill>,
}

impl Ledger {
    /// The fee's native part, in whole units.
    fn fee_native(&self, fee: &[Coin]) -> Result<Decimal, VenueError> {
        let units = fee
            .iter()
            .find(|c| Some(&c.denom) == self.native_denom.as_ref())
            .map_or(0, |c| c.amount);
        from_units(units, self.native_decimals)
    }

    /// The pending record of a signed swap transaction.
    fn pending(&self, client_id: &ClientOrderId, s: &Signed) -> Result<TxInfo, VenueError> {
        Ok(TxInfo {
            chain: self.chain.clone(),
            hash: s.txhash.clone(),
            from: self.from.clone(),
            nonce: s.sequence,
            client_id: Some(client_id.clone()),
            status: TxState::Pending,
            gas_used: None,
            effective_gas_price: None,
            fee_native: Some(self.fee_native(&s.fee)?),
            native_asset: self.native.to_string(),
            block: None,
        })
    }

    /// Records `s` before its broadcast (nothing to do without a journal).
    pub fn record_signed(&self, client_id: &ClientOrderId, s: &Signed) -> Result<(), String> {
        let Some(j) = &self.journal else {
            return Ok(());
        };
        j.record_tx(&self.pending(client_id, s).map_err(|e| e.to_string())?)
    }

    /// Updates a record; a failure is logged (the chain stays the truth, and a later reconcile
    /// writes it again).
    fn update(&self, tx: &TxInfo) {
        if let Some(j) = &self.journal
            && let Err(e) = j.record_tx(tx)
        {
            tracing::warn!(txhash = %tx.hash, "journal update failed: {e}");
        }
    }

    /// The fill of an included swap, from the pair's `wasm` event; `None` without one.
    pub fn fill(
        &self,
        order: &OrderRequest,
        m: &Market,
        txhash: &str,
        events: &[Event],
        fee_native: Decimal,
    ) -> Option<Result<Fill, VenueError>> {
        let (offered, returned) = swap_of(events, &m.info.contract_addr)?;
        let (base_u, quote_u) = match order.side {
            Side::Sell => (offered, returned),
            Side::Buy => (returned, offered),
        };
        Some((|| {
            let base = from_units(base_u, m.base.decimals)?;
            let quote = from_units(quote_u, m.quote.decimals)?;
            Ok(Fill {
                venue: self.venue.clone(),
                trade_id: format!("{txhash}-0"),
                client_id: Some(order.client_id.clone()),
                venue_order_id: Some(txhash.to_string()),
                pair: order.pair.clone(),
                side: order.side,
                price: quote.checked_div(base).unwrap_or_default(),
                amount: base,
                fee_asset: self.native.clone(),
                fee_amount: fee_native,
                is_maker: false,
                timestamp_ms: now_ms(),
            })
        })())
    }

    /// What the sender's outcome means for the order; the journal's record updated with it.
    pub fn settle(
        &self,
        order: &OrderRequest,
        m: &Market,
        outcome: Result<crate::chain::cosmos::sender::Included, CosmosError>,
    ) -> Settled {
        match outcome {
            Ok(inc) => {
                let fee = self.fee_native(&inc.fee);
                let mut rec = TxInfo {
                    chain: self.chain.clone(),
                    hash: inc.txhash.clone(),
                    from: self.from.clone(),
                    nonce: inc.sequence,
                    client_id: Some(order.client_id.clone()),
                    status: TxState::Mined,
                    gas_used: Some(inc.gas_used),
                    effective_gas_price: None,
                    fee_native: fee.as_ref().ok().copied(),
                    native_asset: self.native.to_string(),
                    block: Some(inc.height),
                };
                let settled = self.included(order, m, &inc.txhash, &inc.events, fee);
                if settled.state == OrderState::Failed {
                    rec.status = TxState::Reverted;
                }
                self.update(&rec);
                settled
            }
            Err(e) => {
                let txhash = match &e {
                    CosmosError::Failed { txhash, .. }
                    | CosmosError::Expired { txhash, .. }
                    | CosmosError::Unconfirmed { txhash, .. } => Some(txhash.clone()),
                    _ => None,
                };
                let state = match e {
                    CosmosError::Unconfirmed { .. } | CosmosError::Lcd { .. } => {
                        OrderState::Unknown
                    }
                    _ => OrderState::Failed,
                };
                Settled {
                    state,
                    txhash,
                    reason: Some(e.to_string()),
                    fill: None,
                }
            }
        }
    }

    /// An included, successful transaction: filled from its swap event, else failed.
    fn included(
        &self,
        order: &OrderRequest,
        m: &Market,
        txhash: &str,
        events: &[Event],
        fee: Result<Decimal, VenueError>,
    ) -> Settled {
        let fill = fee.and_then(|fee| {
            self.fill(order, m, txhash, events, fee)
                .transpose()
                .map(|f| f.ok_or(()))
        });
        let (state, reason, fill) = match fill {
            Ok(Ok(f)) => (OrderState::Filled, None, Some(f)),
            Ok(Err(())) => (
                OrderState::Failed,
                Some("included, but no swap event from the pair".to_string()),
                None,
            ),
            Err(e) => (OrderState::Unknown, Some(e.to_string()), None),
        };
        Settled {
            state,
            txhash: Some(txhash.to_string()),
            reason,
            fill,
        }
    }
}

/// The order of `request` in the state `s` says, its fill applied.
pub(super) fn tracked(request: &OrderRequest, s: &Settled) -> Tracked {
    let mut order = Order::new(request.clone());
    let _ = order.transition(OrderState::Open);
    order.venue_order_id = s.txhash.clone();
    order.reason = s.reason.clone();
    if let Some(f) = &s.fill {
        let _ = order.apply_fill(f);
    }
    let _ = order.transition(s.state);
    Tracked {
        order,
        fills: s.fill.iter().cloned().collect(),
    }
}

impl TerraSwapVenue {
    /// The records of `client_id` made by this venue's account on its chain.
    fn records_of(
        &self,
        ledger: &Ledger,
        client_id: &ClientOrderId,
    ) -> Result<Vec<TxInfo>, VenueError> {
        let Some(j) = &ledger.journal else {
            return Ok(vec![]);
        };
        let all = j
            .order_txs(client_id)
            .map_err(|e| VenueError::Protocol(format!("journal: {e}")))?;
        Ok(all
            .into_iter()
            .filter(|t| t.chain == ledger.chain && t.from == ledger.from)
            .collect())
    }

    /// The account's next sequence on the node.
    async fn next_sequence(&self, ledger: &Ledger) -> Result<u64, VenueError> {
        let account = self.client.lcd().account(&ledger.from).await;
        Ok(account.map_err(chain_err)?.sequence)
    }

    /// `rec` checked against the node: in a block (the result), or not (status pending, or
    /// replaced once the account's `next_sequence` has passed its sequence).
    async fn resolve(
        &self,
        rec: &TxInfo,
        next_sequence: u64,
    ) -> Result<(TxInfo, Option<crate::chain::cosmos::lcd::TxResult>), VenueError> {
        let mut out = rec.clone();
        let found = self.client.lcd().tx(&rec.hash).await.map_err(chain_err)?;
        match &found {
            Some(r) => {
                out.status = if r.code == 0 {
                    TxState::Mined
                } else {
                    TxState::Reverted
                };
                out.gas_used = Some(r.gas_used);
                out.block = Some(r.height);
            }
            None if rec.nonce < next_sequence => out.status = TxState::Replaced,
            None => out.status = TxState::Pending,
        }
        Ok((out, found))
    }

    /// Adopts `order` from the journal's records of its transactions; `None` when none was
    /// recorded (so none was ever broadcast).
    pub(super) async fn adopt(&self, order: &OrderRequest) -> Result<Option<Tracked>, VenueError> {
        let ledger = self.ledger()?;
        let records = self.records_of(&ledger, &order.client_id)?;
        if records.is_empty() {
            return Ok(None);
        }
        // the sequence first: a transaction missing after it was read cannot be included later
        let next = self.next_sequence(&ledger).await?;
        let m = self.market(&order.pair).await?;
        let mut pending = None;
        let mut failed = None;
        for rec in &records {
            let (now, found) = self.resolve(rec, next).await?;
            if now.status != rec.status {
                ledger.update(&now);
            }
            match (now.status, found) {
                (TxState::Mined, Some(r)) => {
                    let fee = rec.fee_native.unwrap_or_default();
                    let s = ledger.included(order, &m, &r.txhash, &r.events, Ok(fee));
                    tracing::info!(order = %order.client_id, txhash = %r.txhash, "adopted a swap sent before the restart: {:?}", s.state);
                    return Ok(Some(tracked(order, &s)));
                }
                (TxState::Reverted, Some(r)) => {
                    failed = Some(Settled {
                        state: OrderState::Failed,
                        txhash: Some(r.txhash.clone()),
                        reason: Some(format!("failed in block {}: {}", r.height, r.raw_log)),
                        fill: None,
                    });
                }
                (TxState::Pending, _) => pending = Some(rec.hash.clone()),
                _ => {}
            }
        }
        let s = match (failed, pending) {
            (Some(f), _) => f,
            (None, Some(hash)) => Settled {
                state: OrderState::Unknown,
                txhash: Some(hash),
                reason: Some("sent before the restart; not in a block yet".into()),
                fill: None,
            },
            (None, None) => Settled {
                state: OrderState::Failed,
                txhash: records.last().map(|r| r.hash.clone()),
                reason: Some(
                    "never included: the account's sequence moved past its transaction".into(),
                ),
                fill: None,
            },
        };
        Ok(Some(tracked(order, &s)))
    }

    /// Brings the journal's pending transactions of this account up to date; returns how many
    /// are still pending.
    pub(super) async fn reconcile_records(&self) -> Result<usize, VenueError> {
        let ledger = self.ledger()?;
        let Some(j) = &ledger.journal else {
            return Ok(0);
        };
        let pending = j
            .pending_txs(&ledger.chain, &ledger.from)
            .map_err(|e| VenueError::Protocol(format!("journal: {e}")))?;
        if pending.is_empty() {
            return Ok(0);
        }
        let next = self.next_sequence(&ledger).await?;
        let mut left = 0;
        for rec in &pending {
            let (now, _) = self.resolve(rec, next).await?;
            if now.status == TxState::Pending {
                left += 1;
            } else {
                ledger.update(&now);
            }
        }
        Ok(left)
    }
}
