//! Margin in the simulated futures exchange, Binance's face of the engine ledger's check
//! (`engine::perp`): an order's opening part must be covered by initial margin (its notional at
//! the limit price, or the mark for a market order, over the symbol's leverage) out of the wallet
//! less the margin of the open positions and resting orders, else `-2019 Margin is
//! insufficient.`; orders that only reduce need none. `GET /fapi/v1/leverageBracket` serves the
//! ledger's maintenance tiers (figures as decimal strings).

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::server::Shared;
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::dialects::binance::shapes::fmt8;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::perp::OrderAsk;

/// Refuses an order whose initial margin the wallet cannot cover (`-2019`).
pub fn check_initial_margin(
    shared: &Shared,
    ex: &Exchange,
    account: usize,
    ask: &OrderAsk<'_>,
) -> Result<(), ApiError> {
    shared
        .ledger(ex)
        .check_open(ex, account, ask)
        .map_err(|_| ApiError::new(400, -2019, "Margin is insufficient."))
}

/// `GET /fapi/v1/leverageBracket[?symbol=]`: each symbol's notional brackets (floor, cap, MMR,
/// `cum`, initial leverage).
pub fn leverage_brackets(shared: &Shared, symbol: Option<&str>) -> Result<Value, ApiError> {
    let ex = shared.exchange();
    if let Some(s) = symbol {
        ex.spec(s)?;
    }
    let tiers = shared.ledger(&ex).tiers.clone();
    let mut floor = Decimal::ZERO;
    let brackets: Vec<Value> = tiers
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let b = json!({
                "bracket": i + 1, "initialLeverage": t.max_leverage,
                "notionalCap": fmt8(t.notional_cap), "notionalFloor": fmt8(floor),
                "maintMarginRatio": fmt8(t.mmr), "cum": fmt8(t.maint_amount),
            });
            floor = t.notional_cap;
            b
        })
        .collect();
    let out: Vec<Value> = ex
        .books
        .keys()
        .filter(|s| symbol.is_none_or(|want| want == s.as_str()))
        .map(|s| json!({ "symbol": s, "brackets": brackets }))
        .collect();
    Ok(Value::Array(out))
}
