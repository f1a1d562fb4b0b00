//! Celo's `FixidityLib` (24-decimal fixed point) as Mento v2's pricing modules use it, with the
//! library's own overflow checks and truncations reproduced operation by operation: `newFixed`
//! (bounded by `maxNewFixed`), `add`, `subtract` and the four-part `multiply` that drops the low
//! 12 digits of both fractional parts before multiplying them.

use alloy::primitives::U256;

use super::math::MentoMathError;

/// FixidityLib's `fixed1()`: 10^24.
pub const FIXED1: U256 = U256::from_limbs([2003764205206896640, 54210, 0, 0]);
/// `mulPrecision()`: 10^12.
const MUL_PRECISION: U256 = U256::from_limbs([1_000_000_000_000, 0, 0, 0]);

/// `maxNewFixed()`: the largest integer `newFixed` accepts,
/// 115792089237316195423570985008687907853269984665640564 = floor((2^256 - 1) / 10^24).
const MAX_NEW_FIXED: U256 = U256::from_limbs([
    7_675_733_659_351_752_308,
    8_549_390_258_921_071_858,
    340_282_366_920_938,
    0,
]);

/// `maxNewFixed()`.
#[inline]
pub fn max_new_fixed() -> U256 {
    MAX_NEW_FIXED
}

/// `newFixed(x)`: `x * 10^24`, refused above `maxNewFixed()`.
pub fn new_fixed(x: U256) -> Result<U256, MentoMathError> {
    if x > max_new_fixed() {
        return Err(MentoMathError::Overflow("newFixed"));
    }
    Ok(x * FIXED1)
}

/// `add(x, y)`.
pub fn add(x: U256, y: U256) -> Result<U256, MentoMathError> {
    x.checked_add(y).ok_or(MentoMathError::Overflow("add"))
}

/// `subtract(x, y)`.
pub fn subtract(x: U256, y: U256) -> Result<U256, MentoMathError> {
    x.checked_sub(y)
        .ok_or(MentoMathError::Underflow("subtract"))
}

/// `multiply(x, y)`: integer and fractional parts multiplied separately; the product of the two
/// fractional parts keeps only their top 12 digits each (FixidityLib's `mulPrecision`).
pub fn multiply(x: U256, y: U256) -> Result<U256, MentoMathError> {
    if x.is_zero() || y.is_zero() {
        return Ok(U256::ZERO);
    }
    if y == FIXED1 {
        return Ok(x);
    }
    if x == FIXED1 {
        return Ok(y);
    }
    let of = MentoMathError::Overflow("multiply");
    let (x1, x2) = (x / FIXED1, x % FIXED1);
    let (y1, y2) = (y / FIXED1, y % FIXED1);
    let x1y1 = x1
        .checked_mul(y1)
        .and_then(|v| v.checked_mul(FIXED1))
        .ok_or(of)?;
    let x2y1 = x2.checked_mul(y1).ok_or(of)?;
    let x1y2 = x1.checked_mul(y2).ok_or(of)?;
    let x2y2 = (x2 / MUL_PRECISION) * (y2 / MUL_PRECISION);
    add(add(add(x1y1, x2y1)?, x1y2)?, x2y2)
}

/// `multiply(x, newFixed(v))` for a `v` already checked against `maxNewFixed`: exactly
/// `x * v`, refused when it overflows.
///
/// Why it is the library's result: `newFixed(v)` has integer part `v` and no fractional part, so
/// of the four partial products only `x1 * v * 10^24` and `x2 * v` remain (the truncated
/// `x2' * y2'` is zero), and their sum is `x * v`. Each partial product is at most `x * v`, so
/// the library's overflow checks all pass exactly when `x * v` fits 256 bits. The shortcuts of
/// `multiply` (`x` or `y` equal to 1, either zero) give the same product. `multiply` is
/// symmetric, so this also stands for `multiply(newFixed(v), x)`.
/// [`tests::product_with_a_new_fixed_is_the_library_multiply`] checks it against [`multiply`].
#[inline]
pub fn mul_int(x: U256, v: U256) -> Result<U256, MentoMathError> {
    x.checked_mul(v).ok_or(MentoMathError::Overflow("multiply"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_are_the_library_s() {
        assert_eq!(FIXED1, U256::from(10u8).pow(U256::from(24u8)));
        assert_eq!(max_new_fixed(), U256::MAX / FIXED1);
        assert_eq!(
            max_new_fixed().to_string(),
            "115792089237316195423570985008687907853269984665640564"
        );
    }

    #[test]
    fn multiply_truncates_fractional_products_like_the_library() {
        // 1.5 * 2.5 = 3.75 exactly.
        let a = FIXED1 * U256::from(3u8) / U256::from(2u8);
        let b = FIXED1 * U256::from(5u8) / U256::from(2u8);
        assert_eq!(
            multiply(a, b),
            Ok(FIXED1 * U256::from(375u16) / U256::from(100u8))
        );
        // 1e-24 * 0.5: both fractional, their product below mulPrecision^2 vanishes.
        let tiny = U256::from(1u8);
        assert_eq!(multiply(tiny, FIXED1 / U256::from(2u8)), Ok(U256::ZERO));
        // Identity shortcuts return the other operand untouched.
        assert_eq!(multiply(tiny, FIXED1), Ok(tiny));
        assert_eq!(multiply(U256::MAX, FIXED1), Ok(U256::MAX));
    }

    proptest::proptest! {
        #[test]
        fn product_with_a_new_fixed_is_the_library_multiply(
            x in proptest::prelude::any::<[u64; 4]>(),
            v in proptest::prelude::any::<[u64; 4]>(),
            x_bits in 0usize..=256,
            v_bits in 0usize..=180,
        ) {
            let x = U256::from_limbs(x) >> (256 - x_bits);
            let v = U256::from_limbs(v) >> (256 - v_bits);
            if let Ok(fv) = new_fixed(v) {
                proptest::prop_assert_eq!(mul_int(x, v), multiply(x, fv));
                proptest::prop_assert_eq!(mul_int(x, v), multiply(fv, x));
            }
        }
    }

    #[test]
    fn overflows_and_underflows_are_refused() {
        assert!(new_fixed(max_new_fixed()).is_ok());
        assert!(new_fixed(max_new_fixed() + U256::from(1u8)).is_err());
        assert!(subtract(U256::from(1u8), U256::from(2u8)).is_err());
        assert!(add(U256::MAX, U256::from(1u8)).is_err());
        assert!(multiply(U256::MAX, U256::MAX).is_err());
    }
}
