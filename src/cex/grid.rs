//! Price and size grids: decimal strings parsed straight to integer ticks or lots (multiples of a
//! tick or step size), and integers turned back into decimals. This is the order book's number
//! format: levels are keyed by integer ticks, never by float or `Decimal`.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Why a decimal string does not fit a grid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GridError {
    #[error("{0:?} is not a plain non-negative decimal number")]
    Malformed(String),
    #[error("{value:?} is not a multiple of {step}")]
    OffGrid { value: String, step: Decimal },
    #[error("{0:?} is too large for the grid")]
    Overflow(String),
    #[error("grid step {0} must be positive with at most 18 decimals")]
    BadStep(Decimal),
}

/// A grid of multiples of `step`: values are stored as `n` where `value = n × step`.
///
/// Internally a value is first read as a fixed-point integer with `scale` decimals; `unit` is the
/// step in that fixed point (`step = unit / 10^scale`). With `unit == 1` (a power-of-ten step,
/// the usual case) no division is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    step: Decimal,
    scale: u32,
    unit: u64,
}

pub(crate) const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

impl Grid {
    /// The grid of multiples of `step` (e.g. a tick size of `0.01` or a step size of `0.00001`).
    pub fn new(step: Decimal) -> Result<Self, GridError> {
        let s = step.normalize();
        if s <= Decimal::ZERO || s.scale() > 18 {
            return Err(GridError::BadStep(step));
        }
        let unit = u64::try_from(s.mantissa()).map_err(|_| GridError::BadStep(step))?;
        Ok(Self {
            step: s,
            scale: s.scale(),
            unit,
        })
    }

    pub fn step(&self) -> Decimal {
        self.step
    }

    /// Number of decimals a value on this grid can need.
    pub fn decimals(&self) -> u32 {
        self.scale
    }

    /// Parses an ASCII decimal (`"60000.01"`, `"0.00824000"`, `"5"`) into a grid count.
    /// Rejects signs, exponents, empty parts and values off the grid.
    #[inline]
    pub fn parse(&self, s: &[u8]) -> Result<u64, GridError> {
        let mut value: u64 = 0;
        let mut i = 0;
        let mut int_digits = 0usize;
        while i < s.len() {
            let c = s[i];
            if c.is_ascii_digit() {
                if int_digits >= 19 {
                    return Err(GridError::Overflow(lossy(s)));
                }
                value = value * 10 + u64::from(c - b'0');
                int_digits += 1;
                i += 1;
            } else {
                break;
            }
        }
        if int_digits == 0 {
            return Err(GridError::Malformed(lossy(s)));
        }
        let mut frac = 0u32;
        let mut nonzero_beyond = false;
        if i < s.len() {
            if s[i] != b'.' {
                return Err(GridError::Malformed(lossy(s)));
            }
            i += 1;
            let start = i;
            while i < s.len() {
                let c = s[i];
                if !c.is_ascii_digit() {
                    return Err(GridError::Malformed(lossy(s)));
                }
                if frac < self.scale {
                    value = value
                        .checked_mul(10)
                        .and_then(|v| v.checked_add(u64::from(c - b'0')))
                        .ok_or_else(|| GridError::Overflow(lossy(s)))?;
                    frac += 1;
                } else if c != b'0' {
                    nonzero_beyond = true;
                }
                i += 1;
            }
            if i == start {
                return Err(GridError::Malformed(lossy(s)));
            }
        }
        if nonzero_beyond {
            return Err(GridError::OffGrid {
                value: lossy(s),
                step: self.step,
            });
        }
        if frac < self.scale {
            value = value
                .checked_mul(POW10[(self.scale - frac) as usize])
                .ok_or_else(|| GridError::Overflow(lossy(s)))?;
        }
        if self.unit == 1 {
            return Ok(value);
        }
        if !value.is_multiple_of(self.unit) {
            return Err(GridError::OffGrid {
                value: lossy(s),
                step: self.step,
            });
        }
        Ok(value / self.unit)
    }

