//! The mock Binance's websocket side driven by plain tokio-tungstenite clients: depth diffs with
//! contiguous update ids that rebuild the mock's own book from a REST snapshot, combined and live
//! subscriptions, depth-stream faults (gap, duplicate, swap, raw junk), dropped and refused
//! connections, and the WebSocket API user-data stream (including a fill during an outage).

use std::collections::BTreeMap;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use reqwest::{Client, Method, StatusCode};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{Value, json};
use sluice_sim::exchange::dialects::binance::{
    BookSnapshot, MockBinance, MockConfig, hmac_sha256_hex,
};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, connect_async};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const WAIT: Duration = Duration::from_secs(5);

async fn connect(url: &str) -> Ws {
    connect_async(url).await.unwrap().0
}

/// Waits until `cond` holds (the server has registered a connection, ...).
async fn until(cond: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not reached"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Next text frame as JSON (pings skipped).
async fn next_json(ws: &mut Ws) -> Value {
    loop {
        let msg = tokio::time::timeout(WAIT, ws.next())
            .await
            .expect("timed out")
            .expect("closed")
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap_or(Value::String(t.to_string()));
        }
    }
}

async fn market(mock: &MockBinance, path: &str) -> Ws {
    let before = mock.market_connections();
    let ws = connect(&format!("{}{path}", mock.ws_url())).await;
    until(|| mock.market_connections() > before).await;
    ws
}

async fn rest_signed(
    mock: &MockBinance,
    method: Method,
    path: &str,
    params: &str,
) -> (StatusCode, Value) {
    let ts = mock.server_time_ms();
    let query = format!("{params}&timestamp={ts}");
    let sig = hmac_sha256_hex(mock.api_secret().as_bytes(), query.as_bytes());
    let resp = Client::new()
        .request(
            method,
            format!("{}{path}?{query}&signature={sig}", mock.rest_url()),
        )
        .header("X-MBX-APIKEY", mock.api_key())
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap())
}

