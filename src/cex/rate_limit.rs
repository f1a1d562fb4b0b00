//! A client-side rate limiter modelled on an exchange's documented limits: several counters
//! (request weight, orders, raw requests), each with one or more windows; a request costs some
//! amount on several counters at once (linked limits) and waits until every window has room, so a
//! burst is spread out instead of rejected. Windows are sliding (stricter than the exchange's fixed
//! windows, so whatever fits here fits there). A 429/418 blocks every request until its
//! `Retry-After` has passed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// One documented limit: at most `limit` units of `counter` per `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// The counter this limit applies to (`REQUEST_WEIGHT`, `ORDERS`, `RAW_REQUESTS`).
    pub counter: &'static str,
    pub window: Duration,
    pub limit: u32,
}

impl RateLimit {
    pub const fn new(counter: &'static str, window: Duration, limit: u32) -> Self {
        Self {
            counter,
            window,
            limit,
        }
    }
}

#[derive(Debug)]
struct WindowState {
    limit: RateLimit,
    /// (time counted, units), oldest first.
    log: VecDeque<(Instant, u32)>,
    used: u32,
}

impl WindowState {
    fn expire(&mut self, now: Instant, grace: Duration) {
        while let Some(&(t, w)) = self.log.front() {
            if now.duration_since(t) >= self.limit.window + grace {
                self.used -= w;
                self.log.pop_front();
            } else {
                break;
            }
        }
    }

    /// How long until `cost` more units fit (zero if they fit now).
    fn wait_for(&self, now: Instant, cost: u32, grace: Duration) -> Duration {
        if self.used + cost <= self.limit.limit {
            return Duration::ZERO;
        }
        let mut freed = 0;
        for &(t, w) in &self.log {
            freed += w;
            if self.used - freed + cost <= self.limit.limit {
                return (t + self.limit.window + grace).saturating_duration_since(now);
            }
        }
        // Cost above the whole limit: it can only go through on an empty window.
        self.log
            .back()
            .map(|&(t, _)| (t + self.limit.window + grace).saturating_duration_since(now))
            .unwrap_or(Duration::ZERO)
    }
}

#[derive(Debug)]
struct State {
    windows: Vec<WindowState>,
    blocked_until: Option<Instant>,
}

/// The limiter for one exchange account / IP.
#[derive(Debug)]
pub struct RateLimiter {
    state: Mutex<State>,
    /// Extra time an entry is kept, covering the delay between sending and the server counting.
    grace: Duration,
}

