//! `SqrtPriceMath`: the next square-root price after adding or removing an amount of one token, and
//! the token amounts between two prices for a liquidity, each rounded the way the pool rounds (always
//! in the pool's favour).

use alloy::primitives::U256;

use super::full_math::div_rounding_up;
use super::{MAX_U160, MathError, Q96, mul_div, mul_div_rounding_up};

/// New price after adding (`add`) or removing `amount` of token0, rounded up.
fn next_sqrt_price_from_amount0_rounding_up(
    sqrt_p: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, MathError> {
    if amount.is_zero() {
        return Ok(sqrt_p);
    }
    let numerator1 = U256::from(liquidity) << 96usize;
    let (product, overflow) = amount.overflowing_mul(sqrt_p);
    if add {
        if !overflow {
            let (denominator, wrapped) = numerator1.overflowing_add(product);
            if !wrapped {
                return mul_div_rounding_up(numerator1, sqrt_p, denominator);
            }
        }
        // L / (L / P + amount), rounded up; the sum is a checked add in the contract.
        let denominator = (numerator1 / sqrt_p)
            .checked_add(amount)
            .ok_or(MathError::PriceOverflow)?;
        div_rounding_up(numerator1, denominator)
    } else {
        if overflow || numerator1 <= product {
            return Err(MathError::NotEnoughReserve);
        }
        let next = mul_div_rounding_up(numerator1, sqrt_p, numerator1 - product)?;
        if next > MAX_U160 {
            return Err(MathError::PriceOverflow);
        }
        Ok(next)
    }
}

/// New price after adding (`add`) or removing `amount` of token1, rounded down.
fn next_sqrt_price_from_amount1_rounding_down(
    sqrt_p: U256,
    liquidity: u128,
    amount: U256,
    add: bool,
) -> Result<U256, MathError> {
    let liquidity = U256::from(liquidity);
    if add {
        let quotient = if amount <= MAX_U160 {
            (amount << 96usize) / liquidity
        } else {
            mul_div(amount, Q96, liquidity)?
        };
        let next = sqrt_p
            .checked_add(quotient)
            .ok_or(MathError::PriceOverflow)?;
        if next > MAX_U160 {
            return Err(MathError::PriceOverflow);
        }
        Ok(next)
    } else {
        let quotient = if amount <= MAX_U160 {
            div_rounding_up(amount << 96usize, liquidity)?
        } else {
            mul_div_rounding_up(amount, Q96, liquidity)?
        };
        if sqrt_p <= quotient {
            return Err(MathError::NotEnoughReserve);
        }
        Ok(sqrt_p - quotient)
    }
}

/// The price after swapping `amount_in` in, never past the exact target.
#[inline]
pub fn get_next_sqrt_price_from_input(
    sqrt_p: U256,
    liquidity: u128,
    amount_in: U256,
    zero_for_one: bool,
) -> Result<U256, MathError> {
    if sqrt_p.is_zero() || liquidity == 0 {
        return Err(MathError::ZeroPriceOrLiquidity);
    }
    if zero_for_one {
        next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_in, true)
    } else {
        next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_in, true)
    }
}

/// The price after taking `amount_out` out, at least as far as the exact target.
#[inline]
pub fn get_next_sqrt_price_from_output(
    sqrt_p: U256,
    liquidity: u128,
    amount_out: U256,
    zero_for_one: bool,
) -> Result<U256, MathError> {
    if sqrt_p.is_zero() || liquidity == 0 {
        return Err(MathError::ZeroPriceOrLiquidity);
    }
    if zero_for_one {
        next_sqrt_price_from_amount1_rounding_down(sqrt_p, liquidity, amount_out, false)
    } else {
        next_sqrt_price_from_amount0_rounding_up(sqrt_p, liquidity, amount_out, false)
    }
}

