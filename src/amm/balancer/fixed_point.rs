//! Balancer's `FixedPoint` (18-decimal fixed point over `uint256`, each operation rounding down or
//! up) and `Math` (plain checked integer operations), as in `solidity-utils`' 2021 build that the
//! Vault-era pools use: `mulDown`/`mulUp`/`divDown`/`divUp`, `powDown`/`powUp` with the
//! `MAX_POW_RELATIVE_ERROR` adjustment around `LogExpMath.pow`, and `complement`.

use alloy::primitives::U256;

use super::error::BalancerMathError as E;
use super::log_exp;
use super::words::{Divisor, div_var, mul_wide};

/// 1e18 as a divisor with its reciprocal.
const D_ONE: Divisor = Divisor::new(1_000_000_000_000_000_000);

/// 1.0 in 18-decimal fixed point.
pub const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);
/// `MAX_POW_RELATIVE_ERROR`: 10^-14 in fixed point.
pub const MAX_POW_RELATIVE_ERROR: U256 = U256::from_limbs([10_000, 0, 0, 0]);

pub fn add(a: U256, b: U256) -> Result<U256, E> {
    a.checked_add(b).ok_or(E::AddOverflow)
}

pub fn sub(a: U256, b: U256) -> Result<U256, E> {
    a.checked_sub(b).ok_or(E::SubOverflow)
}

pub fn mul_down(a: U256, b: U256) -> Result<U256, E> {
    if let Some((high, low)) = narrow_product(a, b) {
        return Ok(match D_ONE.div(high, low) {
            Some(q) => U256::from(q),
            None => from_words(high, low) / ONE,
        });
    }
    Ok(div_by_one(a.checked_mul(b).ok_or(E::MulOverflow)?))
}

/// `a * b` as (high, low) words when both fit 128 bits (the product then fits 256).
#[inline(always)]
fn narrow_product(a: U256, b: U256) -> Option<(u128, u128)> {
    Some(mul_wide(word(a)?, word(b)?))
}

/// `v` as one `u128` word, when it fits.
#[inline(always)]
pub(crate) fn word(v: U256) -> Option<u128> {
    let (high, low) = words(v);
    (high == 0).then_some(low)
}

/// The high and low 128-bit words of `v`.
#[inline(always)]
pub(crate) fn words(v: U256) -> (u128, u128) {
    let l = v.as_limbs();
    (
        (u128::from(l[3]) << 64) | u128::from(l[2]),
        (u128::from(l[1]) << 64) | u128::from(l[0]),
    )
}

/// The `U256` of high and low 128-bit words.
#[inline(always)]
pub(crate) fn from_words(high: u128, low: u128) -> U256 {
    U256::from_limbs([
        low as u64,
        (low >> 64) as u64,
        high as u64,
        (high >> 64) as u64,
    ])
}

/// `v / 1e18` by the reciprocal when the quotient fits 128 bits.
#[inline(always)]
fn div_by_one(v: U256) -> U256 {
    let (high, low) = words(v);
    match D_ONE.div(high, low) {
        Some(q) => U256::from(q),
        None => v / ONE,
    }
}

pub fn mul_up(a: U256, b: U256) -> Result<U256, E> {
    if let Some((high, low)) = narrow_product(a, b) {
        if high == 0 && low == 0 {
            return Ok(U256::ZERO);
        }
        let (high, low) = if low == 0 {
            (high - 1, u128::MAX)
        } else {
            (high, low - 1)
        };
        let q = match D_ONE.div(high, low) {
            Some(q) => U256::from(q),
            None => from_words(high, low) / ONE,
        };
        return Ok(q + U256::from(1u8));
    }
    let product = a.checked_mul(b).ok_or(E::MulOverflow)?;
    if product.is_zero() {
        Ok(U256::ZERO)
    } else {
        Ok(div_by_one(product - U256::from(1u8)) + U256::from(1u8))
    }
}

pub fn div_down(a: U256, b: U256) -> Result<U256, E> {
    if b.is_zero() {
        return Err(E::ZeroDivision);
    }
    if a.is_zero() {
        return Ok(U256::ZERO);
    }
    Ok(math::quotient(a.checked_mul(ONE).ok_or(E::DivInternal)?, b))
}

pub fn div_up(a: U256, b: U256) -> Result<U256, E> {
    if b.is_zero() {
        return Err(E::ZeroDivision);
    }
    if a.is_zero() {
        return Ok(U256::ZERO);
    }
    let inflated = a.checked_mul(ONE).ok_or(E::DivInternal)?;
    Ok(math::quotient(inflated - U256::from(1u8), b) + U256::from(1u8))
}

/// `x^y` rounded down: the raw power less its maximum relative error (and 1), floored at 0.
pub fn pow_down(x: U256, y: U256) -> Result<U256, E> {
    let raw = log_exp::pow(x, y)?;
    let max_error = add(mul_up(raw, MAX_POW_RELATIVE_ERROR)?, U256::from(1u8))?;
    if raw < max_error {
        Ok(U256::ZERO)
    } else {
        sub(raw, max_error)
    }
}

/// `x^y` rounded up: the raw power plus its maximum relative error (and 1).
pub fn pow_up(x: U256, y: U256) -> Result<U256, E> {
    let raw = log_exp::pow(x, y)?;
    let max_error = add(mul_up(raw, MAX_POW_RELATIVE_ERROR)?, U256::from(1u8))?;
    add(raw, max_error)
}

