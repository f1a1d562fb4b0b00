//! `binance_perpetual` against the simulated futures exchange: the live book (the `pu` rule)
//! stays identical to the simulator's through 10,000 random updates with gaps, duplicates,
//! reorderings, dropped connections and junk frames; markets and mark price / funding read from
//! the futures documents; the registry builds the venue from its table.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::binance_perpetual::book::LiveBook;
use sluice::cex::exchanges::binance_perpetual::{BinancePerpConfig, BinancePerpetual};
use sluice::core::Pair;
use sluice::venue::VenueKind;
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance_perpetual::{MarkState, MockBinancePerp};

type Levels = Vec<(Decimal, Decimal)>;

fn config(mock: &MockBinancePerp) -> BinancePerpConfig {
    BinancePerpConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..BinancePerpConfig::default()
    }
}

fn norm(v: Levels) -> Levels {
    v.into_iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

async fn assert_same_book(mock: &MockBinancePerp, live: &LiveBook, when: &str) {
    let s = mock.book("BTCUSDT").unwrap();
    let want = (s.last_update_id, norm(s.bids), norm(s.asks));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let got = {
            let b = live.read();
            b.last_update_id().map(|id| {
                let (bids, asks) = b.book().top(usize::MAX);
                (id, norm(bids), norm(asks))
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
async fn the_futures_book_matches_the_simulator_through_faults() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = BinancePerpetual::new(config(&mock), None).unwrap();
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
                mock.push_raw_market_message("{\"e\":\"depthUpdate\",\"U\":");
                mock.push_raw_market_message(
                    "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":1,\"u\":2,\"pu\":-5,\"b\":[],\"a\":[]}",
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
}

#[tokio::test]
async fn markets_and_funding_come_from_the_futures_documents() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let venue = BinancePerpetual::new(config(&mock), None).unwrap();
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
    assert_eq!(btc.min_size, spec.min_qty);
    assert_eq!(btc.min_notional, spec.min_notional);
    // mark = the book's mid until the test sets one
    let f = venue.funding(&pair).await.unwrap();
    assert_eq!(f.mark_price, mock.mark("BTCUSDT").unwrap().mark);
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
    // a pair the exchange does not list, and a spot-only call, are typed errors
    let nope: Pair = "NOPE-USDT".parse().unwrap();
    assert!(matches!(
        venue.funding(&nope).await,
        Err(VenueError::UnknownPair { .. })
    ));
    // without keys nothing private is sent
    assert!(venue.positions(None).await.is_err());
}

#[tokio::test]
async fn the_registry_builds_it_and_the_cli_reads_its_book() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let id: sluice::venue::VenueId = "binance_perpetual".parse().unwrap();
    let table: toml::Table = format!(
        "rest_url = \"{}\"\nws_url = \"{}\"",
        mock.rest_url(),
        mock.ws_url()
    )
    .parse()
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let ctx = sluice::venue::ConnectContext::new(
        home.path(),
        sluice::chain::ChainSpecs::builtin().unwrap(),
        std::path::Path::new("test.toml"),
    );
    let venue = sluice::connectors::connect(&id, &table, &ctx)
        .await
        .unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    venue.start(std::slice::from_ref(&pair)).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let top = loop {
        if let Some(top) = venue.book_top(&pair, 3).await.unwrap() {
            break top;
        }
        assert!(tokio::time::Instant::now() < deadline, "no book");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let s = mock.book("BTCUSDT").unwrap();
    assert_eq!(top.bids[0].0.normalize(), s.bids[0].0.normalize());
    assert_eq!(top.asks[0].0.normalize(), s.asks[0].0.normalize());
    venue.close().await;
}