async fn snapshot(mock: &MockBinance, symbol: &str) -> Value {
    Client::new()
        .get(format!(
            "{}/api/v3/depth?symbol={symbol}&limit=5000",
            mock.rest_url()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A local book as a client keeps it.
#[derive(Default)]
struct LocalBook {
    update_id: u64,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
}

fn dec_of(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

impl LocalBook {
    fn from_snapshot(s: &Value) -> Self {
        let mut b = LocalBook {
            update_id: s["lastUpdateId"].as_u64().unwrap(),
            ..Default::default()
        };
        for (side, key) in [(&mut b.bids, "bids"), (&mut b.asks, "asks")] {
            for l in s[key].as_array().unwrap() {
                side.insert(dec_of(&l[0]), dec_of(&l[1]));
            }
        }
        b
    }

    fn apply(&mut self, d: &Value) {
        for (side, key) in [(&mut self.bids, "b"), (&mut self.asks, "a")] {
            for l in d[key].as_array().unwrap() {
                let (p, q) = (dec_of(&l[0]), dec_of(&l[1]));
                if q.is_zero() {
                    side.remove(&p);
                } else {
                    side.insert(p, q);
                }
            }
        }
        self.update_id = d["u"].as_u64().unwrap();
    }

    fn matches(&self, mock: &BookSnapshot) -> bool {
        let bids: Vec<_> = self.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
        let asks: Vec<_> = self.asks.iter().map(|(p, q)| (*p, *q)).collect();
        self.update_id == mock.last_update_id && bids == mock.bids && asks == mock.asks
    }
}

#[tokio::test]
async fn depth_diffs_are_contiguous_and_rebuild_the_mock_book() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth@100ms").await;
    let snap = snapshot(&mock, "BTCUSDT").await;
    let mut local = LocalBook::from_snapshot(&snap);
    let changed = mock.random_book_updates("BTCUSDT", 7, 2_000).unwrap();
    assert!(
        changed > 1_500,
        "most random operations change the book: {changed}"
    );
    let target = mock.book("BTCUSDT").unwrap();
    let mut diffs = 0;
    while local.update_id < target.last_update_id {
        let d = next_json(&mut ws).await;
        assert_eq!(
            (d["e"].as_str(), d["s"].as_str()),
            (Some("depthUpdate"), Some("BTCUSDT"))
        );
        assert!(d["E"].as_u64().is_some());
        let (first, last) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
        assert_eq!(first, local.update_id + 1, "U follows the previous u");
        assert!(last >= first);
        local.apply(&d);
        diffs += 1;
    }
    assert_eq!(diffs, changed);
    assert!(
        local.matches(&target),
        "local book equals the mock's own book level by level"
    );
}

#[tokio::test]
async fn snapshot_taken_mid_stream_lines_up_with_the_buffered_diffs() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("ETHUSDT", dec!(2000), 10, 5, dec!(1))
        .unwrap();
    let mut ws = market(&mock, "/ws/ethusdt@depth").await;
    mock.random_book_updates("ETHUSDT", 1, 100).unwrap();
    let snap = snapshot(&mock, "ETHUSDT").await;
    mock.random_book_updates("ETHUSDT", 2, 100).unwrap();
    // Binance's procedure: drop diffs with u <= lastUpdateId; the first kept one spans it.
    let mut local = LocalBook::from_snapshot(&snap);
    let target = mock.book("ETHUSDT").unwrap();
    let mut first_kept = true;
    while local.update_id < target.last_update_id {
        let d = next_json(&mut ws).await;
        let (u_first, u_last) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
        if u_last <= local.update_id {
            continue;
        }
        if first_kept {
            assert!(u_first <= local.update_id + 1 && local.update_id < u_last);
            first_kept = false;
        } else {
            assert_eq!(u_first, local.update_id + 1);
        }
        local.apply(&d);
    }
    assert!(local.matches(&target));
}

#[tokio::test]
async fn random_updates_are_deterministic_for_a_seed() {
    let a = MockBinance::start().await.unwrap();
    let b = MockBinance::start().await.unwrap();
    for m in [&a, &b] {
        m.seed_book("BTCUSDT", dec!(100), 10, 2, dec!(0.5)).unwrap();
        m.random_book_updates("BTCUSDT", 42, 500).unwrap();
    }
    assert_eq!(a.book("BTCUSDT").unwrap(), b.book("BTCUSDT").unwrap());
    let c = MockBinance::start().await.unwrap();
    c.seed_book("BTCUSDT", dec!(100), 10, 2, dec!(0.5)).unwrap();
    c.random_book_updates("BTCUSDT", 43, 500).unwrap();
    assert_ne!(a.book("BTCUSDT").unwrap(), c.book("BTCUSDT").unwrap());
}

#[tokio::test]
async fn combined_stream_wraps_depth_and_trade_events() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 2, 1, dec!(1)).unwrap();
    let mut ws = market(&mock, "/stream?streams=btcusdt@depth@100ms/btcusdt@trade").await;
    let (s, o) = rest_signed(
        &mock,
        Method::POST,
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=MARKET&quantity=0.5",
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{o}");
    let trade = next_json(&mut ws).await;
    assert_eq!(trade["stream"], "btcusdt@trade");
    let t = &trade["data"];
    assert_eq!(
        (
            t["e"].as_str(),
            t["p"].as_str(),
            t["q"].as_str(),
            t["m"].as_bool()
        ),
        (
            Some("trade"),
            Some("100.01000000"),
            Some("0.50000000"),
            Some(false)
        )
    );
    assert_eq!(t["t"].as_u64(), o["fills"][0]["tradeId"].as_u64());
    let depth = next_json(&mut ws).await;
    assert_eq!(depth["stream"], "btcusdt@depth@100ms");
    assert_eq!(depth["data"]["a"], json!([["100.01000000", "0.50000000"]]));
}

#[tokio::test]
async fn live_subscribe_list_and_unsubscribe() {
    let mock = MockBinance::start().await.unwrap();
    let mut ws = market(&mock, "/ws").await;
    ws.send(Message::text(
        r#"{"method":"SUBSCRIBE","params":["btcusdt@depth"],"id":1}"#,
    ))
    .await
    .unwrap();
    assert_eq!(next_json(&mut ws).await, json!({"result": null, "id": 1}));
    ws.send(Message::text(r#"{"method":"LIST_SUBSCRIPTIONS","id":2}"#))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut ws).await,
        json!({"result": ["btcusdt@depth"], "id": 2})
    );
    mock.seed_book("BTCUSDT", dec!(100), 1, 1, dec!(1)).unwrap(); // two diffs
    assert_eq!(next_json(&mut ws).await["e"], "depthUpdate");
    assert_eq!(next_json(&mut ws).await["e"], "depthUpdate");
    ws.send(Message::text("{oops")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["code"], 3);
}

#[tokio::test]
async fn depth_faults_gap_duplicate_and_swap() {
    let mock = MockBinance::start().await.unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth").await;
    // Each one-level seed places a bid then an ask: two diffs of one update id each.
    let ids = |d: &Value| (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
    mock.seed_book("BTCUSDT", dec!(100), 1, 1, dec!(1)).unwrap();
    let (_, mut last) = ids(&next_json(&mut ws).await);
    assert_eq!(ids(&next_json(&mut ws).await).0, last + 1);
    last += 1;

    mock.skip_next_diff("BTCUSDT");
    mock.seed_book("BTCUSDT", dec!(100), 1, 2, dec!(1)).unwrap();
    let (first, u) = ids(&next_json(&mut ws).await);
    assert_eq!(first, last + 2, "one diff is missing: a gap");
    last = u;

    mock.duplicate_next_diff("BTCUSDT");
    mock.seed_book("BTCUSDT", dec!(100), 1, 3, dec!(1)).unwrap();
    let a = next_json(&mut ws).await;
    let b = next_json(&mut ws).await;
    assert_eq!(a, b);
    assert_eq!(ids(&a).0, last + 1);
    let (_, u) = ids(&next_json(&mut ws).await);
    last = u;

    mock.swap_next_diffs("BTCUSDT");
    mock.seed_book("BTCUSDT", dec!(100), 1, 4, dec!(1)).unwrap();
    let first_seen = ids(&next_json(&mut ws).await);
    let second_seen = ids(&next_json(&mut ws).await);
    assert_eq!(first_seen.0, last + 2, "the later diff comes first");
    assert_eq!(second_seen.0, last + 1);

    mock.push_raw_market_message("{\"e\":\"depthUpdate\",\"U\":");
    assert_eq!(
        next_json(&mut ws).await,
        Value::String("{\"e\":\"depthUpdate\",\"U\":".into())
    );
    mock.push_raw_market_message(r#"{"e":"somethingNew","E":1}"#);
    assert_eq!(next_json(&mut ws).await["e"], "somethingNew");
}

#[tokio::test]
async fn dropped_and_refused_market_connections() {
    let mock = MockBinance::start().await.unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth").await;
    mock.drop_market_streams();
    let end = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    assert!(
        !matches!(end, Some(Ok(Message::Close(_)))),
        "dropped without a close frame: {end:?}"
    );
    until(|| mock.market_connections() == 0).await;
    mock.set_market_streams_down(true);
    let refused = connect_async(format!("{}/ws/btcusdt@depth", mock.ws_url())).await;
    match refused {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => assert_eq!(resp.status(), 503),
        other => panic!("expected a 503 refusal, got {other:?}"),
    }
    mock.set_market_streams_down(false);
    let mut ws = market(&mock, "/ws/btcusdt@depth").await;
    mock.seed_book("BTCUSDT", dec!(100), 1, 1, dec!(1)).unwrap();
    assert_eq!(next_json(&mut ws).await["e"], "depthUpdate");
}

/// Opens a WebSocket API connection and subscribes to the default account's user data.
async fn user_stream(mock: &MockBinance) -> Ws {
    let mut ws = connect(&mock.ws_api_url()).await;
    let reply = subscribe(
        mock,
        &mut ws,
        mock.api_key(),
        mock.api_secret(),
        mock.server_time_ms(),
    )
    .await;
    assert_eq!(reply["status"], 200, "{reply}");
    assert!(reply["result"]["subscriptionId"].is_u64());
    ws
}

async fn subscribe(_mock: &MockBinance, ws: &mut Ws, key: &str, secret: &str, ts: u64) -> Value {
    let payload = format!("apiKey={key}&timestamp={ts}");
    let sig = hmac_sha256_hex(secret.as_bytes(), payload.as_bytes());
    let req = json!({
        "id": "sub-1",
        "method": "userDataStream.subscribe.signature",
        "params": { "apiKey": key, "timestamp": ts, "signature": sig }
    });
    ws.send(Message::text(req.to_string())).await.unwrap();
    let reply = next_json(ws).await;
    assert_eq!(reply["id"], "sub-1");
    reply
}

/// Next user event of a given type (others skipped).
async fn next_event(ws: &mut Ws, kind: &str) -> Value {
    loop {
        let v = next_json(ws).await;
        assert!(v["subscriptionId"].is_u64(), "{v}");
        if v["event"]["e"] == kind {
            return v["event"].clone();
        }
    }
}

#[tokio::test]
async fn user_data_stream_reports_orders_and_balances() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1)).unwrap();
    let mut ws = user_stream(&mock).await;
    let (_, o) = rest_signed(&mock, Method::POST, "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=99&newClientOrderId=u-1").await;
    let id = o["orderId"].as_u64().unwrap();
    let new = next_event(&mut ws, "executionReport").await;
    assert_eq!(
        (
            new["x"].as_str(),
            new["X"].as_str(),
            new["c"].as_str(),
            new["i"].as_u64()
        ),
        (Some("NEW"), Some("NEW"), Some("u-1"), Some(id))
    );
    let pos = next_event(&mut ws, "outboundAccountPosition").await;
    assert_eq!(
        pos["B"],
        json!([{"a": "USDT", "f": "9901.00000000", "l": "99.00000000"}])
    );
    // A partial fill as maker.
    assert_eq!(mock.fill_order(id, Some(dec!(0.4))), dec!(0.4));
    let fill = next_event(&mut ws, "executionReport").await;
    assert_eq!(
        (
            fill["x"].as_str(),
            fill["X"].as_str(),
            fill["l"].as_str(),
            fill["m"].as_bool()
        ),
        (
            Some("TRADE"),
            Some("PARTIALLY_FILLED"),
            Some("0.40000000"),
            Some(true)
        )
    );
    assert!(fill["t"].as_i64().unwrap() > 0);
    assert_eq!(fill["N"], "BTC");
    // Cancel: C carries the original client id.
    let (s, _) = rest_signed(
        &mock,
        Method::DELETE,
        "/api/v3/order",
        &format!("symbol=BTCUSDT&orderId={id}&newClientOrderId=cancel-1"),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let cancel = next_event(&mut ws, "executionReport").await;
    assert_eq!(
        (
            cancel["x"].as_str(),
            cancel["c"].as_str(),
            cancel["C"].as_str(),
            cancel["z"].as_str()
        ),
        (
            Some("CANCELED"),
            Some("cancel-1"),
            Some("u-1"),
            Some("0.40000000")
        )
    );
    // Balance changes by the control API show up too.
    mock.set_balance(mock.account(), "ETH", dec!(3)).unwrap();
    let upd = next_event(&mut ws, "balanceUpdate").await;
    assert_eq!(
        (upd["a"].as_str(), upd["d"].as_str()),
        (Some("ETH"), Some("-97.00000000"))
    );
}

#[tokio::test]
async fn user_data_subscription_errors() {
    let mock = MockBinance::start().await.unwrap();
    let mut ws = connect(&mock.ws_api_url()).await;
    let now = mock.server_time_ms();
    let r = subscribe(&mock, &mut ws, mock.api_key(), "wrong-secret", now).await;
    assert_eq!(
        (r["status"].as_u64(), r["error"]["code"].as_i64()),
        (Some(400), Some(-1022))
    );
    let r = subscribe(&mock, &mut ws, "nobody", "x", now).await;
    assert_eq!(
        (r["status"].as_u64(), r["error"]["code"].as_i64()),
        (Some(401), Some(-2015))
    );
    let r = subscribe(
        &mock,
        &mut ws,
        mock.api_key(),
        mock.api_secret(),
        now - 6_000,
    )
    .await;
    assert_eq!(r["error"]["code"], -1021);
    let r = subscribe(&mock, &mut ws, mock.api_key(), mock.api_secret(), now).await;
    assert_eq!(r["status"], 200);
    let r = subscribe(
        &mock,
        &mut ws,
        mock.api_key(),
        mock.api_secret(),
        mock.server_time_ms(),
    )
    .await;
    assert_eq!(r["error"]["code"], -2035);
    ws.send(Message::text(r#"{"id":7,"method":"session.status"}"#))
        .await
        .unwrap();
    let r = next_json(&mut ws).await;
    assert_eq!(
        (r["id"].as_u64(), r["result"]["userDataStream"].as_bool()),
        (Some(7), Some(true))
    );
    assert!(r["rateLimits"][0]["count"].as_u64().unwrap() > 0);
    ws.send(Message::text(r#"{"id":8,"method":"no.such.method"}"#))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["status"], 400);
    ws.send(Message::text("not json")).await.unwrap();
    assert_eq!(next_json(&mut ws).await["error"]["code"], -1135);
}

#[tokio::test]
async fn order_filled_while_user_streams_are_down_is_only_visible_by_polling() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 3, 1, dec!(1)).unwrap();
    let mut ws = user_stream(&mock).await;
    until(|| mock.user_connections() == 1).await;
    let (_, o) = rest_signed(
        &mock,
        Method::POST,
        "/api/v3/order",
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=101",
    )
    .await;
    let id = o["orderId"].as_u64().unwrap();
    next_event(&mut ws, "executionReport").await;
    next_event(&mut ws, "outboundAccountPosition").await;
    assert_eq!(mock.fill_order_while_user_streams_down(id, None), dec!(1));
    let end = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => panic!("no event may arrive during the outage: {t}"),
                Some(Ok(Message::Close(_))) => panic!("dropped abruptly, without a close frame"),
                Some(Ok(_)) => continue,
                other => return other,
            }
        }
    })
    .await
    .unwrap();
    assert!(end.is_none() || matches!(end, Some(Err(_))));
    until(|| mock.user_connections() == 0).await;
    assert!(
        connect_async(mock.ws_api_url()).await.is_err(),
        "new user-data connections are refused"
    );
    // Polling shows the fill.
    let (_, q) = rest_signed(
        &mock,
        Method::GET,
        "/api/v3/order",
        &format!("symbol=BTCUSDT&orderId={id}"),
    )
    .await;
    assert_eq!(
        (q["status"].as_str(), q["executedQty"].as_str()),
        (Some("FILLED"), Some("1.00000000"))
    );
    let (_, trades) = rest_signed(
        &mock,
        Method::GET,
        "/api/v3/myTrades",
        &format!("symbol=BTCUSDT&orderId={id}"),
    )
    .await;
    assert_eq!(trades.as_array().unwrap().len(), 1);
    // The outage ends: a new subscription works and missed events are not replayed.
    mock.set_user_streams_down(false);
    let mut ws = user_stream(&mock).await;
    mock.set_balance(mock.account(), "ETH", dec!(1)).unwrap();
    let first = next_json(&mut ws).await;
    assert_eq!(first["event"]["e"], "balanceUpdate");
}

