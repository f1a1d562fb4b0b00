//! A v3 pool's state as the swap needs it (price, tick, in-range liquidity, initialized ticks, fee)
//! and the swap loop of `UniswapV3Pool.swap`, step by step across initialized ticks, for exact input
//! or exact output, with a price limit. No allocation on this path.

use alloy::primitives::{Address, U256};
use serde::{Deserialize, Serialize};

use super::math::as_u128;
use super::math::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, MathError, compute_swap_step_in, eq,
    get_sqrt_ratio_at_tick, get_tick_at_sqrt_ratio, is_zero,
};
use super::ticks::TickSet;

mod narrow;

/// The fee tiers of the canonical factory: fee in millionths and tick spacing.
pub const FEE_TIERS: [(u32, i32); 4] = [(100, 1), (500, 10), (3000, 60), (10000, 200)];

/// The tick spacing the canonical factory assigns to a fee tier.
pub fn tick_spacing_for_fee(fee: u32) -> Option<i32> {
    FEE_TIERS.iter().find(|(f, _)| *f == fee).map(|(_, s)| *s)
}

/// Everything the swap reads from a pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolState {
    pub address: Address,
    pub token0: Address,
    pub token1: Address,
    /// Fee in millionths (3000 = 0.3%).
    pub fee: u32,
    pub tick_spacing: i32,
    pub sqrt_price_x96: U256,
    /// `slot0.tick`. Not always `get_tick_at_sqrt_ratio(sqrt_price)`: after a swap down to exactly
    /// a tick's price the pool stores that tick minus one.
    pub tick: i32,
    /// Liquidity in range at the current price.
    pub liquidity: u128,
    pub ticks: TickSet,
}

/// What the swap specifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SwapAmount {
    /// Spend exactly this much input.
    ExactIn(U256),
    /// Receive exactly this much output.
    ExactOut(U256),
}

/// The amounts of a simulated swap and the pool's state after it.
#[derive(Debug, Clone, Copy)]
pub struct SwapOutcome {
    /// Paid to the pool, fee included.
    pub amount_in: U256,
    pub amount_out: U256,
    /// Fees paid, in the input token.
    pub fee_amount: U256,
    pub sqrt_price_after: U256,
    /// The pool's tick after the swap ([`SwapOutcome::tick_after`]); `None` when it is
    /// `get_tick_at_sqrt_ratio(sqrt_price_after)`, which is then computed only if asked for (a
    /// quote does not need it, and it is a good part of a short swap's time).
    pub(crate) tick: Option<i32>,
    pub liquidity_after: u128,
    /// Initialized ticks crossed (what QuoterV2 reports as `initializedTicksCrossed`, minus its
    /// quirks at the final tick).
    pub ticks_crossed: u32,
    /// Whether the whole specified amount was swapped (false when the price limit or the end of
    /// liquidity stopped the swap first).
    pub complete: bool,
}

impl SwapOutcome {
    /// `slot0.tick` after the swap.
    pub fn tick_after(&self) -> i32 {
        match self.tick {
            Some(t) => t,
            // The swap checked that the price is in [MIN_SQRT_RATIO, MAX_SQRT_RATIO) before
            // leaving the tick to compute, so this cannot fail.
            None => get_tick_at_sqrt_ratio(self.sqrt_price_after).unwrap_or(MIN_TICK),
        }
    }
}

impl PartialEq for SwapOutcome {
    fn eq(&self, o: &Self) -> bool {
        self.amount_in == o.amount_in
            && self.amount_out == o.amount_out
            && self.fee_amount == o.fee_amount
            && self.sqrt_price_after == o.sqrt_price_after
            && self.tick_after() == o.tick_after()
            && self.liquidity_after == o.liquidity_after
            && self.ticks_crossed == o.ticks_crossed
            && self.complete == o.complete
    }
}

impl Eq for SwapOutcome {}

/// Why a swap cannot be simulated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SwapError {
    #[error("swap amount is zero")]
    ZeroAmount,
    #[error("price limit is on the wrong side of the current price or outside the valid range")]
    BadPriceLimit,
    #[error(transparent)]
    Math(#[from] MathError),
}

