//! A live Binance book: a task that follows `<symbol>@depth@100ms`, fetches the REST snapshot when
//! the book is not synced (after each connect — diffs are buffered meanwhile —, after a gap, after
//! a malformed message), and
//! publishes `BookChanged`, `ConnectionLost` and `Resynced` events. Readers take the book under a
//! read lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::json_scan::event_type;
use crate::cex::stream::{self, StreamConfig, StreamEvent};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

use super::binance_api::{RAW_REQUESTS, REQUEST_WEIGHT, depth_weight};
use super::binance_depth::{DiffOutcome, SnapshotOutcome, SyncedBook};

/// Levels asked for in the REST snapshot.
pub const SNAPSHOT_LIMIT: u32 = 1000;

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook {
    pub pair: Pair,
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl Drop for LiveBook {
    fn drop(&mut self) {
        self.task.abort();
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

    /// Waits until the book is synced (or `timeout` passes).
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.read().is_synced() {
                return true;
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

/// Starts following the book of `symbol` (a fresh `SyncedBook` on the symbol's grids).
pub fn spawn_live_book(
    pair: Pair,
    book: SyncedBook,
    rest: RestClient,
    ws_base: &str,
    hub: Arc<EventHub>,
) -> LiveBook {
    let symbol = book.parser.symbol().to_string();
    let url = format!(
        "{}/ws/{}@depth@100ms",
        ws_base.trim_end_matches('/'),
        symbol.to_ascii_lowercase()
    );
    let book = Arc::new(RwLock::new(book));
    let resyncs = Arc::new(AtomicU64::new(0));
    let task = tokio::spawn(run(
        pair.clone(),
        symbol,
        StreamConfig::new(&format!("binance depth {pair}"), &url),
        book.clone(),
        resyncs.clone(),
        rest,
        hub,
    ));
    LiveBook {
        pair,
        book,
        resyncs,
        task,
    }
}

fn write(book: &RwLock<SyncedBook>) -> std::sync::RwLockWriteGuard<'_, SyncedBook> {
    book.write().unwrap_or_else(|p| p.into_inner())
}

async fn run(
    pair: Pair,
    symbol: String,
    cfg: StreamConfig,
    book: Arc<RwLock<SyncedBook>>,
    resyncs: Arc<AtomicU64>,
    rest: RestClient,
    hub: Arc<EventHub>,
) {
    let (_stream, mut rx) = stream::spawn(cfg, Arc::new(Vec::new));
    let mut snapshot: Option<BoxFuture<'static, Result<Bytes, CexError>>> = None;
    let start_snapshot = |delay: Duration| -> BoxFuture<'static, Result<Bytes, CexError>> {
        let rest = rest.clone();
        let symbol = symbol.clone();
        async move {
            tokio::time::sleep(delay).await;
            fetch_snapshot(&rest, &symbol, SNAPSHOT_LIMIT).await
        }
        .boxed()
    };
    loop {
        tokio::select! {
            ev = rx.recv() => {
                let Some(ev) = ev else { return };
                match ev {
                    StreamEvent::Connected { reconnect } => {
                        // Diffs are buffered from now on; the snapshot is taken after that.
                        write(&book).reset();
                        snapshot = Some(start_snapshot(Duration::ZERO));
                        if reconnect {
                            tracing::info!(%pair, "depth stream reconnected; resyncing the book");
                        }
                    }
                    StreamEvent::Disconnected { reason } => {
                        write(&book).reset();
                        snapshot = None;
                        hub.publish(VenueEvent::ConnectionLost { reason: format!("depth {pair}: {reason}") });
                    }
                    StreamEvent::Message(m) => {
                        let outcome = handle_frame(&pair, &book, &m);
                        match outcome {
                            FrameOutcome::Applied => hub.publish(VenueEvent::BookChanged { pair: pair.clone() }),
                            FrameOutcome::NeedSnapshot => {
                                if snapshot.is_none() {
                                    snapshot = Some(start_snapshot(Duration::ZERO));
                                }
                            }
                            FrameOutcome::Resync => {
                                hub.publish(VenueEvent::ConnectionLost { reason: format!("depth {pair}: book out of sequence") });
                                snapshot = Some(start_snapshot(Duration::ZERO));
                            }
                            FrameOutcome::Ignored => {}
                        }
                    }
                }
            }
            res = async { match snapshot.as_mut() { Some(f) => f.await, None => std::future::pending().await } } => {
                snapshot = None;
                let body = match res {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::error!(%pair, error = %e, "depth snapshot failed; retrying");
                        snapshot = Some(start_snapshot(Duration::from_millis(500)));
                        continue;
                    }
                };
                let r = write(&book).on_snapshot(&body);
                match r {
                    Ok(SnapshotOutcome::Synced { last_update_id }) => {
                        resyncs.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%pair, last_update_id, "book synced");
                        hub.publish(VenueEvent::Resynced { what: format!("book {pair}") });
                    }
                    Ok(SnapshotOutcome::TooOld { last_update_id, first_buffered }) => {
                        tracing::debug!(%pair, last_update_id, first_buffered, "snapshot older than the stream; refetching");
                        snapshot = Some(start_snapshot(Duration::from_millis(50)));
                    }
                    Ok(SnapshotOutcome::Gap { expected, got }) => {
                        tracing::warn!(%pair, expected, got, "gap in buffered diffs; resyncing");
                        snapshot = Some(start_snapshot(Duration::from_millis(50)));
                    }
                    Err(e) => {
                        tracing::error!(%pair, error = %e, "bad depth snapshot; retrying");
                        write(&book).reset();
                        snapshot = Some(start_snapshot(Duration::from_millis(500)));
                    }
                }
            }
        }
    }
}

enum FrameOutcome {
    Applied,
    /// Buffered while unsynced: a snapshot is needed.
    NeedSnapshot,
    /// Out of sequence or unreadable: the book was reset.
    Resync,
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
        Err(e) => {
            tracing::error!(%pair, error = %e, "bad depth update; resyncing");
            b.reset();
            FrameOutcome::Resync
        }
    }
}
