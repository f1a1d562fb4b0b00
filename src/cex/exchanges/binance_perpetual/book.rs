//! The live futures book: `<symbol>@depth@100ms` followed by the framework's
//! [`cex::live_book`](crate::cex::live_book) task, the REST snapshot `GET /fapi/v1/depth`, and the
//! `pu` rule of [`PerpBook`] behind the framework's [`DiffBook`].

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::error::CexError;
use crate::cex::exchanges::binance::depth::{DepthError, DiffOutcome, SnapshotOutcome};
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::json_scan::event_type;
use crate::cex::live_book::{self, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::api::{REQUEST_WEIGHT, depth_weight};
use super::depth::PerpBook;

/// Levels asked for in the REST snapshot (weight 20).
pub const SNAPSHOT_LIMIT: u32 = 1000;

/// A running futures book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<PerpBook>;

/// `GET /fapi/v1/depth` body.
pub async fn fetch_snapshot(
    rest: &RestClient,
    symbol: &str,
    limit: u32,
) -> Result<Bytes, CexError> {
    let req = ApiRequest::new(reqwest::Method::GET, "/fapi/v1/depth")
        .param("symbol", symbol)
        .param("limit", limit)
        .cost(REQUEST_WEIGHT, depth_weight(limit));
    rest.request(&req).await
}

/// A one-off book of `market` from a REST snapshot.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<PerpBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let body = fetch_snapshot(rest, symbol, SNAPSHOT_LIMIT).await?;
    let mut book = PerpBook::new(symbol, market.price, market.size);
    match book.on_snapshot(&body)? {
        SnapshotOutcome::Synced { .. } => Ok(book),
        other => Err(CexError::Invalid(format!(
            "snapshot not applied: {other:?}"
        ))),
    }
}

/// Follows the book of `book`'s symbol at `{ws_base}/ws/<symbol>@depth@100ms`.
pub fn spawn_live_book(
    pair: Pair,
    book: PerpBook,
    rest: RestClient,
    ws_base: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = book.symbol().to_string();
    let url = format!(
        "{}/ws/{}@depth@100ms",
        ws_base.trim_end_matches('/'),
        symbol.to_ascii_lowercase()
    );
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("binance_perpetual depth {pair}"), &url),
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

fn is_off_grid(e: &DepthError) -> bool {
    matches!(e, DepthError::Level(GridError::OffGrid { .. }))
}

impl DiffBook for PerpBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match event_type(m) {
            Ok(Some(b"depthUpdate")) => {}
            Ok(Some(other)) => {
                tracing::warn!(%pair, "unexpected message type {:?} on the futures depth stream; ignored", String::from_utf8_lossy(other));
                return Next::Nothing;
            }
            Ok(None) => return Next::Nothing,
            Err(e) => {
                tracing::error!(%pair, error = %e, "malformed message on the futures depth stream ({}); resyncing", CexError::snippet(m));
                self.reset();
                return Next::Snapshot;
            }
        }
        match self.on_frame(m) {
            Ok(DiffOutcome::Applied) => Next::Changed,
            Ok(DiffOutcome::Stale) => Next::Nothing,
            Ok(DiffOutcome::Buffered) => Next::Snapshot,
            Ok(DiffOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "futures depth: pu does not continue the book; resyncing");
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
                tracing::warn!(%pair, error = %e, "futures depth off the cached grid; refetching the rules");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad futures depth event; resyncing");
                self.reset();
                Next::Resync("book out of sequence")
            }
        }
    }

    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep {
        match PerpBook::on_snapshot(self, body) {
            Ok(SnapshotOutcome::Synced { last_update_id }) => {
                SnapshotStep::Synced { id: last_update_id }
            }
            Ok(SnapshotOutcome::TooOld {
                last_update_id,
                first_buffered: first,
            }) => SnapshotStep::Again {
                why: format!("snapshot {last_update_id} older than the buffered event {first}"),
            },
            Ok(SnapshotOutcome::Gap { expected, got }) => SnapshotStep::Again {
                why: format!("buffered events do not chain (pu {got}, expected {expected})"),
            },
            Err(e) if is_off_grid(&e) => SnapshotStep::OffGrid(e.to_string()),
            Err(e) => SnapshotStep::Bad(e.to_string()),
        }
    }

    fn reset(&mut self) {
        PerpBook::reset(self);
    }

    fn is_synced(&self) -> bool {
        PerpBook::is_synced(self)
    }

    fn order_book(&self) -> &crate::cex::book::OrderBook {
        self.book()
    }

    fn last_update_id(&self) -> Option<u64> {
        PerpBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        PerpBook::new(self.symbol(), price, size)
    }
}