/// The largest amount a pool accepts (amounts are int256 in the contract).
const MAX_AMOUNT: U256 = U256::from_limbs([u64::MAX, u64::MAX, u64::MAX, i64::MAX as u64]);

impl PoolState {
    /// The default price limit of the periphery (QuoterV2, SwapRouter with limit 0): as far as the
    /// pool allows.
    pub fn default_price_limit(zero_for_one: bool) -> U256 {
        if zero_for_one {
            MIN_SQRT_RATIO + U256::from(1u8)
        } else {
            MAX_SQRT_RATIO - U256::from(1u8)
        }
    }

    /// Simulates `swap(zeroForOne, amount, sqrtPriceLimitX96)` without changing the state.
    pub fn simulate_swap(
        &self,
        zero_for_one: bool,
        amount: SwapAmount,
        sqrt_price_limit: Option<U256>,
    ) -> Result<SwapOutcome, SwapError> {
        let (specified, exact_in) = match amount {
            SwapAmount::ExactIn(a) => (a, true),
            SwapAmount::ExactOut(a) => (a, false),
        };
        if is_zero(&specified) {
            return Err(SwapError::ZeroAmount);
        }
        if specified > MAX_AMOUNT {
            return Err(MathError::AmountOverflow.into());
        }
        let limit = sqrt_price_limit.unwrap_or_else(|| Self::default_price_limit(zero_for_one));
        let limit_ok = if zero_for_one {
            limit < self.sqrt_price_x96 && limit > MIN_SQRT_RATIO
        } else {
            limit > self.sqrt_price_x96 && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(SwapError::BadPriceLimit);
        }

        let mut remaining = specified;
        let mut calculated = U256::ZERO;
        let mut fees = U256::ZERO;
        let mut sqrt_price = self.sqrt_price_x96;
        let mut tick = self.tick;
        let mut liquidity = self.liquidity;
        if let (Some(specified), Some(sqrt_price)) =
            (as_u128(specified), as_u128(self.sqrt_price_x96))
            && let Some(outcome) =
                narrow::simulate(self, zero_for_one, specified, exact_in, sqrt_price, limit)
        {
            return Ok(outcome);
        }

        let mut ticks_crossed = 0u32;
        let mut hint = usize::MAX;
        let mut tick_at_price = false;

        while !is_zero(&remaining) && !eq(&sqrt_price, &limit) {
            let start = sqrt_price;
            let found = self
                .ticks
                .next_within_word(tick, self.tick_spacing, zero_for_one, hint);
            hint = found.split;
            let next_tick = found.tick.clamp(MIN_TICK, MAX_TICK);
            // an initialized tick in range: its price was computed when it was loaded
            let cached = found
                .index
                .filter(|_| next_tick == found.tick)
                .and_then(|i| self.ticks.sqrt_price_at(i));
            let sqrt_next = match cached {
                Some(p) => p,
                None => get_sqrt_ratio_at_tick(next_tick)?,
            };
            let target =
                if (zero_for_one && sqrt_next < limit) || (!zero_for_one && sqrt_next > limit) {
                    limit
                } else {
                    sqrt_next
                };
            // the range this step crosses, when it ends at an initialized tick: below that tick
            // going up, above it going down (used only if its prices and liquidity are the step's)
            let range = found
                .index
                .filter(|_| next_tick == found.tick)
                .and_then(|i| {
                    if zero_for_one {
                        Some(i)
                    } else {
                        i.checked_sub(1)
                    }
                })
                .and_then(|r| self.ticks.range_at(r));
            let step = compute_swap_step_in(
                sqrt_price, target, liquidity, remaining, exact_in, self.fee, range,
            )?;
            sqrt_price = step.sqrt_price_next;
            let step_in = step
                .amount_in
                .checked_add(step.fee_amount)
                .filter(|v| *v <= MAX_AMOUNT)
                .ok_or(MathError::AmountOverflow)?;
            if exact_in {
                remaining = remaining
                    .checked_sub(step_in)
                    .ok_or(MathError::AmountOverflow)?;
                calculated = checked_amount(calculated, step.amount_out)?;
            } else {
                remaining = remaining
                    .checked_sub(step.amount_out)
                    .ok_or(MathError::AmountOverflow)?;
                calculated = checked_amount(calculated, step_in)?;
            }
            fees += step.fee_amount;

            if eq(&sqrt_price, &sqrt_next) {
                if let Some(index) = found.index {
                    let net = if next_tick == found.tick {
                        self.ticks.liquidity_net_at(index).unwrap_or(0)
                    } else {
                        self.ticks.liquidity_net(next_tick)
                    };
                    let net = if zero_for_one {
                        net.checked_neg().ok_or(MathError::LiquidityOverflow)?
                    } else {
                        net
                    };
                    liquidity = liquidity
                        .checked_add_signed(net)
                        .ok_or(MathError::LiquidityOverflow)?;
                    ticks_crossed += 1;
                }
                tick = if zero_for_one {
                    next_tick - 1
                } else {
                    next_tick
                };
            } else if !eq(&sqrt_price, &start) {
                if is_zero(&remaining) || eq(&sqrt_price, &limit) {
                    // the last step: the tick is left to compute when asked for
                    if sqrt_price < MIN_SQRT_RATIO || sqrt_price >= MAX_SQRT_RATIO {
                        return Err(MathError::SqrtPriceOutOfRange.into());
                    }
                    tick_at_price = true;
                } else {
                    tick = get_tick_at_sqrt_ratio(sqrt_price)?;
                }
            }
        }

        let done = specified - remaining;
        let (amount_in, amount_out) = if exact_in {
            (done, calculated)
        } else {
            (calculated, done)
        };
        Ok(SwapOutcome {
            amount_in,
            amount_out,
            fee_amount: fees,
            sqrt_price_after: sqrt_price,
            tick: (!tick_at_price).then_some(tick),
            liquidity_after: liquidity,
            ticks_crossed,
            complete: is_zero(&remaining),
        })
    }
}

