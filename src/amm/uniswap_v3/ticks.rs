//! The initialized ticks of a pool as a sorted list, answering the question the pool's tick bitmap
//! answers (`nextInitializedTickWithinOneWord`): the next initialized tick in the swap's direction,
//! or the edge of the current 256-tick-spacing word if there is none. Steps end at word edges in
//! the contract too, and every step rounds, so the edges matter for exact results.

use alloy::primitives::U256;
use serde::{Deserialize, Serialize};

use super::math::{RangeAmounts, get_sqrt_ratio_at_tick};

/// One initialized tick: the liquidity change when the price crosses it upwards, and the total
/// liquidity referencing it (a tick stays initialized while that is non-zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickInfo {
    pub tick: i32,
    pub liquidity_net: i128,
    pub liquidity_gross: u128,
}

/// Initialized ticks sorted by tick, each with its square-root price and the token amounts across
/// the range up to the next tick computed once (when the ticks are loaded or a position changes),
/// so that the swap loop neither recomputes a tick's price nor divides 512-bit products to cross a
/// whole range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "TickList", into = "TickList")]
pub struct TickSet {
    ticks: Vec<TickInfo>,
    /// `get_sqrt_ratio_at_tick` of `ticks[i]`, or zero for a tick outside the valid range.
    sqrt_prices: Vec<U256>,
    /// The amounts between `ticks[i]` and `ticks[i + 1]` at the liquidity in that range (the sum
    /// of the nets of `ticks[..=i]`); `None` for the last tick or where that sum is not a valid
    /// liquidity. The swap uses an entry only if its prices and liquidity are the step's.
    ranges: Vec<Option<RangeAmounts>>,
}

/// The serialized form of a [`TickSet`]: the ticks only (the prices are derived).
#[derive(Clone, Serialize, Deserialize)]
struct TickList {
    ticks: Vec<TickInfo>,
}

impl From<TickList> for TickSet {
    fn from(l: TickList) -> Self {
        TickSet::from_ticks(l.ticks)
    }
}

impl From<TickSet> for TickList {
    fn from(s: TickSet) -> Self {
        TickList { ticks: s.ticks }
    }
}

/// The square-root price cached for a tick (zero when out of range: the swap then computes it and
/// gets the error).
fn cached_sqrt_price(tick: i32) -> U256 {
    get_sqrt_ratio_at_tick(tick).unwrap_or(U256::ZERO)
}

/// The next initialized tick within a bitmap word, as the swap loop uses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTick {
    /// The initialized tick, or the word's last tick in the search direction.
    pub tick: i32,
    /// Index of the initialized tick in the set, if one was found.
    pub index: Option<usize>,
    /// Where the search split the sorted ticks: a hint for the next search.
    pub split: usize,
}

/// Why a liquidity change cannot be applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("liquidity at tick {tick} would leave the u128/i128 range")]
pub struct TickLiquidityError {
    pub tick: i32,
}

impl TickSet {
    /// Builds a set from ticks in any order; ticks without gross liquidity are dropped, a repeated
    /// tick keeps its last entry.
    pub fn from_ticks(mut ticks: Vec<TickInfo>) -> Self {
        ticks.retain(|t| t.liquidity_gross != 0);
        ticks.sort_by_key(|t| t.tick);
        ticks.reverse();
        ticks.dedup_by_key(|t| t.tick);
        ticks.reverse();
        let sqrt_prices = ticks.iter().map(|t| cached_sqrt_price(t.tick)).collect();
        let mut set = Self {
            ranges: vec![None; ticks.len()],
            ticks,
            sqrt_prices,
        };
        set.refresh_ranges(0, usize::MAX);
        set
    }

