//! dYdX v4's `v4_orderbook` channel for one market, kept on integer ticks, under the indexer's
//! ordering rule (the `socks` service):
//!
//! 1. `connected` opens a connection with `message_id` 0; every message socks then sends on the
//!    connection carries the connection's counter, raised by one per message (`subscribed`,
//!    `unsubscribed`, `channel_data`, `channel_batch_data`); an `error` carries the counter
//!    unchanged;
//! 2. `subscribed` answers the subscription with the whole book (`{price,size}` objects, the
//!    indexer's `GET /v4/orderbooks/perpetualMarket/{ticker}`): the book is replaced, synced at
//!    that `message_id`;
//! 3. each later message must carry the last id + 1: `channel_data` (`contents` with optional
//!    `bids` / `asks` as `[price,size]` pairs, size `"0"` removing the level) or
//!    `channel_batch_data` (`contents` a list of those, applied in order); an id at or below the
//!    last is a duplicate and is ignored; a larger one means a lost message: the book is reset and
//!    must be resubscribed (a fresh `subscribed`);
//! 4. data before a `subscribed` is not used (the book waits for one).
//!
//! v4 does not guarantee an uncrossed book (no central order book; each block proposer has its
//! own). dYdX documents how to uncross it ("How to uncross the orderbook"): each level is stamped
//! with the `message_id` that set it; while the best bid is at or above the best ask, the level
//! with the older stamp goes, and with equal stamps the smaller size is netted off the larger.
//! The book is kept uncrossed that way after every message (switch it off with
//! [`IndexerBook::set_uncross`]): then a crossing can only involve levels of the message just
//! applied, so the stamps needed are "set by this message" or "older".

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels accepted in one message, per side (a snapshot of a deep market included).
pub const MAX_LEVELS_PER_MESSAGE: usize = 20_000;
/// Levels a book side may hold.
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 20_000;
/// Updates accepted in one `channel_batch_data`.
pub const MAX_BATCH: usize = 10_000;

/// The channel's name.
pub const CHANNEL: &str = "v4_orderbook";

