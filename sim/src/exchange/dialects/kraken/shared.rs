//! State the Kraken dialect's servers and its handle share: the engine, Kraken's rate counters
//! (per-key REST counter, per-pair trading counter, per-IP public throttle — each a counter that
//! decays continuously, refused when a call would take it past its maximum), the last nonce of each
//! key, WebSocket tokens, the book-feed and HTTP faults, and the signals that drop or refuse
//! connections.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;

/// A counter of maximum `max` that decays by `decay_centi / 100` per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CounterLimit {
    pub max: u32,
    pub decay_centi: u32,
}

/// Kraken's limits (docs.kraken.com, rate limits; Starter tier by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KrakenLimits {
    /// The REST API counter of a key (Starter 15 / 0.33 s⁻¹, Intermediate 20 / 0.5, Pro 20 / 1).
    pub api: CounterLimit,
    /// The matching engine's counter per pair (Starter 60 / 1, Intermediate 125 / 2.34, Pro 180 / 3.75).
    pub trading: CounterLimit,
    /// Public calls per IP.
    pub public: CounterLimit,
}

impl KrakenLimits {
    pub const STARTER: Self = Self {
        api: CounterLimit {
            max: 15,
            decay_centi: 33,
        },
        trading: CounterLimit {
            max: 60,
            decay_centi: 100,
        },
        public: CounterLimit {
            max: 1,
            decay_centi: 100,
        },
    };
    pub const INTERMEDIATE: Self = Self {
        api: CounterLimit {
            max: 20,
            decay_centi: 50,
        },
        trading: CounterLimit {
            max: 125,
            decay_centi: 234,
        },
        public: CounterLimit {
            max: 1,
            decay_centi: 100,
        },
    };
    pub const PRO: Self = Self {
        api: CounterLimit {
            max: 20,
            decay_centi: 100,
        },
        trading: CounterLimit {
            max: 180,
            decay_centi: 375,
        },
        public: CounterLimit {
            max: 1,
            decay_centi: 100,
        },
    };

    /// These limits with `n` public calls per second (a burst of `n`).
    pub fn with_public_per_second(mut self, n: u32) -> Self {
        self.public = CounterLimit {
            max: n.max(1),
            decay_centi: n.max(1).saturating_mul(100),
        };
        self
    }
}

impl Default for KrakenLimits {
    fn default() -> Self {
        Self::STARTER
    }
}

/// Units of a counter in fixed point: 1 call = 100 000 (a decay of `c` hundredths per second is
/// `c` units per millisecond).
const UNIT: u64 = 100_000;

/// One decaying counter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Counter {
    level: u64,
    at_ms: u64,
}

impl Counter {
    fn decayed(&self, limit: CounterLimit, now: u64) -> u64 {
        let drained = now
            .saturating_sub(self.at_ms)
            .saturating_mul(u64::from(limit.decay_centi));
        self.level.saturating_sub(drained)
    }

    /// Adds `cost` calls unless that takes the counter past its maximum.
    pub fn charge(&mut self, limit: CounterLimit, cost: u32, now: u64) -> bool {
        let level = self.decayed(limit, now);
        let next = level.saturating_add(u64::from(cost) * UNIT);
        self.at_ms = now;
        if next > u64::from(limit.max) * UNIT {
            self.level = level;
            return false;
        }
        self.level = next;
        true
    }

    /// The counter now, in calls (rounded up).
    pub fn calls(&self, limit: CounterLimit, now: u64) -> u64 {
        self.decayed(limit, now).div_ceil(UNIT)
    }
}

