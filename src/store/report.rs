//! The `history` report: per run, the trades, fees, gas and realized PnL read from the journal.
//! Realized PnL is reported as the net flow of each asset (what the run's fills, fees and gas added to or
//! took from the accounts), so it can be compared directly with balance changes. A swap's fill carries its
//! gas as its fee; other transactions' gas is counted from the transactions table. Funding payments
//! count as flows of their asset, and each run lists its last perpetual positions.

use std::collections::BTreeMap;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::Serialize;

use super::exposure::LegPosition;
use super::journal::{Journal, RunId, StoreError};
use super::perp_journal::{FundingRow, PositionRow};
use super::scope::RunScope;
use crate::core::TxState;
use crate::core::{Pair, Side};

/// One fill as the report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TradeRow {
    pub venue: String,
    pub trade_id: String,
    pub client_id: Option<String>,
    pub pair: String,
    pub side: String,
    pub price: Decimal,
    pub amount: Decimal,
    pub fee_asset: String,
    pub fee_amount: Decimal,
    pub ts_ms: i64,
}

/// Net change of one asset over a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetFlow {
    pub asset: String,
    pub net: Decimal,
}

/// One run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    pub run_id: RunId,
    pub label: String,
    pub started_ms: i64,
    pub ended_ms: Option<i64>,
    pub outcome: Option<String>,
    pub trades: Vec<TradeRow>,
    /// Fees paid, by asset.
    pub fees: Vec<AssetFlow>,
    /// Gas paid, by native asset.
    pub gas: Vec<AssetFlow>,
    /// Realized PnL: net flow per asset, fees and gas included.
    pub pnl: Vec<AssetFlow>,
    pub orders: usize,
    pub failed_orders: usize,
    /// What the run trades (`None`: journaled before scopes, unattributable).
    pub scope: Option<RunScope>,
    /// Net base position its fills left per (venue, pair).
    pub exposure: Vec<LegPosition>,
    /// Orders not in a final state.
    pub orders_in_flight: usize,
    /// The last recorded perpetual position of each (venue, pair, side) the run changed.
    pub positions: Vec<PositionRow>,
    /// Funding payments booked on the run's positions (counted in `pnl`).
    pub funding: Vec<FundingRow>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryReport {
    pub runs: Vec<RunReport>,
}

fn flows(map: BTreeMap<String, Decimal>) -> Vec<AssetFlow> {
    map.into_iter()
        .filter(|(_, v)| !v.is_zero())
        .map(|(asset, net)| AssetFlow {
            asset,
            net: net.normalize(),
        })
        .collect()
}

fn dec(s: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(s).map_err(|e| StoreError::Corrupt(format!("amount {s:?}: {e}")))
}

impl Journal {
    /// One run's realized PnL (empty for a run the journal does not have).
    pub fn run_pnl(&self, run: RunId) -> Result<Vec<AssetFlow>, StoreError> {
        Ok(self
            .history(Some(run))?
            .runs
            .pop()
            .map(|r| r.pnl)
            .unwrap_or_default())
    }

    /// The report for one run, or for every run.
    pub fn history(&self, run: Option<RunId>) -> Result<HistoryReport, StoreError> {
        let runs = {
            let conn = self.db();
            let mut stmt = conn.prepare(
                "SELECT id, label, started_ms, ended_ms, outcome FROM runs WHERE (?1 IS NULL OR id = ?1) ORDER BY id",
            )?;
            stmt.query_map([run], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                ))
            })?
            .collect::<Result<Vec<(i64, String, i64, Option<i64>, Option<String>)>, _>>()?
        };
        let mut out = Vec::new();
        for (id, label, started_ms, ended_ms, outcome) in runs {
            // The connection is shared: take it for this query only (the ones below take it again).
            let conn = self.db();
            let mut fstmt = conn.prepare(
                "SELECT venue, trade_id, client_id, pair, side, price, amount, fee_asset, fee_amount, ts_ms
                 FROM fills WHERE run_id = ?1 ORDER BY ts_ms, rowid",
            )?;
            let raw = fstmt
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        r.get::<_, i64>(9)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            drop(fstmt);
            drop(conn);
            let mut trades = Vec::new();
            let mut pnl: BTreeMap<String, Decimal> = BTreeMap::new();
            let mut fees: BTreeMap<String, Decimal> = BTreeMap::new();
            for (
                venue,
                trade_id,
                client_id,
                pair,
                side,
                price,
                amount,
                fee_asset,
                fee_amount,
                ts_ms,
            ) in raw
            {
                let p = Pair::from_str(&pair)
                    .map_err(|_| StoreError::Corrupt(format!("fill {trade_id}: pair {pair:?}")))?;
                let s = Side::from_str(&side)
                    .map_err(|_| StoreError::Corrupt(format!("fill {trade_id}: side {side:?}")))?;
                let (price, amount, fee_amount) = (dec(&price)?, dec(&amount)?, dec(&fee_amount)?);
                let notional = price * amount;
                let (base_sign, quote_sign) = match s {
                    Side::Buy => (Decimal::ONE, Decimal::NEGATIVE_ONE),
                    Side::Sell => (Decimal::NEGATIVE_ONE, Decimal::ONE),
                };
                *pnl.entry(p.base.to_string()).or_default() += base_sign * amount;
                *pnl.entry(p.quote.to_string()).or_default() += quote_sign * notional;
                *pnl.entry(fee_asset.clone()).or_default() -= fee_amount;
                *fees.entry(fee_asset.clone()).or_default() += fee_amount;
                trades.push(TradeRow {
                    venue,
                    trade_id,
                    client_id,
                    pair,
                    side,
                    price,
                    amount,
                    fee_asset,
                    fee_amount,
                    ts_ms,
                });
            }
            let mut gas: BTreeMap<String, Decimal> = BTreeMap::new();
            // A mined swap's gas is already the fee of its fill; every other transaction (approvals,
            // reverted swaps, replacements, cancellations) costs gas with no fill to carry it.
            for tx in self.transactions_of_run(id)? {
                if let Some(fee) = tx.fee_native {
                    *gas.entry(tx.native_asset.clone()).or_default() += fee;
                    let carried_by_fill = tx.status == TxState::Mined && tx.client_id.is_some();
                    if !carried_by_fill {
                        *pnl.entry(tx.native_asset).or_default() -= fee;
                    }
                }
            }
            // Funding is a flow of its asset like a fee, received or paid.
            let funding = self.funding_of_run(id)?;
            for f in &funding {
                *pnl.entry(f.asset.clone()).or_default() += f.amount;
            }
            let orders = self.orders_of_run(id)?;
            out.push(RunReport {
                run_id: id,
                label,
                started_ms,
                ended_ms,
                outcome,
                trades,
                fees: flows(fees),
                gas: flows(gas),
                pnl: flows(pnl),
                failed_orders: orders
                    .iter()
                    .filter(|o| o.state == crate::core::OrderState::Failed)
                    .count(),
                orders_in_flight: orders.iter().filter(|o| !o.state.is_terminal()).count(),
                orders: orders.len(),
                scope: self.run_scope(id)?,
                exposure: self.run_positions(id)?,
                positions: self.positions_of_run(id)?,
                funding,
            });
        }
        Ok(HistoryReport { runs: out })
    }
}