/// Why a message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexerBookError {
    #[error("dYdX indexer book: {0}")]
    Json(#[from] ScanError),
    #[error("dYdX indexer book: bad level: {0}")]
    Level(#[from] GridError),
    #[error("dYdX indexer book: message is missing {0}")]
    Missing(&'static str),
    #[error("dYdX indexer book: a message of {got:?} on the {want} book")]
    WrongMarket { want: String, got: String },
    #[error("dYdX indexer book: unknown message type {0:?}")]
    UnknownType(String),
    #[error("dYdX indexer book: the indexer reported an error: {0}")]
    Venue(String),
    #[error("dYdX indexer book: a message has more than {max} levels on one side")]
    TooManyLevels { max: usize },
    #[error("dYdX indexer book: a batch has more than {max} updates")]
    BatchTooLarge { max: usize },
    #[error("dYdX indexer book: the {side} side holds {levels} levels, over the limit")]
    BookTooLarge { side: &'static str, levels: usize },
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    /// `subscribed`: the book was replaced, synced at this message id.
    Snapshot { message_id: u64 },
    /// An update applied.
    Applied,
    /// A message id already seen on this connection: ignored.
    Stale,
    /// Book data while no snapshot is held: ignored.
    Unsynced,
    /// A message id skipped: a message was lost; the book was reset.
    Gap { expected: u64, got: u64 },
    /// `connected`, `unsubscribed`, another channel's message: no book change.
    Control,
}

/// The kinds of message socks sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Connected,
    Subscribed,
    Unsubscribed,
    Data,
    Batch,
    Error,
    Pong,
}

/// What a frame says, its levels left in the book's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header {
    kind: Kind,
    message_id: Option<u64>,
    /// The message is of the book's channel and market.
    ours: bool,
}

/// One market's book under the indexer's rule.
#[derive(Debug, Clone)]
pub struct IndexerBook {
    ticker: String,
    pub book: OrderBook,
    /// The last message id of this connection; `None` before `connected` or a snapshot.
    last_message: Option<u64>,
    synced: bool,
    uncross: bool,
    /// Levels removed or netted by the uncrossing rule so far.
    uncrossed: u64,
    /// The last message's levels (parse buffers, reused).
    bids: Vec<Level>,
    asks: Vec<Level>,
    /// The venue's error text of the last `error` message.
    error: String,
}

impl IndexerBook {
    /// The book of `ticker` (`BTC-USD`) on the market's tick and step grids.
    pub fn new(ticker: &str, price: Grid, size: Grid) -> Self {
        Self {
            ticker: ticker.to_string(),
            book: OrderBook::new(price, size),
            last_message: None,
            synced: false,
            uncross: true,
            uncrossed: 0,
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
            error: String::new(),
        }
    }

    pub fn ticker(&self) -> &str {
        &self.ticker
    }

    /// Keeps the book uncrossed by dYdX's documented rule (on by default).
    pub fn set_uncross(&mut self, on: bool) {
        self.uncross = on;
    }

    /// Whether the book is kept uncrossed.
    pub fn uncrosses(&self) -> bool {
        self.uncross
    }

    /// Levels removed or netted by the uncrossing rule so far.
    pub fn uncrossed_levels(&self) -> u64 {
        self.uncrossed
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// The message id the book is at, when synced.
    pub fn last_update_id(&self) -> Option<u64> {
        self.last_message.filter(|_| self.synced)
    }

    /// Forgets the book (the connection's message id too): not synced until a `subscribed`.
    pub fn reset(&mut self) {
        self.book.clear();
        self.synced = false;
        self.last_message = None;
    }

    /// `{"type":"subscribe","channel":"v4_orderbook","id":<ticker>}` (unbatched: every update
    /// as it comes).
    pub fn subscribe_message(&self) -> String {
        serde_json::json!({"type": "subscribe", "channel": CHANNEL, "id": self.ticker}).to_string()
    }

    /// `{"type":"unsubscribe","channel":"v4_orderbook","id":<ticker>}`.
    pub fn unsubscribe_message(&self) -> String {
        serde_json::json!({"type": "unsubscribe", "channel": CHANNEL, "id": self.ticker})
            .to_string()
    }

    /// One websocket frame: parse, check the message id, apply. The hot path.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<BookOutcome, IndexerBookError> {
        let h = self.parse(frame)?;
        match h.kind {
            Kind::Connected => {
                // a new connection: its counter starts at 0, the book waits for `subscribed`
                self.reset();
                self.last_message = Some(h.message_id.unwrap_or(0));
                return Ok(BookOutcome::Control);
            }
            Kind::Error => {
                return Err(IndexerBookError::Venue(std::mem::take(&mut self.error)));
            }
            Kind::Pong => return Ok(BookOutcome::Control),
            _ => {}
        }
        let id = h
            .message_id
            .ok_or(IndexerBookError::Missing("message_id"))?;
        if h.kind == Kind::Subscribed && h.ours {
            self.book.clear();
            self.apply_current()?;
            self.last_message = Some(id);
            self.synced = true;
            return Ok(BookOutcome::Snapshot { message_id: id });
        }
        if !self.synced {
            self.last_message = Some(id);
            return Ok(if h.ours && matches!(h.kind, Kind::Data | Kind::Batch) {
                BookOutcome::Unsynced
            } else {
                BookOutcome::Control
            });
        }
        let last = self.last_message.unwrap_or(0);
        if id <= last {
            return Ok(BookOutcome::Stale);
        }
        let expected = last.saturating_add(1);
        if id != expected {
            self.reset();
            self.last_message = Some(id);
            return Ok(BookOutcome::Gap { expected, got: id });
        }
        self.last_message = Some(id);
        if !h.ours || !matches!(h.kind, Kind::Data | Kind::Batch) {
            return Ok(BookOutcome::Control);
        }
        self.apply_current()?;
        Ok(BookOutcome::Applied)
    }

    /// A REST body of `GET /v4/orderbooks/perpetualMarket/{ticker}` (`{"bids":[{price,size}],
    /// "asks":[…]}`) as the whole book: a one-off book, not synced to any stream.
    pub fn load_rest_snapshot(&mut self, body: &[u8]) -> Result<(), IndexerBookError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        bids.clear();
        asks.clear();
        let mut s = Scanner::new(body);
        let r = self
            .contents(&mut s, &mut bids, &mut asks)
            .and_then(|()| Ok(s.finish()?));
        self.bids = bids;
        self.asks = asks;
        r?;
        self.book.clear();
        self.apply_current()
    }

    /// Sets the buffered levels, then uncrosses; a side over its limit resets the book.
    fn apply_current(&mut self) -> Result<(), IndexerBookError> {
        self.book.bids.set_all(&self.bids);
        self.book.asks.set_all(&self.asks);
        let (b, a) = (self.book.bids.len(), self.book.asks.len());
        if b > MAX_BOOK_LEVELS_PER_SIDE || a > MAX_BOOK_LEVELS_PER_SIDE {
            self.reset();
            let (side, levels) = if b > a { ("bid", b) } else { ("ask", a) };
            return Err(IndexerBookError::BookTooLarge { side, levels });
        }
        if self.uncross
            && let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask())
            && bid.ticks >= ask.ticks
        {
            self.uncross_now();
        }
        Ok(())
    }

    /// dYdX's uncrossing rule over the crossed top of the book (cold: the book crossed).
    #[cold]
    fn uncross_now(&mut self) {
        let newest = |levels: &[Level], ticks: u64| levels.iter().any(|l| l.ticks == ticks);
        while let (Some(bid), Some(ask)) = (self.book.best_bid(), self.book.best_ask()) {
            if bid.ticks < ask.ticks {
                break;
            }
            self.uncrossed += 1;
            let bid_new = newest(&self.bids, bid.ticks);
            let ask_new = newest(&self.asks, ask.ticks);
            match (bid_new, ask_new) {
                // the older level goes
                (false, true) => self.book.bids.set(bid.ticks, 0),
                (true, false) => self.book.asks.set(ask.ticks, 0),
                // the same stamp: the smaller size is netted off the larger
                _ => {
                    let net = bid.lots.min(ask.lots);
                    self.book.bids.set(bid.ticks, bid.lots - net);
                    self.book.asks.set(ask.ticks, ask.lots - net);
                }
            }
        }
    }

    /// Parses a frame into its header and the level buffers.
    fn parse(&mut self, frame: &[u8]) -> Result<Header, IndexerBookError> {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        bids.clear();
        asks.clear();
        let r = self.parse_into(frame, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_into(
        &mut self,
        buf: &[u8],
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<Header, IndexerBookError> {
        let mut s = Scanner::new(buf);
        let (mut kind, mut message_id, mut channel, mut market, mut message) =
            (None, None, false, None, None);
        let mut contents = false;
        s.expect(b'{', "expected an object")?;
        if s.peek() == Some(b'}') {
            return Err(IndexerBookError::Missing("type"));
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"type" => kind = Some(Self::kind(s.string()?)?),
                b"message_id" => message_id = Some(s.u64()?),
                b"channel" => channel = s.string()? == CHANNEL.as_bytes(),
                // the market; a pong's `id` is a number, not a market
                b"id" if s.peek() == Some(b'"') => market = Some(s.string()?),
                b"contents" => {
                    contents = true;
                    match s.peek() {
                        Some(b'[') => self.batch(&mut s, bids, asks)?,
                        _ => self.contents(&mut s, bids, asks)?,
                    }
                }
                b"message" if s.peek() == Some(b'"') => message = Some(s.string()?),
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        let kind = kind.ok_or(IndexerBookError::Missing("type"))?;
        if kind == Kind::Error {
            self.error =
                message.map_or_else(String::new, |m| String::from_utf8_lossy(m).into_owned());
        }
        let ours = market == Some(self.ticker.as_bytes());
        if channel && matches!(kind, Kind::Subscribed | Kind::Data | Kind::Batch) {
            match market {
                None => return Err(IndexerBookError::Missing("id")),
                Some(m) if !ours => {
                    return Err(IndexerBookError::WrongMarket {
                        want: self.ticker.clone(),
                        got: String::from_utf8_lossy(m).into_owned(),
                    });
                }
                Some(_) => {}
            }
            if !contents {
                return Err(IndexerBookError::Missing("contents"));
            }
        }
        Ok(Header {
            kind,
            message_id,
            ours: channel && ours,
        })
    }

    fn kind(t: &[u8]) -> Result<Kind, IndexerBookError> {
        Ok(match t {
            b"channel_data" => Kind::Data,
            b"channel_batch_data" => Kind::Batch,
            b"subscribed" => Kind::Subscribed,
            b"unsubscribed" => Kind::Unsubscribed,
            b"connected" => Kind::Connected,
            b"error" => Kind::Error,
            b"pong" => Kind::Pong,
            other => {
                return Err(IndexerBookError::UnknownType(
                    String::from_utf8_lossy(other).into_owned(),
                ));
            }
        })
    }

    /// `channel_batch_data`'s `contents`: a list of update contents, in order.
    fn batch(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<(), IndexerBookError> {
        s.expect(b'[', "expected a list of updates")?;
        if s.peek() == Some(b']') {
            return Ok(s.expect(b']', "")?);
        }
        let mut n = 0;
        loop {
            n += 1;
            if n > MAX_BATCH {
                return Err(IndexerBookError::BatchTooLarge { max: MAX_BATCH });
            }
            self.contents(s, bids, asks)?;
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// One `contents` object: optional `bids` and `asks`, unknown keys skipped.
    fn contents(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Vec<Level>,
        asks: &mut Vec<Level>,
    ) -> Result<(), IndexerBookError> {
        s.expect(b'{', "expected the contents object")?;
        if s.peek() == Some(b'}') {
            return Ok(s.expect(b'}', "")?);
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"bids" => self.levels(s, bids)?,
                b"asks" => self.levels(s, asks)?,
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }

    /// A list of levels, `["price","size"]` pairs or `{"price","size"}` objects, appended.
    fn levels(&self, s: &mut Scanner<'_>, out: &mut Vec<Level>) -> Result<(), IndexerBookError> {
        s.expect(b'[', "expected a list of levels")?;
        if s.peek() == Some(b']') {
            return Ok(s.expect(b']', "")?);
        }
        let (price, size) = (&self.book.price_grid, &self.book.size_grid);
        let start = out.len();
        loop {
            if out.len() - start >= MAX_LEVELS_PER_MESSAGE {
                return Err(IndexerBookError::TooManyLevels {
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
                None => out.push(self.level(s)?),
            }
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// One level in either shape, read by the checked reader.
    fn level(&self, s: &mut Scanner<'_>) -> Result<Level, IndexerBookError> {
        let (price, size) = (&self.book.price_grid, &self.book.size_grid);
        let (p, q) = match s.peek() {
            Some(b'[') => {
                s.expect(b'[', "")?;
                let p = s.string()?;
                s.expect(b',', "expected ',' in a level")?;
                let q = s.string()?;
                s.expect(b']', "expected ']' after a level")?;
                (p, q)
            }
            Some(b'{') => {
                s.expect(b'{', "")?;
                let (mut p, mut q) = (None, None);
                if s.peek() != Some(b'}') {
                    loop {
                        let key = s.string()?;
                        s.expect(b':', "expected ':'")?;
                        match key {
                            b"price" => p = Some(s.string()?),
                            b"size" => q = Some(s.string()?),
                            _ => s.skip_value()?,
                        }
                        if !s.next_or_close(b'}')? {
                            break;
                        }
                    }
                } else {
                    s.expect(b'}', "")?;
                }
                (
                    p.ok_or(IndexerBookError::Missing("price"))?,
                    q.ok_or(IndexerBookError::Missing("size"))?,
                )
            }
            _ => return Err(s.error("expected a level").into()),
        };
        Ok(Level {
            ticks: price.parse(p)?,
            lots: size.parse(q)?,
        })
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
