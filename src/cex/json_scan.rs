//! A small borrowed JSON scanner for the hot path: walks raw websocket bytes without allocating,
//! so a connector can read the few fields of a high-rate message (a depth diff) directly. It accepts
//! standard JSON (any field order, whitespace, unknown fields skipped) and rejects malformed input
//! with an error that says where. Beside it, the pieces of a connector's fixed-layout reader
//! (the exact bytes a venue sends, read without a scanner): [`literal`], [`plain_string_end`],
//! [`canonical_int`]; each answers `None` where the layout differs, for the scanner to decide.

/// Malformed input, with the byte offset where the scanner gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed JSON at byte {at}: {what}")]
pub struct ScanError {
    pub at: usize,
    pub what: &'static str,
}

/// A cursor over JSON bytes.
pub struct Scanner<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Scanner<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Byte offset of the next unread byte.
    #[inline(always)]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Moves the cursor (after the caller read bytes itself).
    #[inline(always)]
    pub fn set_position(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// The whole input.
    #[inline(always)]
    pub fn input(&self) -> &'a [u8] {
        self.buf
    }

    pub fn error(&self, what: &'static str) -> ScanError {
        ScanError { at: self.pos, what }
    }

    #[inline(always)]
    pub fn skip_ws(&mut self) {
        while let Some(&c) = self.buf.get(self.pos) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next non-blank byte, not consumed.
    #[inline(always)]
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.buf.get(self.pos).copied()
    }

    #[inline(always)]
    pub fn expect(&mut self, c: u8, what: &'static str) -> Result<(), ScanError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// After a value inside an object or array: `true` if a `,` follows, `false` at `close`.
    #[inline(always)]
    pub fn next_or_close(&mut self, close: u8) -> Result<bool, ScanError> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(c) if c == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.error("expected ',' or a closing bracket")),
        }
    }

    /// A string's raw bytes between the quotes. Strings with escapes are returned raw (escapes not
    /// decoded); callers that need exact text treat a backslash as an error.
    #[inline]
    pub fn string(&mut self) -> Result<&'a [u8], ScanError> {
        self.expect(b'"', "expected a string")?;
        let start = self.pos;
        while let Some(&c) = self.buf.get(self.pos) {
            match c {
                b'"' => {
                    let s = &self.buf[start..self.pos];
                    self.pos += 1;
                    return Ok(s);
                }
                b'\\' => self.pos += 2,
                0..=0x1f => return Err(self.error("control character in a string")),
                _ => self.pos += 1,
            }
        }
        Err(self.error("unterminated string"))
    }

    /// A non-negative integer.
    #[inline]
    pub fn u64(&mut self) -> Result<u64, ScanError> {
        self.skip_ws();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(&c) = self.buf.get(self.pos) {
            if !c.is_ascii_digit() {
                break;
            }
            v = v
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(c - b'0')))
                .ok_or_else(|| self.error("integer overflow"))?;
            self.pos += 1;
        }
        if self.pos == start {
            return Err(self.error("expected an unsigned integer"));
        }
        Ok(v)
    }

    /// Skips any value (object, array, string, number, literal), checking its shape.
    pub fn skip_value(&mut self) -> Result<(), ScanError> {
        self.skip_value_depth(0)
    }

    fn skip_value_depth(&mut self, depth: u32) -> Result<(), ScanError> {
        if depth > 64 {
            return Err(self.error("nesting too deep"));
        }
        match self.peek() {
            Some(b'"') => self.string().map(|_| ()),
            Some(b'{') => {
                self.pos += 1;
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.string()?;
                    self.expect(b':', "expected ':'")?;
                    self.skip_value_depth(depth + 1)?;
                    if !self.next_or_close(b'}')? {
                        return Ok(());
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(());
                }
                loop {
                    self.skip_value_depth(depth + 1)?;
                    if !self.next_or_close(b']')? {
                        return Ok(());
                    }
                }
            }
            Some(b't') => self.literal(b"true"),
            Some(b'f') => self.literal(b"false"),
            Some(b'n') => self.literal(b"null"),
            Some(c) if c == b'-' || c.is_ascii_digit() => {
                let start = self.pos;
                while let Some(&c) = self.buf.get(self.pos) {
                    if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                if self.pos == start {
                    Err(self.error("expected a number"))
                } else {
                    Ok(())
                }
            }
            _ => Err(self.error("expected a value")),
        }
    }

    fn literal(&mut self, lit: &'static [u8]) -> Result<(), ScanError> {
        if self.buf[self.pos..].starts_with(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(self.error("bad literal"))
        }
    }

    /// Requires that only whitespace is left.
    pub fn finish(&mut self) -> Result<(), ScanError> {
        if self.peek().is_some() {
            return Err(self.error("trailing characters"));
        }
        Ok(())
    }
}

