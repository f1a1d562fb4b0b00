//! A live order book of the "REST snapshot + diff stream" kind (Binance, Gate.io, KuCoin, …): one
//! task per pair follows the venue's diff stream, takes a REST snapshot whenever the book is not
//! synced (after each connect — diffs are buffered meanwhile —, after a gap, after a bad message)
//! and publishes `BookChanged`, `ConnectionLost` and `Resynced`. Readers take the book under a read
//! lock through [`LiveBook`].
//!
//! Data off the pair's cached tick/step grid (the exchange changed its rules) makes the task
//! refetch the rules and rebuild the book on the new grids; if the data still does not fit, or the
//! pair is no longer traded, the market is reported unavailable ([`MarketUnavailable`], a
//! `ConnectionLost` event, an error log) and the task stops instead of retrying forever.
//!
//! A venue brings its synced book ([`DiffBook`]: its parser, sequence rule and snapshot reader)
//! and its [`DiffFeed`] (the stream, the subscription, the snapshot request, an optional
//! application-level ping); the state machine is this module's. A venue whose stream URL is a
//! short-lived connection ticket (KuCoin's `bullet`: a token in the URL, the ping interval in the
//! answer) starts the book with [`LiveBook::spawn_ticketed`]: every connection, the first and
//! each reconnect, then uses a fresh ticket, so an expired token is never retried. A venue whose
//! stream itself carries the snapshots (Bybit: a subscription is answered by a snapshot, then
//! deltas) starts it with [`LiveBook::spawn_stream_snapshots`]: no REST snapshot is taken; a
//! resync sends the venue's resubscription messages and waits for the snapshot on the stream
//! ([`Next::Synced`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use bytes::Bytes;
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::error::CexError;
use crate::cex::grid::Grid;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{LiveBookView, MarketUnavailable};
use crate::core::{Pair, VenueEvent};
use crate::venue::EventHub;

pub use self::feed::{
    AppPing, DiffFeed, Resubscriber, STREAM_SNAPSHOT_WAIT, SnapshotFetcher, Ticket, TicketFetcher,
};

#[path = "live_book_feed.rs"]
mod feed;

/// What one stream message asks of the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Nothing changed (a stale diff, a subscription reply, a pong).
    Nothing,
    /// The book changed.
    Changed,
    /// The message was buffered while unsynced: a snapshot is needed.
    Snapshot,
    /// Out of sequence or unreadable: the book was reset; a snapshot is needed and the loss is
    /// announced with this reason.
    Resync(&'static str),
    /// A value off the pair's grid: the book was reset; the rules must be refetched.
    OffGrid,
    /// A snapshot carried by the stream: the book is synced at this update id (stream-snapshot
    /// mode, [`LiveBook::spawn_stream_snapshots`]).
    Synced(u64),
}

/// What a REST snapshot did to the book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotStep {
    /// The book is synced at this update id.
    Synced { id: u64 },
    /// The snapshot cannot be used yet (older than the buffered stream, or a gap in the buffer):
    /// take another one shortly.
    Again { why: String },
    /// A value off the pair's grid: the book was reset; the rules must be refetched.
    OffGrid(String),
    /// Unreadable: the book was reset; retry later.
    Bad(String),
}

/// A venue's book synced from a REST snapshot and a diff stream.
pub trait DiffBook: fmt::Debug + Send + Sync + 'static {
    /// Applies one stream message (logging what the venue wants logged).
    fn on_message(&mut self, pair: &Pair, m: &[u8]) -> Next;
    /// Applies a REST snapshot body to the buffered diffs.
    fn on_snapshot(&mut self, body: &[u8]) -> SnapshotStep;
    /// Forgets the book and the buffer: not synced until the next snapshot.
    fn reset(&mut self);
    fn is_synced(&self) -> bool;
    /// The book (trusted only when synced).
    fn order_book(&self) -> &OrderBook;
    /// The id of the last update applied, when synced.
    fn last_update_id(&self) -> Option<u64>;
    /// An empty book of the same pair on new grids (the exchange changed its rules).
    fn rebuilt(&self, price: Grid, size: Grid) -> Self;
}

