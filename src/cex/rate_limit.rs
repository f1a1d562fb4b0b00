//! A client-side rate limiter modelled on an exchange's documented limits: several counters
//! (request weight, orders, raw requests), each with one or more windows; a request costs some
//! amount on several counters at once (linked limits) and waits until every window has room, so a
//! burst is spread out instead of rejected. Windows are sliding (stricter than the exchange's fixed
//! windows, so whatever fits here fits there). A 429/418 blocks every request until its
//! `Retry-After` has passed.
//!
//! No request waits without bound: [`RateLimiter::acquire`] takes a deadline, and a request whose
//! turn would come after it fails at once with [`RateLimited`] (carrying how long until it would
//! fit) instead of sleeping. [`MAX_WAIT`] (2 minutes) is the documented longest wait the REST client
//! allows; a longer ban (a 418 can last hours) makes requests fail fast until it ends. Counts from
//! the exchange (usage headers) and `Retry-After` values are taken with saturating arithmetic: a
//! hostile or broken value can neither panic nor wrap.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// The longest a request waits for the limiter (window room or a `Retry-After` block) before
/// failing with [`RateLimited`], unless the caller gives a shorter deadline.
pub const MAX_WAIT: Duration = Duration::from_secs(120);

/// The longest block a `Retry-After` is recorded for: longer values (a broken or hostile header)
/// are clamped, so the block's end is always a representable instant. Requests fail fast during a
/// block anyway, so the clamp only shortens a ban of more than a week.
pub const MAX_BLOCK: Duration = Duration::from_secs(7 * 24 * 3600);

