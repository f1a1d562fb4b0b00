//! The Binance connector's user stream by whichever mechanism the server speaks, against the mock:
//! a server without the WebSocket API subscription (the method unknown, or no WebSocket API at all)
//! gets the legacy listenKey stream, and orders, fills and balances reach the tracker through it;
//! a `listenKeyExpired` is survived with no fill lost or counted twice; keepalives keep the key;
//! stopping closes the key; the default (WebSocket API) path is unchanged; an authentication
//! error on the subscription is reported, never turned into a fallback; a timestamp error is
//! answered by a clock sync and one more subscription.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot, UserStreamMode};
use sluice::core::{OrderState, Side, VenueEvent};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance::{
    MockBinance, MockConfig, UserStreams, WsApiUserStream,
};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::binance_orders::{config, drain_fills, resting, venue_order_id, wait_for, wait_state};

/// A mock serving `streams`, with the usual book.
async fn mock_with(streams: UserStreams) -> MockBinance {
    let mock = MockBinance::start_with(MockConfig {
        user_streams: streams,
        ..MockConfig::default()
    })
    .await
    .unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    mock
}

/// A connector on the mock's default account, configured by `tweak`.
fn venue(mock: &MockBinance, tweak: impl FnOnce(&mut BinanceConfig)) -> BinanceSpot {
    let mut cfg = config(mock);
    tweak(&mut cfg);
    BinanceSpot::new(
        cfg,
        Some(ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap()),
    )
    .unwrap()
}

/// A connector with its user stream started (auto mode), and its events.
async fn started(mock: &MockBinance) -> (BinanceSpot, UnboundedReceiver<VenueEvent>) {
    let v = venue(mock, |_| {});
    let events = v.events();
    v.start_user_stream().await.unwrap();
    wait_for("the user stream", || mock.user_connections() == 1).await;
    (v, events)
}

fn balances_seen(rx: &mut UnboundedReceiver<VenueEvent>) -> usize {
    let mut n = 0;
    while let Ok(e) = rx.try_recv() {
        if matches!(e, VenueEvent::Balance(_)) {
            n += 1;
        }
    }
    n
}

/// The method unknown on the WebSocket API: the listenKey stream carries the order's states and
/// fills to the tracker (no REST polling runs here); stopping closes the key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_stream_carries_orders_fills_and_balances() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let (v, mut events) = started(&mock).await;
    assert_eq!(v.user_stream_mechanism(), Some(UserStreamMode::ListenKey));
    assert_eq!(mock.listen_key_counts().created, 1);
    let mut trades = HashSet::new();

    let id = resting(&v, Side::Buy, dec!(0.5), dec!(99)).await;
    let oid = venue_order_id(&v, &id);
    assert_eq!(mock.fill_order(oid, Some(dec!(0.2))), dec!(0.2));
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.2)).await;
    assert_eq!(mock.fill_order(oid, None), dec!(0.3));
    wait_state(&v, &id, OrderState::Filled, dec!(0.5)).await;
    assert_eq!(v.tracked(&id).unwrap().average_price(), Some(dec!(99)));

    let c = resting(&v, Side::Sell, dec!(0.1), dec!(101)).await;
    v.cancel(&c).await.unwrap();
    wait_state(&v, &c, OrderState::Cancelled, dec!(0)).await;

    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut fill_total = dec!(0);
    let mut balances = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::Fill(f) => {
                assert!(trades.insert(f.trade_id.clone()), "{} twice", f.trade_id);
                fill_total += f.amount;
            }
            VenueEvent::Balance(_) => balances += 1,
            _ => {}
        }
    }
    assert_eq!((fill_total, trades.len()), (dec!(0.5), 2));
    assert!(balances > 0, "outboundAccountPosition reached the balances");

    v.stop_user_stream().await;
    assert_eq!(mock.listen_key_counts().closed, 1);
    assert!(mock.active_listen_keys().is_empty());
    wait_for("the socket to close", || mock.user_connections() == 0).await;
    assert_eq!(v.user_stream_mechanism(), None);
}

