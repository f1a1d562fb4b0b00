//! A live Coinbase Exchange book: a task that subscribes to `level2_batch` and `heartbeat` for one
//! product, applies the `snapshot` and the `l2update`s the subscription sends, checks each
//! heartbeat's `sequence` (see [`super::depth`]), and on a gap, a bad message, a missing heartbeat
//! or a disconnect resyncs from a fresh subscription (unsubscribe, subscribe: a new snapshot
//! follows). It publishes `BookChanged`, `ConnectionLost` and `Resynced`. Data off the product's
//! cached grid makes it refetch the product's rules and rebuild the book on the new grids; if it
//! still does not fit (or the product is no longer traded) the market is reported unavailable.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{LiveBookView, Market, MarketUnavailable, RulesRefresher};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

use super::api::PUBLIC;
use super::depth::{DepthError, Frame, HeartbeatCheck, Outcome, SyncedBook};

/// The book channel (snapshot, then updates batched every 50 ms).
pub const BOOK_CHANNEL: &str = "level2_batch";
/// The channel whose `sequence` checks the book.
pub const HEARTBEAT_CHANNEL: &str = "heartbeat";
/// Coinbase sends a heartbeat every second; this long without one (or without the snapshot after
/// subscribing) and the subscription is renewed.
pub const HEARTBEAT_TIMEOUT: Duration = Duration::from_secs(5);

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook {
    pub pair: Pair,
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    task: JoinHandle<()>,
}

impl Drop for LiveBook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LiveBookView for LiveBook {
    fn with_synced<R>(&self, f: impl FnOnce(&OrderBook, Option<u64>) -> R) -> Option<R> {
        let b = self.read();
        b.is_synced().then(|| f(&b.book, b.sequence()))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        LiveBook::unavailable(self)
    }
}

impl LiveBook {
    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, SyncedBook> {
        read(&self.book)
    }

    /// How many snapshots the book was (re)built from.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    pub fn unavailable(&self) -> Option<MarketUnavailable> {
        self.unavailable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until the book is synced (or `timeout` passes, or the market is unavailable).
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if self.read().is_synced() {
                return true;
            }
            if self.unavailable().is_some() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

/// A one-off book of `market` from `GET /products/{id}/book?level=2`.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    let product = &market.rules.venue_symbol;
    let req = ApiRequest::new(reqwest::Method::GET, &format!("/products/{product}/book"))
        .param("level", 2)
        .cost(PUBLIC, 1);
    let body = rest.request(&req).await?;
    let mut b = SyncedBook::new(product, market.price, market.size, HeartbeatCheck::Advance);
    b.parser.parse_rest_book(&body)?;
    let mut book = OrderBook::new(market.price, market.size);
    book.bids.set_all(&b.parser.bids);
    book.asks.set_all(&b.parser.asks);
    Ok(book)
}

/// The (un)subscribe message of the book and heartbeat channels of `product`.
pub fn subscription(kind: &str, product: &str) -> String {
    serde_json::json!({
        "type": kind,
        "product_ids": [product],
        "channels": [BOOK_CHANNEL, HEARTBEAT_CHANNEL],
    })
    .to_string()
}

/// Starts following the book of `market` on `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    ws_url: &str,
    check: HeartbeatCheck,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let product = market.rules.venue_symbol.clone();
    let book = Arc::new(RwLock::new(SyncedBook::new(
        &product,
        market.price,
        market.size,
        check,
    )));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let sub_product = product.clone();
    let subscribe: stream::Subscriber =
        Arc::new(move || vec![subscription("subscribe", &sub_product)]);
    let (handle, rx) = stream::spawn(
        StreamConfig::new(&format!("coinbase_pro level2 {pair}"), ws_url),
        subscribe,
    );
    let task = tokio::spawn(
        BookTask {
            pair: pair.clone(),
            product,
            check,
            book: book.clone(),
            resyncs: resyncs.clone(),
            unavailable: unavailable.clone(),
            hub,
            refresh_rules,
            handle,
            waiting_since: Some(Instant::now()),
        }
        .run(rx),
    );
    LiveBook {
        pair,
        book,
        resyncs,
        unavailable,
        task,
    }
}

struct BookTask {
    pair: Pair,
    product: String,
    check: HeartbeatCheck,
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
    handle: StreamHandle,
    /// Since the last snapshot or heartbeat while subscribed (the watchdog's clock).
    waiting_since: Option<Instant>,
}

fn read(book: &RwLock<SyncedBook>) -> RwLockReadGuard<'_, SyncedBook> {
    book.read().unwrap_or_else(|p| p.into_inner())
}

fn write(book: &RwLock<SyncedBook>) -> RwLockWriteGuard<'_, SyncedBook> {
    book.write().unwrap_or_else(|p| p.into_inner())
}

fn is_off_grid(e: &DepthError) -> bool {
    matches!(e, DepthError::Level(GridError::OffGrid { .. }))
}

