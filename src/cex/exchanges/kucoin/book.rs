//! A live KuCoin book: `cex::live_book`'s task over a public connection ticket (`bullet-public`,
//! a fresh one for every connection: KuCoin's tokens expire), subscribed to
//! `/market/level2:{symbol}`, taking the REST snapshot (`/api/v1/market/orderbook/level2_100`)
//! when the book is not synced (after each connect — pushes are buffered meanwhile —, after a gap,
//! after a bad message) and pinging every `pingInterval` of the ticket. This file is KuCoin's part:
//! the ticket, the subscription, the snapshot request and the sequence rule ([`SyncedBook`] as a
//! [`DiffBook`]); the resync state machine, rules refetch and give-up are `live_book`'s.

use std::sync::Arc;

use bytes::Bytes;
use futures::FutureExt;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::live_book::{self, AppPing, DiffBook, DiffFeed, Next, SnapshotStep, Ticket};
use crate::cex::stream::{self, StreamConfig};
use crate::cex::venue::{Market, RulesRefresher};
use crate::core::Pair;
use crate::venue::EventHub;

use super::api::limit;
use super::depth::{DepthError, Frame};
use super::sync::{SnapshotOutcome, SyncedBook, UpdateOutcome};
use super::ws;

/// The public snapshot path (100 levels a side; the signed `/api/v3/market/orderbook/level2` is
/// the whole book).
pub const SNAPSHOT_PATH: &str = "/api/v1/market/orderbook/level2_100";

/// The depth topic of `symbol`.
pub fn topic(symbol: &str) -> String {
    format!("/market/level2:{symbol}")
}

/// A running book subscription; dropping it stops the task.
pub type LiveBook = live_book::LiveBook<SyncedBook>;

/// `GET /api/v1/market/orderbook/level2_100?symbol=…` (raw body, parsed by the depth parser).
pub async fn fetch_snapshot(rest: &RestClient, symbol: &str) -> Result<Bytes, CexError> {
    let req = ApiRequest::new(reqwest::Method::GET, SNAPSHOT_PATH)
        .param("symbol", symbol)
        .cost(limit::PUBLIC, limit::W_BOOK);
    rest.request(&req).await
}

/// A one-off book of `market` from a REST snapshot.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    let symbol = &market.rules.venue_symbol;
    let body = fetch_snapshot(rest, symbol).await?;
    let mut book = SyncedBook::new(symbol, market.price, market.size);
    match book.on_snapshot(&body)? {
        SnapshotOutcome::Synced { .. } => Ok(book.book),
        other => Err(CexError::Invalid(format!(
            "snapshot not applied: {other:?}"
        ))),
    }
}

/// Starts following the book of `market` (the connection tickets from `rest`).
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    rest: RestClient,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = market.rules.venue_symbol.clone();
    let book = SyncedBook::new(&symbol, market.price, market.size);
    let sub_topic = topic(&symbol);
    let subscribe: stream::Subscriber =
        Arc::new(move || vec![ws::topic_op("subscribe", &sub_topic, false)]);
    let ticket_rest = rest.clone();
    let ticket: live_book::TicketFetcher = Arc::new(move || {
        let rest = ticket_rest.clone();
        async move {
            let b = ws::bullet(&rest, false).await?;
            Ok(Ticket {
                url: b.url,
                ping: Some(AppPing {
                    every: b.ping_interval,
                    message: Arc::new(ws::ping),
                }),
            })
        }
        .boxed()
    });
    let feed = DiffFeed {
        // The URL is each connection's ticket.
        stream: StreamConfig::new(&format!("kucoin level2 {pair}"), ""),
        subscribe,
        snapshot: Arc::new(move || {
            let (rest, symbol) = (rest.clone(), symbol.clone());
            async move { fetch_snapshot(&rest, &symbol).await }.boxed()
        }),
        ping: None,
        pair,
        hub,
        refresh_rules,
    };
    LiveBook::spawn_ticketed(feed, book, ticket)
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
            Ok(Some(UpdateOutcome::TooLarge { side, levels })) => {
                tracing::warn!(%pair, side, levels, "book over its size limit; resyncing");
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
            Ok(SnapshotOutcome::Synced { sequence }) => SnapshotStep::Synced { id: sequence },
            Ok(SnapshotOutcome::TooOld {
                sequence,
                first_buffered,
            }) => SnapshotStep::Again {
                why: format!(
                    "snapshot {sequence} older than the first buffered push {first_buffered}"
                ),
            },
            Ok(SnapshotOutcome::Gap { expected, got }) => SnapshotStep::Again {
                why: format!("gap in buffered pushes (expected {expected}, got {got})"),
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
        self.sequence()
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        SyncedBook::new(self.parser.symbol(), price, size)
    }
}