/// `1 - x`, or 0 when `x >= 1`.
pub fn complement(x: U256) -> U256 {
    if x < ONE { ONE - x } else { U256::ZERO }
}

/// `Math`: checked integer operations (not fixed point).
pub mod math {
    use super::{E, div_var, from_words, narrow_product, words};
    use alloy::primitives::U256;

    pub fn mul(a: U256, b: U256) -> Result<U256, E> {
        if let Some((high, low)) = narrow_product(a, b) {
            return Ok(from_words(high, low));
        }
        a.checked_mul(b).ok_or(E::MulOverflow)
    }

    pub fn div_down(a: U256, b: U256) -> Result<U256, E> {
        if b.is_zero() {
            return Err(E::ZeroDivision);
        }
        Ok(quotient(a, b))
    }

    /// `a / b` (b non-zero), on `u128` words when `b` and the quotient fit 128 bits.
    #[inline]
    pub(crate) fn quotient(a: U256, b: U256) -> U256 {
        let ((ah, al), (bh, bl)) = (words(a), words(b));
        if bh == 0
            && let Some(q) = div_var(ah, al, bl)
        {
            return U256::from(q);
        }
        a / b
    }

    pub fn div_up(a: U256, b: U256) -> Result<U256, E> {
        if b.is_zero() {
            return Err(E::ZeroDivision);
        }
        if a.is_zero() {
            Ok(U256::ZERO)
        } else {
            Ok(U256::from(1u8) + quotient(a - U256::from(1u8), b))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn rounding_directions() {
        let third = div_down(ONE, u(3) * ONE).unwrap();
        assert_eq!(third, u(333_333_333_333_333_333));
        assert_eq!(div_up(ONE, u(3) * ONE).unwrap(), u(333_333_333_333_333_334));
        assert_eq!(mul_down(u(3), u(333_333_333_333_333_333)).unwrap(), u(0));
        assert_eq!(mul_up(u(3), u(333_333_333_333_333_333)).unwrap(), u(1));
        assert_eq!(mul_up(U256::ZERO, u(5)).unwrap(), U256::ZERO);
        assert_eq!(div_down(U256::ZERO, u(5)).unwrap(), U256::ZERO);
        assert_eq!(div_down(u(1), U256::ZERO), Err(E::ZeroDivision));
        assert_eq!(complement(u(3) * ONE), U256::ZERO);
        assert_eq!(complement(ONE / u(4)), ONE * u(3) / u(4));
        assert_eq!(sub(u(1), u(2)), Err(E::SubOverflow));
        assert_eq!(mul_down(U256::MAX, u(2)), Err(E::MulOverflow));
        assert_eq!(math::div_up(u(7), u(2)).unwrap(), u(4));
        assert_eq!(math::div_up(U256::ZERO, u(2)).unwrap(), U256::ZERO);
    }

    #[test]
    fn powers_bracket_the_true_value() {
        // 2^2 = 4: pow_down just under, pow_up just over, by the 1e-14 relative error bound.
        let two = u(2) * ONE;
        let down = pow_down(two, two).unwrap();
        let up = pow_up(two, two).unwrap();
        let four = u(4) * ONE;
        assert!(down < four && up > four, "{down} {up}");
        assert!(four - down < u(100_000) && up - four < u(100_000));
    }

    proptest::proptest! {
        /// The `u128` quotient is the 256-bit one.
        #[test]
        fn narrow_quotient_equals_the_wide_one(a in proptest::prelude::any::<u128>(), b in 1u128.., wide in 0u32..3, shift in 0usize..128) {
            let a = U256::from(a) * U256::from(10u64).pow(U256::from(wide * 20));
            let b = U256::from(b);
            proptest::prop_assert_eq!(math::quotient(a, b), a / b);
            let b = (b >> shift).max(U256::from(1u8));
            proptest::prop_assert_eq!(math::quotient(a, b), a / b);
            proptest::prop_assert_eq!(div_by_one(a), a / ONE);
            proptest::prop_assert_eq!(div_by_one(a << 100), (a << 100) / ONE);
        }

        /// The fixed-point operations with the word paths equal their `U256` definitions.
        #[test]
        fn fixed_point_operations_equal_their_definitions(a in proptest::prelude::any::<u128>(), b in proptest::prelude::any::<u128>(), ka in 0usize..130, kb in 0usize..130) {
            let (a, b) = (U256::from(a) << ka, U256::from(b) << kb);
            let one = U256::from(1u8);
            let want_mul_down = a.checked_mul(b).map(|p| p / ONE);
            proptest::prop_assert_eq!(mul_down(a, b).ok(), want_mul_down);
            proptest::prop_assert_eq!(math::mul(a, b).ok(), a.checked_mul(b));
            let want_mul_up = a.checked_mul(b).map(|p| if p.is_zero() { p } else { (p - one) / ONE + one });
            proptest::prop_assert_eq!(mul_up(a, b).ok(), want_mul_up);
            if !b.is_zero() && !a.is_zero() {
                let want_div_down = a.checked_mul(ONE).map(|p| p / b);
                proptest::prop_assert_eq!(div_down(a, b).ok(), want_div_down);
                let want_div_up = a.checked_mul(ONE).map(|p| (p - one) / b + one);
                proptest::prop_assert_eq!(div_up(a, b).ok(), want_div_up);
            }
        }
    }
}
