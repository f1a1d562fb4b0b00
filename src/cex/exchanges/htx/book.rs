//! HTX's public MBP book (`market.$symbol.mbp.$levels`) and its continuity rule. Incremental
//! pushes `{"ch":…,"tick":{"seqNum":n,"prevSeqNum":p,"bids":[[price,size]…],"asks":…}}` carry
//! absolute sizes per price (size `0` removes the level); the initial state comes from a `req`
//! on the same channel, answered `{"rep":…,"status":"ok","data":{"seqNum":n,"bids":…,"asks":…}}`.
//!
//! - pushes that arrive before the snapshot are buffered (up to [`MAX_PENDING`]);
//! - on the snapshot, buffered pushes with `seqNum` ≤ the snapshot's are dropped; the first one
//!   kept must straddle it (`prevSeqNum` ≤ snapshot `seqNum` < `seqNum`), later ones chain;
//! - once synced, a push applies only if its `prevSeqNum` equals the `seqNum` last applied;
//! - a push with a `seqNum` already applied (≤ the last) is a duplicate: ignored;
//! - anything else is a gap: the book is reset and the snapshot must be requested again.
//!
//! HTX publishes no checksum for this feed. Prices and sizes arrive as JSON numbers (strings are
//! accepted too) and are keyed on the market's integer grids, never through a float.

use std::collections::VecDeque;

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Pushes kept while waiting for the snapshot; more is a gap (resubscribe).
pub const MAX_PENDING: usize = 4096;

