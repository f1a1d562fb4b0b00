//! Margin in the simulated futures exchange: an order that opens or grows a position must be
//! covered by initial margin (its notional at the limit price, or at the mark for a market order,
//! over the symbol's leverage) out of what the wallet has left after the initial margin of the
//! positions already open (each at the mark over its leverage); otherwise Binance's
//! `-2019 Margin is insufficient.`. Orders that only reduce a position need none.

use rust_decimal::Decimal;

use super::account::Side as PosSide;
use super::server::Shared;
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::Side;
use crate::exchange::engine::server::lock;

/// What the order asks of the account.
pub struct MarginAsk<'a> {
    pub symbol: &'a str,
    pub side: Side,
    pub position_side: PosSide,
    pub qty: Decimal,
    pub price: Option<Decimal>,
    pub reduce_only: bool,
}

/// Refuses an order whose initial margin the wallet cannot cover (`-2019`).
pub fn check_initial_margin(
    shared: &Shared,
    ex: &Exchange,
    account: usize,
    ask: &MarginAsk<'_>,
) -> Result<(), ApiError> {
    if ask.reduce_only {
        return Ok(());
    }
    let f = lock(&shared.futures);
    let positions = f.positions(ex, account);
    let held = positions
        .get(&(ask.symbol.to_string(), ask.position_side))
        .map_or(Decimal::ZERO, |p| p.size);
    // the part of the order that opens or grows a position
    let opening = match (ask.position_side, ask.side) {
        (PosSide::Long, Side::Sell) | (PosSide::Short, Side::Buy) => Decimal::ZERO,
        (PosSide::Both, Side::Sell) if held > Decimal::ZERO => (ask.qty - held).max(Decimal::ZERO),
        (PosSide::Both, Side::Buy) if held < Decimal::ZERO => (ask.qty + held).max(Decimal::ZERO),
        _ => ask.qty,
    };
    if opening.is_zero() {
        return Ok(());
    }
    let mark_of = |symbol: &str| {
        shared
            .mark_state_locked(ex, symbol)
            .map_or(Decimal::ZERO, |m| m.mark)
    };
    let price = ask.price.unwrap_or_else(|| mark_of(ask.symbol));
    let needed = opening * price / Decimal::from(f.leverage_of(ask.symbol));
    let mut used = Decimal::ZERO;
    let mut realized = Decimal::ZERO;
    for ((symbol, _), p) in &positions {
        realized += p.realized - p.fees;
        used += (p.size * mark_of(symbol)).abs() / Decimal::from(f.leverage_of(symbol));
    }
    let wallet = shared.deposit + realized + f.funding.total();
    if needed > wallet - used {
        return Err(ApiError::new(400, -2019, "Margin is insufficient."));
    }
    Ok(())
}
