//! State the simulated Coinbase Advanced Trade's servers and handle share: the engine, the CDP
//! keys' public parts, the rate limits (the engine's fixed windows: public 10 per second per IP,
//! private 30 per second per user), the clock, HTTP faults, and the signals that drop websocket
//! connections or stop everything.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::clock_ms;
pub use crate::exchange::engine::server::lock;
pub use crate::exchange::engine::windows::{HttpFault, Windows};

/// Coinbase's documented REST limits: (requests, window).
#[derive(Debug, Clone)]
pub struct CoinbaseLimits {
    pub public: (u64, Duration),
    pub private: (u64, Duration),
}

impl Default for CoinbaseLimits {
    fn default() -> Self {
        let one = Duration::from_secs(1);
        Self {
            public: (10, one),
            private: (30, one),
        }
    }
}

/// Everything the servers share.
#[derive(Debug)]
pub struct Shared {
    pub exchange: Mutex<Exchange>,
    /// The public part of each account's CDP key, by key name.
    pub public_keys: Mutex<HashMap<String, p256::ecdsa::VerifyingKey>>,
    pub limits: CoinbaseLimits,
    pub windows: Mutex<Windows>,
    /// Requests answered 429 so far.
    pub rejected_429: AtomicUsize,
    pub http_faults: Mutex<VecDeque<HttpFault>>,
    /// Delay before answering order creation and cancels (after they executed).
    pub ack_delay: Mutex<Duration>,
    pub clock_offset_ms: AtomicI64,
    pub market_kill: watch::Sender<u64>,
    pub user_kill: watch::Sender<u64>,
    pub shutdown: watch::Sender<bool>,
    /// While set, new `user` subscriptions are refused and user events are lost.
    pub user_streams_down: AtomicBool,
    /// User-channel messages still to lose (a sequence gap for the client).
    pub user_skips: AtomicUsize,
    pub market_connections: AtomicUsize,
    pub user_connections: AtomicUsize,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: CoinbaseLimits) -> Self {
        Self {
            exchange: Mutex::new(exchange),
            public_keys: Mutex::new(HashMap::new()),
            limits,
            windows: Mutex::new(Windows::default()),
            rejected_429: AtomicUsize::new(0),
            http_faults: Mutex::new(VecDeque::new()),
            ack_delay: Mutex::new(Duration::ZERO),
            clock_offset_ms: AtomicI64::new(0),
            market_kill: watch::channel(0).0,
            user_kill: watch::channel(0).0,
            shutdown: watch::channel(false).0,
            user_streams_down: AtomicBool::new(false),
            user_skips: AtomicUsize::new(0),
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

    pub fn next_http_fault(&self) -> Option<HttpFault> {
        lock(&self.http_faults).pop_front()
    }
}
