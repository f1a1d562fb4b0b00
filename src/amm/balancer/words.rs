//! 256-bit products and divisions on `u128` words, for the fast paths of Balancer's math: a
//! product of two `u128` as a (high, low) pair, its quotient by a divisor known in advance (a
//! precomputed reciprocal, Möller & Granlund's `div_2by1` with 128-bit words: no division
//! instruction; a 128-bit dividend by one high product, Granlund & Montgomery's multiplier) or by
//! any `u128` (Knuth's algorithm D on 64-bit digits, each digit one `div`). Each returns
//! `None` when the quotient does not fit 128 bits; the callers then take the `U256` path, whose
//! result is the contract's by construction. Tests check every function against `ruint`.

const LOW: u128 = u64::MAX as u128;

/// `a * b` as (high, low) 128-bit words.
#[inline(always)]
pub(crate) fn mul_wide(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let low = (p00 & LOW) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// The high word of `a * b`.
#[inline(always)]
pub(crate) fn mul_high(a: u128, b: u128) -> u128 {
    mul_wide(a, b).0
}

/// `floor((high * 2^128) / d)` for `high < d`, by restoring division (compile time only).
const fn div_shifted(high: u128, d: u128) -> u128 {
    let mut rem = high;
    let mut quotient = 0u128;
    let mut i = 0;
    while i < 128 {
        let carry = rem >> 127;
        rem <<= 1;
        quotient <<= 1;
        if carry == 1 || rem >= d {
            rem = rem.wrapping_sub(d);
            quotient |= 1;
        }
        i += 1;
    }
    quotient
}

/// A divisor known in advance: normalized (top bit set) with its reciprocal
/// `floor((2^256 - 1) / d) - 2^128` for 256-bit dividends, and Granlund & Montgomery's multiplier
/// for 128-bit ones (1994, figure 4.1: `m = floor(2^128 (2^l - d) / d) + 1`, `l = ceil(log2 d)`),
/// all computed at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Divisor {
    value: u128,
    shift: u32,
    normalized: u128,
    reciprocal: u128,
    magic: u128,
    /// `min(l, 1)` and `l - min(l, 1)`.
    magic_shifts: (u32, u32),
}

impl Divisor {
    /// `d` must be non-zero (a zero divisor fails the constant's evaluation).
    pub(crate) const fn new(d: u128) -> Self {
        assert!(d != 0, "zero divisor");
        let shift = d.leading_zeros();
        let normalized = d << shift;
        // floor((2^256 - 1) / n) - 2^128 by restoring division of the 256-bit all-ones value
        // (its high word 2^128 - 1 - n is already below n, so the quotient has 128 bits).
        let mut rem = u128::MAX - normalized;
        let mut quotient = 0u128;
        let mut i = 0;
        while i < 128 {
            // rem < n; shift in a 1 bit (the next bit of the all-ones dividend).
            let carry = rem >> 127;
            rem = (rem << 1) | 1;
            quotient <<= 1;
            if carry == 1 || rem >= normalized {
                rem = rem.wrapping_sub(normalized);
                quotient |= 1;
            }
            i += 1;
        }
        let (l, excess) = Self::excess(d);
        Self::from_parts(d, quotient, div_shifted(excess, d).wrapping_add(1), l)
    }

    /// [`Self::new`] at run time (a divisor known once per pool state): the reciprocal and the
    /// multiplier each by one long division; `None` for zero.
    pub(crate) fn at_run_time(d: u128) -> Option<Self> {
        if d == 0 {
            return None;
        }
        let normalized = d << d.leading_zeros();
        // floor((2^256 - 1) / n) - 2^128 = floor(((2^128 - 1 - n) 2^128 + 2^128 - 1) / n).
        let reciprocal = div_var(u128::MAX - normalized, u128::MAX, normalized)?;
        let (l, excess) = Self::excess(d);
        let magic = div_var(excess, 0, d)?.wrapping_add(1);
        Some(Self::from_parts(d, reciprocal, magic, l))
    }

    /// `l = ceil(log2 d)` and `2^l - d`, below `d`, so the multiplier fits 128 bits.
    const fn excess(d: u128) -> (u32, u128) {
        let l = if d == 1 {
            0
        } else {
            128 - (d - 1).leading_zeros()
        };
        let excess = if l == 128 {
            d.wrapping_neg()
        } else {
            (1u128 << l) - d
        };
        (l, excess)
    }

    const fn from_parts(d: u128, reciprocal: u128, magic: u128, l: u32) -> Self {
        let shift = d.leading_zeros();
        let sh1 = if l > 0 { 1 } else { 0 };
        Self {
            value: d,
            shift,
            normalized: d << shift,
            reciprocal,
            magic,
            magic_shifts: (sh1, l - sh1),
        }
    }

