//! Bybit's `orderbook.<depth>.<SYMBOL>` stream and its continuity rule, kept on integer ticks:
//!
//! 1. the subscription is answered by a `snapshot`: the book is replaced, synced at its `u`;
//! 2. each `delta` must carry `u` = the book's `u` + 1 (a size `"0"` deletes the level); a `u` at
//!    or below the book's (or a `seq` below the last one) is a duplicate or a late message and is
//!    ignored; a larger `u` is a gap: the book is reset and a new snapshot is needed;
//! 3. any message with `u == 1` is a snapshot after a restart of Bybit's service: it replaces the
//!    book whatever its `type`;
//! 4. a `delta` before any snapshot is not used (the book waits for one).
//!
//! Control frames (`{"op":"subscribe","success":…}`, the `pong` of `{"op":"ping"}`) are told
//! apart from data and change nothing.

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels accepted in one message, per side.
pub const MAX_LEVELS_PER_MESSAGE: usize = 1_000;
/// Levels a book side may hold (a 500-level stream plus what deletes lag behind).
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 5_000;

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BybitBookError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("book message is missing {0}")]
    Missing(&'static str),
    #[error("message of topic {got:?} on the {want} book")]
    WrongTopic { want: String, got: String },
    #[error("unknown book message type {0:?}")]
    UnknownType(String),
    #[error("a book message has more than {max} levels on one side")]
    TooManyLevels { max: usize },
    #[error("the {side} side of the book holds {levels} levels, over the limit")]
    BookTooLarge { side: &'static str, levels: usize },
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    /// A snapshot (or a `u == 1` restart) replaced the book.
    Snapshot {
        u: u64,
    },
    Applied,
    /// A duplicate or late delta, ignored.
    Stale,
    /// A delta while no snapshot is held.
    Unsynced,
    /// `u` does not continue the book: the book was reset.
    Gap {
        expected: u64,
        got: u64,
    },
    /// A control frame (subscription answer, pong).
    Control {
        success: bool,
    },
}

/// The header of a parsed data message; its levels are in the book's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub snapshot: bool,
    pub u: u64,
    pub seq: u64,
}

/// One symbol's book under Bybit's rule.
#[derive(Debug, Clone)]
pub struct BybitBook {
    symbol: String,
    topic: String,
    pub book: OrderBook,
    /// `u` of the last message applied; `None` until a snapshot.
    last_u: Option<u64>,
    last_seq: u64,
    pub bids: Vec<Level>,
    pub asks: Vec<Level>,
}

