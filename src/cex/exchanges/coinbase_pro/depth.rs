//! Coinbase Exchange level 2: the `level2_batch` channel's `snapshot` and `l2update` messages and
//! the `heartbeat` channel's `sequence`, read from raw bytes straight into integer ticks and lots,
//! and the rules that keep a local book in sync with them:
//!
//! 1. a subscription answers with a `snapshot` of the whole book, then `l2update`s whose
//!    `changes` (`[side, price, size]`) carry absolute sizes, `"0"` removing the level; an update
//!    before the snapshot belongs to an older subscription and is dropped;
//! 2. the `heartbeat` channel's `sequence` is the product's sequence at that message; how it is
//!    checked is the [`HeartbeatCheck`]: [`HeartbeatCheck::Advance`] (the production feed, where
//!    the sequence counts every message of the full feed, most of which change no level) refuses
//!    a sequence that goes back, [`HeartbeatCheck::Count`] (a feed in which each `l2update` is one
//!    sequence step, as the simulator's) also refuses one that is not the last heartbeat's plus
//!    the updates received since, and keeps the book unsynced until a heartbeat vouches for every
//!    update applied;
//! 3. any mismatch resets the book: the caller resyncs from a fresh subscription.
//!
//! A hostile feed cannot grow memory without limit: at most [`MAX_LEVELS_PER_MESSAGE`] levels per
//! side of a message and [`MAX_BOOK_LEVELS_PER_SIDE`] levels per side of the book.

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels one side of one message may hold.
pub const MAX_LEVELS_PER_MESSAGE: usize = 50_000;
/// Levels one side of a live book may hold.
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 50_000;
/// Ladder chunks one side of a live book may use.
pub const MAX_BOOK_CHUNKS_PER_SIDE: usize = 8_192;

/// How heartbeat sequences are checked against the updates received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeartbeatCheck {
    /// The sequence must never go back (the production feed).
    #[default]
    Advance,
    /// Each `l2update` is one sequence step: a heartbeat must count every update since the last.
    Count,
}

/// Why a level 2 message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("level 2 message is missing field {0}")]
    Missing(&'static str),
    #[error("level 2 message for {got} on the {want} book")]
    WrongProduct { want: String, got: String },
    #[error("level 2 change on side {0:?} (expected buy or sell)")]
    BadSide(String),
    #[error("level 2 message has more than {max} levels on one side")]
    TooManyLevels { max: usize },
    #[error("the {side} side of the book holds {levels} levels in {chunks} chunks, over the limit")]
    BookTooLarge {
        side: &'static str,
        levels: usize,
        chunks: usize,
    },
}

impl From<DepthError> for crate::cex::error::CexError {
    fn from(e: DepthError) -> Self {
        crate::cex::error::CexError::decode("Coinbase level 2 message", e)
    }
}

/// What one websocket frame of the book connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// The book (levels in the parser's buffers).
    Snapshot,
    /// Changes (in the parser's buffers).
    Update,
    /// The product's sequence now.
    Heartbeat(u64),
    /// An `error` message: its text.
    Error(String),
    /// Anything else: `subscriptions`, another product's heartbeat is an error, not this.
    Other,
}

/// Parses level 2 messages into reusable level buffers.
#[derive(Debug, Clone)]
pub struct DepthParser {
    price: Grid,
    size: Grid,
    product: String,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Snapshot,
    Update,
    Heartbeat,
    Error,
    Other,
}

impl DepthParser {
    pub fn new(product: &str, price: Grid, size: Grid) -> Self {
        Self {
            price,
            size,
            product: product.to_string(),
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
        }
    }

    pub fn product(&self) -> &str {
        &self.product
    }

