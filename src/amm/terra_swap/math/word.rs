//! The pair's `simulation` and `reverse_simulation` on `u128` words, for amounts and a
//! commission that fit in 64 bits: the same integers as the contract's `Decimal256` steps
//! ([`super::simulate_wide`], [`super::reverse_simulate_wide`]), the same refusals, without a
//! 256-bit product or division. `None` means "not in range here": the caller takes the wide path.
//!
//! Two steps are rewritten so that no intermediate exceeds 128 bits:
//! - the return before commission, `floor((ask·10¹⁸ − floor(k·10¹⁸/n))/10¹⁸)` with
//!   `k = offer_pool·ask_pool`, `n = offer_pool + offer`: since `x − floor(y) = ceil(x − y)` for an
//!   integer `x`, it is `floor(ceil(ask·offer·10¹⁸/n)/10¹⁸)`; with `ask·offer = q·n + r` that is
//!   `q`, plus one when `ceil(r·10¹⁸/n) = 10¹⁸`, i.e. when `(n − r)·10¹⁸ < n`;
//! - the amount at the pool's price, `floor(x·floor(ask·10¹⁸/offer_pool)/10¹⁸)`: the ratio is
//!   `w·10¹⁸ + f` with `w = ask/offer_pool` and `f = floor((ask mod offer_pool)·10¹⁸/offer_pool)`,
//!   so the result is `x·w + floor(x·f/10¹⁸)`.

use super::{Dec18, MathError, ReverseOut, SwapOut};

/// 10^18 as a word.
const ONE: u128 = 1_000_000_000_000_000_000;

/// The commission's atomics, when it and the three amounts are all within 64 bits.
fn commission_in_range(amounts: [u128; 3], commission: Dec18) -> Option<u128> {
    let [low, rest @ ..] = *commission.0.as_limbs();
    let small = |v: &u128| *v <= u128::from(u64::MAX);
    (rest == [0, 0, 0] && amounts.iter().all(small)).then_some(u128::from(low))
}

/// `floor(x · floor(ask·10¹⁸/offer_pool) / 10¹⁸)`; `None` when `x·w` overflows a word.
fn at_pool_price(x: u128, ask_pool: u128, offer_pool: u128) -> Option<Result<u128, MathError>> {
    if offer_pool == 0 {
        return Some(Err(MathError::DivisionByZero));
    }
    let whole = ask_pool / offer_pool;
    // both < 2^64, so (ask mod offer)·10¹⁸ < 2^124 and x·frac < 2^124 (x < 2^64 or frac = 0)
    let frac = (ask_pool % offer_pool) * ONE / offer_pool;
    let high = x.checked_mul(whole)?;
    let low = x.checked_mul(frac)? / ONE;
    Some(Ok(high.checked_add(low)?))
}