impl RateLimiter {
    pub fn new(limits: &[RateLimit]) -> Self {
        Self {
            state: Mutex::new(State {
                windows: limits
                    .iter()
                    .map(|l| WindowState {
                        limit: l.clone(),
                        log: VecDeque::new(),
                        used: 0,
                    })
                    .collect(),
                blocked_until: None,
            }),
            grace: Duration::from_millis(50),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes `costs` (counter, units) from every window of those counters at once, waiting as long
    /// as needed. Returns how long it waited.
    pub async fn acquire(&self, costs: &[(&str, u32)]) -> Duration {
        let start = Instant::now();
        loop {
            let wait = {
                let mut st = self.lock();
                let now = Instant::now();
                let grace = self.grace;
                let mut wait = st
                    .blocked_until
                    .map(|b| b.saturating_duration_since(now))
                    .unwrap_or(Duration::ZERO);
                for w in st.windows.iter_mut() {
                    w.expire(now, grace);
                    for &(c, cost) in costs {
                        if w.limit.counter == c {
                            wait = wait.max(w.wait_for(now, cost, grace));
                        }
                    }
                }
                if wait.is_zero() {
                    for w in st.windows.iter_mut() {
                        for &(c, cost) in costs {
                            if w.limit.counter == c && cost > 0 {
                                w.log.push_back((now, cost));
                                w.used += cost;
                            }
                        }
                    }
                    return start.elapsed();
                }
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// Replaces the limits (e.g. with those an exchange publishes), keeping what was already
    /// counted in windows that stay.
    pub fn set_limits(&self, limits: &[RateLimit]) {
        let mut st = self.lock();
        let mut old = std::mem::take(&mut st.windows);
        st.windows = limits
            .iter()
            .map(|l| {
                match old
                    .iter()
                    .position(|w| w.limit.counter == l.counter && w.limit.window == l.window)
                {
                    Some(i) => {
                        let mut w = old.swap_remove(i);
                        w.limit = l.clone();
                        w
                    }
                    None => WindowState {
                        limit: l.clone(),
                        log: VecDeque::new(),
                        used: 0,
                    },
                }
            })
            .collect();
    }

    /// Blocks every request for `d` (after a 429 or 418 with `Retry-After`).
    pub fn block_for(&self, d: Duration) {
        let until = Instant::now() + d;
        let mut st = self.lock();
        st.blocked_until = Some(st.blocked_until.map_or(until, |b| b.max(until)));
    }

    /// Takes the exchange's own count into account (e.g. `X-MBX-USED-WEIGHT-1M`): if it says more
    /// is used than we counted, the difference is recorded now.
    pub fn observe_used(&self, counter: &str, window: Duration, used: u32) {
        let mut st = self.lock();
        let now = Instant::now();
        for w in st.windows.iter_mut() {
            if w.limit.counter == counter && w.limit.window == window && used > w.used {
                let extra = used - w.used;
                w.log.push_back((now, extra));
                w.used += extra;
            }
        }
    }

    /// Units used now in the window of `counter` with this length.
    pub fn used(&self, counter: &str, window: Duration) -> Option<u32> {
        let mut st = self.lock();
        let now = Instant::now();
        let grace = self.grace;
        st.windows
            .iter_mut()
            .find(|w| w.limit.counter == counter && w.limit.window == window)
            .map(|w| {
                w.expire(now, grace);
                w.used
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    fn limits() -> Vec<RateLimit> {
        vec![
            RateLimit::new("W", MS * 400, 100),
            RateLimit::new("O", MS * 200, 5),
            RateLimit::new("O", MS * 600, 8),
        ]
    }

    fn limiter() -> RateLimiter {
        let mut l = RateLimiter::new(&limits());
        l.grace = MS * 5;
        l
    }

    #[tokio::test]
    async fn a_burst_is_spread_over_the_window() {
        let l = limiter();
        for _ in 0..10 {
            assert!(l.acquire(&[("W", 10)]).await < MS * 50);
        }
        assert_eq!(l.used("W", MS * 400), Some(100));
        let waited = l.acquire(&[("W", 10)]).await;
        assert!(waited >= MS * 330, "{waited:?}");
    }

    #[tokio::test]
    async fn linked_limits_wait_for_every_window() {
        let l = limiter();
        for _ in 0..5 {
            l.acquire(&[("W", 1), ("O", 1)]).await;
        }
        // the short order window is full: the 6th order waits for it and takes weight too
        let w = l.acquire(&[("W", 1), ("O", 1)]).await;
        assert!(w >= MS * 150, "{w:?}");
        assert_eq!(l.used("W", MS * 400), Some(6));
        l.acquire(&[("O", 1)]).await;
        l.acquire(&[("O", 1)]).await;
        // the long window (8) is full now, though the short one has room
        let w = l.acquire(&[("O", 1)]).await;
        assert!(w >= MS * 250, "{w:?}");
        // a weight-only request is not held back by the order windows
        l.acquire(&[("O", 5)]).await;
        assert!(l.acquire(&[("W", 1)]).await < MS * 50);
    }

    #[tokio::test]
    async fn retry_after_blocks_everything() {
        let l = limiter();
        l.block_for(MS * 150);
        let w = l.acquire(&[("W", 1)]).await;
        assert!(w >= MS * 140, "{w:?}");
        l.set_limits(&[RateLimit::new("W", MS * 400, 100)]);
        assert_eq!(l.used("W", MS * 400), Some(1), "kept across set_limits");
        assert_eq!(l.used("O", MS * 200), None);
        l.observe_used("W", MS * 400, 99);
        assert_eq!(l.used("W", MS * 400), Some(99));
        let w = l.acquire(&[("W", 2)]).await;
        assert!(w >= MS * 300, "{w:?}");
    }
}
