//! Fan-out of market and user events to the mock's websocket connections, with the depth-stream
//! faults (skip one diff, duplicate one, swap two) applied on the way out.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::broadcast;

use rust_decimal::Decimal;

use super::book::{BookDiff, PriceLevel};
use super::events::EventShapes;
use super::order::Trade;

/// Capacity of the market broadcast channel; a connection that falls further behind is closed
/// (as Binance drops slow consumers).
pub const MARKET_CHANNEL_CAPACITY: usize = 1 << 16;

/// Which stream family a market message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamKind {
    /// `<symbol>@depth`, `<symbol>@depth@100ms`, `<symbol>@depth@1000ms`.
    Depth,
    /// `<symbol>@trade`.
    Trade,
}

/// A message for the market-stream connections.
#[derive(Debug, Clone)]
pub enum MarketMsg {
    /// A stream event for a symbol (lower-case), with its JSON payload.
    Event {
        /// Lower-case symbol.
        symbol: Arc<str>,
        /// Stream family.
        kind: StreamKind,
        /// The payload as the dialect rendered it.
        data: Arc<str>,
    },
    /// Raw text pushed to every market connection as is (fault injection: malformed JSON,
    /// unknown event types).
    Raw(Arc<str>),
}

/// Pending depth faults for one symbol.
#[derive(Debug, Default, Clone)]
struct DepthFaults {
    skip: u32,
    duplicate: u32,
    swap: u32,
    held: Option<(MarketMsg, Instant)>,
}

/// Depth changes accumulated for one symbol while diffs are batched.
#[derive(Debug, Clone)]
struct PendingDiff {
    first_update_id: u64,
    final_update_id: u64,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
}

/// Sends market events; applies depth faults.
#[derive(Debug)]
pub struct Publisher {
    shapes: Arc<dyn EventShapes>,
    market_tx: broadcast::Sender<MarketMsg>,
    faults: HashMap<String, DepthFaults>,
    /// `Some` when depth diffs are batched (flushed by [`Publisher::flush_batches`]).
    pending: Option<BTreeMap<String, PendingDiff>>,
}

impl Publisher {
    /// A publisher with its own channel, rendering events with `shapes`.
    pub fn new(shapes: Arc<dyn EventShapes>) -> Self {
        let (market_tx, _) = broadcast::channel(MARKET_CHANNEL_CAPACITY);
        Self {
            shapes,
            market_tx,
            faults: HashMap::new(),
            pending: None,
        }
    }

    /// Batches depth diffs: changes accumulate until [`Publisher::flush_batches`] sends one
    /// event per symbol spanning all their update ids (as Binance's 100 ms / 1000 ms streams).
    pub fn batch_depth(&mut self) {
        self.pending.get_or_insert_with(BTreeMap::new);
    }

    /// Sends the accumulated depth changes, one event per symbol.
    pub fn flush_batches(&mut self, event_time: u64) {
        let Some(pending) = self.pending.as_mut() else {
            return;
        };
        let ready = std::mem::take(pending);
        for (symbol, p) in ready {
            let bids: Vec<PriceLevel> = p.bids.into_iter().rev().collect();
            let asks: Vec<PriceLevel> = p.asks.into_iter().collect();
            self.emit_depth(
                &symbol,
                p.first_update_id,
                p.final_update_id,
                &bids,
                &asks,
                event_time,
            );
        }
    }

    /// How the dialect renders events.
    pub fn shapes(&self) -> &dyn EventShapes {
        self.shapes.as_ref()
    }

    /// A receiver for a new market connection.
    pub fn subscribe_market(&self) -> broadcast::Receiver<MarketMsg> {
        self.market_tx.subscribe()
    }

    /// Publishes a trade stream event.
    pub fn trade(&self, trade: &Trade, event_time: u64) {
        let msg = MarketMsg::Event {
            symbol: Arc::from(trade.symbol.to_ascii_lowercase()),
            kind: StreamKind::Trade,
            data: Arc::from(self.shapes.trade(trade, event_time)),
        };
        // No receiver is not an error: nobody is listening.
        let _ = self.market_tx.send(msg);
    }

    /// Publishes a raw text frame to every market connection.
    pub fn raw(&self, text: &str) {
        let _ = self.market_tx.send(MarketMsg::Raw(Arc::from(text)));
    }

    /// Publishes a depth diff (or adds it to the symbol's batch), applying pending faults.
    pub fn depth(&mut self, symbol: &str, diff: &BookDiff, event_time: u64) {
        if let Some(pending) = self.pending.as_mut() {
            let p = pending
                .entry(symbol.to_string())
                .or_insert_with(|| PendingDiff {
                    first_update_id: diff.first_update_id,
                    final_update_id: diff.final_update_id,
                    bids: BTreeMap::new(),
                    asks: BTreeMap::new(),
                });
            p.final_update_id = diff.final_update_id;
            p.bids.extend(diff.bids.iter().copied());
            p.asks.extend(diff.asks.iter().copied());
            return;
        }
        self.emit_depth(
            symbol,
            diff.first_update_id,
            diff.final_update_id,
            &diff.bids,
            &diff.asks,
            event_time,
        );
    }

    fn emit_depth(
        &mut self,
        symbol: &str,
        first: u64,
        last: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) {
        let payload = self
            .shapes
            .depth_diff(symbol, first, last, bids, asks, event_time);
        let msg = MarketMsg::Event {
            symbol: Arc::from(symbol.to_ascii_lowercase()),
            kind: StreamKind::Depth,
            data: Arc::from(payload),
        };
        let faults = self.faults.entry(symbol.to_string()).or_default();
        if faults.skip > 0 {
            faults.skip -= 1;
            return;
        }
        if let Some((held, _)) = faults.held.take() {
            let _ = self.market_tx.send(msg);
            let _ = self.market_tx.send(held);
            return;
        }
        if faults.swap > 0 {
            faults.swap -= 1;
            faults.held = Some((msg, Instant::now()));
            return;
        }
        if faults.duplicate > 0 {
            faults.duplicate -= 1;
            let _ = self.market_tx.send(msg.clone());
        }
        let _ = self.market_tx.send(msg);
    }

    /// Drops the next depth diff of `symbol` (a sequence gap for the client).
    pub fn skip_next_diff(&mut self, symbol: &str) {
        self.faults.entry(symbol.to_string()).or_default().skip += 1;
    }

    /// Sends the next depth diff of `symbol` twice.
    pub fn duplicate_next_diff(&mut self, symbol: &str) {
        self.faults.entry(symbol.to_string()).or_default().duplicate += 1;
    }

    /// Swaps the next two depth diffs of `symbol` (the second is sent first).
    pub fn swap_next_diffs(&mut self, symbol: &str) {
        self.faults.entry(symbol.to_string()).or_default().swap += 1;
    }

    /// Sends a diff held for a swap when no second diff came within `max_age`, so that a swap
    /// never withholds the book's last change for good.
    pub fn release_stale_held(&mut self, max_age: Duration) {
        for faults in self.faults.values_mut() {
            if faults
                .held
                .as_ref()
                .is_some_and(|(_, at)| at.elapsed() >= max_age)
                && let Some((held, _)) = faults.held.take()
            {
                let _ = self.market_tx.send(held);
            }
        }
    }
}
