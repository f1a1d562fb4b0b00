//! Orders through the dYdX v3 connector against the simulated dYdX v3, every request's
//! `DYDX-SIGNATURE` and every order's STARK signature verified there: the shared scenarios of
//! `cex_support` (place, partial fill, fill, cancel and reject; a lost acknowledgement reconciled,
//! never resent; a restarted connector adopting its orders), followed by polling (v3's private
//! stream is not followed); a tampered order signature and a wrong API secret refused with
//! dYdX's errors; positions, collateral and funding payments from the account; keys derived
//! from a wallet through the registry.

use std::path::Path;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::ApiCredentials;
use sluice::cex::http::{ApiRequest, RequestBody};
use sluice::chain::ChainSpecs;
use sluice::clob::dydx_v3::onboarding::{derive_api_key, derive_stark_key};
use sluice::clob::dydx_v3::{DydxV3, DydxV3Keys, DydxV3Venue};
use sluice::core::{ClientOrderId, OrderState, OrderType, Pair, Side};
use sluice::venue::ConnectContext;
use sluice::venue::connector::MemoryKeys;
use sluice::wallet::{PrivateKey, UnlockedWallet};
use sluice_sim::exchange::dialects::dydx_v3::{MockDydxV3, TRADER_ETH_KEY};
use sluice_sim::exchange::dialects::okx::HttpFault;

use crate::cex_support::{self as cex, OrderSim, Refusal, wait_state};
use crate::dydx_v3_book::config;

fn signer() -> alloy::signers::local::PrivateKeySigner {
    TRADER_ETH_KEY.parse().unwrap()
}

/// The keys the official clients derive from the trader's Ethereum key on mainnet.
pub(crate) fn keys() -> DydxV3Keys {
    let api = derive_api_key(&signer(), 1).unwrap();
    DydxV3Keys {
        api: Some(
            ApiCredentials::new(api.key.clone(), api.secret.as_str())
                .unwrap()
                .with_passphrase(api.passphrase.as_str())
                .unwrap(),
        ),
        stark: Some(derive_stark_key(&signer(), 1).unwrap()),
    }
}

fn connector(mock: &MockDydxV3) -> DydxV3Venue {
    let v = DydxV3Venue::new(config(mock), keys()).unwrap();
    v.set_reconcile_interval(Duration::from_millis(100));
    v
}

impl OrderSim for MockDydxV3 {
    type Api = DydxV3;
    const PAIR: &'static str = "ETH-USD";
    const STREAM: &'static str = "polling";
    const MARKET_BUY_EXACT: bool = true;
    const NO_BALANCE: Refusal = Refusal::Reason("Insufficient collateral");
    const POST_ONLY_TAKES: Refusal = Refusal::Reason("post-only");