/// No WebSocket API at all (the upgrade refused with 404): the same fallback.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_upgrade_falls_back_too() {
    let mock = mock_with(UserStreams {
        ws_api: WsApiUserStream::UpgradeRefused,
        ..UserStreams::listen_key_only()
    })
    .await;
    let (v, _events) = started(&mock).await;
    assert_eq!(v.user_stream_mechanism(), Some(UserStreamMode::ListenKey));
    let id = resting(&v, Side::Buy, dec!(0.3), dec!(99)).await;
    mock.fill_order(venue_order_id(&v, &id), None);
    wait_state(&v, &id, OrderState::Filled, dec!(0.3)).await;
    v.close();

    // a key the exchange does not know fails on the listenKey request: an auth error
    let unknown = BinanceSpot::new(
        config(&mock),
        Some(ApiCredentials::new("no-such-key", mock.api_secret()).unwrap()),
    )
    .unwrap();
    let err = unknown.start_user_stream().await.unwrap_err();
    assert!(
        matches!(err, VenueError::Auth(ref m) if m.contains("-2015")),
        "{err}"
    );
}

/// Starting twice at once gives one stream on one key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_starts_share_one_stream() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let v = venue(&mock, |_| {});
    let (a, b) = tokio::join!(v.start_user_stream(), v.start_user_stream());
    a.unwrap();
    b.unwrap();
    wait_for("the user stream", || mock.user_connections() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(mock.user_connections(), 1);
    let c = mock.listen_key_counts();
    assert_eq!((c.created, c.reused, c.closed), (1, 0, 0), "{c:?}");
    v.stop_user_stream().await;
    assert_eq!(mock.listen_key_counts().closed, 1);
}

/// The key lapses mid-order: `listenKeyExpired`, a new key, the stream resumes and the fills made
/// meanwhile are reconciled; no fill is lost or counted twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_key_expiry_is_survived() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let (v, mut events) = started(&mock).await;
    let mut trades = HashSet::new();
    let id = resting(&v, Side::Buy, dec!(0.6), dec!(99)).await;
    let oid = venue_order_id(&v, &id);
    let first_key = mock.active_listen_keys();
    assert_eq!(first_key.len(), 1);

    mock.fill_order(oid, Some(dec!(0.1)));
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.1)).await;

    mock.expire_listen_keys();
    // filled while the key is gone: the event is lost with the old socket
    mock.fill_order(oid, Some(dec!(0.2)));
    wait_for("a new key", || mock.listen_key_counts().created == 2).await;
    wait_for("the new socket", || mock.user_connections() == 1).await;
    let keys = mock.active_listen_keys();
    assert_eq!(keys.len(), 1);
    assert_ne!(keys, first_key);
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.3)).await;

    // the resumed stream carries the last fill
    mock.fill_order(oid, None);
    wait_state(&v, &id, OrderState::Filled, dec!(0.6)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut resynced = false;
    let mut total = dec!(0);
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::Fill(f) => {
                assert!(trades.insert(f.trade_id.clone()), "{} twice", f.trade_id);
                total += f.amount;
            }
            VenueEvent::Resynced { .. } => resynced = true,
            _ => {}
        }
    }
    assert_eq!(total, dec!(0.6));
    assert!(resynced, "orders resynced after the new key");
    assert_eq!(trades.len(), 3);
    assert_eq!(mock.listen_key_counts().expired, 1);
    v.stop_user_stream().await;
}

