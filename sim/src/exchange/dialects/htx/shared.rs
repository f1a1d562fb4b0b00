//! State the simulated HTX's servers and handle share: the engine, HTX's documented rate limits
//! (counted per group in fixed windows), the clock, HTTP faults, and the signals that drop
//! WebSocket connections or stop everything.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Mutex;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;

pub use crate::exchange::engine::server::lock;

/// An HTTP fault served instead of the next REST response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpFault {
    /// 429 with `api-rate-limit`.
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

/// HTX's limits the simulator enforces: (requests, window) per group. HTX documents place and
/// cancel at 100 per 2 s per UID, order queries 50 per 2 s, account endpoints 100 per 2 s,
/// market data 10 per second per IP.
#[derive(Debug, Clone)]
pub struct HtxLimits {
    pub public: (u64, Duration),
    pub place: (u64, Duration),
    pub cancel: (u64, Duration),
    pub query: (u64, Duration),
    pub account: (u64, Duration),
}

impl Default for HtxLimits {
    fn default() -> Self {
        let two = Duration::from_secs(2);
        Self {
            public: (10, Duration::from_secs(1)),
            place: (100, two),
            cancel: (100, two),
            query: (50, two),
            account: (100, two),
        }
    }
}

/// Requests counted per group in the current window: group → (window start, count).
#[derive(Debug, Default)]
pub struct Counters(HashMap<&'static str, (u64, u64)>);

impl Counters {
    /// Counts one request of `group` at `now_ms`; the milliseconds to the window's end when
    /// the group is over its limit.
    pub fn count(
        &mut self,
        group: &'static str,
        (limit, window): (u64, Duration),
        now_ms: u64,
    ) -> Result<(), u64> {
        let w = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let start = now_ms / w * w;
        let slot = self.0.entry(group).or_insert((start, 0));
        if slot.0 != start {
            *slot = (start, 0);
        }
        if slot.1 >= limit {
            return Err(start + w - now_ms);
        }
        slot.1 += 1;
        Ok(())
    }
}

/// Everything the servers share: the engine, faults, connections and clock every dialect has
/// ([`Controls`], reached through `Deref`), and the dialect's own state.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub limits: HtxLimits,
    pub counters: Mutex<Counters>,
    pub rejected_429: AtomicUsize,
    /// How often the servers ping (HTX: 5 s on the market feeds, 20 s on `/ws/v2`).
    pub ping_every: Duration,
}

impl Shared {
    pub fn new(exchange: Exchange, limits: HtxLimits) -> Self {
        Self {
            controls: Controls::new(exchange),
            limits,
            counters: Mutex::new(Counters::default()),
            rejected_429: AtomicUsize::new(0),
            ping_every: Duration::from_secs(5),
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
    fn fixed_windows_per_group() {
        let mut c = Counters::default();
        let lim = (2, Duration::from_secs(2));
        assert_eq!(c.count("a", lim, 10_000), Ok(()));
        assert_eq!(c.count("a", lim, 10_500), Ok(()));
        assert_eq!(c.count("a", lim, 11_000), Err(1_000));
        assert_eq!(c.count("b", lim, 11_000), Ok(()));
        assert_eq!(c.count("a", lim, 12_000), Ok(()));
    }
}