    async fn start() -> Self {
        let mock = MockDydxV3::start().await.unwrap();
        mock.seed_book("ETH-USD", dec!(100), 10, 1, dec!(1))
            .unwrap();
        mock
    }
    fn connector(&self) -> DydxV3Venue {
        connector(self)
    }
    fn client_ref(id: &ClientOrderId) -> String {
        id.to_string()
    }
    fn orders(&self) -> Vec<(u64, String)> {
        let account = self.trader_account();
        self.with_exchange(|ex| {
            ex.orders
                .values()
                .filter(|o| o.account == account)
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
    fn lose_next_ack(&self) {
        self.inject_fault(HttpFault::DropConnection);
    }
}

/// The simulator, a started connector (the reconciler polling every 100 ms) and its events.
async fn started() -> (
    MockDydxV3,
    DydxV3Venue,
    tokio::sync::mpsc::UnboundedReceiver<sluice::core::VenueEvent>,
) {
    let mock = <MockDydxV3 as OrderSim>::start().await;
    let v = mock.connector();
    let events = v.events();
    v.start(&[]).await.unwrap();
    // the account (position id) is read once, before any fault meets an order
    assert_eq!(v.balances().await.unwrap()[0].total, dec!(10000));
    (mock, v, events)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dydx_v3_place_partial_fill_fill_cancel_reject() {
    let (mock, v, mut events) = started().await;
    cex::place_partial_fill_fill_cancel_reject(&mock, &v, &mut events).await;
    assert_eq!(mock.refused_signatures(), 0, "every signature verified");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dydx_v3_a_lost_acknowledgement_is_reconciled_never_resent() {
    let (mock, v, _events) = started().await;
    cex::a_lost_acknowledgement_is_reconciled_never_resent(&mock, &v).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dydx_v3_a_restarted_connector_adopts_its_orders() {
    let (mock, v, _events) = started().await;
    cex::a_restarted_connector_adopts_its_orders_by_client_id(&mock, &v, |fresh| fresh).await;
}

/// A signed order document with one field changed after signing is refused by its STARK
/// signature; a request signed with the wrong secret by its `DYDX-SIGNATURE`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_signatures_are_refused() {
    let (mock, v, _events) = started().await;
    let market = v.market(&"ETH-USD".parse().unwrap()).await.unwrap();
    let stark = derive_stark_key(&signer(), 1).unwrap();
    let order = sluice::core::PerpOrder::plain(cex::order(
        &v,
        &"ETH-USD".parse().unwrap(),
        Side::Buy,
        OrderType::Limit,
        dec!(0.5),
        Some(dec!(99)),
    ));
    let cx = sluice::clob::dydx_v3::order::OrderContext {
        network_id: 1,
        position_id: sluice_sim::exchange::dialects::dydx_v3::POSITION_ID,
        limit_fee: dec!(0.0015),
        expiration_ms: (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            + 3600)
            * 1000,
        key: &stark,
    };
    let mut doc = sluice::clob::dydx_v3::order::order_body(&order, &market, &cx).unwrap();
    doc["size"] = "5".into();
    let post = |doc: &serde_json::Value| {
        ApiRequest::new(reqwest::Method::POST, "/v3/orders")
            .signed()
            .body(RequestBody::Json(doc.to_string()))
    };
    let e = v.rest().request(&post(&doc)).await.unwrap_err().to_string();
    assert!(
        e.contains("Invalid signature for order") && e.contains("400"),
        "{e}"
    );
    assert!(mock.orders().is_empty(), "nothing placed");
    // the untampered document is accepted
    doc["size"] = "0.5".into();
    v.rest().request(&post(&doc)).await.unwrap();
    assert_eq!(mock.orders().len(), 1);
    let active = sluice::clob::dydx_v3::rest::active_order_ids(v.rest(), "ETH-USD")
        .await
        .unwrap();
    assert_eq!(active, vec![mock.orders()[0].0.to_string()]);
    // an HTML gateway page instead of an answer is a typed error, not a panic
    mock.inject_fault(HttpFault::HtmlPage { status: 502 });
    assert!(v.balances().await.is_err());

    // a request signed with another secret (the right key and passphrase)
    let passphrase = derive_api_key(&signer(), 1).unwrap().passphrase;
    let wrong = DydxV3Venue::new(
        config(&mock),
        DydxV3Keys {
            api: Some(
                ApiCredentials::new(mock.api_key(), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                    .unwrap()
                    .with_passphrase(passphrase.as_str())
                    .unwrap(),
            ),
            stark: None,
        },
    )
    .unwrap();
    let refused = mock.refused_signatures();
    let e = wrong.balances().await.unwrap_err();
    assert!(matches!(e, sluice::VenueError::Auth(_)), "{e:?}");
    assert!(e.to_string().contains("invalid signature"), "{e}");
    assert_eq!(mock.refused_signatures(), refused + 1);
    // an order without the STARK key is refused before the wire, naming the key to set
    let e = wrong
        .submit(cex::order(
            &wrong,
            &"ETH-USD".parse().unwrap(),
            Side::Buy,
            OrderType::Limit,
            dec!(0.1),
            Some(dec!(98)),
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(e.contains("STARK key") && e.contains("wallet"), "{e}");
}

/// A taker buy opens a long; the account shows it with its entry, the collateral pays the fee, a
/// funding payment arrives; a reduce-only sell larger than the position is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_collateral_and_funding_payments() {
    let (mock, v, _events) = started().await;
    let pair: Pair = "ETH-USD".parse().unwrap();
    let mut ioc = cex::order(
        &v,
        &pair,
        Side::Buy,
        OrderType::Limit,
        dec!(1.5),
        Some(dec!(102)),
    );
    ioc.time_in_force = sluice::core::TimeInForce::Ioc;
    let id = v.submit(ioc).await.unwrap();
    wait_state(&v, &id, OrderState::Filled, dec!(1.5)).await;
    assert_eq!(mock.position("ETH-USD"), dec!(1.5));
    let p = v.positions(Some(&pair)).await.unwrap();
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].size, dec!(1.5));
    // 1 at 100.1, 0.5 at 100.2 (the seeded asks)
    assert_eq!(p[0].entry_notional, dec!(150.2));
    let b = v.balances().await.unwrap();
    assert!(
        b[0].total < dec!(10000) && b[0].available < b[0].total,
        "{b:?}"
    );
    mock.set_oracle_price("ETH-USD", dec!(100));
    let paid = mock.settle_funding("ETH-USD", dec!(0.0001)).unwrap();
    assert_eq!(paid.payment, dec!(-0.015));
    let payments = v.funding_payments(Some(&pair), 0).await.unwrap();
    assert_eq!(payments.len(), 1);
    assert_eq!(payments[0].amount, dec!(-0.015));
    let reduce = sluice::core::PerpOrder {
        order: cex::order(
            &v,
            &pair,
            Side::Sell,
            OrderType::Limit,
            dec!(2),
            Some(dec!(99)),
        ),
        position_side: sluice::core::PositionSide::Net,
        reduce_only: true,
    };
    let e = v.submit_perp(reduce).await.unwrap_err().to_string();
    assert!(e.contains("Reduce-only"), "{e}");
}

/// Through the registry with a wallet in memory: the connector derives the STARK key and API key
/// from the wallet's Ethereum key (as `sluice keys derive` does) and trades.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_named_in_the_table_gives_the_keys() {
    let mock = <MockDydxV3 as OrderSim>::start().await;
    let wallet = UnlockedWallet::PrivateKey {
        name: "trader".into(),
        key: PrivateKey::from_hex(TRADER_ETH_KEY).unwrap(),
    };
    let ctx = ConnectContext::new(
        Path::new("/nonexistent"),
        ChainSpecs::builtin().unwrap(),
        Path::new("sluice.toml"),
    )
    .with_keys(MemoryKeys::new().with_wallet(wallet));
    let table: toml::Table = format!(
        "rest_url = \"{}\"\nws_url = \"{}\"\nwallet = \"trader\"",
        mock.rest_url(),
        mock.ws_url()
    )
    .parse()
    .unwrap();
    let venue = sluice::connectors::connect(&"dydx_v3".parse().unwrap(), &table, &ctx)
        .await
        .unwrap();
    let pair: Pair = "ETH-USD".parse().unwrap();
    let id = venue
        .submit(sluice::core::OrderRequest {
            client_id: venue.new_client_id().unwrap(),
            pair,
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(0.2),
            price: Some(dec!(98)),
            time_in_force: sluice::core::TimeInForce::Gtc,
            deadline: None,
        })
        .await
        .unwrap();
    assert_eq!(venue.tracked_order(&id).unwrap().state, OrderState::Open);
    assert!(mock.order_id(id.as_str()).is_some());
    assert_eq!(mock.refused_signatures(), 0);
}