/// Adds to a running total that the contract keeps as an int256.
#[inline]
fn checked_amount(total: U256, add: U256) -> Result<U256, MathError> {
    total
        .checked_add(add)
        .filter(|v| *v <= MAX_AMOUNT)
        .ok_or(MathError::AmountOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::uniswap_v3::math::Q96;
    use proptest::prelude::*;

    /// A 0.3% pool at price 1 with positions spread over many ticks.
    fn pool() -> PoolState {
        let mut ticks = TickSet::default();
        let mut liquidity = 0u128;
        for i in 0..40 {
            let (lo, hi) = (-60 * (i + 1) * 7, 60 * (i + 1) * 5);
            let l = 10u128.pow(22) + i as u128 * 10u128.pow(21);
            ticks.update_position(lo, hi, l as i128).unwrap();
            liquidity += l;
        }
        PoolState {
            address: Address::ZERO,
            token0: Address::ZERO,
            token1: Address::ZERO,
            fee: 3000,
            tick_spacing: 60,
            sqrt_price_x96: Q96,
            tick: 0,
            liquidity,
            ticks,
        }
    }

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn small_swap_stays_in_range() {
        let p = pool();
        let out = p
            .simulate_swap(true, SwapAmount::ExactIn(e18(1)), None)
            .unwrap();
        assert!(out.complete);
        assert_eq!(out.amount_in, e18(1));
        assert!(out.amount_out < e18(1) && out.amount_out > e18(996) / U256::from(1000u32));
        assert_eq!(out.ticks_crossed, 0);
        assert!(out.sqrt_price_after < Q96);
    }

    #[test]
    fn large_swaps_cross_ticks_and_run_out() {
        let p = pool();
        let big = p
            .simulate_swap(false, SwapAmount::ExactIn(e18(500_000)), None)
            .unwrap();
        assert!(big.ticks_crossed > 3, "{}", big.ticks_crossed);
        assert!(big.complete);
        // More than all the token0 in the pool: the swap stops at the last position.
        let all = p
            .simulate_swap(false, SwapAmount::ExactIn(e18(1_000_000_000_000)), None)
            .unwrap();
        assert!(!all.complete);
        assert_eq!(all.liquidity_after, 0);
        assert_eq!(all.ticks_crossed, 40);
        // And exact output beyond the reserves cannot complete either.
        let out = p
            .simulate_swap(
                false,
                SwapAmount::ExactOut(all.amount_out + U256::from(1u8)),
                None,
            )
            .unwrap();
        assert!(!out.complete);
    }

    #[test]
    fn bad_requests() {
        let p = pool();
        assert_eq!(
            p.simulate_swap(true, SwapAmount::ExactIn(U256::ZERO), None),
            Err(SwapError::ZeroAmount)
        );
        assert_eq!(
            p.simulate_swap(
                true,
                SwapAmount::ExactIn(e18(1)),
                Some(Q96 + U256::from(1u8))
            ),
            Err(SwapError::BadPriceLimit)
        );
        assert_eq!(
            p.simulate_swap(false, SwapAmount::ExactIn(e18(1)), Some(MAX_SQRT_RATIO)),
            Err(SwapError::BadPriceLimit)
        );
    }

    #[test]
    fn price_limit_stops_the_swap() {
        let p = pool();
        let limit = get_sqrt_ratio_at_tick(-600).unwrap();
        let out = p
            .simulate_swap(true, SwapAmount::ExactIn(e18(1_000_000)), Some(limit))
            .unwrap();
        assert!(!out.complete);
        assert_eq!(out.sqrt_price_after, limit);
        assert_eq!(out.tick_after(), -600);
    }

    /// The swap loop as it was before the caches (every price from `get_sqrt_ratio_at_tick`,
    /// every amount computed, the next tick by binary search): the reference for the fast loop.
    fn reference_swap(
        pool: &PoolState,
        zero_for_one: bool,
        amount: SwapAmount,
        sqrt_price_limit: Option<U256>,
    ) -> Result<SwapOutcome, SwapError> {
        let (specified, exact_in) = match amount {
            SwapAmount::ExactIn(a) => (a, true),
            SwapAmount::ExactOut(a) => (a, false),
        };
        if specified.is_zero() {
            return Err(SwapError::ZeroAmount);
        }
        if specified > MAX_AMOUNT {
            return Err(MathError::AmountOverflow.into());
        }
        let limit =
            sqrt_price_limit.unwrap_or_else(|| PoolState::default_price_limit(zero_for_one));
        let limit_ok = if zero_for_one {
            limit < pool.sqrt_price_x96 && limit > MIN_SQRT_RATIO
        } else {
            limit > pool.sqrt_price_x96 && limit < MAX_SQRT_RATIO
        };
        if !limit_ok {
            return Err(SwapError::BadPriceLimit);
        }

        let mut remaining = specified;
        let mut calculated = U256::ZERO;
        let mut fees = U256::ZERO;
        let mut sqrt_price = pool.sqrt_price_x96;
        let mut tick = pool.tick;
        let mut liquidity = pool.liquidity;
        let mut ticks_crossed = 0u32;

        while !remaining.is_zero() && sqrt_price != limit {
            let start = sqrt_price;
            let (next_tick, initialized) =
                pool.ticks
                    .next_initialized_within_word(tick, pool.tick_spacing, zero_for_one);
            let next_tick = next_tick.clamp(MIN_TICK, MAX_TICK);
            let sqrt_next = get_sqrt_ratio_at_tick(next_tick)?;
            let target =
                if (zero_for_one && sqrt_next < limit) || (!zero_for_one && sqrt_next > limit) {
                    limit
                } else {
                    sqrt_next
                };
            let step = crate::amm::uniswap_v3::math::compute_swap_step(
                sqrt_price, target, liquidity, remaining, exact_in, pool.fee,
            )?;
            sqrt_price = step.sqrt_price_next;
            let step_in = step
                .amount_in
                .checked_add(step.fee_amount)
                .filter(|v| *v <= MAX_AMOUNT)
                .ok_or(MathError::AmountOverflow)?;
            if exact_in {
                remaining = remaining
                    .checked_sub(step_in)
                    .ok_or(MathError::AmountOverflow)?;
                calculated = checked_amount(calculated, step.amount_out)?;
            } else {
                remaining = remaining
                    .checked_sub(step.amount_out)
                    .ok_or(MathError::AmountOverflow)?;
                calculated = checked_amount(calculated, step_in)?;
            }
            fees += step.fee_amount;

            if sqrt_price == sqrt_next {
                if initialized {
                    let net = pool.ticks.liquidity_net(next_tick);
                    let net = if zero_for_one {
                        net.checked_neg().ok_or(MathError::LiquidityOverflow)?
                    } else {
                        net
                    };
                    liquidity = liquidity
                        .checked_add_signed(net)
                        .ok_or(MathError::LiquidityOverflow)?;
                    ticks_crossed += 1;
                }
                tick = if zero_for_one {
                    next_tick - 1
                } else {
                    next_tick
                };
            } else if sqrt_price != start {
                tick = get_tick_at_sqrt_ratio(sqrt_price)?;
            }
        }

        let done = specified - remaining;
        let (amount_in, amount_out) = if exact_in {
            (done, calculated)
        } else {
            (calculated, done)
        };
        Ok(SwapOutcome {
            amount_in,
            amount_out,
            fee_amount: fees,
            sqrt_price_after: sqrt_price,
            tick: Some(tick),
            liquidity_after: liquidity,
            ticks_crossed,
            complete: remaining.is_zero(),
        })
    }

    /// A pool of random positions around a random price.
    fn random_pool(
        spacing: i32,
        fee: u32,
        center: i32,
        positions: &[(i32, i32, u128)],
        offset: u64,
    ) -> PoolState {
        let mut ticks = TickSet::default();
        let tick_at = |k: i32| (center.div_euclid(spacing) + k) * spacing;
        for &(a, b, l) in positions {
            let (lo, hi) = (tick_at(a.min(b)), tick_at(a.max(b) + 1));
            if lo >= MIN_TICK && hi <= MAX_TICK {
                ticks.update_position(lo, hi, l as i128).unwrap();
            }
        }
        // a price strictly inside the current tick's range (or on it, for offset 0)
        let base = get_sqrt_ratio_at_tick(center).unwrap();
        let span = get_sqrt_ratio_at_tick(center + 1).unwrap() - base;
        let sqrt_price = base + span * U256::from(offset % 1000) / U256::from(1000u32);
        let tick = get_tick_at_sqrt_ratio(sqrt_price).unwrap();
        let liquidity = ticks
            .iter()
            .filter(|t| t.tick <= tick)
            .map(|t| t.liquidity_net)
            .sum::<i128>();
        PoolState {
            address: Address::ZERO,
            token0: Address::ZERO,
            token1: Address::ZERO,
            fee,
            tick_spacing: spacing,
            sqrt_price_x96: sqrt_price,
            tick,
            liquidity: u128::try_from(liquidity).unwrap(),
            ticks,
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The loop with its caches (tick prices, range amounts, hinted search) gives exactly the
        /// reference loop's outcome or error, for random pools, sizes from dust to far beyond the
        /// liquidity, both directions, exact in and out, with and without a price limit, also
        /// after positions are added and removed.
        #[test]
        fn cached_loop_equals_the_reference(
            tier in 0usize..4,
            center in -400_000i32..400_000,
            positions in proptest::collection::vec((-40i32..40, -40i32..40, 1u128..1u128 << 90), 1..30),
            burn in 0usize..30,
            offset in any::<u64>(),
            mantissa in 1u64..u64::MAX,
            exponent in 0u32..40,
            zero_for_one in any::<bool>(),
            exact_in in any::<bool>(),
            limit_ticks in proptest::option::of(1i32..3000),
        ) {
            let (fee, spacing) = FEE_TIERS[tier];
            let mut p = random_pool(spacing, fee, center, &positions, offset);
            // remove one position again (a Burn) when there are several
            if positions.len() > 1 {
                let (a, b, l) = positions[burn % positions.len()];
                let tick_at = |k: i32| (center.div_euclid(spacing) + k) * spacing;
                let (lo, hi) = (tick_at(a.min(b)), tick_at(a.max(b) + 1));
                if lo >= MIN_TICK && hi <= MAX_TICK {
                    p.ticks.update_position(lo, hi, -(l as i128)).unwrap();
                    if lo <= p.tick && p.tick < hi {
                        p.liquidity -= l;
                    }
                }
            }
            let amount = U256::from(mantissa) * U256::from(10u64).pow(U256::from(exponent)) / U256::from(1_000_000u32);
            let amount = if amount.is_zero() { U256::from(1u8) } else { amount };
            let amount = if exact_in { SwapAmount::ExactIn(amount) } else { SwapAmount::ExactOut(amount) };
            let limit = limit_ticks.and_then(|d| {
                let t = if zero_for_one { p.tick - d } else { p.tick + d };
                get_sqrt_ratio_at_tick(t.clamp(MIN_TICK + 1, MAX_TICK - 1)).ok()
            });
            prop_assert_eq!(
                p.simulate_swap(zero_for_one, amount, limit),
                reference_swap(&p, zero_for_one, amount, limit)
            );
        }
    }

    /// The `u128` loop is taken for ordinary swaps (so the proptest above checks it), gives the
    /// reference's outcome, and gives up where a value leaves 128 bits.
    #[test]
    fn narrow_loop_is_used_and_exact() {
        let p = pool();
        let mut used = 0;
        for zero_for_one in [false, true] {
            for exact_in in [false, true] {
                for amount in [1u64, 1_000, 10u64.pow(15), 10u64.pow(18), 10u64.pow(19)] {
                    let a = U256::from(amount) * U256::from(1000u32);
                    let swap = if exact_in {
                        SwapAmount::ExactIn(a)
                    } else {
                        SwapAmount::ExactOut(a)
                    };
                    let want = reference_swap(&p, zero_for_one, swap, None);
                    let limit = PoolState::default_price_limit(zero_for_one);
                    let narrow = narrow::simulate(
                        &p,
                        zero_for_one,
                        amount as u128 * 1000,
                        exact_in,
                        as_u128(p.sqrt_price_x96).unwrap(),
                        limit,
                    );
                    if let Some(n) = narrow {
                        used += 1;
                        assert_eq!(Ok(n), want);
                    }
                    assert_eq!(p.simulate_swap(zero_for_one, swap, None), want);
                }
            }
        }
        assert!(used >= 16, "{used}");
        // an amount above 2^128 is left to the 256-bit loop
        let big = U256::from(1u8) << 130usize;
        assert_eq!(
            p.simulate_swap(false, SwapAmount::ExactIn(big), None),
            reference_swap(&p, false, SwapAmount::ExactIn(big), None)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn exact_out_of_an_exact_in_result_costs_no_more(
            amount in 1u64..u64::MAX,
            zero_for_one in any::<bool>(),
        ) {
            let p = pool();
            let amount = U256::from(amount) * U256::from(1000u32);
            // up to 1.8e22: past the first positions
            let fwd = p.simulate_swap(zero_for_one, SwapAmount::ExactIn(amount), None).unwrap();
            prop_assume!(fwd.complete && !fwd.amount_out.is_zero());
            let back = p.simulate_swap(zero_for_one, SwapAmount::ExactOut(fwd.amount_out), None).unwrap();
            prop_assert!(back.complete);
            prop_assert_eq!(back.amount_out, fwd.amount_out);
            prop_assert!(back.amount_in <= fwd.amount_in);
        }

        #[test]
        fn more_input_never_gives_less_output(
            amount in 1u64..u64::MAX,
            extra in 1u64..1_000_000_000,
            zero_for_one in any::<bool>(),
        ) {
            let p = pool();
            let a = U256::from(amount);
            let o1 = p.simulate_swap(zero_for_one, SwapAmount::ExactIn(a), None).unwrap();
            let o2 = p.simulate_swap(zero_for_one, SwapAmount::ExactIn(a + U256::from(extra)), None).unwrap();
            prop_assert!(o1.amount_out <= o2.amount_out);
        }

        #[test]
        fn tick_round_trip(tick in MIN_TICK..MAX_TICK) {
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            prop_assert_eq!(get_tick_at_sqrt_ratio(p).unwrap(), tick);
            prop_assert!(get_sqrt_ratio_at_tick(tick + 1).unwrap() > p);
        }

        #[test]
        fn tick_at_price_brackets_the_price(
            raw in any::<[u64; 3]>(),
        ) {
            let price = U256::from_limbs([raw[0], raw[1], raw[2] & 0xffff_ffff, 0]);
            prop_assume!(price >= MIN_SQRT_RATIO && price < MAX_SQRT_RATIO);
            let t = get_tick_at_sqrt_ratio(price).unwrap();
            prop_assert!(get_sqrt_ratio_at_tick(t).unwrap() <= price);
            prop_assert!(get_sqrt_ratio_at_tick(t + 1).unwrap() > price);
        }
    }
}
