//! Orders through the OKX connector against the simulated OKX: place, partial fills, fill,
//! cancel and refusals (insufficient balance, a crossing post-only order) reach the right state
//! with OKX's codes; an order whose answer is lost is reconciled, never resent; an order filled
//! while the private stream is down is reconciled by polling with its fills counted once; a
//! restarted connector adopts its orders by client id.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::okx::{OkxConfig, OkxSpot};
use sluice::core::{ClientOrderId, OrderRequest, OrderState, OrderType, Pair, Side, VenueEvent};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::okx::{HttpFault, MockOkx};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::cex_support::{self as cex, drain_fills, venue_order_id, wait_for, wait_state};

pub(crate) fn okx_config(mock: &MockOkx) -> OkxConfig {
    OkxConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..OkxConfig::okx()
    }
}

pub(crate) fn okx_venue(mock: &MockOkx) -> OkxSpot {
    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret())
        .unwrap()
        .with_passphrase(mock.passphrase())
        .unwrap();
    OkxSpot::new(okx_config(mock), Some(creds)).unwrap()
}

fn pair() -> Pair {
    "BTC-USDT".parse().unwrap()
}

fn order(
    v: &OkxSpot,
    side: Side,
    ty: OrderType,
    amount: Decimal,
    price: Option<Decimal>,
) -> OrderRequest {
    cex::order(v, &pair(), side, ty, amount, price)
}

async fn setup() -> (MockOkx, OkxSpot, UnboundedReceiver<VenueEvent>) {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let v = okx_venue(&mock);
    let events = v.events();
    // a signed request first: the clock is synced before any injected fault
    v.balances().await.unwrap();
    v.start_user_stream().await.unwrap();
    assert_eq!(mock.logins(), 1, "logged in once");
    (mock, v, events)
}

