//! The swap loop of [`PoolState::simulate_swap`] for the common case where every price, amount and
//! running total fits 128 bits: the same loop on `u128` values, which the compiler keeps in
//! registers (the 256-bit loop moves its values through the stack, and reloading a value just
//! stored in pieces stalls the processor). Where a value does not fit, or a step would fail, it
//! gives up (`None`) and the 256-bit loop computes the swap from the start: its outcome or error is
//! the answer, so this loop never changes one.

use alloy::primitives::U256;

use super::{PoolState, SwapOutcome};
use crate::amm::uniswap_v3::math::{
    MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, as_u128, compute_swap_step_narrow, get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
};

/// The swap with the already validated `specified` amount, starting price and `limit`, or `None`
/// where the 256-bit loop must compute it. Inlined, so that the outcome is written where the
/// caller returns it (as a call, the 160-byte outcome was copied on the way out).
#[inline(always)]
pub(super) fn simulate(
    pool: &PoolState,
    zero_for_one: bool,
    specified: u128,
    exact_in: bool,
    start_price: u128,
    limit: U256,
) -> Option<SwapOutcome> {
    // Prices stay below u128::MAX here, so a limit beyond it (the default limit going up) never
    // equals one and compares the same as u128::MAX.
    let limit = as_u128(limit).unwrap_or(u128::MAX);
    if start_price == u128::MAX {
        return None;
    }
    let mut remaining = specified;
    let mut calculated = 0u128;
    let mut fees = 0u128;
    let mut sqrt_price = start_price;
    let mut tick = pool.tick;
    let mut liquidity = pool.liquidity;
    let mut ticks_crossed = 0u32;
    let mut hint = usize::MAX;
    let mut tick_at_price = false;

    while remaining != 0 && sqrt_price != limit {
        let start = sqrt_price;
        let found = pool
            .ticks
            .next_within_word(tick, pool.tick_spacing, zero_for_one, hint);
        hint = found.split;
        let next_tick = found.tick.clamp(MIN_TICK, MAX_TICK);
        let initialized = found.index.filter(|_| next_tick == found.tick);
        // an initialized tick's price is cached (None also when it does not fit 128 bits)
        let sqrt_next = match initialized.and_then(|i| pool.ticks.sqrt_price_u128_at(i)) {
            Some(p) => p,
            None => as_u128(get_sqrt_ratio_at_tick(next_tick).ok()?)?,
        };
        if sqrt_next == u128::MAX {
            return None;
        }
        let target = if (zero_for_one && sqrt_next < limit) || (!zero_for_one && sqrt_next > limit)
        {
            limit
        } else {
            sqrt_next
        };
        let range = initialized
            .and_then(|i| {
                if zero_for_one {
                    Some(i)
                } else {
                    i.checked_sub(1)
                }
            })
            .and_then(|r| pool.ticks.range_at(r));
        let step = compute_swap_step_narrow(
            sqrt_price, target, liquidity, remaining, exact_in, pool.fee, range,
        )?;
        sqrt_price = step.sqrt_price_next;
        if sqrt_price == u128::MAX {
            return None;
        }
        let step_in = step.amount_in.checked_add(step.fee_amount)?;
        if exact_in {
            remaining = remaining.checked_sub(step_in)?;
            calculated = calculated.checked_add(step.amount_out)?;
        } else {
            remaining = remaining.checked_sub(step.amount_out)?;
            calculated = calculated.checked_add(step_in)?;
        }
        fees = fees.checked_add(step.fee_amount)?;

        if sqrt_price == sqrt_next {
            if let Some(index) = found.index {
                let net = if next_tick == found.tick {
                    pool.ticks.liquidity_net_at(index).unwrap_or(0)
                } else {
                    pool.ticks.liquidity_net(next_tick)
                };
                let net = if zero_for_one {
                    net.checked_neg()?
                } else {
                    net
                };
                liquidity = liquidity.checked_add_signed(net)?;
                ticks_crossed += 1;
            }
            tick = if zero_for_one {
                next_tick - 1
            } else {
                next_tick
            };
        } else if sqrt_price != start {
            if remaining == 0 || sqrt_price == limit {
                // the last step: the tick is computed only if asked for. The price lies between
                // the step's start and target, both valid prices.
                if U256::from(sqrt_price) < MIN_SQRT_RATIO {
                    return None;
                }
                tick_at_price = true;
            } else {
                tick = get_tick_at_sqrt_ratio(U256::from(sqrt_price)).ok()?;
            }
        }
    }

    let done = specified - remaining;
    let (amount_in, amount_out) = if exact_in {
        (done, calculated)
    } else {
        (calculated, done)
    };
    Some(SwapOutcome {
        amount_in: U256::from(amount_in),
        amount_out: U256::from(amount_out),
        fee_amount: U256::from(fees),
        sqrt_price_after: U256::from(sqrt_price),
        tick: (!tick_at_price).then_some(tick),
        liquidity_after: liquidity,
        ticks_crossed,
        complete: remaining == 0,
    })
}
