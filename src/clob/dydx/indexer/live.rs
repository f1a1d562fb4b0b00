//! The live dYdX v4 book: the indexer's `v4_orderbook` channel of one market on its own
//! websocket connection, followed by the framework's [`cex::live_book`](crate::cex::live_book)
//! task in its stream-snapshot mode — the subscription is answered by `subscribed` carrying the
//! whole book; a lost message (a skipped `message_id`), a malformed message or an `error` resets
//! the book and sends `unsubscribe` + `subscribe` on the open connection for a fresh one; a lost
//! connection reconnects with backoff and subscribes again. Heartbeats: socks pings every 30 s
//! and drops a connection that has not answered within 10 s; the stream answers every ping and
//! sends its own.
//!
//! [`IndexerBook::connect`] is the entry point: the market's grids from `GET
//! /v4/perpetualMarkets`, then the live book.

use std::sync::Arc;

use futures::FutureExt;

use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::live_book::{self, DiffBook, DiffFeed, Next, SnapshotStep};
use crate::cex::stream::StreamConfig;
use crate::cex::venue::RulesRefresher;
use crate::core::Pair;
use crate::venue::EventHub;

use super::book::{BookOutcome, IndexerBook, IndexerBookError};
use super::rest::IndexerRest;

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<IndexerBook>;

/// Follows `book`'s market on the indexer websocket at `ws_url` (`wss://…/v4/ws`).
pub fn spawn_live_book(
    pair: Pair,
    book: IndexerBook,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let subscribe = book.subscribe_message();
    let unsubscribe = book.unsubscribe_message();
    let sub = subscribe.clone();
    let feed = DiffFeed {
        stream: StreamConfig::new(&format!("dydx indexer book {pair}"), ws_url),
        subscribe: Arc::new(move || vec![sub.clone()]),
        snapshot: Arc::new(|| {
            async {
                Err(CexError::Invalid(
                    "dYdX indexer books take their snapshots from the stream".into(),
                ))
            }
            .boxed()
        }),
        // socks pings with control frames; a JSON `ping` is not needed
        ping: None,
        pair,
        hub,
        refresh_rules,
    };
    let resubscribe = Arc::new(move || vec![unsubscribe.clone(), subscribe.clone()]);
    LiveBook::spawn_stream_snapshots(feed, book, resubscribe)
}

impl IndexerBook {
    /// The live book of `ticker` (`BTC-USD`) from the indexer at `rest_url`
    /// (`https://indexer.dydx.trade`) and `ws_url` (`wss://indexer.dydx.trade/v4/ws`),
    /// publishing `BookChanged`, `ConnectionLost` and `Resynced` on `hub` under `pair`. The
    /// market's tick and step sizes are asked first (and again if the data goes off them).
    pub async fn connect(
        rest_url: &str,
        ws_url: &str,
        ticker: &str,
        pair: Pair,
        hub: Arc<EventHub>,
    ) -> Result<LiveBook, CexError> {
        let rest = IndexerRest::new(rest_url)?;
        let (price, size) = rest.book_grids(ticker).await?.ok_or_else(|| {
            CexError::Invalid(format!(
                "the dYdX indexer does not list the market {ticker}"
            ))
        })?;
        let t = ticker.to_string();
        let refresh_rules: RulesRefresher = Arc::new(move || {
            let (rest, t) = (rest.clone(), t.clone());
            async move { rest.book_grids(&t).await }.boxed()
        });
        let book = IndexerBook::new(ticker, price, size);
        Ok(spawn_live_book(pair, book, ws_url, hub, refresh_rules))
    }
}

impl DiffBook for IndexerBook {
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next {
        match self.on_frame(m) {
            Ok(BookOutcome::Applied) => Next::Changed,
            Ok(BookOutcome::Snapshot { message_id }) => Next::Synced(message_id),
            Ok(BookOutcome::Stale | BookOutcome::Control) => Next::Nothing,
            Ok(BookOutcome::Unsynced) => Next::Snapshot,
            Ok(BookOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "dYdX indexer book: message id skipped; resubscribing");
                Next::Resync("book message lost")
            }
            Err(IndexerBookError::Level(e @ GridError::OffGrid { .. })) => {
                tracing::warn!(%pair, error = %e, "dYdX indexer book off the cached grid; refetching the market");
                self.reset();
                Next::OffGrid
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad dYdX indexer book message ({}); resubscribing", CexError::snippet(m));
                self.reset();
                Next::Resync("unreadable book message")
            }
        }
    }

    fn on_snapshot(&mut self, _body: &[u8]) -> SnapshotStep {
        SnapshotStep::Bad("dYdX indexer books take their snapshots from the stream".into())
    }

    fn reset(&mut self) {
        IndexerBook::reset(self);
    }

    fn is_synced(&self) -> bool {
        IndexerBook::is_synced(self)
    }

    fn order_book(&self) -> &crate::cex::book::OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        IndexerBook::last_update_id(self)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        let mut b = IndexerBook::new(self.ticker(), price, size);
        b.set_uncross(self.uncrosses());
        b
    }
}
