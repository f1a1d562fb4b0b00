//! `bybit_perpetual`'s private stream against the simulated Bybit (`/v5/private`, the auth op's
//! signature verified): the shared order scenarios (lifecycle, a lost acknowledgement, fills
//! during an outage reconciled once by the venue's poller, a restarted connector adopting its
//! orders); orders, fills,
//! positions, the wallet and funding carried by the stream with polling off; a dropped socket
//! reconnected with a fresh auth and resynced; a bad signature refused by the simulator and
//! reported as an authentication error.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::bybit_perpetual::{BybitPerp, BybitPerpetual};
use sluice::core::{ClientOrderId, Fill, OrderState, OrderType, Side};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::bybit_perpetual::{MarkState, MockBybitPerp};
use sluice_sim::exchange::dialects::okx::HttpFault;

use crate::bybit_perpetual::positions::venue;
use crate::cex_support::perp::PerpEvents;
use crate::cex_support::{self as cex, OrderSim, Refusal, wait_for, wait_state};

impl OrderSim for MockBybitPerp {
    type Api = BybitPerp;
    const PAIR: &'static str = "BTC-USDT";
    /// A market order's `qty` is in contracts, the base.
    const MARKET_BUY_EXACT: bool = true;
    const NO_BALANCE: Refusal = Refusal::Code("110007");
    const POST_ONLY_TAKES: Refusal = Refusal::Code("110013");

