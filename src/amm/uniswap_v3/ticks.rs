//! The initialized ticks of a pool as a sorted list, answering the question the pool's tick bitmap
//! answers (`nextInitializedTickWithinOneWord`): the next initialized tick in the swap's direction,
//! or the edge of the current 256-tick-spacing word if there is none. Steps end at word edges in
//! the contract too, and every step rounds, so the edges matter for exact results.

use serde::{Deserialize, Serialize};

/// One initialized tick: the liquidity change when the price crosses it upwards, and the total
/// liquidity referencing it (a tick stays initialized while that is non-zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickInfo {
    pub tick: i32,
    pub liquidity_net: i128,
    pub liquidity_gross: u128,
}

/// Initialized ticks sorted by tick.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TickSet {
    ticks: Vec<TickInfo>,
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
        Self { ticks }
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

    /// Next initialized tick within the current bitmap word: at or below `tick` when `lte`, strictly
    /// above otherwise; else the word's last tick in that direction, with `false`.
    #[inline]
    pub fn next_initialized_within_word(&self, tick: i32, spacing: i32, lte: bool) -> (i32, bool) {
        let compressed = tick.div_euclid(spacing);
        if lte {
            let word_low = (compressed >> 8) << 8;
            let upper = compressed * spacing;
            // Index of the first tick above `upper`; the candidate is just before it.
            let idx = self.ticks.partition_point(|t| t.tick <= upper);
            if let Some(t) = idx.checked_sub(1).and_then(|i| self.ticks.get(i))
                && t.tick >= word_low * spacing
            {
                return (t.tick, true);
            }
            (word_low * spacing, false)
        } else {
            let next = compressed + 1;
            let word_high = ((next >> 8) << 8) + 255;
            let lower = next * spacing;
            let idx = self.ticks.partition_point(|t| t.tick < lower);
            if let Some(t) = self.ticks.get(idx)
                && t.tick <= word_high * spacing
            {
                return (t.tick, true);
            }
            (word_high * spacing, false)
        }
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
        self.update_tick(tick_upper, delta, true)
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
