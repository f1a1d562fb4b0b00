//! Funding in the simulated futures exchange: at every funding time (the 8-hour grid of the
//! simulator's clock, or on demand through the handle) each open position of the trading account
//! pays or receives `size × mark × rate` (positive rate: longs pay shorts), rounded to 8 places;
//! each settlement is booked as a `FUNDING_FEE` income record with its own `tranId`, moves the
//! wallet balance, and is served by `GET /fapi/v1/income`.

use serde_json::{Value, json};

use super::private::Params;
use super::server::{FUNDING_INTERVAL_MS, Shared};
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::dialects::binance::shapes::fmt8;
use crate::exchange::engine::perp::FundingRecord;
use crate::exchange::engine::server::lock;

/// A funding record's `tranId`.
pub fn tran_id(r: &FundingRecord) -> u64 {
    9_000_000_000 + r.seq
}

impl Shared {
    /// Settles funding for every open position of the trading account now, at each symbol's
    /// current mark and rate; the records booked (none for a zero rate or no position).
    pub fn settle_funding_now(&self, now: u64) -> Vec<FundingRecord> {
        let ex = self.exchange();
        let booked: Vec<FundingRecord> = {
            let mut l = self.ledger(&ex);
            let symbols: Vec<String> = ex.books.keys().cloned().collect();
            symbols
                .iter()
                .flat_map(|s| l.settle_funding(&ex, s, now, false))
                .filter(|r| r.account == self.trader)
                .collect()
        };
        let mut told: Vec<&str> = Vec::new();
        for i in &booked {
            if !told.contains(&i.symbol.as_str()) {
                told.push(&i.symbol);
                self.push_account_update(&ex, &i.symbol, "FUNDING_FEE", now);
            }
        }
        booked
    }

    /// Settles funding once if the clock crossed a funding time since the last settlement (the
    /// first call only notes the slot); what was booked.
    pub fn settle_due_funding(&self, now: u64) -> Vec<FundingRecord> {
        let slot = now / FUNDING_INTERVAL_MS;
        {
            let mut settled = lock(&self.funding_slot);
            match *settled {
                Some(s) if s >= slot => return Vec::new(),
                None => {
                    *settled = Some(slot);
                    return Vec::new();
                }
                Some(_) => *settled = Some(slot),
            }
        }
        self.settle_funding_now(slot * FUNDING_INTERVAL_MS)
    }
}

fn int_param(p: &Params, name: &str) -> Result<Option<u64>, ApiError> {
    p.get(name)
        .map(|v| {
            v.parse::<u64>().map_err(|_| {
                ApiError::new(
                    400,
                    -1100,
                    format!("Illegal characters found in parameter '{name}'"),
                )
            })
        })
        .transpose()
}

/// `GET /fapi/v1/income`: the funding records (the only income this simulator books) of
/// `symbol` (or all) between `startTime` and `endTime` (inclusive; the last 7 days when neither
/// is given), at most `limit` (default 100, max 1000) from the start on, oldest first.
pub fn income(shared: &Shared, p: &Params, now: u64) -> Result<Value, ApiError> {
    let limit = int_param(p, "limit")?.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            400,
            -1130,
            "Data sent for parameter 'limit' is not valid.",
        ));
    }
    let start = int_param(p, "startTime")?;
    let end = int_param(p, "endTime")?;
    let start = match (start, end) {
        (None, None) => now.saturating_sub(7 * 24 * 3_600_000),
        (s, _) => s.unwrap_or(0),
    };
    let end = end.unwrap_or(u64::MAX);
    let wanted_type = p.get("incomeType").map(String::as_str);
    if wanted_type.is_some_and(|t| t != "FUNDING_FEE") {
        return Ok(Value::Array(Vec::new()));
    }
    let l = lock(&shared.ledger);
    let out: Vec<Value> = l
        .funding
        .iter()
        .filter(|i| i.account == shared.trader && i.time >= start && i.time <= end)
        .filter(|i| p.get("symbol").is_none_or(|s| *s == i.symbol))
        .take(usize::try_from(limit).unwrap_or(1000))
        .map(|i| {
            json!({
                "symbol": i.symbol, "incomeType": "FUNDING_FEE", "income": fmt8(i.amount),
                "asset": "USDT", "info": "FUNDING_FEE", "time": i.time, "tranId": tran_id(i),
                "tradeId": "",
            })
        })
        .collect();
    Ok(Value::Array(out))
}
