//! Balancer's `LogExpMath` (2021 build, Solidity 0.7): `pow(x, y) = exp(y * ln(x))` in signed
//! 18-decimal fixed point, with `ln` computed in 36 decimals for bases near 1 (`ln_36`) and in 20
//! decimals otherwise, and `exp` by decomposition into precomputed powers of e and a 12-term
//! Taylor series. Every step is reproduced as written, including Solidity's truncating signed
//! division and the order of operations, so the result is the contract's to the last bit.

use alloy::primitives::{I256, U256};

use super::error::BalancerMathError as E;
use super::fixed_point::word;

const fn c(v: i128) -> I256 {
    // Non-negative constants only: the two's-complement limbs of a positive i128.
    let v = v as u128;
    I256::from_raw(U256::from_limbs([v as u64, (v >> 64) as u64, 0, 0]))
}

const ONE_18: I256 = c(1_000_000_000_000_000_000);
const ONE_20: I256 = c(100_000_000_000_000_000_000);
const ONE_36: I256 = c(1_000_000_000_000_000_000_000_000_000_000_000_000);
const MAX_NATURAL_EXPONENT: I256 = c(130_000_000_000_000_000_000);
const MIN_NATURAL_EXPONENT_ABS: I256 = c(41_000_000_000_000_000_000);
const LN_36_LOWER_BOUND: I256 = c(900_000_000_000_000_000);
const LN_36_UPPER_BOUND: I256 = c(1_100_000_000_000_000_000);
/// `2**254 / uint256(ONE_20)`.
const MILD_EXPONENT_BOUND: U256 = U256::from_limbs([
    0x4181_ea80_59f7_6532,
    0xa88f_4bb1_ca6b_cf58,
    0x0bce_5086_4921_11ae,
    0,
]);

const X0: I256 = c(128_000_000_000_000_000_000);
/// e^(x0), no decimals.
const A0: I256 = I256::from_raw(U256::from_limbs([
    0x0262_8270_0000_0000,
    0xf53a_2717_2fa9_ec63,
    0x0195_e54c_5dd4_2177,
    0,
]));
const X1: I256 = c(64_000_000_000_000_000_000);
const A1: I256 = c(6_235_149_080_811_616_882_910_000_000);
/// (x_n, a_n) for n = 2..=11, 20 decimals.
const STEPS: [(I256, I256); 10] = [
    (
        c(3_200_000_000_000_000_000_000),
        c(7_896_296_018_268_069_516_100_000_000_000_000),
    ),
    (
        c(1_600_000_000_000_000_000_000),
        c(888_611_052_050_787_263_676_000_000),
    ),
    (
        c(800_000_000_000_000_000_000),
        c(298_095_798_704_172_827_474_000),
    ),
    (
        c(400_000_000_000_000_000_000),
        c(5_459_815_003_314_423_907_810),
    ),
    (
        c(200_000_000_000_000_000_000),
        c(738_905_609_893_065_022_723),
    ),
    (
        c(100_000_000_000_000_000_000),
        c(271_828_182_845_904_523_536),
    ),
    (
        c(50_000_000_000_000_000_000),
        c(164_872_127_070_012_814_685),
    ),
    (
        c(25_000_000_000_000_000_000),
        c(128_402_541_668_774_148_407),
    ),
    (
        c(12_500_000_000_000_000_000),
        c(113_314_845_306_682_631_683),
    ),
    (c(6_250_000_000_000_000_000), c(106_449_445_891_785_942_956)),
];

/// Solidity 0.7 `int256` arithmetic: multiplication wraps, division truncates toward zero.
#[inline]
fn mul(a: I256, b: I256) -> I256 {
    a.wrapping_mul(b)
}

#[inline]
fn div(a: I256, b: I256) -> Result<I256, E> {
    if b.is_zero() {
        return Err(E::ZeroDivision);
    }
    // Both within i128 (most of the series' steps): the machine's division truncates toward zero
    // exactly as Solidity's does; b = -1 with a = i128::MIN is the one quotient i128 cannot hold.
    if let (Some(x), Some(y)) = (narrow(a), narrow(b))
        && !(x == i128::MIN && y == -1)
    {
        return Ok(I256::unchecked_from(x / y));
    }
    Ok(a.wrapping_div(b))
}

/// `v` as an `i128` when it fits.
#[inline]
fn narrow(v: I256) -> Option<i128> {
    let limbs = v.as_limbs();
    let low = (u128::from(limbs[1]) << 64) | u128::from(limbs[0]);
    let x = low as i128;
    let ext = if x < 0 { u64::MAX } else { 0 };
    (limbs[2] == ext && limbs[3] == ext).then_some(x)
}

#[inline]
fn small(v: i64) -> I256 {
    I256::unchecked_from(v)
}

