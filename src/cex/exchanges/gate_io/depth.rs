//! Gate.io spot depth: the `spot.order_book_update` frame and the REST snapshot
//! (`/spot/order_book?with_id=true`) read from raw bytes straight into integer ticks and lots, and
//! the documented rules that keep a local book in sync with them:
//!
//! 1. buffer updates while the snapshot is fetched; its `id` is the base id;
//! 2. if the first buffered update starts after `id + 1` (`U > id + 1`), the snapshot is too old:
//!    fetch another;
//! 3. drop updates with `u < id + 1`; the first applied has `U <= id + 1 <= u`;
//! 4. then each update must start where the book is (`U <= local + 1`; Gate.io sends `U ==
//!    previous u + 1`); an older one (`u <= local`: a duplicate or a late message) is dropped, a
//!    later one (`U > local + 1`) is a gap and forces a resync;
//! 5. amounts are absolute; 0 removes the level.
//!
//! A hostile feed cannot grow memory without limit: at most [`MAX_LEVELS_PER_MESSAGE`] levels per
//! side of a message, [`MAX_BOOK_LEVELS_PER_SIDE`] levels and [`MAX_BOOK_CHUNKS_PER_SIDE`] ladder
//! chunks per side of the book (beyond, it is dropped and resynced), and the buffer is bounded.

use std::collections::VecDeque;

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels one side of one message may hold (Gate.io's deepest snapshot is 1,000; diffs are small).
pub const MAX_LEVELS_PER_MESSAGE: usize = 5_000;
/// Levels one side of a live book may hold.
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 5_000;
/// Ladder chunks one side of a live book may use.
pub const MAX_BOOK_CHUNKS_PER_SIDE: usize = 2_048;
/// Updates kept while a snapshot is fetched (the oldest dropped beyond).
pub const MAX_BUFFERED: usize = 10_000;
/// Levels over all buffered updates.
pub const MAX_BUFFERED_LEVELS: usize = 200_000;

/// The channel of depth updates.
pub const CHANNEL: &str = "spot.order_book_update";

/// Why a depth message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("depth message is missing field {0}")]
    Missing(&'static str),
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
    #[error("update id {0} cannot be followed")]
    UpdateIdOverflow(u64),
}

impl From<DepthError> for crate::cex::error::CexError {
    fn from(e: DepthError) -> Self {
        crate::cex::error::CexError::decode("Gate.io depth message", e)
    }
}

/// The update ids of a parsed update; its levels are in the parser's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateIds {
    pub first: u64,
    pub last: u64,
}

/// What one websocket frame of the depth connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A book update (levels in the parser's buffers).
    Update(UpdateIds),
    /// An error answer (`"error":{…}`): its text.
    Error(String),
    /// Anything else: a subscribe answer, a pong.
    Other,
}

/// Parses depth messages into reusable level buffers.
#[derive(Debug, Clone)]
pub struct DepthParser {
    price: Grid,
    size: Grid,
    symbol: String,
    /// `,"s":"<symbol>","U":` for the fast path.
    symbol_key: Vec<u8>,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

impl DepthParser {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            price,
            size,
            symbol: symbol.to_string(),
            symbol_key: format!(",\"s\":\"{symbol}\",\"U\":").into_bytes(),
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

    /// `["price","amount"]` without blanks, read in one pass; `None` (cursor unmoved) otherwise.
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

    fn level_checked(&self, s: &mut Scanner<'_>) -> Result<Level, DepthError> {
        s.expect(b'[', "expected a [price, amount] level")?;
        let p = s.string()?;
        s.expect(b',', "expected ',' in a level")?;
        let q = s.string()?;
        s.expect(b']', "expected ']' after a level")?;
        Ok(Level {
            ticks: self.price.parse(p)?,
            lots: self.size.parse(q)?,
        })
    }

