//! Loopring's order book: the REST snapshot (`/api/v3/depth?market=…&level=0`: `version`, and
//! `bids`/`asks` as `[price, size, volume, count]` with the size in base token units) and the
//! websocket `orderbook` topic's updates (`startVersion`, `endVersion`, `data.bids`/`data.asks`,
//! a size of `0` removing the level). Continuity: an update whose `endVersion` is not above the
//! book's version is stale; the first one applied after a snapshot must start at or below the
//! snapshot's version + 1; every later one must start exactly at the previous `endVersion` + 1,
//! anything else is a gap and the book is resynced (the framework's [`DiffBook`] state machine).
//!
//! Sizes are integers in token units (below 2^96, the exchange's amount width): they are read
//! exactly as a decimal amount of the base token and put on the market's size grid; a size or
//! price off the grid asks the framework to refetch the rules.

use alloy::primitives::U256;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::Grid;
use crate::cex::live_book::{DiffBook, Next, SnapshotStep};
use crate::core::Pair;

/// Why a depth message could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DepthError {
    #[error("Loopring depth: unreadable message: {0}")]
    Malformed(String),
    #[error("Loopring depth: {what} {value:?} is off the market's grid")]
    OffGrid { what: &'static str, value: String },
}

/// `[price, size, volume, count]`.
type RawLevel = (String, String, String, String);

#[derive(Deserialize)]
struct RawSides {
    #[serde(default)]
    bids: Vec<RawLevel>,
    #[serde(default)]
    asks: Vec<RawLevel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawUpdate {
    #[serde(deserialize_with = "number_or_string")]
    start_version: u64,
    #[serde(deserialize_with = "number_or_string")]
    end_version: u64,
    data: RawSides,
}

#[derive(Deserialize)]
struct RawSnapshot {
    #[serde(deserialize_with = "number_or_string")]
    version: u64,
    #[serde(flatten)]
    sides: RawSides,
}

/// Loopring writes versions as numbers or as strings.
fn number_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum V {
        N(u64),
        S(String),
    }
    match V::deserialize(d)? {
        V::N(n) => Ok(n),
        V::S(s) => s.parse().map_err(serde::de::Error::custom),
    }
}

/// One update on the grids: levels as (ticks, lots), lots 0 removing the level.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Update {
    start: u64,
    end: u64,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

/// The synced book of one market.
#[derive(Debug)]
pub struct LoopringBook {
    book: OrderBook,
    base_decimals: u32,
    /// The version the book is at; `None` while unsynced.
    version: Option<u64>,
    /// Updates received while unsynced.
    buffer: Vec<Update>,
}

/// A bound on what is buffered while waiting for a snapshot.
const MAX_BUFFERED: usize = 10_000;

impl LoopringBook {
    /// An empty, unsynced book; `base_decimals` are the base token's decimals.
    pub fn new(price: Grid, size: Grid, base_decimals: u32) -> Self {
        LoopringBook {
            book: OrderBook::new(price, size),
            base_decimals,
            version: None,
            buffer: Vec::new(),
        }
    }

    fn level(&self, raw: &RawLevel) -> Result<Level, DepthError> {
        let (price, size) = (&raw.0, &raw.1);
        let off = |what, value: &str| DepthError::OffGrid {
            what,
            value: value.to_string(),
        };
        let p: Decimal = price
            .parse()
            .map_err(|_| DepthError::Malformed(format!("price {price:?}")))?;
        let ticks = self
            .book
            .price_grid
            .from_decimal(p)
            .ok_or_else(|| off("price", price))?;
        let units = U256::from_str_radix(size, 10)
            .map_err(|_| DepthError::Malformed(format!("size {size:?}")))?;
        // Below 2^96: exact as a Decimal mantissa.
        let units = i128::try_from(units)
            .ok()
            .filter(|u| *u < (1i128 << 96))
            .ok_or_else(|| DepthError::Malformed(format!("size {size:?} above 2^96")))?;
        let amount = Decimal::try_from_i128_with_scale(units, self.base_decimals)
            .map_err(|_| DepthError::Malformed(format!("size {size:?}")))?;
        let lots = self
            .book
            .size_grid
            .from_decimal(amount)
            .ok_or_else(|| off("size", size))?;
        Ok(Level { ticks, lots })
    }

    fn levels(&self, raw: &[RawLevel]) -> Result<Vec<Level>, DepthError> {
        raw.iter().map(|l| self.level(l)).collect()
    }

