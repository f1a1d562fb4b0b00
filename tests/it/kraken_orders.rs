//! Orders through the Kraken connector against the simulated Kraken: place, partial fill (from the
//! private stream), cancel, reject with Kraken's reason; a lost acknowledgement is reconciled and
//! never resent; a fill during a private-stream outage is found by polling and counted once; a
//! restarted process adopts its open order by client id.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::kraken::KrakenSpot;
use sluice::core::{OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::kraken::{HttpFault, MockKraken};

use crate::kraken_support::{eventually, start, trading_venue};

fn pair() -> Pair {
    "BTC-USD".parse().unwrap()
}

fn order(
    v: &KrakenSpot,
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

async fn setup() -> (MockKraken, KrakenSpot) {
    let mock = start(20).await;
    mock.seed_book("XBTUSD", dec!(30000), 10, 10, dec!(1))
        .unwrap();
    let v = trading_venue(&mock, 20);
    v.start(&[pair()]).await.unwrap();
    (mock, v)
}

async fn state_is(v: &KrakenSpot, o: &OrderRequest, want: OrderState) -> bool {
    eventually(Duration::from_secs(15), || {
        v.tracked(&o.client_id).is_some_and(|t| t.state == want)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_place_partial_fill_cancel_and_reject() {
    let (mock, v) = setup().await;
    // a resting limit buy below the book, partly filled behind our back: the stream reports it
    let o = order(
        &v,
        Side::Buy,
        OrderType::Limit,
        dec!(0.5),
        Some(dec!(29000)),
    );
    v.submit(o.clone()).await.unwrap();
    let at = mock.orders_by_client_id(o.client_id.as_str());
    assert_eq!(at.len(), 1);
    assert_eq!(mock.fill_order(at[0].engine_id, Some(dec!(0.2))), dec!(0.2));
    assert!(state_is(&v, &o, OrderState::PartiallyFilled).await);
    let t = v.tracked(&o.client_id).unwrap();
    assert_eq!(t.filled, dec!(0.2));
    let fills = v.order_fills(&o).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!((fills[0].amount, fills[0].price), (dec!(0.2), dec!(29000)));
    assert_eq!(fills[0].fee_asset.as_str(), "USD");
    assert!(fills[0].fee_amount > Decimal::ZERO);
    // cancel
    v.cancel(&o.client_id).await.unwrap();
    assert!(state_is(&v, &o, OrderState::Cancelled).await);
    assert_eq!(
        mock.orders_by_client_id(o.client_id.as_str())[0].status,
        "canceled"
    );

    // a buy the account cannot pay: Kraken's reason, typed, order failed
    let big = order(&v, Side::Buy, OrderType::Limit, dec!(50), Some(dec!(29000)));
    match v.submit(big.clone()).await {
        Err(VenueError::Rejected { reason, .. }) => {
            assert!(reason.contains("EOrder:Insufficient funds"), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(v.tracked(&big.client_id).unwrap().state, OrderState::Failed);
    // a post-only order that would take is refused by Kraken's rule
    let post = order(
        &v,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.1),
        Some(dec!(30100)),
    );
    match v.submit(post.clone()).await {
        Err(VenueError::Rejected { reason, .. }) => {
            assert!(reason.contains("EOrder:Post only order"), "{reason}")
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    // a market sell fills at once
    let m = order(&v, Side::Sell, OrderType::Market, dec!(0.3), None);
    v.submit(m.clone()).await.unwrap();
    assert!(state_is(&v, &m, OrderState::Filled).await);
    assert_eq!(v.tracked(&m.client_id).unwrap().filled, dec!(0.3));
    Venue::close(&v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v) = setup().await;
    let o = order(
        &v,
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(29500)),
    );
    mock.inject_http_fault(HttpFault::DropAfterExecuting);
    let r = v.submit(o.clone()).await;
    assert!(
        matches!(r, Err(VenueError::Network(_)) | Err(VenueError::Timeout(_))),
        "{r:?}"
    );
    // the order exists at Kraken; the tracker learns it (stream or poll), and nothing is resent
    assert!(
        state_is(&v, &o, OrderState::Open).await,
        "{:?}",
        v.tracked(&o.client_id)
    );
    v.reconcile().await.unwrap();
    assert_eq!(
        mock.orders_by_client_id(o.client_id.as_str()).len(),
        1,
        "sent exactly once"
    );
    Venue::close(&v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_a_fill_during_a_stream_outage_is_polled_and_counted_once() {
    let (mock, v) = setup().await;
    let o = order(
        &v,
        Side::Sell,
        OrderType::Limit,
        dec!(0.4),
        Some(dec!(31000)),
    );
    v.submit(o.clone()).await.unwrap();
    assert!(state_is(&v, &o, OrderState::Open).await);
    let id = mock.orders_by_client_id(o.client_id.as_str())[0].engine_id;
    assert_eq!(mock.fill_order_while_user_streams_down(id, None), dec!(0.4));
    // the reconciler (every 5 s) finds the fill by polling
    assert!(state_is(&v, &o, OrderState::Filled).await);
    mock.set_user_streams_down(false);
    tokio::time::sleep(Duration::from_secs(2)).await;
    v.reconcile().await.unwrap();
    let t = v.tracked(&o.client_id).unwrap();
    assert_eq!(t.filled, dec!(0.4), "the fill is counted once");
    assert_eq!(v.order_fills(&o).await.unwrap().len(), 1);
    Venue::close(&v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_a_restart_adopts_open_orders_by_client_id() {
    let (mock, v) = setup().await;
    let o = order(
        &v,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.25),
        Some(dec!(29100)),
    );
    v.submit(o.clone()).await.unwrap();
    Venue::close(&v).await;
    drop(v);
    // a new process: same keys, nothing tracked
    let again = trading_venue(&mock, 20);
    assert!(again.tracked(&o.client_id).is_none());
    let adopted = again.adopt_order(&o.client_id).await.unwrap();
    assert_eq!(adopted.request.order_type, OrderType::LimitMaker);
    assert_eq!(
        (adopted.request.amount, adopted.request.price),
        (dec!(0.25), Some(dec!(29100)))
    );
    let status = again.order_status(&o).await.unwrap();
    assert_eq!(status.state, OrderState::Open);
    let open = again.list_open_orders(Some(&pair())).await.unwrap();
    assert!(open.iter().any(|x| x.request.client_id == o.client_id));
}