    /// The hot-path variant of [`Grid::parse`] for a value that ends with a closing quote: reads
    /// `buf[start..]` up to the `"` and returns the grid count and the position after the quote.
    /// `None` for anything unusual (a sign, an exponent, too many digits, off the grid, no closing
    /// quote); the caller then runs [`Grid::parse`] on the string for the exact error.
    ///
    /// Where 8 bytes can be loaded, the integer and the fraction digits are each read 8 at a time
    /// ([`digits8`]): no digit-by-digit multiply chain. Anything longer or shorter than that
    /// layout goes through the byte-at-a-time reader ([`Grid::parse_quoted_scalar`]), which gives
    /// the same answer.
    #[inline(always)]
    pub fn parse_quoted(&self, buf: &[u8], start: usize) -> Option<(u64, usize)> {
        self.parse_ended(buf, start, b'"')
    }

    /// [`Grid::parse_quoted`] for a value ended by the byte `end` instead of a quote: a bare JSON
    /// number followed by `,`, `}` or `]` (Kraken's `{"price":45283.5,"qty":0.1}`). Returns the
    /// grid count and the position after `end`; `None` for anything unusual, as
    /// [`Grid::parse_quoted`] (the caller then runs [`Grid::parse`] for the exact error).
    #[inline(always)]
    pub fn parse_ended(&self, buf: &[u8], start: usize, end: u8) -> Option<(u64, usize)> {
        match self.parse_words(buf, start, end) {
            Some(r) => Some(r),
            None => self.parse_scalar(buf, start, end),
        }
    }

    /// [`Grid::parse_ended`] for up to 8 integer digits and up to 8 fraction digits read a word
    /// at a time; `None` when the layout is anything else (the scalar reader then decides).
    #[inline(always)]
    fn parse_words(&self, buf: &[u8], start: usize, end_byte: u8) -> Option<(u64, usize)> {
        let scale = self.scale as usize;
        let word = load8(buf, start)?;
        let n_int = leading_digits(word);
        // at most 19 significant digits in all: below 10^19 < 2^64, so nothing below overflows
        if n_int == 0 || n_int + scale > 19 {
            return None;
        }
        let mut end = start + n_int;
        match *buf.get(end)? {
            b if b == end_byte => {
                let v = value_of_first(word.wrapping_sub(ZEROS), n_int) * POW10[scale];
                Some((self.on_unit(v)?, end + 1))
            }
            b'.' => {
                let frac_word = load8(buf, end + 1)?;
                let n_frac = leading_digits(frac_word);
                end += 1 + n_frac;
                if n_frac == 0 || *buf.get(end)? != end_byte {
                    return None;
                }
                Some((
                    self.fraction_value(word, n_int, frac_word, n_frac)?,
                    end + 1,
                ))
            }
            _ => None,
        }
    }

    /// [`Grid::parse_quoted`] for a value expected in a known [`Shape`] (`<digits>.<digits>`):
    /// the digit counts are checked, not searched for, so where the value ends is known before
    /// its bytes are read (a parser can go on to the next value without waiting for this one).
    /// `None` if the value at `start` does not have this shape or is off the grid; when it
    /// answers, the answer is the one of [`Grid::parse_quoted`]. The byte after the value
    /// (`start + shape.len()`) is not checked: the caller checks it is the closing quote.
    #[inline(always)]
    pub(crate) fn parse_shaped(&self, buf: &[u8], start: usize, shape: Shape) -> Option<u64> {
        let (n_int, n_frac) = (shape.int as usize, shape.frac as usize);
        let word = load8(buf, start)?;
        let dot = start + n_int;
        let frac_word = load8(buf, dot + 1)?;
        if leading_digits(word) != n_int
            || *buf.get(dot)? != b'.'
            || leading_digits(frac_word) != n_frac
        {
            return None;
        }
        self.fraction_value(word, n_int, frac_word, n_frac)
    }

