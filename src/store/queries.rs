//! The journal's read side: orders, fills, runs and transactions as the restart, the recovery
//! and the `history` report read them, each row checked as it is decoded (a corrupt row is an
//! error naming it, never a panic).

use std::str::FromStr;

use super::journal::{Journal, JournalOrder, RunId, StoreError, dec, to_u64};
use crate::core::{
    ClientOrderId, Fill, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, TxInfo,
    TxState,
};

impl Journal {
    /// One order by client id.
    pub fn order(&self, client_id: &ClientOrderId) -> Result<Option<JournalOrder>, StoreError> {
        let mut rows = self.query_orders("WHERE client_id = ?1", [client_id.as_str()])?;
        Ok(rows.pop())
    }

    /// Orders not in a terminal state: what a restart must reconcile with the venues.
    pub fn in_flight_orders(&self) -> Result<Vec<JournalOrder>, StoreError> {
        self.query_orders(
            "WHERE state NOT IN ('filled', 'cancelled', 'failed') ORDER BY created_ms",
            [],
        )
    }

    /// Every order of every run, oldest first.
    pub fn all_orders(&self) -> Result<Vec<JournalOrder>, StoreError> {
        self.query_orders("ORDER BY created_ms, rowid", [])
    }

    /// Every fill of every run, in the order they were recorded.
    pub fn all_fills(&self) -> Result<Vec<Fill>, StoreError> {
        self.query_fills("ORDER BY rowid", [])
    }

    /// The fills of one run, in the order they were recorded.
    pub fn fills_of_run(&self, run: RunId) -> Result<Vec<Fill>, StoreError> {
        self.query_fills("WHERE run_id = ?1 ORDER BY rowid", [run])
    }

    /// Runs that were started and never ended (their process was killed, or is still running),
    /// oldest first.
    pub fn unfinished_runs(&self) -> Result<Vec<RunId>, StoreError> {
        let conn = self.db();
        let mut stmt = conn.prepare("SELECT id FROM runs WHERE ended_ms IS NULL ORDER BY id")?;
        let ids = stmt
            .query_map([], |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ids)
    }

    fn query_fills<P: rusqlite::Params>(
        &self,
        filter: &str,
        p: P,
    ) -> Result<Vec<Fill>, StoreError> {
        let conn = self.db();
        let sql = format!(
            "SELECT venue, trade_id, client_id, venue_order_id, pair, side, price, amount, fee_asset,
                 fee_amount, is_maker, ts_ms FROM fills {filter}"
        );
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(p, |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?,
                        r.get::<_, Option<String>>(3)?,
                    ),
                    (
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                        r.get::<_, String>(7)?,
                    ),
                    (
                        r.get::<_, String>(8)?,
                        r.get::<_, String>(9)?,
                        r.get::<_, bool>(10)?,
                        r.get::<_, i64>(11)?,
                    ),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(
                |(
                    (venue, trade_id, cid, void),
                    (pair, side, price, amount),
                    (fee_asset, fee, is_maker, ts),
                )| {
                    let corrupt =
                        |what: &str| StoreError::Corrupt(format!("fill {trade_id}: {what}"));
                    Ok(Fill {
                        client_id: cid
                            .as_deref()
                            .map(ClientOrderId::new)
                            .transpose()
                            .map_err(|_| corrupt("client id"))?,
                        venue_order_id: void,
                        pair: Pair::from_str(&pair).map_err(|_| corrupt("pair"))?,
                        side: Side::from_str(&side).map_err(|_| corrupt("side"))?,
                        price: dec(&price, "price")?,
                        amount: dec(&amount, "amount")?,
                        fee_asset: crate::core::Asset::new(&fee_asset)
                            .map_err(|_| corrupt("fee asset"))?,
                        fee_amount: dec(&fee, "fee")?,
                        is_maker,
                        timestamp_ms: to_u64(ts, "fill timestamp")?,
                        venue,
                        trade_id,
                    })
                },
            )
            .collect()
    }

    /// Every order of a run, oldest first.
    pub fn orders_of_run(&self, run: RunId) -> Result<Vec<JournalOrder>, StoreError> {
        self.query_orders("WHERE run_id = ?1 ORDER BY created_ms, rowid", [run])
    }

    /// Transactions not yet final.
    pub fn pending_transactions(&self) -> Result<Vec<TxInfo>, StoreError> {
        self.query_txs("WHERE status = 'pending' ORDER BY nonce", [])
    }

    pub fn transactions_of_run(&self, run: RunId) -> Result<Vec<TxInfo>, StoreError> {
        self.query_txs("WHERE run_id = ?1 ORDER BY nonce", [run])
    }

    /// Every transaction recorded for an order (attempts and replacements), by nonce then age.
    pub fn transactions_of_order(
        &self,
        client_id: &ClientOrderId,
    ) -> Result<Vec<TxInfo>, StoreError> {
        self.query_txs(
            "WHERE client_id = ?1 ORDER BY nonce, rowid",
            [client_id.as_str()],
        )
    }

