//! Orders through the Loopring connector against the simulated Loopring, every `X-API-SIG` and
//! every order's `eddsaSignature` verified there against the account's registered L2 key: an
//! order placed under the next storage id, partly filled, its trades read, cancelled with a
//! signed `DELETE`; balances in token units; a tampered order signature and a request signed with
//! another key refused with Loopring's `resultInfo` codes; the wallet named in the table giving
//! the L2 key, the account and (asked with `X-API-SIG`) the API key, through the registry.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use reqwest::Method;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::error::{ApiErrorKind, CexError};
use sluice::cex::http::{ApiRequest, RequestBody};
use sluice::chain::ChainSpecs;
use sluice::clob::loopring::errors::code;
use sluice::clob::loopring::keys::{MAINNET_EXCHANGE, derive_l2_key};
use sluice::clob::loopring::venue::{LoopringAccount, LoopringConfig};
use sluice::clob::loopring::{LoopringVenue, loopring_venue};
use sluice::core::{OrderState, OrderType, Pair, Side};
use sluice::venue::ConnectContext;
use sluice::venue::connector::MemoryKeys;
use sluice::wallet::{PrivateKey, UnlockedWallet};
use sluice_sim::exchange::dialects::loopring::{ACCOUNT_ID, MockLoopring, TRADER_ETH_KEY};

use crate::cex_support::{self as cex, wait_state};

fn account() -> LoopringAccount {
    let signer: PrivateKeySigner = TRADER_ETH_KEY.parse().unwrap();
    LoopringAccount {
        account_id: ACCOUNT_ID,
        key: Arc::new(derive_l2_key(&signer, MAINNET_EXCHANGE, 0).unwrap()),
    }
}

fn trader(mock: &MockLoopring) -> LoopringVenue {
    let cfg = LoopringConfig::new(&mock.rest_url(), &mock.ws_url());
    let v = loopring_venue(cfg, Some((account(), mock.api_key()))).unwrap();
    v.set_reconcile_interval(Duration::from_millis(100));
    v
}