/// What the handle and the task share.
#[derive(Debug)]
struct Shared<B> {
    pair: Pair,
    book: RwLock<B>,
    resyncs: AtomicU64,
    unavailable: Mutex<Option<MarketUnavailable>>,
    hub: Arc<EventHub>,
}

impl<B> Shared<B> {
    fn read(&self) -> RwLockReadGuard<'_, B> {
        self.book.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, B> {
        self.book.write().unwrap_or_else(|p| p.into_inner())
    }

    fn lost(&self, why: &str) {
        self.hub.publish(VenueEvent::ConnectionLost {
            reason: format!("depth {}: {why}", self.pair),
        });
    }
}

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook<B> {
    pub pair: Pair,
    shared: Arc<Shared<B>>,
    task: JoinHandle<()>,
}

impl<B> Drop for LiveBook<B> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl<B: DiffBook> LiveBookView for LiveBook<B> {
    fn with_synced<R>(&self, f: impl FnOnce(&OrderBook, Option<u64>) -> R) -> Option<R> {
        let b = self.read();
        b.is_synced().then(|| f(b.order_book(), b.last_update_id()))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        LiveBook::unavailable(self)
    }
}

impl<B: DiffBook> LiveBook<B> {
    /// Starts following `feed` into `book` (an empty book on the pair's grids).
    pub fn spawn(feed: DiffFeed, book: B) -> Self {
        Self::start(feed, book, None, None)
    }

    /// Starts following `feed` into `book`, each connection on a fresh ticket from `ticket`
    /// (its URL replaces `feed.stream.url`, its ping `feed.ping`). A ticket that cannot be had
    /// is announced (`ConnectionLost`) and asked for again with the stream's backoff.
    pub fn spawn_ticketed(feed: DiffFeed, book: B, ticket: TicketFetcher) -> Self {
        Self::start(feed, book, Some(ticket), None)
    }

    /// Starts following `feed` into `book` where the stream carries the snapshots: each
    /// (re)subscription is answered by one, which the book reports as [`Next::Synced`].
    /// `feed.snapshot` is never called; a resync (a gap, a bad message, new grids) sends the
    /// messages of `resubscribe` on the connection instead, again after
    /// [`STREAM_SNAPSHOT_WAIT`] if no snapshot came.
    pub fn spawn_stream_snapshots(feed: DiffFeed, book: B, resubscribe: Resubscriber) -> Self {
        Self::start(feed, book, None, Some(resubscribe))
    }

    fn start(
        feed: DiffFeed,
        book: B,
        ticket: Option<TicketFetcher>,
        resubscribe: Option<Resubscriber>,
    ) -> Self {
        let shared = Arc::new(Shared {
            pair: feed.pair.clone(),
            book: RwLock::new(book),
            resyncs: AtomicU64::new(0),
            unavailable: Mutex::new(None),
            hub: feed.hub.clone(),
        });
        let pair = feed.pair.clone();
        let task = tokio::spawn(run(Arc::clone(&shared), feed, ticket, resubscribe));
        Self { pair, shared, task }
    }

    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, B> {
        self.shared.read()
    }

    /// How many times the book was (re)built from a snapshot.
    pub fn resync_count(&self) -> u64 {
        self.shared.resyncs.load(Ordering::Relaxed)
    }

