//! `LogExpMath.pow` on `i128`, step for step as [`super::log_exp`] computes it on `I256`: every
//! `(a * b) / c` is the exact 256-bit product divided by `c` ([`super::words`]), truncated toward
//! zero as Solidity's signed division does, so each intermediate is the contract's. When any
//! value leaves `i128` (or the contract would revert) this returns `None` and the caller takes the
//! `I256` path; a pool's swaps (bases within 0.7–1.5, exponents the weights' ratios) stay here.

use super::log_bracket;
use super::words::{Divisor, div_var, mul_wide};

const ONE_18: i128 = 1_000_000_000_000_000_000;
const ONE_20: i128 = 100_000_000_000_000_000_000;
const ONE_36: i128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;
const MAX_NATURAL_EXPONENT: i128 = 130_000_000_000_000_000_000;
const MIN_NATURAL_EXPONENT: i128 = -41_000_000_000_000_000_000;
const LN_36_LOWER_BOUND: i128 = 900_000_000_000_000_000;
const LN_36_UPPER_BOUND: i128 = 1_100_000_000_000_000_000;
const X0: i128 = 128_000_000_000_000_000_000;
const X1: i128 = 64_000_000_000_000_000_000;
const A1: i128 = 6_235_149_080_811_616_882_910_000_000;

/// (x_n, a_n) for n = 2..=11, 20 decimals (as in [`super::log_exp`]).
pub(super) const STEPS: [(i128, i128); 10] = [
    (
        3_200_000_000_000_000_000_000,
        7_896_296_018_268_069_516_100_000_000_000_000,
    ),
    (
        1_600_000_000_000_000_000_000,
        888_611_052_050_787_263_676_000_000,
    ),
    (800_000_000_000_000_000_000, 298_095_798_704_172_827_474_000),
    (400_000_000_000_000_000_000, 5_459_815_003_314_423_907_810),
    (200_000_000_000_000_000_000, 738_905_609_893_065_022_723),
    (100_000_000_000_000_000_000, 271_828_182_845_904_523_536),
    (50_000_000_000_000_000_000, 164_872_127_070_012_814_685),
    (25_000_000_000_000_000_000, 128_402_541_668_774_148_407),
    (12_500_000_000_000_000_000, 113_314_845_306_682_631_683),
    (6_250_000_000_000_000_000, 106_449_445_891_785_942_956),
];

const D_ONE_18: Divisor = Divisor::new(ONE_18 as u128);
const D_ONE_20: Divisor = Divisor::new(ONE_20 as u128);
const D_ONE_36: Divisor = Divisor::new(ONE_36 as u128);
const D_100: Divisor = Divisor::new(100);
/// The `a_n` of [`STEPS`] as divisors.
const D_STEPS: [Divisor; 10] = {
    let mut out = [Divisor::new(1); 10];
    let mut i = 0;
    while i < 10 {
        out[i] = Divisor::new(STEPS[i].1 as u128);
        i += 1;
    }
    out
};
/// 1..=15 as divisors (the series' denominators).
const D_SMALL: [Divisor; 16] = {
    let mut out = [Divisor::new(1); 16];
    let mut i = 1;
    while i < 16 {
        out[i] = Divisor::new(i as u128);
        i += 1;
    }
    out
};

/// `ONE_20 * n` for n = 2..=12 as divisors (`exp`'s series, both divisions of a step at once).
const D_SERIES: [Divisor; 11] = {
    let mut out = [Divisor::new(1); 11];
    let mut i = 0;
    while i < 11 {
        out[i] = Divisor::new(ONE_20 as u128 * (i as u128 + 2));
        i += 1;
    }
    out
};

/// Solidity's `(a * b) / d` for a positive divisor: the exact product, truncated toward zero.
#[inline(always)]
fn mul_div(a: i128, b: i128, d: &Divisor) -> Option<i128> {
    let negative = (a < 0) != (b < 0);
    let (high, low) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    signed(d.div(high, low)?, negative)
}

/// `(a * b) / d` for a positive divisor known only now.
#[inline(always)]
fn mul_div_var(a: i128, b: i128, d: i128) -> Option<i128> {
    if d <= 0 {
        return None;
    }
    let negative = (a < 0) != (b < 0);
    let (high, low) = mul_wide(a.unsigned_abs(), b.unsigned_abs());
    signed(div_var(high, low, d as u128)?, negative)
}

/// `a / d` truncated toward zero.
#[inline(always)]
fn div(a: i128, d: &Divisor) -> Option<i128> {
    signed(d.div(0, a.unsigned_abs())?, a < 0)
}

#[inline(always)]
fn signed(magnitude: u128, negative: bool) -> Option<i128> {
    let v = i128::try_from(magnitude).ok()?;
    Some(if negative { -v } else { v })
}

/// `LogExpMath.pow(x, y)`, or `None` to take the 256-bit path.
pub(super) fn pow(x: u128, y: u128) -> Option<u128> {
    let x = i128::try_from(x).ok()?;
    let y = i128::try_from(y).ok()?;
    if x <= 0 || y <= 0 {
        return None;
    }
    let logx_times_y = if LN_36_LOWER_BOUND < x && x < LN_36_UPPER_BOUND {
        match log_bracket::logx_times_y(x.unsigned_abs(), y.unsigned_abs()) {
            Some(v) => v,
            None => div(ln_36_times_y(x, y)?, &D_ONE_18)?,
        }
    } else {
        div(ln(x)?.checked_mul(y)?, &D_ONE_18)?
    };
    if !(MIN_NATURAL_EXPONENT..=MAX_NATURAL_EXPONENT).contains(&logx_times_y) {
        return None;
    }
    u128::try_from(exp(logx_times_y)?).ok()
}