impl BybitBook {
    /// The book of `symbol` on the `orderbook.<depth>` stream.
    pub fn new(symbol: &str, depth: u32, price: Grid, size: Grid) -> Self {
        Self {
            symbol: symbol.to_string(),
            topic: topic(depth, symbol),
            book: OrderBook::new(price, size),
            last_u: None,
            last_seq: 0,
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// The stream depth (`50` of `orderbook.50.BTCUSDT`).
    pub fn depth(&self) -> u32 {
        self.topic
            .split('.')
            .nth(1)
            .and_then(|d| d.parse().ok())
            .unwrap_or(50)
    }

    pub fn is_synced(&self) -> bool {
        self.last_u.is_some()
    }

    pub fn last_update_id(&self) -> Option<u64> {
        self.last_u
    }

    pub fn reset(&mut self) {
        self.book.clear();
        self.last_u = None;
        self.last_seq = 0;
    }

    /// One websocket frame: parse, check continuity, apply. The hot path.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<BookOutcome, BybitBookError> {
        let h = match self.parse(frame)? {
            Parsed::Data(h) => h,
            Parsed::Control { success } => return Ok(BookOutcome::Control { success }),
        };
        if h.snapshot || h.u == 1 {
            self.book.clear();
            self.apply()?;
            self.last_u = Some(h.u);
            self.last_seq = h.seq;
            return Ok(BookOutcome::Snapshot { u: h.u });
        }
        let Some(local) = self.last_u else {
            return Ok(BookOutcome::Unsynced);
        };
        if h.u <= local || h.seq < self.last_seq {
            return Ok(BookOutcome::Stale);
        }
        let expected = local.saturating_add(1);
        if h.u != expected {
            self.reset();
            return Ok(BookOutcome::Gap { expected, got: h.u });
        }
        self.apply()?;
        self.last_u = Some(h.u);
        self.last_seq = h.seq;
        Ok(BookOutcome::Applied)
    }

    /// Sets the buffered levels; a side over its limit resets the book.
    fn apply(&mut self) -> Result<(), BybitBookError> {
        self.book.bids.set_all(&self.bids);
        self.book.asks.set_all(&self.asks);
        let (b, a) = (self.book.bids.len(), self.book.asks.len());
        if b > MAX_BOOK_LEVELS_PER_SIDE || a > MAX_BOOK_LEVELS_PER_SIDE {
            self.reset();
            let (side, levels) = if b > a { ("bid", b) } else { ("ask", a) };
            return Err(BybitBookError::BookTooLarge { side, levels });
        }
        Ok(())
    }

    /// Parses a frame into the header and the level buffers.
    pub fn parse(&mut self, frame: &[u8]) -> Result<Parsed, BybitBookError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = self.parse_into(frame, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_into(
        &self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<Parsed, BybitBookError> {
        let mut s = Scanner::new(buf);
        let (mut kind, mut data, mut control, mut success) = (None, None, false, false);
        s.expect(b'{', "expected an object")?;
        if s.peek() == Some(b'}') {
            return Err(BybitBookError::Missing("topic"));
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"topic" => {
                    let t = s.string()?;
                    if t != self.topic.as_bytes() {
                        return Err(BybitBookError::WrongTopic {
                            want: self.topic.clone(),
                            got: String::from_utf8_lossy(t).into_owned(),
                        });
                    }
                }
                b"type" => {
                    kind = Some(match s.string()? {
                        b"snapshot" => true,
                        b"delta" => false,
                        other => {
                            return Err(BybitBookError::UnknownType(
                                String::from_utf8_lossy(other).into_owned(),
                            ));
                        }
                    });
                }
                b"data" => data = Some(self.data(&mut s, bids, asks)?),
                b"op" => {
                    control = true;
                    s.skip_value()?;
                }
                b"success" => {
                    s.skip_ws();
                    success = s
                        .input()
                        .get(s.position()..)
                        .is_some_and(|r| r.starts_with(b"true"));
                    s.skip_value()?;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        if control && data.is_none() {
            return Ok(Parsed::Control { success });
        }
        let snapshot = kind.ok_or(BybitBookError::Missing("type"))?;
        let (u, seq) = data.ok_or(BybitBookError::Missing("data"))?;
        Ok(Parsed::Data(Header { snapshot, u, seq }))
    }

    /// The `data` object: `s`, `b`, `a`, `u`, `seq`.
    fn data(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<(u64, u64), BybitBookError> {
        let (mut u, mut seq, mut has_b, mut has_a) = (None, 0, false, false);
        s.expect(b'{', "expected the data object")?;
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"s" => {
                    let sym = s.string()?;
                    if sym != self.symbol.as_bytes() {
                        return Err(BybitBookError::WrongTopic {
                            want: self.symbol.clone(),
                            got: String::from_utf8_lossy(sym).into_owned(),
                        });
                    }
                }
                b"b" => {
                    self.levels(s, bids)?;
                    has_b = true;
                }
                b"a" => {
                    self.levels(s, asks)?;
                    has_a = true;
                }
                b"u" => u = Some(s.u64()?),
                b"seq" => seq = s.u64()?,
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        if !has_b {
            return Err(BybitBookError::Missing("data.b"));
        }
        if !has_a {
            return Err(BybitBookError::Missing("data.a"));
        }
        Ok((u.ok_or(BybitBookError::Missing("data.u"))?, seq))
    }

    fn levels(&self, s: &mut Scanner<'_>, out: &mut Vec<Level>) -> Result<(), BybitBookError> {
        out.clear();
        s.expect(b'[', "expected a list of levels")?;
        if s.peek() == Some(b']') {
            return Ok(s.expect(b']', "")?);
        }
        let (price, size) = (&self.book.price_grid, &self.book.size_grid);
        loop {
            if out.len() >= MAX_LEVELS_PER_MESSAGE {
                return Err(BybitBookError::TooManyLevels {
                    max: MAX_LEVELS_PER_MESSAGE,
                });
            }
            // `["price","size"]` without blanks in one pass, else the checked reader
            let buf = s.input();
            let i = s.position();
            let fast = (buf.get(i..i + 2) == Some(b"[\""))
                .then(|| price.parse_quoted(buf, i + 2))
                .flatten()
                .filter(|&(_, j)| buf.get(j..j + 2) == Some(b",\""))
                .and_then(|(ticks, j)| Some((ticks, size.parse_quoted(buf, j + 2)?)))
                .filter(|&(_, (_, k))| buf.get(k) == Some(&b']'));
            match fast {
                Some((ticks, (lots, k))) => {
                    s.set_position(k + 1);
                    out.push(Level { ticks, lots });
                }
                None => {
                    s.expect(b'[', "expected a [price, size] level")?;
                    let p = s.string()?;
                    s.expect(b',', "expected ',' in a level")?;
                    let q = s.string()?;
                    s.expect(b']', "expected ']' after a level")?;
                    out.push(Level {
                        ticks: price.parse(p)?,
                        lots: size.parse(q)?,
                    });
                }
            }
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }
}

/// A parsed frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parsed {
    Data(Header),
    Control { success: bool },
}

/// `orderbook.<depth>.<SYMBOL>`.
pub fn topic(depth: u32, symbol: &str) -> String {
    format!("orderbook.{depth}.{symbol}")
}

#[cfg(test)]
#[path = "depth_tests.rs"]
mod tests;
