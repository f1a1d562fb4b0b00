//! Orders through the Coinbase Exchange connector against the simulated exchange: place, partial
//! fill, fill, cancel and reject (insufficient funds, a post-only order that would take) reach
//! the right state; a lost acknowledgement leaves the order unknown, then polling finds it by its
//! `client_oid` and it is never sent twice; fills made during a private-stream outage are
//! reconciled by polling and counted once; a restarted connector adopts its orders by client id.
//! The scenarios are the shared ones of `cex_support`; this file says how Coinbase differs.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::coinbase_pro::api::client_oid;
use sluice::cex::exchanges::coinbase_pro::{CoinbasePro, CoinbaseProSpot};
use sluice::core::{ClientOrderId, Fill};
use sluice_sim::exchange::dialects::coinbase_pro::{HttpFault, MockCoinbasePro};

use crate::cex_support::{self as cex, OrderSim, Refusal};
use crate::coinbase_pro_book::config;

pub(crate) fn credentials(mock: &MockCoinbasePro) -> ApiCredentials {
    ApiCredentials::new(mock.api_key(), mock.api_secret())
        .unwrap()
        .with_passphrase(mock.passphrase())
        .unwrap()
}

impl OrderSim for MockCoinbasePro {
    type Api = CoinbasePro;
    const PAIR: &'static str = "BTC-USD";
    const MARKET_BUY_EXACT: bool = true;
    const NO_BALANCE: Refusal = Refusal::Reason("Insufficient funds");
    /// A crossing post-only order is accepted, then rejected on the stream.
    const POST_ONLY_TAKES: Refusal = Refusal::Later;

    async fn start() -> Self {
        let mock = MockCoinbasePro::start().await.unwrap();
        mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> CoinbaseProSpot {
        CoinbaseProSpot::new(config(self), Some(credentials(self))).unwrap()
    }
    fn client_ref(id: &ClientOrderId) -> String {
        client_oid(id).unwrap()
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
    fn check_fill_event(f: &Fill) {
        cex::fee_paid(f);
        assert_eq!(f.fee_asset.as_str(), "USD");
    }
    /// The fee of a maker fill: price × size × the maker rate, in USD.
    fn check_maker_fills(fills: &[Fill]) {
        assert!(
            fills
                .iter()
                .all(|f| f.is_maker && f.fee_amount == f.price * f.amount * dec!(0.004))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = cex::started::<MockCoinbasePro>().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = cex::started::<MockCoinbasePro>().await;
    v.sync_clock().await.unwrap();
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_fills_during_a_stream_outage_are_reconciled_once() {
    let (mock, v, mut events) = cex::started::<MockCoinbasePro>().await;
    cex::fills_during_a_stream_outage_are_reconciled_once(&mock, &v, &mut events).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_a_restarted_connector_adopts_its_orders_by_client_id() {
    let (mock, v, _events) = cex::started::<MockCoinbasePro>().await;
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}