    /// The grid count of `<n_int digits>.<n_frac digits>` (both 1..=8) from the word holding
    /// the integer digits and the word holding the fraction digits, each first.
    #[inline(always)]
    fn fraction_value(
        &self,
        word: u64,
        n_int: usize,
        frac_word: u64,
        n_frac: usize,
    ) -> Option<u64> {
        let scale = self.scale as usize;
        // at most 19 significant digits in all: below 10^19 < 2^64, so nothing below overflows
        if n_int == 0 || n_int + scale > 19 {
            return None;
        }
        let digits = word.wrapping_sub(ZEROS);
        // digits beyond the grid's decimals must be zeros
        let keep = n_frac.min(scale);
        let frac = frac_word.wrapping_sub(ZEROS);
        if bytes_between(frac, keep, n_frac) != 0 {
            return None;
        }
        let mantissa = if keep == 0 {
            value_of_first(digits, n_int)
        } else if n_int + keep <= 8 {
            // the integer digits and the kept fraction digits side by side in one word
            // (n_int < 8 here): one conversion instead of two
            let int_digits = digits & ((1u64 << (8 * n_int)) - 1);
            value_of_first(int_digits | (frac << (8 * n_int)), n_int + keep)
        } else {
            value_of_first(digits, n_int) * POW10[keep] + value_of_first(frac, keep)
        };
        self.on_unit(mantissa * POW10[scale - keep])
    }

    /// A fixed-point value (`scale` decimals) as a count of `unit`s, if it is a multiple.
    #[inline(always)]
    fn on_unit(&self, v: u64) -> Option<u64> {
        if self.unit == 1 {
            return Some(v);
        }
        if !v.is_multiple_of(self.unit) {
            return None;
        }
        Some(v / self.unit)
    }

    /// The byte-at-a-time reader behind [`Grid::parse_quoted`]: any digit counts.
    #[inline]
    pub fn parse_quoted_scalar(&self, buf: &[u8], start: usize) -> Option<(u64, usize)> {
        self.parse_scalar(buf, start, b'"')
    }

    /// The byte-at-a-time reader behind [`Grid::parse_ended`]: any digit counts.
    #[inline]
    fn parse_scalar(&self, buf: &[u8], start: usize, end: u8) -> Option<(u64, usize)> {
        let mut i = start;
        let mut v: u64 = 0;
        // integer part: at most 18 digits, so that v * 10^scale cannot overflow (checked below)
        loop {
            let d = buf.get(i)?.wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + u64::from(d);
            i += 1;
            if i - start > 18 {
                return None;
            }
        }
        let int_digits = i - start;
        // at most 19 significant digits: v stays below 10^19 < 2^64
        if int_digits == 0 || int_digits as u32 + self.scale > 19 {
            return None;
        }
        let mut frac = 0u32;
        if buf.get(i) == Some(&b'.') {
            i += 1;
            let frac_start = i;
            loop {
                let d = buf.get(i)?.wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                if frac < self.scale {
                    v = v * 10 + u64::from(d);
                    frac += 1;
                } else if d != 0 {
                    return None;
                }
                i += 1;
            }
            if i == frac_start {
                return None;
            }
        }
        if *buf.get(i)? != end {
            return None;
        }
        v = v.checked_mul(POW10[(self.scale - frac) as usize])?;
        if self.unit != 1 {
            if !v.is_multiple_of(self.unit) {
                return None;
            }
            v /= self.unit;
        }
        Some((v, i + 1))
    }

    /// A decimal onto the grid; `None` if it is off the grid or negative.
    pub fn from_decimal(&self, d: Decimal) -> Option<u64> {
        if d.is_sign_negative() {
            return None;
        }
        let n = d / self.step;
        if !n.fract().is_zero() {
            return None;
        }
        n.to_u64()
    }

