//! `FullMath`: `a * b / d` with a 512-bit intermediate product, rounded down or up; fails where the
//! contract reverts (zero denominator, result above 2^256 - 1).

use alloy::primitives::{U256, U512};

use super::MathError;

/// `floor(a * b / d)` without intermediate overflow.
#[inline]
pub fn mul_div(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    mul_div_rem(a, b, d).map(|(q, _)| q)
}

/// `ceil(a * b / d)` without intermediate overflow.
#[inline]
pub fn mul_div_rounding_up(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    let (q, remainder_nonzero) = mul_div_rem(a, b, d)?;
    if remainder_nonzero {
        q.checked_add(U256::from(1u8))
            .ok_or(MathError::MulDivOverflow)
    } else {
        Ok(q)
    }
}

/// Quotient and whether a remainder is left.
#[inline]
fn mul_div_rem(a: U256, b: U256, d: U256) -> Result<(U256, bool), MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let (low, overflow) = a.overflowing_mul(b);
    if !overflow {
        // The common case: the product fits 256 bits.
        let (q, r) = low.div_rem(d);
        return Ok((q, !r.is_zero()));
    }
    let product: U512 = a.widening_mul(b);
    let (q, r) = product.div_rem(U512::from(d));
    let limbs = q.as_limbs();
    if limbs[4..].iter().any(|l| *l != 0) {
        return Err(MathError::MulDivOverflow);
    }
    let q256 = U256::from_limbs([limbs[0], limbs[1], limbs[2], limbs[3]]);
    Ok((q256, !r.is_zero()))
}

/// `ceil(x / d)` for `d > 0` (`UnsafeMath.divRoundingUp`).
#[inline]
pub(crate) fn div_rounding_up(x: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let (q, r) = x.div_rem(d);
    // q < 2^256 - 1 whenever r != 0 and d > 1; d == 1 leaves no remainder.
    Ok(if r.is_zero() { q } else { q + U256::from(1u8) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn small_values_round_both_ways() {
        assert_eq!(mul_div(u(7), u(3), u(2)).unwrap(), u(10));
        assert_eq!(mul_div_rounding_up(u(7), u(3), u(2)).unwrap(), u(11));
        assert_eq!(mul_div_rounding_up(u(8), u(3), u(2)).unwrap(), u(12));
        assert_eq!(mul_div(u(1), u(1), u(0)), Err(MathError::DivisionByZero));
    }

    #[test]
    fn full_precision_product() {
        // (2^256 - 1)^2 / (2^256 - 1) == 2^256 - 1
        assert_eq!(mul_div(U256::MAX, U256::MAX, U256::MAX).unwrap(), U256::MAX);
        // 2^255 * 2^255 / 2^254 == 2^256: overflows
        let p255 = U256::from(1u8) << 255usize;
        assert_eq!(
            mul_div(p255, p255, U256::from(1u8) << 254usize),
            Err(MathError::MulDivOverflow)
        );
        // Q128 * 35 * Q128 / (8 * Q128) == 4.375 * Q128 exactly
        let q128 = U256::from(1u8) << 128usize;
        assert_eq!(
            mul_div(q128, u(35) * q128, u(8) * q128).unwrap(),
            u(4375) * q128 / u(1000)
        );
        // ceil of Q128 * 1000 * Q128 / (3000 * Q128)
        let down = mul_div(q128, u(1000) * q128, u(3000) * q128).unwrap();
        let up = mul_div_rounding_up(q128, u(1000) * q128, u(3000) * q128).unwrap();
        assert_eq!(up, down + u(1));
        // rounding up past the maximum reverts
        assert_eq!(
            mul_div_rounding_up(U256::MAX, U256::MAX, U256::MAX - u(1)),
            Err(MathError::MulDivOverflow)
        );
        assert_eq!(div_rounding_up(u(10), u(3)).unwrap(), u(4));
        assert_eq!(div_rounding_up(u(9), u(3)).unwrap(), u(3));
    }
}