#[tokio::test]
async fn ten_thousand_paced_and_batched_updates_keep_stream_and_book_in_step() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 30, 1, dec!(2))
        .unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth@100ms").await;
    let mut local = LocalBook::from_snapshot(&snapshot(&mock, "BTCUSDT").await);
    let started = std::time::Instant::now();
    for batch in 0..10 {
        mock.random_book_updates("BTCUSDT", 1_000 + batch, 990)
            .unwrap();
    }
    mock.random_book_updates_paced("BTCUSDT", 99, 100, Duration::from_millis(1))
        .await
        .unwrap();
    let elapsed = started.elapsed();
    let target = mock.book("BTCUSDT").unwrap();
    while local.update_id < target.last_update_id {
        let d = next_json(&mut ws).await;
        assert_eq!(d["U"].as_u64().unwrap(), local.update_id + 1);
        local.apply(&d);
    }
    assert!(local.matches(&target));
    assert!(
        elapsed < Duration::from_secs(10),
        "10 000 updates took {elapsed:?}"
    );
    eprintln!(
        "10 000 random updates in {elapsed:?}; book has {} bids, {} asks",
        target.bids.len(),
        target.asks.len()
    );
}

#[test]
fn handle_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<MockBinance>();
}

#[tokio::test]
async fn a_swapped_diff_without_a_partner_is_released() {
    let mock = MockBinance::start().await.unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth").await;
    mock.swap_next_diffs("BTCUSDT");
    mock.fill_order(0, None); // no such order: no diff
    mock.seed_book("BTCUSDT", dec!(100), 1, 1, dec!(1)).unwrap(); // two diffs: swapped
    let a = next_json(&mut ws).await;
    let b = next_json(&mut ws).await;
    assert_eq!(a["U"].as_u64().unwrap(), b["u"].as_u64().unwrap() + 1);
    mock.swap_next_diffs("BTCUSDT");
    let (status, o) = rest_signed(
        &mock,
        Method::POST,
        "/api/v3/order",
        "symbol=BTCUSDT&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=90",
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{o}");
    let lone = next_json(&mut ws).await;
    assert_eq!(lone["U"].as_u64().unwrap(), a["u"].as_u64().unwrap() + 1);
    assert_eq!(lone["b"], json!([["90.00000000", "1.00000000"]]));
}

#[tokio::test]
async fn server_shutdown_is_announced_in_each_shape() {
    let mock = MockBinance::start().await.unwrap();
    let mut raw = market(&mock, "/ws/btcusdt@depth").await;
    let mut combined = market(&mock, "/stream?streams=btcusdt@depth").await;
    let mut api = user_stream(&mock).await;
    mock.announce_server_shutdown();
    let r = next_json(&mut raw).await;
    assert_eq!(r["e"], "serverShutdown");
    assert!(r["E"].as_u64().unwrap() > 0);
    let c = next_json(&mut combined).await;
    assert_eq!(
        (c["stream"].as_str(), c["data"]["e"].as_str()),
        (Some("!serverShutdown"), Some("serverShutdown"))
    );
    let a = next_json(&mut api).await;
    assert_eq!(a["event"]["e"], "serverShutdown");
    assert!(a.get("subscriptionId").is_none());
}

#[tokio::test]
async fn batched_diffs_span_many_updates_and_straddle_the_snapshot() {
    let config = MockConfig {
        depth_batch_interval: Some(Duration::from_millis(100)),
        ..MockConfig::default()
    };
    let mock = MockBinance::start_with(config).await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let mut ws = market(&mock, "/ws/btcusdt@depth@100ms").await;
    let first = next_json(&mut ws).await; // the seeding, in one event
    assert!(first["u"].as_u64().unwrap() - first["U"].as_u64().unwrap() >= 39);
    mock.random_book_updates("BTCUSDT", 3, 50).unwrap();
    let snap = snapshot(&mock, "BTCUSDT").await; // inside the pending batch
    mock.random_book_updates("BTCUSDT", 4, 50).unwrap();
    let mut local = LocalBook::from_snapshot(&snap);
    let target = mock.book("BTCUSDT").unwrap();
    let mut straddled = false;
    while local.update_id < target.last_update_id {
        let d = next_json(&mut ws).await;
        let (u_first, u_last) = (d["U"].as_u64().unwrap(), d["u"].as_u64().unwrap());
        if u_last <= local.update_id {
            continue;
        }
        assert!(u_first <= local.update_id + 1, "no gap");
        straddled |= u_first < local.update_id + 1;
        local.apply(&d);
    }
    assert!(straddled, "the snapshot fell inside a batched diff");
    assert!(local.matches(&target));
}
