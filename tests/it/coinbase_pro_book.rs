//! The Coinbase Exchange connector's live book against the simulated exchange: identical to the
//! simulator's own book through 10,000 random updates with injected drops, duplicates,
//! reorderings, dropped connections and junk frames, compared level by level after every round;
//! every fault the heartbeat sequence reveals is a resync from a fresh subscription, never a
//! silently wrong book.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::coinbase_pro::book::LiveBook;
use sluice::cex::exchanges::coinbase_pro::depth::HeartbeatCheck;
use sluice::cex::exchanges::coinbase_pro::{CoinbaseProConfig, CoinbaseProSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::coinbase_pro::{CbBook, MockCoinbasePro};

pub(crate) fn config(mock: &MockCoinbasePro) -> CoinbaseProConfig {
    CoinbaseProConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        heartbeat_check: HeartbeatCheck::Count,
        ..CoinbaseProConfig::default()
    }
}

type Levels = Vec<(Decimal, Decimal)>;

fn norm(v: &Levels) -> Levels {
    v.iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

fn ours(live: &LiveBook) -> Option<(u64, Levels, Levels)> {
    let b = live.read();
    if !b.is_synced() {
        return None;
    }
    let seq = b.sequence()?;
    let (bids, asks) = b.book.top(usize::MAX);
    Some((seq, norm(&bids), norm(&asks)))
}

fn theirs(s: &CbBook) -> (u64, Levels, Levels) {
    (s.sequence, norm(&s.bids), norm(&s.asks))
}

async fn assert_same_book(mock: &MockCoinbasePro, live: &LiveBook, when: &str) {
    let want = theirs(&mock.book("BTC-USD").unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(got) = ours(live)
            && got.0 >= want.0
        {
            assert_eq!(got, want, "books differ {when}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "book did not catch up {when}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = CoinbaseProSpot::new(config(&mock), None).unwrap();
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
                    r#"{"type":"l2update","product_id":"BTC-USD","changes":[["buy","#,
                );
                mock.push_raw_market_message(r#"{"type":"something_new","product_id":"BTC-USD"}"#);
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
        assert!(
            live.resync_count() > before,
            "round {round}: fault {fault} must force a resync"
        );
    }
    assert_eq!(total, 10_000);
    assert!(
        live.resync_count() >= 21,
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
        lost >= 20 && resynced >= 21,
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
    assert_same_book(&mock, &live, "after an idle loss").await;
    if changed > 0 {
        assert!(live.resync_count() > before);
    }
}