/// The top-level `"e"` (event type) of a JSON object, if it has one, found without parsing the
/// rest: lets a stream dispatch a message to the right parser. Also looks inside a combined-stream
/// or WS-API envelope (`{"stream":…,"data":{…}}`, `{"subscriptionId":…,"event":{…}}`).
pub fn event_type(buf: &[u8]) -> Result<Option<&[u8]>, ScanError> {
    let mut s = Scanner::new(buf);
    s.expect(b'{', "expected an object")?;
    if s.peek() == Some(b'}') {
        return Ok(None);
    }
    loop {
        let key = s.string()?;
        s.expect(b':', "expected ':'")?;
        match key {
            b"e" => {
                let v = s.string()?;
                return Ok(Some(v));
            }
            b"data" | b"event" if s.peek() == Some(b'{') => {
                let start = s.pos;
                s.skip_value()?;
                if let Some(v) = event_type(&buf[start..s.pos])? {
                    return Ok(Some(v));
                }
            }
            _ => s.skip_value()?,
        }
        if !s.next_or_close(b'}')? {
            return Ok(None);
        }
    }
}

/// The position after `lit` if `buf` has it at `i`.
#[inline(always)]
pub fn literal(buf: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    let end = i.checked_add(lit.len())?;
    (buf.get(i..end)? == lit).then_some(end)
}

/// Whether `buf` holds `want` at `at`. A `want` of 8 to 32 bytes (a timestamp a feed repeats, of
/// a length known only at run time) is compared as two overlapping 8- or 16-byte words from each
/// end, without a call to `memcmp`; other lengths compare as slices.
#[inline(always)]
pub fn same_bytes_at(buf: &[u8], at: usize, want: &[u8]) -> bool {
    let Some(got) = at.checked_add(want.len()).and_then(|end| buf.get(at..end)) else {
        return false;
    };
    let n = want.len();
    #[inline(always)]
    fn w8(b: &[u8], i: usize) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[i..i + 8]);
        u64::from_le_bytes(a)
    }
    #[inline(always)]
    fn w16(b: &[u8], i: usize) -> u128 {
        let mut a = [0u8; 16];
        a.copy_from_slice(&b[i..i + 16]);
        u128::from_le_bytes(a)
    }
    match n {
        8..=16 => w8(got, 0) == w8(want, 0) && w8(got, n - 8) == w8(want, n - 8),
        17..=32 => w16(got, 0) == w16(want, 0) && w16(got, n - 16) == w16(want, n - 16),
        _ => got == want,
    }
}

/// The position of the quote that closes a string whose content starts at `at`, if the string
/// has no escape and no control character (`None` at a backslash, a byte below 0x20, or without
/// a closing quote). Eight bytes are looked at a time (a flag per byte that is a quote, a
/// backslash or below 0x20; the first flag is exact), the last few one at a time.
#[inline(always)]
pub fn plain_string_end(buf: &[u8], at: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // the top bit of each byte of `x` that is below `n` (n <= 0x80): exact up to the first one
    #[inline(always)]
    fn below(x: u64, n: u8) -> u64 {
        x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH
    }
    let mut i = at;
    while let Some(word) = crate::cex::grid::load8(buf, i) {
        let flags = below(word ^ (ONES * u64::from(b'"')), 1)
            | below(word ^ (ONES * u64::from(b'\\')), 1)
            | below(word, 0x20);
        if flags != 0 {
            let end = i + (flags.trailing_zeros() / 8) as usize;
            return (buf[end] == b'"').then_some(end);
        }
        i += 8;
    }
    let rest = buf.get(i..)?;
    let end = rest
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
    (rest[end] == b'"').then_some(i + end)
}

