//! The live Bybit book: `orderbook.50.<SYMBOL>` on the public linear stream, followed by the
//! framework's [`cex::live_book`](crate::cex::live_book) task in its stream-snapshot mode (the
//! subscription is answered by a snapshot; a gap unsubscribes and subscribes again for a fresh
//! one), with `{"op":"ping"}` every 20 s; and a one-off book from `GET /v5/market/orderbook`.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use serde::Deserialize;

use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::live_book::{self, AppPing, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::api::{decode_result, limit};
use super::depth::{BookOutcome, BybitBook, BybitBookError};

/// The stream depth followed.
pub const STREAM_DEPTH: u32 = 50;
/// Bybit asks for a ping every 20 s.
pub const PING_EVERY: Duration = Duration::from_secs(20);
/// Levels asked for in a REST snapshot (linear: at most 500).
pub const SNAPSHOT_LIMIT: u32 = 500;

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<BybitBook>;

/// `{"op":…,"args":[topic]}`.
pub fn op(op: &str, topic: &str) -> String {
    serde_json::json!({"op": op, "args": [topic]}).to_string()
}

/// Follows `book`'s topic at `ws_url` (the public linear stream).
pub fn spawn_live_book(
    pair: Pair,
    book: BybitBook,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let topic = book.topic().to_string();
    let sub = topic.clone();
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("bybit_perpetual book {pair}"), ws_url),
        subscribe: Arc::new(move || vec![op("subscribe", &sub)]),
        snapshot: Arc::new(|| {
            async {
                Err(CexError::Invalid(
                    "Bybit books take their snapshots from the stream".into(),
                ))
            }
            .boxed()
        }),
        ping: Some(AppPing {
            every: PING_EVERY,
            message: Arc::new(|| r#"{"op":"ping"}"#.to_string()),
        }),
        pair,
        hub,
        refresh_rules,
    };
    let resubscribe = Arc::new(move || vec![op("unsubscribe", &topic), op("subscribe", &topic)]);
    LiveBook::spawn_stream_snapshots(feed, book, resubscribe)
}

impl DiffBook for BybitBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match self.on_frame(m) {
            Ok(BookOutcome::Applied) => Next::Changed,
            Ok(BookOutcome::Snapshot { u }) => Next::Synced(u),
            Ok(BookOutcome::Stale) => Next::Nothing,
            Ok(BookOutcome::Control { success }) => {
                if !success {
                    tracing::error!(%pair, "Bybit refused a book request: {}", CexError::snippet(m));
                }
                Next::Nothing
            }
            Ok(BookOutcome::Unsynced) => Next::Snapshot,
            Ok(BookOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "Bybit book: u does not continue the book; resyncing");
                Next::Resync("book out of sequence")
            }
            Err(BybitBookError::Level(e @ GridError::OffGrid { .. })) => {
                tracing::warn!(%pair, error = %e, "Bybit book off the cached grid; refetching the rules");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad Bybit book message ({}); resyncing", CexError::snippet(m));
                self.reset();
                Next::Resync("unreadable book message")
            }
        }
    }

    fn on_snapshot(&mut self, _body: &[u8]) -> SnapshotStep {
        SnapshotStep::Bad("Bybit books take their snapshots from the stream".into())
    }

    fn reset(&mut self) {
        BybitBook::reset(self);
    }

    fn is_synced(&self) -> bool {
        BybitBook::is_synced(self)
    }

    fn order_book(&self) -> &crate::cex::book::OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        BybitBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        BybitBook::new(self.symbol(), self.depth(), price, size)
    }
}

/// `GET /v5/market/orderbook` result.
#[derive(Debug, Deserialize)]
struct RestBook {
    s: String,
    b: Vec<(String, String)>,
    a: Vec<(String, String)>,
    u: u64,
}

/// A one-off book of `market` from `GET /v5/market/orderbook?category=linear`.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<BybitBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let req = ApiRequest::new(reqwest::Method::GET, "/v5/market/orderbook")
        .param("category", "linear")
        .param("symbol", symbol)
        .param("limit", SNAPSHOT_LIMIT)
        .cost(limit::IP, 1)
        .cost(limit::MARKET, 1);
    let r: RestBook = decode_result("orderbook", &rest.request(&req).await?)?;
    if &r.s != symbol {
        return Err(CexError::decode(
            "orderbook",
            format!("asked {symbol}, got {}", r.s),
        ));
    }
    // the REST document in the stream's snapshot shape, read by the same parser and rule
    let mut book = BybitBook::new(symbol, SNAPSHOT_LIMIT, market.price, market.size);
    let frame = serde_json::json!({
        "topic": book.topic(), "type": "snapshot",
        "data": {"s": symbol, "b": r.b, "a": r.a, "u": r.u, "seq": 0}
    })
    .to_string();
    book.on_frame(frame.as_bytes())
        .map_err(|e| CexError::decode("orderbook", e))?;
    Ok(book)
}
