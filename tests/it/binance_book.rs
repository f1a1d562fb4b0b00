//! The Binance connector's live book against the mock exchange: it stays identical to the mock's
//! own book through random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk messages, compared level by level after every resync and at the end.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::cex::exchanges::binance_book::LiveBook;
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice::testkit::binance_mock::{BookSnapshot, MockBinance};
use sluice::{Venue, VenueError};

fn config(mock: &MockBinance) -> BinanceConfig {
    BinanceConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ws_api_url: mock.ws_api_url(),
        ..BinanceConfig::binance()
    }
}

type Levels = Vec<(Decimal, Decimal)>;

fn ours(live: &LiveBook) -> Option<(u64, Levels, Levels)> {
    let b = live.read();
    let id = b.last_update_id()?;
    let (bids, asks) = b.book.top(usize::MAX);
    Some((id, bids, asks))
}

fn theirs(s: &BookSnapshot) -> (u64, Levels, Levels) {
    let norm = |v: &Levels| {
        v.iter()
            .map(|(p, q)| (p.normalize(), q.normalize()))
            .collect::<Vec<_>>()
    };
    (s.last_update_id, norm(&s.bids), norm(&s.asks))
}

fn normalize(b: (u64, Levels, Levels)) -> (u64, Levels, Levels) {
    let norm = |v: Levels| {
        v.into_iter()
            .map(|(p, q)| (p.normalize(), q.normalize()))
            .collect::<Vec<_>>()
    };
    (b.0, norm(b.1), norm(b.2))
}

/// Waits until our book has caught up with the mock's current update id, then compares.
async fn assert_same_book(mock: &MockBinance, live: &LiveBook, when: &str) {
    let want = theirs(&mock.book("BTCUSDT").unwrap());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(got) = ours(live)
            && got.0 >= want.0
        {
            assert_eq!(normalize(got), want, "books differ {when}");
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
async fn book_matches_the_mock_through_faults() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = BinanceSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "book never synced"
    );
    assert_same_book(&mock, &live, "after the first sync").await;

    let mut total = 0;
    // 20 rounds × 500 updates = 10,000, each round with a different fault.
    for round in 0..20 {
        let before = live.resync_count();
        let fault = round % 5;
        match fault {
            0 => mock.skip_next_diff("BTCUSDT"),
            1 => mock.duplicate_next_diff("BTCUSDT"),
            2 => mock.swap_next_diffs("BTCUSDT"),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message("{\"e\":\"depthUpdate\",\"U\":");
                mock.push_raw_market_message("{\"e\":\"somethingNew\",\"x\":1}");
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
            }
        }
        total += 500;
        mock.random_book_updates_paced("BTCUSDT", round + 1, 500, Duration::from_micros(50))
            .await
            .unwrap();
        assert_same_book(
            &mock,
            &live,
            &format!("after round {round} (fault {fault})"),
        )
        .await;
        if matches!(fault, 0 | 2 | 3) {
            assert!(
                live.resync_count() > before,
                "round {round}: fault {fault} must force a resync"
            );
        }
    }
    assert_eq!(total, 10_000);
    assert!(
        live.resync_count() >= 13,
        "resyncs: {}",
        live.resync_count()
    );

    // the stream reported losing and regaining the book
    let mut lost = 0;
    let mut resynced = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::ConnectionLost { .. } => lost += 1,
            VenueEvent::Resynced { .. } => resynced += 1,
            _ => {}
        }
    }
    assert!(
        lost >= 12 && resynced >= 13,
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
    let best_ask = mock.book("BTCUSDT").unwrap().asks[0].0;
    assert!(
        q.worst_price >= best_ask && q.average_price >= best_ask,
        "{q:?}"
    );
    assert_eq!(
        q.fee_amount + (q.quote_amount - q.fee_amount),
        q.quote_amount
    );
    assert_eq!(
        q.fee_amount,
        ((q.quote_amount - q.fee_amount) * dec!(0.001))
    );
    let unknown: Pair = "DOGE-USDT".parse().unwrap();
    assert!(matches!(
        venue
            .quote(&QuoteRequest {
                pair: unknown,
                side: Side::Buy,
                base_amount: dec!(1)
            })
            .await,
        Err(VenueError::UnknownPair { .. })
    ));
    let _keep = Arc::clone(&live);
}
