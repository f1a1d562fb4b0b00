//! Retry with exponential backoff for transient RPC failures, as a transport layer: every request of
//! an [`super::EvmClient`] (HTTP or websocket, single or batch) goes through it. What counts as
//! transient is [`super::error::is_transient`]; a JSON-RPC error answer such as a revert is returned
//! at once.

use std::task::{Context, Poll};
use std::time::Duration;

use alloy::rpc::json_rpc::{RequestPacket, ResponsePacket};
use alloy::transports::{TransportError, TransportFut};
use tower::{Layer, Service};

use super::error::is_transient;

/// The delays between attempts: `initial * factor^attempt`, capped at `max`, with "equal jitter"
/// (half of the delay fixed, half random) so that many clients do not retry in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    pub factor: u32,
    /// Retries after the first attempt; 0 disables retrying.
    pub max_retries: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(100),
            max: Duration::from_secs(5),
            factor: 2,
            max_retries: 5,
        }
    }
}

impl Backoff {
    /// The delay before retry number `attempt` (0-based), given `jitter_permille` in 0..=1000.
    pub fn delay(&self, attempt: u32, jitter_permille: u32) -> Duration {
        let growth = self.factor.max(1).checked_pow(attempt).unwrap_or(u32::MAX);
        let base = self
            .initial
            .checked_mul(growth)
            .unwrap_or(self.max)
            .min(self.max);
        let half = base / 2;
        half + half.mul_f64(f64::from(jitter_permille.min(1000)) / 1000.0)
    }

    /// The delays a request may wait through, at most jitter (for logs and docs).
    pub fn worst_case(&self) -> Duration {
        (0..self.max_retries).map(|a| self.delay(a, 1000)).sum()
    }
}

/// The transport layer that applies a [`Backoff`].
#[derive(Debug, Clone, Copy)]
pub struct RetryLayer {
    backoff: Backoff,
}

impl RetryLayer {
    pub fn new(backoff: Backoff) -> Self {
        Self { backoff }
    }
}

impl<S> Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            backoff: self.backoff,
        }
    }
}

/// See [`RetryLayer`].
#[derive(Debug, Clone)]
pub struct RetryService<S> {
    inner: S,
    backoff: Backoff,
}

impl<S> Service<RequestPacket> for RetryService<S>
where
    S: Service<
            RequestPacket,
            Response = ResponsePacket,
            Error = TransportError,
            Future = TransportFut<'static>,
        > + Clone
        + Send
        + 'static,
{
    type Response = ResponsePacket;
    type Error = TransportError;
    type Future = TransportFut<'static>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: RequestPacket) -> Self::Future {
        let mut inner = self.inner.clone();
        // Take the service that was polled ready; leave the clone in its place.
        std::mem::swap(&mut inner, &mut self.inner);
        let backoff = self.backoff;
        Box::pin(async move {
            let mut attempt = 0;
            loop {
                let result = inner.call(request.clone()).await;
                let err = match result {
                    Ok(resp) => match resp.as_error() {
                        Some(payload) => {
                            let err = TransportError::ErrorResp(payload.clone());
                            if !is_transient(&err) {
                                return Ok(resp);
                            }
                            err
                        }
                        None => return Ok(resp),
                    },
                    Err(e) if is_transient(&e) => e,
                    Err(e) => return Err(e),
                };
                if attempt >= backoff.max_retries {
                    return Err(err);
                }
                let wait = backoff.delay(attempt, rand::random::<u32>() % 1001);
                tracing::debug!(%err, attempt, wait_ms = wait.as_millis() as u64, "transient RPC error, retrying");
                tokio::time::sleep(wait).await;
                attempt += 1;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedule_grows_and_caps() {
        let b = Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(1000),
            factor: 2,
            max_retries: 6,
        };
        // Without jitter: half of 100, 200, 400, 800, then capped at 1000.
        let low: Vec<u128> = (0..6).map(|a| b.delay(a, 0).as_millis()).collect();
        assert_eq!(low, [50, 100, 200, 400, 500, 500]);
        let high: Vec<u128> = (0..6).map(|a| b.delay(a, 1000).as_millis()).collect();
        assert_eq!(high, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(2, 500).as_millis(), 300);
        // Jitter above 1000 is clamped; huge attempts do not overflow.
        assert_eq!(b.delay(3, 5000), b.delay(3, 1000));
        assert_eq!(b.delay(u32::MAX, 1000), Duration::from_millis(1000));
        assert_eq!(b.worst_case(), Duration::from_millis(3500));
    }
}
