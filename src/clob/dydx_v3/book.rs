//! The live dYdX v3 book: the `v3_orderbook` channel (`includeOffsets`) on the websocket, followed
//! by the framework's [`cex::live_book`](crate::cex::live_book) task — updates buffered after each
//! connect until the REST snapshot `GET /v3/orderbook/{market}` is applied; a gap in the message
//! ids, an error message or a malformed one resyncs from REST — with [`DydxBook`]'s offset rule.

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::RestClient;
use crate::cex::live_book::{self, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::depth::{BookOutcome, DydxBook, DydxBookError};
use super::rest::public;

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<DydxBook>;

/// `GET /v3/orderbook/{market}`.
pub async fn fetch_snapshot(rest: &RestClient, market: &str) -> Result<Bytes, CexError> {
    rest.request(&public(&format!("/v3/orderbook/{market}")))
        .await
}

/// A one-off book of `market` from the REST snapshot.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<DydxBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let body = fetch_snapshot(rest, symbol).await?;
    let mut book = DydxBook::new(symbol, market.price, market.size);
    book.on_snapshot(&body)
        .map_err(|e| CexError::decode("orderbook", e))?;
    Ok(book)
}

/// Follows `book`'s market on the websocket at `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    book: DydxBook,
    rest: RestClient,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let market = book.market().to_string();
    let subscribe = book.subscribe_message();
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("dydx_v3 book {pair}"), ws_url),
        subscribe: Arc::new(move || vec![subscribe.clone()]),
        snapshot: Arc::new(move || {
            let (rest, market) = (rest.clone(), market.clone());
            async move { fetch_snapshot(&rest, &market).await }.boxed()
        }),
        ping: None,
        pair,
        hub,
        refresh_rules,
    };
    LiveBook::spawn(feed, book)
}

impl DiffBook for DydxBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match self.on_frame(m) {
            Ok(BookOutcome::Applied) => Next::Changed,
            Ok(BookOutcome::Buffered) => Next::Snapshot,
            Ok(BookOutcome::Stale | BookOutcome::Control) => Next::Nothing,
            Ok(BookOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "dYdX v3 book: message id skipped; resyncing");
                Next::Resync("book message lost")
            }
            Err(DydxBookError::Level(e @ GridError::OffGrid { .. })) => {
                tracing::warn!(%pair, error = %e, "dYdX v3 book off the cached grid; refetching the rules");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad dYdX v3 book message ({}); resyncing", CexError::snippet(m));
                self.reset();
                Next::Resync("unreadable book message")
            }
        }
    }

    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep {
        match DydxBook::on_snapshot(self, body) {
            Ok(id) => SnapshotStep::Synced { id },
            Err(DydxBookError::Level(e @ GridError::OffGrid { .. })) => {
                SnapshotStep::OffGrid(e.to_string())
            }
            Err(e) => SnapshotStep::Bad(e.to_string()),
        }
    }

    fn reset(&mut self) {
        DydxBook::reset(self);
    }

    fn is_synced(&self) -> bool {
        DydxBook::is_synced(self)
    }

    fn order_book(&self) -> &crate::cex::book::OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        DydxBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        DydxBook::new(self.market(), price, size)
    }
}
