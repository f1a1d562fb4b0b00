//! The state every simulated exchange's servers share with its handle, and the test controls
//! that act on it the same way in every dialect: the engine, the clock offset, queued HTTP faults
//! (of the dialect's own fault type `F`), the signals that drop websocket connections or stop the
//! servers, the user-stream outage switch and the open-connection counts; liquidity (seeded and
//! random books), fills behind the client's back, balances and depth-stream faults.
//!
//! A dialect's `Shared` holds a [`Controls`] beside its own state (rate limits, keys, tokens) and
//! dereferences to it; its handle dereferences to it too, so a test calls
//! `mock.drop_user_streams()` on any simulated exchange. What differs (account ids, error types,
//! the dialect's names in book and order views) stays on the handle.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::watch;

use super::account::Balance;
use super::error::EngineError;
use super::exchange::{Exchange, MARKET_MAKER};
use super::random::{RandomUpdater, seed_book};
use super::server::{clock_ms, lock};

/// The engine and the fault, connection and clock state of one simulated exchange.
#[derive(Debug)]
pub struct Controls<F> {
    pub exchange: Mutex<Exchange>,
    /// HTTP faults served one per request, in order, instead of the answer.
    pub http_faults: Mutex<VecDeque<F>>,
    /// Offset of the simulator's clock from the system clock, ms.
    pub clock_offset_ms: AtomicI64,
    /// Bumped to drop every connection with a book subscription.
    pub market_kill: watch::Sender<u64>,
    /// Bumped to drop every connection with a private subscription.
    pub user_kill: watch::Sender<u64>,
    /// Set to stop the servers.
    pub shutdown: watch::Sender<bool>,
    /// While set, new private subscriptions are refused and user events are lost.
    pub user_streams_down: AtomicBool,
    pub market_connections: AtomicUsize,
    pub user_connections: AtomicUsize,
}

impl<F> Controls<F> {
    pub fn new(exchange: Exchange) -> Self {
        Self {
            exchange: Mutex::new(exchange),
            http_faults: Mutex::new(VecDeque::new()),
            clock_offset_ms: AtomicI64::new(0),
            market_kill: watch::channel(0).0,
            user_kill: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            user_streams_down: AtomicBool::new(false),
            market_connections: AtomicUsize::new(0),
            user_connections: AtomicUsize::new(0),
        }
    }

    /// The simulator's clock, ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        clock_ms(&self.clock_offset_ms)
    }

    pub fn exchange(&self) -> MutexGuard<'_, Exchange> {
        lock(&self.exchange)
    }

    /// Takes the next queued HTTP fault.
    pub fn next_http_fault(&self) -> Option<F> {
        lock(&self.http_faults).pop_front()
    }

    /// Serves `fault` instead of the next REST answer (one per request, in order).
    pub fn inject_http_fault(&self, fault: F) {
        lock(&self.http_faults).push_back(fault);
    }

    /// Moves the simulator's clock by `offset_ms` from the system clock.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.clock_offset_ms.store(offset_ms, Ordering::Relaxed);
    }

    /// While `true`, new private subscriptions are refused and user events are lost.
    pub fn set_user_streams_down(&self, down: bool) {
        self.user_streams_down.store(down, Ordering::SeqCst);
    }

    /// Closes every connection with a private subscription, abruptly.
    pub fn drop_user_streams(&self) {
        self.user_kill.send_modify(|g| *g += 1);
    }

    /// Closes every connection with a book subscription, abruptly.
    pub fn drop_market_streams(&self) {
        self.market_kill.send_modify(|g| *g += 1);
    }

    /// Open connections with a private subscription.
    pub fn user_connections(&self) -> usize {
        self.user_connections.load(Ordering::SeqCst)
    }

    /// Open connections with a book subscription.
    pub fn market_connections(&self) -> usize {
        self.market_connections.load(Ordering::SeqCst)
    }

    /// Drops the next depth update of `symbol` (a gap for the client).
    pub fn skip_next_diff(&self, symbol: &str) {
        self.exchange().publisher.skip_next_diff(symbol);
    }

    /// Sends the next depth update of `symbol` twice.
    pub fn duplicate_next_diff(&self, symbol: &str) {
        self.exchange().publisher.duplicate_next_diff(symbol);
    }

    /// Sends the next two depth updates of `symbol` in reverse order (one still waiting for its
    /// partner after 50 ms goes out alone).
    pub fn swap_next_diffs(&self, symbol: &str) {
        self.exchange().publisher.swap_next_diffs(symbol);
    }

    /// Sends `text` as is to every connection with a book subscription.
    pub fn push_raw_market_message(&self, text: &str) {
        self.exchange().publisher.raw(text);
    }

    /// Fills a resting order by `qty` (all of it when `None`) against the market maker; the
    /// quantity filled (zero when the order is not resting).
    pub fn fill_order(&self, order_id: u64, qty: Option<Decimal>) -> Decimal {
        let now = self.now_ms();
        self.exchange().fill_resting(order_id, qty, now)
    }

    /// Drops the private connections, refuses new private subscriptions, then fills: the events
    /// are lost. `set_user_streams_down(false)` ends the outage.
    pub fn fill_order_while_user_streams_down(
        &self,
        order_id: u64,
        qty: Option<Decimal>,
    ) -> Decimal {
        self.set_user_streams_down(true);
        self.drop_user_streams();
        self.fill_order(order_id, qty)
    }

    /// An account's balance of `asset` (zero when it holds none or does not exist).
    pub fn balance(&self, account: usize, asset: &str) -> Balance {
        self.exchange()
            .accounts
            .get(account)
            .and_then(|a| a.balances.get(asset).copied())
            .unwrap_or_default()
    }

    /// Sets an account's free balance of `asset` (a balance event follows); `false` when there
    /// is no such account.
    pub fn set_free_balance(&self, account: usize, asset: &str, free: Decimal) -> bool {
        let now = self.now_ms();
        let mut ex = self.exchange();
        if account >= ex.accounts.len() {
            return false;
        }
        ex.set_balance(account, asset, free, now);
        true
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart, from the
    /// market maker.
    pub fn seed_book(
        &self,
        symbol: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), EngineError> {
        let now = self.now_ms();
        seed_book(
            &mut self.exchange(),
            symbol,
            mid,
            levels,
            spacing_ticks,
            qty,
            now,
        )
    }

    /// `count` random book operations on `symbol`, deterministic for a seed; how many changed
    /// the book.
    pub fn random_book_updates(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
    ) -> Result<usize, EngineError> {
        let mut ex = self.exchange();
        let mut up = RandomUpdater::new(&ex, symbol, seed);
        let mut changed = 0;
        for _ in 0..count {
            if up.step(&mut ex, self.now_ms())? {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Like [`Controls::random_book_updates`], one operation every `pause`, releasing the
    /// engine in between so that clients can snapshot and trade meanwhile (with no pause, it
    /// yields to them).
    pub async fn random_book_updates_paced(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, EngineError> {
        let mut up = RandomUpdater::new(&self.exchange(), symbol, seed);
        let mut changed = 0;
        for _ in 0..count {
            if up.step(&mut self.exchange(), self.now_ms())? {
                changed += 1;
            }
            if pause.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(pause).await;
            }
        }
        Ok(changed)
    }

    /// `f` over the engine (to run the dialect's verifier on a request in a test, say).
    pub fn with_exchange<R>(&self, f: impl FnOnce(&Exchange) -> R) -> R {
        f(&self.exchange())
    }

    /// The market maker's account.
    pub fn market_maker(&self) -> usize {
        MARKET_MAKER
    }
}
