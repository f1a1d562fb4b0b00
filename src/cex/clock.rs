//! The offset between the exchange's clock and ours, for APIs that reject requests whose
//! timestamp is outside a window (Binance's `recvWindow`). Updated from a server-time request,
//! assuming the server read its clock halfway through the round trip. The server time comes from
//! the network: every step is checked, and a time that cannot be right is a typed error, never a
//! panic or a wrapped offset. The clock also remembers when it was last synced, so that the REST
//! client syncs it before the first signed request and again every [`SYNC_INTERVAL`].

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How often the offset is refreshed (clocks drift; Binance's `recvWindow` is 5 s by default).
pub const SYNC_INTERVAL: Duration = Duration::from_secs(10 * 60);

/// After a failed sync, how long before the next attempt (requests go on with the last offset).
pub const SYNC_RETRY: Duration = Duration::from_secs(30);

/// Largest offset accepted: a server time further than a day from ours is not a clock difference
/// but a broken answer.
pub const MAX_OFFSET_MS: i64 = 24 * 3600 * 1000;

/// A server time that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error(
        "server time {server_ms} ms is {offset_ms} ms from ours (more than {MAX_OFFSET_MS} ms): not used"
    )]
    Implausible { server_ms: i64, offset_ms: i64 },
    #[error("server time {server_ms} ms read between {sent_ms} and {received_ms}: out of range")]
    OutOfRange {
        server_ms: i64,
        sent_ms: i64,
        received_ms: i64,
    },
}

/// Local Unix time in milliseconds.
pub fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Server time = local time + offset.
#[derive(Debug, Default)]
pub struct ServerClock {
    offset_ms: AtomicI64,
    /// Local time of the last successful sync; 0 = never.
    synced_at_ms: AtomicI64,
    /// Local time of the last sync attempt; 0 = never.
    attempted_at_ms: AtomicI64,
}

impl ServerClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn offset_ms(&self) -> i64 {
        self.offset_ms.load(Ordering::Relaxed)
    }

    /// The exchange's current time as best we know it.
    pub fn now_ms(&self) -> i64 {
        local_ms().saturating_add(self.offset_ms())
    }

    /// Records a server time read between `sent_ms` and `received_ms` (local clock) and returns
    /// the new offset. A time that overflows or lies more than [`MAX_OFFSET_MS`] from ours is
    /// refused and the offset kept.
    pub fn update(
        &self,
        server_ms: i64,
        sent_ms: i64,
        received_ms: i64,
    ) -> Result<i64, ClockError> {
        let out_of_range = || ClockError::OutOfRange {
            server_ms,
            sent_ms,
            received_ms,
        };
        let half = received_ms
            .checked_sub(sent_ms)
            .filter(|rtt| *rtt >= 0)
            .ok_or_else(out_of_range)?
            / 2;
        let mid = sent_ms.checked_add(half).ok_or_else(out_of_range)?;
        let offset = server_ms.checked_sub(mid).ok_or_else(out_of_range)?;
        if offset.checked_abs().is_none_or(|a| a > MAX_OFFSET_MS) {
            return Err(ClockError::Implausible {
                server_ms,
                offset_ms: offset,
            });
        }
        self.offset_ms.store(offset, Ordering::Relaxed);
        self.synced_at_ms.store(received_ms, Ordering::Relaxed);
        Ok(offset)
    }

    /// Notes a sync attempt at local time `now_ms` (successful or not).
    pub fn attempted(&self, now_ms: i64) {
        self.attempted_at_ms.store(now_ms, Ordering::Relaxed);
    }

    /// Whether a sync is due at local time `now_ms`: never synced, or synced more than
    /// [`SYNC_INTERVAL`] ago, and no attempt in the last [`SYNC_RETRY`].
    pub fn sync_due(&self, now_ms: i64) -> bool {
        let older_than = |at: i64, d: Duration| {
            at == 0 || now_ms.saturating_sub(at) >= i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
        };
        older_than(self.synced_at_ms.load(Ordering::Relaxed), SYNC_INTERVAL)
            && older_than(self.attempted_at_ms.load(Ordering::Relaxed), SYNC_RETRY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_from_the_round_trip_midpoint() {
        let c = ServerClock::new();
        assert_eq!(c.update(10_500, 1_000, 1_200), Ok(9_400));
        let now = c.now_ms();
        assert!((now - (local_ms() + 9_400)).abs() < 1_000);
        assert_eq!(c.update(900, 1_000, 1_000), Ok(-100));
    }

    #[test]
    fn hostile_server_times_are_errors_not_panics() {
        let c = ServerClock::new();
        let now = local_ms();
        assert_eq!(c.update(now + 1_000, now, now), Ok(1_000));
        for (server, sent, received) in [
            (i64::MIN, now, now),
            (i64::MAX, now, now),
            (i64::MAX, i64::MIN, i64::MAX),
            (now, i64::MAX, i64::MIN),
            (0, now, now),
            (now + MAX_OFFSET_MS + 1, now, now),
        ] {
            assert!(
                c.update(server, sent, received).is_err(),
                "{server} {sent} {received}"
            );
            assert_eq!(c.offset_ms(), 1_000, "a refused time keeps the offset");
        }
        // an offset at the edge of the range is used, and `now_ms` saturates rather than wraps
        c.offset_ms.store(i64::MAX, Ordering::Relaxed);
        assert_eq!(c.now_ms(), i64::MAX);
    }

    #[test]
    fn sync_is_due_first_then_every_interval() {
        let c = ServerClock::new();
        let t0 = 1_700_000_000_000;
        assert!(c.sync_due(t0), "never synced");
        c.attempted(t0);
        assert!(
            !c.sync_due(t0 + 1_000),
            "a failed attempt is not retried at once"
        );
        let retry = i64::try_from(SYNC_RETRY.as_millis()).unwrap();
        assert!(c.sync_due(t0 + retry));
        c.update(t0 + 5, t0, t0).unwrap();
        c.attempted(t0);
        let interval = i64::try_from(SYNC_INTERVAL.as_millis()).unwrap();
        assert!(!c.sync_due(t0 + interval - 1));
        assert!(c.sync_due(t0 + interval));
    }
}
