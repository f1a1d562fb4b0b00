//! State the simulated Gate.io's servers and handle share: the engine, the per-endpoint rate
//! limits (the engine's fixed windows, as Gate.io counts them), the clock, HTTP faults, and the
//! signals that drop websocket connections or stop everything.

use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
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

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and Gate.io's rate limits and ack delay.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub limits: GateLimits,
    pub windows: Mutex<Windows>,
    /// Requests answered 429 so far.
    pub rejected_429: AtomicUsize,
    /// Delay before answering order placement and cancels (after they executed).
    pub ack_delay: Mutex<Duration>,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: GateLimits) -> Self {
        Self {
            controls: Controls::new(exchange),
            limits,
            windows: Mutex::new(Windows::default()),
            rejected_429: AtomicUsize::new(0),
            ack_delay: Mutex::new(Duration::ZERO),
        }
    }
}

impl Deref for Shared {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

pub use crate::exchange::engine::server::lock;