impl BookTask {
    fn lost(&self, why: &str) {
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: format!("level2 {}: {why}", self.pair),
        });
    }

    /// Renews the subscription: the book is reset and the next snapshot rebuilds it.
    fn resubscribe(&mut self, why: &str) {
        write(&self.book).reset();
        self.lost(why);
        self.handle.send(subscription("unsubscribe", &self.product));
        self.handle.send(subscription("subscribe", &self.product));
        self.waiting_since = Some(Instant::now());
    }

    fn give_up(&self, reason: String) {
        let e = MarketUnavailable {
            pair: self.pair.clone(),
            reason,
        };
        tracing::error!(pair = %self.pair, error = %e, "book given up");
        write(&self.book).reset();
        *self.unavailable.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: e.to_string(),
        });
    }

    fn on_message(&mut self, m: &[u8]) -> Option<BoxFuture<'static, RefreshResult>> {
        let r = write(&self.book).on_frame(m);
        let pair = self.pair.clone();
        match r {
            Ok(Outcome::Snapshot) => {
                self.resyncs.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%pair, "book synced from a snapshot");
                // heartbeats are due from now on
                self.waiting_since = Some(Instant::now());
                self.hub.publish(VenueEvent::Resynced {
                    what: format!("book {pair}"),
                });
                if self.check == HeartbeatCheck::Advance {
                    self.hub.publish(VenueEvent::BookChanged { pair });
                }
            }
            Ok(Outcome::Applied) => {
                if self.check == HeartbeatCheck::Advance {
                    self.hub.publish(VenueEvent::BookChanged { pair });
                }
            }
            Ok(Outcome::Confirmed { changed }) => {
                self.waiting_since = Some(Instant::now());
                if changed || self.check == HeartbeatCheck::Count {
                    self.hub.publish(VenueEvent::BookChanged { pair });
                }
            }
            Ok(Outcome::Ignored) => {
                if let Ok(Frame::Error(e)) = write(&self.book).parser.parse_frame(m) {
                    tracing::error!(%pair, "error on the level2 stream: {e}");
                }
            }
            Ok(Outcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "heartbeat sequence does not follow; resubscribing");
                self.resubscribe("book out of sequence");
            }
            Ok(Outcome::TooLarge {
                side,
                levels,
                chunks,
            }) => {
                tracing::warn!(%pair, side, levels, chunks, "book over its size limit; resubscribing");
                self.resubscribe("book over its size limit");
            }
            Err(e) if is_off_grid(&e) => {
                tracing::warn!(%pair, error = %e, "level2 data off the cached grid; refetching the rules");
                write(&self.book).reset();
                self.lost("data off the cached tick/step grid; refetching the rules");
                self.handle.send(subscription("unsubscribe", &self.product));
                self.waiting_since = None;
                return Some((self.refresh_rules)());
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "bad level2 message ({}); resubscribing", CexError::snippet(m));
                self.resubscribe("bad level2 message");
            }
        }
        None
    }

    /// Applies refreshed rules: `false` when the task must stop.
    fn on_refresh(&mut self, res: RefreshResult) -> Result<bool, ()> {
        let (price, size) = match res {
            Ok(Some(grids)) => grids,
            Ok(None) => {
                self.give_up("the exchange no longer lists it as tradable".into());
                return Ok(false);
            }
            Err(e) => {
                tracing::warn!(pair = %self.pair, error = %e, "refetching the rules failed; retrying");
                return Err(());
            }
        };
        let old = {
            let b = read(&self.book);
            (b.book.price_grid, b.book.size_grid)
        };
        if (price, size) == old {
            self.give_up(format!(
                "its data is off the tick size {} / step size {} the exchange lists",
                price.step(),
                size.step()
            ));
            return Ok(false);
        }
        tracing::info!(pair = %self.pair, tick = %price.step(), step = %size.step(), "the product's rules changed; book rebuilt on the new grids");
        *write(&self.book) = SyncedBook::new(&self.product, price, size, self.check);
        self.handle.send(subscription("subscribe", &self.product));
        self.waiting_since = Some(Instant::now());
        Ok(true)
    }

    async fn run(mut self, mut rx: tokio::sync::mpsc::Receiver<StreamEvent>) {
        let mut refresh: Option<BoxFuture<'static, RefreshResult>> = None;
        let mut watchdog = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                _ = watchdog.tick() => {
                    if self.waiting_since.is_some_and(|t| t.elapsed() > HEARTBEAT_TIMEOUT) {
                        tracing::warn!(pair = %self.pair, "no snapshot or heartbeat in time; resubscribing");
                        self.resubscribe("no snapshot or heartbeat in time");
                    }
                }
                ev = rx.recv() => {
                    let Some(ev) = ev else { return };
                    match ev {
                        StreamEvent::Connected { reconnect } => {
                            write(&self.book).reset();
                            self.waiting_since = Some(Instant::now());
                            if reconnect {
                                tracing::info!(pair = %self.pair, "level2 stream reconnected; a new snapshot follows");
                            }
                        }
                        StreamEvent::Disconnected { reason } => {
                            write(&self.book).reset();
                            self.waiting_since = None;
                            self.lost(&reason);
                        }
                        StreamEvent::Message(m) => {
                            if refresh.is_none() {
                                refresh = self.on_message(&m);
                            }
                        }
                    }
                }
                res = async { match refresh.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => {
                    refresh = None;
                    match self.on_refresh(res) {
                        Ok(true) => {}
                        Ok(false) => return,
                        Err(()) => {
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            refresh = Some((self.refresh_rules)());
                        }
                    }
                }
            }
        }
    }
}

type RefreshResult = Result<Option<(Grid, Grid)>, CexError>;
