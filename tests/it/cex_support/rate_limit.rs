//! The rate-limit scenario every exchange's REST edge runs: a burst of 500 concurrent requests
//! through the client's limiter meets no 429 and is spread over time, while the simulator does
//! enforce its limits (the same kind of burst without a limiter is refused).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sluice::cex::http::{ApiRequest, HttpProtocol, RestClient};
use sluice::cex::sign::Signer;
use sluice::cex::{CexError, RateLimit, RateLimiter};

/// What differs from one exchange to the next in the burst.
pub struct Burst {
    /// The simulator's REST URL and the exchange's protocol.
    pub url: String,
    pub protocol: Arc<dyn HttpProtocol>,
    /// Signs the burst's private requests.
    pub signer: Signer,
    /// The exchange's documented limits, as the connector models them.
    pub limits: Vec<RateLimit>,
    /// The `i`-th request of the burst (a mix of public and signed ones).
    pub request: fn(usize) -> ApiRequest,
    /// The least time the limiter must spread the burst over.
    pub spread_at_least: Duration,
    /// A public request sent up to `probes` times without a limiter, until one is refused.
    pub probe: ApiRequest,
    pub probes: usize,
}

/// Runs the burst; `rejected_429` reads the simulator's count of 429 answers.
pub async fn a_burst_of_500_requests_gets_no_429(b: Burst, rejected_429: impl Fn() -> usize) {
    let limiter = Arc::new(RateLimiter::new(&b.limits));
    let mut rest = RestClient::new(
        &b.url,
        b.protocol.clone(),
        Some(Arc::new(b.signer)),
        limiter,
    )
    .unwrap();
    rest.max_retries = 0; // a single 429 would fail a request
    rest.sync_clock().await.unwrap();
    let start = Instant::now();
    let tasks: Vec<_> = (0..500)
        .map(|i| {
            let rest = rest.clone();
            let req = (b.request)(i);
            tokio::spawn(async move { rest.request(&req).await.map(|_| ()) })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().expect("no request may be rejected");
    }
    assert_eq!(rejected_429(), 0);
    assert!(
        start.elapsed() >= b.spread_at_least,
        "a burst over the limit must be spread: {:?}",
        start.elapsed()
    );
    // the simulator does enforce the limit: the same burst without the client's limiter meets 429s
    let unlimited =
        RestClient::new(&b.url, b.protocol, None, Arc::new(RateLimiter::new(&[]))).unwrap();
    let probe = b.probe.max_wait(Duration::ZERO);
    let mut refused = false;
    for _ in 0..b.probes {
        if let Err(CexError::RateLimited { .. }) = unlimited.request(&probe).await {
            refused = true;
            break;
        }
    }
    assert!(refused && rejected_429() > 0);
}
