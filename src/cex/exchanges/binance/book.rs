//! A live Binance book: a task that follows `<symbol>@depth@100ms`, fetches the REST snapshot when
//! the book is not synced (after each connect — diffs are buffered meanwhile —, after a gap, after
//! a malformed message), and
//! publishes `BookChanged`, `ConnectionLost` and `Resynced` events. Readers take the book under a
//! read lock.
//!
//! Data off the symbol's cached tick/step grid (the exchange changed the symbol's filters) makes
//! the task refetch the symbol's rules and rebuild the book on the new grids; if the data still
//! does not fit (or the symbol is no longer traded), the market is reported unavailable
//! ([`MarketUnavailable`], a `ConnectionLost` event, an error log) and the task stops instead of
//! retrying snapshots forever.

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::json_scan::event_type;
use crate::cex::live_book::{self, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::Market;
use crate::core::Pair;
use crate::venue::EventHub;

use super::api::{RAW_REQUESTS, REQUEST_WEIGHT, depth_weight};
use super::depth::{DepthError, DiffOutcome, SnapshotOutcome, SyncedBook};

/// Levels asked for in the REST snapshot.
pub const SNAPSHOT_LIMIT: u32 = 1000;

pub use crate::cex::venue::{MarketUnavailable, RulesRefresher};

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<SyncedBook>;

/// Fetches a depth snapshot body.
pub async fn fetch_snapshot(
    rest: &RestClient,
    symbol: &str,
    limit: u32,
) -> Result<Bytes, CexError> {
    let req = ApiRequest::new(reqwest::Method::GET, "/api/v3/depth")
        .param("symbol", symbol)
        .param("limit", limit)
        .cost(REQUEST_WEIGHT, depth_weight(limit))
        .cost(RAW_REQUESTS, 1);
    rest.request(&req).await
}

/// A one-off book of `market` from a REST snapshot of [`SNAPSHOT_LIMIT`] levels.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<SyncedBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let body = fetch_snapshot(rest, symbol, SNAPSHOT_LIMIT).await?;
    let mut book = SyncedBook::new(symbol, market.price, market.size);
    match book.on_snapshot(&body)? {
        SnapshotOutcome::Synced { .. } => Ok(book),
        other => Err(CexError::Invalid(format!(
            "snapshot not applied: {other:?}"
        ))),
    }
}

/// Starts following the book of `symbol` (a fresh `SyncedBook` on the symbol's grids);
/// `refresh_rules` is called when the data goes off those grids.
pub fn spawn_live_book(
    pair: Pair,
    book: SyncedBook,
    rest: RestClient,
    ws_base: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = book.parser.symbol().to_string();
    let url = format!(
        "{}/ws/{}@depth@100ms",
        ws_base.trim_end_matches('/'),
        symbol.to_ascii_lowercase()
    );
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("binance depth {pair}"), &url),
        subscribe: Arc::new(Vec::new),
        snapshot: Arc::new(move || {
            let (rest, symbol) = (rest.clone(), symbol.clone());
            async move { fetch_snapshot(&rest, &symbol, SNAPSHOT_LIMIT).await }.boxed()
        }),
        ping: None,
        pair,
        hub,
        refresh_rules,
    };
    LiveBook::spawn(feed, book)
}

/// Whether a depth error means a value is off the symbol's grid.
fn is_off_grid(e: &DepthError) -> bool {
    matches!(e, DepthError::Level(GridError::OffGrid { .. }))
}

impl DiffBook for SyncedBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match event_type(m) {
            Ok(Some(b"depthUpdate")) => {}
            Ok(Some(other)) => {
                tracing::warn!(%pair, "unexpected message type {:?} on the depth stream; ignored", String::from_utf8_lossy(other));
                return Next::Nothing;
            }
            Ok(None) => {
                // subscription replies and the like
                tracing::debug!(%pair, "non-event message on the depth stream: {}", CexError::snippet(m));
                return Next::Nothing;
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "malformed message on the depth stream ({}); resyncing", CexError::snippet(m));
                self.reset();
                return Next::Snapshot;
            }
        }
        match self.on_frame(m) {
            Ok(DiffOutcome::Applied) => Next::Changed,
            Ok(DiffOutcome::Stale) => Next::Nothing,
            Ok(DiffOutcome::Buffered) => Next::Snapshot,
            Ok(DiffOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "gap in the depth stream; resyncing");
                Next::Resync("book out of sequence")
            }
            Ok(DiffOutcome::TooLarge {
                side,
                levels,
                chunks,
            }) => {
                tracing::warn!(%pair, side, levels, chunks, "book over its size limit; resyncing");
                Next::Resync("book out of sequence")
            }
            Err(e) if is_off_grid(&e) => {
                tracing::warn!(%pair, error = %e, "depth update off the cached grid; refetching the rules");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad depth update; resyncing");
                self.reset();
                Next::Resync("book out of sequence")
            }
        }
    }

    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep {
        match SyncedBook::on_snapshot(self, body) {
            Ok(SnapshotOutcome::Synced { last_update_id }) => {
                SnapshotStep::Synced { id: last_update_id }
            }
            Ok(SnapshotOutcome::TooOld {
                last_update_id,
                first_buffered,
            }) => SnapshotStep::Again {
                why: format!(
                    "snapshot {last_update_id} older than the stream's first buffered diff {first_buffered}"
                ),
            },
            Ok(SnapshotOutcome::Gap { expected, got }) => SnapshotStep::Again {
                why: format!("gap in buffered diffs (expected {expected}, got {got})"),
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

    fn order_book(&self) -> &crate::cex::book::OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        SyncedBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        SyncedBook::new(self.parser.symbol(), price, size)
    }
}
