//! The offset between the exchange's clock and ours, for APIs that reject requests whose
//! timestamp is outside a window (Binance's `recvWindow`). Updated from a server-time request,
//! assuming the server read its clock halfway through the round trip.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

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
        local_ms() + self.offset_ms()
    }

    /// Records a server time read between `sent_ms` and `received_ms` (local clock).
    pub fn update(&self, server_ms: i64, sent_ms: i64, received_ms: i64) -> i64 {
        let mid = sent_ms + (received_ms - sent_ms) / 2;
        let offset = server_ms - mid;
        self.offset_ms.store(offset, Ordering::Relaxed);
        offset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_from_the_round_trip_midpoint() {
        let c = ServerClock::new();
        assert_eq!(c.update(10_500, 1_000, 1_200), 9_400);
        let now = c.now_ms();
        assert!((now - (local_ms() + 9_400)).abs() < 1_000);
        assert_eq!(c.update(900, 1_000, 1_000), -100);
    }
}