/// Keepalive PUTs at the configured interval keep a key whose validity is shorter than the test.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keepalives_keep_the_key() {
    let mock = mock_with(UserStreams {
        listen_key_validity: Duration::from_millis(700),
        ..UserStreams::listen_key_only()
    })
    .await;
    let v = venue(&mock, |c| {
        c.listen_key_keepalive = Duration::from_millis(150);
        c.user_stream = UserStreamMode::ListenKey;
    });
    let mut events = v.events();
    v.start_user_stream().await.unwrap();
    let key = mock.active_listen_keys();
    tokio::time::sleep(Duration::from_millis(2_000)).await;
    let counts = mock.listen_key_counts();
    assert!(counts.kept_alive >= 6, "{counts:?}");
    assert_eq!((counts.created, counts.expired), (1, 0), "{counts:?}");
    assert_eq!(mock.active_listen_keys(), key);
    // still the same live socket
    mock.set_balance(mock.account(), "USDT", dec!(5000))
        .unwrap();
    wait_for("a balance event", || balances_seen(&mut events) > 0).await;
    assert_eq!(mock.user_connections(), 1);
    v.stop_user_stream().await;
}

/// A dropped legacy socket: a key is asked for again (the same one comes back while it lives) and
/// the stream reconnects with backoff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_legacy_socket_reconnects() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let (v, mut events) = started(&mock).await;
    let mut trades = HashSet::new();
    let id = resting(&v, Side::Buy, dec!(0.4), dec!(99)).await;
    mock.drop_user_streams();
    wait_for("a second POST", || {
        let c = mock.listen_key_counts();
        c.created + c.reused == 2
    })
    .await;
    wait_for("the socket again", || mock.user_connections() == 1).await;
    mock.fill_order(venue_order_id(&v, &id), None);
    wait_state(&v, &id, OrderState::Filled, dec!(0.4)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.4));
    assert_eq!(mock.listen_key_counts().reused, 1);
    v.stop_user_stream().await;
}

/// An order filled while the legacy stream cannot connect (503) is reconciled when it is back,
/// counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fill_during_a_legacy_outage_is_reconciled() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let (v, mut events) = started(&mock).await;
    let mut trades = HashSet::new();
    let id = resting(&v, Side::Sell, dec!(0.3), dec!(101)).await;
    let oid = venue_order_id(&v, &id);
    assert_eq!(
        mock.fill_order_while_user_streams_down(oid, None),
        dec!(0.3)
    );
    wait_for("the outage", || mock.user_connections() == 0).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Open);
    mock.set_user_streams_down(false);
    wait_state(&v, &id, OrderState::Filled, dec!(0.3)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.3));
    v.stop_user_stream().await;
}

/// The default mock is Binance.com: the WebSocket API subscription is used, no listenKey is ever
/// asked for, and a forced listenKey stream meets the 410 Gone page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_websocket_api_path_is_unchanged() {
    let mock = mock_with(UserStreams::default()).await;
    let (v, _events) = started(&mock).await;
    assert_eq!(v.user_stream_mechanism(), Some(UserStreamMode::WsApi));
    let id = resting(&v, Side::Buy, dec!(0.2), dec!(99)).await;
    mock.fill_order(venue_order_id(&v, &id), None);
    wait_state(&v, &id, OrderState::Filled, dec!(0.2)).await;
    assert_eq!(mock.listen_key_counts(), Default::default());
    v.close();

    let forced = venue(&mock, |c| c.user_stream = UserStreamMode::ListenKey);
    let err = forced.start_user_stream().await.unwrap_err();
    assert!(err.to_string().contains("410"), "{err}");
    assert_eq!(forced.user_stream_mechanism(), None);

    // and a forced WebSocket API stream on a legacy server says it is not served
    let legacy = mock_with(UserStreams::listen_key_only()).await;
    let forced = venue(&legacy, |c| c.user_stream = UserStreamMode::WsApi);
    let err = forced.start_user_stream().await.unwrap_err();
    assert!(matches!(err, VenueError::NotSupported(_)), "{err}");
    assert_eq!(legacy.listen_key_counts(), Default::default());
}