async fn resting(v: &OkxSpot, side: Side, amount: Decimal, price: Decimal) -> ClientOrderId {
    let id = v
        .submit(order(v, side, OrderType::Limit, amount, Some(price)))
        .await
        .unwrap();
    wait_state(v, &id, OrderState::Open, dec!(0)).await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn place_partial_fills_cancel_and_refusals() {
    let (mock, v, mut events) = setup().await;
    let mut trades = HashSet::new();

    // a resting buy filled in two steps by the exchange, seen on the private stream
    let id = resting(&v, Side::Buy, dec!(0.5), dec!(99)).await;
    assert!(id.as_str().starts_with("sluice") && id.as_str().len() <= 32);
    let oid = venue_order_id(&v, &id);
    assert_eq!(mock.fill_order(oid, Some(dec!(0.2))), dec!(0.2));
    wait_state(&v, &id, OrderState::PartiallyFilled, dec!(0.2)).await;
    assert_eq!(mock.fill_order(oid, None), dec!(0.3));
    wait_state(&v, &id, OrderState::Filled, dec!(0.5)).await;
    assert_eq!(v.tracked(&id).unwrap().average_price(), Some(dec!(99)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain_fills(&mut events, &mut trades, |_| {}), dec!(0.5));

    // cancel
    let c = resting(&v, Side::Sell, dec!(0.1), dec!(101)).await;
    v.cancel(&c).await.unwrap();
    wait_state(&v, &c, OrderState::Cancelled, dec!(0)).await;
    assert_eq!(
        mock.order_by_client_id(c.as_str()).unwrap().state,
        "canceled"
    );
    // cancelling it again is refused by OKX (51400), and the order stays cancelled
    assert!(v.cancel(&c).await.is_err());
    wait_state(&v, &c, OrderState::Cancelled, dec!(0)).await;

    // a post-only order that would take: 51019, failed with OKX's reason
    let r = order(
        &v,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.1),
        Some(dec!(100.1)),
    );
    let rid = r.client_id.clone();
    match v.submit(r).await {
        Err(VenueError::Rejected { code, reason }) => {
            assert_eq!(code.as_deref(), Some("51019"));
            assert!(reason.contains("Post only"), "{reason}");
        }
        other => panic!("a crossing post-only order was accepted: {other:?}"),
    }
    assert_eq!(v.tracked(&rid).unwrap().state, OrderState::Failed);

    // insufficient balance: 51008
    let big = order(&v, Side::Buy, OrderType::Limit, dec!(500), Some(dec!(99)));
    match v.submit(big).await {
        Err(VenueError::Rejected { code, .. }) => assert_eq!(code.as_deref(), Some("51008")),
        other => panic!("{other:?}"),
    }
    // a rule violation never reaches the wire
    let before = mock.orders_of(mock.account()).len();
    let off_tick = order(
        &v,
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(99.05)),
    );
    assert!(matches!(v.submit(off_tick).await, Err(VenueError::Rule(_))));
    assert_eq!(mock.orders_of(mock.account()).len(), before);

    // a market order fills at once: read back with its fills, then the stream's copies
    let m = order(&v, Side::Buy, OrderType::Market, dec!(1.5), None);
    let mid = v.submit(m.clone()).await.unwrap();
    wait_state(&v, &mid, OrderState::Filled, dec!(1.5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let o = v.tracked(&mid).unwrap();
    assert_eq!(o.filled, dec!(1.5), "no fill counted twice");
    // 1 at 100.1, 0.5 at 100.2
    assert_eq!(o.filled_quote, dec!(150.2));
    assert_eq!(drain_fills(&mut events, &mut trades, |_| {}), dec!(1.5));
    let fills = v.order_fills(&m).await.unwrap();
    assert_eq!(fills.iter().map(|f| f.amount).sum::<Decimal>(), dec!(1.5));
    assert!(
        fills
            .iter()
            .all(|f| f.venue == "okx" && f.fee_amount > Decimal::ZERO)
    );
    // fees are taken in the asset received (BTC for a buy), 0.1 % taker
    assert_eq!(
        fills.iter().map(|f| f.fee_amount).sum::<Decimal>(),
        dec!(0.0015)
    );
    // balances over REST
    let b = v.balances().await.unwrap();
    assert!(b.iter().any(|b| b.asset.as_str() == "USDT"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = setup().await;
    // the order is placed, then the connection closes without an answer
    mock.inject_http_fault(HttpFault::DropConnection);
    let o = order(&v, Side::Buy, OrderType::Limit, dec!(0.1), Some(dec!(98)));
    let id = o.client_id.clone();
    assert!(v.submit(o.clone()).await.is_err());
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Unknown);
    // polling finds it: open, exactly one order at the exchange
    let found = v.order_status(&o).await.unwrap();
    assert_eq!(found.state, OrderState::Open);
    let placed: Vec<_> = mock
        .orders_of(mock.account())
        .into_iter()
        .filter(|x| x.cl_ord_id == id.as_str())
        .collect();
    assert_eq!(placed.len(), 1, "never resent");
    // a gateway page on a cancel: the outcome is unknown, the exchange is asked
    mock.inject_http_fault(HttpFault::HtmlPage { status: 502 });
    assert!(v.cancel(&id).await.is_err());
    let after = v.order_status(&o).await.unwrap();
    assert_eq!(
        after.state,
        OrderState::Cancelled,
        "the cancel went through"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fill_during_a_stream_outage_is_reconciled_once() {
    let (mock, v, mut events) = setup().await;
    let id = resting(&v, Side::Sell, dec!(0.4), dec!(101)).await;
    let oid = venue_order_id(&v, &id);
    mock.fill_order_while_user_streams_down(oid, Some(dec!(0.1)));
    mock.fill_order(oid, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        v.tracked(&id).unwrap().state,
        OrderState::Open,
        "the stream missed it"
    );
    mock.set_user_streams_down(false);
    // the stream logs in again and the connector polls the orders it holds
    wait_state(&v, &id, OrderState::Filled, dec!(0.4)).await;
    wait_for("a second login", || mock.logins() >= 2).await;
    let mut trades = HashSet::new();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(drain_fills(&mut events, &mut trades, |_| {}), dec!(0.4));
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().filled, dec!(0.4));
    assert_eq!(
        drain_fills(&mut events, &mut trades, |_| {}),
        dec!(0),
        "fills counted once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = setup().await;
    let req = order(&v, Side::Buy, OrderType::Limit, dec!(0.3), Some(dec!(99.5)));
    let id = v.submit(req.clone()).await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    mock.fill_order(venue_order_id(&v, &id), Some(dec!(0.1)));
    drop(v);
    let fresh = okx_venue(&mock);
    let open = fresh.list_open_orders(Some(&pair())).await.unwrap();
    assert!(open.iter().any(|o| o.request.client_id == id));
    let adopted = fresh.adopt_order(&id).await.unwrap();
    assert_eq!(
        adopted.request, req,
        "the request is rebuilt from OKX's record"
    );
    let adopted = fresh.order_status(&adopted.request).await.unwrap();
    assert_eq!(
        (adopted.state, adopted.filled),
        (OrderState::PartiallyFilled, dec!(0.1))
    );
    assert_eq!(adopted.request.price, Some(dec!(99.5)));
    assert_eq!(fresh.order_fills(&req).await.unwrap().len(), 1);
    let unknown = OrderRequest {
        client_id: ClientOrderId::new("neverSent1").unwrap(),
        ..req.clone()
    };
    assert!(matches!(
        fresh.order_status(&unknown).await,
        Err(VenueError::UnknownOrder(_))
    ));
}
