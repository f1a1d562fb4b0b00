//! A live Kraken book: a task that subscribes to the WebSocket v2 `book` channel of one symbol at
//! the configured depth (on every connect), applies snapshots and updates ([`KrakenBook`]), and
//! publishes `BookChanged`, `ConnectionLost` and `Resynced`. On a checksum mismatch or an
//! unreadable message the book is unsynced and the task resubscribes (`unsubscribe` then
//! `subscribe`: Kraken answers with a fresh snapshot); a reconnect resubscribes too. Data off the
//! cached tick/step grid makes it refetch the pair's rules and rebuild the book on the new grids,
//! or give the market up ([`MarketUnavailable`]) if they do not change or the pair is gone.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::grid::GridError;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{LiveBookView, MarketUnavailable, RulesRefresher};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

use super::book::{BookError, BookOutcome, KrakenBook};

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook {
    pub pair: Pair,
    book: Arc<RwLock<KrakenBook>>,
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
        let b = read(&self.book);
        b.is_synced().then(|| f(&b.book, Some(b.applied())))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        self.unavailable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl LiveBook {
    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, KrakenBook> {
        read(&self.book)
    }

    /// How many snapshots the book was (re)built from.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    /// Waits until the book is synced (or `timeout` passes, or the market is unavailable).
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.read().is_synced() {
                return true;
            }
            if LiveBookView::unavailable(self).is_some() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

fn read(b: &RwLock<KrakenBook>) -> RwLockReadGuard<'_, KrakenBook> {
    b.read().unwrap_or_else(|p| p.into_inner())
}

fn write(b: &RwLock<KrakenBook>) -> RwLockWriteGuard<'_, KrakenBook> {
    b.write().unwrap_or_else(|p| p.into_inner())
}

/// The `subscribe` (or `unsubscribe`) message of the book channel.
pub fn book_request(method: &str, symbol: &str, depth: usize) -> String {
    serde_json::json!({
        "method": method,
        "params": {"channel": "book", "symbol": [symbol], "depth": depth, "snapshot": true},
    })
    .to_string()
}

/// Starts following `book`'s symbol on `ws_url`.
pub fn spawn_live_book(
    pair: Pair,
    book: KrakenBook,
    ws_url: &str,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
) -> LiveBook {
    let sub = book_request("subscribe", &book.symbol, book.depth);
    let mut cfg = StreamConfig::new(&format!("kraken book {pair}"), ws_url);
    // Kraken sends a heartbeat every second on a subscribed connection.
    cfg.idle_timeout = Duration::from_secs(10);
    cfg.ping_interval = Duration::from_secs(5);
    let (handle, rx) = stream::spawn(cfg, Arc::new(move || vec![sub.clone()]));
    let book = Arc::new(RwLock::new(book));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let task = tokio::spawn(run(
        Task {
            pair: pair.clone(),
            book: book.clone(),
            resyncs: resyncs.clone(),
            unavailable: unavailable.clone(),
            hub,
            refresh_rules,
            handle,
        },
        rx,
    ));
    LiveBook {
        pair,
        book,
        resyncs,
        unavailable,
        task,
    }
}

struct Task {
    pair: Pair,
    book: Arc<RwLock<KrakenBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    hub: Arc<EventHub>,
    refresh_rules: RulesRefresher,
    handle: StreamHandle,
}

impl Task {
    fn resubscribe(&self, why: &str) {
        let (symbol, depth) = {
            let b = read(&self.book);
            (b.symbol.clone(), b.depth)
        };
        tracing::warn!(pair = %self.pair, "{why}; resubscribing to the book");
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: format!("book {}: {why}", self.pair),
        });
        let sent = self
            .handle
            .send(book_request("unsubscribe", &symbol, depth))
            && self.handle.send(book_request("subscribe", &symbol, depth));
        if !sent {
            tracing::warn!(pair = %self.pair, "resubscription not sent; the reconnect resubscribes");
        }
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

    /// Refetches the rules after data off the grid: `true` if the book was rebuilt.
    async fn regrid(&self) -> bool {
        let grids = loop {
            match (self.refresh_rules)().await {
                Ok(g) => break g,
                Err(e) => {
                    tracing::warn!(pair = %self.pair, error = %e, "refetching the rules failed; retrying");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        };
        let Some((price, size)) = grids else {
            self.give_up("the exchange no longer lists it as trading".into());
            return false;
        };
        let rebuilt = {
            let b = read(&self.book);
            if (price, size) == (b.book.price_grid, b.book.size_grid) {
                None
            } else {
                Some(KrakenBook::new(
                    &b.symbol,
                    price,
                    size,
                    b.depth,
                    (None, None),
                ))
            }
        };
        match rebuilt {
            Some(nb) => {
                *write(&self.book) = nb;
                true
            }
            None => {
                self.give_up(format!(
                    "its data is off the tick size {} / step size {} the exchange lists",
                    price.step(),
                    size.step()
                ));
                false
            }
        }
    }
}

async fn run(task: Task, mut rx: tokio::sync::mpsc::Receiver<StreamEvent>) {
    let pair = task.pair.clone();
    while let Some(ev) = rx.recv().await {
        match ev {
            StreamEvent::Connected { reconnect } => {
                write(&task.book).reset();
                if reconnect {
                    tracing::info!(%pair, "book stream reconnected; waiting for the snapshot");
                }
            }
            StreamEvent::Disconnected { reason } => {
                write(&task.book).reset();
                task.hub.publish(VenueEvent::ConnectionLost {
                    reason: format!("book {pair}: {reason}"),
                });
            }
            StreamEvent::Message(m) => {
                let r = write(&task.book).on_message(&m);
                match r {
                    Ok(BookOutcome::Applied) => task
                        .hub
                        .publish(VenueEvent::BookChanged { pair: pair.clone() }),
                    Ok(BookOutcome::Snapshot) => {
                        task.resyncs.fetch_add(1, Ordering::Relaxed);
                        task.hub.publish(VenueEvent::Resynced {
                            what: format!("book {pair}"),
                        });
                        task.hub
                            .publish(VenueEvent::BookChanged { pair: pair.clone() });
                    }
                    Ok(BookOutcome::Mismatch { expected, computed }) => task.resubscribe(&format!(
                        "checksum mismatch (Kraken {expected}, ours {computed})"
                    )),
                    Ok(BookOutcome::Ignored) => {
                        if memchr_false(&m) {
                            tracing::error!(%pair, "book subscription refused: {}", crate::cex::error::CexError::snippet(&m));
                        }
                    }
                    Err(BookError::Level(GridError::OffGrid { .. })) => {
                        task.hub.publish(VenueEvent::ConnectionLost {
                            reason: format!("book {pair}: data off the cached tick/step grid; refetching the rules"),
                        });
                        if !task.regrid().await {
                            return;
                        }
                        task.resubscribe("the pair's rules changed");
                    }
                    Err(e) => task.resubscribe(&format!("unreadable book message ({e})")),
                }
            }
        }
    }
}

/// Whether a message is a refused request (`"success":false`).
fn memchr_false(m: &[u8]) -> bool {
    m.windows(15).any(|w| w == b"\"success\":false")
}
