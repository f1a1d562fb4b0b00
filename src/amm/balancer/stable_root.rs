//! The end of `_getTokenBalanceGivenInvariantAndAllOtherBalances`' Newton iteration, found
//! without running it: the integer it stops at, proven by two integer inequalities, or `None`
//! (then the caller runs the iteration).
//!
//! The contract iterates `T(y) = ⌈(y² + c) / (2y + p)⌉` with `p = b - D` (`D` the invariant), from
//! `y_0 = T(D)`, and returns `T(y_k)` for the first `k` with `|T(y_k) - y_k| <= 1`. Let
//! `F(y) = y² + p y - c` (c > 0), `r` its positive root and `R = ⌈r⌉`; `g(y) = (y² + c) / (2y + p)`
//! is Newton's step for `F`. With `s = 2r + p = √(p² + 4c) > 0`:
//!
//! 1. `g(y) - r = (y - r)² / (2y + p)` (as `c = r² + p r`), so for every `y` with `2y + p > 0`,
//!    `T(y) >= R`: every iterate is at least `R`, every divisor `2y + p` is at least `s > 0` (no
//!    underflow, no division by zero), and the iterates fall at least halfway to `r` each step
//!    (`(y - r)² / (2y + p) <= (y - r) / 2`), so the contract stops well within its 255 steps;
//! 2. with `e = y - r >= 0`, `y - g(y) = F(y) / (2y + p) = e (e + s) / (2e + s) >= e / 2`, so an
//!    iterate where the contract stops (`y - T(y) <= 1`, hence `y - g(y) < 2`) has `e < 4`, that
//!    is `R <= y <= R + 3`;
//! 3. `g` grows for `y >= r`, and `g(R + 4) <= R` is `F(R) >= 16`; then `R - 1 < r <= g(y) <= R`
//!    for every `y` in `[R, R + 3]`, so `T(y) = R` there.
//!
//! Hence when `F(R - 1) < 0 <= 16 <= F(R)`, the contract returns `R`, whatever its iterates were.
//! `R` is found from `r ≈ √(p²/4 + c) - p/2` (an integer square root of the top 128 bits, off by
//! far less than `√s`) and one step `T`, which lands within one of `r`; `F` is then evaluated
//! exactly on 256 bits.

use super::words::{div_var, mul_wide};

/// `(high, low) + (high, low)`, `None` past 256 bits.
#[inline(always)]
fn add(a: (u128, u128), b: (u128, u128)) -> Option<(u128, u128)> {
    let (low, carry) = a.1.overflowing_add(b.1);
    Some((a.0.checked_add(b.0)?.checked_add(u128::from(carry))?, low))
}

/// `⌊√v⌋` of a 256-bit `v` to within `2^(t+1)` below, `t = max(0, (bits(v) - 127) / 2)`.
#[inline(always)]
fn approx_sqrt((high, low): (u128, u128)) -> u128 {
    if high == 0 {
        return low.isqrt();
    }
    // Keep the top 125 or 126 bits: an even shift 2t >= bits(v) - 126.
    let t = (128 - high.leading_zeros()).div_ceil(2) + 1;
    let shifted = if 2 * t >= 128 {
        high >> (2 * t - 128)
    } else {
        (high << (128 - 2 * t)) | (low >> (2 * t))
    };
    shifted.isqrt() << t
}

/// `F(y) = y² + b y - (D y + c)` compared with `bound`: `Some(true)` when `F(y) >= bound`.
#[inline(always)]
fn f_at_least(y: u128, b: u128, d: u128, c: (u128, u128), bound: u128) -> Option<bool> {
    let left = add(mul_wide(y, y), mul_wide(y, b))?;
    let right = add(add(mul_wide(y, d), c)?, (0, bound))?;
    Some(left >= right)
}

/// The balance the contract's iteration returns for invariant `d`, `b` and `c` (`c` as a
/// (high, low) pair), or `None` when this cannot prove it (the caller iterates).
#[inline]
pub(super) fn converged_balance(d: u128, b: u128, c: (u128, u128)) -> Option<u128> {
    if c == (0, 0) {
        return None;
    }
    // The contract's first step must stay in range: y_0 = T(D) below 2^127 keeps every
    // y² + c under 2^256 (the iterates only fall from there).
    let start_numerator = add(mul_wide(d, d), c)?;
    if start_numerator.0 >= d.checked_add(b)? >> 1 {
        return None;
    }
    // r ≈ √((p/2)² + c) - p/2, p = b - d.
    let (p_negative, half_p) = if b >= d {
        (false, (b - d) >> 1)
    } else {
        (true, (d - b) >> 1)
    };
    let root = approx_sqrt(add(mul_wide(half_p, half_p), c)?);
    let guess = if p_negative {
        root.checked_add(half_p)?
    } else {
        root.checked_sub(half_p)?
    };
    // One step T(guess): 2 guess + p must be positive.
    let divisor = (guess.checked_mul(2)?.checked_add(b)?).checked_sub(d)?;
    let numerator = add(mul_wide(guess, guess), c)?;
    if divisor == 0 || numerator == (0, 0) {
        return None;
    }
    let (high, low) = if numerator.1 == 0 {
        (numerator.0 - 1, u128::MAX)
    } else {
        (numerator.0, numerator.1 - 1)
    };
    let mut candidate = div_var(high, low, divisor)?.checked_add(1)?;
    // candidate >= R; step down while F(candidate - 1) >= 0 (at most twice).
    for _ in 0..2 {
        let below = candidate.checked_sub(1)?;
        if f_at_least(below, b, d, c, 0)? {
            candidate = below;
        } else {
            return f_at_least(candidate, b, d, c, 16)?.then_some(candidate);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::super::stable_words::iterate;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5_000))]

        /// Pools' shapes: invariant near the balances' sum, `b` near `D` less the solved
        /// balance, `c` the size of `D²`: the shortcut answers and equals the iteration.
        #[test]
        fn the_shortcut_is_the_iterations_end(
            d in 1u128 << 40..1u128 << 100,
            b_per_mille in 100u128..2_000,
            c_per_mille in 1u128..3_000,
        ) {
            let b = d / 1000 * b_per_mille;
            let c = mul_wide(d / 1000 * c_per_mille, d / 1000);
            let want = iterate(d, b, c);
            let got = converged_balance(d, b, c);
            prop_assert!(got.is_some());
            prop_assert_eq!(got, want);
        }

        /// Any inputs: whatever the shortcut answers is the iteration's end.
        #[test]
        fn any_shortcut_answer_is_the_iterations_end(
            d in any::<u128>(),
            b in any::<u128>(),
            c in (any::<u128>(), any::<u128>()),
            kd in 0u32..128,
            kb in 0u32..128,
            kc in 0u32..128,
        ) {
            let (d, b, c) = (d >> kd, b >> kb, (c.0 >> kc, c.1));
            // (The word iteration may stop for lack of room where the contract would not.)
            if let (Some(got), Some(want)) = (converged_balance(d, b, c), iterate(d, b, c)) {
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn square_roots_are_close_from_below() {
        for v in [
            (0u128, 0u128),
            (0, 17),
            (1, 0),
            (u128::MAX, u128::MAX),
            (1 << 100, 12345),
        ] {
            let s = approx_sqrt(v);
            let (sh, sl) = mul_wide(s, s);
            assert!((sh, sl) <= v, "{v:?}");
        }
        // 2^200 → 2^100 exactly.
        assert_eq!(approx_sqrt((1 << 72, 0)), 1 << 100);
    }
}