/// An integer written the canonical JSON way at `i` — an optional `-`, then `0` or 1 to 18
/// digits without a leading zero — and the position after it.
#[inline(always)]
pub fn canonical_int(buf: &[u8], i: usize) -> Option<(i64, usize)> {
    let neg = buf.get(i) == Some(&b'-');
    let start = i + usize::from(neg);
    let mut v: i64 = 0;
    let mut j = start;
    while let Some(d) = buf.get(j).map(|c| c.wrapping_sub(b'0')).filter(|d| *d <= 9) {
        if j - start == 18 {
            return None;
        }
        v = v * 10 + i64::from(d);
        j += 1;
    }
    let n = j - start;
    if n == 0 || (n > 1 && buf[start] == b'0') {
        return None;
    }
    Some((if neg { -v } else { v }, j))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_at_equals_a_slice_compare_for_every_length_and_place() {
        let buf: Vec<u8> = (0u8..80).map(|b| b.wrapping_mul(37)).collect();
        for n in 0..40 {
            for at in 0..buf.len() {
                let mut want = buf[at..(at + n).min(buf.len())].to_vec();
                want.resize(n, 0);
                let exact = buf.get(at..at + n) == Some(&want[..]);
                assert_eq!(same_bytes_at(&buf, at, &want), exact, "n {n} at {at}");
                for flip in 0..n {
                    let mut w = want.clone();
                    w[flip] ^= 1;
                    assert!(!same_bytes_at(&buf, at, &w), "n {n} at {at} byte {flip}");
                }
            }
        }
        assert!(!same_bytes_at(&buf, usize::MAX, b"12345678"));
    }

    #[test]
    fn fixed_layout_pieces() {
        assert_eq!(literal(b"{\"a\":1}", 0, b"{\"a\":"), Some(5));
        assert_eq!(literal(b"{\"a\"", 0, b"{\"a\":"), None);
        assert_eq!(literal(b"x", usize::MAX, b"x"), None);
        assert_eq!(plain_string_end(b"\"BTC-USDT\"}", 1), Some(9));
        assert_eq!(plain_string_end(b"\"BTC\\\"X\"}", 1), None);
        assert_eq!(plain_string_end(b"\"BTC", 1), None);
        assert_eq!(plain_string_end(b"\"BT\nC\"}", 1), None);
        for (text, want) in [
            ("0,", Some((0, 1))),
            ("-1}", Some((-1, 2))),
            ("123456789012345678,", Some((123_456_789_012_345_678, 18))),
            ("-855196043,", Some((-855_196_043, 10))),
            ("1234567890123456789", None),
            ("01", None),
            ("-", None),
            ("", None),
            ("+1", None),
            ("x", None),
        ] {
            assert_eq!(canonical_int(text.as_bytes(), 0), want, "{text}");
        }
    }

    proptest::proptest! {
        /// The word-at-a-time search finds what a byte-at-a-time one finds, from any start, on
        /// strings of the bytes that matter to it (and their neighbours).
        #[test]
        fn plain_string_end_as_byte_by_byte(
            bytes in proptest::collection::vec(proptest::sample::select(
                b"\"\\\x00\x1f\x20\x21\x7f\x80\x9f\xa0\xdf\xffa0".to_vec()), 0..40),
            plain in 0usize..30,
            at in 0usize..8,
        ) {
            // a run of plain bytes first, so that the first special byte falls in any lane
            let mut buf = vec![b'x'; plain];
            buf.extend(bytes);
            let want = buf.get(at..).and_then(|rest| {
                let end = rest.iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20)?;
                (rest[end] == b'"').then_some(at + end)
            });
            proptest::prop_assert_eq!(plain_string_end(&buf, at), want);
        }
    }

    #[test]
    fn skips_any_value() {
        let doc = br#" {"a": [1, -2.5e3, "x\"y", {"b": null}, true, false], "c": {}} "#;
        let mut s = Scanner::new(doc);
        s.skip_value().unwrap();
        s.finish().unwrap();
        for bad in [
            &br#"{"a" 1}"#[..],
            br#"[1,]"#,
            br#"{"a":tru}"#,
            br#""abc"#,
            b"{",
            b"",
        ] {
            let mut s = Scanner::new(bad);
            assert!(
                s.skip_value().and_then(|_| s.finish()).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn finds_event_types() {
        assert_eq!(
            event_type(br#"{"E":1,"e":"depthUpdate"}"#).unwrap(),
            Some(&b"depthUpdate"[..])
        );
        assert_eq!(
            event_type(br#"{"subscriptionId":0,"event":{"e":"executionReport"}}"#).unwrap(),
            Some(&b"executionReport"[..])
        );
        assert_eq!(event_type(br#"{"result":null,"id":1}"#).unwrap(), None);
        assert!(event_type(b"<html>").is_err());
    }
}
