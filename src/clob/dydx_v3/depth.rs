//! dYdX v3's book of one market: the REST snapshot `GET /v3/orderbook/{market}` (levels with
//! their `offset`) and the `v3_orderbook` channel's updates, under the channel's rule — an update
//! carries one `offset`, and applies to a level only if that offset is greater than the level's
//! own (the offset of the update that last set it, kept for removed levels too), so duplicated,
//! late or reordered updates never move a level back. Updates arriving before the snapshot are
//! buffered and replayed under the same rule. Messages carry a `message_id` that grows by one on
//! the connection: a gap means a lost update (the rule cannot see one), so the book resyncs.

use std::collections::HashMap;

use serde::Deserialize;

use crate::cex::book::OrderBook;
use crate::cex::grid::{Grid, GridError};

/// Why a message or snapshot could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DydxBookError {
    #[error("dYdX v3 book: unreadable message: {0}")]
    Malformed(String),
    #[error("dYdX v3 book: {0}")]
    Level(#[from] GridError),
    #[error("dYdX v3 book: the venue reported an error: {0}")]
    Venue(String),
}

/// What one channel message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookOutcome {
    /// Applied to the synced book.
    Applied,
    /// Kept for the snapshot (the book is not synced).
    Buffered,
    /// A message id already seen on this connection.
    Stale,
    /// `connected`, `subscribed`, a pong: no book change.
    Control,
    /// A message id skipped: an update was lost; the book is reset, this message kept.
    Gap { expected: u64, got: u64 },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawLevel {
    /// `["price","size"]` (channel updates).
    Pair(String, String),
    /// `{"price","size","offset"}` (snapshots).
    Object {
        price: String,
        size: String,
        #[serde(default)]
        offset: Option<String>,
    },
}

#[derive(Deserialize)]
struct RawSides {
    #[serde(default)]
    offset: Option<String>,
    #[serde(default)]
    bids: Vec<RawLevel>,
    #[serde(default)]
    asks: Vec<RawLevel>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    message_id: Option<u64>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    contents: Option<RawSides>,
}

/// One level change: side (bid = true), ticks, lots (0 removes), offset.
type Change = (bool, u64, u64, u64);

/// One market's book.
#[derive(Debug, Clone)]
pub struct DydxBook {
    market: String,
    pub book: OrderBook,
    /// The offset of the update that last set each level (removed levels included).
    offsets: HashMap<(bool, u64), u64>,
    synced: bool,
    /// The last message id of this connection.
    last_message: Option<u64>,
    /// Updates received while not synced.
    buffer: Vec<Change>,
    /// The greatest offset applied.
    top_offset: u64,
}

fn parse_offset(s: &str) -> Result<u64, DydxBookError> {
    s.parse()
        .map_err(|_| DydxBookError::Malformed(format!("offset {s:?} is not a whole number")))
}

impl DydxBook {
    pub fn new(market: &str, price: Grid, size: Grid) -> Self {
        Self {
            market: market.to_string(),
            book: OrderBook::new(price, size),
            offsets: HashMap::new(),
            synced: false,
            last_message: None,
            buffer: Vec::new(),
            top_offset: 0,
        }
    }

