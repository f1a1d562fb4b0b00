//! The swap step's arithmetic for the common case where square-root prices, liquidity and amounts
//! all fit 128 bits (true of most pools, e.g. WETH/USDC): the same integers as the 256-bit
//! functions of this module, computed on `u128` values kept in registers, with long divisions by
//! divisors of up to 128 and up to 256 bits written for these cases instead of ruint's 512-bit one.
//!
//! Every function returns `None` where a value would not fit 128 bits or where the contract would
//! revert; the caller then computes the step with the general 256-bit functions, which give the
//! value or the error. So `Some` is always the exact result and `None` is never an answer.

use super::tick_math::mul_u128;

/// `x / d` of a little-endian number of 64-bit limbs by a non-zero divisor: the quotient's limbs
/// and the remainder. `None` for a zero divisor.
#[inline(always)]
pub(crate) fn div_limbs<const N: usize>(x: [u64; N], d: u128) -> Option<([u64; N], u128)> {
    if d == 0 {
        return None;
    }
    let mut q = [0u64; N];
    if d >> 64 == 0 {
        // a one-limb divisor: 128-by-64-bit steps, each remainder below the divisor
        let mut r: u128 = 0;
        for i in (0..N).rev() {
            let cur = (r << 64) | u128::from(x[i]);
            if cur < d {
                r = cur;
                continue;
            }
            let qi = cur / d;
            r = cur - qi * d;
            q[i] = qi as u64;
        }
        return Some((q, r));
    }
    // Two limbs: shift divisor and dividend left until the divisor's top bit is set (Knuth's
    // normalization); the quotient stays the same and the remainder is shifted back at the end.
    let s = d.leading_zeros();
    let dn = d << s;
    let mut r: u128 = if s == 0 {
        0
    } else {
        u128::from(x[N - 1] >> (64 - s))
    };
    for i in (0..N).rev() {
        let below = if s == 0 || i == 0 {
            0
        } else {
            x[i - 1] >> (64 - s)
        };
        let limb = (x[i] << s) | below;
        if r >> 64 == 0 {
            let cur = (r << 64) | u128::from(limb);
            if cur < dn {
                r = cur;
                continue;
            }
        }
        let (qi, rem) = div_192_by_128(r, limb, dn);
        q[i] = qi;
        r = rem;
    }
    Some((q, r >> s))
}

/// `(r * 2^64 + limb) / d` and its remainder, for `d >= 2^127` and `r < d` (so the quotient fits
/// 64 bits): one digit of Knuth's algorithm D with a two-limb divisor.
#[inline(always)]
fn div_192_by_128(r: u128, limb: u64, d: u128) -> (u64, u128) {
    let dh = (d >> 64) as u64;
    let dl = d as u64;
    let rh = (r >> 64) as u64;
    // Estimate from the top limbs: never below the true digit, at most two above it.
    let (mut q, mut rhat) = if rh >= dh {
        // rh == dh (r < d): the digit is at most 2^64 - 1
        (u64::MAX, r - u128::from(u64::MAX) * u128::from(dh))
    } else {
        let q = r / u128::from(dh);
        (q as u64, r - q * u128::from(dh))
    };
    // With the divisor's second limb the test is exact: q * d > r * 2^64 + limb. Once rhat
    // reaches 2^64 the left side cannot exceed the right one.
    while rhat >> 64 == 0 && u128::from(q) * u128::from(dl) > ((rhat << 64) | u128::from(limb)) {
        q -= 1;
        rhat += u128::from(dh);
    }
    // The true remainder is below d < 2^128: the low 128 bits of the difference are it.
    let rem = ((r << 64) | u128::from(limb)).wrapping_sub(u128::from(q).wrapping_mul(d));
    (q, rem)
}

