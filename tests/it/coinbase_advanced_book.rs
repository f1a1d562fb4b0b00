//! The Coinbase Advanced Trade connector's live book against the simulated venue: identical to the
//! simulator's own book through 10,000 random updates with injected sequence gaps, duplicates,
//! reorderings, dropped connections and junk frames, compared level by level after every round;
//! every gap is a resubscription from a fresh snapshot, never a silently wrong book.

use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::coinbase_advanced::{
    CoinbaseAdvancedApi, CoinbaseAdvancedConfig, CoinbaseAdvancedSpot,
};
use sluice::core::{Pair, QuoteRequest, Side};
use sluice_sim::exchange::dialects::coinbase_advanced::MockCoinbaseAdvanced;

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn config(mock: &MockCoinbaseAdvanced) -> CoinbaseAdvancedConfig {
    CoinbaseAdvancedConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        user_ws_url: mock.user_ws_url(),
        ..CoinbaseAdvancedConfig::default()
    }
}

impl BookSim for MockCoinbaseAdvanced {
    type Api = CoinbaseAdvancedApi;
    const SYMBOL: &'static str = "BTC-USD";
    const PAIR: &'static str = "BTC-USD";
    const JUNK: &'static [&'static str] = &[
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","upd"#,
        r#"{"channel":"something_new","events":[{"x":1}]}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];
    const DUPLICATE_RESYNCS: Option<bool> = Some(false);
    const CATCH_UP: Duration = Duration::from_secs(20);

    /// The channel's numbers are the connection's, not the book's: the book must come to equal
    /// the simulator's.
    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (None, norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = CoinbaseAdvancedSpot::new(config(&mock), None).unwrap();
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
    // the REST book agrees
    let market = venue.markets().await.unwrap();
    assert!(market.iter().any(|m| m.venue_symbol == "BTC-USD"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_keep_the_sequence_and_the_rest_book_reads() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 5, 1, dec!(2)).unwrap();
    let venue = CoinbaseAdvancedSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USD".parse().unwrap();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(live.wait_synced(Duration::from_secs(10)).await);
    let seq = live.read().last_sequence().unwrap();
    // two heartbeats pass with nothing else going on: numbers advance, no resync
    tokio::time::sleep(Duration::from_millis(2300)).await;
    assert!(live.read().last_sequence().unwrap() >= seq + 2);
    assert_eq!(live.resync_count(), 1);
    // a quote on a pair that is not watched walks the REST book
    let eth_venue = CoinbaseAdvancedSpot::new(config(&mock), None).unwrap();
    let q = eth_venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(3),
        })
        .await
        .unwrap();
    assert!(q.worst_price < dec!(100), "{q:?}");
}
