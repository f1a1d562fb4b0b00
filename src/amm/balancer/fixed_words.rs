//! Balancer's `FixedPoint` on `u128` words (the fast paths of [`super::fixed_point`]): every
//! product above 128 bits kept as a (high, low) pair and divided back into a word, so each result
//! is the contract's; `None` when a value leaves the words or the contract would revert (the
//! caller then takes the `U256` path). Also the Vault's balance checks after a swap.

use super::log_exp_fast;
use super::words::{Divisor, div_var, mul_wide};

/// 1e18.
pub(super) const ONE: u128 = 1_000_000_000_000_000_000;
const D_ONE: Divisor = Divisor::new(ONE);
/// `FixedPoint.MAX_POW_RELATIVE_ERROR`.
const MAX_POW_RELATIVE_ERROR: u128 = 10_000;
/// The Vault keeps balances in 112 bits.
const MAX_BALANCE_EXCLUSIVE: u128 = 1 << 112;

/// `FixedPoint.mulDown`.
#[inline(always)]
pub(super) fn mul_down(a: u128, b: u128) -> Option<u128> {
    let (high, low) = mul_wide(a, b);
    D_ONE.div(high, low)
}

/// `FixedPoint.mulUp`.
#[inline(always)]
pub(super) fn mul_up(a: u128, b: u128) -> Option<u128> {
    let (high, low) = mul_wide(a, b);
    if high == 0 && low == 0 {
        return Some(0);
    }
    let (high, low) = decrement(high, low);
    D_ONE.div(high, low)?.checked_add(1)
}

/// `FixedPoint.divDown`.
#[inline(always)]
pub(super) fn div_down(a: u128, b: u128) -> Option<u128> {
    if b == 0 {
        return None;
    }
    let (high, low) = mul_wide(a, ONE);
    div_var(high, low, b)
}

/// `FixedPoint.divUp`.
#[inline(always)]
pub(super) fn div_up(a: u128, b: u128) -> Option<u128> {
    if b == 0 {
        return None;
    }
    if a == 0 {
        return Some(0);
    }
    let (high, low) = decrement_pair(mul_wide(a, ONE));
    div_var(high, low, b)?.checked_add(1)
}

/// `(high, low) - 1` for a non-zero pair.
#[inline(always)]
fn decrement(high: u128, low: u128) -> (u128, u128) {
    if low == 0 {
        (high - 1, u128::MAX)
    } else {
        (high, low - 1)
    }
}

#[inline(always)]
fn decrement_pair((high, low): (u128, u128)) -> (u128, u128) {
    decrement(high, low)
}

/// `FixedPoint.powUp`: the raw power plus its maximum relative error and 1.
#[inline(always)]
pub(super) fn pow_up(x: u128, y: u128) -> Option<u128> {
    let raw = log_exp_fast::pow(x, y)?;
    let max_error = mul_up(raw, MAX_POW_RELATIVE_ERROR)?.checked_add(1)?;
    raw.checked_add(max_error)
}

/// `10^k` for k = 0..=18 (the tokens' scaling factors) as divisors.
const POW10: [Divisor; 19] = {
    let mut out = [Divisor::new(1); 19];
    let mut k = 1;
    while k < 19 {
        out[k] = Divisor::new(out[k - 1].value() * 10);
        k += 1;
    }
    out
};
/// The `k` of the power of ten with a given bit length (each has its own, up to 10^18).
const POW10_BY_BITS: [u8; 61] = {
    let mut out = [u8::MAX; 61];
    let mut k = 0;
    while k < 19 {
        out[(128 - POW10[k].value().leading_zeros()) as usize] = k as u8;
        k += 1;
    }
    out
};

/// `Math.divDown(v, scale)`: a scaling factor `10^k` by its reciprocal, any other by a
/// division; `None` for zero.
#[inline(always)]
pub(super) fn downscale_down(v: u128, scale: u128) -> Option<u128> {
    let bits = (128 - scale.leading_zeros()) as usize;
    if let Some(&k) = POW10_BY_BITS.get(bits)
        && let Some(d) = POW10.get(usize::from(k))
        && d.value() == scale
    {
        return Some(d.div_word(v));
    }
    v.checked_div(scale)
}

/// The Vault's balance update after a swap: the input added to its raw balance within 112 bits,
/// the output taken from the other's.
#[inline(always)]
pub(super) fn vault_checks(
    balance_in: u128,
    amount_in: u128,
    balance_out: u128,
    amount_out: u128,
) -> Option<()> {
    if balance_in.checked_add(amount_in)? >= MAX_BALANCE_EXCLUSIVE {
        return None;
    }
    balance_out.checked_sub(amount_out).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downscaling_divides() {
        for scale in [
            1u128,
            10,
            1_000_000,
            1_000_000_000_000,
            ONE,
            7,
            3 * ONE,
            ONE * 10,
        ] {
            for v in [0u128, 1, 999_999, ONE * 12_345 + 678, u128::MAX] {
                assert_eq!(downscale_down(v, scale), Some(v / scale), "{v} {scale}");
            }
        }
        assert_eq!(downscale_down(5, 0), None);
    }
}