/// `x^y` in 18-decimal fixed point (`LogExpMath.pow`): on `i128` words where every step fits
/// ([`super::log_exp_fast`]), else on `I256`; both give the contract's result.
pub fn pow(x: U256, y: U256) -> Result<U256, E> {
    if let (Some(x), Some(y)) = (word(x), word(y))
        && let Some(v) = super::log_exp_fast::pow(x, y)
    {
        return Ok(U256::from(v));
    }
    pow_wide(x, y)
}

/// `x^y` on `I256` only (the reference the fast path is tested against).
pub(super) fn pow_wide(x: U256, y: U256) -> Result<U256, E> {
    if y.is_zero() {
        return Ok(ONE_18.into_raw());
    }
    if x.is_zero() {
        return Ok(U256::ZERO);
    }
    if x.bit(255) {
        return Err(E::XOutOfBounds);
    }
    let x_int = I256::from_raw(x);
    if y >= MILD_EXPONENT_BOUND {
        return Err(E::YOutOfBounds);
    }
    let y_int = I256::from_raw(y);
    let mut logx_times_y = if LN_36_LOWER_BOUND < x_int && x_int < LN_36_UPPER_BOUND {
        let ln_36_x = ln_36(x_int)?;
        mul(div(ln_36_x, ONE_18)?, y_int)
            .wrapping_add(div(mul(ln_36_x.wrapping_rem(ONE_18), y_int), ONE_18)?)
    } else {
        mul(ln(x_int)?, y_int)
    };
    logx_times_y = div(logx_times_y, ONE_18)?;
    if logx_times_y < -MIN_NATURAL_EXPONENT_ABS || logx_times_y > MAX_NATURAL_EXPONENT {
        return Err(E::ProductOutOfBounds);
    }
    Ok(exp(logx_times_y)?.into_raw())
}

/// `e^x` in 18-decimal fixed point (`LogExpMath.exp`).
pub fn exp(mut x: I256) -> Result<I256, E> {
    if x < -MIN_NATURAL_EXPONENT_ABS || x > MAX_NATURAL_EXPONENT {
        return Err(E::InvalidExponent);
    }
    if x.is_negative() {
        return div(mul(ONE_18, ONE_18), exp(-x)?);
    }
    let first_an = if x >= X0 {
        x = x.wrapping_sub(X0);
        A0
    } else if x >= X1 {
        x = x.wrapping_sub(X1);
        A1
    } else {
        small(1)
    };
    x = mul(x, small(100));
    let mut product = ONE_20;
    // x2 ..= x9: the first eight of the 20-decimal steps.
    for &(xn, an) in &STEPS[..8] {
        if x >= xn {
            x = x.wrapping_sub(xn);
            product = div(mul(product, an), ONE_20)?;
        }
    }
    let mut series_sum = ONE_20;
    let mut term = x;
    series_sum = series_sum.wrapping_add(term);
    for n in 2..=12i64 {
        term = div(div(mul(term, x), ONE_20)?, small(n))?;
        series_sum = series_sum.wrapping_add(term);
    }
    div(
        mul(div(mul(product, series_sum), ONE_20)?, first_an),
        small(100),
    )
}

/// Natural log in 18-decimal fixed point (`LogExpMath._ln`).
pub fn ln(mut a: I256) -> Result<I256, E> {
    if !a.is_positive() {
        return Err(E::OutOfBounds);
    }
    if a < ONE_18 {
        return Ok(-ln(div(mul(ONE_18, ONE_18), a)?)?);
    }
    let mut sum = I256::ZERO;
    if a >= mul(A0, ONE_18) {
        a = div(a, A0)?;
        sum = sum.wrapping_add(X0);
    }
    if a >= mul(A1, ONE_18) {
        a = div(a, A1)?;
        sum = sum.wrapping_add(X1);
    }
    sum = mul(sum, small(100));
    a = mul(a, small(100));
    for &(xn, an) in &STEPS {
        if a >= an {
            a = div(mul(a, ONE_20), an)?;
            sum = sum.wrapping_add(xn);
        }
    }
    let z = div(mul(a.wrapping_sub(ONE_20), ONE_20), a.wrapping_add(ONE_20))?;
    let z_squared = div(mul(z, z), ONE_20)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3i64, 5, 7, 9, 11] {
        num = div(mul(num, z_squared), ONE_20)?;
        series_sum = series_sum.wrapping_add(div(num, small(d))?);
    }
    series_sum = mul(series_sum, small(2));
    div(sum.wrapping_add(series_sum), small(100))
}

