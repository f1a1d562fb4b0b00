//! State the simulated Gate.io's servers and handle share: the engine, the per-endpoint rate
//! limits (the engine's fixed windows, as Gate.io counts them), the clock, HTTP faults, and the
//! signals that drop websocket connections or stop everything.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::clock_ms;
pub use crate::exchange::engine::windows::{HttpFault, Windows};

/// Gate.io's rate limits the simulator enforces, per endpoint group: (requests, window).
#[derive(Debug, Clone)]
pub struct GateLimits {
    pub public: (u64, Duration),
    pub private: (u64, Duration),
    pub order_place: (u64, Duration),
    pub order_cancel: (u64, Duration),
}

impl Default for GateLimits {
    fn default() -> Self {
        Self {
            public: (200, Duration::from_secs(10)),
            private: (200, Duration::from_secs(10)),
            order_place: (10, Duration::from_secs(1)),
            order_cancel: (200, Duration::from_secs(1)),
        }
    }
}

/// Everything the servers share.
#[derive(Debug)]
pub struct Shared {
    pub exchange: Mutex<Exchange>,
    pub limits: GateLimits,
    pub windows: Mutex<Windows>,
    /// Requests answered 429 so far.
    pub rejected_429: AtomicUsize,
    pub http_faults: Mutex<VecDeque<HttpFault>>,
    /// Delay before answering order placement and cancels (after they executed).
    pub ack_delay: Mutex<Duration>,
    pub clock_offset_ms: AtomicI64,
    pub market_kill: watch::Sender<u64>,
    pub user_kill: watch::Sender<u64>,
    pub shutdown: watch::Sender<bool>,
    /// While set, new authenticated subscriptions are refused and user events are lost.
    pub user_streams_down: AtomicBool,
    pub market_connections: AtomicUsize,
    pub user_connections: AtomicUsize,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: GateLimits) -> Self {
        Self {
            exchange: Mutex::new(exchange),
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

pub use crate::exchange::engine::server::lock;
