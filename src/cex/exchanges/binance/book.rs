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

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::grid::{Grid, GridError};
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::json_scan::event_type;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::cex::venue::{LiveBookView, Market};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

use super::api::{RAW_REQUESTS, REQUEST_WEIGHT, depth_weight};
use super::depth::{DepthError, DiffOutcome, SnapshotOutcome, SyncedBook};

/// Levels asked for in the REST snapshot.
pub const SNAPSHOT_LIMIT: u32 = 1000;

pub use crate::cex::venue::{MarketUnavailable, RulesRefresher};

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
        b.is_synced().then(|| f(&b.book, b.last_update_id()))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        LiveBook::unavailable(self)
    }
}

impl LiveBook {
    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, SyncedBook> {
        self.book.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How many times the book was (re)built from a snapshot.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    /// Why the book was given up, if it was (the task has then stopped).
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
    let book = Arc::new(RwLock::new(book));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let task = tokio::spawn(run(
        BookTask {
            pair: pair.clone(),
            symbol,
            book: book.clone(),
            resyncs: resyncs.clone(),
            unavailable: unavailable.clone(),
            rest,
            hub,
            refresh_rules,
        },
        StreamConfig::new(&format!("binance depth {pair}"), &url),
    ));
    LiveBook {
        pair,
        book,
        resyncs,
        unavailable,
        task,
    }
}

/// What the book task works with.
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

/// Waits for a pending future, or forever if there is none.
async fn pending_or_never<T>(f: &mut Pending<T>) -> T {
    match f.as_mut() {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

/// Whether a depth error means a value is off the symbol's grid.
fn is_off_grid(e: &DepthError) -> bool {
    matches!(e, DepthError::Level(GridError::OffGrid { .. }))
}

impl BookTask {
    fn start_snapshot(&self, delay: Duration) -> BoxFuture<'static, Result<Bytes, CexError>> {
        let rest = self.rest.clone();
        let symbol = self.symbol.clone();
        async move {
            tokio::time::sleep(delay).await;
            fetch_snapshot(&rest, &symbol, SNAPSHOT_LIMIT).await
        }
        .boxed()
    }

    fn start_refresh(
        &self,
        delay: Duration,
    ) -> BoxFuture<'static, Result<Option<(Grid, Grid)>, CexError>> {
        let refresh = (self.refresh_rules)();
        async move {
            tokio::time::sleep(delay).await;
            refresh.await
        }
        .boxed()
    }

    /// Gives the market up: recorded, logged, announced; the task then ends.
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
}

fn write(book: &RwLock<SyncedBook>) -> std::sync::RwLockWriteGuard<'_, SyncedBook> {
    book.write().unwrap_or_else(|p| p.into_inner())
}

