//! One symbol's order book inside the mock: price levels keyed by integer ticks, each a FIFO of
//! resting order ids (price-time priority), plus the book's update id for the diff stream.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::order::Side;

/// One price level: total resting quantity and the resting orders in time priority.
#[derive(Debug, Clone, Default)]
pub struct Level {
    /// Sum of the remaining quantities of the orders at this level.
    pub qty: Decimal,
    /// Order ids, oldest first.
    pub orders: VecDeque<u64>,
}

/// An order book keyed by ticks (`price / tick_size`).
#[derive(Debug, Clone)]
pub struct Book {
    tick: Decimal,
    /// Bids by tick (best = highest).
    pub bids: BTreeMap<u64, Level>,
    /// Asks by tick (best = lowest).
    pub asks: BTreeMap<u64, Level>,
    /// Update id of the last change (`lastUpdateId` of the snapshot, `u` of the last diff).
    pub update_id: u64,
    changed: BTreeSet<(Side, u64)>,
}

/// A level as (price, quantity).
pub type PriceLevel = (Decimal, Decimal);

/// The changes of one engine operation: levels with their new quantity (zero = removed) and the
/// update-id range `[first, last]` they consumed.
#[derive(Debug, Clone)]
pub struct BookDiff {
    /// First update id in this diff (`U`).
    pub first_update_id: u64,
    /// Final update id in this diff (`u`).
    pub final_update_id: u64,
    /// Changed bid levels, best first.
    pub bids: Vec<PriceLevel>,
    /// Changed ask levels, best first.
    pub asks: Vec<PriceLevel>,
}

impl Book {
    /// An empty book with a tick size and a starting update id.
    pub fn new(tick: Decimal, first_update_id: u64) -> Self {
        Self {
            tick,
            bids: BTreeMap::new(),
            asks: BTreeMap::new(),
            update_id: first_update_id,
            changed: BTreeSet::new(),
        }
    }

    /// Ticks for a price that already passed PRICE_FILTER (a multiple of the tick size).
    pub fn ticks(&self, price: Decimal) -> Option<u64> {
        if self.tick.is_zero() {
            return None;
        }
        let t = price / self.tick;
        if !t.fract().is_zero() {
            return None;
        }
        t.to_u64()
    }

    /// Moves the book onto a finer tick size: `tick` = the old one / `factor`; every level keeps
    /// its price (its key is multiplied by `factor`).
    pub fn retick(&mut self, tick: Decimal, factor: u64) {
        let rekey = |m: &mut BTreeMap<u64, Level>| {
            *m = std::mem::take(m)
                .into_iter()
                .map(|(t, l)| (t * factor, l))
                .collect();
        };
        rekey(&mut self.bids);
        rekey(&mut self.asks);
        self.changed = std::mem::take(&mut self.changed)
            .into_iter()
            .map(|(side, t)| (side, t * factor))
            .collect();
        self.tick = tick;
    }

    /// The price of a tick.
    pub fn price(&self, ticks: u64) -> Decimal {
        Decimal::from(ticks) * self.tick
    }

    fn side_mut(&mut self, side: Side) -> &mut BTreeMap<u64, Level> {
        match side {
            Side::Buy => &mut self.bids,
            Side::Sell => &mut self.asks,
        }
    }

    /// Appends a resting order at the back of its level.
    pub fn add(&mut self, side: Side, ticks: u64, order_id: u64, qty: Decimal) {
        let level = self.side_mut(side).entry(ticks).or_default();
        level.qty += qty;
        level.orders.push_back(order_id);
        self.changed.insert((side, ticks));
    }

    /// Reduces a level by `qty` (a fill or a cancel); removes `order_id` from the queue when
    /// `remove_order` is set; drops the level when it empties.
    pub fn reduce(
        &mut self,
        side: Side,
        ticks: u64,
        order_id: u64,
        qty: Decimal,
        remove_order: bool,
    ) {
        let levels = self.side_mut(side);
        let mut empty = false;
        if let Some(level) = levels.get_mut(&ticks) {
            level.qty -= qty;
            if remove_order {
                level.orders.retain(|id| *id != order_id);
            }
            empty = level.orders.is_empty() || level.qty <= Decimal::ZERO;
        }
        if empty {
            levels.remove(&ticks);
        }
        self.changed.insert((side, ticks));
    }