/// `x / d` for a divisor of three or four limbs (at least 2^128), when the quotient fits 128 bits:
/// the quotient and whether a remainder is left; `None` if the quotient does not fit or `d` is
/// below 2^128. Knuth's algorithm D: the dividend is at most six limbs, so the quotient has at
/// most four digits, of which the top ones are usually zero and skipped without a division.
#[inline(always)]
fn div_wide(x: [u64; 6], d: [u64; 4]) -> Option<(u128, bool)> {
    let n = if d[3] != 0 {
        4
    } else if d[2] != 0 {
        3
    } else {
        return None;
    };
    let s = d[n - 1].leading_zeros();
    // divisor and dividend shifted left until the divisor's top bit is set
    let shifted = |v: &[u64], i: usize| {
        let below = if s == 0 || i == 0 {
            0
        } else {
            v[i - 1] >> (64 - s)
        };
        (v[i] << s) | below
    };
    let mut dn = [0u64; 4];
    for (i, l) in dn.iter_mut().enumerate().take(n) {
        *l = shifted(&d, i);
    }
    let mut u = [0u64; 7];
    for (i, l) in u.iter_mut().enumerate().take(6) {
        *l = shifted(&x, i);
    }
    u[6] = if s == 0 { 0 } else { x[5] >> (64 - s) };
    let (d1, d2) = (dn[n - 1], dn[n - 2]);
    let mut q = 0u128;
    for j in (0..=(6 - n)).rev() {
        let top = (u128::from(u[j + n]) << 64) | u128::from(u[j + n - 1]);
        if top < u128::from(d1) {
            // the estimate below is zero, so is the digit
            continue;
        }
        let (mut qhat, mut rhat) = if u[j + n] >= d1 {
            (u64::MAX, top - u128::from(u64::MAX) * u128::from(d1))
        } else {
            let qh = top / u128::from(d1);
            (qh as u64, top - qh * u128::from(d1))
        };
        while rhat >> 64 == 0
            && u128::from(qhat) * u128::from(d2) > ((rhat << 64) | u128::from(u[j + n - 2]))
        {
            qhat -= 1;
            rhat += u128::from(d1);
        }
        // u[j..=j+n] -= qhat * dn
        let mut carry = 0u64;
        let mut borrow = false;
        for i in 0..n {
            let p = u128::from(qhat) * u128::from(dn[i]) + u128::from(carry);
            carry = (p >> 64) as u64;
            let (s1, b1) = u[i + j].overflowing_sub(p as u64);
            let (s2, b2) = s1.overflowing_sub(u64::from(borrow));
            u[i + j] = s2;
            borrow = b1 | b2;
        }
        let (s1, b1) = u[j + n].overflowing_sub(carry);
        let (s2, b2) = s1.overflowing_sub(u64::from(borrow));
        u[j + n] = s2;
        if b1 | b2 {
            // the estimate was one too large: add the divisor back
            qhat -= 1;
            let mut c = false;
            for i in 0..n {
                let (t1, c1) = u[i + j].overflowing_add(dn[i]);
                let (t2, c2) = t1.overflowing_add(u64::from(c));
                u[i + j] = t2;
                c = c1 | c2;
            }
            u[j + n] = u[j + n].wrapping_add(u64::from(c));
        }
        if j >= 2 {
            if qhat != 0 {
                return None;
            }
        } else {
            q |= u128::from(qhat) << (64 * j);
        }
    }
    let rem_nonzero = u.iter().take(n).any(|l| *l != 0);
    Some((q, rem_nonzero))
}

/// The value of limbs if it fits 128 bits.
#[inline(always)]
fn limbs_to_u128<const N: usize>(x: &[u64; N]) -> Option<u128> {
    if x.iter().skip(2).any(|l| *l != 0) {
        return None;
    }
    Some(u128::from(x[0]) | (u128::from(x[1]) << 64))
}

/// `(a * b) / d` with the remainder's being non-zero, for 128-bit operands; `None` if `d` is zero
/// or the quotient exceeds 128 bits.
#[inline(always)]
pub(crate) fn mul_div_rem(a: u128, b: u128, d: u128) -> Option<(u128, bool)> {
    let (high, low) = mul_u128(a, b);
    if high == 0 {
        if d == 0 {
            return None;
        }
        if low >> 64 == 0 && d >> 64 == 0 {
            // 64-bit operands: the processor's 64-bit division, inline
            let (low, d) = (low as u64, d as u64);
            let q = low / d;
            return Some((u128::from(q), low - q * d != 0));
        }
        let q = low / d;
        return Some((q, low - q * d != 0));
    }
    let x = [
        low as u64,
        (low >> 64) as u64,
        high as u64,
        (high >> 64) as u64,
    ];
    let (q, r) = div_limbs(x, d)?;
    Some((limbs_to_u128(&q)?, r != 0))
}

