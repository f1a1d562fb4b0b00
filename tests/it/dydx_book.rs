//! dYdX v4's indexer book against the simulated indexer: the connector's live book
//! ([`IndexerBook::connect`]) identical to the simulator's engine book through 10,000 random
//! updates with a fault every round (the shared book suite: a lost diff, a duplicate, two swapped,
//! dropped connections, junk frames), every `message_id` gap a resubscription; the simulator's
//! socket protocol checked frame by frame (connection counter, `subscribed`, `channel_data`,
//! `unsubscribed`, errors); the REST client against the simulator's documents and its faults; the
//! heartbeat.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sluice::cex::venue::LiveBookView;
use sluice::clob::dydx::indexer::{IndexerBook, IndexerRest, LiveBook};
use sluice::core::{Pair, Side};
use sluice::venue::EventHub;
use sluice_sim::exchange::dialects::dydx::MockDydxIndexer;
use sluice_sim::exchange::dialects::okx::HttpFault;
use tokio_tungstenite::tungstenite::Message;

use crate::cex_support::book::{self, FaultFeed, Levels, norm};

const TICKER: &str = "BTC-USD";

impl FaultFeed for MockDydxIndexer {
    type Live = LiveBook;
    const JUNK: &'static [&'static str] = &[
        r#"{"type":"channel_data","connection_id":"x","message_id":"#,
        "<html><body>502 Bad Gateway</body></html>",
        r#"{"type":"error","message":"Internal error","connection_id":"x","message_id":0}"#,
        r#"{"type":"channel_data","connection_id":"x","message_id":1,"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0","contents":{"bids":[["1e400","1"]],"extra":{"nested":[1,2,{"a":null}]}}}"#,
        r#"{"type":"channel_data","connection_id":"x","message_id":184467440737095516160,"id":"BTC-USD","channel":"v4_orderbook","contents":{}}"#,
        r#"{"type":"channel_data","connection_id":"x","message_id":1,"id":"BTC-USD","channel":"v4_orderbook","contents":{"asks":[["99999999999999999999999999","1"]]}}"#,
    ];
    const DUPLICATE_RESYNCS: Option<bool> = Some(false);
    const CATCH_UP: Duration = Duration::from_secs(15);

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(TICKER).unwrap();
        (None, norm(&b.bids), norm(&b.asks))
    }
    fn skip_next(&self) {
        self.skip_next_diff(TICKER);
    }
    fn duplicate_next(&self) {
        self.duplicate_next_diff(TICKER);
    }
    fn swap_next(&self) {
        self.swap_next_diffs(TICKER);
    }
    fn drop_streams(&self) {
        self.drop_market_streams();
    }
    fn push_raw(&self, frame: &str) {
        self.push_raw_market_message(frame);
    }
    async fn updates(&self, seed: u64, n: usize, pace: Duration) -> usize {
        self.random_book_updates_paced(TICKER, seed, n, pace)
            .await
            .unwrap()
    }
    fn resyncs(live: &LiveBook) -> u64 {
        live.resync_count()
    }
}

async fn connect(mock: &MockDydxIndexer, hub: Arc<EventHub>) -> LiveBook {
    let pair: Pair = TICKER.parse().unwrap();
    let live = IndexerBook::connect(&mock.rest_url(), &mock.ws_url(), TICKER, pair, hub)
        .await
        .unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "never synced"
    );
    live
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dydx_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockDydxIndexer::start().await.unwrap();
    mock.seed_book(TICKER, dec!(30000), 50, 1, dec!(1)).unwrap();
    let hub = Arc::new(EventHub::new());
    let mut events = hub.subscribe();
    let live = connect(&mock, hub).await;
    book::live_book_matches_the_simulator_through_10000_updates_with_faults(
        &mock,
        &live,
        &mut events,
    )
    .await;
    eprintln!("dydx indexer book: {} resyncs", live.resync_count());
    // the synced book quotes: a buy walks the asks from the simulator's best
    let best_ask = mock.book(TICKER).unwrap().asks[0].0;
    let q = live
        .with_synced(|b, _| b.quote(Side::Buy, dec!(0.5), dec!(0.0005)))
        .unwrap()
        .unwrap();
    assert!(q.worst_price >= best_ask, "{q:?}");
    assert_eq!(
        live.read().uncrossed_levels(),
        0,
        "the engine's book never crosses"
    );
}

