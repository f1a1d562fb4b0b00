//! The Binance connector's live book against the mock exchange: it stays identical to the mock's
//! own book through random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk messages, compared level by level after every resync and at the end.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::binance::book::LiveBook;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance::{BookSnapshot, MockBinance};

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
    let asks = mock.book("BTCUSDT").unwrap().asks;
    let best_ask = asks[0].0;
    assert!(
        q.worst_price >= best_ask && q.average_price >= best_ask,
        "{q:?}"
    );
    // the same walk done here on the mock's own levels: gross, the 0.1 % taker fee on top
    let (mut left, mut gross, mut worst) = (dec!(0.5), Decimal::ZERO, Decimal::ZERO);
    for (price, qty) in &asks {
        if left.is_zero() {
            break;
        }
        let take = left.min(*qty);
        gross += take * price;
        left -= take;
        worst = *price;
    }
    assert!(left.is_zero(), "the mock's book is too thin for the test");
    let fee = gross * dec!(0.001);
    assert_eq!(q.fee_amount, fee, "{q:?}");
    assert_eq!(q.quote_amount, gross + fee, "{q:?}");
    assert_eq!(q.worst_price, worst, "{q:?}");
    assert_eq!(q.average_price, (gross + fee) / dec!(0.5), "{q:?}");
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

/// Waits for `cond` on the live book for up to 10 s.
async fn wait_for(live: &LiveBook, what: &str, cond: impl Fn(&LiveBook) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !cond(live) {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The exchange lowers a symbol's tick size mid-stream and a level appears between the old
/// ticks: the book refetches the rules, rebuilds itself on the new grid and matches the mock
/// again; orders are then checked against the new tick size.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tick_size_change_mid_stream_rebuilds_the_book() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let venue = BinanceSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(live.wait_synced(Duration::from_secs(10)).await);
    assert_same_book(&mock, &live, "before the change").await;
    assert_eq!(
        venue.market(&pair).await.unwrap().rules.tick_size,
        dec!(0.01)
    );

    mock.set_tick_size("BTCUSDT", dec!(0.001)).unwrap();
    // 99.995 / 100.005 …: off the old 0.01 grid
    mock.seed_book("BTCUSDT", dec!(100), 3, 5, dec!(0.5))
        .unwrap();
    assert!(
        mock.book("BTCUSDT")
            .unwrap()
            .asks
            .iter()
            .any(|(p, _)| *p == dec!(100.005))
    );
    wait_for(&live, "the book on the new grid", |l| {
        l.read().book.price_grid.step() == dec!(0.001) && l.read().is_synced()
    })
    .await;
    assert_same_book(&mock, &live, "after the tick size change").await;
    assert_eq!(live.unavailable(), None);
    assert_eq!(
        venue.market(&pair).await.unwrap().rules.tick_size,
        dec!(0.001),
        "the cached rules follow the exchange"
    );
    // diffs on the new grid keep applying
    mock.random_book_updates_paced("BTCUSDT", 7, 200, Duration::from_micros(50))
        .await
        .unwrap();
    assert_same_book(&mock, &live, "after more updates").await;
}

/// The exchange's listing still disagrees with its data after a refetch: the market is reported
/// unavailable (typed error, `ConnectionLost` event) and the book stops asking for snapshots
/// instead of retrying forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_off_the_listed_grid_makes_the_market_unavailable() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let venue = BinanceSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(live.wait_synced(Duration::from_secs(10)).await);

    mock.set_tick_size("BTCUSDT", dec!(0.001)).unwrap();
    mock.set_listed_tick_size("BTCUSDT", Some(dec!(0.01)))
        .unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 3, 5, dec!(0.5))
        .unwrap();
    wait_for(&live, "the market given up", |l| l.unavailable().is_some()).await;
    let u = live.unavailable().unwrap();
    assert_eq!(u.pair, pair);
    assert!(u.reason.contains("0.01"), "{u}");
    assert!(!live.read().is_synced());

    // no more requests: the book is not retried in a loop (the weight of the minute can only
    // stay, or drop when a new minute starts)
    let weight = mock.used_weight();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(mock.used_weight() <= weight, "requests after giving up");
    assert_eq!(live.unavailable(), Some(u.clone()));

    // the venue says why, everywhere
    let mut announced = false;
    while let Ok(e) = events.try_recv() {
        if let VenueEvent::ConnectionLost { reason } = e {
            announced |= reason.contains("unavailable");
        }
    }
    assert!(
        announced,
        "no ConnectionLost event names the market unavailable"
    );
    let q = venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.5),
        })
        .await;
    assert!(
        matches!(&q, Err(VenueError::Protocol(m)) if m.contains("unavailable")),
        "{q:?}"
    );
    assert!(matches!(
        venue.watch_book(&pair).await,
        Err(VenueError::Protocol(_))
    ));
}
