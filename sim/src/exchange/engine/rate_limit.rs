//! Rate limits as the engine enforces them: request weight and raw request count per IP, unfilled
//! orders per account over 10 s and a day, in fixed windows aligned to the interval (12:34:00-12:34:10,
//! then 12:34:10-12:34:20, ...), as Binance counts them. A breach says which limit and the seconds
//! to the window's end; an IP that keeps going after rejections is banned for a while. The dialect
//! reports breaches in its exchange's form (Binance: 429 / 418 with `Retry-After`).

use std::collections::HashMap;

use super::error::{Breach, OrderWindow, Rejection};
use super::spec::RateLimits;

const MINUTE_MS: u64 = 60_000;
const FIVE_MINUTES_MS: u64 = 300_000;
const TEN_SECONDS_MS: u64 = 10_000;
const DAY_MS: u64 = 86_400_000;

/// A counter over a fixed window aligned to multiples of its interval.
#[derive(Debug, Clone)]
struct Window {
    interval_ms: u64,
    start: u64,
    count: u64,
}

impl Window {
    fn new(interval_ms: u64) -> Self {
        Self {
            interval_ms,
            start: 0,
            count: 0,
        }
    }

    fn roll(&mut self, now: u64) {
        let start = now - now % self.interval_ms;
        if start != self.start {
            self.start = start;
            self.count = 0;
        }
    }

    fn retry_after_secs(&self, now: u64) -> u64 {
        let end = self.start + self.interval_ms;
        end.saturating_sub(now).div_ceil(1_000).max(1)
    }
}

/// Rate-limit state of the mock (one IP: everything comes from 127.0.0.1).
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    weight: Window,
    raw: Window,
    orders: HashMap<usize, (Window, Window)>,
    rejections_in_window: u64,
    banned_until: u64,
}

impl RateLimiter {
    /// A limiter with these limits.
    pub fn new(limits: RateLimits) -> Self {
        Self {
            limits,
            weight: Window::new(MINUTE_MS),
            raw: Window::new(FIVE_MINUTES_MS),
            orders: HashMap::new(),
            rejections_in_window: 0,
            banned_until: 0,
        }
    }

    /// The limits in force.
    pub fn limits(&self) -> &RateLimits {
        &self.limits
    }

    /// Admits one request of `weight`, or rejects it with 429 (or 418 while banned).
    pub fn admit(&mut self, now: u64, weight: u64) -> Result<(), Rejection> {
        if now < self.banned_until {
            let secs = (self.banned_until - now).div_ceil(1_000).max(1);
            return Err(Rejection {
                breach: Breach::Banned {
                    until_ms: self.banned_until,
                },
                retry_after_secs: secs,
            });
        }
        let before = self.weight.start;
        self.weight.roll(now);
        if self.weight.start != before {
            self.rejections_in_window = 0;
        }
        self.raw.roll(now);
        self.raw.count += 1;
        if self.raw.count > self.limits.raw_requests_per_5m {
            return Err(self.reject(
                now,
                Breach::RawRequests {
                    limit: self.limits.raw_requests_per_5m,
                },
                self.raw.retry_after_secs(now),
            ));
        }
        if self.weight.count + weight > self.limits.request_weight_per_minute {
            let err = Breach::RequestWeight {
                limit: self.limits.request_weight_per_minute,
            };
            return Err(self.reject(now, err, self.weight.retry_after_secs(now)));
        }
        self.weight.count += weight;
        Ok(())
    }

    fn reject(&mut self, now: u64, breach: Breach, secs: u64) -> Rejection {
        self.rejections_in_window += 1;
        if self.rejections_in_window > self.limits.ban_after_429s {
            self.banned_until = now + self.limits.ban_seconds * 1_000;
            return Rejection {
                breach: Breach::Banned {
                    until_ms: self.banned_until,
                },
                retry_after_secs: self.limits.ban_seconds,
            };
        }
        Rejection {
            breach,
            retry_after_secs: secs,
        }
    }

    /// Adds weight after the fact (a failed order is charged its documented weight).
    pub fn charge(&mut self, now: u64, weight: u64) {
        self.weight.roll(now);
        self.weight.count += weight;
    }

