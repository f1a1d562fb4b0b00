//! KuCoin spot depth: the `/market/level2:{symbol}` push (`trade.l2update`) and the REST snapshot
//! (`/api/v1/market/orderbook/level2_100`, or the signed `/api/v3/market/orderbook/level2`) read
//! from raw bytes straight into integer ticks and lots, and KuCoin's documented rule that keeps a
//! local book in sync with them:
//!
//! 1. buffer the pushes while the snapshot is fetched; its `sequence` is the local sequence;
//! 2. if the first buffered push starts after `sequence + 1` (`sequenceStart > sequence + 1`),
//!    the snapshot is too old: fetch another;
//! 3. drop pushes with `sequenceEnd <= local` (stale or duplicated); in a push, apply only the
//!    changes whose own sequence (the third element of `[price, size, sequence]`) is above the
//!    local one, then the local sequence is `sequenceEnd`;
//! 4. a push starting after `local + 1` is a gap: the book is reset and resynced;
//! 5. sizes are absolute: size `0` removes the level; a change at price `0` only moves the
//!    sequence (KuCoin's docs: "if the price is 0, ignore the message and update the sequence").
//!
//! Bounds as for every book: at most [`MAX_LEVELS_PER_MESSAGE`] levels per side of a message,
//! [`MAX_BOOK_LEVELS_PER_SIDE`] per side of the book, and a bounded buffer.
//!
//! A push in KuCoin's exact byte layout is read by the fast path (`layout.rs`); anything else by
//! the general scanner here, which gives the same answer on what the fast path reads.

mod layout;

use crate::cex::book::Level;
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels one side of one message may hold.
pub const MAX_LEVELS_PER_MESSAGE: usize = 5_000;
/// Levels one side of a live book may hold.
pub const MAX_BOOK_LEVELS_PER_SIDE: usize = 5_000;
/// Pushes kept while a snapshot is fetched (the oldest dropped beyond).
pub const MAX_BUFFERED: usize = 10_000;

/// The subject of a depth push.
pub const SUBJECT: &str = "trade.l2update";

/// Why a depth message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("bad level: {0}")]
    Level(#[from] GridError),
    #[error("depth message is missing field {0}")]
    Missing(&'static str),
    #[error("depth push for {got} on the {want} book")]
    WrongSymbol { want: String, got: String },
    #[error("depth push has sequenceStart {first} > sequenceEnd {last}")]
    BadRange { first: u64, last: u64 },
    #[error("bad sequence {0:?}")]
    BadSequence(String),
    #[error("depth message has more than {max} levels on one side")]
    TooManyLevels { max: usize },
    #[error("the {side} side of the book holds {levels} levels, over the limit")]
    BookTooLarge { side: &'static str, levels: usize },
    #[error("snapshot answer is an error: {0}")]
    Refused(String),
}

impl From<DepthError> for crate::cex::error::CexError {
    fn from(e: DepthError) -> Self {
        crate::cex::error::CexError::decode("KuCoin depth message", e)
    }
}

/// The sequence range of a parsed push; its changes are in the parser's buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateIds {
    pub first: u64,
    pub last: u64,
}

/// What one websocket frame of the public connection is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A depth push (changes in the parser's buffers).
    Update(UpdateIds),
    /// An `error` frame: its text.
    Error(String),
    /// Anything else: `welcome`, `ack`, `pong`.
    Other,
}

/// One side's changes: levels and the sequence of each.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub levels: Vec<Level>,
    pub seqs: Vec<u64>,
}

impl Changes {
    fn clear(&mut self) {
        self.levels.clear();
        self.seqs.clear();
    }
}

/// Parses depth messages into reusable buffers.
#[derive(Debug, Clone)]
pub struct DepthParser {
    price: Grid,
    size: Grid,
    symbol: String,
    layout: layout::Layout,
    pub bids: Changes,
    pub asks: Changes,
}

fn seq_of(raw: &[u8]) -> Result<u64, DepthError> {
    std::str::from_utf8(raw)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| DepthError::BadSequence(String::from_utf8_lossy(raw).into_owned()))
}

