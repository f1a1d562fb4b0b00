//! State the simulated Coinbase Advanced Trade's servers and handle share: the engine, the CDP
//! keys' public parts, the rate limits (the engine's fixed windows: public 10 per second per IP,
//! private 30 per second per user), the clock, HTTP faults, and the signals that drop websocket
//! connections or stop everything.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
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

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    /// The public part of each account's CDP key, by key name.
    pub public_keys: Mutex<HashMap<String, p256::ecdsa::VerifyingKey>>,
    pub limits: CoinbaseLimits,
    pub windows: Mutex<Windows>,
    /// Requests answered 429 so far.
    pub rejected_429: AtomicUsize,
    /// Delay before answering order creation and cancels (after they executed).
    pub ack_delay: Mutex<Duration>,
    /// User-channel messages still to lose (a sequence gap for the client).
    pub user_skips: AtomicUsize,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: CoinbaseLimits) -> Self {
        Self {
            controls: Controls::new(exchange),
            public_keys: Mutex::new(HashMap::new()),
            limits,
            windows: Mutex::new(Windows::default()),
            rejected_429: AtomicUsize::new(0),
            ack_delay: Mutex::new(Duration::ZERO),
            user_skips: AtomicUsize::new(0),
        }
    }
}

impl Deref for Shared {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}
