//! A local order book keyed by integer ticks (price / tick size) with sizes in integer lots (size /
//! step size). Each side is a tick ladder ([`BookSide`]): O(1) updates, the best bid/ask kept at
//! hand. `quote(side, size)` walks the levels for an executable price.

use rust_decimal::Decimal;

use super::grid::Grid;
use crate::core::Side;

/// One price level: a price in ticks and a size in lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Level {
    pub ticks: u64,
    pub lots: u64,
}

pub use super::book_side::BookSide;

/// A level as (price, size).
pub type DecimalLevel = (Decimal, Decimal);

/// The result of walking the book for a size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookQuote {
    pub side: Side,
    /// Base size asked for.
    pub size: Decimal,
    /// Base size the book can fill (less than `size` when the book is too thin).
    pub filled: Decimal,
    /// Quote amount before fees.
    pub gross: Decimal,
    /// Fee in the quote asset.
    pub fee: Decimal,
    /// Quote paid (buy: gross + fee) or received (sell: gross − fee).
    pub net: Decimal,
    /// `net / filled`: fees included.
    pub average_price: Decimal,
    /// Price of the deepest level touched.
    pub worst_price: Decimal,
}

/// Why a book cannot quote.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuoteError {
    #[error("size {0} must be positive")]
    NonPositiveSize(Decimal),
    #[error("the {0} side of the book is empty")]
    EmptySide(&'static str),
    #[error("arithmetic overflow while walking the book")]
    Overflow,
}

/// A two-sided book on a price grid (ticks) and a size grid (lots).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderBook {
    pub price_grid: Grid,
    pub size_grid: Grid,
    pub bids: BookSide<true>,
    pub asks: BookSide<false>,
}

impl OrderBook {
    pub fn new(price_grid: Grid, size_grid: Grid) -> Self {
        Self {
            price_grid,
            size_grid,
            bids: BookSide::default(),
            asks: BookSide::default(),
        }
    }

    pub fn clear(&mut self) {
        self.bids.clear();
        self.asks.clear();
    }

    #[inline]
    pub fn best_bid(&self) -> Option<Level> {
        self.bids.best()
    }

    #[inline]
    pub fn best_ask(&self) -> Option<Level> {
        self.asks.best()
    }

    pub fn price(&self, ticks: u64) -> Decimal {
        self.price_grid.to_decimal(ticks)
    }

    pub fn size(&self, lots: u64) -> Decimal {
        self.size_grid.to_decimal(lots)
    }

    /// Levels best first as (price, size) decimals, at most `depth` per side: (bids, asks).
    pub fn top(&self, depth: usize) -> (Vec<DecimalLevel>, Vec<DecimalLevel>) {
        let conv = |l: Level| (self.price(l.ticks), self.size(l.lots));
        (
            self.bids.iter_best_first().take(depth).map(conv).collect(),
            self.asks.iter_best_first().take(depth).map(conv).collect(),
        )
    }

    /// The whole book as text, one line per level, bids best to worst then asks best to worst:
    /// `b <price> <qty>` / `a <price> <qty>` with the given decimals (the bench's canonical dump).
    pub fn canonical_dump(&self, price_decimals: u32, size_decimals: u32) -> String {
        let mut out = String::with_capacity(32 * (self.bids.len() + self.asks.len()));
        let mut line = |tag: char, l: Level| {
            let p = self.price(l.ticks).round_dp(price_decimals);
            let q = self.size(l.lots).round_dp(size_decimals);
            out.push_str(&format!(
                "{tag} {p:.pd$} {q:.sd$}\n",
                pd = price_decimals as usize,
                sd = size_decimals as usize
            ));
        };
        for l in self.bids.iter_best_first() {
            line('b', l);
        }
        for l in self.asks.iter_best_first() {
            line('a', l);
        }
        out
    }

