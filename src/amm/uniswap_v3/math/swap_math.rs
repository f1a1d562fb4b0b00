//! `SwapMath.computeSwapStep`: one step of a swap inside a range of constant liquidity, towards a
//! target price, with the fee taken from the input.

use alloy::primitives::U256;

use super::full_math::as_u128;
use super::{
    MathError, eq, get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output, mul_div, mul_div_rounding_up, narrow,
};

const FEE_DENOMINATOR: u32 = 1_000_000;

/// The outcome of one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapStep {
    pub sqrt_price_next: U256,
    pub amount_in: U256,
    pub amount_out: U256,
    pub fee_amount: U256,
}

/// The token amounts across a whole range between two square-root prices at one liquidity
/// (`get_amount0_delta` and `get_amount1_delta`, rounded up and down), computed once when the
/// pool's ticks are loaded or change, so that a swap step across the whole range reads them
/// instead of dividing 512-bit products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeAmounts {
    sqrt_low: U256,
    sqrt_high: U256,
    liquidity: u128,
    amount0_up: U256,
    amount0_down: U256,
    amount1_up: U256,
    amount1_down: U256,
}

impl RangeAmounts {
    /// The amounts between `sqrt_low` and `sqrt_high` (in either order) for `liquidity`.
    pub fn new(sqrt_low: U256, sqrt_high: U256, liquidity: u128) -> Result<Self, MathError> {
        let (sqrt_low, sqrt_high) = if sqrt_low > sqrt_high {
            (sqrt_high, sqrt_low)
        } else {
            (sqrt_low, sqrt_high)
        };
        Ok(Self {
            sqrt_low,
            sqrt_high,
            liquidity,
            amount0_up: get_amount0_delta(sqrt_low, sqrt_high, liquidity, true)?,
            amount0_down: get_amount0_delta(sqrt_low, sqrt_high, liquidity, false)?,
            amount1_up: get_amount1_delta(sqrt_low, sqrt_high, liquidity, true)?,
            amount1_down: get_amount1_delta(sqrt_low, sqrt_high, liquidity, false)?,
        })
    }

    /// Whether these are the amounts between `a` and `b` (either order) at `liquidity`.
    #[inline(always)]
    fn covers(&self, a: U256, b: U256, liquidity: u128) -> bool {
        liquidity == self.liquidity
            && ((eq(&a, &self.sqrt_low) && eq(&b, &self.sqrt_high))
                || (eq(&a, &self.sqrt_high) && eq(&b, &self.sqrt_low)))
    }
}

impl RangeAmounts {
    /// [`RangeAmounts::covers`] for prices given as `u128`.
    #[inline(always)]
    fn covers_narrow(&self, a: u128, b: u128, liquidity: u128) -> bool {
        let (Some(low), Some(high)) = (as_u128(self.sqrt_low), as_u128(self.sqrt_high)) else {
            return false;
        };
        liquidity == self.liquidity && ((a == low && b == high) || (a == high && b == low))
    }
}

/// [`amount0`] on `u128` values; `None` where the amount does not fit 128 bits.
#[inline(always)]
fn amount0_narrow(
    known: Option<&RangeAmounts>,
    a: u128,
    b: u128,
    liquidity: u128,
    up: bool,
) -> Option<u128> {
    match known {
        Some(k) if k.covers_narrow(a, b, liquidity) => {
            as_u128(if up { k.amount0_up } else { k.amount0_down })
        }
        _ => narrow::amount0_delta(a, b, liquidity, up),
    }
}

/// [`amount1`] on `u128` values; `None` where the amount does not fit 128 bits.
#[inline(always)]
fn amount1_narrow(
    known: Option<&RangeAmounts>,
    a: u128,
    b: u128,
    liquidity: u128,
    up: bool,
) -> Option<u128> {
    match known {
        Some(k) if k.covers_narrow(a, b, liquidity) => {
            as_u128(if up { k.amount1_up } else { k.amount1_down })
        }
        _ => narrow::amount1_delta(a, b, liquidity, up),
    }
}