async fn run(task: BookTask, cfg: StreamConfig) {
    let (_stream, mut rx) = stream::spawn(cfg, Arc::new(Vec::new));
    let pair = task.pair.clone();
    let book = task.book.clone();
    let mut snapshot: Pending<Result<Bytes, CexError>> = None;
    // while the rules are refetched no snapshot is taken (it would be read on the old grids)
    let mut refresh: Pending<Result<Option<(Grid, Grid)>, CexError>> = None;
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { return };
                match ev {
                    StreamEvent::Connected { reconnect } => {
                        // Diffs are buffered from now on; the snapshot is taken after that.
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
                        task.hub.publish(VenueEvent::ConnectionLost { reason: format!("depth {pair}: {reason}") });
                    }
                    StreamEvent::Message(m) => {
                        let outcome = handle_frame(&pair, &book, &m);
                        match outcome {
                            FrameOutcome::Applied => task.hub.publish(VenueEvent::BookChanged { pair: pair.clone() }),
                            FrameOutcome::NeedSnapshot => {
                                if snapshot.is_none() && refresh.is_none() {
                                    snapshot = Some(task.start_snapshot(Duration::ZERO));
                                }
                            }
                            FrameOutcome::Resync => {
                                task.hub.publish(VenueEvent::ConnectionLost { reason: format!("depth {pair}: book out of sequence") });
                                if refresh.is_none() {
                                    snapshot = Some(task.start_snapshot(Duration::ZERO));
                                }
                            }
                            FrameOutcome::OffGrid => {
                                if refresh.is_none() {
                                    task.hub.publish(VenueEvent::ConnectionLost { reason: format!("depth {pair}: data off the cached tick/step grid; refetching the rules") });
                                    snapshot = None;
                                    refresh = Some(task.start_refresh(Duration::ZERO));
                                }
                            }
                            FrameOutcome::Ignored => {}
                        }
                    }
                }
            }
            res = pending_or_never(&mut refresh) => {
                refresh = None;
                let (price, size) = match res {
                    Ok(Some(grids)) => grids,
                    Ok(None) => {
                        task.give_up("the exchange no longer lists it as trading".into());
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(%pair, error = %e, "refetching the rules failed; retrying");
                        refresh = Some(task.start_refresh(Duration::from_millis(1000)));
                        continue;
                    }
                };
                let (old_price, old_size) = {
                    let b = read(&book);
                    (b.book.price_grid, b.book.size_grid)
                };
                if (price, size) == (old_price, old_size) {
                    task.give_up(format!(
                        "its data is off the tick size {} / step size {} the exchange lists",
                        price.step(),
                        size.step()
                    ));
                    return;
                }
                tracing::info!(
                    %pair,
                    old_tick = %old_price.step(), tick = %price.step(),
                    old_step = %old_size.step(), step = %size.step(),
                    "the exchange changed the symbol's rules; book rebuilt on the new grids"
                );
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
                    Ok(SnapshotOutcome::Synced { last_update_id }) => {
                        task.resyncs.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%pair, last_update_id, "book synced");
                        task.hub.publish(VenueEvent::Resynced { what: format!("book {pair}") });
                    }
                    Ok(SnapshotOutcome::TooOld { last_update_id, first_buffered }) => {
                        tracing::debug!(%pair, last_update_id, first_buffered, "snapshot older than the stream; refetching");
                        snapshot = Some(task.start_snapshot(Duration::from_millis(50)));
                    }
                    Ok(SnapshotOutcome::Gap { expected, got }) => {
                        tracing::warn!(%pair, expected, got, "gap in buffered diffs; resyncing");
                        snapshot = Some(task.start_snapshot(Duration::from_millis(50)));
                    }
                    Err(e) if is_off_grid(&e) => {
                        tracing::warn!(%pair, error = %e, "depth snapshot off the cached grid; refetching the rules");
                        write(&book).reset();
                        refresh = Some(task.start_refresh(Duration::ZERO));
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

fn read(book: &RwLock<SyncedBook>) -> RwLockReadGuard<'_, SyncedBook> {
    book.read().unwrap_or_else(|p| p.into_inner())
}

enum FrameOutcome {
    Applied,
    /// Buffered while unsynced: a snapshot is needed.
    NeedSnapshot,
    /// Out of sequence or unreadable: the book was reset.
    Resync,
    /// A value off the symbol's grid: the book was reset; the rules must be refetched.
    OffGrid,
    Ignored,
}

fn handle_frame(pair: &Pair, book: &RwLock<SyncedBook>, m: &[u8]) -> FrameOutcome {
    match event_type(m) {
        Ok(Some(b"depthUpdate")) => {}
        Ok(Some(other)) => {
            tracing::warn!(%pair, "unexpected message type {:?} on the depth stream; ignored", String::from_utf8_lossy(other));
            return FrameOutcome::Ignored;
        }
        Ok(None) => {
            // subscription replies and the like
            tracing::debug!(%pair, "non-event message on the depth stream: {}", CexError::snippet(m));
            return FrameOutcome::Ignored;
        }
        Err(e) => {
            tracing::error!(%pair, error = %e, "malformed message on the depth stream ({}); resyncing", CexError::snippet(m));
            write(book).reset();
            return FrameOutcome::NeedSnapshot;
        }
    }
    let mut b = write(book);
    match b.on_frame(m) {
        Ok(DiffOutcome::Applied) => FrameOutcome::Applied,
        Ok(DiffOutcome::Stale) => FrameOutcome::Ignored,
        Ok(DiffOutcome::Buffered) => FrameOutcome::NeedSnapshot,
        Ok(DiffOutcome::Gap { expected, got }) => {
            tracing::warn!(%pair, expected, got, "gap in the depth stream; resyncing");
            FrameOutcome::Resync
        }
        Ok(DiffOutcome::TooLarge {
            side,
            levels,
            chunks,
        }) => {
            tracing::warn!(%pair, side, levels, chunks, "book over its size limit; resyncing");
            FrameOutcome::Resync
        }
        Err(e) if is_off_grid(&e) => {
            tracing::warn!(%pair, error = %e, "depth update off the cached grid; refetching the rules");
            b.reset();
            FrameOutcome::OffGrid
        }
        Err(e) => {
            tracing::error!(%pair, error = %e, "bad depth update; resyncing");
            b.reset();
            FrameOutcome::Resync
        }
    }
}
