//! Orders through the KuCoin connector against the simulated KuCoin: place, partial fill, fill,
//! cancel and reject (insufficient balance, a post-only order that would take) reach the right
//! state, fills carry fees and trade ids; a lost acknowledgement leaves the order unknown, then
//! polling finds it by `clientOid` and it is never sent twice; fills made during a private-stream
//! outage are reconciled by polling and counted once; a restarted connector adopts its orders by
//! client id. The scenarios are the shared ones of `cex_support`; this file says how KuCoin
//! differs.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::kucoin::{KuCoin, KuCoinSpot};
use sluice::core::{ClientOrderId, Fill};
use sluice_sim::exchange::dialects::kucoin::{HttpFault, MockKuCoin};

use crate::cex_support::{self as cex, OrderSim, Refusal};
use crate::kucoin_book::config;

impl OrderSim for MockKuCoin {
    type Api = KuCoin;
    const PAIR: &'static str = "BTC-USDT";
    /// A market buy is sent as a base `size`.
    const MARKET_BUY_EXACT: bool = true;
    const NO_BALANCE: Refusal = Refusal::Code("200004");
    const POST_ONLY_TAKES: Refusal = Refusal::Code("400350");

    async fn start() -> Self {
        let mock = MockKuCoin::start().await.unwrap();
        mock.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> KuCoinSpot {
        KuCoinSpot::new(
            config(self),
            Some(
                ApiCredentials::new(self.api_key(), self.api_secret())
                    .unwrap()
                    .with_passphrase(self.passphrase())
                    .unwrap(),
            ),
        )
        .unwrap()
    }
    /// KuCoin's `clientOid`.
    fn client_ref(id: &ClientOrderId) -> String {
        id.to_string()
    }
    fn orders(&self) -> Vec<(u64, String)> {
        let orders = self.orders_of(self.account()).into_iter();
        orders.map(|o| (o.id, o.client_oid)).collect()
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
    /// A maker fill's trade id is the symbol's: `BTC-USDT:<n>`.
    fn check_maker_fills(fills: &[Fill]) {
        assert!(
            fills
                .iter()
                .all(|f| f.trade_id.starts_with("BTC-USDT:") && f.is_maker)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = cex::started::<MockKuCoin>().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockKuCoin>().await;
    v.sync_clock().await.unwrap();
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = cex::started::<MockKuCoin>().await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = cex::started::<MockKuCoin>().await;
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}