    /// The decimal value of a grid count.
    pub fn to_decimal(&self, n: u64) -> Decimal {
        Decimal::from_i128_with_scale(i128::from(n) * i128::from(self.unit), self.scale)
    }
}

/// The layout of a decimal value: `int` digits, a point, `frac` digits (both 1..=8), e.g.
/// `59999.49` is 5 and 2. The values of one side of a Binance depth message almost always share
/// one shape (fixed decimals per symbol), which lets the parser know where a value ends in advance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Shape {
    pub int: u8,
    pub frac: u8,
}

impl Shape {
    /// The shape of `value` (its bytes without quotes), if it is `<1-8 digits>.<1-8 digits>`
    /// (the digits themselves are not checked here).
    pub(crate) fn of(value: &[u8]) -> Option<Self> {
        let dot = value.iter().position(|&b| b == b'.')?;
        let frac = value.len() - dot - 1;
        ((1..=8).contains(&dot) && (1..=8).contains(&frac)).then_some(Self {
            int: dot as u8,
            frac: frac as u8,
        })
    }

    /// Length in bytes.
    #[inline(always)]
    pub(crate) fn len(self) -> usize {
        self.int as usize + 1 + self.frac as usize
    }
}

/// A [`Shape`] on a [`Grid`] compiled into masks and shifts, so that a value known to be in this
/// shape is checked and converted without searching, counting or branching on its digits
/// ([`ShapePlan::read`]). Made by [`Grid::plan`]; only for shapes whose integer digits leave
/// room for the point in the first word (`int <= 7`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShapePlan {
    /// Where the word of the fraction digits starts, from the value's start.
    frac_at: usize,
    /// The flag bits ([`non_digit_flags`]) of the integer digits in the first word.
    int_flags: u64,
    /// The byte of the point in the first word.
    dot_mask: u64,
    /// The flag bits of the fraction digits in the fraction word.
    frac_flags: u64,
    /// The fraction digits beyond the grid's decimals (they must be zeros).
    beyond: u64,
    /// The integer digits in the first word.
    int_low: u64,
    /// Integer and kept fraction digits fit one word: they are joined and converted once.
    one_word: bool,
    /// One word: the kept fraction digits go after the integer digits (`8 * int`).
    frac_shift: u32,
    /// Left shifts that move the digits to convert to the top of the word.
    shift_all: u32,
    shift_int: u32,
    shift_frac: u32,
    /// 10^(kept fraction digits), to join two conversions.
    pow_keep: u64,
    /// 10^(grid decimals - kept fraction digits).
    mul: u64,
    /// The grid's unit (1 for a power-of-ten step: no division).
    unit: u64,
}

impl Grid {
    /// The plan that reads values of `shape` on this grid, if the shape has one (see
    /// [`ShapePlan`]; other shapes are read by [`Grid::parse_shaped`]).
    pub(crate) fn plan(&self, shape: Shape) -> Option<ShapePlan> {
        let (n_int, n_frac, scale) = (u32::from(shape.int), u32::from(shape.frac), self.scale);
        // the point in the first word; at most 19 significant digits (below 2^64)
        if !(1..=7).contains(&n_int) || !(1..=8).contains(&n_frac) || n_int + scale > 19 {
            return None;
        }
        let keep = n_frac.min(scale);
        // bytes `from..to` (0 <= from <= to <= 8) of a word, all ones
        let below = |n: u32| 1u64.checked_shl(8 * n).map_or(u64::MAX, |b| b - 1);
        let bytes = |from: u32, to: u32| below(to) & !below(from);
        let one_word = n_int + keep <= 8;
        Some(ShapePlan {
            frac_at: n_int as usize + 1,
            int_flags: bytes(0, n_int) & FLAG_BITS,
            dot_mask: bytes(n_int, n_int + 1),
            frac_flags: bytes(0, n_frac) & FLAG_BITS,
            beyond: bytes(keep, n_frac),
            int_low: bytes(0, n_int),
            one_word,
            frac_shift: 8 * n_int,
            shift_all: if one_word { 64 - 8 * (n_int + keep) } else { 0 },
            shift_int: 64 - 8 * n_int,
            shift_frac: if keep == 0 { 0 } else { 64 - 8 * keep },
            pow_keep: POW10[keep as usize],
            mul: POW10[(scale - keep) as usize],
            unit: self.unit,
        })
    }
}

