//! The text Kraken's book checksum hashes, built as bytes: each level's price and quantity as
//! the integer of their digits at full precision (the decimal point and leading zeros removed),
//! written into one stack buffer eight digits at a time, with no formatting and no allocation.

use crate::cex::book::Level;

use super::book::CHECKSUM_LEVELS;

/// Digits of a `u128` at most.
const MAX_DIGITS: usize = 39;

/// The text of 10 levels a side of the longest numbers.
const CAPACITY: usize = 4 * CHECKSUM_LEVELS * MAX_DIGITS;

/// The 8 ASCII digits of `v` (below 10^8, with leading zeros), the first digit in the low byte:
/// the two halves, their hundreds and their tens split in parallel lanes of one word (each
/// division by a constant is a multiply and a shift that is exact over the lane's range).
#[inline(always)]
fn eight_digits(v: u32) -> u64 {
    // lanes of 32 bits: [abcd, efgh]
    let x = u64::from(v / 10_000) | (u64::from(v % 10_000) << 32);
    // /100 per lane (exact below 10^4): [ab, ef]; the rest: [cd, gh]
    let hundreds = ((x * 10_486) >> 20) & 0x0000_007F_0000_007F;
    let x = hundreds | ((x - hundreds * 100) << 16);
    // lanes of 16 bits: [ab, cd, ef, gh]; /10 per lane (exact below 100): [a, c, e, g]
    let tens = ((x * 103) >> 10) & 0x000F_000F_000F_000F;
    let x = tens | ((x - tens * 10) << 8);
    x | 0x3030_3030_3030_3030
}

/// The checksum's text: price and quantity of up to 10 levels a side.
pub(super) struct ChecksumText {
    /// The text, and room for one word stored past its end.
    buf: [u8; CAPACITY + 8],
    len: usize,
}

impl ChecksumText {
    pub(super) fn new() -> Self {
        Self {
            buf: [0; CAPACITY + 8],
            len: 0,
        }
    }

    /// The text so far.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// One level's price and quantity (`ticks × price_mult`, `lots × size_mult`).
    #[inline]
    pub(super) fn level(&mut self, l: Level, price_mult: u64, size_mult: u64) {
        self.push(l.ticks, price_mult);
        self.push(l.lots, size_mult);
    }

    /// Appends the digits of `n × mult` (no leading zeros; `0` for zero). Past the buffer's
    /// capacity (more levels than the checksum covers) nothing is written. Both factors are
    /// `u64`, so the product always fits a `u128`: no scale can overflow it.
    #[inline]
    pub(super) fn push(&mut self, n: u64, mult: u64) {
        match n.checked_mul(mult) {
            Some(v) => self.push_u64(v),
            None => self.push_u128(u128::from(n) * u128::from(mult)),
        }
    }

    #[inline]
    fn push_u64(&mut self, v: u64) {
        const E8: u64 = 100_000_000;
        if v < E8 {
            self.push_short(v as u32);
        } else if v < E8 * E8 {
            self.push_short((v / E8) as u32);
            self.push_word(eight_digits((v % E8) as u32), 8);
        } else {
            self.push_u128(u128::from(v));
        }
    }

    /// The digits of `v` (below 10^8) without leading zeros.
    #[inline(always)]
    fn push_short(&mut self, v: u32) {
        let digits = v.checked_ilog10().map_or(1, |l| l as usize + 1);
        // the leading zeros are the low bytes of the word
        self.push_word(eight_digits(v) >> (8 * (8 - digits)), digits);
    }

    /// Appends the first `digits` bytes of `word` (8 ASCII digits, the first in the low byte).
    /// The whole word is stored and the length moved by `digits`; past the capacity nothing is
    /// written.
    #[inline(always)]
    fn push_word(&mut self, word: u64, digits: usize) {
        if self.len + digits > CAPACITY {
            return;
        }
        if let Some(out) = self.buf.get_mut(self.len..self.len + 8) {
            out.copy_from_slice(&word.to_le_bytes());
            self.len += digits;
        }
    }

    #[cold]
    fn push_u128(&mut self, mut v: u128) {
        let mut tmp = [0u8; MAX_DIGITS];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        let digits = &tmp[i..];
        if self.len + digits.len() > CAPACITY {
            return;
        }
        if let Some(out) = self.buf.get_mut(self.len..self.len + digits.len()) {
            out.copy_from_slice(digits);
            self.len += digits.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_as_decimal_formatting_writes_them() {
        let mut t = ChecksumText::new();
        let mut want = String::new();
        let values: [(u64, u64); 9] = [
            (0, 1),
            (7, 1),
            (10, 1),
            (452_835, 1),
            (99, 100),
            (u64::MAX, 1),
            (u64::MAX, 10),
            (u64::MAX, u64::MAX),
            (1_234_567_890_123, 1_000_000),
        ];
        for (n, mult) in values {
            t.push(n, mult);
            want.push_str(&(u128::from(n) * u128::from(mult)).to_string());
        }
        assert_eq!(std::str::from_utf8(t.bytes()).unwrap(), want);
    }

    #[test]
    fn every_digit_count_and_its_edges() {
        let mut values: Vec<u64> = (0..1000).collect();
        for p in 1..20 {
            let e = 10u64.pow(p);
            values.extend([e - 1, e, e + 1, e / 2 * 3, e / 7 * 6]);
        }
        // a fixed pseudo-random walk over the whole range
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..100_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            values.push(x >> (x % 64));
        }
        for v in values {
            let mut t = ChecksumText::new();
            t.push(v, 1);
            assert_eq!(std::str::from_utf8(t.bytes()).unwrap(), v.to_string());
        }
    }

    #[test]
    fn a_full_buffer_takes_no_more() {
        let mut t = ChecksumText::new();
        for _ in 0..200 {
            t.push(u64::MAX, u64::MAX);
        }
        assert_eq!(t.bytes().len(), CAPACITY);
        let mut t = ChecksumText::new();
        for _ in 0..2000 {
            t.push(99_999_999, 1);
        }
        assert!(t.bytes().len() <= CAPACITY);
    }
}
