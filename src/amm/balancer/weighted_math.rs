//! `WeightedMath` of the 2021 weighted pools (`_calcOutGivenIn`, `_calcInGivenOut`): amounts and
//! balances already scaled to 18 decimals, weights normalized (1e18 = 100 %), the 30 % limits
//! (`_MAX_IN_RATIO`, `_MAX_OUT_RATIO`) enforced first, each step rounding as the contract does.

use alloy::primitives::U256;

use super::error::BalancerMathError as E;
use super::fixed_point::{self as fp, ONE};

/// `_MAX_IN_RATIO` = `_MAX_OUT_RATIO` = 0.3e18.
pub const MAX_RATIO: U256 = U256::from_limbs([300_000_000_000_000_000, 0, 0, 0]);

/// Tokens out of the pool for `amount_in` in (the swap fee already taken off `amount_in`).
pub fn out_given_in(
    balance_in: U256,
    weight_in: U256,
    balance_out: U256,
    weight_out: U256,
    amount_in: U256,
) -> Result<U256, E> {
    if amount_in > fp::mul_down(balance_in, MAX_RATIO)? {
        return Err(E::MaxInRatio);
    }
    let denominator = fp::add(balance_in, amount_in)?;
    let base = fp::div_up(balance_in, denominator)?;
    let exponent = fp::div_down(weight_in, weight_out)?;
    let power = fp::pow_up(base, exponent)?;
    fp::mul_down(balance_out, fp::complement(power))
}

/// Tokens into the pool for `amount_out` out (before the swap fee is added).
pub fn in_given_out(
    balance_in: U256,
    weight_in: U256,
    balance_out: U256,
    weight_out: U256,
    amount_out: U256,
) -> Result<U256, E> {
    if amount_out > fp::mul_down(balance_out, MAX_RATIO)? {
        return Err(E::MaxOutRatio);
    }
    let base = fp::div_up(balance_out, fp::sub(balance_out, amount_out)?)?;
    let exponent = fp::div_up(weight_out, weight_in)?;
    let power = fp::pow_up(base, exponent)?;
    let ratio = fp::sub(power, ONE)?;
    fp::mul_up(balance_in, ratio)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e18(v: u64) -> U256 {
        U256::from(v) * ONE
    }

    #[test]
    fn equal_weights_behave_like_constant_product_less_rounding() {
        let half = ONE / U256::from(2u8);
        let out = out_given_in(e18(100), half, e18(100), half, e18(1)).unwrap();
        // x*y=k gives 100/101 = 0.990099...; the power rounds up so the pool pays a little less.
        let k = e18(100) - e18(100) * e18(100) / e18(101);
        assert!(
            out < k && k - out < U256::from(10_000_000_000u64),
            "{out} {k}"
        );
        let back = in_given_out(e18(100), half, e18(100), half, out).unwrap();
        assert!(back >= e18(1) - U256::from(10_000_000_000u64));
    }

    #[test]
    fn the_30_percent_limits() {
        let w = ONE / U256::from(2u8);
        assert!(out_given_in(e18(100), w, e18(100), w, e18(30)).is_ok());
        assert_eq!(
            out_given_in(e18(100), w, e18(100), w, e18(30) + U256::from(1u8)),
            Err(E::MaxInRatio)
        );
        assert_eq!(
            in_given_out(e18(100), w, e18(100), w, e18(31)),
            Err(E::MaxOutRatio)
        );
    }
}
