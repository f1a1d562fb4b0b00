//! The generic exchange venue's rules, driven by a small fake exchange ([`fake`]), not Binance:
//! submit → fill via the private stream; an unknown outcome reconciled (never resent) and an
//! earlier process's order adopted; the cancel of a lost order; the private stream's reconnect
//! and resync; the markets reloaded for a symbol the cache lacks.

mod fake;
mod perp;

use std::time::Duration;

use rust_decimal::Decimal;

use crate::cex::stream::StreamEvent;
use crate::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, VenueEvent,
};
use crate::venue::{EventReceiver, Venue, VenueError};

use self::fake::{SubmitMode, market, venue};

fn eth() -> Pair {
    "ETH-USD".parse().expect("pair")
}

fn order(id: &str, pair: Pair) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).expect("id"),
        pair,
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: Decimal::ONE,
        price: Some(Decimal::new(100, 0)),
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

fn frame(symbol: &str, id: &str, state: &str, cum: &str, fill: Option<&str>) -> StreamEvent {
    let fill = fill.map_or("null".to_string(), |t| {
        format!("[\"100\",\"{cum}\",\"{t}\"]")
    });
    StreamEvent::Message(
        format!(
            r#"{{"symbol":"{symbol}","id":"{id}","oid":"v1","state":"{state}","cum":"{cum}","fill":{fill}}}"#
        )
        .into(),
    )
}

