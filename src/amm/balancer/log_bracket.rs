//! `pow`'s `logx_times_y` for bases near one (`LN_36_LOWER_BOUND < x < LN_36_UPPER_BOUND`) without
//! the 36-decimal chain of `_ln_36`: its value is bracketed in binary fixed point, and the answer
//! is given only when the whole bracket yields the same integer; otherwise `None`, and the caller
//! runs the contract's steps ([`super::log_exp_fast`]).
//!
//! Why a bracket is enough. With `ζ = (x - 1e18) / (x + 1e18)` and `D = 1e36`, `_ln_36` returns
//! `L = 2 σ Σ_{k=0..7} ⌊n_k / (2k+1)⌋` where `σ` is the sign of `ζ`, `n_0 = ⌊|ζ| D⌋`,
//! `s = ⌊n_0² / D⌋` and `n_k = ⌊n_{k-1} s / D⌋` (every quantity has the sign of `ζ`, so the
//! contract's truncations toward zero are floors of the magnitudes). Each `n_k` is at most
//! `t_k = |ζ|^(2k+1) D` and at least `t_k - 1.07` (`|ζ| < 0.0527`, so `s/D < 0.0028`), hence
//! `|L| ∈ [2P - 19, 2P]` with `P = Σ t_k / (2k+1)`. Then `pow` computes
//! `trunc(trunc(L / 1e18) y + trunc((L % 1e18) y / 1e18) / 1e18)`, which is
//! `σ ⌊|L| y / 1e36⌋`: monotonic in `|L|`, so two ends giving the same integer give it for every
//! `|L|` between them.
//!
//! `P` is computed as `2^128 |ζ| (1 + r/3 + r²/5 + … + r⁷/15)`, `r = ζ²`, by Horner's rule on `u128`
//! binary fractions: every step rounds down, so the result is below the true one by less than
//! 4 units of 2^-128 (`|ζ|`, `r` and the coefficients are each below the truth by less than
//! 1.2 units; products of fractions below 1 do not grow the errors). In units of 2^-128 the
//! contract's `|L|` is within `[2p - 19·2^128/D - 8, 2p + 8]`, `2^128/D ≈ 340.3`; the margins
//! below cover that many times over.

use super::words::{div_2by1, mul_high, mul_wide};

const ONE_18: u128 = 1_000_000_000_000_000_000;
/// `⌊2^128 / (2j+1)⌋` for `j = 1..=7` (`2^128 - 1` and `2^128` have the same quotient by an odd
/// number).
const INVERSE_ODD: [u128; 7] = {
    let mut out = [0u128; 7];
    let mut j = 0;
    while j < 7 {
        out[j] = u128::MAX / (2 * j as u128 + 3);
        j += 1;
    }
    out
};
/// How far below `2p` the contract's `|L|` may lie, in units of 2^-128 (needed: under 6,500).
const BELOW: u128 = 1 << 16;
/// How far above (needed: 8).
const ABOVE: u128 = 1 << 10;

/// `⌊a 2^128 / d⌋` for `a < d < 2^64`: two 128-by-64-bit divisions.
#[inline(always)]
fn div_shifted(a: u64, d: u64) -> u128 {
    let (q1, r) = div_2by1(a, 0, d);
    let (q0, _) = div_2by1(r, 0, d);
    (u128::from(q1) << 64) | u128::from(q0)
}

/// `2 |ζ| (1 + r/3 + … + r⁷/15)` in units of 2^-128, at most the true value and above it less
/// 8 units; `None` outside `0.9e18 < x < 1.1e18`.
#[inline(always)]
fn twice_series(x: u128) -> Option<(bool, u128)> {
    if !(900_000_000_000_000_000 < x && x < 1_100_000_000_000_000_000) {
        return None;
    }
    let (negative, a) = if x < ONE_18 {
        (true, ONE_18 - x)
    } else {
        (false, x - ONE_18)
    };
    // a < 1.1e17 < x + 1e18 < 2.1e18 < 2^64.
    let zeta = div_shifted(a as u64, (x + ONE_18) as u64);
    let r = mul_high(zeta, zeta);
    let mut h = INVERSE_ODD[6];
    for &c in INVERSE_ODD[..6].iter().rev() {
        h = c + mul_high(r, h);
    }
    let p = zeta + mul_high(zeta, mul_high(r, h));
    Some((negative, p << 1))
}

/// The contract's `logx_times_y` (after its division by 1e18) for `0.9e18 < x < 1.1e18`, or
/// `None` when the bracket straddles two integers (about once in 2^50 quotes) or `x` is out of
/// that range.
#[inline]
pub(super) fn logx_times_y(x: u128, y: u128) -> Option<i128> {
    let (negative, twice) = twice_series(x)?;
    decide(negative, twice, y)
}

/// `σ ⌊|L| y / 1e36⌋` when it is the same for every `|L|` of the bracket around `twice`.
#[inline(always)]
fn decide(negative: bool, twice: u128, y: u128) -> Option<i128> {
    let q = mul_wide(twice.saturating_sub(BELOW), y).0;
    if mul_wide(twice + ABOVE, y).0 != q {
        return None;
    }
    let q = i128::try_from(q).ok()?;
    Some(if negative { -q } else { q })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::balancer::log_exp;
    use alloy::primitives::{I256, U256};
    use proptest::prelude::*;

    /// The contract's `|L|` lies in `[2p - BELOW, 2p + ABOVE]` (units of 2^-128), with a tenth of
    /// each margin to spare.
    fn check_bracket(x: u128) {
        let (negative, twice) = twice_series(x).unwrap();
        let l = log_exp::ln_36(I256::from_raw(U256::from(x))).unwrap();
        assert_eq!(l.is_negative(), negative && !l.is_zero(), "{x}");
        let scaled = l.unsigned_abs() << 128;
        let d = U256::from(10u8).pow(U256::from(36u8));
        let lo = U256::from(twice.saturating_sub(BELOW / 10)) * d;
        let hi = U256::from(twice + ABOVE / 10) * d;
        assert!(lo <= scaled && scaled <= hi, "{x}: {l} vs {twice}");
    }

    #[test]
    fn the_bracket_holds_at_the_ends_and_near_one() {
        for x in [
            900_000_000_000_000_001,
            900_000_000_000_000_002,
            999_999_999_999_999_999,
            ONE_18,
            1_000_000_000_000_000_001,
            1_099_999_999_999_999_999,
            1_099_999_999_999_999_998,
        ] {
            check_bracket(x);
        }
        assert_eq!(twice_series(900_000_000_000_000_000), None);
        assert_eq!(twice_series(1_100_000_000_000_000_000), None);
    }

    #[test]
    fn a_straddling_bracket_is_refused() {
        // 2^127 ± the margins, times 2: 0 at the lower end, 1 at the upper one.
        assert_eq!(decide(false, 1 << 127, 2), None);
        assert_eq!(decide(false, (1 << 127) + BELOW, 2), Some(1));
        assert_eq!(decide(true, (1 << 127) - ABOVE - 1, 2), Some(0));
        assert_eq!(decide(true, (1 << 127) + BELOW, 4), Some(-2));
        assert_eq!(decide(false, 0, 1 << 60), Some(0));
    }

    proptest! {
        #[test]
        fn the_bracket_holds(x in 900_000_000_000_000_001u128..1_100_000_000_000_000_000) {
            check_bracket(x);
        }
    }
}