    /// Recomputes the range amounts of `ranges[from..=to]` (clamped to the set).
    fn refresh_ranges(&mut self, from: usize, to: usize) {
        let Some(last) = self.ticks.len().checked_sub(1) else {
            return;
        };
        // liquidity below `ticks[from]`
        let mut liquidity: Option<i128> = Some(0);
        for t in self.ticks.iter().take(from) {
            liquidity = liquidity.and_then(|l| l.checked_add(t.liquidity_net));
        }
        for i in from..=to.min(last) {
            let net = self.ticks.get(i).map_or(0, |t| t.liquidity_net);
            liquidity = liquidity.and_then(|l| l.checked_add(net));
            let range = match (
                liquidity.and_then(|l| u128::try_from(l).ok()),
                self.sqrt_price_at(i),
                self.sqrt_price_at(i + 1),
            ) {
                (Some(l), Some(low), Some(high)) => RangeAmounts::new(low, high, l).ok(),
                _ => None,
            };
            if let Some(slot) = self.ranges.get_mut(i) {
                *slot = range;
            }
        }
    }

    /// The precomputed amounts between the ticks at `index` and `index + 1`.
    #[inline]
    pub fn range_at(&self, index: usize) -> Option<&RangeAmounts> {
        self.ranges.get(index).and_then(Option::as_ref)
    }