/// A raw client of the simulated socks.
struct Client {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Client {
    async fn open(mock: &MockDydxIndexer) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(mock.ws_url())
            .await
            .unwrap();
        Self { ws }
    }

    async fn send(&mut self, v: Value) {
        self.ws.send(Message::text(v.to_string())).await.unwrap();
    }

    async fn next(&mut self) -> Value {
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a frame in time")
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    }
}

/// `n` engine operations that each change the book (one published diff each).
fn diffs(mock: &MockDydxIndexer, seed: &mut u64, n: usize) {
    let mut done = 0;
    while done < n {
        *seed += 1;
        done += mock.random_book_updates(TICKER, *seed, 1).unwrap();
    }
}

#[tokio::test]
async fn the_simulated_socks_numbers_every_message_of_the_connection() {
    let mock = MockDydxIndexer::start().await.unwrap();
    mock.seed_book(TICKER, dec!(30000), 3, 1, dec!(1)).unwrap();
    let mut c = Client::open(&mock).await;
    let hello = c.next().await;
    assert_eq!(
        (hello["type"].as_str(), hello["message_id"].as_u64()),
        (Some("connected"), Some(0))
    );
    let sub = json!({"type": "subscribe", "channel": "v4_orderbook", "id": TICKER});
    c.send(sub.clone()).await;
    let s = c.next().await;
    assert_eq!(s["type"], "subscribed");
    assert_eq!(s["message_id"], 1);
    assert_eq!(
        (s["channel"].as_str(), s["id"].as_str()),
        (Some("v4_orderbook"), Some(TICKER))
    );
    assert_eq!(s["contents"]["bids"].as_array().unwrap().len(), 3);
    assert!(
        s["contents"]["bids"][0]["price"].is_string()
            && s["contents"]["asks"][0]["size"].is_string()
    );
    // updates: consecutive ids, `[price,size]` pairs, a version
    let mut seed = 0;
    diffs(&mock, &mut seed, 1);
    let d = c.next().await;
    assert_eq!(
        (d["type"].as_str(), d["message_id"].as_u64()),
        (Some("channel_data"), Some(2))
    );
    assert_eq!(d["version"], "1.0.0");
    let level = d["contents"]
        .get("bids")
        .or_else(|| d["contents"].get("asks"))
        .unwrap()[0]
        .clone();
    assert!(level[0].is_string() && level[1].is_string(), "{d}");
    // a lost diff is a gap in the ids; a duplicate repeats its id
    mock.skip_next_diff(TICKER);
    diffs(&mock, &mut seed, 2);
    assert_eq!(c.next().await["message_id"], 4);
    mock.duplicate_next_diff(TICKER);
    diffs(&mock, &mut seed, 1);
    assert_eq!(c.next().await["message_id"], 5);
    assert_eq!(c.next().await["message_id"], 5);
    // errors keep the counter; a subscription counts even when refused
    c.send(json!({"type": "subscribe", "channel": "v4_orderbook", "id": "NOPE-USD"}))
        .await;
    let e = c.next().await;
    assert_eq!(
        (e["type"].as_str(), e["message_id"].as_u64()),
        (Some("error"), Some(6))
    );
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("Invalid subscription id"),
        "{e}"
    );
    c.send(json!({"type": "hello"})).await;
    assert_eq!(c.next().await["message_id"], 6);
    c.send(sub.clone()).await;
    let e = c.next().await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("already subscribed"),
        "{e}"
    );
    // unsubscribed, then subscribed again with the book
    c.send(json!({"type": "unsubscribe", "channel": "v4_orderbook", "id": TICKER}))
        .await;
    let u = c.next().await;
    assert_eq!(
        (u["type"].as_str(), u["message_id"].as_u64()),
        (Some("unsubscribed"), Some(8))
    );
    c.send(sub).await;
    let s = c.next().await;
    assert_eq!(
        (s["type"].as_str(), s["message_id"].as_u64()),
        (Some("subscribed"), Some(9))
    );
    let theirs = mock.book(TICKER).unwrap();
    assert_eq!(
        s["contents"]["asks"].as_array().unwrap().len(),
        theirs.asks.len()
    );
}