/// Token0 between two prices for `liquidity`: `L * (sqrtB - sqrtA) / (sqrtA * sqrtB)`.
#[inline]
pub fn get_amount0_delta(
    sqrt_a: U256,
    sqrt_b: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, MathError> {
    let (low, high) = if sqrt_a > sqrt_b {
        (sqrt_b, sqrt_a)
    } else {
        (sqrt_a, sqrt_b)
    };
    if low.is_zero() {
        return Err(MathError::ZeroPriceOrLiquidity);
    }
    let numerator1 = U256::from(liquidity) << 96usize;
    let numerator2 = high - low;
    if round_up {
        div_rounding_up(mul_div_rounding_up(numerator1, numerator2, high)?, low)
    } else {
        Ok(mul_div(numerator1, numerator2, high)? / low)
    }
}

/// Token1 between two prices for `liquidity`: `L * (sqrtB - sqrtA)`.
#[inline]
pub fn get_amount1_delta(
    sqrt_a: U256,
    sqrt_b: U256,
    liquidity: u128,
    round_up: bool,
) -> Result<U256, MathError> {
    let (low, high) = if sqrt_a > sqrt_b {
        (sqrt_b, sqrt_a)
    } else {
        (sqrt_a, sqrt_b)
    };
    if round_up {
        mul_div_rounding_up(U256::from(liquidity), high - low, Q96)
    } else {
        mul_div(U256::from(liquidity), high - low, Q96)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    /// encodePriceSqrt(1, 1) of the v3-core tests.
    fn price_one() -> U256 {
        Q96
    }

    #[test]
    fn input_of_zero_keeps_the_price() {
        let p = price_one();
        assert_eq!(
            get_next_sqrt_price_from_input(p, 1, U256::ZERO, true).unwrap(),
            p
        );
        assert_eq!(
            get_next_sqrt_price_from_input(p, 1, U256::ZERO, false).unwrap(),
            p
        );
        assert!(get_next_sqrt_price_from_input(U256::ZERO, 1, e18(1), true).is_err());
        assert!(get_next_sqrt_price_from_input(p, 0, e18(1), true).is_err());
    }

    #[test]
    fn input_moves_price_by_the_right_amount() {
        // 0.1 token1 into L = 1e18 at price 1: sqrtP + 0.1 * 2^96.
        let p = price_one();
        let l = 10u128.pow(18);
        let next = get_next_sqrt_price_from_input(p, l, e18(1) / U256::from(10u8), false).unwrap();
        assert_eq!(next.to_string(), "87150978765690771352898345369");
        // 0.1 token0 in: L * P / (L + 0.1 * P), rounded up.
        let next = get_next_sqrt_price_from_input(p, l, e18(1) / U256::from(10u8), true).unwrap();
        assert_eq!(next.to_string(), "72025602285694852357767227579");
    }

    #[test]
    fn output_beyond_reserves_fails() {
        let p = price_one();
        let l = 10u128.pow(18);
        // All token1 at or below price 1 over infinite range is L * P / 2^96 = 1e18.
        assert_eq!(
            get_next_sqrt_price_from_output(p, l, e18(1), true),
            Err(MathError::NotEnoughReserve)
        );
        assert_eq!(
            get_next_sqrt_price_from_output(p, l, e18(1), false),
            Err(MathError::NotEnoughReserve)
        );
        assert!(get_next_sqrt_price_from_output(p, l, e18(1) - U256::from(1u8), true).is_ok());
    }

    #[test]
    fn amount_deltas_round_apart_by_one() {
        let a = price_one();
        // encodePriceSqrt(121, 100) = 1.1 * 2^96
        let b = Q96 * U256::from(11u8) / U256::from(10u8);
        let l = 10u128.pow(18);
        let up0 = get_amount0_delta(a, b, l, true).unwrap();
        let down0 = get_amount0_delta(a, b, l, false).unwrap();
        assert_eq!(up0.to_string(), "90909090909090910");
        assert_eq!(up0, down0 + U256::from(1u8));
        let up1 = get_amount1_delta(a, b, l, true).unwrap();
        let down1 = get_amount1_delta(a, b, l, false).unwrap();
        assert_eq!(up1.to_string(), "100000000000000000");
        assert!(up1 == down1 || up1 == down1 + U256::from(1u8));
        // symmetric in argument order
        assert_eq!(get_amount0_delta(b, a, l, true).unwrap(), up0);
        assert_eq!(get_amount0_delta(a, a, l, true).unwrap(), U256::ZERO);
    }
}