    /// `n / d` for a 128-bit `n`: one high product, no division instruction.
    #[inline(always)]
    pub(crate) fn div_word(&self, n: u128) -> u128 {
        let t = mul_high(self.magic, n);
        (t + ((n - t) >> self.magic_shifts.0)) >> self.magic_shifts.1
    }

    pub(crate) const fn value(&self) -> u128 {
        self.value
    }

    /// `(high, low) / d` and its remainder, or `None` when the quotient needs more than 128 bits.
    #[inline(always)]
    pub(crate) fn div_rem(&self, high: u128, low: u128) -> Option<(u128, u128)> {
        if high >= self.value {
            return None;
        }
        if high == 0 {
            let q = self.div_word(low);
            return Some((q, low - q.wrapping_mul(self.value)));
        }
        let s = self.shift;
        let (u1, u0) = if s == 0 {
            (high, low)
        } else {
            ((high << s) | (low >> (128 - s)), low << s)
        };
        let d = self.normalized;
        // div_2by1 (Möller & Granlund 2011, algorithm 4); u1 < d because high < value.
        let (p1, p0) = mul_wide(self.reciprocal, u1);
        let (q0, carry) = p0.overflowing_add(u0);
        let mut q1 = p1.wrapping_add(u1).wrapping_add(u128::from(carry));
        q1 = q1.wrapping_add(1);
        let mut r = u0.wrapping_sub(q1.wrapping_mul(d));
        if r > q0 {
            q1 = q1.wrapping_sub(1);
            r = r.wrapping_add(d);
        }
        if r >= d {
            q1 = q1.wrapping_add(1);
            r -= d;
        }
        Some((q1, r >> s))
    }

    /// `(high, low) / d`, or `None` when the quotient needs more than 128 bits.
    #[inline(always)]
    pub(crate) fn div(&self, high: u128, low: u128) -> Option<u128> {
        self.div_rem(high, low).map(|(q, _)| q)
    }
}

/// `(high, low) / d` for any `d`, or `None` when `d` is zero or the quotient needs more than
/// 128 bits (Knuth's algorithm D with 64-bit digits: a one-digit divisor takes two 128-by-64-bit
/// divisions, a two-digit one a normalized estimate per quotient digit, made exact by the
/// divisor's second digit).
#[inline]
pub(crate) fn div_var(high: u128, low: u128, d: u128) -> Option<u128> {
    if high >= d {
        return None;
    }
    if d <= LOW {
        // high < d < 2^64: the dividend's top digit is already below the divisor.
        let d = d as u64;
        let middle = (low >> 64) as u64;
        if high == 0 && middle < d {
            // A one-digit quotient.
            return Some(u128::from(div_2by1(middle, low as u64, d).0));
        }
        let (q1, r) = div_2by1(high as u64, middle, d);
        let (q0, _) = div_2by1(r, low as u64, d);
        return Some((u128::from(q1) << 64) | u128::from(q0));
    }
    let s = d.leading_zeros();
    let v = d << s;
    let un32 = if s == 0 {
        high
    } else {
        (high << s) | (low >> (128 - s))
    };
    let un10 = low << s;
    let un1 = (un10 >> 64) as u64;
    if un32 >> 64 == 0 && ((un32 << 64) | u128::from(un1)) < v {
        // A one-digit quotient: the first digit is zero.
        return Some(u128::from(
            quotient_digit((un32 << 64) | u128::from(un1), un10 as u64, v).0,
        ));
    }
    let (q1, rem) = quotient_digit(un32, un1, v);
    let (q0, _) = quotient_digit(rem, un10 as u64, v);
    Some((u128::from(q1) << 64) | u128::from(q0))
}

/// The quotient digit and remainder of `(u * 2^64 + next) / v`, for a normalized `v` (top bit
/// set) of two digits and `u < v`.
#[inline(always)]
fn quotient_digit(u: u128, next: u64, v: u128) -> (u64, u128) {
    let (u1, u0) = ((u >> 64) as u64, u as u64);
    let (vn1, vn0) = ((v >> 64) as u64, u128::from(v as u64));
    // u < v, so u1 <= vn1; when equal the digit estimate is 2^64 - 1 (Knuth's q̂ = b - 1).
    let (mut q, mut rhat) = if u1 < vn1 {
        let (q, r) = div_2by1(u1, u0, vn1);
        (q, u128::from(r))
    } else {
        (u64::MAX, u128::from(u0) + u128::from(vn1))
    };
    // At most two corrections; with a two-digit divisor the digit is then exact.
    while rhat <= LOW && u128::from(q) * vn0 > (rhat << 64) | u128::from(next) {
        q -= 1;
        rhat += u128::from(vn1);
    }
    let rem = ((u << 64) | u128::from(next)).wrapping_sub(u128::from(q).wrapping_mul(v));
    (q, rem)
}