/// The shape of the last value a reader read of one kind (a feed writes its prices, and its
/// sizes, in one shape), planned on its grid: [`Grid::parse_ended_guessed`] reads a value of that
/// shape without searching where it ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ShapeGuess {
    len: usize,
    plan: ShapePlan,
}

impl Grid {
    /// [`Grid::parse_ended`] through `guess`: a value of the guessed shape followed by `end` is
    /// read by its plan; any other by [`Grid::parse_ended`], whose shape becomes the guess (or
    /// none, for a value without a plan). The answer is [`Grid::parse_ended`]'s either way.
    #[inline(always)]
    pub(crate) fn parse_ended_guessed(
        &self,
        buf: &[u8],
        start: usize,
        end: u8,
        guess: &mut Option<ShapeGuess>,
    ) -> Option<(u64, usize)> {
        if let Some(g) = *guess {
            let at = start + g.len;
            if buf.get(at) == Some(&end)
                && let Some((0, v)) = g.plan.read(buf, start)
            {
                return Some((v, at + 1));
            }
        }
        let (v, next) = self.parse_ended(buf, start, end)?;
        *guess = buf
            .get(start..next - 1)
            .and_then(Shape::of)
            .and_then(|shape| {
                Some(ShapeGuess {
                    len: shape.len(),
                    plan: self.plan(shape)?,
                })
            });
        Some((v, next))
    }
}

impl ShapePlan {
    /// Bytes [`ShapePlan::read`] loads from the value's start (its words reach past the value).
    pub(crate) fn span(&self) -> usize {
        self.frac_at + 8
    }

    /// Reads a value of the plan's shape at `at` of `win`: `(bad, value)`, where `bad` is 0 if
    /// the bytes are digits and the point where the shape has them and the digits beyond the
    /// grid are zeros, and the value is a multiple of the grid's unit; then `value` is the grid
    /// count ([`Grid::parse_shaped`]'s answer). The byte after the value is not checked. `None`
    /// if `win` is too short.
    #[inline(always)]
    pub(crate) fn read(&self, win: &[u8], at: usize) -> Option<(u64, u64)> {
        let word = load8(win, at)?;
        let frac_word = load8(win, at + self.frac_at)?;
        let digits = word.wrapping_sub(ZEROS);
        let frac = frac_word.wrapping_sub(ZEROS);
        let mut bad = (non_digit_flags(word) & self.int_flags)
            | ((word ^ DOTS) & self.dot_mask)
            | (non_digit_flags(frac_word) & self.frac_flags)
            | (frac & self.beyond);
        let mantissa = if self.one_word {
            value_of_top(((digits & self.int_low) | (frac << self.frac_shift)) << self.shift_all)
        } else {
            value_of_top(digits << self.shift_int)
                .wrapping_mul(self.pow_keep)
                .wrapping_add(value_of_top(frac << self.shift_frac))
        };
        let mut value = mantissa.wrapping_mul(self.mul);
        if self.unit != 1 {
            bad |= value % self.unit;
            value /= self.unit;
        }
        Some((bad, value))
    }
}

/// `b'.'` in every byte.
const DOTS: u64 = 0x2e2e_2e2e_2e2e_2e2e;
/// The top bit of every byte.
const FLAG_BITS: u64 = 0x8080_8080_8080_8080;