    /// `[["price","size"],…]` (a snapshot side; extra elements per level skipped).
    fn levels(&self, s: &mut Scanner<'_>, out: &mut Vec<Level>) -> Result<(), DepthError> {
        out.clear();
        s.expect(b'[', "expected a list of levels")?;
        if s.peek() == Some(b']') {
            return Ok(s.expect(b']', "")?);
        }
        loop {
            s.expect(b'[', "expected a [price, size] level")?;
            let p = s.string()?;
            s.expect(b',', "expected ',' in a level")?;
            let q = s.string()?;
            while s.next_or_close(b']')? {
                s.skip_value()?;
            }
            if out.len() >= MAX_LEVELS_PER_MESSAGE {
                return Err(DepthError::TooManyLevels {
                    max: MAX_LEVELS_PER_MESSAGE,
                });
            }
            out.push(Level {
                ticks: self.price.parse(p)?,
                lots: self.size.parse(q)?,
            });
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// `["buy","price","size"]` (or `"sell"`) without blanks, read in one pass; `None` (cursor
    /// unmoved) otherwise.
    #[inline(always)]
    fn change_fast(&self, s: &mut Scanner<'_>) -> Option<(bool, Level)> {
        let buf = s.input();
        let i = s.position();
        let (buy, i) = if buf.get(i..i + 8)? == b"[\"buy\",\"" {
            (true, i + 8)
        } else if buf.get(i..i + 9)? == b"[\"sell\",\"" {
            (false, i + 9)
        } else {
            return None;
        };
        let (ticks, i) = self.price.parse_quoted(buf, i)?;
        if buf.get(i..i + 2)? != b",\"" {
            return None;
        }
        let (lots, i) = self.size.parse_quoted(buf, i + 2)?;
        if *buf.get(i)? != b']' {
            return None;
        }
        s.set_position(i + 1);
        Some((buy, Level { ticks, lots }))
    }

    /// One change in any layout the scanner accepts, with the precise error.
    fn change_checked(&self, s: &mut Scanner<'_>) -> Result<(bool, Level), DepthError> {
        s.expect(b'[', "expected a [side, price, size] change")?;
        let side = s.string()?;
        s.expect(b',', "expected ',' in a change")?;
        let p = s.string()?;
        s.expect(b',', "expected ',' in a change")?;
        let q = s.string()?;
        s.expect(b']', "expected ']' after a change")?;
        let level = Level {
            ticks: self.price.parse(p)?,
            lots: self.size.parse(q)?,
        };
        match side {
            b"buy" => Ok((true, level)),
            b"sell" => Ok((false, level)),
            other => Err(DepthError::BadSide(
                String::from_utf8_lossy(other).into_owned(),
            )),
        }
    }

    /// `[["buy","price","size"],…]` into bids and asks.
    fn changes(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<(), DepthError> {
        bids.clear();
        asks.clear();
        s.expect(b'[', "expected a list of changes")?;
        if s.peek() == Some(b']') {
            return Ok(s.expect(b']', "")?);
        }
        loop {
            let (buy, level) = match self.change_fast(s) {
                Some(c) => c,
                None => self.change_checked(s)?,
            };
            let out = if buy { &mut *bids } else { &mut *asks };
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

    /// A REST book (`GET /products/{id}/book?level=2`: `bids`, `asks`, `sequence`) into the
    /// buffers; its `sequence`.
    pub fn parse_rest_book(&mut self, buf: &[u8]) -> Result<u64, DepthError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = self.rest_book_into(buf, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn rest_book_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<u64, DepthError> {
        let mut s = Scanner::new(buf);
        let (mut seq, mut has_b, mut has_a) = (None, false, false);
        s.expect(b'{', "expected an object")?;
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"sequence" => seq = Some(s.u64()?),
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
        seq.ok_or(DepthError::Missing("sequence"))
    }

    /// One frame of the book connection (any field order; unknown fields skipped). A snapshot or
    /// an update leaves its levels in [`Self::bids`] and [`Self::asks`].
    pub fn parse_frame(&mut self, buf: &[u8]) -> Result<Frame, DepthError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = self.parse_into(buf, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<Frame, DepthError> {
        let mut s = Scanner::new(buf);
        let mut kind = None;
        let (mut product_ok, mut sequence, mut message) = (None, None, None);
        let (mut has_bids, mut has_asks, mut has_changes) = (false, false, false);
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
                b"type" => {
                    kind = Some(match s.string()? {
                        b"snapshot" => Kind::Snapshot,
                        b"l2update" => Kind::Update,
                        b"heartbeat" => Kind::Heartbeat,
                        b"error" => Kind::Error,
                        _ => Kind::Other,
                    })
                }
                b"product_id" => {
                    let p = s.string()?;
                    if p != self.product.as_bytes() {
                        product_ok = Some(String::from_utf8_lossy(p).into_owned());
                    } else {
                        product_ok = None;
                    }
                }
                b"sequence" => sequence = Some(s.u64()?),
                b"bids" => {
                    self.levels(&mut s, bids)?;
                    has_bids = true;
                }
                b"asks" => {
                    self.levels(&mut s, asks)?;
                    has_asks = true;
                }
                b"changes" => {
                    self.changes(&mut s, bids, asks)?;
                    has_changes = true;
                }
                b"message" | b"reason" if s.peek() == Some(b'"') => {
                    let m = String::from_utf8_lossy(s.string()?).into_owned();
                    message = Some(match message {
                        Some(prev) => format!("{prev}: {m}"),
                        None => m,
                    });
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        let kind = kind.ok_or(DepthError::Missing("type"))?;
        if matches!(kind, Kind::Snapshot | Kind::Update | Kind::Heartbeat)
            && let Some(got) = product_ok
        {
            return Err(DepthError::WrongProduct {
                want: self.product.clone(),
                got,
            });
        }
        match kind {
            Kind::Snapshot if !has_bids => Err(DepthError::Missing("bids")),
            Kind::Snapshot if !has_asks => Err(DepthError::Missing("asks")),
            Kind::Snapshot => Ok(Frame::Snapshot),
            Kind::Update if !has_changes => Err(DepthError::Missing("changes")),
            Kind::Update => Ok(Frame::Update),
            Kind::Heartbeat => sequence
                .map(Frame::Heartbeat)
                .ok_or(DepthError::Missing("sequence")),
            Kind::Error => Ok(Frame::Error(message.unwrap_or_default())),
            Kind::Other => Ok(Frame::Other),
        }
    }
}

/// What one frame did to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A snapshot was applied (synced now unless a heartbeat must vouch for it first).
    Snapshot,
    /// Changes applied.
    Applied,
    /// A heartbeat vouched for the book (`changed`: updates were waiting for it).
    Confirmed { changed: bool },
    /// Nothing to do (not synced yet, or not a book message).
    Ignored,
    /// The sequence does not follow: the book was reset.
    Gap { expected: u64, got: u64 },
    /// The book grew over its bounds: it was reset.
    TooLarge {
        side: &'static str,
        levels: usize,
        chunks: usize,
    },
}

/// A Coinbase book kept in sync: the parser, the book and the heartbeat state.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub parser: DepthParser,
    pub book: OrderBook,
    check: HeartbeatCheck,
    snapshot: bool,
    /// The last heartbeat's sequence since the snapshot.
    sequence: Option<u64>,
    /// Updates applied since that heartbeat.
    unconfirmed: u64,
}

impl SyncedBook {
    pub fn new(product: &str, price: Grid, size: Grid, check: HeartbeatCheck) -> Self {
        Self {
            parser: DepthParser::new(product, price, size),
            book: OrderBook::new(price, size),
            check,
            snapshot: false,
            sequence: None,
            unconfirmed: 0,
        }
    }

    /// Whether the book can be trusted now.
    pub fn is_synced(&self) -> bool {
        match self.check {
            HeartbeatCheck::Advance => self.snapshot,
            HeartbeatCheck::Count => {
                self.snapshot && self.sequence.is_some() && self.unconfirmed == 0
            }
        }
    }

    /// Whether a snapshot was applied since the last reset.
    pub fn has_snapshot(&self) -> bool {
        self.snapshot
    }

    /// The last heartbeat's sequence.
    pub fn sequence(&self) -> Option<u64> {
        self.sequence
    }

    /// Forgets the book until the next snapshot.
    pub fn reset(&mut self) {
        self.snapshot = false;
        self.sequence = None;
        self.unconfirmed = 0;
        self.book.clear();
    }

    /// One websocket frame: raw bytes → parser → book (the hot path).
    #[inline]
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<Outcome, DepthError> {
        let f = self.parser.parse_frame(frame)?;
        Ok(self.on_parsed(&f))
    }

    /// Applies a parsed frame (levels in the parser's buffers).
    pub fn on_parsed(&mut self, f: &Frame) -> Outcome {
        match f {
            Frame::Snapshot => {
                self.reset();
                let out = self.apply_buffers();
                if out == Outcome::Applied {
                    self.snapshot = true;
                    return Outcome::Snapshot;
                }
                out
            }
            Frame::Update if self.snapshot => {
                let out = self.apply_buffers();
                if out == Outcome::Applied {
                    self.unconfirmed += 1;
                }
                out
            }
            Frame::Heartbeat(seq) if self.snapshot => self.on_heartbeat(*seq),
            _ => Outcome::Ignored,
        }
    }

    fn on_heartbeat(&mut self, seq: u64) -> Outcome {
        let changed = self.unconfirmed > 0;
        let expected = match (self.check, self.sequence) {
            (HeartbeatCheck::Advance, Some(last)) if seq < last => Some(last),
            (HeartbeatCheck::Advance, _) => None,
            // updates before the first heartbeat cannot be vouched for
            (HeartbeatCheck::Count, None) if changed => Some(seq),
            (HeartbeatCheck::Count, None) => None,
            (HeartbeatCheck::Count, Some(last)) => {
                let want = last.saturating_add(self.unconfirmed);
                (seq != want).then_some(want)
            }
        };
        if let Some(expected) = expected {
            self.reset();
            return Outcome::Gap { expected, got: seq };
        }
        self.sequence = Some(seq);
        self.unconfirmed = 0;
        Outcome::Confirmed { changed }
    }

    fn apply_buffers(&mut self) -> Outcome {
        self.book.bids.set_all(&self.parser.bids);
        self.book.asks.set_all(&self.parser.asks);
        let (b, bc) = (self.book.bids.len(), self.book.bids.chunk_count());
        let (a, ac) = (self.book.asks.len(), self.book.asks.chunk_count());
        let over =
            |l: usize, c: usize| l > MAX_BOOK_LEVELS_PER_SIDE || c > MAX_BOOK_CHUNKS_PER_SIDE;
        if over(b, bc) || over(a, ac) {
            let (side, levels, chunks) = if over(b, bc) {
                ("bid", b, bc)
            } else {
                ("ask", a, ac)
            };
            self.reset();
            return Outcome::TooLarge {
                side,
                levels,
                chunks,
            };
        }
        Outcome::Applied
    }
}

#[cfg(test)]
mod tests;
