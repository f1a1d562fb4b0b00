//! Funding in the simulated futures exchange: at every funding time (the 8-hour grid of the
//! simulator's clock, or on demand through the handle) each open position of the trading account
//! pays or receives `size × mark × rate` (positive rate: longs pay shorts), rounded to 8 places;
//! each settlement is booked as a `FUNDING_FEE` income record with its own `tranId`, moves the
//! wallet balance, and is served by `GET /fapi/v1/income`.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::account::{Futures, Side};
use super::private::Params;
use super::server::{FUNDING_INTERVAL_MS, Shared};
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::dialects::binance::shapes::fmt8;
use crate::exchange::engine::server::lock;

/// One booked funding settlement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Income {
    pub tran_id: u64,
    pub symbol: String,
    pub side: Side,
    /// Signed: positive when the account received funding.
    pub amount: Decimal,
    pub time: u64,
    /// The rate and mark it was settled at.
    pub rate: Decimal,
    pub mark: Decimal,
}

/// The funding ledger: what was booked, and the last funding slot settled.
#[derive(Debug, Default)]
pub struct Ledger {
    pub incomes: Vec<Income>,
    next_tran_id: u64,
    settled_slot: Option<u64>,
}

impl Ledger {
    /// The sum booked, the wallet's funding part.
    pub fn total(&self) -> Decimal {
        self.incomes.iter().map(|i| i.amount).sum()
    }
}

/// What one position pays (negative) or receives at `mark` and `rate`.
pub fn funding_of(size: Decimal, mark: Decimal, rate: Decimal) -> Decimal {
    (-(size * mark * rate)).round_dp(8)
}

impl Shared {
    /// Settles funding for every open position of the trading account now, at each symbol's
    /// current mark and rate; the records booked (none for a zero rate or no position).
    pub fn settle_funding_now(&self, now: u64) -> Vec<Income> {
        let ex = self.exchange();
        let booked = {
            let mut f = lock(&self.futures);
            let positions = f.positions(&ex, self.trader);
            let mut booked = Vec::new();
            for ((symbol, side), pos) in positions {
                if pos.size.is_zero() {
                    continue;
                }
                let Some(m) = self.mark_state_locked(&ex, &symbol) else {
                    continue;
                };
                let amount = funding_of(pos.size, m.mark, m.funding_rate);
                if amount.is_zero() {
                    continue;
                }
                booked.push(book(
                    &mut f,
                    symbol,
                    side,
                    amount,
                    now,
                    m.funding_rate,
                    m.mark,
                ));
            }
            booked
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
    pub fn settle_due_funding(&self, now: u64) -> Vec<Income> {
        let slot = now / FUNDING_INTERVAL_MS;
        {
            let mut f = lock(&self.futures);
            match f.funding.settled_slot {
                Some(s) if s >= slot => return Vec::new(),
                None => {
                    f.funding.settled_slot = Some(slot);
                    return Vec::new();
                }
                Some(_) => f.funding.settled_slot = Some(slot),
            }
        }
        self.settle_funding_now(slot * FUNDING_INTERVAL_MS)
    }
}

fn book(
    f: &mut Futures,
    symbol: String,
    side: Side,
    amount: Decimal,
    time: u64,
    rate: Decimal,
    mark: Decimal,
) -> Income {
    f.funding.next_tran_id += 1;
    let income = Income {
        tran_id: 9_000_000_000 + f.funding.next_tran_id,
        symbol,
        side,
        amount,
        time,
        rate,
        mark,
    };
    f.funding.incomes.push(income.clone());
    income
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
    let f = lock(&shared.futures);
    let out: Vec<Value> = f
        .funding
        .incomes
        .iter()
        .filter(|i| i.time >= start && i.time <= end)
        .filter(|i| p.get("symbol").is_none_or(|s| *s == i.symbol))
        .take(usize::try_from(limit).unwrap_or(1000))
        .map(|i| {
            json!({
                "symbol": i.symbol, "incomeType": "FUNDING_FEE", "income": fmt8(i.amount),
                "asset": "USDT", "info": "FUNDING_FEE", "time": i.time, "tranId": i.tran_id,
                "tradeId": "",
            })
        })
        .collect();
    Ok(Value::Array(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn longs_pay_shorts_at_a_positive_rate() {
        assert_eq!(funding_of(dec!(2), dec!(100), dec!(0.0001)), dec!(-0.02));
        assert_eq!(funding_of(dec!(-2), dec!(100), dec!(0.0001)), dec!(0.02));
        assert_eq!(funding_of(dec!(1), dec!(100), dec!(-0.0003)), dec!(0.03));
    }
}
