//! A live KuCoin book: a task that takes a public connection ticket (`bullet-public`),
//! subscribes to `/market/level2:{symbol}`, takes the REST snapshot
//! (`/api/v1/market/orderbook/level2_100`) when the book is not synced (after each connect —
//! pushes are buffered meanwhile —, after a gap, after a bad message), pings every
//! `pingInterval`, and publishes `BookChanged`, `ConnectionLost` and `Resynced`. Data off the
//! pair's cached grid makes it refetch the pair's rules and rebuild the book on the new grids; if
//! it still does not fit (or the pair is no longer traded) the market is reported unavailable and
//! the task stops. A reconnect reuses the ticket (KuCoin's tokens last 24 h); a ticket that
//! cannot be had is retried.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{LiveBookView, Market, MarketUnavailable, RulesRefresher};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

use super::api::limit;
use super::depth::{DepthError, Frame};
use super::sync::{SnapshotOutcome, SyncedBook, UpdateOutcome};
use super::ws::{self, Bullet};

/// The public snapshot path (100 levels a side; the signed `/api/v3/market/orderbook/level2` is
/// the whole book).
pub const SNAPSHOT_PATH: &str = "/api/v1/market/orderbook/level2_100";

/// The depth topic of `symbol`.
pub fn topic(symbol: &str) -> String {
    format!("/market/level2:{symbol}")
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

    /// How many times the book was (re)built from a snapshot.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    /// Why the book was given up, if it was.
    pub fn unavailable(&self) -> Option<MarketUnavailable> {
        self.unavailable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits until the book is synced (or `timeout` passes, or the market is unavailable).
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
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

/// Starts following the book of `market` (the connection ticket from `rest`).
pub fn spawn_live_book(
    pair: Pair,
    market: &Market,
    rest: RestClient,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let symbol = market.rules.venue_symbol.clone();
    let book = Arc::new(RwLock::new(SyncedBook::new(
        &symbol,
        market.price,
        market.size,
    )));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let task = tokio::spawn(run(BookTask {
        pair: pair.clone(),
        symbol,
        book: book.clone(),
        resyncs: resyncs.clone(),
        unavailable: unavailable.clone(),
        rest,
        hub,
        refresh_rules,
    }));
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
    symbol: String,
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    rest: RestClient,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
}

type Pending<T> = Option<BoxFuture<'static, T>>;

async fn pending_or_never<T>(f: &mut Pending<T>) -> T {
    match f.as_mut() {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
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
    fn start_snapshot(&self, delay: Duration) -> BoxFuture<'static, Result<Bytes, CexError>> {
        let (rest, symbol) = (self.rest.clone(), self.symbol.clone());
        async move {
            tokio::time::sleep(delay).await;
            fetch_snapshot(&rest, &symbol).await
        }
        .boxed()
    }

    fn start_refresh(&self) -> BoxFuture<'static, Result<Option<(Grid, Grid)>, CexError>> {
        (self.refresh_rules)()
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

    fn lost(&self, why: &str) {
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: format!("depth {}: {why}", self.pair),
        });
    }
}