/// `_ln_36(x) / 1e18 * y + (_ln_36(x) % 1e18) * y / 1e18`, step by step.
fn ln_36_times_y(x: i128, y: i128) -> Option<i128> {
    let ln_36_x = ln_36(x)?;
    let whole = div(ln_36_x, &D_ONE_18)?;
    let rest = ln_36_x - whole * ONE_18;
    whole
        .checked_mul(y)?
        .checked_add(mul_div(rest, y, &D_ONE_18)?)
}

/// `LogExpMath.exp(x)`; `None` from `x0` on (its `a0` needs more than 128 bits).
fn exp(x: i128) -> Option<i128> {
    if !(MIN_NATURAL_EXPONENT..=MAX_NATURAL_EXPONENT).contains(&x) {
        return None;
    }
    if x < 0 {
        return mul_div_var(ONE_18, ONE_18, exp(-x)?);
    }
    let mut x = x;
    let first_an = if x >= X0 {
        return None;
    } else if x >= X1 {
        x -= X1;
        A1
    } else {
        1
    };
    x = x.checked_mul(100)?;
    let mut product = ONE_20;
    for (&(xn, _), d) in STEPS[..8].iter().zip(&D_STEPS[..8]) {
        if x >= xn {
            x -= xn;
            product = mul_div(product, d.value() as i128, &D_ONE_20)?;
        }
    }
    // x is non-negative here, so every term is: the series on unsigned words (no signs to
    // carry), each step the contract's `(term * x) / ONE_20 / i`.
    let xu = x.unsigned_abs();
    let series_sum = match u64::try_from(xu) {
        Ok(x64) => series_narrow(x64),
        Err(_) => series_wide(xu)?,
    };
    let series_sum = i128::try_from(series_sum).ok()?;
    if product == ONE_20 && first_an == 1 {
        // (ONE_20 * s) / ONE_20 is s.
        return Some(D_100.div_word(series_sum.unsigned_abs()) as i128);
    }
    mul_div(mul_div(product, series_sum, &D_ONE_20)?, first_an, &D_100)
}

/// `ONE_20 + x + Σ term_n` of `exp` for `x < 2^64` (then every term is: each is at most the
/// previous times `x / (2 ONE_20)`, `x < x9`). `⌊⌊a / ONE_20⌋ / n⌋ = ⌊a / (ONE_20 n)⌋`, so
/// each step is one 64-by-64-bit product and one division by a constant; once a term is zero
/// every later one is too (`0 * x / …`), and the sum is complete.
#[inline(always)]
fn series_narrow(x: u64) -> u128 {
    let mut series_sum = ONE_20.unsigned_abs() + u128::from(x);
    let mut term = x;
    for d in &D_SERIES {
        // term * x < 2^128; the quotient is below term (x < ONE_20 * n), so it fits 64 bits.
        term = d.div_word(u128::from(term) * u128::from(x)) as u64;
        if term == 0 {
            break;
        }
        series_sum += u128::from(term);
    }
    series_sum
}

/// [`series_narrow`] for `x` up to `x9` (`(term * x)` may pass 128 bits).
fn series_wide(x: u128) -> Option<u128> {
    let mut series_sum = ONE_20.unsigned_abs().checked_add(x)?;
    let mut term = x;
    for d in &D_SMALL[2..=12] {
        let (high, low) = mul_wide(term, x);
        term = d.div_word(D_ONE_20.div(high, low)?);
        series_sum = series_sum.checked_add(term)?;
    }
    Some(series_sum)
}

/// `LogExpMath._ln(a)` for `a` within `i128` (so never above `a1 * 1e18`).
fn ln(a: i128) -> Option<i128> {
    if a <= 0 {
        return None;
    }
    if a < ONE_18 {
        return ln(mul_div_var(ONE_18, ONE_18, a)?).map(|v| -v);
    }
    let mut a = a.checked_mul(100)?;
    let mut sum = 0i128;
    for (&(xn, an), d) in STEPS.iter().zip(&D_STEPS) {
        if a >= an {
            a = mul_div(a, ONE_20, d)?;
            sum += xn;
        }
    }
    let z = mul_div_var(a - ONE_20, ONE_20, a.checked_add(ONE_20)?)?;
    let z_squared = mul_div(z, z, &D_ONE_20)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3usize, 5, 7, 9, 11] {
        num = mul_div(num, z_squared, &D_ONE_20)?;
        series_sum = series_sum.checked_add(div(num, &D_SMALL[d])?)?;
    }
    series_sum = series_sum.checked_mul(2)?;
    div(sum.checked_add(series_sum)?, &D_100)
}

/// `LogExpMath._ln_36(x)`.
fn ln_36(x: i128) -> Option<i128> {
    let x = x.checked_mul(ONE_18)?;
    let z = mul_div_var(x - ONE_36, ONE_36, x.checked_add(ONE_36)?)?;
    let z_squared = mul_div(z, z, &D_ONE_36)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3usize, 5, 7, 9, 11, 13, 15] {
        num = mul_div(num, z_squared, &D_ONE_36)?;
        series_sum = series_sum.checked_add(div(num, &D_SMALL[d])?)?;
    }
    series_sum.checked_mul(2)
}
