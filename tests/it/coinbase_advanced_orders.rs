//! Orders through the Coinbase Advanced Trade connector against the simulated venue: place,
//! partial fill, fill, cancel and reject (insufficient funds, a post-only order that would take)
//! reach the right state, with fills (fees, trade ids) fetched once each; a lost acknowledgement
//! leaves the order unknown, then polling finds it by client id and it is never sent twice; fills
//! made during a user-channel outage, or lost from the channel (a sequence gap), are reconciled by
//! polling and counted once; a restarted connector adopts its orders by client id.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::coinbase_advanced::CoinbaseAdvancedSpot;
use sluice::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, VenueEvent,
};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::coinbase_advanced::{HttpFault, MockCoinbaseAdvanced};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::coinbase_advanced_book::config;

fn pair() -> Pair {
    "BTC-USD".parse().unwrap()
}

fn order(
    v: &CoinbaseAdvancedSpot,
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

pub(crate) fn connector(mock: &MockCoinbaseAdvanced) -> CoinbaseAdvancedSpot {
    CoinbaseAdvancedSpot::new(
        config(mock),
        Some(ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap()),
    )
    .unwrap()
}

async fn setup() -> (
    MockCoinbaseAdvanced,
    CoinbaseAdvancedSpot,
    UnboundedReceiver<VenueEvent>,
) {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let v = connector(&mock);
    v.set_reconcile_interval(Duration::from_millis(500));
    let events = v.events();
    v.start_user_stream().await.unwrap();
    wait_for("the user channel", || mock.user_connections() == 1).await;
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

async fn wait_state(
    v: &CoinbaseAdvancedSpot,
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

/// The simulator's engine id of the order of client id `id`.
fn engine_id(mock: &MockCoinbaseAdvanced, id: &ClientOrderId) -> u64 {
    mock.orders_of(mock.account())
        .into_iter()
        .find(|o| o.client_order_id == id.as_str())
        .unwrap()
        .id
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
            total += f.amount;
        }
    }
    total
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_place_partial_fill_fill_cancel_reject() {
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
    let eid = engine_id(&mock, &buy);
    let oid = v.tracked(&buy).unwrap().venue_order_id.unwrap();
    mock.fill_order(eid, Some(dec!(0.2)));
    wait_state(&v, &buy, OrderState::PartiallyFilled, dec!(0.2)).await;
    mock.fill_order(eid, None);
    wait_state(&v, &buy, OrderState::Filled, dec!(0.5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.5));
    let fills = v
        .order_fills(&v.tracked(&buy).unwrap().request)
        .await
        .unwrap();
    assert_eq!(fills.len(), 2);
    assert!(
        fills
            .iter()
            .all(|f| f.venue_order_id.as_deref() == Some(oid.as_str()))
    );
    assert!(
        fills
            .iter()
            .all(|f| f.is_maker && f.fee_asset.as_str() == "USD")
    );

    // a taker IOC sell crossing the book fills at once
    let mut ioc = order(&v, Side::Sell, OrderType::Limit, dec!(0.3), Some(dec!(99)));
    ioc.time_in_force = TimeInForce::Ioc;
    let ioc = v.submit(ioc).await.unwrap();
    wait_state(&v, &ioc, OrderState::Filled, dec!(0.3)).await;

    // a market buy of a base amount
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
    // cancelling it again is refused (UNKNOWN_CANCEL_ORDER); the order stays cancelled
    assert!(v.cancel(&sell).await.is_err());
    assert_eq!(v.tracked(&sell).unwrap().state, OrderState::Cancelled);

    // rejects: not enough funds, a post-only order that would take
    let big = order(&v, Side::Buy, OrderType::Limit, dec!(5000), Some(dec!(99)));
    let big_id = big.client_id.clone();
    match v.submit(big).await {
        Err(VenueError::Rejected { reason, .. }) => {
            assert!(reason.contains("INSUFFICIENT_FUND"), "{reason}")
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
    match v.submit(poc).await {
        Err(VenueError::Rejected { reason, .. }) => {
            assert!(reason.contains("POST_ONLY"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(v.tracked(&poc_id).unwrap().state, OrderState::Failed);
    // balances from /accounts: available plus hold
    let b = v.balances().await.unwrap();
    let usd = b.iter().find(|b| b.asset.as_str() == "USD").unwrap();
    assert_eq!(
        usd.total,
        mock.balance(mock.account(), "USD").free + mock.balance(mock.account(), "USD").locked
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    drain_fills(&mut events, &mut trades);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = setup().await;
    v.sync_clock().await.unwrap();
    mock.inject_http_fault(HttpFault::LostAck);
    let o = order(&v, Side::Buy, OrderType::Limit, dec!(0.1), Some(dec!(98)));
    let id = o.client_id.clone();
    assert!(v.submit(o.clone()).await.is_err(), "no answer came");
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Unknown);
    // the order exists at the exchange: polling finds it by client id in the order history
    v.reconcile().await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let ours: Vec<_> = mock
        .orders_of(mock.account())
        .into_iter()
        .filter(|o| o.client_order_id == id.as_str())
        .collect();
    assert_eq!(ours.len(), 1, "sent exactly once");
    assert!(v.submit(o).await.is_err());
    assert_eq!(mock.orders_of(mock.account()).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_fills_during_a_stream_outage_are_reconciled_once() {
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
    let eid = engine_id(&mock, &id);
    mock.fill_order_while_user_streams_down(eid, Some(dec!(0.1)));
    mock.fill_order(eid, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.user_connections(), 0, "the user channel is down");
    wait_state(&v, &id, OrderState::Filled, dec!(0.4)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut trades = HashSet::new();
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0.4));
    assert_eq!(trades.len(), 2);
    mock.set_user_streams_down(false);
    wait_for("the user channel again", || mock.user_connections() == 1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().filled, dec!(0.4));
    assert_eq!(drain_fills(&mut events, &mut trades), dec!(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_lost_user_messages_are_a_gap_that_reconciles() {
    let (mock, v, mut events) = setup().await;
    let id = v
        .submit(order(
            &v,
            Side::Buy,
            OrderType::Limit,
            dec!(0.3),
            Some(dec!(99)),
        ))
        .await
        .unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let eid = engine_id(&mock, &id);
    // the update of this fill is lost; the next heartbeat shows the gap
    mock.lose_next_user_messages(1);
    mock.fill_order(eid, Some(dec!(0.1)));
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.1)).await;
    let mut resynced = false;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut trades = HashSet::new();
    let mut total = Decimal::ZERO;
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::Resynced { .. } => resynced = true,
            VenueEvent::Fill(f) => {
                assert!(trades.insert(f.trade_id.clone()));
                total += f.amount;
            }
            _ => {}
        }
    }
    assert_eq!(total, dec!(0.1));
    assert!(resynced, "a gap in the user channel is a resync");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = setup().await;
    let req = order(&v, Side::Buy, OrderType::Limit, dec!(0.3), Some(dec!(99.5)));
    let id = v.submit(req.clone()).await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    mock.fill_order(engine_id(&mock, &id), Some(dec!(0.1)));
    // a new connector (a restart) knows nothing of the order, yet finds it by client id
    let fresh = connector(&mock);
    let listed = fresh.list_open_orders(Some(&pair())).await.unwrap();
    assert!(listed.iter().any(|o| o.request.client_id == id));
    let fresh2 = connector(&mock);
    let adopted = fresh2.adopt_order(&id).await.unwrap();
    assert_eq!(adopted.request.price, Some(dec!(99.5)));
    let o = fresh2.order_status(&req).await.unwrap();
    assert_eq!(
        (o.state, o.filled),
        (OrderState::PartiallyFilled, dec!(0.1))
    );
    assert_eq!(fresh2.order_fills(&req).await.unwrap().len(), 1);
    let unknown = OrderRequest {
        client_id: ClientOrderId::new("never-sent").unwrap(),
        ..req.clone()
    };
    assert!(matches!(
        fresh2.order_status(&unknown).await,
        Err(VenueError::UnknownOrder(_))
    ));
}