/// What one frame asks of the task.
enum Next {
    Nothing,
    Changed,
    Snapshot,
    Resync(&'static str),
    Refresh,
}

fn on_frame(pair: &Pair, book: &RwLock<SyncedBook>, m: &[u8]) -> Next {
    let mut b = write(book);
    match b.on_frame(m) {
        Ok(Some(UpdateOutcome::Applied)) => Next::Changed,
        Ok(Some(UpdateOutcome::Stale)) | Ok(None) => {
            if let Ok(Frame::Error(e)) = b.parser.parse_frame(m) {
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
            b.reset();
            Next::Refresh
        }
        Err(e) => {
            tracing::error!(%pair, error = %e, "bad depth message ({}); resyncing", CexError::snippet(m));
            b.reset();
            Next::Resync("bad depth message")
        }
    }
}

/// A public connection ticket, retried until had (with a growing pause, at most 30 s).
async fn ticket(task: &BookTask) -> Bullet {
    let mut pause = Duration::from_millis(200);
    loop {
        match ws::bullet(&task.rest, false).await {
            Ok(b) => return b,
            Err(e) => {
                tracing::warn!(pair = %task.pair, error = %e, "no public connection ticket; retrying");
                task.lost("no connection ticket");
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(30));
            }
        }
    }
}

async fn run(task: BookTask) {
    let bullet = ticket(&task).await;
    let pair = task.pair.clone();
    let sub_topic = topic(&task.symbol);
    let subscribe: stream::Subscriber =
        Arc::new(move || vec![ws::topic_op("subscribe", &sub_topic, false)]);
    let cfg = StreamConfig::new(&format!("kucoin level2 {pair}"), &bullet.url);
    let (handle, mut rx) = stream::spawn(cfg, subscribe);
    let book = task.book.clone();
    let mut snapshot: Pending<Result<Bytes, CexError>> = None;
    let mut refresh: Pending<Result<Option<(Grid, Grid)>, CexError>> = None;
    let mut ping = tokio::time::interval(bullet.ping_interval);
    loop {
        tokio::select! {
            _ = ping.tick() => {
                handle.send(ws::ping());
            }
            ev = rx.recv() => {
                let Some(ev) = ev else { return };
                match ev {
                    StreamEvent::Connected { reconnect } => {
                        write(&book).reset();
                        if refresh.is_none() {
                            snapshot = Some(task.start_snapshot(Duration::ZERO));
                        }
                        if reconnect {
                            tracing::info!(%pair, "depth stream reconnected; resyncing the book");
                        }
                    }
                    StreamEvent::Disconnected { reason } => {
                        write(&book).reset();
                        snapshot = None;
                        task.lost(&reason);
                    }
                    StreamEvent::Message(m) => match on_frame(&pair, &book, &m) {
                        Next::Nothing => {}
                        Next::Changed => task.hub.publish(VenueEvent::BookChanged { pair: pair.clone() }),
                        Next::Snapshot => {
                            if snapshot.is_none() && refresh.is_none() {
                                snapshot = Some(task.start_snapshot(Duration::ZERO));
                            }
                        }
                        Next::Resync(why) => {
                            task.lost(why);
                            if refresh.is_none() {
                                snapshot = Some(task.start_snapshot(Duration::ZERO));
                            }
                        }
                        Next::Refresh => {
                            if refresh.is_none() {
                                task.lost("data off the cached tick/step grid; refetching the rules");
                                snapshot = None;
                                refresh = Some(task.start_refresh());
                            }
                        }
                    },
                }
            }
            res = pending_or_never(&mut refresh) => {
                refresh = None;
                let (price, size) = match res {
                    Ok(Some(grids)) => grids,
                    Ok(None) => {
                        task.give_up("the exchange no longer lists it as tradable".into());
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(%pair, error = %e, "refetching the rules failed; retrying");
                        tokio::time::sleep(Duration::from_millis(1000)).await;
                        refresh = Some(task.start_refresh());
                        continue;
                    }
                };
                let old = {
                    let b = read(&book);
                    (b.book.price_grid, b.book.size_grid)
                };
                if (price, size) == old {
                    task.give_up(format!(
                        "its data is off the tick size {} / step size {} the exchange lists",
                        price.step(),
                        size.step()
                    ));
                    return;
                }
                tracing::info!(%pair, tick = %price.step(), step = %size.step(), "the pair's rules changed; book rebuilt on the new grids");
                *write(&book) = SyncedBook::new(&task.symbol, price, size);
                snapshot = Some(task.start_snapshot(Duration::ZERO));
            }
            res = pending_or_never(&mut snapshot) => {
                snapshot = None;
                let body = match res {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(%pair, error = %e, "depth snapshot failed; retrying");
                        snapshot = Some(task.start_snapshot(Duration::from_millis(500)));
                        continue;
                    }
                };
                let r = write(&book).on_snapshot(&body);
                match r {
                    Ok(SnapshotOutcome::Synced { sequence: id }) => {
                        task.resyncs.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%pair, id, "book synced");
                        task.hub.publish(VenueEvent::Resynced { what: format!("book {pair}") });
                    }
                    Ok(SnapshotOutcome::TooOld { sequence: id, first_buffered }) => {
                        tracing::debug!(%pair, id, first_buffered, "snapshot older than the stream; refetching");
                        snapshot = Some(task.start_snapshot(Duration::from_millis(50)));
                    }
                    Ok(SnapshotOutcome::Gap { expected, got }) => {
                        tracing::warn!(%pair, expected, got, "gap in buffered updates; resyncing");
                        snapshot = Some(task.start_snapshot(Duration::from_millis(50)));
                    }
                    Err(e) if is_off_grid(&e) => {
                        tracing::warn!(%pair, error = %e, "snapshot off the cached grid; refetching the rules");
                        write(&book).reset();
                        refresh = Some(task.start_refresh());
                    }
                    Err(e) => {
                        tracing::error!(%pair, error = %e, "bad depth snapshot; retrying");
                        write(&book).reset();
                        snapshot = Some(task.start_snapshot(Duration::from_millis(500)));
                    }
                }
            }
        }
    }
}
