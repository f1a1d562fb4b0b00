//! The USDⓈ-M futures depth stream `<symbol>@depth@100ms` and its continuity rule, on top of
//! Binance spot's parser and book ([`SyncedBook`]: the same level format, the same size limits):
//!
//! 1. buffer events while the snapshot (`GET /fapi/v1/depth`) is fetched;
//! 2. drop events with `u < lastUpdateId`;
//! 3. the first event applied after the snapshot has `U <= lastUpdateId <= u` (Binance's rule);
//!    an event starting right after the snapshot (`U == lastUpdateId + 1`) continues it too — the
//!    only way a book that was quiet while the snapshot was taken can sync; a later `U` means the
//!    snapshot is too old (fetch another);
//! 4. from then on each event's `pu` must equal the previous event's `u`: an event with
//!    `u <= local` is a duplicate or late (ignored), any other break is a gap (resync).
//!
//! Futures update ids are not contiguous between events (`U` need not be the previous `u + 1`):
//! `pu` is the link. The spot book below is told each accepted event as continuing its own id, so
//! its rule never refuses what this one accepted.

use std::collections::VecDeque;

use crate::cex::book::{Level, OrderBook};
use crate::cex::exchanges::binance::depth::{
    DepthError, DiffHeader, DiffOutcome, MAX_BUFFERED_DIFFS, MAX_BUFFERED_LEVELS, SnapshotOutcome,
    SyncedBook,
};
use crate::cex::grid::Grid;
use crate::cex::json_scan::Scanner;

/// One futures depth event's ids: `U`, `u` and `pu`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerpHeader {
    pub first_update_id: u64,
    pub final_update_id: u64,
    /// `pu`: the final update id of the exchange's previous event of this symbol.
    pub prev_final_update_id: u64,
    pub event_time: u64,
}

// What an event or a snapshot did: spot's outcomes, which say the same for this rule
// (`Gap` is a `pu` that does not continue the book; `TooOld` a snapshot older than the buffered
// events).

#[derive(Debug, Clone)]
struct Buffered {
    header: PerpHeader,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// Where the book stands after a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    /// Buffering for a snapshot.
    Unsynced,
    /// Snapshot at this id applied; the first event must straddle it.
    AfterSnapshot(u64),
    /// Chained: the next event's `pu` must be this `u`.
    Live(u64),
}

/// A futures book kept in sync by the `pu` rule.
#[derive(Debug, Clone)]
pub struct PerpBook {
    /// Spot's parser and book, reused as they are.
    pub inner: SyncedBook,
    sync: Sync,
    buffer: VecDeque<Buffered>,
    buffered_levels: usize,
}

/// `pu` of an event (top level, or inside a combined stream's `data`).
pub fn prev_final_update_id(buf: &[u8]) -> Result<u64, DepthError> {
    let mut s = Scanner::new(buf);
    s.expect(b'{', "expected an object")?;
    if s.peek() == Some(b'}') {
        return Err(DepthError::Missing("pu"));
    }
    loop {
        let key = s.string()?;
        s.expect(b':', "expected ':'")?;
        match key {
            b"pu" => return Ok(s.u64()?),
            b"data" if s.peek() == Some(b'{') => {
                let start = s.position();
                s.skip_value()?;
                return prev_final_update_id(&buf[start..s.position()]);
            }
            _ => s.skip_value()?,
        }
        if !s.next_or_close(b'}')? {
            return Err(DepthError::Missing("pu"));
        }
    }
}

impl PerpBook {
    pub fn new(symbol: &str, price: Grid, size: Grid) -> Self {
        Self {
            inner: SyncedBook::new(symbol, price, size),
            sync: Sync::Unsynced,
            buffer: VecDeque::new(),
            buffered_levels: 0,
        }
    }

    pub fn symbol(&self) -> &str {
        self.inner.parser.symbol()
    }

    pub fn book(&self) -> &OrderBook {
        &self.inner.book
    }

    /// Synced once the first event after the snapshot is in (or the snapshot alone, until then).
    pub fn is_synced(&self) -> bool {
        self.sync != Sync::Unsynced
    }

    /// The `u` of the last event applied (or the snapshot's id).
    pub fn last_update_id(&self) -> Option<u64> {
        match self.sync {
            Sync::Unsynced => None,
            Sync::AfterSnapshot(id) | Sync::Live(id) => Some(id),
        }
    }

    pub fn reset(&mut self) {
        self.inner.reset();
        self.sync = Sync::Unsynced;
        self.buffer.clear();
        self.buffered_levels = 0;
    }

    /// Parses one event: its ids (with `pu`), its levels into the parser's buffers.
    pub fn parse(&mut self, frame: &[u8]) -> Result<PerpHeader, DepthError> {
        let h = self.inner.parser.parse_diff(frame)?;
        // the general parser reads `pu` in its one pass; only spot's fixed-layout reader (which
        // declines the futures layout) leaves it unread, and then the event is scanned for it
        let prev = match h.prev_final_update_id {
            Some(pu) => pu,
            None => prev_final_update_id(frame)?,
        };
        Ok(PerpHeader {
            first_update_id: h.first_update_id,
            final_update_id: h.final_update_id,
            prev_final_update_id: prev,
            event_time: h.event_time,
        })
    }