    /// One frame of the depth connection (any field order; unknown fields skipped). An update
    /// leaves its levels in [`Self::bids`] and [`Self::asks`].
    ///
    /// An update in Gate.io's exact byte layout (fields in the documented order, no blanks) is
    /// read by [`Self::update_fast`]; anything else, and anything it declines, by the general
    /// parser, which accepts the same frames with the same result and gives the precise error.
    #[inline]
    pub fn parse_frame(&mut self, buf: &[u8]) -> Result<Frame, DepthError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        if let Some(ids) = self.update_fast(buf, &mut bids, &mut asks) {
            self.bids = bids;
            self.asks = asks;
            return Ok(Frame::Update(ids));
        }
        let r = self.parse_frame_into(buf, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    /// `{"time":N,"time_ms":N,"channel":"spot.order_book_update","event":"update","result":
    /// {"t":N,"e":"depthUpdate","E":N,"s":"<pair>","U":N,"u":N,"b":[…],"a":[…]}}` exactly, its
    /// fixed parts compared as bytes; `None` for any other layout or any doubt (the general
    /// parser then decides).
    #[inline]
    fn update_fast(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Option<UpdateIds> {
        let i = lit(buf, 0, b"{\"time\":")?;
        let (_, i) = digits(buf, i)?;
        let i = lit(buf, i, b",\"time_ms\":")?;
        let (_, i) = digits(buf, i)?;
        let i = lit(
            buf,
            i,
            b",\"channel\":\"spot.order_book_update\",\"event\":\"update\",\"result\":{\"t\":",
        )?;
        let (_, i) = digits(buf, i)?;
        let i = lit(buf, i, b",\"e\":\"depthUpdate\",\"E\":")?;
        let (_, i) = digits(buf, i)?;
        let i = lit(buf, i, &self.symbol_key)?;
        let (first, i) = digits(buf, i)?;
        let i = lit(buf, i, b",\"u\":")?;
        let (last, i) = digits(buf, i)?;
        let i = lit(buf, i, b",\"b\":")?;
        let mut s = Scanner::new(buf);
        s.set_position(i);
        self.levels(&mut s, bids).ok()?;
        let i = lit(buf, s.position(), b",\"a\":")?;
        s.set_position(i);
        self.levels(&mut s, asks).ok()?;
        let i = lit(buf, s.position(), b"}}")?;
        (i == buf.len() && first <= last).then_some(UpdateIds { first, last })
    }

    fn parse_frame_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<Frame, DepthError> {
        let mut s = Scanner::new(buf);
        let (mut channel_ok, mut is_update) = (None, None);
        let mut result_at = None;
        let mut error = None;
        let mut ids = None;
        s.expect(b'{', "expected an object")?;
        if s.peek() == Some(b'}') {
            s.expect(b'}', "")?;
            s.finish()?;
            return Ok(Frame::Other);
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"channel" => channel_ok = Some(s.string()? == CHANNEL.as_bytes()),
                b"event" => is_update = Some(s.string()? == b"update"),
                b"result" if channel_ok == Some(true) && is_update == Some(true) => {
                    ids = Some(self.result(&mut s, bids, asks)?);
                }
                b"result" => {
                    result_at = Some(s.position());
                    s.skip_value()?;
                }
                b"error" if s.peek() == Some(b'{') => {
                    let start = s.position();
                    s.skip_value()?;
                    error = Some(String::from_utf8_lossy(&buf[start..s.position()]).into_owned());
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        if let Some(e) = error {
            return Ok(Frame::Error(e));
        }
        if channel_ok != Some(true) || is_update != Some(true) {
            return Ok(Frame::Other);
        }
        if ids.is_none()
            && let Some(at) = result_at
        {
            let mut r = Scanner::new(buf);
            r.set_position(at);
            ids = Some(self.result(&mut r, bids, asks)?);
        }
        ids.map(Frame::Update).ok_or(DepthError::Missing("result"))
    }

    /// The `result` object of an update: `s`, `U`, `u`, `b`, `a` (a side absent is empty).
    fn result(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<UpdateIds, DepthError> {
        let (mut first, mut last, mut symbol_ok) = (None, None, false);
        bids.clear();
        asks.clear();
        s.expect(b'{', "expected the result object")?;
        if s.peek() == Some(b'}') {
            return Err(DepthError::Missing("U"));
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"s" => {
                    let sym = s.string()?;
                    if sym != self.symbol.as_bytes() {
                        return Err(DepthError::WrongSymbol {
                            want: self.symbol.clone(),
                            got: String::from_utf8_lossy(sym).into_owned(),
                        });
                    }
                    symbol_ok = true;
                }
                b"U" => first = Some(s.u64()?),
                b"u" => last = Some(s.u64()?),
                b"b" => self.levels(s, bids)?,
                b"a" => self.levels(s, asks)?,
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        if !symbol_ok {
            return Err(DepthError::Missing("s"));
        }
        let first = first.ok_or(DepthError::Missing("U"))?;
        let last = last.ok_or(DepthError::Missing("u"))?;
        if first > last {
            return Err(DepthError::BadRange { first, last });
        }
        Ok(UpdateIds { first, last })
    }

    /// Parses a REST snapshot (`{"id":…,"current":…,"update":…,"asks":[…],"bids":[…]}`) into the
    /// buffers and returns its `id`.
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
                b"id" => id = Some(s.u64()?),
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
        id.ok_or(DepthError::Missing("id (ask with_id=true)"))
    }
}

/// `lit` at `buf[i..]`: the index after it.
#[inline(always)]
fn lit(buf: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    let end = i.checked_add(lit.len())?;
    (buf.get(i..end)? == lit).then_some(end)
}

/// The unsigned integer of the ASCII digits at `buf[i..]` and the index after them; `None` for no
/// digit or a value over `u64`.
#[inline(always)]
fn digits(buf: &[u8], mut i: usize) -> Option<(u64, usize)> {
    let start = i;
    let mut v: u64 = 0;
    while let Some(&c) = buf.get(i) {
        if !c.is_ascii_digit() {
            break;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        i += 1;
    }
    (i > start).then_some((v, i))
}

/// What happened to one update.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    Applied,
    /// Older than the book (`u <= local`): a duplicate or a late message, dropped.
    Stale,
    /// No snapshot yet: kept until one arrives.
    Buffered,
    /// An update is missing between the book and this one: the book was reset.
    Gap {
        expected: u64,
        got: u64,
    },
    /// The book grew over its bounds: it was reset.
    TooLarge {
        side: &'static str,
        levels: usize,
        chunks: usize,
    },
}

/// What applying a snapshot found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Synced {
        id: u64,
    },
    /// Older than the buffered updates (`id + 1 < U` of the first): fetch a newer one.
    TooOld {
        id: u64,
        first_buffered: u64,
    },
    /// The buffered updates do not connect: start over.
    Gap {
        expected: u64,
        got: u64,
    },
}

#[derive(Debug, Clone)]
struct Buffered {
    ids: UpdateIds,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// A Gate.io book kept in sync: the parser, the book, and the update-id state.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub parser: DepthParser,
    pub book: OrderBook,
    /// `Some(id)` once synced: the `u` of the last applied update (or the snapshot's `id`).
    last: Option<u64>,
    buffer: VecDeque<Buffered>,
    buffered_levels: usize,
}

impl SyncedBook {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            parser: DepthParser::new(symbol, price, size),
            book: OrderBook::new(price, size),
            last: None,
            buffer: VecDeque::new(),
            buffered_levels: 0,
        }
    }

    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    pub fn last_update_id(&self) -> Option<u64> {
        self.last
    }

    /// Forgets the book and starts buffering for a new snapshot.
    pub fn reset(&mut self) {
        self.last = None;
        self.buffer.clear();
        self.buffered_levels = 0;
        self.book.clear();
    }

    /// One websocket frame: raw bytes → parser → book (the hot path). `Ok(None)` for a frame that
    /// is not an update.
    #[inline]
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<Option<UpdateOutcome>, DepthError> {
        match self.parser.parse_frame(frame)? {
            Frame::Update(ids) => Ok(Some(self.on_parsed(ids))),
            _ => Ok(None),
        }
    }

    /// Applies the update in the parser's buffers.
    #[inline]
    pub fn on_parsed(&mut self, ids: UpdateIds) -> UpdateOutcome {
        let bids = std::mem::take(&mut self.parser.bids);
        let asks = std::mem::take(&mut self.parser.asks);
        let out = self.on_levels(ids, &bids, &asks);
        self.parser.bids = bids;
        self.parser.asks = asks;
        out
    }

    /// Applies an update given as ids and levels.
    #[inline]
    pub fn on_levels(&mut self, ids: UpdateIds, bids: &[Level], asks: &[Level]) -> UpdateOutcome {
        let Some(local) = self.last else {
            self.buffer_update(ids, bids, asks);
            return UpdateOutcome::Buffered;
        };
        if ids.last <= local {
            return UpdateOutcome::Stale;
        }
        // `local < ids.last`, so `local + 1` exists
        let expected = local.saturating_add(1);
        if ids.first > expected {
            self.reset();
            return UpdateOutcome::Gap {
                expected,
                got: ids.first,
            };
        }
        if let Err(DepthError::BookTooLarge {
            side,
            levels,
            chunks,
        }) = apply(&mut self.book, bids, asks)
        {
            self.reset();
            return UpdateOutcome::TooLarge {
                side,
                levels,
                chunks,
            };
        }
        self.last = Some(ids.last);
        UpdateOutcome::Applied
    }

    fn buffer_update(&mut self, ids: UpdateIds, bids: &[Level], asks: &[Level]) {
        let n = bids.len() + asks.len();
        while !self.buffer.is_empty()
            && (self.buffer.len() >= MAX_BUFFERED || self.buffered_levels + n > MAX_BUFFERED_LEVELS)
        {
            if let Some(old) = self.buffer.pop_front() {
                self.buffered_levels -= old.bids.len() + old.asks.len();
            }
        }
        self.buffered_levels += n;
        self.buffer.push_back(Buffered {
            ids,
            bids: bids.to_vec(),
            asks: asks.to_vec(),
        });
    }

    /// Applies a REST snapshot (raw bytes), then the buffered updates that follow it.
    pub fn on_snapshot(&mut self, body: &[u8]) -> Result<SnapshotOutcome, DepthError> {
        let id = self.parser.parse_snapshot(body)?;
        let next = id.checked_add(1).ok_or(DepthError::UpdateIdOverflow(id))?;
        if let Some(first) = self.buffer.front()
            && next < first.ids.first
        {
            return Ok(SnapshotOutcome::TooOld {
                id,
                first_buffered: first.ids.first,
            });
        }
        self.book.clear();
        if let Err(e) = apply(&mut self.book, &self.parser.bids, &self.parser.asks) {
            self.reset();
            return Err(e);
        }
        let mut local = id;
        self.buffered_levels = 0;
        for d in std::mem::take(&mut self.buffer) {
            if d.ids.last <= local {
                continue;
            }
            let expected = local.saturating_add(1);
            if d.ids.first > expected {
                self.reset();
                return Ok(SnapshotOutcome::Gap {
                    expected,
                    got: d.ids.first,
                });
            }
            if let Err(e) = apply(&mut self.book, &d.bids, &d.asks) {
                self.reset();
                return Err(e);
            }
            local = d.ids.last;
        }
        self.last = Some(local);
        Ok(SnapshotOutcome::Synced { id: local })
    }
}

#[inline]
fn apply(book: &mut OrderBook, bids: &[Level], asks: &[Level]) -> Result<(), DepthError> {
    book.bids.set_all(bids);
    book.asks.set_all(asks);
    let (b, bc) = (book.bids.len(), book.bids.chunk_count());
    let (a, ac) = (book.asks.len(), book.asks.chunk_count());
    if over_side(b, bc) || over_side(a, ac) {
        return Err(too_large(b, bc, a, ac));
    }
    Ok(())
}

#[cold]
fn too_large(b: usize, bc: usize, a: usize, ac: usize) -> DepthError {
    let (side, levels, chunks) = if over_side(b, bc) {
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

fn over_side(levels: usize, chunks: usize) -> bool {
    levels > MAX_BOOK_LEVELS_PER_SIDE || chunks > MAX_BOOK_CHUNKS_PER_SIDE
}

#[cfg(test)]
mod tests;
