//! The JSON reading of Kraken's book channel: a cursor over the message bytes that reads keys,
//! strings and numbers in place (no allocation, no float), skips values it does not need (unknown
//! fields, nested to a bounded depth), and parses `[{"price":…,"qty":…},…]` straight onto the
//! price and size grids.

use crate::cex::book::Level;
use crate::cex::grid::Grid;

use super::book::BookError;

pub(super) fn parse_u32(n: &[u8]) -> Option<u32> {
    if n.is_empty() || n.len() > 10 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in n {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(d - b'0');
    }
    u32::try_from(v).ok()
}

/// `[{"price":…,"qty":…},…]` onto the grids.
pub(super) fn levels(
    c: &mut Cur<'_>,
    price: &Grid,
    size: &Grid,
    out: &mut Vec<Level>,
) -> Result<(), BookError> {
    c.eat(b'[')?;
    if c.peek() == Some(b']') {
        c.i += 1;
        return Ok(());
    }
    loop {
        c.eat(b'{')?;
        let (mut p, mut q) = (None, None);
        loop {
            let key = c.string()?;
            c.eat(b':')?;
            match key {
                b"price" => p = Some(price.parse(c.number()?)?),
                b"qty" => q = Some(size.parse(c.number()?)?),
                _ => c.skip(0)?,
            }
            match c.next()? {
                b',' => continue,
                b'}' => break,
                _ => return Err(BookError::Malformed(c.i)),
            }
        }
        match (p, q) {
            (Some(ticks), Some(lots)) => out.push(Level { ticks, lots }),
            _ => return Err(BookError::Malformed(c.i)),
        }
        match c.next()? {
            b',' => continue,
            b']' => return Ok(()),
            _ => return Err(BookError::Malformed(c.i)),
        }
    }
}

/// Deepest nesting skipped in an unknown value.
const MAX_DEPTH: usize = 32;

/// A cursor over a JSON text (only what the book channel needs).
pub(super) struct Cur<'a> {
    pub(super) b: &'a [u8],
    pub(super) i: usize,
}

impl<'a> Cur<'a> {
    #[inline]
    pub(super) fn peek(&mut self) -> Option<u8> {
        while let Some(&c) = self.b.get(self.i) {
            if !matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(c);
            }
            self.i += 1;
        }
        None
    }

    #[inline]
    pub(super) fn next(&mut self) -> Result<u8, BookError> {
        let c = self.peek().ok_or(BookError::Malformed(self.i))?;
        self.i += 1;
        Ok(c)
    }

    #[inline]
    pub(super) fn eat(&mut self, want: u8) -> Result<(), BookError> {
        if self.peek() == Some(want) {
            self.i += 1;
            Ok(())
        } else {
            Err(BookError::Malformed(self.i))
        }
    }

    /// A string's raw bytes (escapes left as they are).
    #[inline]
    pub(super) fn string(&mut self) -> Result<&'a [u8], BookError> {
        self.eat(b'"')?;
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(&self.b[start..self.i - 1]);
                }
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        Err(BookError::Malformed(start))
    }

    /// A number's bytes.
    #[inline]
    pub(super) fn number(&mut self) -> Result<&'a [u8], BookError> {
        self.peek();
        let start = self.i;
        while let Some(&c) = self.b.get(self.i) {
            if c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E') {
                self.i += 1;
            } else {
                break;
            }
        }
        if self.i == start {
            return Err(BookError::Malformed(start));
        }
        Ok(&self.b[start..self.i])
    }

    /// Skips one value of any type.
    pub(super) fn skip(&mut self, depth: usize) -> Result<(), BookError> {
        if depth > MAX_DEPTH {
            return Err(BookError::TooDeep);
        }
        match self.peek().ok_or(BookError::Malformed(self.i))? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if open == b'{' { b'}' } else { b']' };
                self.i += 1;
                if self.peek() == Some(close) {
                    self.i += 1;
                    return Ok(());
                }
                loop {
                    if open == b'{' {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    self.skip(depth + 1)?;
                    match self.next()? {
                        b',' => continue,
                        c if c == close => return Ok(()),
                        _ => return Err(BookError::Malformed(self.i)),
                    }
                }
            }
            _ => {
                let start = self.i;
                while let Some(&c) = self.b.get(self.i) {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.i += 1;
                }
                if self.i == start {
                    Err(BookError::Malformed(start))
                } else {
                    Ok(())
                }
            }
        }
    }
}