/// A sequence sent as a number or a numeric string.
fn seq_value(s: &mut Scanner<'_>) -> Result<u64, DepthError> {
    if s.peek() == Some(b'"') {
        seq_of(s.string()?)
    } else {
        Ok(s.u64()?)
    }
}

impl DepthParser {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            price,
            size,
            symbol: symbol.to_string(),
            layout: layout::Layout::new(symbol),
            bids: Changes::default(),
            asks: Changes::default(),
        }
    }

    pub fn symbol(&self) -> &str {
        &self.symbol
    }

    /// `[[price, size(, sequence)], …]`; without a sequence (a snapshot) the level's is 0.
    fn levels(&self, s: &mut Scanner<'_>, out: &mut Changes) -> Result<(), DepthError> {
        out.clear();
        s.expect(b'[', "expected a list of levels")?;
        if s.peek() == Some(b']') {
            s.expect(b']', "")?;
            return Ok(());
        }
        loop {
            s.expect(b'[', "expected a [price, size, sequence] level")?;
            let p = s.string()?;
            s.expect(b',', "expected ',' in a level")?;
            let q = s.string()?;
            let seq = if s.next_or_close(b']')? {
                let v = seq_value(s)?;
                s.expect(b']', "expected ']' after a level")?;
                v
            } else {
                0
            };
            if out.levels.len() >= MAX_LEVELS_PER_MESSAGE {
                return Err(DepthError::TooManyLevels {
                    max: MAX_LEVELS_PER_MESSAGE,
                });
            }
            // price 0: a change that only moves the sequence
            let ticks = if p == b"0" { 0 } else { self.price.parse(p)? };
            out.levels.push(Level {
                ticks,
                lots: self.size.parse(q)?,
            });
            out.seqs.push(seq);
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    /// One frame of the public connection (any field order; unknown fields skipped). A push
    /// leaves its changes in [`Self::bids`] and [`Self::asks`].
    #[inline]
    pub fn parse_frame(&mut self, buf: &[u8]) -> Result<Frame, DepthError> {
        self.with_buffers(|p, bids, asks| {
            match layout::read(&p.layout, &p.price, &p.size, buf, bids, asks) {
                Some(ids) => Ok(Frame::Update(ids)),
                None => p.parse_frame_into(buf, bids, asks),
            }
        })
    }

    /// [`Self::parse_frame`] by the general scanner only (what the fast path is held to).
    #[cfg(test)]
    fn parse_frame_general(&mut self, buf: &[u8]) -> Result<Frame, DepthError> {
        self.with_buffers(|p, bids, asks| p.parse_frame_into(buf, bids, asks))
    }

    /// Runs `parse` with the change buffers lent out of `self` (the parser reads its grids and
    /// symbol while it fills them).
    #[inline]
    fn with_buffers<R>(&mut self, parse: impl FnOnce(&Self, &mut Changes, &mut Changes) -> R) -> R {
        let mut bids = std::mem::take(&mut self.bids);
        let mut asks = std::mem::take(&mut self.asks);
        let r = parse(self, &mut bids, &mut asks);
        self.bids = bids;
        self.asks = asks;
        r
    }

    fn parse_frame_into(
        &self,
        buf: &[u8],
        bids: &mut Changes,
        asks: &mut Changes,
    ) -> Result<Frame, DepthError> {
        let mut s = Scanner::new(buf);
        let (mut kind_message, mut subject_ok, mut is_error) = (None, None, false);
        let mut data_at = None;
        let mut ids = None;
        let mut error = None;
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
                    let t = s.string()?;
                    kind_message = Some(t == b"message");
                    is_error = t == b"error";
                }
                b"subject" => subject_ok = Some(s.string()? == SUBJECT.as_bytes()),
                b"data" if kind_message == Some(true) && subject_ok == Some(true) => {
                    ids = Some(self.data(&mut s, bids, asks)?);
                }
                b"data" if s.peek() == Some(b'"') => {
                    error = Some(String::from_utf8_lossy(s.string()?).into_owned());
                }
                b"data" => {
                    data_at = Some(s.position());
                    s.skip_value()?;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        if is_error {
            return Ok(Frame::Error(error.unwrap_or_default()));
        }
        if kind_message != Some(true) || subject_ok != Some(true) {
            return Ok(Frame::Other);
        }
        if ids.is_none()
            && let Some(at) = data_at
        {
            let mut r = Scanner::new(buf);
            r.set_position(at);
            ids = Some(self.data(&mut r, bids, asks)?);
        }
        ids.map(Frame::Update).ok_or(DepthError::Missing("data"))
    }

    /// The `data` of a push: `symbol`, `sequenceStart`, `sequenceEnd`, `changes{asks,bids}`.
    fn data(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Changes,
        asks: &mut Changes,
    ) -> Result<UpdateIds, DepthError> {
        let (mut first, mut last, mut symbol_ok) = (None, None, false);
        bids.clear();
        asks.clear();
        s.expect(b'{', "expected the data object")?;
        if s.peek() == Some(b'}') {
            return Err(DepthError::Missing("sequenceStart"));
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"symbol" => {
                    let sym = s.string()?;
                    if sym != self.symbol.as_bytes() {
                        return Err(DepthError::WrongSymbol {
                            want: self.symbol.clone(),
                            got: String::from_utf8_lossy(sym).into_owned(),
                        });
                    }
                    symbol_ok = true;
                }
                b"sequenceStart" => first = Some(seq_value(s)?),
                b"sequenceEnd" => last = Some(seq_value(s)?),
                b"changes" => {
                    s.expect(b'{', "expected the changes object")?;
                    if s.peek() == Some(b'}') {
                        s.expect(b'}', "")?;
                    } else {
                        loop {
                            let k = s.string()?;
                            s.expect(b':', "expected ':'")?;
                            match k {
                                b"bids" => self.levels(s, bids)?,
                                b"asks" => self.levels(s, asks)?,
                                _ => s.skip_value()?,
                            }
                            if !s.next_or_close(b'}')? {
                                break;
                            }
                        }
                    }
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        if !symbol_ok {
            return Err(DepthError::Missing("symbol"));
        }
        let first = first.ok_or(DepthError::Missing("sequenceStart"))?;
        let last = last.ok_or(DepthError::Missing("sequenceEnd"))?;
        if first > last {
            return Err(DepthError::BadRange { first, last });
        }
        Ok(UpdateIds { first, last })
    }

    /// Parses a REST snapshot (`{"code":"200000","data":{"sequence":"…","bids":[…],"asks":[…]}}`)
    /// into the buffers and returns its `sequence`. A non-success `code` is refused.
    pub fn parse_snapshot(&mut self, buf: &[u8]) -> Result<u64, DepthError> {
        self.with_buffers(|p, bids, asks| p.parse_snapshot_into(buf, bids, asks))
    }

    fn parse_snapshot_into(
        &self,
        buf: &[u8],
        bids: &mut Changes,
        asks: &mut Changes,
    ) -> Result<u64, DepthError> {
        let mut s = Scanner::new(buf);
        let mut seq = None;
        let mut code_ok = false;
        s.expect(b'{', "expected an object")?;
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"code" => {
                    let c = s.string()?;
                    if c != b"200000" {
                        return Err(DepthError::Refused(String::from_utf8_lossy(c).into()));
                    }
                    code_ok = true;
                }
                b"data" => seq = Some(self.snapshot_data(&mut s, bids, asks)?),
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        if !code_ok {
            return Err(DepthError::Missing("code"));
        }
        seq.ok_or(DepthError::Missing("data"))
    }

    fn snapshot_data(
        &self,
        s: &mut Scanner<'_>,
        bids: &mut Changes,
        asks: &mut Changes,
    ) -> Result<u64, DepthError> {
        let mut seq = None;
        let (mut has_b, mut has_a) = (false, false);
        s.expect(b'{', "expected the data object")?;
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"sequence" => seq = Some(seq_value(s)?),
                b"bids" => {
                    self.levels(s, bids)?;
                    has_b = true;
                }
                b"asks" => {
                    self.levels(s, asks)?;
                    has_a = true;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        if !has_b {
            return Err(DepthError::Missing("bids"));
        }
        if !has_a {
            return Err(DepthError::Missing("asks"));
        }
        seq.ok_or(DepthError::Missing("sequence"))
    }
}
