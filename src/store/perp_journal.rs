//! Positions and funding in the journal: every change of a perpetual position a run saw (one row per
//! change, never a repeat of the last one), and every funding payment, unique by (venue, payment
//! id) so that a payment seen on a stream and again by polling counts once. Both tables are
//! created on open, so a journal written before them gains them the first time it is opened.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use rust_decimal::Decimal;
use serde::Serialize;

use super::exposure::add;
use super::journal::{Journal, RunId, StoreError, dec, now_ms, to_u64};
use super::report::AssetFlow;
use crate::core::{FundingPayment, Position, PositionSide};

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS position_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    venue TEXT NOT NULL,
    pair TEXT NOT NULL,
    position_side TEXT NOT NULL,
    size TEXT NOT NULL,
    entry_price TEXT,
    mark_price TEXT,
    unrealized_pnl TEXT NOT NULL,
    at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS position_changes_leg ON position_changes(venue, pair, position_side);
CREATE TABLE IF NOT EXISTS funding_payments (
    venue TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    run_id INTEGER NOT NULL REFERENCES runs(id),
    pair TEXT NOT NULL,
    position_side TEXT NOT NULL,
    asset TEXT NOT NULL,
    amount TEXT NOT NULL,
    time_ms INTEGER NOT NULL,
    PRIMARY KEY (venue, payment_id)
);
"#;

/// Creates the tables when missing (a new journal, or one written before them).
pub(super) fn create_tables(conn: &Connection) -> Result<(), StoreError> {
    conn.execute_batch(SCHEMA)?;
    Ok(())
}

fn side_str(s: PositionSide) -> &'static str {
    match s {
        PositionSide::Net => "net",
        PositionSide::Long => "long",
        PositionSide::Short => "short",
    }
}

/// A perpetual position as the journal last saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PositionRow {
    pub venue: String,
    pub pair: String,
    pub position_side: String,
    pub size: Decimal,
    pub entry_price: Option<Decimal>,
    pub mark_price: Option<Decimal>,
    pub unrealized_pnl: Decimal,
    pub at_ms: i64,
}

/// A funding payment as the journal holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundingRow {
    pub venue: String,
    pub payment_id: String,
    pub pair: String,
    pub position_side: String,
    pub asset: String,
    pub amount: Decimal,
    pub time_ms: u64,
}

impl Journal {
    /// Records `venue`'s position `p` for `run` when its size or entry differs from the last one
    /// recorded for that (venue, pair, side) by any run; returns whether it was a change.
    pub fn record_position(
        &self,
        run: RunId,
        venue: &str,
        p: &Position,
    ) -> Result<bool, StoreError> {
        let pair = p.pair.to_string();
        let side = side_str(p.position_side);
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let last: Option<(String, Option<String>)> = tx
            .query_row(
                "SELECT size, entry_price FROM position_changes
                 WHERE venue = ?1 AND pair = ?2 AND position_side = ?3 ORDER BY id DESC LIMIT 1",
                params![venue, pair, side],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let entry = p.entry_price.map(|e| e.normalize().to_string());
        if let Some((size, last_entry)) = &last {
            let same_entry = match (last_entry, &entry) {
                (Some(a), Some(b)) => dec(a, "entry price")? == dec(b, "entry price")?,
                (None, None) => true,
                _ => false,
            };
            if dec(size, "position size")? == p.size && same_entry {
                return Ok(false);
            }
        } else if p.size.is_zero() {
            // Never held: nothing changed.
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO position_changes
             (run_id, venue, pair, position_side, size, entry_price, mark_price, unrealized_pnl, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                run,
                venue,
                pair,
                side,
                p.size.normalize().to_string(),
                entry,
                p.mark_price.map(|m| m.normalize().to_string()),
                p.unrealized_pnl.normalize().to_string(),
                now_ms()
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// Records a funding payment once per (venue, payment id); returns whether it was new. The
    /// same id reported again with another amount is refused: the venue's ids are not what they
    /// claim.
    pub fn record_funding(
        &self,
        run: RunId,
        venue: &str,
        f: &FundingPayment,
    ) -> Result<bool, StoreError> {
        let time = i64::try_from(f.time_ms).map_err(|_| StoreError::OutOfRange {
            what: "funding time",
            value: f.time_ms,
        })?;
        let mut conn = self.db();
        let tx = conn.transaction()?;
        let known: Option<String> = tx
            .query_row(
                "SELECT amount FROM funding_payments WHERE venue = ?1 AND payment_id = ?2",
                params![venue, f.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(amount) = known {
            if dec(&amount, "funding amount")? != f.amount {
                return Err(StoreError::Corrupt(format!(
                    "{venue} funding payment {} is recorded as {amount} and now reported as {}",
                    f.id, f.amount
                )));
            }
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO funding_payments
             (venue, payment_id, run_id, pair, position_side, asset, amount, time_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                venue,
                f.id,
                run,
                f.pair.to_string(),
                side_str(f.position_side),
                f.asset.to_string(),
                f.amount.normalize().to_string(),
                time
            ],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// The last recorded position of each (venue, pair, side) `run` changed, in a stable order.
    pub fn positions_of_run(&self, run: RunId) -> Result<Vec<PositionRow>, StoreError> {
        let conn = self.db();
        let mut stmt = conn.prepare(
            "SELECT venue, pair, position_side, size, entry_price, mark_price, unrealized_pnl, at_ms
             FROM position_changes WHERE id IN
               (SELECT MAX(id) FROM position_changes WHERE run_id = ?1
                GROUP BY venue, pair, position_side)
             ORDER BY venue, pair, position_side",
        )?;
        let raw = stmt
            .query_map([run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(
                |(venue, pair, position_side, size, entry, mark, upnl, at_ms)| {
                    Ok(PositionRow {
                        venue,
                        pair,
                        position_side,
                        size: dec(&size, "position size")?,
                        entry_price: entry.map(|e| dec(&e, "entry price")).transpose()?,
                        mark_price: mark.map(|m| dec(&m, "mark price")).transpose()?,
                        unrealized_pnl: dec(&upnl, "unrealized PnL")?,
                        at_ms,
                    })
                },
            )
            .collect()
    }

    /// `run`'s funding payments, oldest first.
    pub fn funding_of_run(&self, run: RunId) -> Result<Vec<FundingRow>, StoreError> {
        let conn = self.db();
        let mut stmt = conn.prepare(
            "SELECT venue, payment_id, pair, position_side, asset, amount, time_ms
             FROM funding_payments WHERE run_id = ?1 ORDER BY time_ms, rowid",
        )?;
        let raw = stmt
            .query_map([run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(
                |(venue, payment_id, pair, position_side, asset, amount, time)| {
                    Ok(FundingRow {
                        venue,
                        payment_id,
                        pair,
                        position_side,
                        asset,
                        amount: dec(&amount, "funding amount")?,
                        time_ms: to_u64(time, "funding time")?,
                    })
                },
            )
            .collect()
    }

    /// `run`'s funding summed per asset (received positive), zero sums left out.
    pub fn funding_totals(&self, run: RunId) -> Result<Vec<AssetFlow>, StoreError> {
        let mut by_asset: BTreeMap<String, Decimal> = BTreeMap::new();
        for f in self.funding_of_run(run)? {
            let e = by_asset.entry(f.asset).or_insert(Decimal::ZERO);
            *e = add(*e, f.amount, "funding total")?;
        }
        Ok(by_asset
            .into_iter()
            .filter(|(_, v)| !v.is_zero())
            .map(|(asset, net)| AssetFlow {
                asset,
                net: net.normalize(),
            })
            .collect())
    }
}