/// A request was not let through: it would have had to wait `retry_after` (past its deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "rate limited: the request would wait {} ms for the rate limit, past its deadline",
    retry_after.as_millis()
)]
pub struct RateLimited {
    /// How long until the request would fit (or the ban ends).
    pub retry_after: Duration,
}

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
            if now.duration_since(t) >= self.limit.window.saturating_add(grace) {
                self.used = self.used.saturating_sub(w);
                self.log.pop_front();
            } else {
                break;
            }
        }
    }

    /// How long until `cost` more units fit (zero if they fit now).
    fn wait_for(&self, now: Instant, cost: u32, grace: Duration) -> Duration {
        if self.used.saturating_add(cost) <= self.limit.limit {
            return Duration::ZERO;
        }
        let mut freed = 0u32;
        for &(t, w) in &self.log {
            freed = freed.saturating_add(w);
            if self.used.saturating_sub(freed).saturating_add(cost) <= self.limit.limit {
                return self.until_expired(t, now, grace);
            }
        }
        // Cost above the whole limit: it can only go through on an empty window.
        self.log
            .back()
            .map(|&(t, _)| self.until_expired(t, now, grace))
            .unwrap_or(Duration::ZERO)
    }

    /// How long until an entry counted at `t` leaves the window.
    fn until_expired(&self, t: Instant, now: Instant, grace: Duration) -> Duration {
        self.limit
            .window
            .saturating_add(grace)
            .saturating_sub(now.saturating_duration_since(t))
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

    /// Takes `costs` (counter, units) from every window of those counters at once, waiting until
    /// they fit, but never past `deadline`: a request that would have to wait past it fails at once
    /// with [`RateLimited`] (nothing is counted). Returns how long it waited. The wait is an awaited
    /// sleep, so dropping the future (a `select!` with a stop signal) cancels it.
    pub async fn acquire(
        &self,
        costs: &[(&str, u32)],
        deadline: Instant,
    ) -> Result<Duration, RateLimited> {
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
                                w.used = w.used.saturating_add(cost);
                            }
                        }
                    }
                    return Ok(start.elapsed());
                }
                if deadline.saturating_duration_since(now) < wait {
                    return Err(RateLimited { retry_after: wait });
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

    /// Blocks every request for `d` (after a 429 or 418 with `Retry-After`), at most
    /// [`MAX_BLOCK`]. During the block, [`acquire`](Self::acquire) fails at once for every request
    /// whose deadline comes before the block's end.
    pub fn block_for(&self, d: Duration) {
        let now = Instant::now();
        let Some(until) = now.checked_add(d.min(MAX_BLOCK)) else {
            tracing::warn!(block = ?d, "Retry-After block beyond the clock's range; not recorded");
            return;
        };
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
                let extra = used.saturating_sub(w.used);
                w.log.push_back((now, extra));
                w.used = used;
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

    /// Takes `costs` with a deadline far enough for every test here.
    async fn take(l: &RateLimiter, costs: &[(&str, u32)]) -> Duration {
        l.acquire(costs, Instant::now() + Duration::from_secs(10))
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn a_burst_is_spread_over_the_window() {
        let l = limiter();
        for _ in 0..10 {
            assert!(take(&l, &[("W", 10)]).await < MS * 50);
        }
        assert_eq!(l.used("W", MS * 400), Some(100));
        let waited = take(&l, &[("W", 10)]).await;
        assert!(waited >= MS * 330, "{waited:?}");
    }

    #[tokio::test]
    async fn linked_limits_wait_for_every_window() {
        let l = limiter();
        for _ in 0..5 {
            take(&l, &[("W", 1), ("O", 1)]).await;
        }
        // the short order window is full: the 6th order waits for it and takes weight too
        let w = take(&l, &[("W", 1), ("O", 1)]).await;
        assert!(w >= MS * 150, "{w:?}");
        assert_eq!(l.used("W", MS * 400), Some(6));
        take(&l, &[("O", 1)]).await;
        take(&l, &[("O", 1)]).await;
        // the long window (8) is full now, though the short one has room
        let w = take(&l, &[("O", 1)]).await;
        assert!(w >= MS * 250, "{w:?}");
        // a weight-only request is not held back by the order windows
        take(&l, &[("O", 5)]).await;
        assert!(take(&l, &[("W", 1)]).await < MS * 50);
    }

    #[tokio::test]
    async fn retry_after_blocks_everything() {
        let l = limiter();
        l.block_for(MS * 150);
        let w = take(&l, &[("W", 1)]).await;
        assert!(w >= MS * 140, "{w:?}");
        l.set_limits(&[RateLimit::new("W", MS * 400, 100)]);
        assert_eq!(l.used("W", MS * 400), Some(1), "kept across set_limits");
        assert_eq!(l.used("O", MS * 200), None);
        l.observe_used("W", MS * 400, 99);
        assert_eq!(l.used("W", MS * 400), Some(99));
        let w = take(&l, &[("W", 2)]).await;
        assert!(w >= MS * 300, "{w:?}");
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_fails_at_once() {
        let l = limiter();
        l.block_for(Duration::from_secs(3600));
        let start = Instant::now();
        let err = l.acquire(&[("W", 1)], start + MS * 200).await.unwrap_err();
        assert!(start.elapsed() < MS * 100, "slept: {:?}", start.elapsed());
        assert!(
            err.retry_after > Duration::from_secs(3590)
                && err.retry_after <= Duration::from_secs(3600),
            "{err:?}"
        );
        assert_eq!(
            l.used("W", MS * 400),
            Some(0),
            "a refused request counts nothing"
        );
        // a full window refuses the same way: the wait is longer than the deadline allows
        let l = limiter();
        take(&l, &[("O", 5)]).await;
        let err = l
            .acquire(&[("O", 1)], Instant::now() + MS * 20)
            .await
            .unwrap_err();
        assert!(err.retry_after > MS * 100, "{err:?}");
        // a wait within the deadline is waited out
        assert!(
            l.acquire(&[("O", 1)], Instant::now() + MS * 400)
                .await
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_huge_retry_after_is_capped_and_neither_panics_nor_hangs() {
        let l = limiter();
        l.block_for(Duration::from_millis(u64::MAX));
        l.block_for(Duration::MAX);
        let err = l
            .acquire(&[("W", 1)], Instant::now() + MS * 50)
            .await
            .unwrap_err();
        assert!(err.retry_after <= MAX_BLOCK, "{err:?}");
        assert!(
            err.retry_after > MAX_BLOCK - Duration::from_secs(60),
            "{err:?}"
        );
        assert!(err.to_string().contains("ms"), "{err}");
    }

    #[tokio::test]
    async fn hostile_usage_counts_saturate() {
        let l = limiter();
        l.observe_used("W", MS * 400, u32::MAX);
        assert_eq!(l.used("W", MS * 400), Some(u32::MAX));
        // u32::MAX used plus a cost would overflow: the request waits for the window (or is refused)
        let err = l
            .acquire(&[("W", u32::MAX)], Instant::now() + MS * 10)
            .await
            .unwrap_err();
        assert!(err.retry_after > MS * 300, "{err:?}");
        take(&l, &[("O", u32::MAX)]).await;
        l.observe_used("O", MS * 200, u32::MAX);
        let err = l
            .acquire(&[("O", u32::MAX)], Instant::now() + MS * 10)
            .await
            .unwrap_err();
        assert!(err.retry_after > MS * 100, "{err:?}");
    }
}
