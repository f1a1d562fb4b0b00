//! Orders through the HTX connector against the simulated HTX: place, partial fill, fill,
//! cancel and reject (insufficient balance, a post-only order that would take) reach the right
//! state; a lost acknowledgement leaves the order unknown, then polling finds it and it is never
//! sent twice; fills made during a private-stream outage are reconciled by polling and counted
//! once; a restarted connector adopts its orders by client id. The scenarios are the shared ones
//! of `cex_support`; this file says how HTX differs.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::htx::{Htx, HtxSpot};
use sluice::core::ClientOrderId;
use sluice_sim::exchange::dialects::htx::{HttpFault, MockHtx};

use crate::cex_support::{self as cex, OrderSim, Refusal};
use crate::htx_book::{SYMBOL, config};

impl OrderSim for MockHtx {
    type Api = Htx;
    const PAIR: &'static str = "BTC-USDT";
    const MARKET_BUY_EXACT: bool = false;
    const NO_BALANCE: Refusal = Refusal::Reason("balance-insufficient");
    const POST_ONLY_TAKES: Refusal = Refusal::Reason("order-orderstate-error");

    async fn start() -> Self {
        let mock = MockHtx::start().await.unwrap();
        mock.seed_book(SYMBOL, dec!(100), 10, 1, dec!(1)).unwrap();
        mock
    }
    fn connector(&self) -> HtxSpot {
        HtxSpot::new(
            config(self),
            Some(ApiCredentials::new(self.api_key(), self.api_secret()).unwrap()),
        )
        .unwrap()
    }
    fn client_ref(id: &ClientOrderId) -> String {
        id.to_string()
    }
    fn orders(&self) -> Vec<(u64, String)> {
        let orders = self.orders_of(self.account()).into_iter();
        orders.map(|o| (o.id, o.client_order_id)).collect()
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
async fn htx_place_partial_fill_fill_cancel_reject() {
    // a second cancel is refused with `order-orderstate-error`
    let (mock, v, mut events) = cex::started::<MockHtx>().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockHtx>().await;
    // synced first and the account id read, so that the fault meets the order, not the clock
    // sync or the account lookup before it
    v.sync_clock().await.unwrap();
    v.balances().await.unwrap();
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = cex::started::<MockHtx>().await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = cex::started::<MockHtx>().await;
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}
