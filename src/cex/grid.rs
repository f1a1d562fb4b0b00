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

const POW10: [u64; 20] = {
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
    /// `buf[start..]` up to the `"` in one pass and returns the grid count and the position after
    /// the quote. `None` for anything unusual (a sign, an exponent, too many digits, off the grid,
    /// no closing quote); the caller then runs [`Grid::parse`] on the string for the exact error.
    #[inline(always)]
    pub fn parse_quoted(&self, buf: &[u8], start: usize) -> Option<(u64, usize)> {
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
        if *buf.get(i)? != b'"' {
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
