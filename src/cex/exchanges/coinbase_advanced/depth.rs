//! Coinbase Advanced Trade's `level2` channel: `l2_data` messages read from raw bytes straight into
//! integer ticks and lots, and the venue's continuity rule:
//!
//! 1. every message of a connection (any channel: `l2_data`, `heartbeats`, `subscriptions`)
//!    carries `sequence_num`, one more than the previous message of that connection;
//! 2. a message at or below the last sequence number is a duplicate or a late one: dropped;
//! 3. a message above the next one means messages were lost: the book is given up and the product
//!    resubscribed (the new subscription starts with a fresh `snapshot` event);
//! 4. a `snapshot` event replaces the book; `update` events set levels (`new_quantity` is the
//!    level's new size, `0` removes it); updates before the first snapshot are ignored.
//!
//! A hostile feed cannot grow memory without limit: at most [`MAX_LEVELS_PER_MESSAGE`] levels in
//! a message, [`MAX_BOOK_LEVELS_PER_SIDE`] levels and [`MAX_BOOK_CHUNKS_PER_SIDE`] ladder chunks per
//! side of the book (beyond, it is dropped and resynced).

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError, ShapeGuess};
use crate::cex::json_scan::{ScanError, Scanner, literal as lit, plain_string_end, same_bytes_at};

/// Levels one message may hold (a snapshot holds the whole book).
pub const MAX_LEVELS_PER_MESSAGE: usize = 50_000;
/// Levels one side of a live book may hold.
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 25_000;
/// Ladder chunks one side of a live book may use.
pub const MAX_BOOK_CHUNKS_PER_SIDE: usize = 4_096;
/// Events one message may hold.
pub const MAX_EVENTS_PER_MESSAGE: usize = 64;

/// The channel names of the market connection.
pub const LEVEL2: &str = "level2";
pub const L2_DATA: &str = "l2_data";
pub const HEARTBEATS: &str = "heartbeats";

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("l2_data message is missing {0}")]
    Missing(&'static str),
    #[error("l2_data event for {got} on the {want} book")]
    WrongProduct { want: String, got: String },
    #[error("unknown l2_data event type {0:?}")]
    UnknownEvent(String),
    #[error("unknown level side {0:?}")]
    UnknownSide(String),
    #[error("l2_data message has more than {max} levels or events")]
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
        crate::cex::error::CexError::decode("Coinbase level2 message", e)
    }
}

/// What one message of the market connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `l2_data`: its events' levels are in the parser's buffers.
    L2,
    /// `heartbeats`, `subscriptions`, or a channel this book does not use.
    Other,
    /// `{"type":"error","message":…}`.
    Error,
}

/// A parsed message: its sequence number (all but errors carry one) and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Frame {
    pub sequence: Option<u64>,
    pub kind: Kind,
}

/// One event of an `l2_data` message: its type and its levels `levels[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSpan {
    pub snapshot: bool,
    pub start: usize,
    pub end: usize,
}

/// A level of an event: the side (`true` for a bid) and the level.
pub type SidedLevel = (bool, Level);

/// Parses market-connection messages into reusable buffers.
#[derive(Debug, Clone)]
pub struct DepthParser {
    price: Grid,
    size: Grid,
    product: String,
    pub levels: Vec<SidedLevel>,
    pub events: Vec<EventSpan>,
    /// The text of the last error message.
    pub error: String,
    /// The shapes of the last price and size the fast reader read (a feed keeps them).
    predicted: (Option<ShapeGuess>, Option<ShapeGuess>),
}

impl DepthParser {
    pub fn new(product: &str, price: Grid, size: Grid) -> Self {
        Self {
            price,
            size,
            product: product.to_string(),
            levels: Vec::with_capacity(64),
            events: Vec::with_capacity(4),
            error: String::new(),
            predicted: (None, None),
        }
    }

    pub fn product(&self) -> &str {
        &self.product
    }

