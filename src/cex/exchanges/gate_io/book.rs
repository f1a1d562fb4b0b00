//! A live Gate.io book: a task that subscribes to `spot.order_book_update` (`[pair, "100ms"]`) on
//! the websocket, takes the REST snapshot (`/spot/order_book?with_id=true`) when the book is not
//! synced (after each connect — updates are buffered meanwhile —, after a gap, after a bad
//! message), sends `spot.ping` on schedule, and publishes `BookChanged`, `ConnectionLost` and
//! `Resynced`. Data off the pair's cached grid makes it refetch the pair's rules and rebuild the
//! book on the new grids; if it still does not fit (or the pair is no longer traded) the market is
//! reported unavailable and the task stops.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::book::OrderBook;
use crate::cex::clock::local_ms;
use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::live_book::{self, AppPing, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::{self, StreamConfig};
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::api::PUBLIC_BOOK;
use super::depth::{CHANNEL, DepthError, Frame, SnapshotOutcome, SyncedBook, UpdateOutcome};

/// Levels asked for in the REST snapshot (Gate.io's most).
pub const SNAPSHOT_LIMIT: u32 = 1000;

/// How often the connection sends `spot.ping`.
pub const PING_EVERY: Duration = Duration::from_secs(10);

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<SyncedBook>;

/// `GET /spot/order_book?currency_pair=…&limit=…&with_id=true`.
pub async fn fetch_snapshot(
    rest: &RestClient,
    symbol: &str,
    limit: u32,
) -> Result<Bytes, CexError> {
    let req = ApiRequest::new(reqwest::Method::GET, "/api/v4/spot/order_book")
        .param("currency_pair", symbol)
        .param("limit", limit)
        .param("with_id", "true")
        .cost(PUBLIC_BOOK, 1);
    rest.request(&req).await
}

/// A one-off book of `market` from a REST snapshot.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let body = fetch_snapshot(rest, symbol, SNAPSHOT_LIMIT).await?;
    let mut book = SyncedBook::new(symbol, market.price, market.size);
    match book.on_snapshot(&body)? {
        SnapshotOutcome::Synced { .. } => Ok(book.book),
        other => Err(CexError::Invalid(format!(
            "snapshot not applied: {other:?}"
        ))),
    }
}

/// The subscribe (or ping) request of the public channel, at `time_s`.
pub fn request(channel: &str, event: &str, payload: Option<&[&str]>, time_s: u64) -> String {
    let mut v = serde_json::json!({"time": time_s, "channel": channel, "event": event});
    if let Some(p) = payload {
        v["payload"] = serde_json::json!(p);
    }
    v.to_string()
}

fn now_s() -> u64 {
    u64::try_from(local_ms() / 1000).unwrap_or(0)
}

/// Starts following the book of `market` on `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    rest: RestClient,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = market.rules.venue_symbol.clone();
    let book = SyncedBook::new(&symbol, market.price, market.size);
    let sub_symbol = symbol.clone();
    let subscribe: stream::Subscriber = Arc::new(move || {
        vec![request(
            CHANNEL,
            "subscribe",
            Some(&[&sub_symbol, "100ms"]),
            now_s(),
        )]
    });
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("gate_io depth {pair}"), ws_url),
        subscribe,
        snapshot: Arc::new(move || {
            let (rest, symbol) = (rest.clone(), symbol.clone());
            async move { fetch_snapshot(&rest, &symbol, SNAPSHOT_LIMIT).await }.boxed()
        }),
        ping: Some(AppPing {
            every: PING_EVERY,
            message: Arc::new(|| request("spot.ping", "", None, now_s())),
        }),
        pair,
        hub,
        refresh_rules,
    };
    LiveBook::spawn(feed, book)
}

fn is_off_grid(e: &DepthError) -> bool {
    matches!(e, DepthError::Level(GridError::OffGrid { .. }))
}

impl DiffBook for SyncedBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match self.on_frame(m) {
            Ok(Some(UpdateOutcome::Applied)) => Next::Changed,
            Ok(Some(UpdateOutcome::Stale)) | Ok(None) => {
                if let Ok(Frame::Error(e)) = self.parser.parse_frame(m) {
                    tracing::error!(%pair, "error on the depth stream: {e}");
                }
                Next::Nothing
            }
            Ok(Some(UpdateOutcome::Buffered)) => Next::Snapshot,
            Ok(Some(UpdateOutcome::Gap { expected, got })) => {
                tracing::warn!(%pair, expected, got, "gap in the depth stream; resyncing");
                Next::Resync("book out of sequence")
            }
            Ok(Some(UpdateOutcome::TooLarge {
                side,
                levels,
                chunks,
            })) => {
                tracing::warn!(%pair, side, levels, chunks, "book over its size limit; resyncing");
                Next::Resync("book over its size limit")
            }
            Err(e) if is_off_grid(&e) => {
                tracing::warn!(%pair, error = %e, "depth update off the cached grid; refetching the rules");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad depth message ({}); resyncing", CexError::snippet(m));
                self.reset();
                Next::Resync("bad depth message")
            }
        }
    }

    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep {
        match SyncedBook::on_snapshot(self, body) {
            Ok(SnapshotOutcome::Synced { id }) => SnapshotStep::Synced { id },
            Ok(SnapshotOutcome::TooOld { id, first_buffered }) => SnapshotStep::Again {
                why: format!("snapshot {id} older than the first buffered update {first_buffered}"),
            },
            Ok(SnapshotOutcome::Gap { expected, got }) => SnapshotStep::Again {
                why: format!("gap in buffered updates (expected {expected}, got {got})"),
            },
            Err(e) if is_off_grid(&e) => SnapshotStep::OffGrid(e.to_string()),
            Err(e) => SnapshotStep::Bad(e.to_string()),
        }
    }

    fn reset(&mut self) {
        SyncedBook::reset(self);
    }

    fn is_synced(&self) -> bool {
        SyncedBook::is_synced(self)
    }

    fn order_book(&self) -> &OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        SyncedBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        SyncedBook::new(self.parser.symbol(), price, size)
    }
}
