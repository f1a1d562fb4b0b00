//! Orders through the Gate.io connector against the simulated Gate.io: place, partial fill, fill,
//! cancel and reject (insufficient balance, a post-only order that would take) reach the right
//! state; a lost acknowledgement leaves the order unknown, then polling finds it and it is never
//! sent twice; fills made during a private-stream outage are reconciled by polling and counted
//! once; a restarted connector adopts its orders by client id. The scenarios are the shared ones
//! of `cex_support`; this file says how Gate.io differs.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::gate_io::{GateIo, GateIoSpot};
use sluice::core::ClientOrderId;
use sluice_sim::exchange::dialects::gate_io::{HttpFault, MockGateIo};

use crate::cex_support::{self as cex, OrderSim, Refusal};
use crate::gate_io_book::config;

fn connector(mock: &MockGateIo) -> GateIoSpot {
    GateIoSpot::new(
        config(mock),
        Some(ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap()),
    )
    .unwrap()
}

impl OrderSim for MockGateIo {
    type Api = GateIo;
    const PAIR: &'static str = "BTC-USDT";
    const MARKET_BUY_EXACT: bool = false;
    const NO_BALANCE: Refusal = Refusal::Reason("BALANCE_NOT_ENOUGH");
    const POST_ONLY_TAKES: Refusal = Refusal::Reason("POC_FILL_IMMEDIATELY");

    async fn start() -> Self {
        let mock = MockGateIo::start().await.unwrap();
        mock.seed_book("BTC_USDT", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> GateIoSpot {
        connector(self)
    }
    /// Gate.io keeps our client id in the order's `text`, prefixed `t-`.
    fn client_ref(id: &ClientOrderId) -> String {
        format!("t-{id}")
    }
    fn orders(&self) -> Vec<(u64, String)> {
        let orders = self.orders_of(self.account()).into_iter();
        orders.map(|o| (o.id, o.text)).collect()
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
    fn lose_next_ack(&self) {
        self.inject_http_fault(HttpFault::LostAck);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = cex::started::<MockGateIo>().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockGateIo>().await;
    // synced first, so that the fault meets the order, not the clock sync before it
    v.sync_clock().await.unwrap();
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = cex::started::<MockGateIo>().await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = cex::started::<MockGateIo>().await;
    // the order is found by its text
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}
