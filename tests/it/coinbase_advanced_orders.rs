//! Orders through the Coinbase Advanced Trade connector against the simulated venue: place,
//! partial fill, fill, cancel and reject (insufficient funds, a post-only order that would take)
//! reach the right state, with fills (fees, trade ids) fetched once each; a lost acknowledgement
//! leaves the order unknown, then polling finds it by client id and it is never sent twice; fills
//! made during a user-channel outage, or lost from the channel (a sequence gap), are reconciled by
//! polling and counted once; a restarted connector adopts its orders by client id. The shared
//! scenarios are those of `cex_support`; this file says how Coinbase Advanced differs.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::coinbase_advanced::{CoinbaseAdvancedApi, CoinbaseAdvancedSpot};
use sluice::core::{ClientOrderId, Fill, OrderState, OrderType, Side, VenueEvent};
use sluice_sim::exchange::dialects::coinbase_advanced::{HttpFault, MockCoinbaseAdvanced};

use crate::cex_support::{self as cex, OrderSim, Refusal, wait_state};
use crate::coinbase_advanced_book::config;

impl OrderSim for MockCoinbaseAdvanced {
    type Api = CoinbaseAdvancedApi;
    const PAIR: &'static str = "BTC-USD";
    const STREAM: &'static str = "the user channel";
    const MARKET_BUY_EXACT: bool = true;
    const NO_BALANCE: Refusal = Refusal::Reason("INSUFFICIENT_FUND");
    const POST_ONLY_TAKES: Refusal = Refusal::Reason("POST_ONLY");

    async fn start() -> Self {
        let mock = MockCoinbaseAdvanced::start().await.unwrap();
        mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> CoinbaseAdvancedSpot {
        CoinbaseAdvancedSpot::new(
            config(self),
            Some(ApiCredentials::new(self.api_key(), self.api_secret()).unwrap()),
        )
        .unwrap()
    }
    fn tune(v: &CoinbaseAdvancedSpot) {
        v.set_reconcile_interval(Duration::from_millis(500));
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
    fn check_maker_fills(fills: &[Fill]) {
        assert!(
            fills
                .iter()
                .all(|f| f.is_maker && f.fee_asset.as_str() == "USD")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = cex::started::<MockCoinbaseAdvanced>().await;
    // a second cancel is refused with UNKNOWN_CANCEL_ORDER
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
    // balances from /accounts: available plus hold
    let b = v.balances().await.unwrap();
    let usd = b.iter().find(|b| b.asset.as_str() == "USD").unwrap();
    assert_eq!(
        usd.total,
        mock.balance(mock.account(), "USD").free + mock.balance(mock.account(), "USD").locked
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockCoinbaseAdvanced>().await;
    v.sync_clock().await.unwrap();
    // polling finds the order by client id in the order history
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = cex::started::<MockCoinbaseAdvanced>().await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_lost_user_messages_are_a_gap_that_reconciles() {
    let (mock, v, mut events) = cex::started::<MockCoinbaseAdvanced>().await;
    let order = cex::order(
        &v,
        &MockCoinbaseAdvanced::pair(),
        Side::Buy,
        OrderType::Limit,
        dec!(0.3),
        Some(dec!(99)),
    );
    let id = v.submit(order).await.unwrap();
    wait_state(&v, &id, OrderState::Open, dec!(0)).await;
    let eid = mock.engine_id(&id);
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
    let (mock, v, _events) = cex::started::<MockCoinbaseAdvanced>().await;
    // the connector that listed the open orders is not the one that adopts: a second fresh one
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |_| mock.connector())
        .await;
}
