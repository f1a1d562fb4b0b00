//! The KuCoin book kept in sync by the documented sequence rule (see `depth.rs`): the parser,
//! the book, the local sequence and the buffer of pushes that wait for a snapshot.

use std::collections::VecDeque;

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::Grid;

use super::depth::{
    Changes, DepthError, DepthParser, Frame, MAX_BOOK_LEVELS_PER_SIDE, MAX_BUFFERED, UpdateIds,
};

/// What happened to one push.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateOutcome {
    Applied,
    /// Older than the book (`sequenceEnd <= local`): a duplicate or a late message, dropped.
    Stale,
    /// No snapshot yet: kept until one arrives.
    Buffered,
    /// A push is missing between the book and this one: the book was reset.
    Gap {
        expected: u64,
        got: u64,
    },
    /// The book grew over its bounds: it was reset.
    TooLarge {
        side: &'static str,
        levels: usize,
    },
}

/// What applying a snapshot found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotOutcome {
    Synced {
        sequence: u64,
    },
    /// Older than the buffered pushes (`sequence + 1 < sequenceStart` of the first).
    TooOld {
        sequence: u64,
        first_buffered: u64,
    },
    /// The buffered pushes do not connect: start over.
    Gap {
        expected: u64,
        got: u64,
    },
}

#[derive(Debug, Clone)]
struct Buffered {
    ids: UpdateIds,
    bids: Changes,
    asks: Changes,
}

/// A KuCoin book kept in sync.
#[derive(Debug, Clone)]
pub struct SyncedBook {
    pub parser: DepthParser,
    pub book: OrderBook,
    /// `Some(seq)` once synced: the `sequenceEnd` last applied (or the snapshot's `sequence`).
    last: Option<u64>,
    buffer: VecDeque<Buffered>,
    scratch: Vec<Level>,
}

impl SyncedBook {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            parser: DepthParser::new(symbol, price, size),
            book: OrderBook::new(price, size),
            last: None,
            buffer: VecDeque::new(),
            scratch: Vec::with_capacity(64),
        }
    }

    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    pub fn sequence(&self) -> Option<u64> {
        self.last
    }

    /// Forgets the book and starts buffering for a new snapshot.
    pub fn reset(&mut self) {
        self.last = None;
        self.buffer.clear();
        self.book.clear();
    }

    /// One websocket frame: raw bytes → parser → book. `Ok(None)` for a frame that is not a push.
    #[inline]
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<Option<UpdateOutcome>, DepthError> {
        match self.parser.parse_frame(frame)? {
            Frame::Update(ids) => Ok(Some(self.on_parsed(ids))),
            _ => Ok(None),
        }
    }

    /// Applies the push in the parser's buffers.
    #[inline]
    pub fn on_parsed(&mut self, ids: UpdateIds) -> UpdateOutcome {
        let bids = std::mem::take(&mut self.parser.bids);
        let asks = std::mem::take(&mut self.parser.asks);
        let out = self.on_changes(ids, &bids, &asks);
        self.parser.bids = bids;
        self.parser.asks = asks;
        out
    }

    /// Applies a push given as its range and changes.
    #[inline]
    pub fn on_changes(&mut self, ids: UpdateIds, bids: &Changes, asks: &Changes) -> UpdateOutcome {
        let Some(local) = self.last else {
            if self.buffer.len() >= MAX_BUFFERED {
                self.buffer.pop_front();
            }
            self.buffer.push_back(Buffered {
                ids,
                bids: bids.clone(),
                asks: asks.clone(),
            });
            return UpdateOutcome::Buffered;
        };
        if ids.last <= local {
            return UpdateOutcome::Stale;
        }
        let expected = local.saturating_add(1);
        if ids.first > expected {
            self.reset();
            return UpdateOutcome::Gap {
                expected,
                got: ids.first,
            };
        }
        if let Err(DepthError::BookTooLarge { side, levels }) = self.apply(local, bids, asks) {
            self.reset();
            return UpdateOutcome::TooLarge { side, levels };
        }
        self.last = Some(ids.last);
        UpdateOutcome::Applied
    }

    /// Applies the changes above sequence `local` (price-0 changes only move the sequence).
    #[inline]
    fn apply(&mut self, local: u64, bids: &Changes, asks: &Changes) -> Result<(), DepthError> {
        apply_side(&mut self.book, true, local, bids, &mut self.scratch);
        apply_side(&mut self.book, false, local, asks, &mut self.scratch);
        let (b, a) = (self.book.bids.len(), self.book.asks.len());
        if b > MAX_BOOK_LEVELS_PER_SIDE {
            return Err(DepthError::BookTooLarge {
                side: "bid",
                levels: b,
            });
        }
        if a > MAX_BOOK_LEVELS_PER_SIDE {
            return Err(DepthError::BookTooLarge {
                side: "ask",
                levels: a,
            });
        }
        Ok(())
    }

    /// Applies a REST snapshot (raw bytes), then the buffered pushes that follow it.
    pub fn on_snapshot(&mut self, body: &[u8]) -> Result<SnapshotOutcome, DepthError> {
        let sequence = self.parser.parse_snapshot(body)?;
        let next = sequence.saturating_add(1);
        if let Some(first) = self.buffer.front()
            && next < first.ids.first
        {
            return Ok(SnapshotOutcome::TooOld {
                sequence,
                first_buffered: first.ids.first,
            });
        }
        self.book.clear();
        let (bids, asks) = (
            std::mem::take(&mut self.parser.bids),
            std::mem::take(&mut self.parser.asks),
        );
        self.book.bids.set_all(&bids.levels);
        self.book.asks.set_all(&asks.levels);
        self.parser.bids = bids;
        self.parser.asks = asks;
        let mut local = sequence;
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
            if let Err(e) = self.apply(local, &d.bids, &d.asks) {
                self.reset();
                return Err(e);
            }
            local = d.ids.last;
        }
        self.last = Some(local);
        Ok(SnapshotOutcome::Synced { sequence: local })
    }
}

#[inline]
fn apply_side(book: &mut OrderBook, bid: bool, local: u64, c: &Changes, scratch: &mut Vec<Level>) {
    let all_new = c.seqs.iter().all(|s| *s > local);
    let no_zero_price = c.levels.iter().all(|l| l.ticks != 0);
    let levels: &[Level] = if all_new && no_zero_price {
        &c.levels
    } else {
        scratch.clear();
        scratch.extend(
            c.levels
                .iter()
                .zip(&c.seqs)
                .filter(|(l, s)| **s > local && l.ticks != 0)
                .map(|(l, _)| *l),
        );
        scratch
    };
    if bid {
        book.bids.set_all(levels);
    } else {
        book.asks.set_all(levels);
    }
}

#[cfg(test)]
mod tests;