/// Natural log with 36 decimals, for arguments near 1 (`LogExpMath._ln_36`).
pub(super) fn ln_36(mut x: I256) -> Result<I256, E> {
    x = mul(x, ONE_18);
    let z = div(mul(x.wrapping_sub(ONE_36), ONE_36), x.wrapping_add(ONE_36))?;
    let z_squared = div(mul(z, z), ONE_36)?;
    let mut num = z;
    let mut series_sum = num;
    for d in [3i64, 5, 7, 9, 11, 13, 15] {
        num = div(mul(num, z_squared), ONE_36)?;
        series_sum = series_sum.wrapping_add(div(num, small(d))?);
    }
    Ok(mul(series_sum, small(2)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(v: u128) -> U256 {
        U256::from(v)
    }

    #[test]
    fn constants_are_the_contracts() {
        assert_eq!(
            A0.to_string(),
            "38877084059945950922200000000000000000000000000000000000"
        );
        assert_eq!(
            MILD_EXPONENT_BOUND,
            (U256::from(1u8) << 254) / U256::from(10u128.pow(20))
        );
    }

    #[test]
    fn known_values_within_the_documented_error() {
        let one = 1_000_000_000_000_000_000u128;
        // e^1
        let e = exp(ONE_18).unwrap();
        let e_true = I256::unchecked_from(2_718_281_828_459_045_235i128);
        assert!((e - e_true).abs() < I256::unchecked_from(1_000i64), "{e}");
        // ln(e) ~ 1
        let l = ln(e_true).unwrap();
        assert!((l - ONE_18).abs() < I256::unchecked_from(1_000i64), "{l}");
        // ln of a value below one is negative
        assert!(ln(I256::unchecked_from(500_000_000_000_000_000i128)).unwrap() < I256::ZERO);
        // 2^3 = 8; 1.05^0.5 through ln_36
        let p = pow(fp(2 * one), fp(3 * one)).unwrap();
        assert!(p.abs_diff(fp(8 * one)) < fp(1_000_000), "{p}");
        let r = pow(fp(1_050_000_000_000_000_000), fp(one / 2)).unwrap();
        assert!(r.abs_diff(fp(1_024_695_076_595_959_838)) < fp(1_000), "{r}");
        assert_eq!(pow(fp(5), U256::ZERO).unwrap(), fp(one));
        assert_eq!(pow(U256::ZERO, fp(5)).unwrap(), U256::ZERO);
        assert_eq!(pow(U256::MAX, fp(one)), Err(E::XOutOfBounds));
        assert_eq!(
            exp(I256::unchecked_from(131i128 * one as i128)),
            Err(E::InvalidExponent)
        );
    }

    #[test]
    fn the_fast_paths_table_is_this_one() {
        for (i, &(x, a)) in super::super::log_exp_fast::STEPS.iter().enumerate() {
            assert_eq!((c(x), c(a)), STEPS[i]);
        }
    }

    #[test]
    fn swaps_take_the_fast_path() {
        let one = 1_000_000_000_000_000_000u128;
        for x in [
            one * 77 / 100,
            one * 95 / 100,
            one * 999 / 1000,
            one * 105 / 100,
            one * 14 / 10,
        ] {
            for y in [one / 100, one / 2, one, one * 3 / 2, one * 99] {
                let fast = super::super::log_exp_fast::pow(x, y);
                assert!(fast.is_some(), "{x} {y}");
                assert_eq!(fast.map(U256::from), pow_wide(fp(x), fp(y)).ok());
            }
        }
    }

    /// A base in [lo, hi) of 18-decimal fixed point.
    fn base(lo: u128, hi: u128) -> impl proptest::strategy::Strategy<Value = U256> {
        (lo..hi).prop_map(U256::from)
    }

    use proptest::prelude::Strategy;

    proptest::proptest! {
        /// The `i128` power equals the `I256` one (value or error) for the bases and exponents of
        /// swaps (0.7–1.5, weight ratios 0.01–99) and anywhere else.
        #[test]
        fn the_fast_power_is_the_wide_one(
            x in proptest::prop_oneof![
                base(700_000_000_000_000_000, 1_500_000_000_000_000_000),
                base(899_999_999_999_999_000, 900_000_000_000_001_000),
                base(1_099_999_999_999_999_000, 1_100_000_000_000_001_000),
                base(1, 1_000_000_000_000_000_000_000_000),
                proptest::prelude::any::<u128>().prop_map(U256::from),
            ],
            y in proptest::prop_oneof![
                base(10_000_000_000_000_000, 99_000_000_000_000_000_000),
                base(0, 1_000_000_000_000_000_000_000),
                proptest::prelude::any::<u128>().prop_map(U256::from),
            ],
        ) {
            proptest::prop_assert_eq!(pow(x, y), pow_wide(x, y));
        }
    }

    proptest::proptest! {
        /// The `i128` division is the 256-bit one wherever it is taken (signs, truncation).
        #[test]
        fn narrow_division_equals_the_wide_one(a in proptest::prelude::any::<i128>(), b in proptest::prelude::any::<i128>(), wide in 0u32..3) {
            let a = I256::unchecked_from(a) * I256::unchecked_from(10i64.pow(wide * 9));
            let b = I256::unchecked_from(b);
            if !b.is_zero() {
                proptest::prop_assert_eq!(div(a, b).unwrap(), a.wrapping_div(b));
            }
        }
    }
}
