//! The Coinbase Exchange connector's live book against the simulated exchange: identical to the
//! simulator's own book through 10,000 random updates with injected drops, duplicates,
//! reorderings, dropped connections and junk frames, compared level by level after every round;
//! every fault the heartbeat sequence reveals is a resync from a fresh subscription, never a
//! silently wrong book.

use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::cex::exchanges::coinbase_pro::depth::HeartbeatCheck;
use sluice::cex::exchanges::coinbase_pro::{CoinbasePro, CoinbaseProConfig, CoinbaseProSpot};
use sluice_sim::exchange::dialects::coinbase_pro::MockCoinbasePro;

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn config(mock: &MockCoinbasePro) -> CoinbaseProConfig {
    CoinbaseProConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        heartbeat_check: HeartbeatCheck::Count,
        ..CoinbaseProConfig::default()
    }
}

impl BookSim for MockCoinbasePro {
    type Api = CoinbasePro;
    const SYMBOL: &'static str = "BTC-USD";
    const PAIR: &'static str = "BTC-USD";
    const JUNK: &'static [&'static str] = &[
        r#"{"type":"l2update","product_id":"BTC-USD","changes":[["buy","#,
        r#"{"type":"something_new","product_id":"BTC-USD"}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];
    /// The heartbeat's sequence reveals a duplicate too: a resync from a fresh subscription.
    const DUPLICATE_RESYNCS: Option<bool> = Some(true);
    const CATCH_UP: Duration = Duration::from_secs(20);

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (Some(b.sequence), norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = CoinbaseProSpot::new(config(&mock), None).unwrap();
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
}

/// A heartbeat whose sequence runs ahead of the updates received (an update lost while the book
/// was idle) is caught by the periodic heartbeat alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_update_lost_on_an_idle_book_is_caught_by_the_next_heartbeat() {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 5, 1, dec!(1)).unwrap();
    let venue = CoinbaseProSpot::new(config(&mock), None).unwrap();
    let live = venue.watch_book(&"BTC-USD".parse().unwrap()).await.unwrap();
    assert!(live.wait_synced(Duration::from_secs(10)).await);
    let before = live.resync_count();
    mock.skip_next_diff("BTC-USD");
    mock.random_book_updates_paced("BTC-USD", 7, 3, Duration::ZERO)
        .await
        .unwrap();
    mock.skip_next_diff("BTC-USD");
    // one more change, lost: only the periodic heartbeat can tell
    let changed = mock
        .random_book_updates_paced("BTC-USD", 8, 1, Duration::ZERO)
        .await
        .unwrap();
    book::assert_same_book(&mock, &live, "after an idle loss").await;
    if changed > 0 {
        assert!(live.resync_count() > before);
    }
}
