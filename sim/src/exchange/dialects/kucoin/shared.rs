//! State the simulated KuCoin's servers and handle share: the engine, the resource pools (a quota
//! of request weight per 30 s window, as KuCoin counts them), the keys' passphrases, the
//! connection tokens handed out by the bullet endpoints, the clock, HTTP faults, and the signals
//! that drop websocket connections or stop everything.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use zeroize::Zeroizing;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;

pub use crate::exchange::engine::server::lock;

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 with code `429000`.
    TooManyRequests,
    /// An HTML error page (a gateway's) with this status.
    HtmlPage { status: u16 },
    /// A 200 whose body is cut in the middle of its JSON.
    TruncatedJson,
    /// A 200 whose numbers do not fit any decimal (`1e400`).
    HugeNumbers,
    /// A 200 whose answer carries fields KuCoin does not document (to be skipped).
    UnknownFields,
    /// The request executes, then the connection closes without an answer.
    LostAck,
}

/// KuCoin's resource pools (VIP 0): weight quota per window.
#[derive(Debug, Clone)]
pub struct KuCoinLimits {
    pub public: u64,
    pub spot: u64,
    pub management: u64,
    pub window: Duration,
}

impl Default for KuCoinLimits {
    fn default() -> Self {
        Self {
            public: 2000,
            spot: 4000,
            management: 2000,
            window: Duration::from_secs(30),
        }
    }
}

/// Which pool an endpoint draws on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pool {
    Public,
    Spot,
    Management,
}

impl KuCoinLimits {
    pub fn quota(&self, pool: Pool) -> u64 {
        match pool {
            Pool::Public => self.public,
            Pool::Spot => self.spot,
            Pool::Management => self.management,
        }
    }
}

/// What a pool says of a request: admitted with (remaining, ms to the reset), or refused until
/// the reset.
pub type Admission = Result<(u64, u64), u64>;

/// Fixed windows per pool, aligned to the window's length.
#[derive(Debug, Default)]
pub struct Pools {
    used: HashMap<Pool, (u64, u64)>,
}

impl Pools {
    /// Counts `weight` against `pool` at `now_ms`.
    pub fn admit(
        &mut self,
        limits: &KuCoinLimits,
        pool: Pool,
        weight: u64,
        now_ms: u64,
    ) -> Admission {
        let w = u64::try_from(limits.window.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let start = now_ms - now_ms % w;
        let reset = (start + w).saturating_sub(now_ms);
        let quota = limits.quota(pool);
        let e = self.used.entry(pool).or_insert((start, 0));
        if e.0 != start {
            *e = (start, 0);
        }
        if e.1 + weight > quota {
            return Err(reset);
        }
        e.1 += weight;
        Ok((quota - e.1, reset))
    }
}

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub limits: KuCoinLimits,
    pub pools: Mutex<Pools>,
    /// Passphrase of each API key.
    pub passphrases: Mutex<HashMap<String, Zeroizing<String>>>,
    /// Connection tokens: `None` public, `Some(account)` private.
    pub tokens: Mutex<HashMap<String, Option<usize>>>,
    /// The websocket endpoint the bullet endpoints announce.
    pub ws_endpoint: String,
    /// `pingInterval` and `pingTimeout` the bullet endpoints announce (and the server enforces).
    pub ping_interval_ms: u64,
    pub ping_timeout_ms: u64,
    /// Requests answered 429 so far.
    pub rejected_429: AtomicUsize,
    /// Delay before answering order placement and cancels (after they executed).
    pub ack_delay: Mutex<Duration>,
    /// Connections closed for want of a ping.
    pub ping_timeouts: AtomicUsize,
}

impl Shared {
    pub fn new(
        exchange: Exchange,
        limits: KuCoinLimits,
        ws_endpoint: String,
        ping_interval_ms: u64,
    ) -> Self {
        Self {
            ws_endpoint,
            controls: Controls::new(exchange),
            limits,
            pools: Mutex::new(Pools::default()),
            passphrases: Mutex::new(HashMap::new()),
            tokens: Mutex::new(HashMap::new()),
            ping_interval_ms,
            ping_timeout_ms: ping_interval_ms,
            rejected_429: AtomicUsize::new(0),
            ack_delay: Mutex::new(Duration::ZERO),
            ping_timeouts: AtomicUsize::new(0),
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
    fn pools_count_weight_in_fixed_windows() {
        let lim = KuCoinLimits {
            public: 10,
            spot: 20,
            management: 5,
            window: Duration::from_secs(30),
        };
        let mut p = Pools::default();
        assert_eq!(p.admit(&lim, Pool::Public, 4, 30_000), Ok((6, 30_000)));
        assert_eq!(p.admit(&lim, Pool::Public, 6, 31_000), Ok((0, 29_000)));
        assert_eq!(p.admit(&lim, Pool::Public, 1, 45_000), Err(15_000));
        assert_eq!(p.admit(&lim, Pool::Spot, 20, 45_000), Ok((0, 15_000)));
        assert_eq!(p.admit(&lim, Pool::Public, 1, 60_000), Ok((9, 30_000)));
    }
}