/// Waits (bounded) until `f` holds.
async fn eventually(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..200 {
        if f() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    f()
}

fn drain(rx: &mut EventReceiver) -> Vec<VenueEvent> {
    let mut v = Vec::new();
    while let Ok(e) = rx.try_recv() {
        v.push(e);
    }
    v
}

#[tokio::test]
async fn a_fill_on_the_private_stream_completes_a_submitted_order() {
    let (fake, v) = venue();
    let mut events = v.events();
    v.start(&[]).await.expect("started");
    assert_eq!(v.user_stream_mechanism(), Some("fake"));
    let req = order("fk-1", eth());
    let id = v.submit(req).await.expect("accepted");
    assert_eq!(v.tracked(&id).expect("tracked").state, OrderState::Open);
    // an order this process did not send is not adopted from the stream
    fake.push(frame("ETHUSD", "other-9", "filled", "1", Some("t0")))
        .await;
    fake.push(frame("ETHUSD", "fk-1", "filled", "1", Some("t1")))
        .await;
    assert!(
        eventually(|| v
            .tracked(&id)
            .is_some_and(|o| o.state == OrderState::Filled))
        .await
    );
    assert_eq!(v.tracked(&id).expect("tracked").filled, Decimal::ONE);
    assert!(
        v.tracked(&ClientOrderId::new("other-9").expect("id"))
            .is_none()
    );
    let fills: Vec<_> = drain(&mut events)
        .into_iter()
        .filter_map(|e| match e {
            VenueEvent::Fill(f) => Some(f.trade_id),
            _ => None,
        })
        .collect();
    assert_eq!(fills, vec!["t1".to_string()]);
    assert_eq!(fake.calls("submit"), 1);
    v.close();
}

#[tokio::test]
async fn an_unknown_outcome_is_reconciled_never_resent() {
    let (fake, v) = venue();
    fake.lock().submit_mode = SubmitMode::NoAnswer;
    let req = order("fk-2", eth());
    let id = req.client_id.clone();
    assert!(matches!(v.submit(req).await, Err(VenueError::Timeout(_))));
    assert_eq!(v.tracked(&id).expect("tracked").state, OrderState::Unknown);
    // the exchange had it, and it traded meanwhile
    fake.fill_silently(&id, Decimal::new(100, 0));
    v.reconcile().await.expect("reconciled");
    let o = v.tracked(&id).expect("tracked");
    assert_eq!(o.state, OrderState::Filled);
    assert_eq!(o.filled, Decimal::ONE);
    assert_eq!(fake.calls("trades"), 1, "the missed fill is fetched");
    assert_eq!(
        fake.calls("submit"),
        1,
        "an unknown outcome is never resent"
    );
}

#[tokio::test]
async fn a_restarted_venue_adopts_its_open_order_and_reconciles_it() {
    let (fake, first) = venue();
    let id = first.submit(order("fk-3", eth())).await.expect("accepted");
    drop(first);
    // a new process: the same exchange, nothing tracked
    let (_, fresh) = venue();
    let fresh = {
        let rest = fresh.rest().clone();
        crate::cex::venue::ExchangeVenue::from_parts(
            "fakex".parse().expect("id"),
            fake.clone(),
            rest,
        )
    };
    assert!(fresh.tracked(&id).is_none());
    let adopted = fresh
        .adopt_order(&id)
        .await
        .expect("adopted from the open orders");
    assert_eq!(adopted.request.client_id, id);
    fake.fill_silently(&id, Decimal::new(100, 0));
    fresh.reconcile().await.expect("reconciled");
    assert_eq!(
        fresh.tracked(&id).expect("tracked").state,
        OrderState::Filled
    );
    // an order the exchange never had is not adopted
    let ghost = ClientOrderId::new("fk-ghost").expect("id");
    assert!(matches!(
        fresh.adopt_order(&ghost).await,
        Err(VenueError::UnknownOrder(_))
    ));
    assert!(matches!(
        fresh.order_status(&order("fk-ghost", eth())).await,
        Err(VenueError::UnknownOrder(_))
    ));
}

#[tokio::test]
async fn the_cancel_of_a_lost_order_keeps_it_lost_and_asks_again() {
    let (fake, v) = venue();
    let req = order("fk-4", eth());
    let id = req.client_id.clone();
    v.adopt(req).expect("tracked");
    // the exchange never heard of it: three polls in a row mark it lost
    for _ in 0..3 {
        v.reconcile().await.expect("polled");
    }
    assert!(v.is_lost(&id));
    assert_eq!(v.tracked(&id).expect("tracked").state, OrderState::Unknown);
    let queries = fake.calls("query");
    let r = v.cancel(&id).await;
    assert!(r.is_err(), "the exchange refused the cancel: {r:?}");
    let o = v.tracked(&id).expect("tracked");
    assert_eq!(
        o.state,
        OrderState::Unknown,
        "not left pending cancel, not cancelled"
    );
    assert!(v.is_lost(&id));
    assert_eq!(fake.calls("cancel"), 1);
    assert_eq!(
        fake.calls("query"),
        queries + 1,
        "a failed cancel asks where the order is"
    );
    assert!(
        lock_tracker_to_reconcile(&v).contains(&id),
        "a lost order stays polled"
    );
}

fn lock_tracker_to_reconcile(
    v: &crate::cex::venue::ExchangeVenue<fake::Fake>,
) -> Vec<ClientOrderId> {
    crate::cex::venue::lock(&v.inner.tracker).to_reconcile()
}

#[tokio::test]
async fn a_reconnected_private_stream_reconciles_and_reports_resynced() {
    let (fake, v) = venue();
    let mut events = v.events();
    v.start_user_stream().await.expect("stream");
    let id = v.submit(order("fk-5", eth())).await.expect("accepted");
    fake.push(StreamEvent::Disconnected {
        reason: "reset".into(),
    })
    .await;
    // it fills while the stream is down: no frame will ever say so
    fake.fill_silently(&id, Decimal::new(100, 0));
    fake.push(StreamEvent::Connected { reconnect: true }).await;
    assert!(
        eventually(|| v
            .tracked(&id)
            .is_some_and(|o| o.state == OrderState::Filled))
        .await
    );
    let mut seen = Vec::new();
    assert!(
        eventually(|| {
            seen.extend(drain(&mut events));
            seen.iter()
                .any(|e| matches!(e, VenueEvent::Resynced { .. }))
        })
        .await
    );
    let lost = seen
        .iter()
        .position(|e| matches!(e, VenueEvent::ConnectionLost { .. }));
    let resynced = seen
        .iter()
        .position(|e| matches!(e, VenueEvent::Resynced { .. }));
    assert!(lost.is_some() && lost < resynced, "{seen:?}");
    v.stop_user_stream().await;
    assert_eq!(v.user_stream_mechanism(), None);
}

#[tokio::test]
async fn a_symbol_listed_after_the_markets_loaded_is_found_by_a_reload() {
    let (fake, v) = venue();
    v.start_user_stream().await.expect("stream");
    let btc: Pair = "BTC-USD".parse().expect("pair");
    assert!(v.load_markets().await.expect("markets").get(&btc).is_none());
    fake.lock().markets.push(market("BTC-USD", "BTCUSD"));
    // an update on the new symbol: the markets are reloaded and the update applied
    let req = order("fk-6", btc.clone());
    let id = req.client_id.clone();
    v.adopt(req.clone()).expect("tracked");
    fake.lock().orders.insert(id.clone(), (req, fake_ack()));
    fake.push(frame("BTCUSD", "fk-6", "filled", "1", Some("t6")))
        .await;
    assert!(
        eventually(|| v
            .tracked(&id)
            .is_some_and(|o| o.state == OrderState::Filled))
        .await
    );
    assert_eq!(fake.calls("markets"), 2);
    // a pair the exchange still does not list: one more reload at most, then UnknownPair
    let doge: Pair = "DOGE-USD".parse().expect("pair");
    assert!(matches!(
        v.market(&doge).await,
        Err(VenueError::UnknownPair { .. })
    ));
    assert!(matches!(
        v.market(&doge).await,
        Err(VenueError::UnknownPair { .. })
    ));
    assert_eq!(fake.calls("markets"), 2, "reloads are throttled");
}

#[tokio::test]
async fn dropping_a_started_venue_ends_its_stream_and_reconciler() {
    let (fake, v) = venue();
    v.start(&[]).await.expect("started");
    let tx = fake.lock().stream.clone().expect("stream open");
    let reconciler = v.spawn_reconciler(Duration::from_millis(5));
    assert!(!tx.is_closed());
    drop(v);
    assert!(
        eventually(|| tx.is_closed()).await,
        "the consumer holds the venue weakly"
    );
    assert!(
        eventually(|| reconciler.is_finished()).await,
        "so does the reconciler"
    );
}

fn fake_ack() -> crate::cex::venue::OrderAck {
    crate::cex::venue::OrderAck {
        venue_order_id: "v1".into(),
        status: "open".into(),
        state: Some(OrderState::Open),
        executed: Some(Decimal::ZERO),
        fills: Vec::new(),
    }
}
