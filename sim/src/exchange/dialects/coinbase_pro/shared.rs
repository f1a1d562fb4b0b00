//! State the simulated Coinbase Exchange's servers and handle share: the engine, the product
//! sequences, the passphrases, the rate limits (token buckets: a rate and a burst, as Coinbase
//! documents them), the clock, HTTP faults, and the signals that drop websocket connections or
//! stop everything.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use rust_decimal::Decimal;

use super::shapes::Sequences;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;

pub use crate::exchange::engine::server::lock;

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 `Private rate limit exceeded`.
    TooManyRequests,
    /// An HTML error page (a gateway's) with this status.
    HtmlPage { status: u16 },
    /// A 200 whose body is cut in the middle of its JSON.
    TruncatedJson,
    /// A 200 whose numbers do not fit any decimal (`1e400`).
    HugeNumbers,
    /// The request executes, then the connection closes without an answer.
    LostAck,
}

/// A documented limit: requests per second and the burst allowed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bucket {
    pub per_second: u64,
    pub burst: u64,
}

/// Coinbase Exchange's limits the simulator enforces.
#[derive(Debug, Clone)]
pub struct CbLimits {
    pub public: Bucket,
    pub private: Bucket,
    pub fills: Bucket,
}

impl Default for CbLimits {
    fn default() -> Self {
        Self {
            public: Bucket {
                per_second: 10,
                burst: 15,
            },
            private: Bucket {
                per_second: 15,
                burst: 30,
            },
            fills: Bucket {
                per_second: 10,
                burst: 20,
            },
        }
    }
}

/// Token buckets per limit: (tokens, last refill ms).
#[derive(Debug, Default)]
pub struct Buckets {
    state: HashMap<&'static str, (Decimal, u64)>,
}

impl Buckets {
    /// Takes one token of `name` at `now_ms`; `false` when the bucket is empty.
    pub fn admit(&mut self, name: &'static str, b: Bucket, now_ms: u64) -> bool {
        let burst = Decimal::from(b.burst);
        let (tokens, last) = self.state.entry(name).or_insert((burst, now_ms));
        let elapsed = Decimal::from(now_ms.saturating_sub(*last)) / Decimal::ONE_THOUSAND;
        *tokens = (*tokens + elapsed * Decimal::from(b.per_second)).min(burst);
        *last = now_ms;
        if *tokens < Decimal::ONE {
            return false;
        }
        *tokens -= Decimal::ONE;
        true
    }
}

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub sequences: Sequences,
    /// The passphrase of each API key.
    pub passphrases: Mutex<HashMap<String, String>>,
    /// (maker, taker) rates `/fees` reports.
    pub fee_rates: (Decimal, Decimal),
    pub limits: CbLimits,
    pub buckets: Mutex<Buckets>,
    pub rejected_429: AtomicUsize,
    pub ack_delay: Mutex<Duration>,
}

impl Shared {
    pub fn new(
        exchange: Exchange,
        sequences: Sequences,
        fee_rates: (Decimal, Decimal),
        limits: CbLimits,
    ) -> Self {
        Self {
            controls: Controls::new(exchange),
            sequences,
            passphrases: Mutex::new(HashMap::new()),
            fee_rates,
            limits,
            buckets: Mutex::new(Buckets::default()),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_allow_the_burst_then_the_rate() {
        let mut b = Buckets::default();
        let lim = Bucket {
            per_second: 10,
            burst: 3,
        };
        assert!((0..3).all(|_| b.admit("x", lim, 1_000)));
        assert!(!b.admit("x", lim, 1_000));
        assert!(!b.admit("x", lim, 1_050));
        assert!(b.admit("x", lim, 1_100), "a token every 100 ms");
        assert!(b.admit("y", lim, 1_100), "buckets are separate");
    }
}