    fn apply(&mut self, u: &Update) {
        for l in &u.bids {
            self.book.bids.set(l.ticks, l.lots);
        }
        for l in &u.asks {
            self.book.asks.set(l.ticks, l.lots);
        }
        self.version = Some(u.end);
    }

    fn parse_update(&self, m: &[u8]) -> Result<Option<Update>, DepthError> {
        // Subscription answers and pongs carry no versions: nothing to apply.
        let Ok(raw) = serde_json::from_slice::<RawUpdate>(m) else {
            let v: serde_json::Value =
                serde_json::from_slice(m).map_err(|e| DepthError::Malformed(e.to_string()))?;
            if v.get("data").is_some() || v.get("startVersion").is_some() {
                return Err(DepthError::Malformed("an update without versions".into()));
            }
            return Ok(None);
        };
        if raw.end_version < raw.start_version {
            return Err(DepthError::Malformed(format!(
                "endVersion {} below startVersion {}",
                raw.end_version, raw.start_version
            )));
        }
        Ok(Some(Update {
            start: raw.start_version,
            end: raw.end_version,
            bids: self.levels(&raw.data.bids)?,
            asks: self.levels(&raw.data.asks)?,
        }))
    }

    fn unsync(&mut self) {
        self.book.clear();
        self.version = None;
        self.buffer.clear();
    }
}

impl DiffBook for LoopringBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        let update = match self.parse_update(m) {
            Ok(Some(u)) => u,
            Ok(None) => return Next::Nothing,
            Err(DepthError::OffGrid { what, value }) => {
                tracing::warn!(%pair, what, value, "depth update off the cached grid; refetching the rules");
                self.unsync();
                return Next::OffGrid;
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad depth message; resyncing");
                self.unsync();
                return Next::Resync("bad depth message");
            }
        };
        let Some(version) = self.version else {
            if self.buffer.len() >= MAX_BUFFERED {
                self.buffer.remove(0);
            }
            self.buffer.push(update);
            return Next::Snapshot;
        };
        if update.end <= version {
            return Next::Nothing;
        }
        if update.start != version + 1 {
            tracing::warn!(%pair, expected = version + 1, got = update.start, "gap in the depth stream; resyncing");
            self.unsync();
            return Next::Resync("book out of sequence");
        }
        self.apply(&update);
        Next::Changed
    }

    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep {
        let raw: RawSnapshot = match serde_json::from_slice(body) {
            Ok(r) => r,
            Err(e) => {
                self.unsync();
                return SnapshotStep::Bad(format!("unreadable depth snapshot: {e}"));
            }
        };
        let sides = self
            .levels(&raw.sides.bids)
            .and_then(|b| Ok((b, self.levels(&raw.sides.asks)?)));
        let (bids, asks) = match sides {
            Ok(s) => s,
            Err(e @ DepthError::OffGrid { .. }) => {
                self.unsync();
                return SnapshotStep::OffGrid(e.to_string());
            }
            Err(e) => {
                self.unsync();
                return SnapshotStep::Bad(e.to_string());
            }
        };
        let buffered = std::mem::take(&mut self.buffer);
        let pending: Vec<&Update> = buffered.iter().filter(|u| u.end > raw.version).collect();
        if let Some(first) = pending.first()
            && first.start > raw.version + 1
        {
            // The stream is ahead of the snapshot: keep the buffer, take a newer snapshot.
            let why = format!(
                "snapshot version {} older than the buffered update from {}",
                raw.version, first.start
            );
            self.buffer = buffered;
            return SnapshotStep::Again { why };
        }
        self.book.clear();
        self.book.bids.set_all(&bids);
        self.book.asks.set_all(&asks);
        self.version = Some(raw.version);
        let mut at = raw.version;
        for u in pending {
            if u.start > at + 1 {
                self.unsync();
                return SnapshotStep::Again {
                    why: format!(
                        "gap in buffered updates (expected {}, got {})",
                        at + 1,
                        u.start
                    ),
                };
            }
            self.apply(u);
            at = u.end;
        }
        SnapshotStep::Synced { id: at }
    }

    fn reset(&mut self) {
        self.unsync();
    }

    fn is_synced(&self) -> bool {
        self.version.is_some()
    }

    fn order_book(&self) -> &OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        self.version
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        LoopringBook::new(price, size, self.base_decimals)
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
