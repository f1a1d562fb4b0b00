//! `FullMath`: `a * b / d` with a 512-bit intermediate product, rounded down or up; fails where the
//! contract reverts (zero denominator, result above 2^256 - 1).

use alloy::primitives::{U256, U512};

use super::MathError;
use super::tick_math::mul_u128;

/// The value if it fits 128 bits.
#[inline(always)]
pub(crate) fn as_u128(x: U256) -> Option<u128> {
    let l = x.as_limbs();
    (l[2] == 0 && l[3] == 0).then(|| u128::from(l[0]) | (u128::from(l[1]) << 64))
}

/// `floor(a * b / d)` without intermediate overflow.
#[inline(always)]
pub fn mul_div(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    mul_div_rem(a, b, d).map(|(q, _)| q)
}

/// `ceil(a * b / d)` without intermediate overflow.
#[inline(always)]
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
///
/// Inlined: the common case (operands and divisor of at most 128 bits, product of at most 128) is
/// a few register operations; returning it through memory from a call cost more than computing
/// it (store-to-load forwarding stalls on the 256-bit values), so only the rest is out of line.
#[inline(always)]
fn mul_div_rem(a: U256, b: U256, d: U256) -> Result<(U256, bool), MathError> {
    if let (Some(a), Some(b), Some(d)) = (as_u128(a), as_u128(b), as_u128(d))
        && d != 0
    {
        let (high, low) = mul_u128(a, b);
        if high == 0 {
            let q = low / d;
            return Ok((U256::from(q), low - q * d != 0));
        }
    }
    mul_div_rem_wide(a, b, d)
}

/// [`mul_div_rem`] for wider operands.
#[inline(never)]
fn mul_div_rem_wide(a: U256, b: U256, d: U256) -> Result<(U256, bool), MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    // Operands of at most 128 bits (liquidity times a price difference): one 128 × 128-bit
    // multiply for the 256-bit product.
    if let (Some(a), Some(b)) = (as_u128(a), as_u128(b)) {
        let (high, low) = mul_u128(a, b);
        if high == 0 {
            return Ok(match as_u128(d) {
                Some(d) => {
                    let q = low / d;
                    (U256::from(q), low - q * d != 0)
                }
                // the divisor exceeds the product
                None => (U256::ZERO, low != 0),
            });
        }
        let product = U256::from_limbs([
            low as u64,
            (low >> 64) as u64,
            high as u64,
            (high >> 64) as u64,
        ]);
        // a power-of-two divisor (Q96 in `getAmount1Delta`): a shift
        if d.is_power_of_two() {
            let mask = d - U256::from(1u8);
            return Ok((product >> d.trailing_zeros(), !(product & mask).is_zero()));
        }
        let (q, r) = product.div_rem(d);
        return Ok((q, !r.is_zero()));
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

    /// `a * b / d` in 512 bits with no shortcut: the reference for the fast paths.
    fn reference(a: U256, b: U256, d: U256) -> Result<(U256, bool), MathError> {
        if d.is_zero() {
            return Err(MathError::DivisionByZero);
        }
        let (q, r) = a.widening_mul(b).div_rem(U512::from(d));
        let l = q.as_limbs();
        if l[4..].iter().any(|x| *x != 0) {
            return Err(MathError::MulDivOverflow);
        }
        Ok((U256::from_limbs([l[0], l[1], l[2], l[3]]), !r.is_zero()))
    }

    /// Values around the limb and word edges: 2^64, 2^96, 2^128, 2^160, 2^192, 2^256.
    fn edge_value() -> impl proptest::strategy::Strategy<Value = U256> {
        use proptest::prelude::*;
        (
            prop_oneof![
                Just(0usize),
                Just(1),
                Just(63),
                Just(64),
                Just(65),
                Just(96),
                Just(127),
                Just(128),
                Just(129),
                Just(159),
                Just(160),
                Just(161),
                Just(192),
                Just(224),
                Just(255),
                Just(256)
            ],
            -3i64..=3,
            any::<[u64; 4]>(),
            0u32..=256,
        )
            .prop_map(|(bits, delta, raw, mask_bits)| {
                let random = U256::from_limbs(raw);
                let base = if bits == 256 {
                    U256::MAX
                } else {
                    U256::from(1u8) << bits
                };
                let near = if delta >= 0 {
                    base.saturating_add(U256::from(delta as u64))
                } else {
                    base.saturating_sub(U256::from(delta.unsigned_abs()))
                };
                // every other case a random value of a random width
                if mask_bits % 2 == 0 {
                    near
                } else if mask_bits >= 256 {
                    random
                } else {
                    random & ((U256::from(1u8) << mask_bits as usize) - U256::from(1u8))
                }
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]

        #[test]
        fn fast_paths_equal_the_512_bit_reference(a in edge_value(), b in edge_value(), d in edge_value()) {
            let want = reference(a, b, d);
            proptest::prop_assert_eq!(mul_div_rem(a, b, d), want);
            proptest::prop_assert_eq!(mul_div(a, b, d), want.map(|(q, _)| q));
            let up = want.and_then(|(q, r)| if r {
                q.checked_add(U256::from(1u8)).ok_or(MathError::MulDivOverflow)
            } else {
                Ok(q)
            });
            proptest::prop_assert_eq!(mul_div_rounding_up(a, b, d), up);
        }
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
