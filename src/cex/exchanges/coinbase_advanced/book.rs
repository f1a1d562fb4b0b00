//! A live Coinbase Advanced Trade book: a task on the market websocket subscribed to `heartbeats`
//! (keeps an idle subscription open; one message a second) and to `level2` for one product (one
//! channel per subscribe message, as documented). The `snapshot` event builds the book, `update`
//! events change it; any gap in the connection's `sequence_num`, any bad message, an error from
//! the venue or a book over its limits resubscribes the product (unsubscribe, subscribe: a fresh
//! snapshot follows on the same connection); a dropped connection reconnects and subscribes again
//! (the framework's stream, with jittered backoff). Publishes `BookChanged`, `ConnectionLost` and
//! `Resynced`. Data off the product's cached grid makes it refetch the product's rules and rebuild
//! the book on the new grids; if it still does not fit, or the product is no longer traded, the
//! market is reported unavailable and the task stops. The one-off REST book is
//! `GET /market/product_book`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use futures::future::BoxFuture;
use rust_decimal::Decimal;
use serde::Deserialize;
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

use super::api::{PUBLIC, decode};
use super::depth::{DepthError, HEARTBEATS, LEVEL2, Outcome, SyncedBook};

/// Levels asked for in a REST book.
pub const REST_BOOK_LIMIT: u32 = 500;

/// How long a resubscription waits for its snapshot before it is sent again.
pub const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(5);

/// A subscribe or unsubscribe message of one channel.
pub fn channel_message(kind: &str, channel: &str, products: &[&str]) -> String {
    let mut v = serde_json::json!({"type": kind, "channel": channel});
    if !products.is_empty() {
        v["product_ids"] = serde_json::json!(products);
    }
    v.to_string()
}

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
        b.is_synced().then(|| f(&b.book, b.last_sequence()))
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

    /// How many times the book was (re)built from a snapshot.
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

/// `GET /market/product_book`: `{"pricebook":{"product_id","bids":[{price,size}],"asks":[…]}}`.
#[derive(Debug, Deserialize)]
struct PriceBookAnswer {
    pricebook: PriceBook,
}

#[derive(Debug, Deserialize)]
struct PriceBook {
    product_id: String,
    bids: Vec<RestLevel>,
    asks: Vec<RestLevel>,
}

#[derive(Debug, Deserialize)]
struct RestLevel {
    price: Decimal,
    size: Decimal,
}

/// A one-off book of `market` from `GET /market/product_book`.
pub async fn snapshot_book(rest: &RestClient, market: &Market) -> Result<OrderBook, CexError> {
    let product = &market.rules.venue_symbol;
    let req = ApiRequest::new(
        reqwest::Method::GET,
        "/api/v3/brokerage/market/product_book",
    )
    .param("product_id", product)
    .param("limit", REST_BOOK_LIMIT)
    .cost(PUBLIC, 1);
    let a: PriceBookAnswer = decode("product_book", &rest.request(&req).await?)?;
    if &a.pricebook.product_id != product {
        return Err(CexError::decode(
            "product_book",
            format!("the book of {} for {product}", a.pricebook.product_id),
        ));
    }
    let mut book = OrderBook::new(market.price, market.size);
    let grid = |g: &Grid, d: Decimal| {
        g.from_decimal(d).ok_or_else(|| {
            CexError::decode("product_book", format!("{d} is off the grid {}", g.step()))
        })
    };
    for l in &a.pricebook.bids {
        book.bids
            .set(grid(&market.price, l.price)?, grid(&market.size, l.size)?);
    }
    for l in &a.pricebook.asks {
        book.asks
            .set(grid(&market.price, l.price)?, grid(&market.size, l.size)?);
    }
    Ok(book)
}

/// Starts following the book of `market` on `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let product = market.rules.venue_symbol.clone();
    let book = Arc::new(RwLock::new(SyncedBook::new(
        &product,
        market.price,
        market.size,
    )));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let sub = product.clone();
    let subscribe: stream::Subscriber = Arc::new(move || {
        vec![
            channel_message("subscribe", HEARTBEATS, &[]),
            channel_message("subscribe", LEVEL2, &[&sub]),
        ]
    });
    let (handle, rx) = stream::spawn(
        StreamConfig::new(&format!("coinbase_advanced level2 {pair}"), ws_url),
        subscribe,
    );
    let task = tokio::spawn(
        BookTask {
            pair: pair.clone(),
            product,
            book: book.clone(),
            resyncs: resyncs.clone(),
            unavailable: unavailable.clone(),
            hub,
            refresh_rules,
            handle,
            waiting_since: None,
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
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
    handle: StreamHandle,
    /// When the pending resubscription was sent (its snapshot not come yet).
    waiting_since: Option<Instant>,
}

fn read(book: &RwLock<SyncedBook>) -> RwLockReadGuard<'_, SyncedBook> {
    book.read().unwrap_or_else(|p| p.into_inner())
}

fn write(book: &RwLock<SyncedBook>) -> RwLockWriteGuard<'_, SyncedBook> {
    book.write().unwrap_or_else(|p| p.into_inner())
}