    /// Best bid tick.
    pub fn best_bid(&self) -> Option<u64> {
        self.bids.keys().next_back().copied()
    }

    /// Best ask tick.
    pub fn best_ask(&self) -> Option<u64> {
        self.asks.keys().next().copied()
    }

    /// The first resting order on the opposite side of a taker on `side`, if it crosses `limit`
    /// (`None` limit = market order). Returns (ticks, order id).
    pub fn best_maker(&self, taker: Side, limit: Option<u64>) -> Option<(u64, u64)> {
        let (ticks, level) = match taker {
            Side::Buy => self.asks.iter().next()?,
            Side::Sell => self.bids.iter().next_back()?,
        };
        let crosses = match (taker, limit) {
            (_, None) => true,
            (Side::Buy, Some(l)) => *ticks <= l,
            (Side::Sell, Some(l)) => *ticks >= l,
        };
        if !crosses {
            return None;
        }
        level.orders.front().map(|id| (*ticks, *id))
    }

    /// Levels on the opposite side a taker could trade with, best first, as (ticks, qty).
    pub fn crossing_levels(&self, taker: Side, limit: Option<u64>) -> Vec<(u64, Decimal)> {
        let crosses = |t: u64| match (taker, limit) {
            (_, None) => true,
            (Side::Buy, Some(l)) => t <= l,
            (Side::Sell, Some(l)) => t >= l,
        };
        match taker {
            Side::Buy => self
                .asks
                .iter()
                .take_while(|(t, _)| crosses(**t))
                .map(|(t, l)| (*t, l.qty))
                .collect(),
            Side::Sell => self
                .bids
                .iter()
                .rev()
                .take_while(|(t, _)| crosses(**t))
                .map(|(t, l)| (*t, l.qty))
                .collect(),
        }
    }

    /// Up to `limit` levels per side, best first: (bids, asks).
    pub fn levels(&self, limit: usize) -> (Vec<PriceLevel>, Vec<PriceLevel>) {
        let bids = self
            .bids
            .iter()
            .rev()
            .take(limit)
            .map(|(t, l)| (self.price(*t), l.qty))
            .collect();
        let asks = self
            .asks
            .iter()
            .take(limit)
            .map(|(t, l)| (self.price(*t), l.qty))
            .collect();
        (bids, asks)
    }

    /// Closes the current operation: assigns one update id per changed level and returns the
    /// diff, or `None` when nothing changed.
    pub fn take_diff(&mut self) -> Option<BookDiff> {
        if self.changed.is_empty() {
            return None;
        }
        let changed = std::mem::take(&mut self.changed);
        let first = self.update_id + 1;
        self.update_id += changed.len() as u64;
        let mut bids = Vec::new();
        let mut asks = Vec::new();
        for (side, ticks) in changed {
            let (levels, out) = match side {
                Side::Buy => (&self.bids, &mut bids),
                Side::Sell => (&self.asks, &mut asks),
            };
            let qty = levels.get(&ticks).map(|l| l.qty).unwrap_or(Decimal::ZERO);
            out.push((self.price(ticks), qty));
        }
        bids.reverse();
        Some(BookDiff {
            first_update_id: first,
            final_update_id: self.update_id,
            bids,
            asks,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn diff_ids_are_contiguous_and_levels_final() {
        let mut b = Book::new(dec!(0.01), 100);
        b.add(Side::Buy, 10_000, 1, dec!(1));
        b.add(Side::Buy, 10_001, 2, dec!(2));
        b.add(Side::Sell, 10_005, 3, dec!(3));
        let d = b.take_diff().unwrap();
        assert_eq!((d.first_update_id, d.final_update_id), (101, 103));
        assert_eq!(
            d.bids,
            vec![(dec!(100.01), dec!(2)), (dec!(100.00), dec!(1))]
        );
        b.reduce(Side::Sell, 10_005, 3, dec!(3), true);
        let d = b.take_diff().unwrap();
        assert_eq!((d.first_update_id, d.final_update_id), (104, 104));
        assert_eq!(d.asks, vec![(dec!(100.05), dec!(0))]);
        assert!(b.take_diff().is_none());
        assert_eq!(b.best_maker(Side::Sell, Some(10_001)), Some((10_001, 2)));
        assert_eq!(b.best_maker(Side::Sell, Some(10_002)), None);
    }
}
