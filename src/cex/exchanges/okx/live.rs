//! A live OKX book: a task that subscribes to the `books` channel of one instrument on the
//! public WebSocket, keeps the book by OKX's continuity rule ([`OkxBook`]), sends the text `ping`
//! OKX asks for (the server drops a connection idle for 30 s), and on any gap, checksum mismatch
//! or unreadable push resets the book, reports `ConnectionLost` and resubscribes (unsubscribe,
//! then subscribe: the server answers with a fresh snapshot). A reconnect resubscribes the same
//! way. Data off the market's cached grids makes it refetch the rules and rebuild the book on
//! the new grids, or give the market up if they did not change. Readers take the book under a
//! read lock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::grid::GridError;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{BookFeed, LiveBookView, MarketUnavailable};
use crate::core::{Pair, VenueEvent};

use super::book::{BookError, BookOutcome, OkxBook};

/// How often the text `ping` goes out (OKX: under 30 s without a frame closes the connection).
pub const PING_EVERY: Duration = Duration::from_secs(20);

/// The subscription message of `channel` on `inst_id` (`op` is `subscribe` or `unsubscribe`).
pub fn book_op(op: &str, inst_id: &str) -> String {
    serde_json::json!({"op": op, "args": [{"channel": "books", "instId": inst_id}]}).to_string()
}

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook {
    pub pair: Pair,
    book: Arc<RwLock<OkxBook>>,
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
        b.is_synced()
            .then(|| f(&b.book, b.seq_id().and_then(|s| u64::try_from(s).ok())))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        LiveBook::unavailable(self)
    }
}

impl LiveBook {
    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, OkxBook> {
        self.book.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How many snapshots the book was (re)built from.
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

fn write(b: &RwLock<OkxBook>) -> RwLockWriteGuard<'_, OkxBook> {
    b.write().unwrap_or_else(|p| p.into_inner())
}

/// Starts following the book of `feed.pair` on the public WebSocket `ws_public_url`.
pub fn spawn_live_book(feed: BookFeed, ws_public_url: &str) -> LiveBook {
    let m = &feed.market;
    let inst = m.rules.venue_symbol.clone();
    let book = Arc::new(RwLock::new(OkxBook::new(m.price, m.size)));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let pair = feed.pair.clone();
    let cfg = StreamConfig::new(&format!("okx books {pair}"), ws_public_url);
    let task = tokio::spawn(run(
        feed,
        inst,
        cfg,
        book.clone(),
        resyncs.clone(),
        unavailable.clone(),
    ));
    LiveBook {
        pair,
        book,
        resyncs,
        unavailable,
        task,
    }
}

fn resubscribe(handle: &StreamHandle, inst: &str) {
    if !(handle.send(book_op("unsubscribe", inst)) && handle.send(book_op("subscribe", inst))) {
        tracing::warn!(%inst, "resubscription not sent; the stream reconnects");
    }
}

async fn run(
    feed: BookFeed,
    inst: String,
    cfg: StreamConfig,
    book: Arc<RwLock<OkxBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
) {
    let sub_inst = inst.clone();
    let (handle, mut rx) =
        stream::spawn(cfg, Arc::new(move || vec![book_op("subscribe", &sub_inst)]));
    let pair = feed.pair.clone();
    let hub = feed.hub.clone();
    let lost = |reason: String| {
        hub.publish(VenueEvent::ConnectionLost {
            reason: format!("okx books {pair}: {reason}"),
        })
    };
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        let ev = tokio::select! {
            ev = rx.recv() => match ev { Some(ev) => ev, None => return },
            _ = ping.tick() => {
                handle.send("ping".into());
                continue;
            }
        };
        match ev {
            StreamEvent::Connected { reconnect } => {
                write(&book).reset();
                if reconnect {
                    tracing::info!(%pair, "books stream reconnected; waiting for the snapshot");
                }
            }
            StreamEvent::Disconnected { reason } => {
                write(&book).reset();
                lost(reason);
            }
            StreamEvent::Message(m) => {
                let outcome = write(&book).on_message(&m);
                match outcome {
                    Ok(BookOutcome::Applied) => {
                        hub.publish(VenueEvent::BookChanged { pair: pair.clone() })
                    }
                    Ok(BookOutcome::Snapshot { seq_id }) => {
                        resyncs.fetch_add(1, Ordering::Relaxed);
                        tracing::debug!(%pair, seq_id, "book synced");
                        hub.publish(VenueEvent::Resynced {
                            what: format!("book {pair}"),
                        });
                        hub.publish(VenueEvent::BookChanged { pair: pair.clone() });
                    }
                    Ok(BookOutcome::Duplicate | BookOutcome::Unsynced) => {}
                    Ok(BookOutcome::Other) => {
                        let error = serde_json::from_slice::<serde_json::Value>(&m)
                            .is_ok_and(|v| v.get("event").is_some_and(|e| e == "error"));
                        if error {
                            tracing::warn!(
                                %pair,
                                "books stream error event: {}",
                                crate::cex::error::CexError::snippet(&m)
                            );
                        }
                    }
                    Ok(BookOutcome::Gap { expected, got }) => {
                        tracing::warn!(%pair, expected, got, "gap in the books stream; resubscribing");
                        lost("book out of sequence".into());
                        resubscribe(&handle, &inst);
                    }
                    Ok(BookOutcome::ChecksumMismatch { expected, computed }) => {
                        tracing::warn!(%pair, expected, computed, "book checksum mismatch; resubscribing");
                        lost("book checksum mismatch".into());
                        resubscribe(&handle, &inst);
                    }
                    Err(BookError::Level(GridError::OffGrid { .. })) => {
                        lost("data off the cached tick/lot grid; refetching the rules".into());
                        match (feed.refresh_rules)().await {
                            Ok(Some((price, size))) => {
                                let same = {
                                    let b = book.read().unwrap_or_else(|p| p.into_inner());
                                    (b.book.price_grid, b.book.size_grid) == (price, size)
                                };
                                if same {
                                    give_up(
                                        &feed,
                                        &book,
                                        &unavailable,
                                        "its data is off the tick and lot sizes OKX lists".into(),
                                    );
                                    return;
                                }
                                *write(&book) = OkxBook::new(price, size);
                                resubscribe(&handle, &inst);
                            }
                            Ok(None) => {
                                give_up(
                                    &feed,
                                    &book,
                                    &unavailable,
                                    "OKX no longer lists it as live".into(),
                                );
                                return;
                            }
                            Err(e) => {
                                tracing::warn!(%pair, error = %e, "refetching the rules failed; resubscribing");
                                resubscribe(&handle, &inst);
                            }
                        }
                    }
                    Err(e) => {
                        tracing::error!(%pair, error = %e, "unreadable books push; resubscribing");
                        lost(format!("unreadable push: {e}"));
                        resubscribe(&handle, &inst);
                    }
                }
            }
        }
    }
}

fn give_up(
    feed: &BookFeed,
    book: &RwLock<OkxBook>,
    unavailable: &Mutex<Option<MarketUnavailable>>,
    reason: String,
) {
    let e = MarketUnavailable {
        pair: feed.pair.clone(),
        reason,
    };
    tracing::error!(pair = %feed.pair, error = %e, "book given up");
    write(book).reset();
    *unavailable.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
    feed.hub.publish(VenueEvent::ConnectionLost {
        reason: e.to_string(),
    });
}