    /// Pending transactions of one account on one chain, by nonce.
    pub fn pending_transactions_of(
        &self,
        chain: &str,
        from: &str,
    ) -> Result<Vec<TxInfo>, StoreError> {
        self.query_txs(
            "WHERE status = 'pending' AND chain = ?1 AND sender = ?2 ORDER BY nonce, rowid",
            [chain, from],
        )
    }

    /// Every transaction in the journal, by sender and nonce.
    pub fn all_transactions(&self) -> Result<Vec<TxInfo>, StoreError> {
        self.query_txs("ORDER BY sender, nonce, rowid", [])
    }

    fn query_orders<P: rusqlite::Params>(
        &self,
        filter: &str,
        p: P,
    ) -> Result<Vec<JournalOrder>, StoreError> {
        let sql = format!(
            "SELECT client_id, run_id, venue, pair, side, order_type, amount, price, time_in_force, deadline, state,
                 venue_order_id, filled, filled_quote, reason FROM orders {filter}"
        );
        let conn = self.db();
        let mut stmt = conn.prepare(&sql)?;
        let raw = stmt
            .query_map(p, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                    r.get::<_, Option<i64>>(9)?,
                    r.get::<_, String>(10)?,
                    r.get::<_, Option<String>>(11)?,
                    (
                        r.get::<_, String>(12)?,
                        r.get::<_, String>(13)?,
                        r.get::<_, Option<String>>(14)?,
                    ),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(
                |(
                    cid,
                    run_id,
                    venue,
                    pair,
                    side,
                    ot,
                    amount,
                    price,
                    tif,
                    deadline,
                    state,
                    void,
                    (f, fq, reason),
                )| {
                    let corrupt = |what: &str, v: &str| {
                        StoreError::Corrupt(format!("order {cid}: {what} {v:?}"))
                    };
                    let order_type = match ot.as_str() {
                        "limit" => OrderType::Limit,
                        "limit_maker" => OrderType::LimitMaker,
                        "market" => OrderType::Market,
                        "swap" => OrderType::Swap,
                        other => return Err(corrupt("order type", other)),
                    };
                    let time_in_force = match tif.as_str() {
                        "gtc" => TimeInForce::Gtc,
                        "ioc" => TimeInForce::Ioc,
                        "fok" => TimeInForce::Fok,
                        other => return Err(corrupt("time in force", other)),
                    };
                    Ok(JournalOrder {
                        run_id,
                        venue,
                        request: OrderRequest {
                            client_id: ClientOrderId::new(&cid)
                                .map_err(|_| corrupt("client id", &cid))?,
                            pair: Pair::from_str(&pair).map_err(|_| corrupt("pair", &pair))?,
                            side: Side::from_str(&side).map_err(|_| corrupt("side", &side))?,
                            order_type,
                            amount: dec(&amount, "amount")?,
                            price: price.as_deref().map(|p| dec(p, "price")).transpose()?,
                            time_in_force,
                            deadline: deadline.map(|d| to_u64(d, "deadline")).transpose()?,
                        },
                        state: OrderState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
                        venue_order_id: void,
                        filled: dec(&f, "filled")?,
                        filled_quote: dec(&fq, "filled_quote")?,
                        reason,
                    })
                },
            )
            .collect()
    }

    fn query_txs<P: rusqlite::Params>(
        &self,
        filter: &str,
        p: P,
    ) -> Result<Vec<TxInfo>, StoreError> {
        let sql = format!(
            "SELECT hash, chain, sender, nonce, client_id, status, gas_used, effective_gas_price, fee_native, block,
                 native_asset FROM transactions {filter}"
        );
        let conn = self.db();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(p, |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<i64>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, Option<String>>(8)?,
                    (r.get::<_, Option<i64>>(9)?, r.get::<_, String>(10)?),
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(
                |(hash, chain, from, nonce, cid, status, gas, egp, fee, (block, native_asset))| {
                    Ok(TxInfo {
                        status: TxState::parse(&status).ok_or_else(|| {
                            StoreError::Corrupt(format!("tx {hash}: status {status:?}"))
                        })?,
                        client_id: cid.as_deref().and_then(|c| ClientOrderId::new(c).ok()),
                        nonce: u64::try_from(nonce)
                            .map_err(|_| StoreError::Corrupt(format!("tx {hash}: nonce")))?,
                        gas_used: gas.map(|g| to_u64(g, "gas used")).transpose()?,
                        effective_gas_price: egp,
                        fee_native: fee.as_deref().map(|f| dec(f, "fee_native")).transpose()?,
                        block: block.map(|b| to_u64(b, "block")).transpose()?,
                        native_asset,
                        hash,
                        chain,
                        from,
                    })
                },
            )
            .collect()
    }
}
