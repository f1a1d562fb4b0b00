//! Liquidity for tests: seeding a book with the market maker's orders, and deterministic random
//! book activity from a seed (adds, cancels and small market takes by the market maker), each
//! step a real engine operation that emits its depth diff.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;

use super::error::EngineError;
use super::exchange::{Exchange, MARKET_MAKER};
use super::order::{NewOrder, OrderType, Side, TimeInForce};

/// Half-width, in ticks, of the band around the mid where random orders are placed.
const BAND_TICKS: u64 = 40;
/// Mid used when a book is empty and has never traded, in ticks.
const DEFAULT_MID_TICKS: u64 = 10_000;

fn limit(symbol: &str, side: Side, price: Decimal, qty: Decimal) -> NewOrder {
    NewOrder {
        symbol: symbol.to_string(),
        side,
        order_type: OrderType::Limit,
        tif: TimeInForce::Gtc,
        quantity: Some(qty),
        quote_order_qty: None,
        price: Some(price),
        client_order_id: None,
    }
}

/// Places `levels` bids and `levels` asks of `qty` each around `mid`, `spacing_ticks` apart, from
/// the market maker. The first bid is one spacing below `mid` (rounded down to a tick), the first
/// ask one spacing above.
pub fn seed_book(
    ex: &mut Exchange,
    symbol: &str,
    mid: Decimal,
    levels: usize,
    spacing_ticks: u64,
    qty: Decimal,
    now: u64,
) -> Result<(), EngineError> {
    let tick = ex.spec(symbol)?.tick_size;
    let mid_ticks = (mid / tick).floor();
    let spacing = Decimal::from(spacing_ticks.max(1));
    for k in 1..=levels {
        let k = Decimal::from(k as u64);
        let bid = (mid_ticks - k * spacing) * tick;
        let ask = (mid_ticks + k * spacing) * tick;
        if bid > Decimal::ZERO {
            ex.place(MARKET_MAKER, limit(symbol, Side::Buy, bid, qty), now, false)?;
        }
        ex.place(
            MARKET_MAKER,
            limit(symbol, Side::Sell, ask, qty),
            now,
            false,
        )?;
    }
    Ok(())
}

/// A deterministic stream of random book operations for one symbol.
#[derive(Debug)]
pub struct RandomUpdater {
    symbol: String,
    rng: StdRng,
    open: Vec<u64>,
}

impl RandomUpdater {
    /// A generator for `symbol` from `seed`, aware of the market maker's orders already resting.
    pub fn new(ex: &Exchange, symbol: &str, seed: u64) -> Self {
        let open = ex
            .orders
            .values()
            .filter(|o| o.account == MARKET_MAKER && o.symbol == symbol && o.status.is_open())
            .map(|o| o.id)
            .collect();
        Self {
            symbol: symbol.to_string(),
            rng: StdRng::seed_from_u64(seed),
            open,
        }
    }

    /// Applies one random operation; returns whether the book changed.
    pub fn step(&mut self, ex: &mut Exchange, now: u64) -> Result<bool, EngineError> {
        let spec = ex.spec(&self.symbol)?.clone();
        let book = ex
            .books
            .get(&self.symbol)
            .ok_or(EngineError::UnknownSymbol)?;
        let before = book.update_id;
        let (best_bid, best_ask) = (book.best_bid(), book.best_ask());
        let mid = match (best_bid, best_ask) {
            (Some(b), Some(a)) => (a + b) / 2,
            (Some(b), None) => b + 1,
            (None, Some(a)) => a.saturating_sub(1).max(1),
            (None, None) => ex
                .trades
                .get(&self.symbol)
                .and_then(|t| t.last())
                .and_then(|t| book.ticks(t.price))
                .unwrap_or(DEFAULT_MID_TICKS),
        };
        let roll: u32 = self.rng.gen_range(0..100);
        if roll < 55 || self.open.is_empty() {
            let side = if self.rng.gen_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            };
            let offset = self.rng.gen_range(1..=BAND_TICKS);
            let ticks = match side {
                Side::Buy => mid
                    .saturating_sub(offset)
                    .min(best_ask.map(|a| a - 1).unwrap_or(u64::MAX)),
                Side::Sell => (mid + offset).max(best_bid.map(|b| b + 1).unwrap_or(0)),
            };
            if ticks == 0 {
                return Ok(false);
            }
            let price = book.price(ticks);
            let min_qty = spec.floor_to_step(spec.min_notional / price) + spec.step_size;
            let qty = min_qty.max(spec.min_qty)
                + spec.step_size * Decimal::from(self.rng.gen_range(0..500_u64));
            let id = ex
                .place(
                    MARKET_MAKER,
                    limit(&self.symbol, side, price, qty),
                    now,
                    false,
                )?
                .id;
            self.open.push(id);
        } else if roll < 92 {
            // Orders filled by takes since are dropped from the list on the way.
            while !self.open.is_empty() {
                let idx = self.rng.gen_range(0..self.open.len());
                let id = self.open.swap_remove(idx);
                if ex.orders.get(&id).is_some_and(|o| o.status.is_open()) {
                    ex.cancel_by_id(id, None, now);
                    break;
                }
            }
        } else {
            let side = if self.rng.gen_bool(0.5) {
                Side::Buy
            } else {
                Side::Sell
            };
            let level = match side {
                Side::Buy => best_ask.and_then(|t| book.asks.get(&t)),
                Side::Sell => best_bid.and_then(|t| book.bids.get(&t)),
            };
            let Some(level_qty) = level.map(|l| l.qty) else {
                return Ok(false);
            };
            let frac = Decimal::from(self.rng.gen_range(1..=100_u64)) / Decimal::from(100);
            let qty = spec.floor_to_step(level_qty * frac).max(spec.min_qty);
            let take = NewOrder {
                order_type: OrderType::Market,
                price: None,
                ..limit(&self.symbol, side, Decimal::ZERO, qty)
            };
            // A take too small for the notional filter is simply skipped.
            if ex.place(MARKET_MAKER, take, now, false).is_err() {
                return Ok(false);
            }
        }
        let after = ex
            .books
            .get(&self.symbol)
            .map(|b| b.update_id)
            .unwrap_or(before);
        Ok(after != before)
    }
}
