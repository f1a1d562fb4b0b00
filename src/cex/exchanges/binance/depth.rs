//! Binance spot depth: the `<symbol>@depth@100ms` diff and the REST snapshot parsed from raw bytes
//! straight into integer ticks and lots (no `serde_json::Value`, no `Decimal`, no allocation once
//! the buffers are warm), and the documented update-id rules that keep a local book in sync:
//!
//! 1. buffer diffs while the snapshot (`GET /api/v3/depth`) is fetched;
//! 2. if the snapshot's `lastUpdateId` is older than the first buffered `U`, fetch it again;
//! 3. drop diffs with `u <= lastUpdateId`; the first applied has `U <= lastUpdateId + 1 <= u`;
//! 4. then each diff must continue where the last ended (`U == previous u + 1`): an older diff
//!    (`u <= local`) is ignored, a later one (`U > local + 1`) is a gap and forces a resync;
//! 5. a quantity of 0 removes the level.
//!
//! A hostile or broken feed cannot grow memory without limit: a message holds at most
//! [`MAX_LEVELS_PER_MESSAGE`] levels per side, a book side at most [`MAX_BOOK_LEVELS_PER_SIDE`]
//! levels in at most [`MAX_BOOK_CHUNKS_PER_SIDE`] ladder chunks (beyond, the book is dropped and
//! resynced from a snapshot), and the diffs buffered while a snapshot is fetched are bounded in
//! count and in levels. Update ids are checked, never wrapped.

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

mod layout;

/// Levels one side of one message (a diff or a snapshot) may hold: Binance's largest snapshot
/// (`limit=5000`). A longer side is [`DepthError::TooManyLevels`].
pub const MAX_LEVELS_PER_MESSAGE: usize = 5_000;

/// Levels one side of a live book may hold: five times the 1,000-level snapshot the live book
/// starts from (diffs add levels beyond the snapshot's depth). Beyond it the book is dropped and
/// resynced ([`DiffOutcome::TooLarge`]).
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 5_000;

/// Ladder chunks (1,024 ticks, 8 KiB each) one side of a live book may use: 16 MiB. Levels
/// scattered far apart (one chunk each) hit this before [`MAX_BOOK_LEVELS_PER_SIDE`].
pub const MAX_BOOK_CHUNKS_PER_SIDE: usize = 2_048;

/// Diffs kept while a snapshot is fetched (the oldest is dropped beyond it).
pub const MAX_BUFFERED_DIFFS: usize = 10_000;

/// Levels, over all buffered diffs, kept while a snapshot is fetched (oldest diffs dropped beyond).
pub const MAX_BUFFERED_LEVELS: usize = 200_000;

/// Why a depth message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("depth message is missing field {0}")]
    Missing(&'static str),
    #[error("not a depth update (event type {0:?})")]
    NotDepth(String),
    #[error("depth update for {got} on the {want} book")]
    WrongSymbol { want: String, got: String },
    #[error("depth update has U {first} > u {last}")]
    BadRange { first: u64, last: u64 },
    #[error("depth message has more than {max} levels on one side")]
    TooManyLevels { max: usize },
    #[error("the {side} side of the book holds {levels} levels in {chunks} chunks, over the limit")]
    BookTooLarge {
        side: &'static str,
        levels: usize,
        chunks: usize,
    },
    #[error("update id {0} cannot be followed (no next id)")]
    UpdateIdOverflow(u64),
}

/// A parsed diff; its levels are in the parser's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffHeader {
    pub first_update_id: u64,
    pub final_update_id: u64,
    pub event_time: u64,
    /// `pu`, the previous event's `u`, where the event has one (USDⓈ-M futures; spot has none).
    pub prev_final_update_id: Option<u64>,
}

