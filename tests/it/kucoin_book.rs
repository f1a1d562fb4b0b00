//! The KuCoin connector's live book against the simulated KuCoin: identical to the simulator's
//! own book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames, compared level by level after every round; every gap is a resync
//! (a new REST snapshot, KuCoin's sequence rule), never a silently wrong book. The connection
//! comes from `bullet-public` and is kept alive by the connector's pings (the simulator drops a
//! silent client).

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::kucoin::{KuCoinConfig, KuCoinSpot, LiveBook};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::kucoin::{self as sim, KuCoinBook, MockKuCoin};

pub(crate) fn config(mock: &MockKuCoin) -> KuCoinConfig {
    KuCoinConfig {
        rest_url: mock.rest_url(),
        ..KuCoinConfig::kucoin()
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
    let seq = b.sequence()?;
    let (bids, asks) = b.book.top(usize::MAX);
    Some((seq, norm(&bids), norm(&asks)))
}

fn theirs(s: &KuCoinBook) -> (u64, Levels, Levels) {
    (s.sequence, norm(&s.bids), norm(&s.asks))
}

async fn assert_same_book(mock: &MockKuCoin, live: &LiveBook, when: &str) {
    let want = theirs(&mock.book("BTC-USDT").unwrap());
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
async fn kucoin_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockKuCoin::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = KuCoinSpot::new(config(&mock), None).unwrap();
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
            0 => mock.skip_next_diff("BTC-USDT"),
            1 => mock.duplicate_next_diff("BTC-USDT"),
            2 => mock.swap_next_diffs("BTC-USDT"),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message(
                    r#"{"type":"message","topic":"/market/level2:BTC-USDT","subject":"trade.l2update","data":{"sequenceStart":"#,
                );
                mock.push_raw_market_message(
                    r#"{"type":"message","topic":"/market/something:BTC-USDT","subject":"new.thing","data":{}}"#,
                );
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
            }
        }
        total += 500;
        mock.random_book_updates_paced("BTC-USDT", round + 1, 500, Duration::from_micros(50))
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
    let best_ask = mock.book("BTC-USDT").unwrap().asks[0].0;
    assert!(q.worst_price >= best_ask, "{q:?}");
    let top = venue.book_top(&pair, 3).await.unwrap().unwrap();
    assert_eq!(top.asks[0].0, best_ask);
}

/// The connector pings every `pingInterval` (1 s here, 1 s more of timeout): its connection
/// outlives several intervals, while a client that never pings is dropped by the simulator.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_pings_keep_the_connection_and_silence_loses_it() {
    let mock = MockKuCoin::start_with(sim::KuCoinConfig {
        ping_interval_ms: 1_000,
        ..sim::KuCoinConfig::default()
    })
    .await
    .unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 5, 1, dec!(1))
        .unwrap();
    let venue = KuCoinSpot::new(config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(live.wait_synced(Duration::from_secs(10)).await);
    let resyncs = live.resync_count();
    tokio::time::sleep(Duration::from_millis(4_500)).await;
    assert_eq!(
        mock.ping_timeouts(),
        0,
        "the connector's pings kept it open"
    );
    assert_eq!(live.resync_count(), resyncs, "no reconnect was needed");
    assert_eq!(mock.market_connections(), 1);

    // a raw client with a public token that never pings is dropped
    let rest = reqwest::Client::new();
    let bullet: serde_json::Value = rest
        .post(format!("{}/api/v1/bullet-public", mock.rest_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(bullet["code"], "200000");
    assert_eq!(bullet["data"]["instanceServers"][0]["pingInterval"], 1_000);
    let url = format!(
        "{}?token={}&connectId=silent",
        bullet["data"]["instanceServers"][0]["endpoint"]
            .as_str()
            .unwrap(),
        bullet["data"]["token"].as_str().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    use futures::StreamExt;
    let welcome = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(
        welcome.contains("\"welcome\"") && welcome.contains("silent"),
        "{welcome}"
    );
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(closed.is_ok(), "a silent client must be dropped");
    assert_eq!(mock.ping_timeouts(), 1);
    // an unknown token is refused
    let bad = format!("{}?token=nope&connectId=x", mock.ws_url());
    let (mut ws, _) = tokio_tungstenite::connect_async(bad).await.unwrap();
    let e = ws.next().await.unwrap().unwrap().into_text().unwrap();
    assert!(e.contains("token is invalid"), "{e}");
}
