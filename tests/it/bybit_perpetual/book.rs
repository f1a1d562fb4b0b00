//! `bybit_perpetual` against the simulated Bybit: the live `orderbook.50` book (the `u` rule,
//! snapshots from the stream) stays identical to the simulator's through 10,000 random updates
//! with gaps, duplicates, reorderings, dropped connections, junk frames and a service-restart
//! snapshot; markets and mark / index / funding come from Bybit's documents; hostile REST answers
//! are typed errors (the registry and `book_top` are exercised by `cli.rs`).

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::bybit_perpetual::book::LiveBook;
use sluice::cex::exchanges::bybit_perpetual::{BybitPerpConfig, BybitPerpetual};
use sluice::core::Pair;
use sluice::venue::VenueKind;
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::bybit_perpetual::{MarkState, MockBybitPerp};
use sluice_sim::exchange::dialects::okx::HttpFault;

type Levels = Vec<(Decimal, Decimal)>;

fn config(mock: &MockBybitPerp) -> BybitPerpConfig {
    BybitPerpConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..BybitPerpConfig::default()
    }
}

fn norm(v: Levels) -> Levels {
    v.into_iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

async fn assert_same_book(mock: &MockBybitPerp, live: &LiveBook, when: &str) {
    let s = mock.book("BTCUSDT").unwrap();
    let want = (s.u, norm(s.bids), norm(s.asks));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let got = {
            let b = live.read();
            b.last_update_id().map(|u| {
                let (bids, asks) = b.book.top(usize::MAX);
                (u, norm(bids), norm(asks))
            })
        };
        if let Some(got) = got
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
async fn the_bybit_book_matches_the_simulator_through_faults() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = BybitPerpetual::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
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
            0 => mock.skip_next_diff("BTCUSDT"),
            1 => mock.duplicate_next_diff("BTCUSDT"),
            2 => mock.swap_next_diffs("BTCUSDT"),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message(
                    r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"#,
                );
                mock.push_raw_market_message(
                    r#"{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":1,"data":{"s":"BTCUSDT","b":[["1e400","1"]],"a":[],"u":7,"seq":7}}"#,
                );
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
}

#[tokio::test]
async fn markets_funding_and_hostile_answers() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let venue = BybitPerpetual::new(config(&mock), None).unwrap();
    assert_eq!(venue.kind(), VenueKind::Perp);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let markets = venue.markets().await.unwrap();
    let btc = markets
        .iter()
        .find(|m| m.pair == pair)
        .expect("BTC-USDT listed");
    let spec = mock.with_exchange(|ex| ex.listed_spec("BTCUSDT").unwrap());
    assert_eq!(btc.tick_size, spec.tick_size.normalize());
    assert_eq!(btc.step_size, spec.step_size.normalize());
    assert_eq!(btc.min_size, spec.min_qty.normalize());
    assert_eq!(btc.min_notional, spec.min_notional.normalize());
    // the mark is the book's mid until the test sets one
    let f = venue.funding(&pair).await.unwrap();
    let s = mock.book("BTCUSDT").unwrap();
    assert_eq!(f.mark_price, (s.bids[0].0 + s.asks[0].0) / Decimal::TWO);
    assert_eq!(f.next_funding_time_ms % (8 * 3_600_000), 0);
    mock.set_mark(
        "BTCUSDT",
        MarkState {
            mark: dec!(101.5),
            index: dec!(101.25),
            funding_rate: dec!(0.0001),
        },
    );
    let f = venue.funding(&pair).await.unwrap();
    assert_eq!(
        (f.mark_price, f.index_price, f.funding_rate),
        (dec!(101.5), Some(dec!(101.25)), dec!(0.0001))
    );
    // hostile answers: typed errors, never a panic
    for fault in [
        HttpFault::HtmlPage { status: 502 },
        HttpFault::TruncatedJson,
        HttpFault::Body {
            status: 200,
            body: r#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTCUSDT","markPrice":"1e99999","nextFundingTime":"1"}]}}"#.into(),
        },
        HttpFault::Body {
            status: 200,
            body: r#"{"retCode":10006,"retMsg":"Too many visits!","result":{}}"#.into(),
        },
    ] {
        mock.inject_fault(fault.clone());
        let e = venue.funding(&pair).await.unwrap_err();
        assert!(
            !matches!(e, VenueError::UnknownPair { .. }),
            "{fault:?}: {e:?}"
        );
    }
    let nope: Pair = "NOPE-USDT".parse().unwrap();
    assert!(matches!(
        venue.funding(&nope).await,
        Err(VenueError::UnknownPair { .. })
    ));
    // without keys nothing private is sent
    assert!(venue.positions(None).await.is_err());
}