    /// Why the book was given up, if it was (the task has then stopped).
    pub fn unavailable(&self) -> Option<MarketUnavailable> {
        self.shared
            .unavailable
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

type Pending<T> = Option<BoxFuture<'static, T>>;
type Refresh = Result<Option<(Grid, Grid)>, CexError>;

/// Waits for a pending future, or forever if there is none.
async fn pending_or_never<T>(f: &mut Pending<T>) -> T {
    match f.as_mut() {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

fn after<T: Send + 'static>(delay: Duration, f: BoxFuture<'static, T>) -> BoxFuture<'static, T> {
    async move {
        tokio::time::sleep(delay).await;
        f.await
    }
    .boxed()
}

/// The task's own state: the feed and what it is waiting for (while the rules are refetched no
/// snapshot is taken: it would be read on the old grids).
struct Task<B> {
    shared: Arc<Shared<B>>,
    feed: DiffFeed,
    snapshot: Pending<Result<Bytes, CexError>>,
    refresh: Pending<Refresh>,
    /// Stream-snapshot mode: the resubscription, and since when a snapshot is awaited.
    resubscribe: Option<Resubscriber>,
    awaiting_since: Option<std::time::Instant>,
    /// Resubscription messages to send on the connection.
    outbox: Vec<String>,
}

impl<B: DiffBook> Task<B> {
    fn take_snapshot(&mut self, delay: Duration) {
        if let Some(resubscribe) = &self.resubscribe {
            // one resubscription at a time, repeated only when its snapshot is late
            if self
                .awaiting_since
                .is_none_or(|t| t.elapsed() >= STREAM_SNAPSHOT_WAIT)
            {
                self.outbox.extend(resubscribe());
                self.awaiting_since = Some(std::time::Instant::now());
            }
            return;
        }
        self.snapshot = Some(after(delay, (self.feed.snapshot)()));
    }

    /// A snapshot carried by the stream synced the book.
    fn on_stream_snapshot(&mut self, id: u64) {
        self.awaiting_since = None;
        let pair = self.shared.pair.clone();
        self.shared.resyncs.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(%pair, id, "book synced from the stream's snapshot");
        self.shared.hub.publish(VenueEvent::Resynced {
            what: format!("book {pair}"),
        });
        self.shared.hub.publish(VenueEvent::BookChanged { pair });
    }

    fn refetch_rules(&mut self, delay: Duration) {
        self.snapshot = None;
        self.refresh = Some(after(delay, (self.feed.refresh_rules)()));
    }

    /// Gives the market up: recorded, logged, announced; the task then ends.
    fn give_up(&self, reason: String) {
        let s = &self.shared;
        let e = MarketUnavailable {
            pair: s.pair.clone(),
            reason,
        };
        tracing::error!(pair = %s.pair, error = %e, "book given up");
        s.write().reset();
        *s.unavailable.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
        s.hub.publish(VenueEvent::ConnectionLost {
            reason: e.to_string(),
        });
    }

    fn on_stream(&mut self, ev: StreamEvent) {
        match ev {
            StreamEvent::Connected { reconnect } => {
                // Diffs are buffered from now on; the snapshot is taken after that (or, in
                // stream-snapshot mode, answers the subscription).
                self.shared.write().reset();
                if self.resubscribe.is_some() {
                    self.awaiting_since = Some(std::time::Instant::now());
                } else if self.refresh.is_none() {
                    self.take_snapshot(Duration::ZERO);
                }
                if reconnect {
                    tracing::info!(pair = %self.shared.pair, "depth stream reconnected; resyncing the book");
                }
            }
            StreamEvent::Disconnected { reason } => {
                self.shared.write().reset();
                self.snapshot = None;
                self.awaiting_since = None;
                self.outbox.clear();
                self.shared.lost(&reason);
            }
            StreamEvent::Message(m) => {
                // The hot path: the pair is cloned only for an event that carries it.
                let next = {
                    let s = &self.shared;
                    s.write().on_message(&s.pair, &m)
                };
                match next {
                    Next::Nothing => {}
                    Next::Changed => self.shared.hub.publish(VenueEvent::BookChanged {
                        pair: self.shared.pair.clone(),
                    }),
                    Next::Snapshot => {
                        if self.snapshot.is_none() && self.refresh.is_none() {
                            self.take_snapshot(Duration::ZERO);
                        }
                    }
                    Next::Resync(why) => {
                        self.shared.lost(why);
                        if self.refresh.is_none() {
                            self.take_snapshot(Duration::ZERO);
                        }
                    }
                    Next::Synced(id) => self.on_stream_snapshot(id),
                    Next::OffGrid => {
                        if self.refresh.is_none() {
                            self.shared
                                .lost("data off the cached tick/step grid; refetching the rules");
                            self.refetch_rules(Duration::ZERO);
                        }
                    }
                }
            }
        }
    }

    /// The rules came back; `false` when the task must end.
    fn on_rules(&mut self, res: Refresh) -> bool {
        let pair = self.shared.pair.clone();
        let (price, size) = match res {
            Ok(Some(grids)) => grids,
            Ok(None) => {
                self.give_up("the exchange no longer lists it as trading".into());
                return false;
            }
            Err(e) => {
                tracing::warn!(%pair, error = %e, "refetching the rules failed; retrying");
                self.refetch_rules(Duration::from_millis(1000));
                return true;
            }
        };
        let old = {
            let b = self.shared.read();
            (b.order_book().price_grid, b.order_book().size_grid)
        };
        if (price, size) == old {
            self.give_up(format!(
                "its data is off the tick size {} / step size {} the exchange lists",
                price.step(),
                size.step()
            ));
            return false;
        }
        tracing::info!(
            %pair,
            old_tick = %old.0.step(), tick = %price.step(),
            old_step = %old.1.step(), step = %size.step(),
            "the exchange changed the pair's rules; book rebuilt on the new grids"
        );
        let rebuilt = self.shared.read().rebuilt(price, size);
        *self.shared.write() = rebuilt;
        self.take_snapshot(Duration::ZERO);
        true
    }

    fn on_snapshot(&mut self, res: Result<Bytes, CexError>) {
        let pair = self.shared.pair.clone();
        let body = match res {
            Ok(b) => b,
            Err(e) => {
                tracing::error!(%pair, error = %e, "depth snapshot failed; retrying");
                self.take_snapshot(Duration::from_millis(500));
                return;
            }
        };
        let step = self.shared.write().on_snapshot(&body);
        match step {
            SnapshotStep::Synced { id } => {
                self.shared.resyncs.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%pair, id, "book synced");
                self.shared.hub.publish(VenueEvent::Resynced {
                    what: format!("book {pair}"),
                });
            }
            SnapshotStep::Again { why } => {
                tracing::debug!(%pair, "{why}; taking another snapshot");
                self.take_snapshot(Duration::from_millis(50));
            }
            SnapshotStep::OffGrid(e) => {
                tracing::warn!(%pair, error = %e, "depth snapshot off the cached grid; refetching the rules");
                self.shared.write().reset();
                self.refetch_rules(Duration::ZERO);
            }
            SnapshotStep::Bad(e) => {
                tracing::error!(%pair, error = %e, "bad depth snapshot; retrying");
                self.shared.write().reset();
                self.take_snapshot(Duration::from_millis(500));
            }
        }
    }
}

/// The connection followed: its handle and its events.
type Conn = (StreamHandle, mpsc::Receiver<StreamEvent>);

/// The next event of the connection, or never while there is none (a ticket is awaited).
async fn recv_or_never(conn: &mut Option<Conn>) -> Option<StreamEvent> {
    match conn.as_mut() {
        Some((_, rx)) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until_or_never(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The ticker of `ping` (without one the ticker is never polled: its period only has to be
/// valid).
fn ticker(ping: Option<&AppPing>) -> tokio::time::Interval {
    tokio::time::interval(ping.map_or(Duration::from_secs(3600), |p| p.every))
}

/// Sends the task's pending resubscription messages on the connection (kept for the next one
/// when there is none: a reconnect subscribes anew anyway, so they are dropped then).
fn send_outbox<B>(task: &mut Task<B>, conn: &Option<Conn>) {
    if task.outbox.is_empty() {
        return;
    }
    if let Some((handle, _)) = conn {
        for m in task.outbox.drain(..) {
            handle.send(m);
        }
    }
}

async fn run<B: DiffBook>(
    shared: Arc<Shared<B>>,
    feed: DiffFeed,
    ticket: Option<TicketFetcher>,
    resubscribe: Option<Resubscriber>,
) {
    let mut conn: Option<Conn> = None;
    let mut ping = None;
    let mut wanted: Pending<Result<Ticket, CexError>> = None;
    match &ticket {
        Some(fetch) => wanted = Some(fetch()),
        None => {
            conn = Some(stream::spawn(feed.stream.clone(), feed.subscribe.clone()));
            ping = feed.ping.clone();
        }
    }
    let mut ticks = ticker(ping.as_ref());
    // Consecutive connections lost (or tickets refused) since the last connect: the backoff.
    let mut attempt = 0u32;
    let mut connected_before = false;
    let mut task = Task {
        shared,
        feed,
        snapshot: None,
        refresh: None,
        resubscribe,
        awaiting_since: None,
        outbox: Vec::new(),
    };
    loop {
        send_outbox(&mut task, &conn);
        // stream-snapshot mode: a (re)subscription unanswered for STREAM_SNAPSHOT_WAIT is sent
        // again even when nothing else arrives (a refused subscription sends no data)
        let snapshot_due = task
            .awaiting_since
            .filter(|_| task.resubscribe.is_some() && conn.is_some())
            .map(|t| tokio::time::Instant::from_std(t + STREAM_SNAPSHOT_WAIT));
        tokio::select! {
            _ = ticks.tick(), if ping.is_some() && conn.is_some() => {
                if let (Some(p), Some((handle, _))) = (&ping, &conn) {
                    handle.send((p.message)());
                }
            }
            _ = sleep_until_or_never(snapshot_due) => {
                // due: sent again now (and awaited from now)
                task.awaiting_since = None;
                task.take_snapshot(Duration::ZERO);
            }
            ev = recv_or_never(&mut conn) => {
                let Some(mut ev) = ev else { return };
                let down = matches!(ev, StreamEvent::Disconnected { .. });
                if let StreamEvent::Connected { reconnect } = &mut ev {
                    attempt = 0;
                    // A ticketed reconnect is a new stream's first connect: still a reconnect.
                    *reconnect |= connected_before;
                    connected_before = true;
                }
                task.on_stream(ev);
                if let (true, Some(fetch)) = (down, &ticket) {
                    // The stream would reconnect on the spent ticket: a fresh one instead.
                    conn = None;
                    wanted = Some(after(stream::backoff_delay(&task.feed.stream, attempt), fetch()));
                    attempt = attempt.saturating_add(1);
                }
            }
            res = pending_or_never(&mut wanted) => {
                wanted = None;
                match res {
                    Ok(t) => {
                        let cfg = StreamConfig { url: t.url, ..task.feed.stream.clone() };
                        conn = Some(stream::spawn(cfg, task.feed.subscribe.clone()));
                        ping = t.ping;
                        ticks = ticker(ping.as_ref());
                    }
                    Err(e) => {
                        tracing::warn!(pair = %task.shared.pair, error = %e, "no connection ticket; retrying");
                        task.shared.lost("no connection ticket");
                        if let Some(fetch) = &ticket {
                            wanted = Some(after(stream::backoff_delay(&task.feed.stream, attempt), fetch()));
                            attempt = attempt.saturating_add(1);
                        }
                    }
                }
            }
            res = pending_or_never(&mut task.refresh) => {
                task.refresh = None;
                if !task.on_rules(res) {
                    return;
                }
            }
            res = pending_or_never(&mut task.snapshot) => {
                task.snapshot = None;
                task.on_snapshot(res);
            }
        }
    }
}

#[cfg(test)]
#[path = "live_book_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "live_book_stream_tests.rs"]
mod stream_tests;