/// Parses depth messages into reusable level buffers.
#[derive(Debug, Clone)]
pub struct DepthParser {
    price: Grid,
    size: Grid,
    symbol: String,
    /// `,"s":"<symbol>","U":` for the fast path.
    symbol_key: Vec<u8>,
    /// Shapes of the bid and ask levels last read by the fast path (where they end).
    shapes: [layout::LevelShape; 2],
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

impl DepthParser {
    /// A parser for one symbol (`BTCUSDT`) on its price and size grids.
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            price,
            size,
            symbol: symbol.to_string(),
            symbol_key: layout::symbol_key(symbol),
            shapes: [None; 2],
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    fn levels(&self, s: &mut Scanner<'_>, out: &mut Vec<Level>) -> Result<(), DepthError> {
        out.clear();
        s.expect(b'[', "expected a list of levels")?;
        if s.peek() == Some(b']') {
            s.expect(b']', "")?;
            return Ok(());
        }
        loop {
            let level = match self.level_fast(s) {
                Some(l) => l,
                None => self.level_checked(s)?,
            };
            if out.len() >= MAX_LEVELS_PER_MESSAGE {
                return Err(DepthError::TooManyLevels {
                    max: MAX_LEVELS_PER_MESSAGE,
                });
            }
            out.push(level);
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// `["price","qty"]` exactly as Binance writes it (no blanks), read in one pass; `None` (cursor
    /// unmoved) for anything else.
    #[inline(always)]
    fn level_fast(&self, s: &mut Scanner<'_>) -> Option<Level> {
        let buf = s.input();
        let i = s.position();
        if buf.get(i..i + 2)? != b"[\"" {
            return None;
        }
        let (ticks, i) = self.price.parse_quoted(buf, i + 2)?;
        if buf.get(i..i + 2)? != b",\"" {
            return None;
        }
        let (lots, i) = self.size.parse_quoted(buf, i + 2)?;
        if *buf.get(i)? != b']' {
            return None;
        }
        s.set_position(i + 1);
        Some(Level { ticks, lots })
    }

    /// Any level the fast path refused: full JSON rules and a precise error.
    fn level_checked(&self, s: &mut Scanner<'_>) -> Result<Level, DepthError> {
        s.expect(b'[', "expected a [price, qty] level")?;
        let p = s.string()?;
        s.expect(b',', "expected ',' in a level")?;
        let q = s.string()?;
        s.expect(b']', "expected ']' after a level")?;
        Ok(Level {
            ticks: self.price.parse(p)?,
            lots: self.size.parse(q)?,
        })
    }

    /// Parses one diff event (`{"e":"depthUpdate","E":…,"s":…,"U":…,"u":…,"b":[…],"a":[…]}`, any
    /// field order; also inside a combined-stream `{"stream":…,"data":{…}}` envelope).
    ///
    /// A message in Binance's exact byte layout takes the fast path (`layout`); any other, and any
    /// the fast path declines, goes through the general parser, which accepts the same messages
    /// with the same result and gives the precise error for the rest.
    #[inline]
    pub fn parse_diff(&mut self, buf: &[u8]) -> Result<DiffHeader, DepthError> {
        if let Some(h) = layout::parse_diff(
            &self.price,
            &self.size,
            &self.symbol_key,
            buf,
            &mut self.bids,
            &mut self.asks,
            &mut self.shapes,
        ) {
            return Ok(h);
        }
        self.parse_diff_general(buf)
    }

    /// The general parser alone (any field order, blanks, envelope; exact errors).
    fn parse_diff_general(&mut self, buf: &[u8]) -> Result<DiffHeader, DepthError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = self.parse_diff_into(buf, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_diff_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<DiffHeader, DepthError> {
        let mut s = Scanner::new(buf);
        let (mut first, mut last, mut prev, mut time) = (None, None, None, 0);
        let (mut has_b, mut has_a, mut has_e) = (false, false, false);
        s.expect(b'{', "expected an object")?;
        if s.peek() != Some(b'}') {
            loop {
                let key = s.string()?;
                s.expect(b':', "expected ':'")?;
                match key {
                    b"e" => {
                        let e = s.string()?;
                        if e != b"depthUpdate" {
                            return Err(DepthError::NotDepth(
                                String::from_utf8_lossy(e).into_owned(),
                            ));
                        }
                        has_e = true;
                    }
                    b"E" => time = s.u64()?,
                    b"s" => {
                        let sym = s.string()?;
                        if sym != self.symbol.as_bytes() {
                            return Err(DepthError::WrongSymbol {
                                want: self.symbol.clone(),
                                got: String::from_utf8_lossy(sym).into_owned(),
                            });
                        }
                    }
                    b"U" => first = Some(s.u64()?),
                    b"u" => last = Some(s.u64()?),
                    b"pu" => prev = Some(s.u64()?),
                    b"b" => {
                        self.levels(&mut s, bids)?;
                        has_b = true;
                    }
                    b"a" => {
                        self.levels(&mut s, asks)?;
                        has_a = true;
                    }
                    b"data" if s.peek() == Some(b'{') => {
                        // combined-stream envelope: the event is the `data` object
                        let start = s_pos(&s);
                        s.skip_value()?;
                        let end = s_pos(&s);
                        return self.parse_diff_into(&buf[start..end], bids, asks);
                    }
                    _ => s.skip_value()?,
                }
                if !s.next_or_close(b'}')? {
                    break;
                }
            }
        } else {
            s.expect(b'}', "")?;
        }
        s.finish()?;
        if !has_e {
            return Err(DepthError::Missing("e"));
        }
        let first = first.ok_or(DepthError::Missing("U"))?;
        let last = last.ok_or(DepthError::Missing("u"))?;
        if !has_b {
            return Err(DepthError::Missing("b"));
        }
        if !has_a {
            return Err(DepthError::Missing("a"));
        }
        if first > last {
            return Err(DepthError::BadRange { first, last });
        }
        Ok(DiffHeader {
            first_update_id: first,
            final_update_id: last,
            event_time: time,
            prev_final_update_id: prev,
        })
    }

    /// Parses a REST snapshot (`{"lastUpdateId":…,"bids":[…],"asks":[…]}`) into the buffers and
    /// returns its `lastUpdateId`.
    pub fn parse_snapshot(&mut self, buf: &[u8]) -> Result<u64, DepthError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = self.parse_snapshot_into(buf, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_snapshot_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<u64, DepthError> {
        let mut s = Scanner::new(buf);
        let mut id = None;
        let (mut has_b, mut has_a) = (false, false);
        s.expect(b'{', "expected an object")?;
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"lastUpdateId" => id = Some(s.u64()?),
                b"bids" => {
                    self.levels(&mut s, bids)?;
                    has_b = true;
                }
                b"asks" => {
                    self.levels(&mut s, asks)?;
                    has_a = true;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        if !has_b {
            return Err(DepthError::Missing("bids"));
        }
        if !has_a {
            return Err(DepthError::Missing("asks"));
        }
        id.ok_or(DepthError::Missing("lastUpdateId"))
    }
}

fn s_pos(s: &Scanner<'_>) -> usize {
    s.position()
}

/// What happened to one diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiffOutcome {
    /// Applied to the book.
    Applied,
    /// Older than the book (`u <= local`): a duplicate or a late message, ignored.
    Stale,
    /// No snapshot yet: kept until one arrives.
    Buffered,
    /// A diff is missing between the book and this one: the book is unusable until resynced.
    Gap { expected: u64, got: u64 },
    /// Applying it took a book side over [`MAX_BOOK_LEVELS_PER_SIDE`] levels or
    /// [`MAX_BOOK_CHUNKS_PER_SIDE`] chunks: the book was dropped and must be resynced.
    TooLarge {
        side: &'static str,
        levels: usize,
        chunks: usize,
    },
}

/// What applying a snapshot found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    /// The book is live at this update id (buffered diffs applied).
    Synced { last_update_id: u64 },
    /// The snapshot is older than the buffered diffs: fetch a newer one.
    TooOld {
        last_update_id: u64,
        first_buffered: u64,
    },
    /// The buffered diffs do not connect to the snapshot: start over.
    Gap { expected: u64, got: u64 },
}

#[derive(Debug, Clone)]
struct BufferedDiff {
    header: DiffHeader,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// A Binance book kept in sync: the parser, the book, and the update-id state.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub parser: DepthParser,
    pub book: OrderBook,
    /// `Some(id)` once synced: the `u` of the last applied diff (or the snapshot's id).
    last_update_id: Option<u64>,
    buffer: std::collections::VecDeque<BufferedDiff>,
    /// Levels in `buffer`, all diffs together.
    buffered_levels: usize,
}

impl SyncedBook {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            parser: DepthParser::new(symbol, price, size),
            book: OrderBook::new(price, size),
            last_update_id: None,
            buffer: std::collections::VecDeque::new(),
            buffered_levels: 0,
        }
    }

    pub fn is_synced(&self) -> bool {
        self.last_update_id.is_some()
    }

    pub fn last_update_id(&self) -> Option<u64> {
        self.last_update_id
    }

    /// Forgets the book and starts buffering diffs for a new snapshot.
    pub fn reset(&mut self) {
        self.last_update_id = None;
        self.buffer.clear();
        self.buffered_levels = 0;
        self.book.clear();
    }

    /// One websocket frame: raw bytes → parser → book. This is the hot path.
    #[inline]
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<DiffOutcome, DepthError> {
        let h = self.parser.parse_diff(frame)?;
        Ok(self.on_parsed(h))
    }

    /// Applies the diff currently in the parser's buffers.
    #[inline]
    pub fn on_parsed(&mut self, h: DiffHeader) -> DiffOutcome {
        let bids = std::mem::take(&mut self.parser.bids);
        let asks = std::mem::take(&mut self.parser.asks);
        let out = self.on_levels(h, &bids, &asks);
        self.parser.bids = bids;
        self.parser.asks = asks;
        out
    }

    /// Applies a diff given as a header and its levels (already parsed).
    #[inline]
    pub fn on_levels(&mut self, h: DiffHeader, bids: &[Level], asks: &[Level]) -> DiffOutcome {
        let Some(local) = self.last_update_id else {
            self.buffer_diff(h, bids, asks);
            return DiffOutcome::Buffered;
        };
        if h.final_update_id <= local {
            return DiffOutcome::Stale;
        }
        // `local < final_update_id`, so `local + 1` exists
        let expected = local.saturating_add(1);
        if h.first_update_id > expected {
            self.reset();
            return DiffOutcome::Gap {
                expected,
                got: h.first_update_id,
            };
        }
        if let Err(DepthError::BookTooLarge {
            side,
            levels,
            chunks,
        }) = apply(&mut self.book, bids, asks)
        {
            self.reset();
            return DiffOutcome::TooLarge {
                side,
                levels,
                chunks,
            };
        }
        self.last_update_id = Some(h.final_update_id);
        DiffOutcome::Applied
    }

    /// Keeps a diff until the snapshot arrives, dropping the oldest beyond the buffer's bounds.
    fn buffer_diff(&mut self, h: DiffHeader, bids: &[Level], asks: &[Level]) {
        let n = bids.len() + asks.len();
        while !self.buffer.is_empty()
            && (self.buffer.len() >= MAX_BUFFERED_DIFFS
                || self.buffered_levels + n > MAX_BUFFERED_LEVELS)
        {
            if let Some(old) = self.buffer.pop_front() {
                self.buffered_levels -= old.bids.len() + old.asks.len();
            }
        }
        self.buffered_levels += n;
        self.buffer.push_back(BufferedDiff {
            header: h,
            bids: bids.to_vec(),
            asks: asks.to_vec(),
        });
    }

    /// Applies a REST snapshot (raw bytes) and then the buffered diffs that follow it.
    pub fn on_snapshot(&mut self, body: &[u8]) -> Result<SnapshotOutcome, DepthError> {
        let id = self.parser.parse_snapshot(body)?;
        let next = id.checked_add(1).ok_or(DepthError::UpdateIdOverflow(id))?;
        if let Some(first) = self.buffer.front()
            && next < first.header.first_update_id
        {
            return Ok(SnapshotOutcome::TooOld {
                last_update_id: id,
                first_buffered: first.header.first_update_id,
            });
        }
        self.book.clear();
        let mut local = id;
        let applied = apply(&mut self.book, &self.parser.bids, &self.parser.asks);
        if let Err(e) = applied {
            self.reset();
            return Err(e);
        }
        self.buffered_levels = 0;
        for d in std::mem::take(&mut self.buffer) {
            if d.header.final_update_id <= local {
                continue;
            }
            // `local < final_update_id`, so `local + 1` exists
            let expected = local.saturating_add(1);
            if d.header.first_update_id > expected {
                self.reset();
                return Ok(SnapshotOutcome::Gap {
                    expected,
                    got: d.header.first_update_id,
                });
            }
            if let Err(e) = apply(&mut self.book, &d.bids, &d.asks) {
                self.reset();
                return Err(e);
            }
            local = d.header.final_update_id;
        }
        self.last_update_id = Some(local);
        Ok(SnapshotOutcome::Synced {
            last_update_id: local,
        })
    }
}

/// Bids first, then asks, as Binance sends them; a zero size removes the level. A side left over
/// [`MAX_BOOK_LEVELS_PER_SIDE`] levels or [`MAX_BOOK_CHUNKS_PER_SIDE`] chunks is
/// [`DepthError::BookTooLarge`] (the caller drops the book).
#[inline]
fn apply(book: &mut OrderBook, bids: &[Level], asks: &[Level]) -> Result<(), DepthError> {
    book.bids.set_all(bids);
    book.asks.set_all(asks);
    let over = |levels: usize, chunks: usize| {
        levels > MAX_BOOK_LEVELS_PER_SIDE || chunks > MAX_BOOK_CHUNKS_PER_SIDE
    };
    let (b, bc) = (book.bids.len(), book.bids.chunk_count());
    let (a, ac) = (book.asks.len(), book.asks.chunk_count());
    if over(b, bc) || over(a, ac) {
        return Err(too_large(b, bc, a, ac));
    }
    Ok(())
}

#[cold]
fn too_large(b: usize, bc: usize, a: usize, ac: usize) -> DepthError {
    let (side, levels, chunks) = if b > MAX_BOOK_LEVELS_PER_SIDE || bc > MAX_BOOK_CHUNKS_PER_SIDE {
        ("bid", b, bc)
    } else {
        ("ask", a, ac)
    };
    DepthError::BookTooLarge {
        side,
        levels,
        chunks,
    }
}

/// A depth message that breaks the stream's rules, as the framework reports a bad message.
impl From<DepthError> for crate::cex::error::CexError {
    fn from(e: DepthError) -> Self {
        crate::cex::error::CexError::decode("Binance depth message", e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn synced() -> SyncedBook {
        SyncedBook::new(
            "BTCUSDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00001)).unwrap(),
        )
    }

    fn diff(first: u64, last: u64, bid: &str, ask: &str) -> String {
        format!(
            r#"{{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":{first},"u":{last},"b":[{bid}],"a":[{ask}]}}"#
        )
    }

    const SNAP: &str = r#"{"lastUpdateId":100,"bids":[["10.00","1.0"],["9.99","2"]],"asks":[["10.01","3.00000"]]}"#;

    #[test]
    fn a_futures_event_gives_its_pu_in_the_same_pass() {
        let mut p = DepthParser::new(
            "BTCUSDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00001)).unwrap(),
        );
        let msg =
            br#"{"e":"depthUpdate","E":5,"T":4,"s":"BTCUSDT","U":7,"u":9,"pu":6,"b":[],"a":[]}"#;
        assert_eq!(p.parse_diff(msg).unwrap().prev_final_update_id, Some(6));
        let spot = br#"{"e":"depthUpdate","E":5,"s":"BTCUSDT","U":7,"u":9,"b":[],"a":[]}"#;
        assert_eq!(p.parse_diff(spot).unwrap().prev_final_update_id, None);
    }

    #[test]
    fn parses_in_any_field_order() {
        let mut p = DepthParser::new(
            "BTCUSDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00001)).unwrap(),
        );
        let msg = br#" { "a" : [ ["1.02", "0.5"] ], "b":[], "u": 9, "extra": {"x":[1,2]}, "U" : 7, "s":"BTCUSDT", "e":"depthUpdate", "E":5 } "#;
        let h = p.parse_diff(msg).unwrap();
        assert_eq!(
            h,
            DiffHeader {
                first_update_id: 7,
                final_update_id: 9,
                event_time: 5,
                prev_final_update_id: None,
            }
        );
        assert!(p.bids.is_empty());
        assert_eq!(
            p.asks,
            vec![Level {
                ticks: 102,
                lots: 50_000
            }]
        );
        let wrapped = format!(
            r#"{{"stream":"btcusdt@depth@100ms","data":{}}}"#,
            diff(1, 2, r#"["1.00","1"]"#, "")
        );
        assert_eq!(p.parse_diff(wrapped.as_bytes()).unwrap().final_update_id, 2);
        assert_eq!(p.bids.len(), 1);
    }

    #[test]
    fn rejects_bad_messages() {
        let mut p = synced().parser;
        let cases: [(&[u8], &str); 8] = [
            (b"<html><body>502 Bad Gateway</body></html>", "malformed"),
            (br#"{"e":"trade","s":"BTCUSDT"}"#, "not a depth"),
            (
                br#"{"e":"depthUpdate","s":"ETHUSDT","U":1,"u":2,"b":[],"a":[]}"#,
                "ETHUSDT",
            ),
            (
                br#"{"e":"depthUpdate","s":"BTCUSDT","u":2,"b":[],"a":[]}"#,
                "missing field U",
            ),
            (
                br#"{"e":"depthUpdate","s":"BTCUSDT","U":3,"u":2,"b":[],"a":[]}"#,
                "U 3 > u 2",
            ),
            (
                br#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"b":[["1.001","1"]],"a":[]}"#,
                "multiple of",
            ),
            (
                br#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"b":[["1.00"]],"a":[]}"#,
                "malformed",
            ),
            (
                br#"{"e":"depthUpdate","s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]} x"#,
                "trailing",
            ),
        ];
        for (msg, want) in cases {
            let e = p.parse_diff(msg).unwrap_err().to_string();
            assert!(e.contains(want), "{e} should mention {want}");
        }
    }

    #[test]
    fn follows_the_update_id_rules() {
        let mut b = synced();
        // diffs arrive before the snapshot: buffered; one is older than the snapshot
        assert_eq!(
            b.on_frame(diff(90, 95, r#"["10.00","9"]"#, "").as_bytes())
                .unwrap(),
            DiffOutcome::Buffered
        );
        assert_eq!(
            b.on_frame(diff(96, 102, r#"["10.00","5"]"#, "").as_bytes())
                .unwrap(),
            DiffOutcome::Buffered
        );
        assert_eq!(
            b.on_frame(diff(103, 104, "", r#"["10.01","0"]"#).as_bytes())
                .unwrap(),
            DiffOutcome::Buffered
        );
        assert_eq!(
            b.on_snapshot(SNAP.as_bytes()).unwrap(),
            SnapshotOutcome::Synced {
                last_update_id: 104
            }
        );
        assert_eq!(b.book.bids.lots_at(1000), Some(500_000));
        assert!(b.book.asks.is_empty());
        // a duplicate is ignored, the next one applies, a skipped one is a gap
        assert_eq!(
            b.on_frame(diff(103, 104, "", r#"["10.05","1"]"#).as_bytes())
                .unwrap(),
            DiffOutcome::Stale
        );
        assert_eq!(
            b.on_frame(diff(105, 105, "", r#"["10.02","1"]"#).as_bytes())
                .unwrap(),
            DiffOutcome::Applied
        );
        assert_eq!(b.book.best_ask().unwrap().ticks, 1002);
        assert_eq!(
            b.on_frame(diff(107, 108, "", "").as_bytes()).unwrap(),
            DiffOutcome::Gap {
                expected: 106,
                got: 107
            }
        );
        assert!(!b.is_synced());
        assert!(b.book.bids.is_empty(), "a gapped book is not kept");
    }

    fn levels_json(n: usize, spacing: u64) -> String {
        (0..n)
            .map(|k| format!(r#"["{}.00","1"]"#, 1 + k as u64 * spacing))
            .collect::<Vec<_>>()
            .join(",")
    }

    /// A side of more than `MAX_LEVELS_PER_MESSAGE` levels is refused by both parsers, snapshot
    /// or diff; exactly that many is read.
    #[test]
    fn a_message_side_is_capped() {
        let mut b = synced();
        let ok = diff(1, 2, &levels_json(MAX_LEVELS_PER_MESSAGE, 1), "");
        b.parser.parse_diff(ok.as_bytes()).unwrap();
        assert_eq!(b.parser.bids.len(), MAX_LEVELS_PER_MESSAGE);
        let over = diff(1, 2, "", &levels_json(MAX_LEVELS_PER_MESSAGE + 1, 1));
        assert_eq!(
            b.parser.parse_diff(over.as_bytes()),
            Err(DepthError::TooManyLevels {
                max: MAX_LEVELS_PER_MESSAGE
            })
        );
        let snap = format!(
            r#"{{"lastUpdateId":5,"bids":[{}],"asks":[]}}"#,
            levels_json(MAX_LEVELS_PER_MESSAGE + 1, 1)
        );
        assert!(matches!(
            b.on_snapshot(snap.as_bytes()),
            Err(DepthError::TooManyLevels { .. })
        ));
    }

    /// A book grown past its level or chunk cap by diffs is dropped (a resync), not kept.
    #[test]
    fn a_book_side_is_capped() {
        let mut b = synced();
        let snap = format!(
            r#"{{"lastUpdateId":10,"bids":[{}],"asks":[]}}"#,
            levels_json(MAX_BOOK_LEVELS_PER_SIDE, 1)
        );
        assert!(matches!(
            b.on_snapshot(snap.as_bytes()),
            Ok(SnapshotOutcome::Synced { .. })
        ));
        assert_eq!(b.book.bids.len(), MAX_BOOK_LEVELS_PER_SIDE);
        let one_more = diff(11, 11, r#"["9000.00","1"]"#, "");
        assert_eq!(
            b.on_frame(one_more.as_bytes()).unwrap(),
            DiffOutcome::TooLarge {
                side: "bid",
                levels: MAX_BOOK_LEVELS_PER_SIDE + 1,
                chunks: 1 + MAX_BOOK_LEVELS_PER_SIDE * 100 / 1024 + 1
            }
        );
        assert!(!b.is_synced() && b.book.bids.is_empty());
        // levels far apart: one chunk each, so the chunk cap comes first
        let mut b = synced();
        b.on_snapshot(br#"{"lastUpdateId":1,"bids":[],"asks":[]}"#)
            .unwrap();
        let mut id = 1;
        let mut outcome = DiffOutcome::Stale;
        for k in 0..=MAX_BOOK_CHUNKS_PER_SIDE / 100 {
            id += 1;
            // 11.00 apart = 1,100 ticks: every level in a chunk of its own
            let asks = (0..100)
                .map(|j| format!(r#"["{}.00","1"]"#, (k * 100 + j) * 11 + 1))
                .collect::<Vec<_>>()
                .join(",");
            outcome = b.on_frame(diff(id, id, "", &asks).as_bytes()).unwrap();
            if outcome != DiffOutcome::Applied {
                break;
            }
        }
        assert!(
            matches!(outcome, DiffOutcome::TooLarge { side: "ask", levels, chunks }
                if chunks > MAX_BOOK_CHUNKS_PER_SIDE && levels <= MAX_BOOK_LEVELS_PER_SIDE),
            "{outcome:?}"
        );
        assert!(!b.is_synced());
    }

    /// Update ids at the top of the range never wrap: a snapshot at `u64::MAX` cannot be
    /// followed, a diff ending there is applied, and nothing follows it.
    #[test]
    fn update_ids_at_the_end_of_the_range() {
        let mut b = synced();
        b.on_frame(diff(u64::MAX - 1, u64::MAX, "", "").as_bytes())
            .unwrap();
        let snap = format!(r#"{{"lastUpdateId":{},"bids":[],"asks":[]}}"#, u64::MAX);
        assert_eq!(
            b.on_snapshot(snap.as_bytes()),
            Err(DepthError::UpdateIdOverflow(u64::MAX))
        );
        let mut b = synced();
        let snap = format!(r#"{{"lastUpdateId":{},"bids":[],"asks":[]}}"#, u64::MAX - 2);
        b.on_snapshot(snap.as_bytes()).unwrap();
        assert_eq!(
            b.on_frame(diff(u64::MAX - 1, u64::MAX, r#"["1.00","1"]"#, "").as_bytes())
                .unwrap(),
            DiffOutcome::Applied
        );
        assert_eq!(
            b.on_frame(diff(u64::MAX, u64::MAX, "", "").as_bytes())
                .unwrap(),
            DiffOutcome::Stale
        );
    }

    /// The diffs buffered while a snapshot is fetched are bounded in levels too.
    #[test]
    fn the_buffer_is_capped_in_levels() {
        let mut b = synced();
        let big = diff(1, 1, &levels_json(MAX_LEVELS_PER_MESSAGE, 1), "");
        for _ in 0..(MAX_BUFFERED_LEVELS / MAX_LEVELS_PER_MESSAGE + 3) {
            assert_eq!(b.on_frame(big.as_bytes()).unwrap(), DiffOutcome::Buffered);
        }
        assert!(b.buffered_levels <= MAX_BUFFERED_LEVELS);
        let held: usize = b.buffer.iter().map(|d| d.bids.len() + d.asks.len()).sum();
        assert_eq!(held, b.buffered_levels);
        assert_eq!(b.buffer.len(), MAX_BUFFERED_LEVELS / MAX_LEVELS_PER_MESSAGE);
    }

    #[test]
    fn snapshot_older_than_the_buffer_is_refetched() {
        let mut b = synced();
        b.on_frame(diff(150, 160, "", "").as_bytes()).unwrap();
        assert_eq!(
            b.on_snapshot(SNAP.as_bytes()).unwrap(),
            SnapshotOutcome::TooOld {
                last_update_id: 100,
                first_buffered: 150
            }
        );
        assert!(!b.is_synced());
        // a gap inside the buffer after the snapshot
        let mut b = synced();
        b.on_frame(diff(99, 101, "", "").as_bytes()).unwrap();
        b.on_frame(diff(105, 106, "", "").as_bytes()).unwrap();
        assert_eq!(
            b.on_snapshot(SNAP.as_bytes()).unwrap(),
            SnapshotOutcome::Gap {
                expected: 102,
                got: 105
            }
        );
    }
}
