//! Helpers of the Kraken tests: the connector pointed at the simulated Kraken, with or without
//! the simulator's keys, and the simulator's limits matched to the connector's tier.

use std::time::Duration;

use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::kraken::{KrakenConfig, KrakenSpot, Tier};
use sluice_sim::exchange::dialects::kraken::{KrakenLimits, KrakenMockConfig, MockKraken};

/// The simulator at Kraken's Pro limits with `public` calls per second.
pub async fn start(public: u32) -> MockKraken {
    MockKraken::start_with(KrakenMockConfig {
        limits: KrakenLimits::PRO.with_public_per_second(public),
        ..KrakenMockConfig::default()
    })
    .await
    .unwrap()
}

/// The connector's configuration for `mock` (Pro tier, `public` calls per second).
pub fn config(mock: &MockKraken, public: u32) -> KrakenConfig {
    KrakenConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ws_auth_url: mock.ws_auth_url(),
        tier: Tier::Pro,
        public_per_second: public,
        user_stream_timeout: Duration::from_secs(5),
        ..KrakenConfig::default()
    }
}

/// The venue with the simulator's trading keys.
pub fn trading_venue(mock: &MockKraken, public: u32) -> KrakenSpot {
    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    KrakenSpot::new(config(mock, public), Some(creds)).unwrap()
}

/// Polls `f` until it is true or `timeout` passes.
pub async fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    while tokio::time::Instant::now() < deadline {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    f()
}
