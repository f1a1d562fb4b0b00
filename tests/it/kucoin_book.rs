//! The KuCoin connector's live book against the simulated KuCoin: identical to the simulator's
//! own book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames, compared level by level after every round; every gap is a resync
//! (a new REST snapshot, KuCoin's sequence rule), never a silently wrong book. The connection
//! comes from `bullet-public` and is kept alive by the connector's pings (the simulator drops a
//! silent client).

use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::cex::exchanges::kucoin::{KuCoin, KuCoinConfig, KuCoinSpot};
use sluice::core::Pair;
use sluice_sim::exchange::dialects::kucoin::{self as sim, MockKuCoin};

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn config(mock: &MockKuCoin) -> KuCoinConfig {
    KuCoinConfig {
        rest_url: mock.rest_url(),
        ..KuCoinConfig::kucoin()
    }
}

impl BookSim for MockKuCoin {
    type Api = KuCoin;
    const SYMBOL: &'static str = "BTC-USDT";
    const PAIR: &'static str = "BTC-USDT";
    const JUNK: &'static [&'static str] = &[
        r#"{"type":"message","topic":"/market/level2:BTC-USDT","subject":"trade.l2update","data":{"sequenceStart":"#,
        r#"{"type":"message","topic":"/market/something:BTC-USDT","subject":"new.thing","data":{}}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (Some(b.sequence), norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockKuCoin::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = KuCoinSpot::new(config(&mock), None).unwrap();
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
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