    pub fn market(&self) -> &str {
        &self.market
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// The greatest offset applied, when synced.
    pub fn last_update_id(&self) -> Option<u64> {
        self.synced.then_some(self.top_offset)
    }

    /// Forgets the book, the offsets, the buffer and the connection's message id.
    pub fn reset(&mut self) {
        self.book.clear();
        self.offsets.clear();
        self.synced = false;
        self.last_message = None;
        self.buffer.clear();
        self.top_offset = 0;
    }

    /// The channel's subscription message for this market (offsets included).
    pub fn subscribe_message(&self) -> String {
        serde_json::json!({
            "type": "subscribe", "channel": "v3_orderbook", "id": self.market,
            "includeOffsets": true,
        })
        .to_string()
    }

    fn changes(
        &self,
        side: bool,
        levels: &[RawLevel],
        offset: Option<u64>,
        out: &mut Vec<Change>,
    ) -> Result<(), DydxBookError> {
        let g = &self.book;
        for l in levels {
            let (price, size, own) = match l {
                RawLevel::Pair(p, s) => (p, s, None),
                RawLevel::Object {
                    price,
                    size,
                    offset,
                } => (
                    price,
                    size,
                    offset.as_deref().map(parse_offset).transpose()?,
                ),
            };
            let off = own
                .or(offset)
                .ok_or_else(|| DydxBookError::Malformed(format!("level {price} has no offset")))?;
            let ticks = g.price_grid.parse(price.as_bytes())?;
            let lots = g.size_grid.parse(size.as_bytes())?;
            out.push((side, ticks, lots, off));
        }
        Ok(())
    }

    /// Applies one change under the offset rule; whether the book changed.
    fn apply(&mut self, (bid, ticks, lots, offset): Change) -> bool {
        let seen = self.offsets.entry((bid, ticks)).or_insert(0);
        if offset <= *seen && *seen != 0 {
            return false;
        }
        *seen = offset;
        self.top_offset = self.top_offset.max(offset);
        if bid {
            self.book.bids.set(ticks, lots);
        } else {
            self.book.asks.set(ticks, lots);
        }
        true
    }

    /// One message of the `v3_orderbook` channel.
    pub fn on_frame(&mut self, frame: &[u8]) -> Result<BookOutcome, DydxBookError> {
        let m: RawMessage =
            serde_json::from_slice(frame).map_err(|e| DydxBookError::Malformed(e.to_string()))?;
        match m.kind.as_str() {
            "connected" | "pong" | "unsubscribed" => return Ok(BookOutcome::Control),
            "error" => return Err(DydxBookError::Venue(m.message.unwrap_or_default())),
            "subscribed" | "channel_data" => {}
            other => {
                return Err(DydxBookError::Malformed(format!(
                    "unknown message type {other:?}"
                )));
            }
        }
        if m.channel.as_deref().is_some_and(|c| c != "v3_orderbook") {
            // another channel's message on this connection: not the book's
            return Ok(BookOutcome::Control);
        }
        if m.id.as_deref() != Some(self.market.as_str()) {
            return Err(DydxBookError::Malformed(format!(
                "a message of {:?} on the {} book",
                m.id, self.market
            )));
        }
        let id = m
            .message_id
            .ok_or_else(|| DydxBookError::Malformed("no message_id".into()))?;
        if m.kind == "subscribed" {
            // the baseline of this connection; the REST snapshot is the book's start
            self.last_message = Some(id);
            return Ok(BookOutcome::Control);
        }
        let contents = m
            .contents
            .ok_or_else(|| DydxBookError::Malformed("channel_data without contents".into()))?;
        let offset = contents.offset.as_deref().map(parse_offset).transpose()?;
        let mut changes = Vec::with_capacity(contents.bids.len() + contents.asks.len());
        self.changes(true, &contents.bids, offset, &mut changes)?;
        self.changes(false, &contents.asks, offset, &mut changes)?;
        match self.last_message {
            Some(last) if id <= last => return Ok(BookOutcome::Stale),
            Some(last) if id != last + 1 => {
                self.reset();
                self.last_message = Some(id);
                self.buffer = changes;
                return Ok(BookOutcome::Gap {
                    expected: last + 1,
                    got: id,
                });
            }
            _ => self.last_message = Some(id),
        }
        if !self.synced {
            self.buffer.extend(changes);
            return Ok(BookOutcome::Buffered);
        }
        let mut changed = false;
        for c in changes {
            changed |= self.apply(c);
        }
        Ok(if changed {
            BookOutcome::Applied
        } else {
            BookOutcome::Stale
        })
    }

    /// The REST snapshot (`{"bids":[{price,size,offset}],"asks":[…]}`), then the buffered
    /// updates under the offset rule: the book is synced.
    pub fn on_snapshot(&mut self, body: &[u8]) -> Result<u64, DydxBookError> {
        let s: RawSides =
            serde_json::from_slice(body).map_err(|e| DydxBookError::Malformed(e.to_string()))?;
        let mut levels = Vec::with_capacity(s.bids.len() + s.asks.len());
        self.changes(true, &s.bids, None, &mut levels)?;
        self.changes(false, &s.asks, None, &mut levels)?;
        self.book.clear();
        self.offsets.clear();
        self.top_offset = 0;
        for c in levels {
            self.apply(c);
        }
        for c in std::mem::take(&mut self.buffer) {
            self.apply(c);
        }
        self.synced = true;
        Ok(self.top_offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn book() -> DydxBook {
        DydxBook::new(
            "BTC-USD",
            Grid::new(Decimal::ONE).unwrap(),
            Grid::new(Decimal::new(1, 3)).unwrap(),
        )
    }

    fn data(id: u64, offset: u64, bids: &str, asks: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"channel_data","id":"BTC-USD","channel":"v3_orderbook","message_id":{id},"contents":{{"offset":"{offset}","bids":{bids},"asks":{asks}}}}}"#
        )
        .into_bytes()
    }