/// Faults of the book feed, consumed by the next update any connection sends.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct BookFaults {
    /// Updates not sent (the client's book diverges).
    pub drop: u32,
    /// Updates sent twice.
    pub duplicate: u32,
    /// Updates held and sent after the next one.
    pub swap: u32,
    /// Updates sent with a wrong checksum.
    pub corrupt: u32,
}

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// An HTML error page with this status (a proxy or Cloudflare).
    HtmlPage { status: u16 },
    /// A body cut in the middle, status 200.
    TruncatedJson,
    /// A valid answer whose numbers are absurdly large, status 200.
    HugeNumbers,
    /// The request executes but its answer is lost (the connection is closed).
    DropAfterExecuting,
}

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub limits: KrakenLimits,
    pub api_counters: Mutex<HashMap<usize, Counter>>,
    pub trading_counters: Mutex<HashMap<(usize, String), Counter>>,
    pub public_counter: Mutex<Counter>,
    /// Last nonce accepted per account.
    pub nonces: Mutex<HashMap<usize, u64>>,
    /// WebSocket tokens: token → (account, issued at ms).
    pub tokens: Mutex<HashMap<String, (usize, u64)>>,
    pub book_faults: Mutex<BookFaults>,
    pub market_streams_down: AtomicBool,
    /// Requests refused for a rate limit (REST and engine), for tests.
    pub rate_limited: AtomicUsize,
    pub heartbeat: Duration,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: KrakenLimits, heartbeat: Duration) -> Self {
        Self {
            controls: Controls::new(exchange),
            limits,
            api_counters: Mutex::default(),
            trading_counters: Mutex::default(),
            public_counter: Mutex::default(),
            nonces: Mutex::default(),
            tokens: Mutex::default(),
            book_faults: Mutex::default(),
            market_streams_down: AtomicBool::new(false),
            rate_limited: AtomicUsize::new(0),
            heartbeat,
        }
    }

    /// Charges the account's REST counter; `false`: `EAPI:Rate limit exceeded`.
    pub fn charge_api(&self, account: usize, cost: u32) -> bool {
        let now = self.now_ms();
        let ok =
            lock(&self.api_counters)
                .entry(account)
                .or_default()
                .charge(self.limits.api, cost, now);
        self.count_refusal(ok)
    }

    /// Charges the account's trading counter of a pair; `false`: `EOrder:Rate limit exceeded`.
    pub fn charge_trading(&self, account: usize, pair: &str, cost: u32) -> bool {
        let now = self.now_ms();
        let ok = lock(&self.trading_counters)
            .entry((account, pair.to_string()))
            .or_default()
            .charge(self.limits.trading, cost, now);
        self.count_refusal(ok)
    }

    /// Charges the public throttle; `false`: HTTP 429.
    pub fn charge_public(&self) -> bool {
        let now = self.now_ms();
        let ok = lock(&self.public_counter).charge(self.limits.public, 1, now);
        self.count_refusal(ok)
    }

    fn count_refusal(&self, ok: bool) -> bool {
        if !ok {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// Accepts `nonce` for `account` if it is above the last one accepted.
    pub fn accept_nonce(&self, account: usize, nonce: u64) -> bool {
        let mut n = lock(&self.nonces);
        let last = n.entry(account).or_insert(0);
        if nonce <= *last {
            return false;
        }
        *last = nonce;
        true
    }

    /// The next book fault to apply to an update, if any (consumed).
    pub fn take_book_fault(&self) -> Option<BookFault> {
        let mut f = lock(&self.book_faults);
        let pick = if f.drop > 0 {
            f.drop -= 1;
            BookFault::Drop
        } else if f.duplicate > 0 {
            f.duplicate -= 1;
            BookFault::Duplicate
        } else if f.swap > 0 {
            f.swap -= 1;
            BookFault::Swap
        } else if f.corrupt > 0 {
            f.corrupt -= 1;
            BookFault::Corrupt
        } else {
            return None;
        };
        Some(pick)
    }
}

impl Deref for Shared {
    type Target = Controls<HttpFault>;

    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

/// One book-feed fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookFault {
    Drop,
    Duplicate,
    Swap,
    Corrupt,
}

pub use crate::exchange::engine::server::lock;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counter_decays_and_refuses_past_its_maximum() {
        let l = CounterLimit {
            max: 2,
            decay_centi: 100,
        };
        let mut c = Counter::default();
        assert!(c.charge(l, 1, 0));
        assert!(c.charge(l, 1, 0));
        assert!(!c.charge(l, 1, 0), "a third call at once exceeds 2");
        assert!(!c.charge(l, 1, 999));
        assert!(c.charge(l, 1, 1000), "one call decayed after a second");
        assert_eq!(c.calls(l, 1000), 2);
    }
}
