//! Orders through the Binance connector against the mock exchange: place, partial fill, fill,
//! cancel and reject reach the right state with the exchange's reason; a rule violation never
//! reaches the wire; an order filled while the user stream is down is reconciled by polling; no
//! fill is counted twice; an order the exchange does not know is marked lost.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, VenueEvent,
};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance::{HttpFault, MockBinance};
use tokio::sync::mpsc::UnboundedReceiver;

pub(crate) fn config(mock: &MockBinance) -> BinanceConfig {
    BinanceConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ws_api_url: mock.ws_api_url(),
        ..BinanceConfig::binance()
    }
}

pub(crate) fn pair() -> Pair {
    "BTC-USDT".parse().unwrap()
}

pub(crate) fn limit(
    v: &BinanceSpot,
    side: Side,
    ty: OrderType,
    amount: Decimal,
    price: Option<Decimal>,
) -> OrderRequest {
    OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: pair(),
        side,
        order_type: ty,
        amount,
        price,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

async fn setup() -> (MockBinance, BinanceSpot, UnboundedReceiver<VenueEvent>) {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let v = BinanceSpot::new(
        config(&mock),
        Some(ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap()),
    )
    .unwrap();
    let events = v.events();
    v.start_user_stream().await.unwrap();
    wait_for("the user stream", || mock.user_connections() == 1).await;
    // let the subscription reply arrive
    tokio::time::sleep(Duration::from_millis(100)).await;
    (mock, v, events)
}

pub(crate) async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub(crate) async fn wait_state(
    v: &BinanceSpot,
    id: &ClientOrderId,
    state: OrderState,
    filled: Decimal,
) {
    wait_for(&format!("{id} to be {state} with {filled}"), || {
        v.tracked(id)
            .is_some_and(|o| o.state == state && o.filled == filled)
    })
    .await;
}

/// A GTC limit order placed on `v` and seen resting (open, nothing filled).
pub(crate) async fn resting(
    v: &BinanceSpot,
    side: Side,
    amount: Decimal,
    price: Decimal,
) -> ClientOrderId {
    let id = v
        .submit(limit(v, side, OrderType::Limit, amount, Some(price)))
        .await
        .unwrap();
    wait_state(v, &id, OrderState::Open, dec!(0)).await;
    id
}

pub(crate) fn venue_order_id(v: &BinanceSpot, id: &ClientOrderId) -> u64 {
    v.tracked(id)
        .unwrap()
        .venue_order_id
        .unwrap()
        .parse()
        .unwrap()
}

/// Every fill event seen so far; panics on a trade id seen twice.
pub(crate) fn drain_fills(
    rx: &mut UnboundedReceiver<VenueEvent>,
    seen: &mut HashSet<String>,
) -> Decimal {
    let mut total = Decimal::ZERO;
    while let Ok(e) = rx.try_recv() {
        if let VenueEvent::Fill(f) = e {
            assert!(
                seen.insert(f.trade_id.clone()),
                "fill {} counted twice",
                f.trade_id
            );
            total += f.amount;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = setup().await;
    let mut trades = HashSet::new();

    // a resting buy, filled in two steps by the exchange
    let id = resting(&v, Side::Buy, dec!(0.5), dec!(99)).await;
    let oid = venue_order_id(&v, &id);
    assert_eq!(mock.fill_order(oid, Some(dec!(0.2))), dec!(0.2));
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.2)).await;
    assert_eq!(mock.fill_order(oid, None), dec!(0.3));
    wait_state(&v, &id, OrderState::Filled, dec!(0.5)).await;
    assert_eq!(v.tracked(&id).unwrap().average_price(), Some(dec!(99)));

    // cancel
    let c = resting(&v, Side::Sell, dec!(0.1), dec!(101)).await;
    v.cancel(&c).await.unwrap();
    wait_state(&v, &c, OrderState::Cancelled, dec!(0)).await;
    assert!(!mock.is_open(venue_order_id(&v, &c)));

    // a post-only order that would cross is rejected with the exchange's reason
    let r = limit(
        &v,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.1),
        Some(dec!(100.05)),
    );
    let rid = r.client_id.clone();
    match v.submit(r).await {
        Err(VenueError::Rejected { code, reason }) => {
            assert_eq!(code.as_deref(), Some("-2010"));
            assert!(reason.contains("immediately match"), "{reason}");
        }
        other => panic!("crossing LIMIT_MAKER accepted: {other:?}"),
    }
    let failed = v.tracked(&rid).unwrap();
    assert_eq!(failed.state, OrderState::Failed);
    assert!(failed.reason.unwrap().contains("immediately match"));

    // a rule violation never reaches the wire
    let before = mock.order_counts(mock.account());
    let bad = limit(
        &v,
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(99.001)),
    );
    assert!(matches!(v.submit(bad).await, Err(VenueError::Rule(_))));
    let tiny = limit(
        &v,
        Side::Buy,
        OrderType::Limit,
        dec!(0.00001),
        Some(dec!(99)),
    );
    assert!(
        matches!(v.submit(tiny).await, Err(VenueError::Rule(_))),
        "below min notional"
    );
    assert_eq!(mock.order_counts(mock.account()), before);

    // a market order fills at once; its fills arrive in the response and on the stream
    let m = limit(&v, Side::Buy, OrderType::Market, dec!(1.5), None);
    let mid = v.submit(m.clone()).await.unwrap();
    wait_state(&v, &mid, OrderState::Filled, dec!(1.5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await; // let the stream's copies arrive
    let o = v.tracked(&mid).unwrap();
    assert_eq!(o.filled, dec!(1.5), "no fill counted twice");
    // 1 at 100.01, 0.5 at 100.02
    assert_eq!(o.filled_quote, dec!(150.02));
    let filled_by_events = drain_fills(&mut events, &mut trades);
    assert_eq!(filled_by_events, dec!(0.5) + dec!(1.5));
    let mo = mock.order(venue_order_id(&v, &mid)).unwrap();
    assert_eq!(mo.executed_qty, dec!(1.5));
    // the venue's record of the fills agrees
    let fills = v.order_fills(&m).await.unwrap();
    assert_eq!(fills.iter().map(|f| f.amount).sum::<Decimal>(), dec!(1.5));
    assert!(
        fills
            .iter()
            .all(|f| f.venue == "binance" && f.client_id.as_ref() == Some(&mid))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_connector_adopts_its_open_orders() {
    let (mock, v, _events) = setup().await;
    let req = limit(&v, Side::Buy, OrderType::Limit, dec!(0.3), Some(dec!(99.5)));
    let id = v.submit(req.clone()).await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let oid = venue_order_id(&v, &id);
    mock.fill_order(oid, Some(dec!(0.1)));
    // a new connector (a restart) knows nothing of the order, yet finds it and its fill
    let fresh = BinanceSpot::new(
        config(&mock),
        Some(ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap()),
    )
    .unwrap();
    let o = fresh.order_status(&req).await.unwrap();
    assert_eq!(
        (o.state, o.filled),
        (OrderState::PartiallyFilled, dec!(0.1))
    );
    assert_eq!(o.request.price, Some(dec!(99.5)));
    assert_eq!(fresh.order_fills(&req).await.unwrap().len(), 1);
    let unknown = OrderRequest {
        client_id: ClientOrderId::new("never-sent").unwrap(),
        ..req.clone()
    };
    assert!(matches!(
        fresh.order_status(&unknown).await,
        Err(VenueError::UnknownOrder(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_during_a_user_stream_outage_is_reconciled() {
    let (mock, v, mut events) = setup().await;
    let id = resting(&v, Side::Sell, dec!(0.4), dec!(101)).await;
    let oid = venue_order_id(&v, &id);
    mock.fill_order_while_user_streams_down(oid, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        v.tracked(&id).unwrap().state,
        OrderState::Open,
        "the stream missed it"
    );
    mock.set_user_streams_down(false);
    // the stream reconnects and the connector polls the orders it holds
    wait_state(&v, &id, OrderState::Filled, dec!(0.4)).await;
    let mut trades = HashSet::new();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.4));
    // polling again changes nothing
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().filled, dec!(0.4));
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_order_is_polled_then_marked_lost() {
    let (mock, v, mut events) = setup().await;
    // the answer to the order is a gateway error page: the order may or may not exist
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    let o = limit(&v, Side::Buy, OrderType::Limit, dec!(0.1), Some(dec!(98)));
    let id = o.client_id.clone();
    assert!(matches!(
        v.submit(o.clone()).await,
        Err(VenueError::Protocol(_))
    ));
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Unknown);
    for _ in 0..3 {
        v.order_status(&o).await.unwrap();
    }
    assert!(v.is_lost(&id));
    let mut lost = false;
    while let Ok(e) = events.try_recv() {
        if let VenueEvent::Order {
            client_id,
            reason: Some(r),
            ..
        } = e
            && client_id == id
            && r.contains("lost")
        {
            lost = true;
        }
    }
    assert!(lost, "a lost order is announced");
}