/// `ceil(a * b / d)` for 128-bit operands (`FullMath.mulDivRoundingUp`); `None` if `d` is zero or
/// the result exceeds 128 bits.
#[inline(always)]
pub(crate) fn mul_div_rounding_up(a: u128, b: u128, d: u128) -> Option<u128> {
    let (q, r) = mul_div_rem(a, b, d)?;
    if r { q.checked_add(1) } else { Some(q) }
}

/// `a * b >= c * d` for 128-bit operands (the 256-bit products compared).
#[inline(always)]
pub(crate) fn product_ge(a: u128, b: u128, c: u128, d: u128) -> bool {
    mul_u128(a, b) >= mul_u128(c, d)
}

/// `get_amount1_delta`: `L * (sqrtB - sqrtA) / 2^96` rounded up or down.
#[inline(always)]
pub(crate) fn amount1_delta(a: u128, b: u128, liquidity: u128, round_up: bool) -> Option<u128> {
    let (low, high) = if a > b { (b, a) } else { (a, b) };
    let (ph, pl) = mul_u128(liquidity, high - low);
    if ph >> 96 != 0 {
        return None;
    }
    let q = (ph << 32) | (pl >> 96);
    if round_up && pl & ((1u128 << 96) - 1) != 0 {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// `get_amount0_delta`: `L * 2^96 * (sqrtB - sqrtA) / sqrtB / sqrtA`, each division rounded up or
/// down as the contract rounds (`mulDiv` by the higher price, then a division by the lower one).
/// Rounding down twice is rounding down the quotient by the product of the divisors
/// (`floor(floor(x / b) / a) == floor(x / (a * b))`), and the same holds for rounding up; so the
/// result is one division by `sqrtA * sqrtB`, plus one when rounding up and a remainder is left.
#[inline(always)]
pub(crate) fn amount0_delta(a: u128, b: u128, liquidity: u128, round_up: bool) -> Option<u128> {
    let (low, high) = if a > b { (b, a) } else { (a, b) };
    if low == 0 {
        return None;
    }
    let x = product_shl96(liquidity, high - low);
    // one division by the product of the prices (at most 256 bits)
    let (dh, dl) = mul_u128(low, high);
    let (q, rem_nonzero) = if dh == 0 {
        let (q, r) = div_limbs(x, dl)?;
        (limbs_to_u128(&q)?, r != 0)
    } else {
        div_wide(
            x,
            [dl as u64, (dl >> 64) as u64, dh as u64, (dh >> 64) as u64],
        )?
    };
    if round_up && rem_nonzero {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// `(a * b) << 96` in six limbs (below 2^352).
#[inline(always)]
fn product_shl96(a: u128, b: u128) -> [u64; 6] {
    let (ph, pl) = mul_u128(a, b);
    [
        0u64,
        (pl << 32) as u64,
        (pl >> 32) as u64,
        ((pl >> 96) | (ph << 32)) as u64,
        (ph >> 32) as u64,
        (ph >> 96) as u64,
    ]
}

/// `ceil(x / d)` for a divisor of up to 256 bits given as (high, low) halves, when it fits 128
/// bits.
#[inline(always)]
fn div_rounding_up_256(x: [u64; 6], dh: u128, dl: u128) -> Option<u128> {
    let (q, rem_nonzero) = if dh == 0 {
        let (q, r) = div_limbs(x, dl)?;
        (limbs_to_u128(&q)?, r != 0)
    } else {
        div_wide(
            x,
            [dl as u64, (dl >> 64) as u64, dh as u64, (dh >> 64) as u64],
        )?
    };
    if rem_nonzero {
        q.checked_add(1)
    } else {
        Some(q)
    }
}

/// `SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp`: the price after adding (`add`) or
/// removing `amount` of token0, `ceil(L * 2^96 * P / (L * 2^96 ± amount * P))`. `None` where the
/// contract takes its other branch (the denominator wraps 2^256) or reverts.
#[inline(always)]
pub(crate) fn next_sqrt_price_from_amount0(
    sqrt_p: u128,
    liquidity: u128,
    amount: u128,
    add: bool,
) -> Option<u128> {
    if amount == 0 {
        return Some(sqrt_p);
    }
    let x = product_shl96(liquidity, sqrt_p);
    // numerator1 = L << 96 as 256 bits, and amount * P
    let (n1h, n1l) = (liquidity >> 32, liquidity << 96);
    let (ph, pl) = mul_u128(amount, sqrt_p);
    let (dh, dl) = if add {
        let (dl, carry) = n1l.overflowing_add(pl);
        (n1h.checked_add(ph)?.checked_add(u128::from(carry))?, dl)
    } else {
        if (n1h, n1l) <= (ph, pl) {
            return None;
        }
        let (dl, borrow) = n1l.overflowing_sub(pl);
        (n1h - ph - u128::from(borrow), dl)
    };
    div_rounding_up_256(x, dh, dl)
}

/// `floor(x * 2^96 / d)` and whether a remainder is left; `None` for `d == 0` or a quotient above
/// 128 bits.
#[inline(always)]
pub(crate) fn shl96_div(x: u128, d: u128) -> Option<(u128, bool)> {
    let limbs = [0u64, (x << 32) as u64, (x >> 32) as u64, (x >> 96) as u64];
    let (q, r) = div_limbs(limbs, d)?;
    Some((limbs_to_u128(&q)?, r != 0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::uniswap_v3::math::{self as wide, MathError};
    use alloy::primitives::{U256, U512};
    use proptest::prelude::*;

    fn to_u512<const N: usize>(x: &[u64; N]) -> U512 {
        let mut l = [0u64; 8];
        l[..N].copy_from_slice(x);
        U512::from_limbs(l)
    }

    /// 128-bit values at and around the limb edges, or random ones of a random width.
    fn edge_u128() -> impl Strategy<Value = u128> {
        (
            prop_oneof![
                Just(0u32),
                Just(1),
                Just(32),
                Just(63),
                Just(64),
                Just(65),
                Just(96),
                Just(127),
                Just(128)
            ],
            -3i64..=3,
            any::<u128>(),
            0u32..=128,
            any::<bool>(),
        )
            .prop_map(|(bits, delta, random, width, near)| {
                if near {
                    let base = if bits == 128 {
                        u128::MAX
                    } else {
                        1u128 << bits
                    };
                    if delta >= 0 {
                        base.saturating_add(delta as u128)
                    } else {
                        base.saturating_sub(delta.unsigned_abs() as u128)
                    }
                } else if width == 128 {
                    random
                } else {
                    random & ((1u128 << width) - 1)
                }
            })
    }

    fn wide_u(x: u128) -> U256 {
        U256::from(x)
    }

    fn narrowed(x: Result<U256, MathError>) -> Option<u128> {
        x.ok().and_then(|v| u128::try_from(v).ok())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// The long division equals ruint's 512-bit one, for divisors of one and two limbs
        /// (1, around 2^64 and 2^128 included) and dividends of every width.
        #[test]
        fn division_equals_ruint(x in any::<[u64; 6]>(), width in 0usize..=384, d in edge_u128()) {
            let mut x = x;
            // clear the limbs above the chosen width
            for (i, l) in x.iter_mut().enumerate() {
                let lo = i * 64;
                if lo >= width {
                    *l = 0;
                } else if width - lo < 64 {
                    *l &= (1u64 << (width - lo)) - 1;
                }
            }
            let got = div_limbs(x, d);
            if d == 0 {
                prop_assert!(got.is_none());
            } else {
                let (q, r) = got.unwrap();
                let (wq, wr) = to_u512(&x).div_rem(U512::from(d));
                prop_assert_eq!(to_u512(&q), wq);
                prop_assert_eq!(U512::from(r), wr);
            }
        }

        /// The division by three- and four-limb divisors equals ruint's, or is `None` exactly
        /// where the quotient exceeds 128 bits.
        #[test]
        fn wide_division_equals_ruint(
            x in any::<[u64; 6]>(),
            width in 0usize..=384,
            d in any::<[u64; 4]>(),
            d_width in 129usize..=256,
            near in any::<bool>(),
        ) {
            let mut x = x;
            for (i, l) in x.iter_mut().enumerate() {
                let lo = i * 64;
                if lo >= width {
                    *l = 0;
                } else if width - lo < 64 {
                    *l &= (1u64 << (width - lo)) - 1;
                }
            }
            let mut d = d;
            for (i, l) in d.iter_mut().enumerate() {
                let lo = i * 64;
                if lo >= d_width {
                    *l = 0;
                } else if d_width - lo < 64 {
                    *l &= (1u64 << (d_width - lo)) - 1;
                }
            }
            // divisors at 2^128 and 2^192 and just below 2^256, and all-ones limbs
            if near {
                d = match width % 4 {
                    0 => [0, 0, 1, 0],
                    1 => [0, 0, 0, 1],
                    2 => [u64::MAX; 4],
                    _ => [u64::MAX, u64::MAX, u64::MAX, 0],
                };
            }
            let wd = U512::from_limbs([d[0], d[1], d[2], d[3], 0, 0, 0, 0]);
            prop_assume!(wd >= U512::from(1u8) << 128usize);
            let (wq, wr) = to_u512(&x).div_rem(wd);
            let want = (wq < U512::from(1u8) << 128usize).then(|| {
                let l = wq.as_limbs();
                (u128::from(l[0]) | (u128::from(l[1]) << 64), !wr.is_zero())
            });
            prop_assert_eq!(div_wide(x, d), want);
        }

        #[test]
        fn mul_div_equals_the_wide_one(a in edge_u128(), b in edge_u128(), d in edge_u128()) {
            let want = narrowed(wide::mul_div(wide_u(a), wide_u(b), wide_u(d)));
            let got = mul_div_rem(a, b, d).map(|(q, _)| q);
            prop_assert!(got.is_none() || got == want, "{:?} {:?}", got, want);
            // None only where the result does not fit or the contract reverts
            prop_assert_eq!(got.is_none(), want.is_none());
            let want_up = narrowed(wide::mul_div_rounding_up(wide_u(a), wide_u(b), wide_u(d)));
            prop_assert_eq!(mul_div_rounding_up(a, b, d), want_up);
            let left: U512 = wide_u(a).widening_mul(wide_u(b));
            let right: U512 = wide_u(d).widening_mul(wide_u(a));
            prop_assert_eq!(product_ge(a, b, d, a), left >= right);
        }

        #[test]
        fn amount_deltas_equal_the_wide_ones(
            a in edge_u128(),
            b in edge_u128(),
            liquidity in edge_u128(),
            up in any::<bool>(),
        ) {
            let want0 = narrowed(wide::get_amount0_delta(wide_u(a), wide_u(b), liquidity, up));
            prop_assert_eq!(amount0_delta(a, b, liquidity, up), want0);
            let want1 = narrowed(wide::get_amount1_delta(wide_u(a), wide_u(b), liquidity, up));
            prop_assert_eq!(amount1_delta(a, b, liquidity, up), want1);
        }

        /// Realistic prices (between 2^32 and 2^128) and liquidities.
        #[test]
        fn amount0_delta_on_prices(
            a in (1u128 << 32)..u128::MAX,
            b in (1u128 << 32)..u128::MAX,
            liquidity in 0u128..(1u128 << 100),
            up in any::<bool>(),
        ) {
            let want = narrowed(wide::get_amount0_delta(wide_u(a), wide_u(b), liquidity, up));
            prop_assert_eq!(amount0_delta(a, b, liquidity, up), want);
        }

        /// The token0 price update equals the 256-bit one, adding and removing, where the
        /// latter's result fits 128 bits (and is `None` exactly where it does not, reverts, or
        /// takes the branch for a wrapping denominator).
        #[test]
        fn next_price_from_amount0_equals_the_wide_one(
            sqrt_p in edge_u128(),
            liquidity in edge_u128(),
            amount in edge_u128(),
            realistic in any::<bool>(),
            p in (1u128 << 32)..u128::MAX,
            l in 1u128..(1u128 << 100),
            a in 0u128..(1u128 << 100),
        ) {
            let (sqrt_p, liquidity, amount) =
                if realistic { (p, l, a) } else { (sqrt_p, liquidity, amount) };
            prop_assume!(sqrt_p != 0 && liquidity != 0);
            for add in [true, false] {
                let got = next_sqrt_price_from_amount0(sqrt_p, liquidity, amount, add);
                let wide = if add {
                    wide::get_next_sqrt_price_from_input(wide_u(sqrt_p), liquidity, wide_u(amount), true)
                } else {
                    wide::get_next_sqrt_price_from_output(wide_u(sqrt_p), liquidity, wide_u(amount), false)
                };
                // Some(v) only where the 256-bit function gives v
                if let Some(v) = got {
                    prop_assert_eq!(Ok(wide_u(v)), wide);
                } else {
                    // None: the 256-bit result does not fit, it fails, or its denominator wraps
                    let wraps = add && {
                        let n1 = wide_u(liquidity) << 96usize;
                        let (prod, o) = wide_u(amount).overflowing_mul(wide_u(sqrt_p));
                        o || n1.overflowing_add(prod).1
                    };
                    prop_assert!(wraps || narrowed(wide).is_none());
                }
            }
        }

        #[test]
        fn shifted_division_equals_the_wide_one(x in edge_u128(), d in edge_u128()) {
            let got = shl96_div(x, d);
            if d == 0 {
                prop_assert!(got.is_none());
            } else {
                let (q, r) = (wide_u(x) << 96usize).div_rem(wide_u(d));
                let want = u128::try_from(q).ok().map(|q| (q, !r.is_zero()));
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn division_edges() {
        let x = [u64::MAX; 6];
        for d in [
            1u128,
            2,
            u64::MAX as u128,
            1 << 64,
            (1 << 64) + 1,
            u128::MAX,
            u128::MAX - 1,
            1 << 127,
        ] {
            let (q, r) = div_limbs(x, d).unwrap();
            let (wq, wr) = to_u512(&x).div_rem(U512::from(d));
            assert_eq!(to_u512(&q), wq, "{d}");
            assert_eq!(U512::from(r), wr, "{d}");
        }
        assert!(div_limbs([1u64, 2], 0).is_none());
        // Knuth's add-back step (the estimate one too large even after the two-limb test), as in
        // Hacker's Delight's test of `divmnu` with 64-bit digits
        let x = [0, 0, 1 << 63, (1 << 63) - 1, 0, 0];
        let d = [1, 0, 1 << 63, 0];
        let (wq, wr) = to_u512(&x).div_rem(U512::from_limbs([1, 0, 1 << 63, 0, 0, 0, 0, 0]));
        assert_eq!(
            div_wide(x, d),
            Some((u128::try_from(wq).unwrap(), !wr.is_zero()))
        );
        assert_eq!(div_wide(x, d), Some((u64::MAX as u128 - 1, true)));
        // a quotient of 2^128 or more is no answer
        assert_eq!(div_wide([0, 0, 0, 0, 0, 1], [0, 0, 1, 0]), None);
        assert_eq!(div_wide([0, 0, 0, 0, 1, 0], [0, 0, 1, 0]), None);
        assert_eq!(
            div_wide([0, 0, 0, 1, 0, 0], [0, 0, 1, 0]),
            Some((1u128 << 64, false))
        );
        // a quotient above 128 bits is no answer
        assert_eq!(mul_div_rem(u128::MAX, u128::MAX, 1), None);
        assert_eq!(
            mul_div_rem(u128::MAX, u128::MAX, u128::MAX),
            Some((u128::MAX, false))
        );
        assert_eq!(mul_div_rounding_up(u128::MAX, 3, 3), Some(u128::MAX));
        assert_eq!(mul_div_rounding_up(u128::MAX, 2, 1), None);
    }
}