    /// (ticks, lots) of a best level.
    type Best = Option<(u64, u64)>;

    fn top(b: &DydxBook) -> (Best, Best) {
        (
            b.book.best_bid().map(|l| (l.ticks, l.lots)),
            b.book.best_ask().map(|l| (l.ticks, l.lots)),
        )
    }

    #[test]
    fn buffered_updates_replay_over_the_snapshot_by_offset() {
        let mut b = book();
        let sub = br#"{"type":"subscribed","id":"BTC-USD","channel":"v3_orderbook","message_id":4,"contents":{"bids":[],"asks":[]}}"#;
        assert_eq!(b.on_frame(sub).unwrap(), BookOutcome::Control);
        // older than the snapshot's level: ignored; newer: applied
        assert_eq!(
            b.on_frame(&data(5, 10, r#"[["100","1"]]"#, "[]")).unwrap(),
            BookOutcome::Buffered
        );
        assert_eq!(
            b.on_frame(&data(6, 30, "[]", r#"[["105","2.5"]]"#))
                .unwrap(),
            BookOutcome::Buffered
        );
        let snap = br#"{"bids":[{"price":"100","size":"3","offset":"20"}],"asks":[{"price":"105","size":"1","offset":"25"}]}"#;
        assert_eq!(b.on_snapshot(snap).unwrap(), 30);
        assert_eq!(top(&b), (Some((100, 3000)), Some((105, 2500))));
        // a removal, then a late update of the removed level: stays removed
        assert_eq!(
            b.on_frame(&data(7, 40, r#"[["100","0"]]"#, "[]")).unwrap(),
            BookOutcome::Applied
        );
        assert_eq!(
            b.on_frame(&data(8, 35, r#"[["100","9"]]"#, "[]")).unwrap(),
            BookOutcome::Stale
        );
        assert_eq!(top(&b).0, None);
        // a duplicate message id is stale
        assert_eq!(
            b.on_frame(&data(8, 50, r#"[["99","1"]]"#, "[]")).unwrap(),
            BookOutcome::Stale
        );
    }

    #[test]
    fn a_skipped_message_id_resets_and_malformed_input_is_an_error() {
        let mut b = book();
        b.on_frame(&data(1, 1, "[]", "[]")).unwrap();
        b.on_snapshot(br#"{"bids":[],"asks":[]}"#).unwrap();
        assert!(b.is_synced());
        assert_eq!(
            b.on_frame(&data(3, 5, r#"[["90","1"]]"#, "[]")).unwrap(),
            BookOutcome::Gap {
                expected: 2,
                got: 3
            }
        );
        assert!(!b.is_synced());
        b.on_snapshot(br#"{"bids":[],"asks":[]}"#).unwrap();
        assert_eq!(top(&b).0, Some((90, 1000)), "the gap's message was kept");
        for bad in [
            &b"not json"[..],
            br#"{"type":"channel_data","id":"ETH-USD","message_id":4,"contents":{"offset":"6"}}"#,
            br#"{"type":"channel_data","id":"BTC-USD","message_id":4,"contents":{"offset":"x"}}"#,
            br#"{"type":"channel_data","id":"BTC-USD","message_id":4,"contents":{"bids":[["1","1"]]}}"#,
            br#"{"type":"error","message":"Invalid subscription id"}"#,
        ] {
            assert!(b.on_frame(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
        assert!(matches!(
            b.on_frame(&data(4, 7, r#"[["90.5","1"]]"#, "[]")),
            Err(DydxBookError::Level(GridError::OffGrid { .. }))
        ));
    }
}