/// `get_amount0_delta`, read from `known` when it is that range.
#[inline(always)]
fn amount0(
    known: Option<&RangeAmounts>,
    a: U256,
    b: U256,
    liquidity: u128,
    up: bool,
) -> Result<U256, MathError> {
    match known {
        Some(k) if k.covers(a, b, liquidity) => Ok(if up { k.amount0_up } else { k.amount0_down }),
        _ => get_amount0_delta(a, b, liquidity, up),
    }
}

/// `get_amount1_delta`, read from `known` when it is that range.
#[inline(always)]
fn amount1(
    known: Option<&RangeAmounts>,
    a: U256,
    b: U256,
    liquidity: u128,
    up: bool,
) -> Result<U256, MathError> {
    match known {
        Some(k) if k.covers(a, b, liquidity) => Ok(if up { k.amount1_up } else { k.amount1_down }),
        _ => get_amount1_delta(a, b, liquidity, up),
    }
}

/// Swaps within one range. `remaining` is the amount still to swap: an input for an exact-input
/// swap (`exact_in`), an output otherwise; `fee_pips` is in millionths.
#[inline]
pub fn compute_swap_step(
    sqrt_current: U256,
    sqrt_target: U256,
    liquidity: u128,
    remaining: U256,
    exact_in: bool,
    fee_pips: u32,
) -> Result<SwapStep, MathError> {
    compute_swap_step_in(
        sqrt_current,
        sqrt_target,
        liquidity,
        remaining,
        exact_in,
        fee_pips,
        None,
    )
}

