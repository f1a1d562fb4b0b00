//! The Coinbase Advanced Trade connector's live book against the simulated venue: identical to the
//! simulator's own book through 10,000 random updates with injected sequence gaps, duplicates,
//! reorderings, dropped connections and junk frames, compared level by level after every round;
//! every gap is a resubscription from a fresh snapshot, never a silently wrong book.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::coinbase_advanced::book::LiveBook;
use sluice::cex::exchanges::coinbase_advanced::{CoinbaseAdvancedConfig, CoinbaseAdvancedSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::coinbase_advanced::{CoinbaseBook, MockCoinbaseAdvanced};

pub(crate) fn config(mock: &MockCoinbaseAdvanced) -> CoinbaseAdvancedConfig {
    CoinbaseAdvancedConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        user_ws_url: mock.user_ws_url(),
        ..CoinbaseAdvancedConfig::default()
    }
}

type Levels = Vec<(Decimal, Decimal)>;

fn norm(v: &Levels) -> Levels {
    v.iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

fn ours(live: &LiveBook) -> Option<(Levels, Levels)> {
    let b = live.read();
    if !b.is_synced() {
        return None;
    }
    let (bids, asks) = b.book.top(usize::MAX);
    Some((norm(&bids), norm(&asks)))
}

fn theirs(s: &CoinbaseBook) -> (Levels, Levels) {
    (norm(&s.bids), norm(&s.asks))
}

/// The simulator is quiet when this is called: the connector's book must come to equal it.
async fn assert_same_book(mock: &MockCoinbaseAdvanced, live: &LiveBook, when: &str) {
    let want = theirs(&mock.book("BTC-USD").unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let got = ours(live);
        if got.as_ref() == Some(&want) {
            return;
        }
        if tokio::time::Instant::now() >= deadline {
            assert_eq!(got, Some(want.clone()), "books differ {when}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = CoinbaseAdvancedSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USD".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "never synced"
    );
    assert_same_book(&mock, &live, "after the first sync").await;

    let mut total = 0;
    for round in 0..20u64 {
        let before = live.resync_count();
        let fault = round % 5;
        match fault {
            0 => mock.skip_next_diff("BTC-USD"),
            1 => mock.duplicate_next_diff("BTC-USD"),
            2 => mock.swap_next_diffs("BTC-USD"),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message(
                    r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","upd"#,
                );
                mock.push_raw_market_message(r#"{"channel":"something_new","events":[{"x":1}]}"#);
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
            }
        }
        total += 500;
        mock.random_book_updates_paced("BTC-USD", round + 1, 500, Duration::from_micros(50))
            .await
            .unwrap();
        assert_same_book(
            &mock,
            &live,
            &format!("after round {round} (fault {fault})"),
        )
        .await;
        if matches!(fault, 0 | 2 | 3 | 4) {
            assert!(
                live.resync_count() > before,
                "round {round}: fault {fault} must force a resync"
            );
        } else {
            assert_eq!(
                live.resync_count(),
                before,
                "round {round}: a duplicate is dropped, not a resync"
            );
        }
    }
    assert_eq!(total, 10_000);
    assert!(
        live.resync_count() >= 17,
        "resyncs: {}",
        live.resync_count()
    );
    let (mut lost, mut resynced) = (0, 0);
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::ConnectionLost { .. } => lost += 1,
            VenueEvent::Resynced { .. } => resynced += 1,
            _ => {}
        }
    }
    assert!(
        lost >= 16 && resynced >= 17,
        "lost {lost}, resynced {resynced}"
    );

    // quotes walk the synced book
    let q = venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.5),
        })
        .await
        .unwrap();
    let best_ask = mock.book("BTC-USD").unwrap().asks[0].0;
    assert!(q.worst_price >= best_ask, "{q:?}");
    let top = venue.book_top(&pair, 3).await.unwrap().unwrap();
    assert_eq!(top.asks[0].0, best_ask);
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