    /// Walks the levels a taker of `size` would hit: a buy walks the asks, a sell the bids.
    /// `fee_rate` is the taker fee as a fraction.
    pub fn quote(
        &self,
        side: Side,
        size: Decimal,
        fee_rate: Decimal,
    ) -> Result<BookQuote, QuoteError> {
        if size <= Decimal::ZERO {
            return Err(QuoteError::NonPositiveSize(size));
        }
        let levels = match side {
            Side::Buy => self.asks.iter_best_first(),
            Side::Sell => self.bids.iter_best_first(),
        };
        let mut left = size;
        // summed from the levels taken, not `size - left`: with a huge size `left` loses the
        // small amounts taken to rounding
        let mut filled = Decimal::ZERO;
        let mut gross = Decimal::ZERO;
        let mut worst = None;
        for l in levels {
            if left <= Decimal::ZERO {
                break;
            }
            let price = self.price(l.ticks);
            let take = left.min(self.size(l.lots));
            gross = take
                .checked_mul(price)
                .and_then(|x| x.checked_add(gross))
                .ok_or(QuoteError::Overflow)?;
            left -= take;
            filled = filled.checked_add(take).ok_or(QuoteError::Overflow)?;
            worst = Some(price);
        }
        let Some(worst_price) = worst else {
            return Err(QuoteError::EmptySide(match side {
                Side::Buy => "ask",
                Side::Sell => "bid",
            }));
        };
        let fee = gross.checked_mul(fee_rate).ok_or(QuoteError::Overflow)?;
        let net = match side {
            Side::Buy => gross.checked_add(fee),
            Side::Sell => gross.checked_sub(fee),
        }
        .ok_or(QuoteError::Overflow)?;
        // levels come from the network: a huge price on a tiny size must not panic here
        let average_price = net.checked_div(filled).ok_or(QuoteError::Overflow)?;
        Ok(BookQuote {
            side,
            size,
            filled,
            gross,
            fee,
            net,
            average_price,
            worst_price,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;
    use std::collections::BTreeMap;

    fn book() -> OrderBook {
        OrderBook::new(
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.001)).unwrap(),
        )
    }

    #[test]
    fn best_levels_and_removal() {
        let mut b = book();
        b.bids.set(100, 5);
        b.bids.set(102, 1);
        b.bids.set(101, 2);
        b.asks.set(105, 3);
        b.asks.set(103, 4);
        assert_eq!(
            b.best_bid(),
            Some(Level {
                ticks: 102,
                lots: 1
            })
        );
        assert_eq!(
            b.best_ask(),
            Some(Level {
                ticks: 103,
                lots: 4
            })
        );
        b.bids.set(102, 0);
        b.asks.set(103, 0);
        b.asks.set(999, 0);
        assert_eq!(b.best_bid().unwrap().ticks, 101);
        assert_eq!(b.best_ask().unwrap().ticks, 105);
        b.bids.set(101, 7);
        assert_eq!(b.bids.lots_at(101), Some(7));
        assert_eq!(b.bids.len(), 2);
        assert_eq!(
            b.canonical_dump(2, 3),
            "b 1.01 0.007\nb 1.00 0.005\na 1.05 0.003\n"
        );
    }

    #[test]
    fn quote_walks_levels_with_fees() {
        let mut b = book();
        b.asks.set(10_000, 1_000); // 100.00 x 1.000
        b.asks.set(10_100, 2_000); // 101.00 x 2.000
        b.bids.set(9_900, 500);
        let q = b.quote(Side::Buy, dec!(2), dec!(0.001)).unwrap();
        assert_eq!(q.gross, dec!(201));
        assert_eq!(q.fee, dec!(0.201));
        assert_eq!(q.net, dec!(201.201));
        assert_eq!(q.average_price, dec!(100.6005));
        assert_eq!(q.worst_price, dec!(101));
        assert_eq!(q.filled, dec!(2));
        let q = b.quote(Side::Sell, dec!(1), dec!(0)).unwrap();
        assert_eq!(q.filled, dec!(0.5), "thin book fills partly");
        assert_eq!(q.average_price, dec!(99));
        assert!(b.quote(Side::Sell, dec!(0), dec!(0)).is_err());
        b.bids.clear();
        assert_eq!(
            b.quote(Side::Sell, dec!(1), dec!(0)),
            Err(QuoteError::EmptySide("bid"))
        );
    }

    /// A size far beyond the book (`Decimal::MAX`) fills what the book holds, exactly: the
    /// amounts taken are not lost to rounding (which left `filled` at zero and divided by it).
    #[test]
    fn a_huge_size_fills_the_book_exactly() {
        let mut b = book();
        b.asks.set(10_000, 1); // 100.00 x 0.001
        b.asks.set(10_001, 2); // 100.01 x 0.002
        let q = b.quote(Side::Buy, Decimal::MAX, dec!(0.001)).unwrap();
        assert_eq!(q.filled, dec!(0.003));
        assert_eq!(q.gross, dec!(0.30002));
        assert_eq!(q.net, dec!(0.30032002));
        assert_eq!(q.average_price, dec!(0.30032002) / dec!(0.003));
        // a fee rate that overflows the net: a typed error
        assert_eq!(
            b.quote(Side::Buy, dec!(1), Decimal::MAX),
            Err(QuoteError::Overflow)
        );
    }

    fn check_side_against_model(ops: &[(u64, u64, bool)]) -> Result<(), TestCaseError> {
        let mut b = book();
        let mut bids = BTreeMap::new();
        let mut asks = BTreeMap::new();
        for &(t, q, bid) in ops {
            let m = if bid { &mut bids } else { &mut asks };
            if q == 0 {
                m.remove(&t);
            } else {
                m.insert(t, q);
            }
            if bid {
                b.bids.set(t, q)
            } else {
                b.asks.set(t, q)
            }
            // best levels stay right after every single change
            prop_assert_eq!(
                b.best_bid().map(|l| (l.ticks, l.lots)),
                bids.iter().next_back().map(|(t, q)| (*t, *q))
            );
            prop_assert_eq!(
                b.best_ask().map(|l| (l.ticks, l.lots)),
                asks.iter().next().map(|(t, q)| (*t, *q))
            );
            prop_assert_eq!(b.bids.len(), bids.len());
        }
        let got_b: Vec<_> = b
            .bids
            .iter_best_first()
            .map(|l| (l.ticks, l.lots))
            .collect();
        let want_b: Vec<_> = bids.iter().rev().map(|(t, q)| (*t, *q)).collect();
        prop_assert_eq!(got_b, want_b);
        let got_a: Vec<_> = b
            .asks
            .iter_best_first()
            .map(|l| (l.ticks, l.lots))
            .collect();
        let want_a: Vec<_> = asks.iter().map(|(t, q)| (*t, *q)).collect();
        prop_assert_eq!(got_a, want_a);
        for &(t, _, _) in ops {
            prop_assert_eq!(b.bids.lots_at(t), bids.get(&t).copied());
        }
        Ok(())
    }

    proptest! {
        /// Levels spread over several ladder chunks, chunk edges and a far-away price.
        #[test]
        fn ladder_matches_a_map_across_chunks(ops in proptest::collection::vec(
            (prop_oneof![1000u64..1100, 2040u64..2060, 0u64..4096, 5_000_000u64..5_000_003], 0u64..3, any::<bool>()),
            0..400,
        )) {
            check_side_against_model(&ops)?;
        }

        /// Setting the levels of a diff side at once (`set_all`, the hot path) leaves the same
        /// book after every batch as setting them one by one, across chunks and best removals.
        #[test]
        fn set_all_equals_one_by_one(batches in proptest::collection::vec(
            proptest::collection::vec(
                (prop_oneof![1000u64..1040, 2040u64..2060, 0u64..4096, 5_000_000u64..5_000_003], 0u64..3),
                0..20,
            ),
            0..40,
        )) {
            let (mut one, mut all) = (book(), book());
            for (k, batch) in batches.iter().enumerate() {
                let levels: Vec<Level> = batch.iter().map(|&(ticks, lots)| Level { ticks, lots }).collect();
                if k % 2 == 0 {
                    for l in &levels {
                        one.bids.set(l.ticks, l.lots);
                    }
                    all.bids.set_all(&levels);
                } else {
                    for l in &levels {
                        one.asks.set(l.ticks, l.lots);
                    }
                    all.asks.set_all(&levels);
                }
                prop_assert_eq!(one.best_bid(), all.best_bid());
                prop_assert_eq!(one.best_ask(), all.best_ask());
                prop_assert_eq!(&one, &all);
            }
        }

        /// The book matches a BTreeMap model after any sequence of sets.
        #[test]
        fn matches_a_map(ops in proptest::collection::vec((0u64..60, 0u64..4, any::<bool>()), 0..300)) {
            let mut b = book();
            let mut bids = BTreeMap::new();
            let mut asks = BTreeMap::new();
            for (t, q, bid) in ops {
                let (side_map, tick) = if bid { (&mut bids, t) } else { (&mut asks, t + 100) };
                if q == 0 { side_map.remove(&tick); } else { side_map.insert(tick, q); }
                if bid { b.bids.set(tick, q) } else { b.asks.set(tick, q) }
            }
            let got_b: Vec<_> = b.bids.iter_best_first().map(|l| (l.ticks, l.lots)).collect();
            let want_b: Vec<_> = bids.iter().rev().map(|(t, q)| (*t, *q)).collect();
            prop_assert_eq!(got_b, want_b);
            let got_a: Vec<_> = b.asks.iter_best_first().map(|l| (l.ticks, l.lots)).collect();
            let want_a: Vec<_> = asks.iter().map(|(t, q)| (*t, *q)).collect();
            prop_assert_eq!(got_a, want_a);
        }
    }
}
