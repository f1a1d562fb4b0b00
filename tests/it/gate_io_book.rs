//! The Gate.io connector's live book against the simulated Gate.io: identical to the simulator's
//! own book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames, compared level by level after every round; every gap is a resync,
//! never a silently wrong book.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::gate_io::book::LiveBook;
use sluice::cex::exchanges::gate_io::{GateIoConfig, GateIoSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::gate_io::{GateBook, MockGateIo};

pub(crate) fn config(mock: &MockGateIo) -> GateIoConfig {
    GateIoConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..GateIoConfig::default()
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
    let id = b.last_update_id()?;
    let (bids, asks) = b.book.top(usize::MAX);
    Some((id, norm(&bids), norm(&asks)))
}

fn theirs(s: &GateBook) -> (u64, Levels, Levels) {
    (s.id, norm(&s.bids), norm(&s.asks))
}

async fn assert_same_book(mock: &MockGateIo, live: &LiveBook, when: &str) {
    let want = theirs(&mock.book("BTC_USDT").unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
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
async fn gate_io_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockGateIo::start().await.unwrap();
    mock.seed_book("BTC_USDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = GateIoSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
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
            0 => mock.skip_next_diff("BTC_USDT"),
            1 => mock.duplicate_next_diff("BTC_USDT"),
            2 => mock.swap_next_diffs("BTC_USDT"),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message(
                    r#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":"#,
                );
                mock.push_raw_market_message(
                    r#"{"channel":"spot.something_new","event":"update","result":{}}"#,
                );
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
            }
        }
        total += 500;
        mock.random_book_updates_paced("BTC_USDT", round + 1, 500, Duration::from_micros(50))
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
    let best_ask = mock.book("BTC_USDT").unwrap().asks[0].0;
    assert!(q.worst_price >= best_ask, "{q:?}");
    let top = venue.book_top(&pair, 3).await.unwrap().unwrap();
    assert_eq!(top.asks[0].0, best_ask);
}