async fn started() -> MockLoopring {
    let mock = MockLoopring::start().await.unwrap();
    mock.seed_book("ETH-USDC", dec!(2000), 10, 1, dec!(1))
        .unwrap();
    mock
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_is_placed_partly_filled_and_cancelled_with_verified_signatures() {
    let mock = started().await;
    let venue = trader(&mock);
    let pair: Pair = "ETH-USDC".parse().unwrap();
    // the reconciler follows the orders (no private stream), the book follows the topic
    venue.start(std::slice::from_ref(&pair)).await.unwrap();
    let before = venue.balances().await.unwrap();
    let usdc = before.iter().find(|b| b.asset.as_str() == "USDC").unwrap();
    assert_eq!((usdc.total, usdc.available), (dec!(100000), dec!(100000)));

    let order = cex::order(
        &venue,
        &pair,
        Side::Buy,
        OrderType::Limit,
        dec!(0.5),
        Some(dec!(1999.5)),
    );
    let id = venue.submit(order).await.unwrap();
    wait_state(&venue, &id, OrderState::Open, dec!(0)).await;
    let engine_id = mock.order_id(id.as_str()).unwrap();
    // resting: the quote it may spend is locked
    let usdc = venue.balances().await.unwrap();
    let usdc = usdc.iter().find(|b| b.asset.as_str() == "USDC").unwrap();
    assert_eq!(usdc.total - usdc.available, dec!(999.75));

    assert_eq!(mock.fill_order(engine_id, Some(dec!(0.2))), dec!(0.2));
    wait_state(&venue, &id, OrderState::PartiallyFilled, dec!(0.2)).await;
    let tracked = venue.tracked_order(&id).unwrap();
    let hash = tracked.venue_order_id.clone().unwrap();
    assert!(hash.starts_with("0x") && hash.len() == 66, "{hash}");

    venue.cancel(&id).await.unwrap();
    wait_state(&venue, &id, OrderState::Cancelled, dec!(0.2)).await;
    let eth = venue.balances().await.unwrap();
    let eth = eth.iter().find(|b| b.asset.as_str() == "ETH").unwrap();
    assert_eq!(eth.total, dec!(10.2));

    // the next order of the same sell token takes the next storage id
    let second = cex::order(
        &venue,
        &pair,
        Side::Buy,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(1990)),
    );
    let id2 = venue.submit(second).await.unwrap();
    wait_state(&venue, &id2, OrderState::Open, dec!(0)).await;
    assert_eq!(mock.refused_signatures(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_orders_and_foreign_signatures_are_refused() {
    let mock = started().await;
    let venue = trader(&mock);
    let cfg = LoopringConfig::new(&mock.rest_url(), &mock.ws_url());
    let t = venue.exchange();
    let tokens = sluice::clob::loopring::api::parse_tokens(
        &venue
            .rest()
            .request(&ApiRequest::new(Method::GET, "/api/v3/exchange/tokens"))
            .await
            .unwrap(),
    )
    .unwrap();
    let eth = tokens.iter().find(|t| t.symbol == "ETH").unwrap();
    let usdc = tokens.iter().find(|t| t.symbol == "USDC").unwrap();
    let order = cex::order(
        &venue,
        &"ETH-USDC".parse().unwrap(),
        Side::Sell,
        OrderType::Limit,
        dec!(0.1),
        Some(dec!(2100)),
    );
    let body = t.order_body(&order, eth, usdc, 0, 4_000_000_000).unwrap();
    // the sell volume changed after signing: the signature no longer covers the order
    let tampered = body.replace("\"100000000000000000\"", "\"200000000000000000\"");
    assert_ne!(tampered, body);
    let req = ApiRequest::new(Method::POST, "/api/v3/order")
        .signed()
        .body(RequestBody::Json(tampered));
    match venue.rest().request(&req).await.unwrap_err() {
        CexError::Api { code: c, kind, .. } => {
            assert_eq!(c, code::INVALID_ORDER_SIGNATURE);
            assert_eq!(kind, ApiErrorKind::Authentication);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.refused_signatures(), 1);
    assert!(mock.order_id(order.client_id.as_str()).is_none());
    // the untampered order goes through under the same storage id
    let req = ApiRequest::new(Method::POST, "/api/v3/order")
        .signed()
        .body(RequestBody::Json(body));
    venue.rest().request(&req).await.unwrap();
    assert!(mock.order_id(order.client_id.as_str()).is_some());

    // a cancel signed with another L2 key (same API key) is refused
    let other = LoopringAccount {
        account_id: ACCOUNT_ID,
        key: Arc::new(
            derive_l2_key(&TRADER_ETH_KEY.parse().unwrap(), MAINNET_EXCHANGE, 1).unwrap(),
        ),
    };
    let impostor = loopring_venue(cfg, Some((other, mock.api_key()))).unwrap();
    let req = ApiRequest::new(Method::DELETE, "/api/v3/order")
        .param("accountId", ACCOUNT_ID)
        .param("clientOrderId", order.client_id.as_str())
        .signed();
    match impostor.rest().request(&req).await.unwrap_err() {
        CexError::Api { code: c, .. } => assert_eq!(c, code::INVALID_SIGNATURE),
        other => panic!("{other:?}"),
    }
    assert_eq!(mock.refused_signatures(), 2);
    // signed with the account's key, it cancels
    venue.rest().request(&req).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallet_named_in_the_table_gives_the_key_account_and_api_key() {
    let mock = started().await;
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
    let venue = sluice::connectors::connect(&"loopring".parse().unwrap(), &table, &ctx)
        .await
        .unwrap();
    let id = venue
        .submit(sluice::core::OrderRequest {
            client_id: venue.new_client_id().unwrap(),
            pair: "ETH-USDC".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::LimitMaker,
            amount: dec!(0.25),
            price: Some(dec!(2050)),
            time_in_force: sluice::core::TimeInForce::Gtc,
            deadline: None,
        })
        .await
        .unwrap();
    assert_eq!(venue.tracked_order(&id).unwrap().state, OrderState::Open);
    assert!(mock.order_id(id.as_str()).is_some());
    assert_eq!(mock.refused_signatures(), 0);
}