/// [`compute_swap_step`] with the precomputed amounts of a range: where the step's amounts are
/// those of `known` (same prices, same liquidity) they are read instead of computed. The result
/// is the same either way.
#[inline]
pub fn compute_swap_step_in(
    sqrt_current: U256,
    sqrt_target: U256,
    liquidity: u128,
    remaining: U256,
    exact_in: bool,
    fee_pips: u32,
    known: Option<&RangeAmounts>,
) -> Result<SwapStep, MathError> {
    let zero_for_one = sqrt_current >= sqrt_target;
    let fee = U256::from(fee_pips);
    let fee_complement = U256::from(FEE_DENOMINATOR.saturating_sub(fee_pips));
    let million = U256::from(FEE_DENOMINATOR);

    let mut amount_in = U256::ZERO;
    let mut amount_out = U256::ZERO;
    let sqrt_next;
    if exact_in {
        let remaining_less_fee = mul_div(remaining, fee_complement, million)?;
        amount_in = if zero_for_one {
            amount0(known, sqrt_target, sqrt_current, liquidity, true)?
        } else {
            amount1(known, sqrt_current, sqrt_target, liquidity, true)?
        };
        sqrt_next = if remaining_less_fee >= amount_in {
            sqrt_target
        } else {
            get_next_sqrt_price_from_input(
                sqrt_current,
                liquidity,
                remaining_less_fee,
                zero_for_one,
            )?
        };
    } else {
        amount_out = if zero_for_one {
            amount1(known, sqrt_target, sqrt_current, liquidity, false)?
        } else {
            amount0(known, sqrt_current, sqrt_target, liquidity, false)?
        };
        sqrt_next = if remaining >= amount_out {
            sqrt_target
        } else {
            get_next_sqrt_price_from_output(sqrt_current, liquidity, remaining, zero_for_one)?
        };
    }

    let reached_target = eq(&sqrt_next, &sqrt_target);
    // The amount computed above towards the target stays exact when the target was reached; the
    // other side is recomputed from the actual new price.
    let keep_in = reached_target && exact_in;
    let keep_out = reached_target && !exact_in;
    if zero_for_one {
        if !keep_in {
            amount_in = amount0(known, sqrt_next, sqrt_current, liquidity, true)?;
        }
        if !keep_out {
            amount_out = amount1(known, sqrt_next, sqrt_current, liquidity, false)?;
        }
    } else {
        if !keep_in {
            amount_in = amount1(known, sqrt_current, sqrt_next, liquidity, true)?;
        }
        if !keep_out {
            amount_out = amount0(known, sqrt_current, sqrt_next, liquidity, false)?;
        }
    }

    // The output never exceeds what was asked for.
    if !exact_in && amount_out > remaining {
        amount_out = remaining;
    }

    let fee_amount = if exact_in && !reached_target {
        // The whole remaining input was used: what is not swapped is the fee.
        remaining - amount_in
    } else {
        mul_div_rounding_up(amount_in, fee, fee_complement)?
    };

    Ok(SwapStep {
        sqrt_price_next: sqrt_next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

/// The outcome of one step, as [`SwapStep`] on `u128` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NarrowStep {
    pub sqrt_price_next: u128,
    pub amount_in: u128,
    pub amount_out: u128,
    pub fee_amount: u128,
}

/// The price after swapping `amount` in (`exact_in`) or out, on `u128` values.
#[inline(always)]
fn next_price_narrow(
    sqrt_p: u128,
    liquidity: u128,
    amount: u128,
    zero_for_one: bool,
    exact_in: bool,
) -> Option<u128> {
    if sqrt_p == 0 || liquidity == 0 {
        return None;
    }
    match (exact_in, zero_for_one) {
        // token1 in: up by floor(amount * 2^96 / L)
        (true, false) => {
            let (q, _) = narrow::shl96_div(amount, liquidity)?;
            sqrt_p.checked_add(q)
        }
        // token1 out: down by ceil(amount * 2^96 / L), which must stay below the price
        (false, true) => {
            let (q, r) = narrow::shl96_div(amount, liquidity)?;
            let q = if r { q.checked_add(1)? } else { q };
            (sqrt_p > q).then(|| sqrt_p - q)
        }
        // token0 in or out: ceil(L * 2^96 * P / (L * 2^96 +- amount * P))
        (true, true) => narrow::next_sqrt_price_from_amount0(sqrt_p, liquidity, amount, true),
        (false, false) => narrow::next_sqrt_price_from_amount0(sqrt_p, liquidity, amount, false),
    }
}

/// [`compute_swap_step_in`] where the prices, the remaining amount and every amount of the step
/// fit 128 bits: the same result, or `None` (a value does not fit, or the 256-bit step would fail),
/// in which case the caller takes the 256-bit step.
#[inline(always)]
pub fn compute_swap_step_narrow(
    sqrt_current: u128,
    sqrt_target: u128,
    liquidity: u128,
    remaining: u128,
    exact_in: bool,
    fee_pips: u32,
    known: Option<&RangeAmounts>,
) -> Option<NarrowStep> {
    let zero_for_one = sqrt_current >= sqrt_target;
    let fee = u128::from(fee_pips);
    let fee_complement = u128::from(FEE_DENOMINATOR.checked_sub(fee_pips).filter(|c| *c != 0)?);
    let million = u128::from(FEE_DENOMINATOR);

    let mut amount_in = 0u128;
    let mut amount_out = 0u128;
    let sqrt_next;
    if exact_in {
        amount_in = if zero_for_one {
            amount0_narrow(known, sqrt_target, sqrt_current, liquidity, true)?
        } else {
            amount1_narrow(known, sqrt_current, sqrt_target, liquidity, true)?
        };
        // floor(remaining * (1e6 - fee) / 1e6) >= amount_in, without the division
        sqrt_next = if narrow::product_ge(remaining, fee_complement, amount_in, million) {
            sqrt_target
        } else {
            let (remaining_less_fee, _) = narrow::mul_div_rem(remaining, fee_complement, million)?;
            next_price_narrow(
                sqrt_current,
                liquidity,
                remaining_less_fee,
                zero_for_one,
                true,
            )?
        };
    } else {
        amount_out = if zero_for_one {
            amount1_narrow(known, sqrt_target, sqrt_current, liquidity, false)?
        } else {
            amount0_narrow(known, sqrt_current, sqrt_target, liquidity, false)?
        };
        sqrt_next = if remaining >= amount_out {
            sqrt_target
        } else {
            next_price_narrow(sqrt_current, liquidity, remaining, zero_for_one, false)?
        };
    }

    let reached_target = sqrt_next == sqrt_target;
    let keep_in = reached_target && exact_in;
    let keep_out = reached_target && !exact_in;
    if zero_for_one {
        if !keep_in {
            amount_in = amount0_narrow(known, sqrt_next, sqrt_current, liquidity, true)?;
        }
        if !keep_out {
            amount_out = amount1_narrow(known, sqrt_next, sqrt_current, liquidity, false)?;
        }
    } else {
        if !keep_in {
            amount_in = amount1_narrow(known, sqrt_current, sqrt_next, liquidity, true)?;
        }
        if !keep_out {
            amount_out = amount0_narrow(known, sqrt_current, sqrt_next, liquidity, false)?;
        }
    }

    if !exact_in && amount_out > remaining {
        amount_out = remaining;
    }

    let fee_amount = if exact_in && !reached_target {
        remaining.checked_sub(amount_in)?
    } else {
        narrow::mul_div_rounding_up(amount_in, fee, fee_complement)?
    };

    Some(NarrowStep {
        sqrt_price_next: sqrt_next,
        amount_in,
        amount_out,
        fee_amount,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::uniswap_v3::math::Q96;

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn exact_in_capped_at_target_one_for_zero() {
        // price 1 -> 101/100, L = 2e18, 1 token1 in, 0.06% fee (v3-core test case).
        let current = Q96;
        let target = U256::from_str_radix("79623317895830914510639640423", 10).unwrap();
        let step =
            compute_swap_step(current, target, 2 * 10u128.pow(18), e18(1), true, 600).unwrap();
        assert_eq!(step.sqrt_price_next, target);
        assert_eq!(step.amount_in.to_string(), "9975124224178055");
        assert_eq!(step.fee_amount.to_string(), "5988667735148");
        assert_eq!(step.amount_out.to_string(), "9925619580021728");
        assert!(step.amount_in + step.fee_amount < e18(1));
    }

    #[test]
    fn exact_in_fully_spent_gets_the_rest_as_fee() {
        let current = Q96;
        let target = U256::from_str_radix("250541448375047931186413801569", 10).unwrap();
        let step =
            compute_swap_step(current, target, 2 * 10u128.pow(18), e18(1), true, 600).unwrap();
        assert!(step.sqrt_price_next < target);
        assert_eq!(step.amount_in + step.fee_amount, e18(1));
    }

    #[test]
    fn exact_out_never_exceeds_the_request() {
        let current = Q96;
        let target = U256::from_str_radix("250541448375047931186413801569", 10).unwrap();
        let want = e18(1);
        let step =
            compute_swap_step(current, target, 2 * 10u128.pow(18), want, false, 600).unwrap();
        assert_eq!(step.amount_out, want);
        assert!(step.sqrt_price_next < target);
    }

    #[test]
    fn one_wei_in_is_all_fee() {
        // From the v3-core tests: 1 wei in at a huge price pays the whole wei as fee.
        let step = compute_swap_step(
            U256::from_str_radix("2413", 10).unwrap(),
            U256::from_str_radix("79887613182836312", 10).unwrap(),
            1985041575832132834610021537970,
            U256::from(10u8),
            true,
            1872,
        )
        .unwrap();
        assert_eq!(step.amount_in, U256::ZERO);
        assert_eq!(step.fee_amount, U256::from(10u8));
        assert_eq!(step.amount_out, U256::ZERO);
        assert_eq!(step.sqrt_price_next, U256::from(2413u32));
    }
}