/// Why an MBP message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("book level: {0}")]
    Level(#[from] GridError),
    #[error("mbp message without {0}")]
    Missing(&'static str),
    #[error("mbp snapshot refused: {0}")]
    Refused(String),
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    /// The snapshot was applied (and the buffered pushes after it): synced at `seq_num`.
    Snapshot { seq_num: u64 },
    /// A push applied.
    Applied,
    /// A push already applied (or older than the snapshot).
    Duplicate,
    /// A push buffered while waiting for the snapshot.
    Buffered,
    /// `prevSeqNum` is not the last `seqNum`: the book was reset; request the snapshot again.
    Gap { expected: u64, got: u64 },
    /// Not an MBP push or answer (a `ping`, a subscription answer).
    Other,
}

/// One parsed message: its sequence numbers and levels.
#[derive(Debug, Clone, Default)]
struct Msg {
    snapshot: bool,
    refused: Option<String>,
    seq: Option<u64>,
    prev: Option<u64>,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// One symbol's book kept by HTX's rule.
#[derive(Debug, Clone)]
pub struct HtxBook {
    pub book: OrderBook,
    /// `seqNum` last applied; `None` while not synced.
    last: Option<u64>,
    pending: VecDeque<Msg>,
    scratch: Msg,
}

impl HtxBook {
    pub fn new(price: Grid, size: Grid) -> Self {
        Self {
            book: OrderBook::new(price, size),
            last: None,
            pending: VecDeque::new(),
            scratch: Msg::default(),
        }
    }

    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    /// The `seqNum` last applied, if synced.
    pub fn seq_num(&self) -> Option<u64> {
        self.last
    }

    /// Forgets the book and the buffer (until the next snapshot).
    pub fn reset(&mut self) {
        self.book.clear();
        self.last = None;
        self.pending.clear();
    }

    fn apply(&mut self, bids: &[Level], asks: &[Level], seq: u64) {
        self.book.bids.set_all(bids);
        self.book.asks.set_all(asks);
        self.last = Some(seq);
    }

    /// Applies one (decompressed) message by the continuity rule. An unreadable message resets
    /// the book: it is never silently wrong. A push in HTX's exact layout is read by the
    /// fixed-layout reader (`book/fast.rs`), anything else by the general scanner.
    #[inline]
    pub fn on_message(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        self.on_message_with(msg, true)
    }

    /// [`HtxBook::on_message`] by the general scanner only (any key order, white space, unknown
    /// fields), which gives the exact error on a malformed message.
    pub fn on_message_general(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        self.on_message_with(msg, false)
    }

    #[inline(always)]
    fn on_message_with(&mut self, msg: &[u8], fixed: bool) -> Result<BookOutcome, BookError> {
        let mut m = std::mem::take(&mut self.scratch);
        let (price, size) = (&self.book.price_grid, &self.book.size_grid);
        let parsed = if fixed && fast::read(msg, price, size, &mut m) {
            Ok(true)
        } else {
            parse(msg, price, size, &mut m)
        };
        let out = match parsed {
            Ok(true) => self.on_parsed(&mut m),
            Ok(false) => Ok(BookOutcome::Other),
            Err(e) => {
                self.reset();
                Err(e)
            }
        };
        self.scratch = m;
        out
    }

    fn on_parsed(&mut self, m: &mut Msg) -> Result<BookOutcome, BookError> {
        if let Some(why) = m.refused.take() {
            self.reset();
            return Err(BookError::Refused(why));
        }
        let seq = m.seq.ok_or(BookError::Missing("seqNum"))?;
        if m.snapshot {
            self.book.clear();
            self.apply(&m.bids, &m.asks, seq);
            let mut first = true;
            while let Some(p) = self.pending.pop_front() {
                let (Some(ps), Some(pp)) = (p.seq, p.prev) else {
                    continue;
                };
                if ps <= seq {
                    continue;
                }
                let last = self.last.unwrap_or(seq);
                let fits = if first { pp <= last } else { pp == last };
                if !fits {
                    self.reset();
                    return Ok(BookOutcome::Gap {
                        expected: last,
                        got: pp,
                    });
                }
                first = false;
                self.apply(&p.bids, &p.asks, ps);
            }
            return Ok(BookOutcome::Snapshot { seq_num: seq });
        }
        let prev = m.prev.ok_or(BookError::Missing("prevSeqNum"))?;
        let Some(last) = self.last else {
            if self.pending.len() >= MAX_PENDING {
                self.reset();
                return Ok(BookOutcome::Gap {
                    expected: 0,
                    got: prev,
                });
            }
            self.pending.push_back(m.clone());
            return Ok(BookOutcome::Buffered);
        };
        if seq <= last {
            return Ok(BookOutcome::Duplicate);
        }
        if prev != last {
            self.reset();
            return Ok(BookOutcome::Gap {
                expected: last,
                got: prev,
            });
        }
        self.book.bids.set_all(&m.bids);
        self.book.asks.set_all(&m.asks);
        self.last = Some(seq);
        Ok(BookOutcome::Applied)
    }
}

/// The book of a REST depth answer (`GET /market/depth`: `{"status":"ok","ch":…,"tick":{"bids":…,
/// "asks":…,"version":…}}`), on the market's grids. An error body is refused.
pub fn rest_depth(body: &[u8], price: Grid, size: Grid) -> Result<OrderBook, BookError> {
    let mut m = Msg::default();
    if !parse(body, &price, &size, &mut m)? {
        return Err(BookError::Missing("tick"));
    }
    if let Some(why) = m.refused {
        return Err(BookError::Refused(why));
    }
    let mut book = OrderBook::new(price, size);
    book.bids.set_all(&m.bids);
    book.asks.set_all(&m.asks);
    Ok(book)
}

/// Reads an MBP push (`ch` + `tick`) or a `req` answer (`rep` + `data`); `false` for anything
/// else.
fn parse(msg: &[u8], price: &Grid, size: &Grid, m: &mut Msg) -> Result<bool, BookError> {
    m.snapshot = false;
    m.refused = None;
    m.seq = None;
    m.prev = None;
    m.bids.clear();
    m.asks.clear();
    let mut s = Scanner::new(msg);
    if s.peek() != Some(b'{') {
        return Ok(false);
    }
    s.expect(b'{', "expected an object")?;
    if s.peek() == Some(b'}') {
        return Ok(false);
    }
    let (mut body, mut rep, mut status_ok, mut err) = (false, false, true, None);
    loop {
        let key = s.string()?;
        s.expect(b':', "expected ':'")?;
        match key {
            b"tick" | b"data" => {
                if s.peek() == Some(b'{') {
                    body = true;
                    parse_body(&mut s, price, size, m)?;
                } else {
                    s.skip_value()?;
                }
            }
            b"rep" => {
                rep = true;
                s.skip_value()?;
            }
            b"status" => status_ok = s.string()? == b"ok",
            b"err-msg" => err = Some(String::from_utf8_lossy(s.string()?).into_owned()),
            _ => s.skip_value()?,
        }
        if !s.next_or_close(b'}')? {
            break;
        }
    }
    s.finish()?;
    if (rep || body || err.is_some()) && !status_ok {
        m.refused = Some(err.unwrap_or_else(|| "status not ok".into()));
        return Ok(true);
    }
    m.snapshot = rep;
    Ok(body || m.refused.is_some())
}

fn parse_body(
    s: &mut Scanner<'_>,
    price: &Grid,
    size: &Grid,
    m: &mut Msg,
) -> Result<(), BookError> {
    s.expect(b'{', "expected the tick")?;
    if s.peek() == Some(b'}') {
        s.expect(b'}', "")?;
        return Ok(());
    }
    loop {
        let key = s.string()?;
        s.expect(b':', "expected ':'")?;
        match key {
            b"bids" => levels(s, price, size, &mut m.bids)?,
            b"asks" => levels(s, price, size, &mut m.asks)?,
            b"seqNum" => m.seq = Some(s.u64()?),
            b"prevSeqNum" => m.prev = Some(s.u64()?),
            _ => s.skip_value()?,
        }
        if !s.next_or_close(b'}')? {
            return Ok(());
        }
    }
}

/// `[[price,size], …]` onto the grids.
fn levels(
    s: &mut Scanner<'_>,
    price: &Grid,
    size: &Grid,
    out: &mut Vec<Level>,
) -> Result<(), BookError> {
    s.expect(b'[', "expected a level array")?;
    if s.peek() == Some(b']') {
        s.expect(b']', "")?;
        return Ok(());
    }
    loop {
        s.expect(b'[', "expected a level")?;
        let ticks = number(s, price)?;
        s.expect(b',', "expected a level's size")?;
        let lots = number(s, size)?;
        while s.next_or_close(b']')? {
            s.skip_value()?;
        }
        out.push(Level { ticks, lots });
        if !s.next_or_close(b']')? {
            return Ok(());
        }
    }
}

/// A JSON number (or numeric string) as a count on `grid`.
fn number(s: &mut Scanner<'_>, grid: &Grid) -> Result<u64, BookError> {
    s.skip_ws();
    if s.peek() == Some(b'"') {
        let raw = s.string()?;
        return Ok(grid.parse(raw)?);
    }
    let input = s.input();
    let start = s.position();
    let end = input[start..]
        .iter()
        .position(|c| !(c.is_ascii_digit() || *c == b'.'))
        .map_or(input.len(), |n| start + n);
    if end == start {
        return Err(s.error("expected a number").into());
    }
    let v = grid.parse(&input[start..end])?;
    s.set_position(end);
    Ok(v)
}

mod fast;

#[cfg(test)]
mod tests;
