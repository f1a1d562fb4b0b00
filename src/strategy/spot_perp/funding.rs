//! Funding payments of the perpetual leg: journaled once each by the venue's payment id, whether
//! they arrive as stream events or from the venue's funding history. The history is read on its
//! own, slower cadence — every [`FUNDING_POLL_EVERY`], and once soon after each settlement time
//! the venue announced — not on every poll of the order loop: the history is a heavy request
//! (Binance USDⓈ-M weighs `GET /fapi/v1/income` 30 of its 2400 a minute, so a read every 200 ms
//! would exhaust the limit in 16 s and stall every other request behind the rate limiter).

use std::time::{Duration, Instant};

use tracing::info;

use super::report::{SpotPerpError, SpotPerpEvent};
use super::runner::{PERP, SpotPerpRunner, now_ms};
use crate::core::FundingPayment;

/// The longest the funding history goes unread while the run is on.
const FUNDING_POLL_EVERY: Duration = Duration::from_secs(10);
/// The shortest gap between two reads, even right after a settlement time.
const FUNDING_POLL_MIN: Duration = Duration::from_secs(1);

impl SpotPerpRunner {
    /// Journals a funding payment of the perpetual's pair once (by venue and payment id).
    pub(super) fn record_funding(&self, p: &FundingPayment) -> Result<(), SpotPerpError> {
        if p.pair == self.eval.config().perp.pair
            && self
                .journal
                .record_funding(self.run_id, &self.names[PERP], p)?
        {
            self.emit(SpotPerpEvent::Funding { payment: p.clone() });
        }
        Ok(())
    }

    /// Whether the funding history should be read now: never read yet, read
    /// [`FUNDING_POLL_EVERY`] ago, or a settlement time the venue announced passed since the last
    /// read (at least [`FUNDING_POLL_MIN`] ago).
    pub(super) fn funding_poll_due(&self) -> bool {
        let Some((at, at_ms)) = self.funding_polled else {
            return true;
        };
        let since = at.elapsed();
        let settled_since = self.funding.as_ref().is_some_and(|(_, f)| {
            f.next_funding_time_ms > at_ms && f.next_funding_time_ms <= now_ms()
        });
        since >= FUNDING_POLL_EVERY || (settled_since && since >= FUNDING_POLL_MIN)
    }

    /// Journals the funding the perpetual venue booked since the run started (each payment once).
    pub(super) async fn poll_funding(&mut self) -> Result<(), SpotPerpError> {
        self.funding_polled = Some((Instant::now(), now_ms()));
        let pair = self.eval.config().perp.pair.clone();
        match self.venues[PERP]
            .funding_payments(Some(&pair), self.run_started_ms)
            .await
        {
            Ok(payments) => {
                for p in payments {
                    self.record_funding(&p)?;
                }
            }
            Err(e) => info!(venue = %self.names[PERP], error = %e, "funding payments not read"),
        }
        Ok(())
    }
}