/// [`super::simulate`] on words, or `None` out of range.
pub(super) fn simulate(
    offer_pool: u128,
    ask_pool: u128,
    offer: u128,
    commission: Dec18,
) -> Option<Result<SwapOut, MathError>> {
    let c = commission_in_range([offer_pool, ask_pool, offer], commission)?;
    let n = offer_pool + offer;
    if n == 0 {
        return Some(Err(MathError::DivisionByZero));
    }
    let product = ask_pool * offer;
    let (q, r) = (product / n, product % n);
    // n < 2^65: (n − r)·10¹⁸ < 2^125
    let gross = q + u128::from((n - r) * ONE < n);
    let at_price = match at_pool_price(offer, ask_pool, offer_pool)? {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let Some(spread) = at_price.checked_sub(gross) else {
        return Some(Err(MathError::Underflow));
    };
    // gross ≤ ask_pool < 2^64 and c < 2^64
    let fee = gross * c / ONE;
    let Some(net) = gross.checked_sub(fee) else {
        return Some(Err(MathError::Underflow));
    };
    Some(Ok(SwapOut {
        return_amount: net,
        spread_amount: spread,
        commission_amount: fee,
    }))
}

/// [`super::reverse_simulate`] on words, or `None` out of range.
pub(super) fn reverse_simulate(
    offer_pool: u128,
    ask_pool: u128,
    ask: u128,
    commission: Dec18,
) -> Option<Result<ReverseOut, MathError>> {
    let c = commission_in_range([offer_pool, ask_pool, ask], commission)?;
    let Some(keep) = ONE.checked_sub(c) else {
        return Some(Err(MathError::Underflow));
    };
    if keep == 0 {
        return Some(Err(MathError::DivisionByZero));
    }
    let inv_keep = ONE * ONE / keep;
    let gross_ask = ask.checked_mul(inv_keep)? / ONE;
    let Some(left) = ask_pool.checked_sub(gross_ask) else {
        return Some(Err(MathError::Underflow));
    };
    if left == 0 {
        return Some(Err(MathError::DivisionByZero));
    }
    let Some(offer) = (offer_pool * ask_pool / left).checked_sub(offer_pool) else {
        return Some(Err(MathError::Underflow));
    };
    let at_price = match at_pool_price(offer, ask_pool, offer_pool)? {
        Ok(v) => v,
        Err(e) => return Some(Err(e)),
    };
    let spread = at_price.saturating_sub(gross_ask);
    // gross_ask ≤ ask_pool < 2^64 and c < 2^64
    let fee = gross_ask * c / ONE;
    Some(Ok(ReverseOut {
        offer_amount: offer,
        spread_amount: spread,
        commission_amount: fee,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{reverse_simulate_wide, simulate_wide};
    use super::*;
    use alloy::primitives::U256;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// A value of a random bit width (0..=64), so that zeros, small pools, near-empty pools and
    /// 64-bit extremes all occur.
    fn amount(rng: &mut StdRng) -> u128 {
        let bits = rng.gen_range(0..=64u32);
        if bits == 0 {
            0
        } else {
            u128::from(rng.r#gen::<u64>() >> (64 - bits))
        }
    }

    #[test]
    fn words_give_the_contract_steps_results_and_refusals() {
        let mut rng = StdRng::seed_from_u64(0x9e37_79b9_7f4a_7c15);
        let (mut fast_sim, mut fast_rev) = (0, 0);
        for i in 0..60_000 {
            let (op, ap, x) = (amount(&mut rng), amount(&mut rng), amount(&mut rng));
            let c = if i % 4 == 0 {
                // any commission up to 2 (above 1 the contract underflows)
                Dec18(U256::from(rng.gen_range(0..2_000_000_000_000_000_000u64)))
            } else {
                Dec18::commission()
            };
            if let Some(w) = simulate(op, ap, x, c) {
                fast_sim += 1;
                assert_eq!(w, simulate_wide(op, ap, x, c), "simulate {op} {ap} {x} {c}");
            }
            if let Some(w) = reverse_simulate(op, ap, x, c) {
                fast_rev += 1;
                assert_eq!(
                    w,
                    reverse_simulate_wide(op, ap, x, c),
                    "reverse {op} {ap} {x} {c}"
                );
            }
        }
        // the word path is what the cases exercise, not the fallback
        assert!(
            fast_sim > 55_000 && fast_rev > 40_000,
            "{fast_sim} {fast_rev}"
        );
    }

    #[test]
    fn out_of_range_falls_back_to_the_wide_steps() {
        let big = u128::from(u64::MAX) + 1;
        let c = Dec18::commission();
        assert!(simulate(big, 1, 1, c).is_none());
        assert!(reverse_simulate(1, big, 1, c).is_none());
        assert!(simulate(1, 1, 1, Dec18(U256::from(big))).is_none());
        // a 10^36-unit pool (18 decimals) still quotes, through the wide path
        let pool = 10u128.pow(36);
        assert_eq!(
            super::super::simulate(pool, pool, 10u128.pow(18), c),
            simulate_wide(pool, pool, 10u128.pow(18), c)
        );
    }
}