/// `b'0'` in every byte.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// 8 bytes from `buf[at..]` as a little-endian word (first byte lowest), if there are 8.
#[inline(always)]
pub(crate) fn load8(buf: &[u8], at: usize) -> Option<u64> {
    let b: [u8; 8] = buf.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// How many of the word's bytes, from the first, are ASCII digits (0..=8).
#[inline(always)]
fn leading_digits(word: u64) -> usize {
    (non_digit_flags(word).trailing_zeros() / 8) as usize
}

/// The top bit of a byte set where the byte is not an ASCII digit, up to and including the first
/// such byte (bytes after it may be flagged wrongly).
///
/// A byte's top bit is set in `word - '0'` if it is below '0', in `word + 0x46` if above '9'
/// (and in one of them for any byte >= 0x80). Borrows and carries only move towards later
/// bytes, and digits create none, so the first flagged byte is the first non-digit.
#[inline(always)]
fn non_digit_flags(word: u64) -> u64 {
    (word.wrapping_sub(ZEROS) | word.wrapping_add(0x4646_4646_4646_4646)) & FLAG_BITS
}

/// The number written by the word's leading digits: (how many, value).
#[inline(always)]
pub(crate) fn digits8(word: u64) -> (usize, u64) {
    let n = leading_digits(word);
    (n, value_of_first(word.wrapping_sub(ZEROS), n))
}

/// The value of the first `n` (0..=8) digit values (bytes 0..=9) of `digits`, first most
/// significant.
#[inline(always)]
fn value_of_first(digits: u64, n: usize) -> u64 {
    if n == 0 {
        return 0;
    }
    // the n digits moved to the top bytes: the bytes below become leading zeros
    value_of_top(digits << (64 - 8 * n as u32))
}

/// The value of the 8 digit values (bytes 0..=9) of `d`, the last byte most significant.
#[inline(always)]
fn value_of_top(d: u64) -> u64 {
    // pairs: byte 2k holds 10 * d(2k) + d(2k+1)
    let d = d.wrapping_mul(10).wrapping_add(d >> 8);
    // the four pairs into one number (two multiplies put them at their decimal weights)
    let even = (d & 0x0000_00ff_0000_00ff).wrapping_mul(100 + (1_000_000 << 32));
    let odd = ((d >> 16) & 0x0000_00ff_0000_00ff).wrapping_mul(1 + (10_000 << 32));
    even.wrapping_add(odd) >> 32
}

/// Bytes `from..to` (0 <= from <= to <= 8) of `word`, the rest cleared.
#[inline(always)]
fn bytes_between(word: u64, from: usize, to: usize) -> u64 {
    let high = if to >= 8 {
        word
    } else {
        word & ((1u64 << (8 * to)) - 1)
    };
    high.checked_shr(8 * from as u32).unwrap_or(0)
}

fn lossy(s: &[u8]) -> String {
    String::from_utf8_lossy(&s[..s.len().min(40)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn power_of_ten_steps() {
        let g = Grid::new(dec!(0.01)).unwrap();
        assert_eq!(g.parse(b"60000.01").unwrap(), 6_000_001);
        assert_eq!(g.parse(b"60000.01000000").unwrap(), 6_000_001);
        assert_eq!(g.parse(b"60000").unwrap(), 6_000_000);
        assert_eq!(g.parse(b"60000.1").unwrap(), 6_000_010);
        assert_eq!(g.parse(b"0.00").unwrap(), 0);
        assert!(matches!(
            g.parse(b"60000.001"),
            Err(GridError::OffGrid { .. })
        ));
        assert_eq!(g.to_decimal(6_000_001), dec!(60000.01));
        assert_eq!(g.from_decimal(dec!(60000.01)), Some(6_000_001));
        assert_eq!(g.from_decimal(dec!(60000.015)), None);
    }

    #[test]
    fn other_steps() {
        let g = Grid::new(dec!(0.05)).unwrap();
        assert_eq!(g.parse(b"1.05").unwrap(), 21);
        assert!(g.parse(b"1.01").is_err());
        let g = Grid::new(dec!(10)).unwrap();
        assert_eq!(g.parse(b"120").unwrap(), 12);
        assert!(g.parse(b"125").is_err());
        assert_eq!(g.to_decimal(12), dec!(120));
        let lots = Grid::new(dec!(0.00001)).unwrap();
        assert_eq!(lots.parse(b"0.00824000").unwrap(), 824);
        assert!(lots.parse(b"0.00824001").is_err());
        assert!(Grid::new(dec!(0)).is_err());
        assert!(Grid::new(dec!(-1)).is_err());
    }

    #[test]
    fn quoted_fast_path_agrees_with_parse() {
        for step in [dec!(0.01), dec!(0.00001), dec!(0.05), dec!(10), dec!(1)] {
            let g = Grid::new(step).unwrap();
            for s in [
                "60000.01",
                "0.00824000",
                "5",
                "1.05",
                "120",
                "0.0",
                "1.",
                ".5",
                "1e5",
                "-1",
                "1.001",
                "99999999999999999999",
                "0.00824001",
                "",
            ] {
                // also with a long tail, so that the 8-byte loads happen
                for tail in ["\"", "\",\"0.5\"]]]}"] {
                    let quoted = format!("{s}{tail}");
                    let fast = g.parse_quoted(quoted.as_bytes(), 0);
                    let slow = g.parse(s.as_bytes()).ok();
                    assert_eq!(fast.map(|(v, _)| v), slow, "{s}{tail} on {step}");
                    if let Some((_, end)) = fast {
                        assert_eq!(end, s.len() + 1);
                    }
                }
            }
        }
        let g = Grid::new(dec!(0.01)).unwrap();
        assert_eq!(g.parse_quoted(b"1.5\",", 0), Some((150, 4)));
        assert_eq!(g.parse_quoted(b"1.5", 0), None, "no closing quote");
        assert_eq!(g.parse_ended(b"1.5,\"qty\"", 0, b','), Some((150, 4)));
        assert_eq!(
            g.parse_ended(b"60000.01}],\"asks\"", 0, b'}'),
            Some((6_000_001, 9))
        );
        assert_eq!(g.parse_ended(b"1.5}", 0, b','), None, "another end");
    }

    proptest::proptest! {
        /// The 8-byte path and the scalar path agree on any decimal-looking string.
        #[test]
        fn fast_and_exact_paths_agree(
            int in "[0-9]{0,12}",
            frac in proptest::option::of("[0-9]{0,12}"),
            step in proptest::sample::select(vec![dec!(0.01), dec!(0.00001), dec!(0.05), dec!(1), dec!(0.00000001)]),
        ) {
            let g = Grid::new(step).unwrap();
            let s = match &frac { Some(f) => format!("{int}.{f}"), None => int.clone() };
            let quoted = format!("{s}\",\"123.456\"]");
            let fast = g.parse_quoted(quoted.as_bytes(), 0).map(|(v, _)| v);
            let exact = g.parse(s.as_bytes()).ok();
            if fast.is_some() || s.len() <= 10 {
                // the fast path may decline huge numbers (the exact path then decides), never
                // answer differently
                proptest::prop_assert_eq!(fast, exact, "{}", s);
            }
        }
    }

    proptest::proptest! {
        /// The word-at-a-time reader never answers differently from the byte-at-a-time one, on
        /// any bytes (digits, dots, quotes, other characters, any length, any position).
        #[test]
        fn word_and_scalar_readers_agree(
            bytes in proptest::collection::vec(proptest::sample::select(b"0123456789000000.\"x,}-\xff".to_vec()), 0..40),
            start in 0usize..4,
            step in proptest::sample::select(vec![dec!(0.01), dec!(0.00001), dec!(0.05), dec!(1), dec!(0.00000001), dec!(100), dec!(0.000000000001)]),
            end in proptest::sample::select(b"\",}".to_vec()),
        ) {
            let g = Grid::new(step).unwrap();
            let words = g.parse_words(&bytes, start, end);
            let scalar = g.parse_scalar(&bytes, start, end);
            if words.is_some() {
                proptest::prop_assert_eq!(words, scalar);
            }
            proptest::prop_assert_eq!(g.parse_ended(&bytes, start, end), scalar);
            if end == b'"' {
                proptest::prop_assert_eq!(g.parse_quoted(&bytes, start), scalar);
                proptest::prop_assert_eq!(g.parse_quoted_scalar(&bytes, start), scalar);
            }
            // an answer is the exact parser's on the bytes before `end`
            if let Some((v, after)) = scalar {
                proptest::prop_assert_eq!(bytes[after - 1], end);
                proptest::prop_assert_eq!(g.parse(&bytes[start..after - 1]).ok(), Some(v));
            }
        }

        /// A compiled shape plan answers exactly as `parse_shaped` does (which the tests above
        /// tie to the exact parser): on values of the shape with digits on and off the grid, and
        /// with any byte of them replaced; where `parse_shaped` declines, the plan flags it.
        #[test]
        fn shape_plans_read_like_parse_shaped(
            int in 1u8..=8,
            frac in 1u8..=8,
            digits in proptest::collection::vec(proptest::sample::select(b"0123456789000000".to_vec()), 16),
            edit in proptest::option::of((0usize..17, proptest::sample::select(b"0123456789.\"x-/:\x00\xff".to_vec()))),
            step in proptest::sample::select(vec![dec!(0.01), dec!(0.00001), dec!(0.05), dec!(1), dec!(0.00000001), dec!(100), dec!(25), dec!(0.000000000001)]),
        ) {
            let g = Grid::new(step).unwrap();
            let shape = Shape { int, frac };
            let (i, f) = (int as usize, frac as usize);
            let mut bytes = digits[..i].to_vec();
            bytes.push(b'.');
            bytes.extend_from_slice(&digits[8..8 + f]);
            bytes.extend_from_slice(b"\"]xxxxxxxxxxxxxxxxx");
            if let Some((at, b)) = edit {
                bytes[at.min(shape.len() - 1)] = b;
            }
            let want = g.parse_shaped(&bytes, 0, shape);
            match g.plan(shape) {
                Some(plan) => {
                    let (bad, value) = plan.read(&bytes, 0).unwrap();
                    match want {
                        Some(v) => {
                            proptest::prop_assert_eq!(bad, 0);
                            proptest::prop_assert_eq!(value, v);
                        }
                        None => proptest::prop_assert_ne!(bad, 0),
                    }
                }
                // only shapes with 8 integer digits or too many digits for the grid have none
                None => proptest::prop_assert!(int == 8 || u32::from(int) + g.scale > 19),
            }
        }

        /// Every digit count from 0 to 8 at the start of a word, followed by any byte.
        #[test]
        fn eight_digit_words(n in 0usize..=8, value in 0u64..100_000_000, after in proptest::sample::select(b"\".,x/:\x00\xff".to_vec())) {
            let digits = format!("{value:08}");
            let mut bytes = digits.as_bytes()[8 - n..].to_vec();
            bytes.push(after);
            bytes.resize(8, b'z');
            let (count, v) = digits8(load8(&bytes, 0).unwrap());
            proptest::prop_assert_eq!(count, n);
            let want = if n == 0 { 0 } else { digits[8 - n..].parse::<u64>().unwrap() };
            proptest::prop_assert_eq!(v, want);
        }
    }

    #[test]
    fn malformed() {
        let g = Grid::new(dec!(0.01)).unwrap();
        for bad in [
            &b""[..],
            b".5",
            b"1.",
            b"-1",
            b"+1",
            b"1e5",
            b"1.2.3",
            b"abc",
            b"1 ",
            b"99999999999999999999",
        ] {
            assert!(g.parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(
            g.parse(b"999999999999999999.99"),
            Err(GridError::Overflow(_))
        ));
    }
}
