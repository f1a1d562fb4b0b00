//! What the exchanges' tests share: waiting for a condition or an order state, building an order,
//! counting fill events once, and the order scenarios every simulated exchange runs the same way
//! (place, fill, cancel and refuse; a lost acknowledgement; fills during a private-stream outage; a
//! restarted connector adopting its orders). A venue says only what differs through
//! [`OrderSim`]: how its simulator is started and seeded, how it names our client id, its refusals.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::venue::{ExchangeApi, ExchangeVenue};
use sluice::core::{
    ClientOrderId, Fill, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce, VenueEvent,
};
use sluice::{Venue, VenueError};
use tokio::sync::mpsc::UnboundedReceiver;

pub mod book;
pub mod cli;
pub mod perp;
pub mod rate_limit;

/// Polls `cond` every 10 ms; fails the test after 20 s, naming `what`.
pub async fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !cond() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits until the venue tracks order `id` in `state` with `filled` base filled.
pub async fn wait_state<E: ExchangeApi>(
    v: &ExchangeVenue<E>,
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

/// A good-till-cancelled order on `pair` with a fresh client id of the venue.
pub fn order<E: ExchangeApi>(
    v: &ExchangeVenue<E>,
    pair: &Pair,
    side: Side,
    ty: OrderType,
    amount: Decimal,
    price: Option<Decimal>,
) -> OrderRequest {
    OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: pair.clone(),
        side,
        order_type: ty,
        amount,
        price,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

/// The venue's order id of tracked order `id`, as a number.
pub fn venue_order_id<E: ExchangeApi>(v: &ExchangeVenue<E>, id: &ClientOrderId) -> u64 {
    v.tracked(id)
        .unwrap()
        .venue_order_id
        .unwrap()
        .parse()
        .unwrap()
}

/// The base amount of every fill event received so far, each passed to `check`; fails on a trade
/// id seen twice (in `seen`, kept across calls).
pub fn drain_fills(
    rx: &mut UnboundedReceiver<VenueEvent>,
    seen: &mut HashSet<String>,
    check: impl Fn(&Fill),
) -> Decimal {
    let mut total = Decimal::ZERO;
    while let Ok(e) = rx.try_recv() {
        if let VenueEvent::Fill(f) = e {
            assert!(
                seen.insert(f.trade_id.clone()),
                "fill {} counted twice",
                f.trade_id
            );
            check(&f);
            total += f.amount;
        }
    }
    total
}

/// A fill carries its fee.
pub fn fee_paid(f: &Fill) {
    assert!(
        f.fee_amount > Decimal::ZERO,
        "a fill carries its fee: {f:?}"
    );
}

/// How a venue refuses an order.
#[derive(Debug, Clone, Copy)]
pub enum Refusal {
    /// At submission, with a reason containing this text.
    Reason(&'static str),
    /// At submission, with this error code.
    Code(&'static str),
    /// Accepted, then failed (the outcome arrives later, on the stream or by polling).
    Later,
}

/// A simulated exchange as the order scenarios drive it; what differs from one venue to the next.
pub trait OrderSim: Sized {
    /// The exchange the connector speaks.
    type Api: ExchangeApi;
    /// The traded pair, as sluice names it.
    const PAIR: &'static str;
    /// What the tests call the private stream in their messages.
    const STREAM: &'static str = "the private stream";
    /// Whether a market buy of a base amount fills exactly that amount (else it is sent in the
    /// quote asset and fills to within the step: at least 0.0999 of 0.1).
    const MARKET_BUY_EXACT: bool;
    /// The refusal of an order the balance cannot pay.
    const NO_BALANCE: Refusal;
    /// The refusal of a post-only order that would take.
    const POST_ONLY_TAKES: Refusal;

    /// The simulator, started, with a book around 100 (10 levels a side, 1 tick apart, 1 each).
    fn start() -> impl Future<Output = Self>;
    /// A new connector to the simulator with its trading keys.
    fn connector(&self) -> ExchangeVenue<Self::Api>;
    /// Settings of the connector the scenarios trade on (none by default).
    fn tune(_v: &ExchangeVenue<Self::Api>) {}
    /// How the exchange records our client id `id`.
    fn client_ref(id: &ClientOrderId) -> String;
    /// The orders of the trader's account at the exchange, oldest first: (engine id, client ref).
    fn orders(&self) -> Vec<(u64, String)>;
    /// Fills the engine's order `id` by `qty` (all that is left if `None`).
    fn fill(&self, id: u64, qty: Option<Decimal>);
    /// Fills it while the private streams are down (they stay down).
    fn fill_while_streams_down(&self, id: u64, qty: Option<Decimal>);
    /// Ends the private-stream outage.
    fn streams_up(&self);
    /// Open private-stream connections.
    fn private_connections(&self) -> usize;
    /// The next order request gets no answer though the order is placed.
    fn lose_next_ack(&self);
    /// What every fill event must show (its fee, by default).
    fn check_fill_event(f: &Fill) {
        fee_paid(f);
    }
    /// What the fills of a resting order, filled as a maker, must show beyond their order id.
    fn check_maker_fills(_fills: &[Fill]) {}

    /// The engine's id of our order `id`.
    fn engine_id(&self, id: &ClientOrderId) -> u64 {
        let want = Self::client_ref(id);
        self.orders()
            .into_iter()
            .find(|(_, r)| *r == want)
            .unwrap_or_else(|| panic!("{id} is not at the exchange"))
            .0
    }

    fn pair() -> Pair {
        Self::PAIR.parse().unwrap()
    }
}

/// The simulator, a connector trading on it, its events, and its private stream up.
pub async fn started<S: OrderSim>() -> (S, ExchangeVenue<S::Api>, UnboundedReceiver<VenueEvent>) {
    let mock = S::start().await;
    let v = mock.connector();
    S::tune(&v);
    let events = v.events();
    v.start_user_stream().await.unwrap();
    wait_for(S::STREAM, || mock.private_connections() == 1).await;
    (mock, v, events)
}

fn assert_refused<S: OrderSim>(
    got: Result<ClientOrderId, VenueError>,
    want: Refusal,
) -> Option<()> {
    match (want, got) {
        (Refusal::Later, _) => return None,
        (Refusal::Reason(text), Err(VenueError::Rejected { reason, .. })) => {
            assert!(reason.contains(text), "{reason}")
        }
        (Refusal::Code(c), Err(VenueError::Rejected { code, reason })) => {
            assert_eq!(code.as_deref(), Some(c), "{reason}")
        }
        (_, other) => panic!("{other:?}"),
    }
    Some(())
}

/// Submits `o`, which the venue must refuse as `want`; the order ends `Failed`.
async fn refused<S: OrderSim>(v: &ExchangeVenue<S::Api>, o: OrderRequest, want: Refusal) {
    let id = o.client_id.clone();
    let got = v.submit(o).await;
    if assert_refused::<S>(got, want).is_some() {
        assert_eq!(v.tracked(&id).unwrap().state, OrderState::Failed);
    } else {
        wait_state(v, &id, OrderState::Failed, dec!(0)).await;
    }
}

/// A resting buy filled in two steps, a taker IOC sell, a market buy, a cancelled sell (cancelled
/// twice: the second is the exchange's refusal and the order stays cancelled), and the two
/// refusals; every fill counted once.
pub async fn place_partial_fill_fill_cancel_reject<S: OrderSim>(
    mock: &S,
    v: &ExchangeVenue<S::Api>,
    events: &mut UnboundedReceiver<VenueEvent>,
) {
    let pair = S::pair();
    let mut trades = HashSet::new();
    // a resting buy, filled in two steps by the simulator
    let buy = v
        .submit(order(
            v,
            &pair,
            Side::Buy,
            OrderType::Limit,
            dec!(0.5),
            Some(dec!(99.5)),
        ))
        .await
        .unwrap();
    wait_state(v, &buy, OrderState::Open, dec!(0)).await;
    let oid = v.tracked(&buy).unwrap().venue_order_id.unwrap();
    assert_eq!(
        mock.orders().last().unwrap().1,
        S::client_ref(&buy),
        "sent with our client id"
    );
    let eid = mock.engine_id(&buy);
    mock.fill(eid, Some(dec!(0.2)));
    wait_state(v, &buy, OrderState::PartiallyFilled, dec!(0.2)).await;
    mock.fill(eid, None);
    wait_state(v, &buy, OrderState::Filled, dec!(0.5)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        drain_fills(events, &mut trades, S::check_fill_event),
        dec!(0.5)
    );
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
    S::check_maker_fills(&fills);

    // a taker IOC sell crossing the book fills at once
    let mut ioc = order(
        v,
        &pair,
        Side::Sell,
        OrderType::Limit,
        dec!(0.3),
        Some(dec!(99)),
    );
    ioc.time_in_force = TimeInForce::Ioc;
    let ioc = v.submit(ioc).await.unwrap();
    wait_state(v, &ioc, OrderState::Filled, dec!(0.3)).await;

    // a market buy of a base amount
    let mkt = v
        .submit(order(
            v,
            &pair,
            Side::Buy,
            OrderType::Market,
            dec!(0.1),
            None,
        ))
        .await
        .unwrap();
    if S::MARKET_BUY_EXACT {
        wait_state(v, &mkt, OrderState::Filled, dec!(0.1)).await;
    } else {
        // priced on the book and sent in the quote asset
        wait_for("the market buy to fill", || {
            v.tracked(&mkt)
                .is_some_and(|o| o.state == OrderState::Filled && o.filled >= dec!(0.0999))
        })
        .await;
    }

    // cancel a resting sell
    let sell = v
        .submit(order(
            v,
            &pair,
            Side::Sell,
            OrderType::Limit,
            dec!(0.2),
            Some(dec!(102)),
        ))
        .await
        .unwrap();
    wait_state(v, &sell, OrderState::Open, dec!(0)).await;
    v.cancel(&sell).await.unwrap();
    wait_state(v, &sell, OrderState::Cancelled, dec!(0)).await;
    // cancelling it again is refused by the exchange, the order stays cancelled
    assert!(v.cancel(&sell).await.is_err());
    assert_eq!(v.tracked(&sell).unwrap().state, OrderState::Cancelled);

    // rejects: not enough balance, a post-only order that would take
    let big = order(
        v,
        &pair,
        Side::Buy,
        OrderType::Limit,
        dec!(5000),
        Some(dec!(99)),
    );
    refused::<S>(v, big, S::NO_BALANCE).await;
    let post = order(
        v,
        &pair,
        Side::Buy,
        OrderType::LimitMaker,
        dec!(0.1),
        Some(dec!(101)),
    );
    refused::<S>(v, post, S::POST_ONLY_TAKES).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    drain_fills(events, &mut trades, S::check_fill_event);
}

/// An order whose answer is lost is `Unknown`, found by polling, sent exactly once, and its client
/// id refused before the wire when submitted again. The connector must have done its signed
/// set-up (clock, account) already, so that the fault meets the order.
pub async fn a_lost_acknowledgement_is_reconciled_never_resent<S: OrderSim>(
    mock: &S,
    v: &ExchangeVenue<S::Api>,
) {
    mock.lose_next_ack();
    let o = order(
        v,
        &S::pair(),
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(98)),
    );
    let id = o.client_id.clone();
    assert!(v.submit(o.clone()).await.is_err(), "no answer came");
    // Unknown, unless the private stream already reported the order while the answer was being
    // waited for (a venue whose stream runs in the test can win that race): never Failed
    let state = v.tracked(&id).unwrap().state;
    assert!(
        matches!(state, OrderState::Unknown | OrderState::Open),
        "{state:?}"
    );
    // the order exists at the exchange: polling finds it by client id
    v.reconcile().await.unwrap();
    wait_state(v, &id, OrderState::Open, dec!(0)).await;
    let want = S::client_ref(&id);
    let ours = mock
        .orders()
        .into_iter()
        .filter(|(_, r)| *r == want)
        .count();
    assert_eq!(ours, 1, "sent exactly once");
    // submitting the same client id again is refused before the wire
    assert!(v.submit(o).await.is_err());
    assert_eq!(mock.orders().len(), 1);
}

/// A resting sell filled while the private stream is down is found filled by polling, its two
/// fills counted once, and nothing is counted again when the stream comes back.
pub async fn fills_during_a_stream_outage_are_reconciled_once<S: OrderSim>(
    mock: &S,
    v: &ExchangeVenue<S::Api>,
    events: &mut UnboundedReceiver<VenueEvent>,
) {
    let id = v
        .submit(order(
            v,
            &S::pair(),
            Side::Sell,
            OrderType::Limit,
            dec!(0.4),
            Some(dec!(101)),
        ))
        .await
        .unwrap();
    wait_state(v, &id, OrderState::Open, dec!(0)).await;
    let eid = mock.engine_id(&id);
    mock.fill_while_streams_down(eid, Some(dec!(0.1)));
    mock.fill(eid, None);
    // no private subscription is accepted during the outage: the stream cannot tell, polling must
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mock.private_connections(), 0, "{} is down", S::STREAM);
    wait_state(v, &id, OrderState::Filled, dec!(0.4)).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut trades = HashSet::new();
    assert_eq!(
        drain_fills(events, &mut trades, S::check_fill_event),
        dec!(0.4)
    );
    assert_eq!(trades.len(), 2);
    // the outage ends: the stream comes back, nothing is counted again
    mock.streams_up();
    wait_for(&format!("{} again", S::STREAM), || {
        mock.private_connections() == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.reconcile().await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().filled, dec!(0.4));
    assert_eq!(
        drain_fills(events, &mut trades, S::check_fill_event),
        dec!(0)
    );
}

/// A resting buy, partly filled; a new connector (a restart) knows nothing of it, yet lists it and
/// adopts it by client id, with its state and fill; an id never sent is an unknown order.
/// `adopter` is the connector that adopts (the one that listed, or another fresh one).
pub async fn a_restarted_connector_adopts_its_orders_by_client_id<S: OrderSim>(
    mock: &S,
    v: &ExchangeVenue<S::Api>,
    adopter: impl FnOnce(ExchangeVenue<S::Api>) -> ExchangeVenue<S::Api>,
) {
    let req = order(
        v,
        &S::pair(),
        Side::Buy,
        OrderType::Limit,
        dec!(0.3),
        Some(dec!(99.5)),
    );
    let id = v.submit(req.clone()).await.unwrap();
    wait_state(v, &id, OrderState::Open, dec!(0)).await;
    mock.fill(mock.engine_id(&id), Some(dec!(0.1)));
    let fresh = mock.connector();
    let listed = fresh.list_open_orders(Some(&S::pair())).await.unwrap();
    assert!(listed.iter().any(|o| o.request.client_id == id));
    let fresh = adopter(fresh);
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