    pub fn len(&self) -> usize {
        self.ticks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ticks.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &TickInfo> {
        self.ticks.iter()
    }

    pub fn get(&self, tick: i32) -> Option<&TickInfo> {
        self.ticks
            .binary_search_by_key(&tick, |t| t.tick)
            .ok()
            .and_then(|i| self.ticks.get(i))
    }

    /// The liquidity change of crossing `tick` upwards (0 for an uninitialized tick).
    #[inline]
    pub fn liquidity_net(&self, tick: i32) -> i128 {
        self.get(tick).map_or(0, |t| t.liquidity_net)
    }

    /// The liquidity change of crossing the tick at `index` upwards.
    #[inline]
    pub fn liquidity_net_at(&self, index: usize) -> Option<i128> {
        self.ticks.get(index).map(|t| t.liquidity_net)
    }

    /// The square-root price of the tick at `index` (`None` if out of the valid tick range).
    #[inline]
    pub fn sqrt_price_at(&self, index: usize) -> Option<U256> {
        self.sqrt_prices
            .get(index)
            .copied()
            .filter(|p| !p.is_zero())
    }

    /// [`TickSet::sqrt_price_at`] as a `u128`, if it fits (read in place: copying the 256-bit
    /// value out and comparing it stalled the swap loop).
    #[inline(always)]
    pub(crate) fn sqrt_price_u128_at(&self, index: usize) -> Option<u128> {
        let l = self.sqrt_prices.get(index)?.as_limbs();
        let p = u128::from(l[0]) | (u128::from(l[1]) << 64);
        ((l[2] | l[3]) == 0 && p != 0).then_some(p)
    }

    /// Next initialized tick within the current bitmap word: at or below `tick` when `lte`, strictly
    /// above otherwise; else the word's last tick in that direction, with `false`.
    #[inline]
    pub fn next_initialized_within_word(&self, tick: i32, spacing: i32, lte: bool) -> (i32, bool) {
        let n = self.next_within_word(tick, spacing, lte, usize::MAX);
        (n.tick, n.index.is_some())
    }

    /// [`TickSet::next_initialized_within_word`] with the index of the tick found. `hint` is the
    /// `split` of the previous search of the same swap: the split is checked there and next to it
    /// first (a swap moves from one tick to its neighbour), then found by binary search.
    #[inline(always)]
    pub fn next_within_word(&self, tick: i32, spacing: i32, lte: bool, hint: usize) -> NextTick {
        let compressed = tick.div_euclid(spacing);
        if lte {
            let word_low = (compressed >> 8) << 8;
            let upper = compressed * spacing;
            // Index of the first tick above `upper`; the candidate is just before it.
            let split = self.split(hint, |t| t <= upper);
            if let Some(i) = split.checked_sub(1)
                && let Some(t) = self.ticks.get(i)
                && t.tick >= word_low * spacing
            {
                return NextTick {
                    tick: t.tick,
                    index: Some(i),
                    split,
                };
            }
            NextTick {
                tick: word_low * spacing,
                index: None,
                split,
            }
        } else {
            let next = compressed + 1;
            let word_high = ((next >> 8) << 8) + 255;
            let lower = next * spacing;
            let split = self.split(hint, |t| t < lower);
            if let Some(t) = self.ticks.get(split)
                && t.tick <= word_high * spacing
            {
                return NextTick {
                    tick: t.tick,
                    index: Some(split),
                    split,
                };
            }
            NextTick {
                tick: word_high * spacing,
                index: None,
                split,
            }
        }
    }

    /// The number of ticks `t` with `before(t)` (a prefix, the ticks being sorted), checked at
    /// `hint - 1`, `hint`, `hint + 1` before a binary search.
    #[inline(always)]
    fn split(&self, hint: usize, before: impl Fn(i32) -> bool) -> usize {
        let is_split = |p: usize| {
            p <= self.ticks.len()
                && (p == 0 || self.ticks.get(p - 1).is_some_and(|t| before(t.tick)))
                && self.ticks.get(p).is_none_or(|t| !before(t.tick))
        };
        for p in [hint, hint.wrapping_sub(1), hint.wrapping_add(1)] {
            if is_split(p) {
                return p;
            }
        }
        self.ticks.partition_point(|t| before(t.tick))
    }

    /// Applies a position's liquidity change to its two ticks (a Mint with `delta > 0`, a Burn with
    /// `delta < 0`), as the pool's `Tick.update` does.
    pub fn update_position(
        &mut self,
        tick_lower: i32,
        tick_upper: i32,
        delta: i128,
    ) -> Result<(), TickLiquidityError> {
        self.update_tick(tick_lower, delta, false)?;
        self.update_tick(tick_upper, delta, true)?;
        // the liquidity changed in the ranges from the lower tick to the upper one, and a tick
        // added or removed changed the range that ends at it
        let from = self.ticks.partition_point(|t| t.tick < tick_lower);
        let to = self.ticks.partition_point(|t| t.tick < tick_upper);
        self.refresh_ranges(from.saturating_sub(1), to);
        Ok(())
    }

    fn update_tick(
        &mut self,
        tick: i32,
        delta: i128,
        upper: bool,
    ) -> Result<(), TickLiquidityError> {
        if delta == 0 {
            return Ok(());
        }
        let err = TickLiquidityError { tick };
        let net_delta = if upper {
            delta.checked_neg().ok_or(err)?
        } else {
            delta
        };
        match self.ticks.binary_search_by_key(&tick, |t| t.tick) {
            Ok(i) => {
                let t = self.ticks.get_mut(i).ok_or(err)?;
                t.liquidity_gross = t.liquidity_gross.checked_add_signed(delta).ok_or(err)?;
                t.liquidity_net = t.liquidity_net.checked_add(net_delta).ok_or(err)?;
                if t.liquidity_gross == 0 {
                    self.ticks.remove(i);
                    self.sqrt_prices.remove(i);
                    self.ranges.remove(i);
                }
            }
            Err(i) => {
                let gross = u128::try_from(delta).map_err(|_| err)?;
                self.ticks.insert(
                    i,
                    TickInfo {
                        tick,
                        liquidity_net: net_delta,
                        liquidity_gross: gross,
                    },
                );
                self.sqrt_prices.insert(i, cached_sqrt_price(tick));
                self.ranges.insert(i, None);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ticks: &[i32]) -> TickSet {
        TickSet::from_ticks(
            ticks
                .iter()
                .map(|&tick| TickInfo {
                    tick,
                    liquidity_net: 1,
                    liquidity_gross: 1,
                })
                .collect(),
        )
    }

    #[test]
    fn next_tick_like_the_bitmap() {
        // The v3-core TickBitmap test layout: initialized -200, -55, -4, 70, 78, 84, 139, 240, 535
        // with spacing 1.
        let s = set(&[-200, -55, -4, 70, 78, 84, 139, 240, 535]);
        // upwards (lte = false)
        assert_eq!(s.next_initialized_within_word(78, 1, false), (84, true));
        assert_eq!(s.next_initialized_within_word(77, 1, false), (78, true));
        assert_eq!(s.next_initialized_within_word(-56, 1, false), (-55, true));
        assert_eq!(s.next_initialized_within_word(255, 1, false), (511, false));
        assert_eq!(s.next_initialized_within_word(-257, 1, false), (-200, true));
        assert_eq!(s.next_initialized_within_word(328, 1, false), (511, false));
        assert_eq!(s.next_initialized_within_word(508, 1, false), (511, false));
        // downwards (lte = true)
        assert_eq!(s.next_initialized_within_word(78, 1, true), (78, true));
        assert_eq!(s.next_initialized_within_word(79, 1, true), (78, true));
        assert_eq!(s.next_initialized_within_word(258, 1, true), (256, false));
        assert_eq!(s.next_initialized_within_word(256, 1, true), (256, false));
        assert_eq!(s.next_initialized_within_word(72, 1, true), (70, true));
        assert_eq!(s.next_initialized_within_word(-257, 1, true), (-512, false));
        assert_eq!(s.next_initialized_within_word(1023, 1, true), (768, false));
        assert_eq!(s.next_initialized_within_word(900, 1, true), (768, false));
    }

    #[test]
    fn spacing_compresses_negative_ticks_towards_minus_infinity() {
        let s = set(&[-120, 60]);
        // Tick -1 with spacing 60 compresses to -1 (tick -60), in word -1; -60 is not initialized,
        // so the search down finds -120.
        assert_eq!(s.next_initialized_within_word(-1, 60, true), (-120, true));
        assert_eq!(s.next_initialized_within_word(-1, 60, false), (60, true));
        assert_eq!(
            s.next_initialized_within_word(60, 60, false),
            (255 * 60, false)
        );
    }

    proptest::proptest! {
        /// The hinted search finds what the plain binary search finds, whatever the hint.
        #[test]
        fn hinted_search_equals_binary_search(
            raw in proptest::collection::vec(-3000i32..3000, 0..40),
            tick in -4000i32..4000,
            spacing in proptest::sample::select(vec![1i32, 10, 60, 200]),
            lte in proptest::prelude::any::<bool>(),
            hint in 0usize..45,
        ) {
            let s = set(&raw.iter().map(|t| t * spacing / 10).collect::<Vec<_>>());
            let plain = s.next_within_word(tick, spacing, lte, usize::MAX);
            for h in [hint, usize::MAX, plain.split, plain.split + 1, plain.split.wrapping_sub(1)] {
                proptest::prop_assert_eq!(s.next_within_word(tick, spacing, lte, h), plain);
            }
            if let Some(i) = plain.index {
                proptest::prop_assert_eq!(s.iter().nth(i).map(|t| t.tick), Some(plain.tick));
                proptest::prop_assert_eq!(s.sqrt_price_at(i), get_sqrt_ratio_at_tick(plain.tick).ok());
            }
        }
    }

    #[test]
    fn cached_prices_follow_updates_and_serde() {
        let mut s = TickSet::default();
        s.update_position(-600, 600, 10).unwrap();
        s.update_position(-60, 60, 5).unwrap();
        s.update_position(-600, 600, -10).unwrap();
        let ticks: Vec<i32> = s.iter().map(|t| t.tick).collect();
        assert_eq!(ticks, vec![-60, 60]);
        for (i, t) in ticks.iter().enumerate() {
            assert_eq!(s.sqrt_price_at(i), get_sqrt_ratio_at_tick(*t).ok());
        }
        let json = serde_json::to_string(&s).unwrap();
        assert!(!json.contains("sqrt"), "{json}");
        let back: TickSet = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        // a tick outside the valid range has no cached price
        let bad = set(&[MAX_TICK_PLUS_ONE]);
        assert_eq!(bad.sqrt_price_at(0), None);
    }

    const MAX_TICK_PLUS_ONE: i32 = crate::amm::uniswap_v3::math::MAX_TICK + 1;

    #[test]
    fn positions_add_and_remove_ticks() {
        let mut s = TickSet::default();
        s.update_position(-60, 60, 100).unwrap();
        s.update_position(0, 60, 50).unwrap();
        assert_eq!(s.liquidity_net(-60), 100);
        assert_eq!(s.liquidity_net(60), -150);
        assert_eq!(s.get(60).unwrap().liquidity_gross, 150);
        s.update_position(-60, 60, -100).unwrap();
        assert_eq!(s.len(), 2);
        assert!(s.get(-60).is_none());
        assert!(s.update_position(0, 60, -51).is_err());
    }
}
