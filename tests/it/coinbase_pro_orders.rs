//! Orders through the Coinbase Exchange connector against the simulated exchange: place, partial
//! fill, fill, cancel and reject (insufficient funds, a post-only order that would take) reach
//! the right state; a lost acknowledgement leaves the order unknown, then polling finds it by its
//! `client_oid` and it is never sent twice; fills made during a private-stream outage are
//! reconciled by polling and counted once; a restarted connector adopts its orders by client id.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::coinbase_pro::CoinbaseProSpot;
use sluice::cex::exchanges::coinbase_pro::api::client_oid;
use sluice::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, VenueEvent,
};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::coinbase_pro::shapes::order_id_of;
use sluice_sim::exchange::dialects::coinbase_pro::{HttpFault, MockCoinbasePro};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::coinbase_pro_book::config;

fn pair() -> Pair {
    "BTC-USD".parse().unwrap()
}

fn order(
    v: &CoinbaseProSpot,
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

pub(crate) fn credentials(mock: &MockCoinbasePro) -> ApiCredentials {
    ApiCredentials::new(mock.api_key(), mock.api_secret())
        .unwrap()
        .with_passphrase(mock.passphrase())
        .unwrap()
}

fn connector(mock: &MockCoinbasePro) -> CoinbaseProSpot {
    CoinbaseProSpot::new(config(mock), Some(credentials(mock))).unwrap()
}

async fn setup() -> (
    MockCoinbasePro,
    CoinbaseProSpot,
    UnboundedReceiver<VenueEvent>,
) {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let v = connector(&mock);
    let events = v.events();
    v.start_user_stream().await.unwrap();
    wait_for("the private stream", || mock.user_connections() == 1).await;
    (mock, v, events)
}

async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn wait_state(v: &CoinbaseProSpot, id: &ClientOrderId, state: OrderState, filled: Decimal) {
    wait_for(&format!("{id} to be {state} with {filled}"), || {
        v.tracked(id)
            .is_some_and(|o| o.state == state && o.filled == filled)
    })
    .await;
}

fn engine_id(v: &CoinbaseProSpot, id: &ClientOrderId) -> u64 {
    order_id_of(&v.tracked(id).unwrap().venue_order_id.unwrap()).unwrap()
}

fn drain_fills(rx: &mut UnboundedReceiver<VenueEvent>, seen: &mut HashSet<String>) -> Decimal {
    let mut total = Decimal::ZERO;
    while let Ok(e) = rx.try_recv() {
        if let VenueEvent::Fill(f) = e {
            assert!(
                seen.insert(f.trade_id.clone()),
                "fill {} counted twice",
                f.trade_id
            );
            assert!(
                f.fee_amount > Decimal::ZERO,
                "a fill carries its fee: {f:?}"
            );
            assert_eq!(f.fee_asset.as_str(), "USD");
            total += f.amount;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = setup().await;
    let mut trades = HashSet::new();
    // a resting buy, filled in two steps by the simulator
    let buy = v
        .submit(order(
            &v,
            Side::Buy,
            OrderType::Limit,
            dec!(0.5),
            Some(dec!(99.5)),
        ))
        .await
        .unwrap();
    wait_state(&v, &buy, OrderState::Open, dec!(0)).await;
    let oid = engine_id(&v, &buy);
    assert_eq!(
        mock.orders_of(mock.account()).last().unwrap().client_oid,
        client_oid(&buy).unwrap()
    );
    mock.fill_order(oid, Some(dec!(0.2)));
    wait_state(&v, &buy, OrderState::PartiallyFilled, dec!(0.2)).await;
    mock.fill_order(oid, None);
    wait_state(&v, &buy, OrderState::Filled, dec!(0.5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.5));
    let fills = v
        .order_fills(&v.tracked(&buy).unwrap().request)
        .await
        .unwrap();
    assert_eq!(fills.len(), 2);
    // the fee of a maker fill: price × size × the maker rate, in USD
    assert!(
        fills
            .iter()
            .all(|f| f.is_maker && f.fee_amount == f.price * f.amount * dec!(0.004))
    );

    // a taker IOC sell crossing the book fills at once
    let mut ioc = order(&v, Side::Sell, OrderType::Limit, dec!(0.3), Some(dec!(99)));
    ioc.time_in_force = TimeInForce::Ioc;
    let ioc = v.submit(ioc).await.unwrap();
    wait_state(&v, &ioc, OrderState::Filled, dec!(0.3)).await;

    // a market buy of a base size
    let mkt = v
        .submit(order(&v, Side::Buy, OrderType::Market, dec!(0.1), None))
        .await
        .unwrap();
    wait_state(&v, &mkt, OrderState::Filled, dec!(0.1)).await;

    // cancel a resting sell
    let sell = v
        .submit(order(
            &v,
            Side::Sell,
            OrderType::Limit,
            dec!(0.2),
            Some(dec!(102)),
        ))
        .await
        .unwrap();
    wait_state(&v, &sell, OrderState::Open, dec!(0)).await;
    v.cancel(&sell).await.unwrap();
    wait_state(&v, &sell, OrderState::Cancelled, dec!(0)).await;
    // cancelling it again is refused (the order is done), the order stays cancelled
    assert!(v.cancel(&sell).await.is_err());
    assert_eq!(v.tracked(&sell).unwrap().state, OrderState::Cancelled);

    // rejects: not enough funds, a post-only order that would take
    let big = order(&v, Side::Buy, OrderType::Limit, dec!(5000), Some(dec!(99)));
    let big_id = big.client_id.clone();
    match v.submit(big).await {
        Err(VenueError::Rejected { reason, .. }) => {
            assert!(reason.contains("Insufficient funds"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(v.tracked(&big_id).unwrap().state, OrderState::Failed);
    let poc = order(
        &v,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.1),
        Some(dec!(101)),
    );
    let poc_id = poc.client_id.clone();
    let _ = v.submit(poc).await;
    wait_state(&v, &poc_id, OrderState::Failed, dec!(0)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drain_fills(&mut events, &mut trades);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = setup().await;
    v.sync_clock().await.unwrap();
    mock.inject_http_fault(HttpFault::LostAck);
    let o = order(&v, Side::Buy, OrderType::Limit, dec!(0.1), Some(dec!(98)));
    let id = o.client_id.clone();
    assert!(v.submit(o.clone()).await.is_err(), "no answer came");
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Unknown);
    // the order exists at the exchange: polling finds it by client_oid
    v.reconcile().await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let oid = client_oid(&id).unwrap();
    let ours = mock
        .orders_of(mock.account())
        .into_iter()
        .filter(|o| o.client_oid == oid)
        .count();
    assert_eq!(ours, 1, "sent exactly once");
    assert!(v.submit(o).await.is_err());
    assert_eq!(mock.orders_of(mock.account()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = setup().await;
    let id = v
        .submit(order(
            &v,
            Side::Sell,
            OrderType::Limit,
            dec!(0.4),
            Some(dec!(101)),
        ))
        .await
        .unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let oid = engine_id(&v, &id);
    mock.fill_order_while_user_streams_down(oid, Some(dec!(0.1)));
    mock.fill_order(oid, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.user_connections(), 0, "the private stream is down");
    wait_state(&v, &id, OrderState::Filled, dec!(0.4)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut trades = HashSet::new();
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.4));
    assert_eq!(trades.len(), 2);
    mock.set_user_streams_down(false);
    wait_for("the private stream again", || mock.user_connections() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().filled, dec!(0.4));
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = setup().await;
    let req = order(&v, Side::Buy, OrderType::Limit, dec!(0.3), Some(dec!(99.5)));
    let id = v.submit(req.clone()).await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    mock.fill_order(engine_id(&v, &id), Some(dec!(0.1)));
    // a new connector (a restart) knows nothing of the order, yet finds it by its client_oid
    let fresh = connector(&mock);
    let listed = fresh.list_open_orders(Some(&pair())).await.unwrap();
    assert!(listed.iter().any(|o| o.request.client_id == id));
    let adopted = fresh.adopt_order(&id).await.unwrap();
    assert_eq!(adopted.request.price, Some(dec!(99.5)));
    let o = fresh.order_status(&req).await.unwrap();
    assert_eq!(
        (o.state, o.filled),
        (OrderState::PartiallyFilled, dec!(0.1))
    );
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