    /// One message (any field order; unknown fields skipped).
    #[inline]
    pub fn parse(&mut self, buf: &[u8]) -> Result<Frame, DepthError> {
        self.levels.clear();
        self.events.clear();
        let mut s = Scanner::new(buf);
        s.expect(b'{', "expected an object")?;
        let mut sequence = None;
        let mut channel: Option<&[u8]> = None;
        let mut msg_type: Option<&[u8]> = None;
        let mut events_at = None;
        let mut read_inline = false;
        if s.peek() != Some(b'}') {
            loop {
                let key = s.string()?;
                s.expect(b':', "expected ':'")?;
                match key {
                    b"channel" => channel = Some(s.string()?),
                    b"sequence_num" => sequence = Some(s.u64()?),
                    b"type" => msg_type = Some(s.string()?),
                    b"message" if msg_type == Some(b"error") || channel.is_none() => {
                        let m = s.string()?;
                        self.error = String::from_utf8_lossy(m).into_owned();
                    }
                    b"events" => {
                        // a repeated key: the last one counts, as ever
                        let at = s.position();
                        (events_at, read_inline) = (None, false);
                        self.levels.clear();
                        self.events.clear();
                        if channel == Some(L2_DATA.as_bytes()) && self.events_inline(&mut s) {
                            read_inline = true;
                        } else {
                            // read after the whole message: the channel is not known yet
                            events_at = Some(at);
                            s.set_position(at);
                            s.skip_value()?;
                        }
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
        if read_inline && (msg_type == Some(b"error") || channel != Some(L2_DATA.as_bytes())) {
            // not an l2_data message after all: nothing of it in the buffers, as ever
            self.levels.clear();
            self.events.clear();
        }
        if msg_type == Some(b"error") {
            return Ok(Frame {
                sequence,
                kind: Kind::Error,
            });
        }
        if channel != Some(L2_DATA.as_bytes()) {
            return Ok(Frame {
                sequence,
                kind: Kind::Other,
            });
        }
        if read_inline {
            return Ok(Frame {
                sequence,
                kind: Kind::L2,
            });
        }
        let at = events_at.ok_or(DepthError::Missing("events"))?;
        self.levels.clear();
        self.events.clear();
        let mut s = Scanner::new(buf);
        s.set_position(at);
        self.events_list(&mut s)?;
        Ok(Frame {
            sequence,
            kind: Kind::L2,
        })
    }

    /// The events read in the same pass as the rest of the message (the channel came first, as
    /// Coinbase sends it): `true` if they were read; `false` (buffers cleared) on any error, for
    /// the caller to skip them and read them again after the whole message, which gives the
    /// exact error in the same order as ever.
    #[inline]
    fn events_inline(&mut self, s: &mut Scanner<'_>) -> bool {
        if self.events_list(s).is_ok() {
            return true;
        }
        self.levels.clear();
        self.events.clear();
        false
    }

    fn events_list(&mut self, s: &mut Scanner<'_>) -> Result<(), DepthError> {
        s.expect(b'[', "expected a list of events")?;
        if s.peek() == Some(b']') {
            s.expect(b']', "")?;
            return Ok(());
        }
        loop {
            if self.events.len() >= MAX_EVENTS_PER_MESSAGE {
                return Err(DepthError::TooManyLevels {
                    max: MAX_EVENTS_PER_MESSAGE,
                });
            }
            self.event(s)?;
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    fn event(&mut self, s: &mut Scanner<'_>) -> Result<(), DepthError> {
        s.expect(b'{', "expected an event")?;
        let mut snapshot = None;
        let mut product: Option<&[u8]> = None;
        let start = self.levels.len();
        let mut updates = false;
        if s.peek() != Some(b'}') {
            loop {
                let key = s.string()?;
                s.expect(b':', "expected ':'")?;
                match key {
                    b"type" => {
                        snapshot = Some(match s.string()? {
                            b"snapshot" => true,
                            b"update" => false,
                            other => {
                                return Err(DepthError::UnknownEvent(
                                    String::from_utf8_lossy(other).into_owned(),
                                ));
                            }
                        })
                    }
                    b"product_id" => product = Some(s.string()?),
                    b"updates" => {
                        updates = true;
                        self.updates(s)?;
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
        let snapshot = snapshot.ok_or(DepthError::Missing("an event type"))?;
        let product = product.ok_or(DepthError::Missing("product_id"))?;
        if !updates {
            return Err(DepthError::Missing("updates"));
        }
        if product != self.product.as_bytes() {
            return Err(DepthError::WrongProduct {
                want: self.product.clone(),
                got: String::from_utf8_lossy(product).into_owned(),
            });
        }
        self.events.push(EventSpan {
            snapshot,
            start,
            end: self.levels.len(),
        });
        Ok(())
    }

    fn updates(&mut self, s: &mut Scanner<'_>) -> Result<(), DepthError> {
        s.expect(b'[', "expected a list of updates")?;
        if s.peek() == Some(b']') {
            s.expect(b']', "")?;
            return Ok(());
        }
        // the last event_time the fast reader found plain (Coinbase repeats one time per event)
        let mut plain_time: &[u8] = &[];
        let mut predicted = self.predicted;
        loop {
            let fast = update_fast(&self.price, &self.size, s, &mut plain_time, &mut predicted);
            let level = match fast {
                Some(l) => l,
                None => self.update_checked(s)?,
            };
            if self.levels.len() >= MAX_LEVELS_PER_MESSAGE {
                return Err(DepthError::TooManyLevels {
                    max: MAX_LEVELS_PER_MESSAGE,
                });
            }
            self.levels.push(level);
            if !s.next_or_close(b']')? {
                self.predicted = predicted;
                return Ok(());
            }
        }
    }

    fn update_checked(&self, s: &mut Scanner<'_>) -> Result<SidedLevel, DepthError> {
        s.expect(b'{', "expected an update")?;
        let (mut side, mut price, mut qty) = (None, None, None);
        if s.peek() != Some(b'}') {
            loop {
                let key = s.string()?;
                s.expect(b':', "expected ':'")?;
                match key {
                    b"side" => side = Some(s.string()?),
                    b"price_level" => price = Some(self.price.parse(s.string()?)?),
                    b"new_quantity" => qty = Some(self.size.parse(s.string()?)?),
                    _ => s.skip_value()?,
                }
                if !s.next_or_close(b'}')? {
                    break;
                }
            }
        } else {
            s.expect(b'}', "")?;
        }
        let bid = match side.ok_or(DepthError::Missing("side"))? {
            b"bid" => true,
            b"offer" | b"ask" => false,
            other => {
                return Err(DepthError::UnknownSide(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        };
        Ok((
            bid,
            Level {
                ticks: price.ok_or(DepthError::Missing("price_level"))?,
                lots: qty.ok_or(DepthError::Missing("new_quantity"))?,
            },
        ))
    }
}

/// `{"side":"bid"|"offer","event_time":"…","price_level":"…","new_quantity":"…"}` exactly, read
/// in one pass; `None` (cursor unmoved) for any other layout. `plain_time` is a time already
/// found plain in this message: a time with the same bytes (and its closing quote) is not
/// scanned again; any other is scanned and, if plain, becomes `plain_time`. Prices and sizes are
/// read in the shapes of the last ones (`predicted`) when they have them, else searched.
#[inline(always)]
fn update_fast<'a>(
    price: &Grid,
    size: &Grid,
    s: &mut Scanner<'a>,
    plain_time: &mut &'a [u8],
    predicted: &mut (Option<ShapeGuess>, Option<ShapeGuess>),
) -> Option<SidedLevel> {
    let buf = s.input();
    let i = lit(buf, s.position(), b"{\"side\":\"")?;
    let (bid, i) = match buf.get(i)? {
        b'b' => (true, lit(buf, i, b"bid\"")?),
        b'o' => (false, lit(buf, i, b"offer\"")?),
        _ => return None,
    };
    // the time is not read: a string without escapes or control characters, as the
    // general reader requires
    let i = lit(buf, i, b",\"event_time\":\"")?;
    let end = i + plain_time.len();
    let i = if same_bytes_at(buf, i, plain_time) && buf.get(end) == Some(&b'"') {
        end
    } else {
        let end = plain_string_end(buf, i)?;
        *plain_time = buf.get(i..end)?;
        end
    };
    let i = lit(buf, i + 1, b",\"price_level\":\"")?;
    let (ticks, i) = price.parse_ended_guessed(buf, i, b'"', &mut predicted.0)?;
    let i = lit(buf, i, b",\"new_quantity\":\"")?;
    let (lots, i) = size.parse_ended_guessed(buf, i, b'"', &mut predicted.1)?;
    let i = lit(buf, i, b"}")?;
    s.set_position(i);
    Some((bid, Level { ticks, lots }))
}

/// What a message did to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Levels changed.
    Applied,
    /// A snapshot replaced the book: it is synced.
    Synced,
    /// A duplicate or late message, dropped.
    Stale,
    /// Nothing for the book (a heartbeat, an ack, an update before the snapshot).
    Nothing,
    /// Messages were lost: the book is reset until a new snapshot.
    Gap { expected: u64, got: u64 },
    /// An error message from the venue (its text in the parser).
    VenueError,
    /// The book grew over its size limit: reset.
    TooLarge,
}

/// A book kept by the level2 rule, with the connection's last sequence number.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub book: OrderBook,
    pub parser: DepthParser,
    last_sequence: Option<u64>,
    synced: bool,
}

impl SyncedBook {
    pub fn new(product: &str, price: Grid, size: Grid) -> Self {
        Self {
            book: OrderBook::new(price, size),
            parser: DepthParser::new(product, price, size),
            last_sequence: None,
            synced: false,
        }
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// The connection's last sequence number seen.
    pub fn last_sequence(&self) -> Option<u64> {
        self.last_sequence
    }

    /// Forgets the book (until the next snapshot); the sequence is kept (same connection).
    pub fn reset(&mut self) {
        self.book.clear();
        self.synced = false;
    }

    /// A new connection: its sequence numbers start over.
    pub fn new_connection(&mut self) {
        self.reset();
        self.last_sequence = None;
    }

    /// A rebuilt book on the same connection continues its sequence.
    pub fn continue_sequence(&mut self, last: Option<u64>) {
        self.last_sequence = last;
    }

    /// One message of the connection, by the rule above. An error leaves the book reset.
    #[inline]
    pub fn on_message(&mut self, buf: &[u8]) -> Result<Outcome, DepthError> {
        let frame = match self.parser.parse(buf) {
            Ok(f) => f,
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        if let Some(seq) = frame.sequence {
            match self.last_sequence {
                Some(last) if seq <= last => return Ok(Outcome::Stale),
                Some(last) if seq > last + 1 => {
                    self.last_sequence = Some(seq);
                    self.reset();
                    return Ok(Outcome::Gap {
                        expected: last + 1,
                        got: seq,
                    });
                }
                _ => self.last_sequence = Some(seq),
            }
        }
        match frame.kind {
            Kind::Other => Ok(Outcome::Nothing),
            Kind::Error => Ok(Outcome::VenueError),
            Kind::L2 => self.apply_events(),
        }
    }

    fn apply_events(&mut self) -> Result<Outcome, DepthError> {
        let mut outcome = Outcome::Nothing;
        for i in 0..self.parser.events.len() {
            let ev = self.parser.events[i];
            if ev.snapshot {
                self.book.clear();
                self.synced = true;
                outcome = Outcome::Synced;
            } else if !self.synced {
                continue;
            } else if outcome == Outcome::Nothing {
                outcome = Outcome::Applied;
            }
            for &(bid, l) in &self.parser.levels[ev.start..ev.end] {
                if bid {
                    self.book.bids.set(l.ticks, l.lots);
                } else {
                    self.book.asks.set(l.ticks, l.lots);
                }
            }
        }
        if self.over_limit() {
            self.reset();
            return Ok(Outcome::TooLarge);
        }
        Ok(outcome)
    }

    fn over_limit(&self) -> bool {
        let over = |levels: usize, chunks: usize| {
            levels > MAX_BOOK_LEVELS_PER_SIDE || chunks > MAX_BOOK_CHUNKS_PER_SIDE
        };
        over(self.book.bids.len(), self.book.bids.chunk_count())
            || over(self.book.asks.len(), self.book.asks.chunk_count())
    }
}

#[cfg(test)]
mod tests;