#[tokio::test]
async fn the_rest_client_reads_markets_and_the_book_and_types_faults() {
    let mock = MockDydxIndexer::start().await.unwrap();
    mock.seed_book(TICKER, dec!(30000), 5, 1, dec!(0.5))
        .unwrap();
    // a trailing /v4 is accepted
    let rest = IndexerRest::new(&format!("{}/v4", mock.rest_url())).unwrap();
    let raw = rest.perpetual_markets_raw(None).await.unwrap();
    let v: Value = serde_json::from_slice(&raw).unwrap();
    let btc = &v["markets"][TICKER];
    assert_eq!(
        (
            btc["atomicResolution"].as_i64(),
            btc["stepBaseQuantums"].as_u64(),
            btc["subticksPerTick"].as_u64()
        ),
        (Some(-10), Some(1_000_000), Some(100_000))
    );
    let (price, size) = rest.book_grids(TICKER).await.unwrap().unwrap();
    assert_eq!((price.step(), size.step()), (dec!(1), dec!(0.0001)));
    assert_eq!(rest.book_grids("NOPE-USD").await.ok().flatten(), None);
    let book = rest.snapshot_book(TICKER).await.unwrap();
    let (bids, asks) = book.book.top(usize::MAX);
    let theirs = mock.book(TICKER).unwrap();
    assert_eq!(
        (norm(&bids), norm(&asks)),
        (norm(&theirs.bids), norm(&theirs.asks))
    );
    assert!(
        rest.orderbook_raw("../v4/time").await.is_err(),
        "a ticker is not a path"
    );
    // a market the indexer does not list: no book, a clear error
    let pair: Pair = "NOPE-USD".parse().unwrap();
    let hub = Arc::new(EventHub::new());
    let e = IndexerBook::connect(&mock.rest_url(), &mock.ws_url(), "NOPE-USD", pair, hub)
        .await
        .expect_err("no book of an unlisted market");
    assert!(e.to_string().contains("NOPE-USD"), "{e}");
    // a gateway page and a cut body are typed errors, never a book
    mock.inject_fault(HttpFault::HtmlPage { status: 502 });
    assert!(rest.snapshot_book(TICKER).await.is_err());
    mock.inject_fault(HttpFault::TruncatedJson);
    mock.inject_fault(HttpFault::TruncatedJson);
    assert!(rest.snapshot_book(TICKER).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_heartbeat_is_answered_and_the_book_stays_synced() {
    let mock = MockDydxIndexer::start().await.unwrap();
    mock.set_heartbeat(Duration::from_millis(50), Duration::from_millis(200));
    mock.seed_book(TICKER, dec!(30000), 5, 1, dec!(1)).unwrap();
    let live = connect(&mock, Arc::new(EventHub::new())).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(mock.market_connections(), 1);
    assert_eq!(live.resync_count(), 1, "pings answered: never dropped");
    // a silent client is dropped by the heartbeat
    let mut c = Client::open(&mock).await;
    c.next().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // tungstenite answers pings only while the stream is read: not reading, no pong
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut closed = false;
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(500), c.ws.next()).await {
        if matches!(m, Ok(Message::Close(_)) | Err(_)) {
            closed = true;
            break;
        }
    }
    assert!(closed, "a client that never answered was not dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_is_sent_again_and_the_book_syncs() {
    let mock = MockDydxIndexer::start().await.unwrap();
    mock.seed_book(TICKER, dec!(30000), 5, 1, dec!(1)).unwrap();
    mock.refuse_next_subscriptions(1);
    let pair: Pair = TICKER.parse().unwrap();
    let hub = Arc::new(EventHub::new());
    let mut events = hub.subscribe();
    let live = IndexerBook::connect(&mock.rest_url(), &mock.ws_url(), TICKER, pair, hub)
        .await
        .unwrap();
    // refused: no data comes; the subscription is sent again after the wait, unprompted
    assert!(!live.wait_synced(Duration::from_secs(2)).await);
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "never synced"
    );
    book::assert_same_book(&mock, &live, "after the refused subscription").await;
    let mut lost = 0;
    while let Ok(e) = events.try_recv() {
        lost += usize::from(matches!(e, sluice::core::VenueEvent::ConnectionLost { .. }));
    }
    assert!(lost >= 1, "the refusal was announced");
}