    /// Weight used in the current minute (`X-MBX-USED-WEIGHT-1M`).
    pub fn used_weight(&mut self, now: u64) -> u64 {
        self.weight.roll(now);
        self.weight.count
    }

    fn order_windows(&mut self, account: usize, now: u64) -> &mut (Window, Window) {
        let w = self
            .orders
            .entry(account)
            .or_insert_with(|| (Window::new(TEN_SECONDS_MS), Window::new(DAY_MS)));
        w.0.roll(now);
        w.1.roll(now);
        w
    }

    /// Checks that `account` may place one more order.
    pub fn check_order(&mut self, account: usize, now: u64) -> Result<(), Rejection> {
        let (per_10s, per_day) = (self.limits.orders_per_10s, self.limits.orders_per_day);
        let w = self.order_windows(account, now);
        if w.0.count >= per_10s {
            let secs = w.0.retry_after_secs(now);
            return Err(Rejection {
                breach: Breach::Orders {
                    limit: per_10s,
                    window: OrderWindow::TenSeconds,
                },
                retry_after_secs: secs,
            });
        }
        if w.1.count >= per_day {
            let secs = w.1.retry_after_secs(now);
            return Err(Rejection {
                breach: Breach::Orders {
                    limit: per_day,
                    window: OrderWindow::Day,
                },
                retry_after_secs: secs,
            });
        }
        Ok(())
    }

    /// Counts a successfully placed order.
    pub fn count_order(&mut self, account: usize, now: u64) {
        let w = self.order_windows(account, now);
        w.0.count += 1;
        w.1.count += 1;
    }

    /// An order's first fill gives its slot back in every ORDERS window.
    pub fn uncount_order(&mut self, account: usize, now: u64) {
        let w = self.order_windows(account, now);
        w.0.count = w.0.count.saturating_sub(1);
        w.1.count = w.1.count.saturating_sub(1);
    }

    /// (10 s, 1 day) unfilled order counts of an account.
    pub fn order_counts(&mut self, account: usize, now: u64) -> (u64, u64) {
        let w = self.order_windows(account, now);
        (w.0.count, w.1.count)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_window_rejects_then_resets() {
        let limits = RateLimits {
            request_weight_per_minute: 10,
            ..RateLimits::default()
        };
        let mut rl = RateLimiter::new(limits);
        let t0 = 1_700_000_080_000; // 40 s into a minute
        assert!(rl.admit(t0, 6).is_ok());
        let r = rl.admit(t0, 6).unwrap_err();
        assert_eq!(r.breach, Breach::RequestWeight { limit: 10 });
        assert_eq!(r.retry_after_secs, 20);
        assert!(rl.admit(t0 + 20_000, 6).is_ok());
    }

    #[test]
    fn orders_window_and_fill_decrement() {
        let limits = RateLimits {
            orders_per_10s: 2,
            ..RateLimits::default()
        };
        let mut rl = RateLimiter::new(limits);
        let t = 1_700_000_000_000;
        rl.count_order(1, t);
        rl.count_order(1, t);
        assert_eq!(
            rl.check_order(1, t).unwrap_err().breach,
            Breach::Orders {
                limit: 2,
                window: OrderWindow::TenSeconds
            }
        );
        rl.uncount_order(1, t);
        assert!(rl.check_order(1, t).is_ok());
        assert!(rl.check_order(2, t).is_ok());
    }

    #[test]
    fn persistent_violation_gets_banned() {
        let limits = RateLimits {
            request_weight_per_minute: 1,
            ban_after_429s: 2,
            ..RateLimits::default()
        };
        let mut rl = RateLimiter::new(limits);
        let t = 1_700_000_000_000;
        assert!(rl.admit(t, 1).is_ok());
        let weight = Breach::RequestWeight { limit: 1 };
        assert_eq!(rl.admit(t, 1).unwrap_err().breach, weight);
        assert_eq!(rl.admit(t, 1).unwrap_err().breach, weight);
        let r = rl.admit(t, 1).unwrap_err();
        let banned = Breach::Banned {
            until_ms: t + 120_000,
        };
        assert_eq!((r.breach, r.retry_after_secs), (banned, 120));
        assert_eq!(rl.admit(t + 1_000, 1).unwrap_err().breach, banned);
    }
}