/// `(high * 2^64 + low) / d` and its remainder, for `high < d` (so the quotient fits 64 bits):
/// one `div` instruction on x86-64. The precondition is checked, not trusted: were a caller ever
/// to break it, the portable division runs (its quotient truncated) instead of a `div` that would
/// fault and kill the process.
#[inline(always)]
pub(crate) fn div_2by1(high: u64, low: u64, d: u64) -> (u64, u64) {
    debug_assert!(high < d);
    #[cfg(target_arch = "x86_64")]
    if high < d {
        let (q, r): (u64, u64);
        // SAFETY: `high < d`, checked just above, so `d` is non-zero and the quotient fits 64
        // bits: `div` cannot fault. It reads and writes registers only.
        unsafe {
            core::arch::asm!(
                "div {d}",
                d = in(reg) d,
                inout("rax") low => q,
                inout("rdx") high => r,
                options(pure, nomem, nostack),
            );
        }
        return (q, r);
    }
    let n = (u128::from(high) << 64) | u128::from(low);
    let d = u128::from(d);
    ((n / d) as u64, (n % d) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;
    use proptest::prelude::*;

    fn wide(high: u128, low: u128) -> U256 {
        (U256::from(high) << 128) | U256::from(low)
    }

    fn expect(high: u128, low: u128, d: u128) -> Option<(u128, u128)> {
        let n = wide(high, low);
        let (q, r) = n.div_rem(U256::from(d));
        (q < (U256::from(1u8) << 128)).then(|| (q.to::<u128>(), r.to::<u128>()))
    }

    /// Numbers with runs of ones and zeros (edge cases of carries and corrections) as well as
    /// uniform ones.
    fn word() -> impl Strategy<Value = u128> {
        prop_oneof![
            any::<u128>(),
            (0u32..128).prop_map(|k| u128::MAX >> k),
            (0u32..128).prop_map(|k| 1u128 << k),
            (any::<u128>(), 0u32..128).prop_map(|(v, k)| v >> k),
        ]
    }

    #[test]
    fn known_values() {
        let ten18 = Divisor::new(1_000_000_000_000_000_000);
        assert_eq!(ten18.div(0, 3_000_000_000_000_000_001), Some(3));
        assert_eq!(ten18.div(ten18.value(), 0), None);
        let (h, l) = mul_wide(u128::MAX, u128::MAX);
        assert_eq!(wide(h, l), U256::from(u128::MAX) * U256::from(u128::MAX));
        assert_eq!(div_var(h, l, u128::MAX), Some(u128::MAX));
        assert_eq!(div_var(0, 5, 0), None);
        let one = Divisor::new(1);
        assert_eq!(one.div(0, 77), Some(77));
        assert_eq!(one.div(1, 0), None);
    }

    proptest! {
        #[test]
        fn the_wide_product_is_ruints(a in word(), b in word()) {
            let (h, l) = mul_wide(a, b);
            prop_assert_eq!(wide(h, l), U256::from(a) * U256::from(b));
        }

        #[test]
        fn the_word_division_is_the_machines(n in word(), d in word()) {
            prop_assume!(d != 0);
            let div = Divisor::new(d);
            prop_assert_eq!(div.div_word(n), n / d);
            prop_assert_eq!(div.div_rem(0, n), Some((n / d, n % d)));
            prop_assert_eq!(div.div_word(u128::MAX), u128::MAX / d);
            prop_assert_eq!(div.div_word(d), 1);
            prop_assert_eq!(div.div_word(d - 1), 0);
        }

        #[test]
        fn both_divisions_are_ruints(high in word(), low in word(), d in word()) {
            prop_assume!(d != 0);
            let want = expect(high, low, d);
            prop_assert_eq!(Divisor::new(d).div_rem(high, low), want);
            prop_assert_eq!(div_var(high, low, d), want.map(|w| w.0));
            // A high word below d (the case the callers meet).
            let high = high % d;
            let want = expect(high, low, d);
            prop_assert!(want.is_some());
            prop_assert_eq!(Divisor::new(d).div_rem(high, low), want);
            prop_assert_eq!(div_var(high, low, d), want.map(|w| w.0));
        }

        #[test]
        fn a_run_time_divisor_is_the_compile_time_one(d in word()) {
            prop_assume!(d != 0);
            prop_assert_eq!(Divisor::at_run_time(d), Some(Divisor::new(d)));
        }

        #[test]
        fn the_two_by_one_division_is_the_machines(high in any::<u64>(), low in any::<u64>(), d in any::<u64>()) {
            prop_assume!(d != 0);
            let high = high % d;
            let n = (u128::from(high) << 64) | u128::from(low);
            let (q, r) = div_2by1(high, low, d);
            prop_assert_eq!((u128::from(q), u128::from(r)), (n / u128::from(d), n % u128::from(d)));
        }
    }
}