    async fn start() -> Self {
        let mock = MockBybitPerp::start().await.unwrap();
        mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> BybitPerpetual {
        venue(self, self.api_secret())
    }
    /// Bybit's `orderLinkId`.
    fn client_ref(id: &ClientOrderId) -> String {
        id.to_string()
    }
    fn orders(&self) -> Vec<(u64, String)> {
        let maker = self.market_maker();
        self.with_exchange(|ex| {
            ex.orders
                .values()
                .filter(|o| o.account != maker)
                .map(|o| (o.id, o.client_order_id.clone()))
                .collect()
        })
    }
    fn fill(&self, id: u64, qty: Option<Decimal>) {
        self.fill_order(id, qty);
    }
    fn fill_while_streams_down(&self, id: u64, qty: Option<Decimal>) {
        self.fill_order_while_user_streams_down(id, qty);
    }
    fn streams_up(&self) {
        self.set_user_streams_down(false);
    }
    fn private_connections(&self) -> usize {
        self.user_connections()
    }
    /// The order is placed, its answer dropped.
    fn lose_next_ack(&self) {
        self.inject_fault(HttpFault::DropConnection);
    }
    /// A fill's trade id is the pair's and the `execId`: `BTC-USDT:<n>`.
    fn check_maker_fills(fills: &[Fill]) {
        assert!(
            fills
                .iter()
                .all(|f| f.trade_id.starts_with("BTC-USDT:") && f.is_maker)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = cex::started::<MockBybitPerp>().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockBybitPerp>().await;
    v.sync_clock().await.unwrap();
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

/// The simulator refuses private connections during an outage (503), so no reconnect tells the
/// connector anything: the reconciler a started venue runs beside its stream (every 300 ms
/// here) finds the fills.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_fills_during_a_stream_outage_are_reconciled_once() {
    let mock = <MockBybitPerp as OrderSim>::start().await;
    let v = mock.connector();
    v.set_reconcile_interval(Duration::from_millis(300));
    let mut events = v.events();
    v.start(&[]).await.unwrap();
    wait_for("the private stream", || mock.user_connections() == 1).await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bybit_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = cex::started::<MockBybitPerp>().await;
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_stream_carries_orders_fills_positions_wallet_and_funding_and_survives_a_drop() {
    let mock = <MockBybitPerp as OrderSim>::start().await;
    let v = mock.connector();
    // no polling unless the test asks: what is seen must come by the stream
    v.set_reconcile_interval(Duration::from_secs(3600));
    let mut rx = v.events();
    v.start_user_stream().await.unwrap();
    wait_for("the private stream", || mock.user_connections() == 1).await;
    let mut seen = PerpEvents::default();
    let pair = MockBybitPerp::pair();

    // a resting buy filled in two steps by the simulator: state, fills and position by the stream
    let buy = v
        .submit(cex::order(
            &v,
            &pair,
            Side::Buy,
            OrderType::Limit,
            dec!(0.5),
            Some(dec!(99.5)),
        ))
        .await
        .unwrap();
    wait_state(&v, &buy, OrderState::Open, dec!(0)).await;
    let eid = mock.engine_id(&buy);
    mock.fill_order(eid, Some(dec!(0.2)));
    seen.until(&mut rx, "the first fill and its position", |s| {
        s.fills.len() == 1 && s.position == Some(dec!(0.2))
    })
    .await;
    assert_eq!(
        v.tracked(&buy).map(|o| (o.state, o.filled)),
        Some((OrderState::PartiallyFilled, dec!(0.2)))
    );
    mock.fill_order(eid, None);
    seen.until(&mut rx, "the second fill, position and wallet", |s| {
        s.fills.len() == 2 && s.position == Some(dec!(0.5)) && s.wallet == Some(mock.wallet())
    })
    .await;
    wait_state(&v, &buy, OrderState::Filled, dec!(0.5)).await;
    assert_eq!(seen.filled(), dec!(0.5));
    // the stream's fills are the REST ones: polling adds none
    v.reconcile().await.unwrap();
    seen.drain(&mut rx);
    assert_eq!(seen.fills.len(), 2);

    // funding settled by the simulator: one payment, read back with its id once
    mock.set_mark(
        "BTCUSDT",
        MarkState {
            mark: dec!(100),
            index: dec!(100),
            funding_rate: dec!(0.001),
        },
    );
    assert_eq!(mock.settle_funding("BTCUSDT"), 1);
    seen.until(&mut rx, "the funding payment", |s| s.funding.len() == 1)
        .await;
    let (id, _, _, change) = mock.settlements().pop().unwrap();
    assert_eq!(seen.funding.get(&id), Some(&change));
    assert_eq!(change, dec!(-0.05), "a long pays 0.5 x 100 x 0.001");
    seen.until(&mut rx, "the wallet after funding", |s| {
        s.wallet == Some(mock.wallet())
    })
    .await;

    // the socket drops: a reconnect with a fresh auth, a resync, then events flow again
    let resynced = seen.resynced;
    mock.drop_user_streams();
    seen.until(&mut rx, "the resync after the drop", |s| {
        s.resynced > resynced
    })
    .await;
    wait_for("the private stream again", || mock.user_connections() == 1).await;
    let sell = v
        .submit(cex::order(
            &v,
            &pair,
            Side::Sell,
            OrderType::Market,
            dec!(0.5),
            None,
        ))
        .await
        .unwrap();
    seen.until(&mut rx, "the closing sell's fills and flat position", |s| {
        s.filled() == dec!(1) && s.position == Some(dec!(0))
    })
    .await;
    wait_state(&v, &sell, OrderState::Filled, dec!(0.5)).await;
    // nothing counted twice after another reconcile and the funding poll
    v.reconcile().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    seen.drain(&mut rx);
    assert_eq!(seen.funding.len(), 1);
    assert!(seen.fills.values().all(|f| f.fee_amount > Decimal::ZERO));
    assert_eq!(
        mock.positions().iter().map(|p| p.size).sum::<Decimal>(),
        dec!(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_signature_is_refused_and_reported_as_an_authentication_error() {
    let mock = <MockBybitPerp as OrderSim>::start().await;
    let v = venue(&mock, "not-the-secret");
    match v.start_user_stream().await {
        Err(VenueError::Auth(why)) => {
            assert!(why.contains("Request not authorized"), "{why}");
            assert!(!why.contains("not-the-secret"), "{why}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.user_connections(), 0);
    // the right secret is accepted
    let good = mock.connector();
    good.start_user_stream().await.unwrap();
    wait_for("the private stream", || mock.user_connections() == 1).await;
}

/// The simulator's `/v5/private` as a raw client sees it: ping answered by a pong, no
/// subscription before an auth, an `expires` in the past and a bad signature refused with
/// Bybit's answers, a good auth then the four topics accepted and an unknown one refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulated_private_endpoint_answers_ops_as_bybit_does() {
    use futures::{SinkExt, StreamExt};
    use sluice::cex::exchanges::bybit_perpetual::bybit_signer;
    use sluice::cex::exchanges::bybit_perpetual::user::{auth_message, subscribe_message};
    use tokio_tungstenite::tungstenite::Message;

    let mock = <MockBybitPerp as OrderSim>::start().await;
    let (mut ws, _) = tokio_tungstenite::connect_async(mock.private_ws_url())
        .await
        .unwrap();
    let mut ask = async |text: String| -> serde_json::Value {
        ws.send(Message::text(text)).await.unwrap();
        loop {
            let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
                .await
                .unwrap()
                .unwrap()
                .unwrap();
            if let Message::Text(t) = m {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    };
    let pong = ask(r#"{"req_id":"p1","op":"ping"}"#.into()).await;
    assert_eq!(
        (pong["op"].as_str(), pong["req_id"].as_str()),
        (Some("pong"), Some("p1"))
    );
    let early = ask(subscribe_message()).await;
    assert_eq!(early["success"], false);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let signer = |secret: &str| {
        bybit_signer(&ApiCredentials::new(mock.api_key(), secret).unwrap(), 5000).unwrap()
    };
    let expired = ask(auth_message(&signer(mock.api_secret()), now - 1000).unwrap()).await;
    assert_eq!(
        (
            expired["op"].as_str(),
            &expired["success"],
            expired["ret_msg"].as_str()
        ),
        (
            Some("auth"),
            &serde_json::json!(false),
            Some("Params Error")
        )
    );
    let forged = ask(auth_message(&signer("forged"), now + 10_000).unwrap()).await;
    assert_eq!(forged["ret_msg"], "Request not authorized");
    assert_eq!(mock.user_connections(), 0);
    let good = ask(auth_message(&signer(mock.api_secret()), now + 10_000).unwrap()).await;
    assert_eq!(
        (good["op"].as_str(), &good["success"]),
        (Some("auth"), &serde_json::json!(true))
    );
    let sub = ask(subscribe_message()).await;
    assert_eq!(
        (sub["op"].as_str(), &sub["success"]),
        (Some("subscribe"), &serde_json::json!(true))
    );
    assert_eq!(mock.user_connections(), 1);
    let unknown = ask(r#"{"op":"subscribe","args":["greeks"]}"#.into()).await;
    assert_eq!(unknown["success"], false);
    // streams down: new private connections are refused
    mock.set_user_streams_down(true);
    assert!(
        tokio_tungstenite::connect_async(mock.private_ws_url())
            .await
            .is_err()
    );
}