/// A server that would serve both: a bad secret on the subscription is an error for the caller,
/// and no listenKey is asked for; a stale timestamp is answered by a clock sync and one retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_errors_are_reported_not_fallen_back_from() {
    let mock = mock_with(UserStreams {
        ws_api: WsApiUserStream::Served,
        ..UserStreams::listen_key_only()
    })
    .await;
    let bad = BinanceSpot::new(
        config(&mock),
        Some(ApiCredentials::new(mock.api_key(), "not-the-secret").unwrap()),
    )
    .unwrap();
    let err = bad.start_user_stream().await.unwrap_err();
    assert!(
        matches!(err, VenueError::Auth(ref m) if m.contains("-1022")),
        "{err}"
    );
    assert_eq!(bad.user_stream_mechanism(), None);

    let unknown = BinanceSpot::new(
        config(&mock),
        Some(ApiCredentials::new("no-such-key", mock.api_secret()).unwrap()),
    )
    .unwrap();
    let err = unknown.start_user_stream().await.unwrap_err();
    assert!(
        matches!(err, VenueError::Auth(ref m) if m.contains("-2015")),
        "{err}"
    );

    // the exchange's clock runs 100 s ahead of ours, and ours was never synced: the clock is
    // synced before the signed subscription, which goes through
    mock.set_clock_offset_ms(100_000);
    let unsynced = venue(&mock, |_| {});
    unsynced.start_user_stream().await.unwrap();
    assert_eq!(
        unsynced.user_stream_mechanism(),
        Some(UserStreamMode::WsApi)
    );
    let offset = unsynced.rest().clock.offset_ms();
    assert!((offset - 100_000).abs() < 2_000, "offset {offset}");
    unsynced.close();

    // synced, then the exchange's clock jumps 100 s more: the subscription is refused with
    // -1021, the clock synced again and the subscription sent once more
    let drifted = venue(&mock, |_| {});
    drifted.sync_clock().await.unwrap();
    mock.set_clock_offset_ms(200_000);
    drifted.start_user_stream().await.unwrap();
    assert_eq!(drifted.user_stream_mechanism(), Some(UserStreamMode::WsApi));
    let offset = drifted.rest().clock.offset_ms();
    assert!((offset - 200_000).abs() < 2_000, "offset {offset}");
    assert_eq!(mock.listen_key_counts(), Default::default());
    drifted.close();

    // with a good key and a synced clock the same server gives the WebSocket API stream
    let good = venue(&mock, |_| {});
    good.sync_clock().await.unwrap();
    good.start_user_stream().await.unwrap();
    assert_eq!(good.user_stream_mechanism(), Some(UserStreamMode::WsApi));
    assert_eq!(mock.listen_key_counts(), Default::default());
    good.close();
}

/// The legacy endpoints check the API key as Binance does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_key_endpoints_check_the_api_key() {
    let mock = mock_with(UserStreams::listen_key_only()).await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v3/userDataStream", mock.rest_url());
    let error_of = |status: u16, body: &serde_json::Value| (status, body["code"].as_i64());

    let r = http.post(&url).send().await.unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        error_of(status, &r.json().await.unwrap()),
        (401, Some(-2014))
    );
    let r = http
        .post(&url)
        .header("X-MBX-APIKEY", "nobody")
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    assert_eq!(
        error_of(status, &r.json().await.unwrap()),
        (401, Some(-2015))
    );

    let r = http
        .post(&url)
        .header("X-MBX-APIKEY", mock.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body: serde_json::Value = r.json().await.unwrap();
    let key = body["listenKey"].as_str().unwrap().to_string();
    assert_eq!(key.len(), 60);
    let put = |k: &str| {
        http.put(format!("{url}?listenKey={k}"))
            .header("X-MBX-APIKEY", mock.api_key())
            .send()
    };
    assert_eq!(put(&key).await.unwrap().status().as_u16(), 200);
    let r = put("unknown").await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], -1125);
    let r = http
        .delete(format!("{url}?listenKey={key}"))
        .header("X-MBX-APIKEY", mock.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(put(&key).await.unwrap().status().as_u16(), 400);

    // Binance.com behaviour: the endpoints are gone
    let com = mock_with(UserStreams::default()).await;
    let r = http
        .post(format!("{}/api/v3/userDataStream", com.rest_url()))
        .header("X-MBX-APIKEY", com.api_key())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 410);
    assert!(r.text().await.unwrap().contains("410 Gone"));
}
