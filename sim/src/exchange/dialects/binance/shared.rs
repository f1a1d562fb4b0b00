//! State shared by the mock's servers and its handle: the exchange, the rate limiter, the clock,
//! injected HTTP faults, and the signals that drop websocket connections or stop everything.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::watch;

use super::listen_key::{ListenKeys, UserStreams};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::rate_limit::RateLimiter;

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 with `Retry-After` and Binance's -1003 body.
    TooManyRequests {
        /// `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// 418 (IP banned) with `Retry-After` and Binance's -1003 ban body.
    Banned {
        /// `Retry-After` seconds.
        retry_after_secs: u64,
    },
    /// An HTML error page (as a proxy or gateway would send) with this status.
    HtmlPage {
        /// HTTP status.
        status: u16,
    },
    /// A body that is not valid JSON, status 200.
    MalformedJson,
}

/// Everything the servers share.
#[derive(Debug)]
pub struct Shared {
    /// The matching engine and accounts.
    pub exchange: Mutex<Exchange>,
    /// Rate limits.
    pub limiter: Mutex<RateLimiter>,
    /// Pending HTTP faults, served one per request.
    pub http_faults: Mutex<VecDeque<HttpFault>>,
    /// Delay before answering order placement and cancel requests (after they executed).
    pub ack_delay: Mutex<Duration>,
    /// Offset of the mock's clock from the system clock, ms.
    pub clock_offset_ms: AtomicI64,
    /// Bumped to drop every market-stream connection.
    pub market_kill: watch::Sender<u64>,
    /// Bumped to drop every user-data connection (WebSocket API and listenKey streams).
    pub user_kill: watch::Sender<u64>,
    /// Set to stop the servers.
    pub shutdown: watch::Sender<bool>,
    /// Set (to the event time) to send a `serverShutdown` event on every websocket connection.
    pub shutdown_notice: watch::Sender<u64>,
    /// While set, new user-data connections (WebSocket API, listenKey streams) are refused (503)
    /// and user events are lost.
    pub user_streams_down: AtomicBool,
    /// While set, new market-stream connections are refused (503).
    pub market_streams_down: AtomicBool,
    /// Open market-stream connections.
    pub market_connections: AtomicUsize,
    /// Open user-data connections (WebSocket API and listenKey streams).
    pub user_connections: AtomicUsize,
    /// Interval of the server's ping frames.
    pub ping_interval: Duration,
    /// Which user-data-stream mechanisms are served.
    pub user_streams: UserStreams,
    /// The legacy listenKeys.
    pub listen_keys: Mutex<ListenKeys>,
}

impl Shared {
    /// New shared state.
    pub fn new(
        exchange: Exchange,
        limiter: RateLimiter,
        ping_interval: Duration,
        user_streams: UserStreams,
    ) -> Self {
        Self {
            exchange: Mutex::new(exchange),
            limiter: Mutex::new(limiter),
            http_faults: Mutex::new(VecDeque::new()),
            ack_delay: Mutex::new(Duration::ZERO),
            clock_offset_ms: AtomicI64::new(0),
            market_kill: watch::channel(0).0,
            user_kill: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            shutdown_notice: watch::channel(0).0,
            user_streams_down: AtomicBool::new(false),
            market_streams_down: AtomicBool::new(false),
            market_connections: AtomicUsize::new(0),
            user_connections: AtomicUsize::new(0),
            ping_interval,
            user_streams,
            listen_keys: Mutex::new(ListenKeys::default()),
        }
    }

    /// Locks the listenKeys.
    pub fn listen_keys(&self) -> MutexGuard<'_, ListenKeys> {
        lock(&self.listen_keys)
    }

    /// The mock's clock, ms since the epoch.
    pub fn now_ms(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        (sys + self.clock_offset_ms.load(Ordering::Relaxed)).max(0) as u64
    }

    /// The mock's clock, µs since the epoch.
    pub fn now_us(&self) -> u64 {
        let sys = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_micros() as i64)
            .unwrap_or(0);
        (sys + self.clock_offset_ms.load(Ordering::Relaxed) * 1_000).max(0) as u64
    }

    /// Locks the exchange.
    pub fn exchange(&self) -> MutexGuard<'_, Exchange> {
        lock(&self.exchange)
    }

    /// Locks the rate limiter.
    pub fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        lock(&self.limiter)
    }

    /// Takes the next pending HTTP fault.
    pub fn next_http_fault(&self) -> Option<HttpFault> {
        lock(&self.http_faults).pop_front()
    }

    /// Current ack delay.
    pub fn ack_delay(&self) -> Duration {
        *lock(&self.ack_delay)
    }

    /// Gives back ORDERS slots for orders that got their first fill.
    pub fn settle_first_fills(&self, exchange: &mut Exchange) {
        if exchange.first_fills.is_empty() {
            return;
        }
        let now = self.now_ms();
        let mut limiter = self.limiter();
        for account in exchange.first_fills.drain(..) {
            limiter.uncount_order(account, now);
        }
    }
}

/// Locks a mutex; a panic in another holder does not make the state unusable for a test server.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