    /// One websocket frame: parse, check continuity, apply. The hot path.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<DiffOutcome, DepthError> {
        let h = self.parse(frame)?;
        Ok(self.on_parsed(h))
    }

    /// Applies the event in the parser's buffers.
    pub fn on_parsed(&mut self, h: PerpHeader) -> DiffOutcome {
        match self.sync {
            Sync::Unsynced => {
                self.buffer_event(h);
                DiffOutcome::Buffered
            }
            Sync::AfterSnapshot(id) => self.first_after(id, h),
            Sync::Live(local) => {
                if h.final_update_id <= local {
                    return DiffOutcome::Stale;
                }
                if h.prev_final_update_id != local {
                    self.reset();
                    return DiffOutcome::Gap {
                        expected: local,
                        got: h.prev_final_update_id,
                    };
                }
                self.apply_parsed(local, h)
            }
        }
    }

    /// The first event after a snapshot at `id`: older ones dropped, one that starts past
    /// `id + 1` is a gap.
    fn first_after(&mut self, id: u64, h: PerpHeader) -> DiffOutcome {
        if h.final_update_id < id {
            return DiffOutcome::Stale;
        }
        if h.first_update_id > id.saturating_add(1) {
            self.reset();
            return DiffOutcome::Gap {
                expected: id,
                got: h.first_update_id,
            };
        }
        self.apply_parsed(id, h)
    }

    /// Hands an accepted event to the spot book as continuing its id `local`.
    fn apply_parsed(&mut self, local: u64, h: PerpHeader) -> DiffOutcome {
        let spot = DiffHeader {
            first_update_id: local.saturating_add(1).min(h.final_update_id),
            final_update_id: h.final_update_id,
            event_time: h.event_time,
            prev_final_update_id: Some(h.prev_final_update_id),
        };
        match self.inner.on_parsed(spot) {
            DiffOutcome::Applied | DiffOutcome::Stale => {
                self.sync = Sync::Live(h.final_update_id);
                DiffOutcome::Applied
            }
            DiffOutcome::TooLarge {
                side,
                levels,
                chunks,
            } => {
                self.reset();
                DiffOutcome::TooLarge {
                    side,
                    levels,
                    chunks,
                }
            }
            // the spot book is synced whenever this one is, and told a continuing id
            DiffOutcome::Buffered | DiffOutcome::Gap { .. } => {
                self.reset();
                DiffOutcome::Gap {
                    expected: local,
                    got: h.first_update_id,
                }
            }
        }
    }

    fn buffer_event(&mut self, header: PerpHeader) {
        let p = &self.inner.parser;
        let n = p.bids.len() + p.asks.len();
        while !self.buffer.is_empty()
            && (self.buffer.len() >= MAX_BUFFERED_DIFFS
                || self.buffered_levels + n > MAX_BUFFERED_LEVELS)
        {
            if let Some(old) = self.buffer.pop_front() {
                self.buffered_levels -= old.bids.len() + old.asks.len();
            }
        }
        self.buffered_levels += n;
        self.buffer.push_back(Buffered {
            header,
            bids: p.bids.clone(),
            asks: p.asks.clone(),
        });
    }

    /// Applies a REST snapshot, then the buffered events that follow it.
    pub fn on_snapshot(&mut self, body: &[u8]) -> Result<SnapshotOutcome, DepthError> {
        // the spot book holds no buffer of its own: it takes the snapshot alone
        self.inner.reset();
        let id = match self.inner.on_snapshot(body) {
            Ok(SnapshotOutcome::Synced { last_update_id }) => last_update_id,
            Ok(SnapshotOutcome::TooOld {
                last_update_id,
                first_buffered,
            }) => {
                self.reset();
                return Ok(SnapshotOutcome::TooOld {
                    last_update_id,
                    first_buffered,
                });
            }
            Ok(SnapshotOutcome::Gap { expected, got }) => {
                self.reset();
                return Ok(SnapshotOutcome::Gap { expected, got });
            }
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        let relevant = |b: &Buffered| b.header.final_update_id >= id;
        if let Some(first) = self.buffer.iter().find(|b| relevant(b))
            && first.header.first_update_id > id.saturating_add(1)
        {
            let first = first.header.first_update_id;
            self.inner.reset();
            return Ok(SnapshotOutcome::TooOld {
                last_update_id: id,
                first_buffered: first,
            });
        }
        self.sync = Sync::AfterSnapshot(id);
        self.buffered_levels = 0;
        for b in std::mem::take(&mut self.buffer) {
            self.inner.parser.bids.clone_from(&b.bids);
            self.inner.parser.asks.clone_from(&b.asks);
            match self.on_parsed(b.header) {
                DiffOutcome::Applied | DiffOutcome::Stale => {}
                DiffOutcome::Gap { expected, got } => {
                    return Ok(SnapshotOutcome::Gap { expected, got });
                }
                DiffOutcome::TooLarge {
                    side,
                    levels,
                    chunks,
                } => {
                    return Err(DepthError::BookTooLarge {
                        side,
                        levels,
                        chunks,
                    });
                }
                DiffOutcome::Buffered => {}
            }
        }
        Ok(SnapshotOutcome::Synced {
            last_update_id: self.last_update_id().unwrap_or(id),
        })
    }
}

#[cfg(test)]
#[path = "depth_tests.rs"]
mod tests;