type Refresh = Option<BoxFuture<'static, Result<Option<(Grid, Grid)>, CexError>>>;

async fn refreshed(f: &mut Refresh) -> Result<Option<(Grid, Grid)>, CexError> {
    match f.as_mut() {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

impl BookTask {
    fn lost(&self, why: &str) {
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: format!("level2 {}: {why}", self.pair),
        });
    }

    /// Unsubscribes and subscribes the product again (once until its snapshot arrives, or
    /// [`RESUBSCRIBE_AFTER`] passed).
    fn resubscribe(&mut self, why: &str) {
        if self
            .waiting_since
            .is_some_and(|t| t.elapsed() < RESUBSCRIBE_AFTER)
        {
            return;
        }
        self.lost(why);
        let p: &[&str] = &[&self.product];
        let sent = self.handle.send(channel_message("unsubscribe", LEVEL2, p))
            && self.handle.send(channel_message("subscribe", LEVEL2, p));
        if !sent {
            tracing::warn!(pair = %self.pair, "resubscription not sent; the connection is down");
        }
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

    async fn run(mut self, mut rx: tokio::sync::mpsc::Receiver<StreamEvent>) {
        let pair = self.pair.clone();
        let mut refresh: Refresh = None;
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        loop {
            tokio::select! {
                _ = tick.tick() => {
                    if refresh.is_none() && !read(&self.book).is_synced()
                        && self.waiting_since.is_some_and(|t| t.elapsed() >= RESUBSCRIBE_AFTER)
                    {
                        self.resubscribe("no snapshot after resubscribing");
                    }
                }
                ev = rx.recv() => {
                    let Some(ev) = ev else { return };
                    match ev {
                        StreamEvent::Connected { reconnect } => {
                            write(&self.book).new_connection();
                            self.waiting_since = Some(Instant::now());
                            if reconnect {
                                tracing::info!(%pair, "level2 stream reconnected; waiting for the snapshot");
                            }
                        }
                        StreamEvent::Disconnected { reason } => {
                            write(&self.book).new_connection();
                            self.lost(&reason);
                        }
                        StreamEvent::Message(m) if refresh.is_none() => {
                            let r = write(&self.book).on_message(&m);
                            match r {
                                Ok(Outcome::Applied) => {
                                    self.hub.publish(VenueEvent::BookChanged { pair: pair.clone() });
                                }
                                Ok(Outcome::Synced) => {
                                    self.waiting_since = None;
                                    self.resyncs.fetch_add(1, Ordering::Relaxed);
                                    self.hub.publish(VenueEvent::Resynced { what: format!("book {pair}") });
                                    self.hub.publish(VenueEvent::BookChanged { pair: pair.clone() });
                                }
                                Ok(Outcome::Stale | Outcome::Nothing) => {}
                                Ok(Outcome::Gap { expected, got }) => {
                                    tracing::warn!(%pair, expected, got, "gap in the level2 sequence; resubscribing");
                                    self.waiting_since = None;
                                    self.resubscribe("messages lost (sequence gap)");
                                }
                                Ok(Outcome::VenueError) => {
                                    let text = read(&self.book).parser.error.clone();
                                    tracing::error!(%pair, "error on the level2 stream: {text}");
                                    self.resubscribe("the venue reported an error");
                                }
                                Ok(Outcome::TooLarge) => {
                                    tracing::warn!(%pair, "book over its size limit; resubscribing");
                                    self.waiting_since = None;
                                    self.resubscribe("book over its size limit");
                                }
                                Err(DepthError::Level(GridError::OffGrid { .. })) => {
                                    tracing::warn!(%pair, "level2 data off the cached grid; refetching the rules");
                                    self.lost("data off the cached tick/step grid; refetching the rules");
                                    refresh = Some((self.refresh_rules)());
                                }
                                Err(e) => {
                                    tracing::error!(%pair, error = %e, "bad level2 message ({}); resubscribing", CexError::snippet(&m));
                                    self.waiting_since = None;
                                    self.resubscribe("bad level2 message");
                                }
                            }
                        }
                        StreamEvent::Message(_) => {}
                    }
                }
                res = refreshed(&mut refresh) => {
                    refresh = None;
                    let (price, size) = match res {
                        Ok(Some(grids)) => grids,
                        Ok(None) => {
                            self.give_up("the exchange no longer lists it as tradable".into());
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(%pair, error = %e, "refetching the rules failed; retrying");
                            tokio::time::sleep(Duration::from_secs(1)).await;
                            refresh = Some((self.refresh_rules)());
                            continue;
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
                        return;
                    }
                    tracing::info!(%pair, tick = %price.step(), step = %size.step(), "the product's rules changed; book rebuilt on the new grids");
                    let last = read(&self.book).last_sequence();
                    let mut fresh = SyncedBook::new(&self.product, price, size);
                    fresh.continue_sequence(last);
                    *write(&self.book) = fresh;
                    self.waiting_since = None;
                    self.resubscribe("rules changed");
                }
            }
        }
    }
}
