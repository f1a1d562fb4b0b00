//! Connectors build themselves through the one registry (`sluice::connectors`): each from its own
//! `[connect.<venue>]` table and a context, Binance against the mock exchange and Uniswap v2/v3
//! against the anvil snapshot; an unknown key is refused naming file, table, key and the accepted
//! keys; trading without a wallet is refused at connect time; `start` makes the venue watch and
//! quote a pair and follow it in the background, `close` stops that.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::U256;
use alloy::providers::ext::AnvilApi;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::ApiCredentials;
use sluice::cex::key_store::ApiKeyStore;
use sluice::chain::ChainSpecs;
use sluice::core::{
    ClientOrderId, OrderRequest, OrderType, Pair, QuoteRequest, Side, TimeInForce, VenueEvent,
};
use sluice::venue::connector::FixedPassword;
use sluice::venue::{ConnectContext, ConnectError, EventReceiver, Execution, Venue, VenueId};
use sluice::wallet::{PrivateKey, ScryptParams, SecretString, UnlockedWallet, WalletStore};
use sluice_sim::deploy::LocalEnv;
use sluice_sim::exchange::dialects::binance::MockBinance;

const PASSWORD: &str = "connector test password";

fn cheap() -> ScryptParams {
    ScryptParams::new(10, 8, 1).unwrap()
}

fn context(home: &Path) -> ConnectContext {
    ConnectContext::new(home, ChainSpecs::builtin().unwrap(), &home.join("arb.toml"))
}

fn trading(home: &Path) -> ConnectContext {
    context(home).trading(Arc::new(FixedPassword(SecretString::from(PASSWORD))))
}

fn table(text: &str) -> toml::Table {
    text.parse().unwrap()
}

async fn connect(id: &str, t: &toml::Table, ctx: &ConnectContext) -> Arc<dyn Venue> {
    let id: VenueId = id.parse().unwrap();
    match sluice::connectors::connect(&id, t, ctx).await {
        Ok(v) => v,
        Err(e) => panic!("{id}: {e}"),
    }
}

/// Waits until `pred` holds for an event; false after `limit`.
async fn event(
    rx: &mut EventReceiver,
    limit: Duration,
    pred: impl Fn(&VenueEvent) -> bool,
) -> bool {
    let until = tokio::time::Instant::now() + limit;
    loop {
        match tokio::time::timeout_at(until, rx.recv()).await {
            Ok(Some(ev)) if pred(&ev) => return true,
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => return false,
        }
    }
}

fn mock_table(mock: &MockBinance) -> toml::Table {
    table(&format!(
        "rest_url = \"{}\"\nws_url = \"{}\"\nws_api_url = \"{}\"",
        mock.rest_url(),
        mock.ws_url(),
        mock.ws_api_url()
    ))
}

fn sell(pair: &Pair, amount: Decimal) -> QuoteRequest {
    QuoteRequest {
        pair: pair.clone(),
        side: Side::Sell,
        base_amount: amount,
    }
}

#[tokio::test]
async fn binance_builds_itself_read_only_and_start_watches_the_book() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("ETHUSDT", dec!(3000), 10, 1, dec!(1))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    // Read-only: no password is asked (the context has no secrets) and no key is needed.
    let v = connect("binance", &mock_table(&mock), &context(home.path())).await;
    assert_eq!(v.id().to_string(), "binance");
    assert_eq!(v.execution(), Execution::IocLimit);
    let pair: Pair = "ETH-USDT".parse().unwrap();
    let mut events = v.events();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    // The live book publishes each diff it applies: move the book until one arrives.
    let mut watched = false;
    for seed in 0..100 {
        mock.random_book_updates("ETHUSDT", seed, 1).unwrap();
        let changed =
            |e: &VenueEvent| matches!(e, VenueEvent::BookChanged { pair: p } if *p == pair);
        if event(&mut events, Duration::from_millis(100), changed).await {
            watched = true;
            break;
        }
    }
    assert!(watched, "start watches the pair's book");
    let q = v.quote(&sell(&pair, dec!(2))).await.unwrap();
    assert!(
        q.quote_amount > dec!(5000) && q.quote_amount < dec!(6100),
        "{q:?}"
    );
    assert_eq!(mock.market_connections(), 1);
    v.close().await;
    for _ in 0..100 {
        if mock.market_connections() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mock.market_connections(), 0, "close stops the book stream");
}

#[tokio::test]
async fn binance_trading_opens_the_stored_keys_and_start_runs_the_user_stream() {
    let mock = MockBinance::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let id: VenueId = "binance".parse().unwrap();
    // No keys stored: a clear error naming the venue and what to do.
    let e = sluice::connectors::connect(&id, &mock_table(&mock), &trading(home.path()))
        .await
        .err()
        .unwrap();
    assert!(matches!(e, ConnectError::Secrets { .. }), "{e:?}");
    assert!(e.to_string().contains("sluice keys add"), "{e}");

    let creds = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    ApiKeyStore::with_params(home.path(), cheap())
        .add("binance", &creds, PASSWORD.as_bytes(), false)
        .unwrap();
    let v = connect("binance", &mock_table(&mock), &trading(home.path())).await;
    // Signed: the stored keys are in use.
    v.balances().await.unwrap();
    assert_eq!(mock.user_connections(), 0, "nothing runs before start");
    v.start(&["BTC-USDT".parse().unwrap()]).await.unwrap();
    assert_eq!(mock.user_connections(), 1, "start runs the user stream");
    v.close().await;
    for _ in 0..100 {
        if mock.user_connections() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mock.user_connections(), 0, "close stops the user stream");
}

#[tokio::test]
async fn an_unknown_key_is_refused_with_file_table_key_and_the_accepted_keys() {
    let home = tempfile::tempdir().unwrap();
    let file = home.path().join("arb.toml");
    let text = "[connect.binance]\nrest_url = \"http://127.0.0.1:1\"\nuser_streams = \"auto\"\n\n\
                [connect.\"uniswap_v3@anvil\"]\nrpc = \"http://127.0.0.1:1\"\n";
    let mut doc: toml::Table = text.parse().unwrap();
    let Some(toml::Value::Table(connect_tables)) = doc.remove("connect") else {
        panic!("no [connect]")
    };
    let ctx = context(home.path());
    for (venue, key, accepted) in [
        (
            "binance",
            "user_streams",
            "rest_url, ws_url, ws_api_url, user_stream, maker_fee, taker_fee, reconcile_interval_ms",
        ),
        (
            "uniswap_v3@anvil",
            "rpc",
            "rpc_url, wallet, account_index, manifest, approval, sync_interval_ms, fee_currency",
        ),
    ] {
        let Some(toml::Value::Table(t)) = connect_tables.get(venue) else {
            panic!("no table for {venue}")
        };
        let id: VenueId = venue.parse().unwrap();
        let e = sluice::connectors::connect(&id, t, &ctx)
            .await
            .err()
            .unwrap();
        let ConnectError::UnknownKey {
            file: f,
            table: tb,
            key: k,
            accepted: a,
        } = &e
        else {
            panic!("{venue}: {e:?}")
        };
        assert_eq!(f, &file.display().to_string());
        assert_eq!(tb, &sluice::venue::connector::table_name(&id));
        assert_eq!(k, key);
        assert_eq!(a, accepted);
        let text = e.to_string();
        assert!(
            text.contains(&file.display().to_string()) && text.contains(key),
            "{text}"
        );
    }
}

/// The manifest of the environment, written where a `[connect]` table can name it.
fn manifest_file(env: &LocalEnv, dir: &Path) -> String {
    let path = dir.join("manifest.json");
    std::fs::write(&path, env.manifest.to_json_pretty()).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn uniswap_v3_builds_itself_and_start_follows_the_chain_until_close() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let base = format!(
        "rpc_url = \"{}\"\nmanifest = \"{}\"\nsync_interval_ms = 50\n",
        env.anvil.url(),
        manifest_file(&env, home.path())
    );
    let reader = connect("uniswap_v3@anvil", &table(&base), &context(home.path())).await;
    assert_eq!(reader.id().to_string(), "uniswap_v3@anvil");
    assert_eq!(reader.execution(), Execution::SwapMinOut);
    let pair: Pair = "WETH-USDC".parse().unwrap();
    assert!(
        reader.markets().await.unwrap().is_empty(),
        "nothing tracked before start"
    );
    reader.start(std::slice::from_ref(&pair)).await.unwrap();
    let markets = reader.markets().await.unwrap();
    assert!(
        markets
            .iter()
            .any(|m| m.pair == pair || m.pair == Pair::new(pair.quote.clone(), pair.base.clone())),
        "start tracks the pair's pools: {markets:?}"
    );
    let q = reader.quote(&sell(&pair, dec!(0.1))).await.unwrap();
    assert!(q.quote_amount > Decimal::ZERO && q.gas.is_some(), "{q:?}");

    // A started venue's sync task holds it weakly: dropping the last handle drops the venue.
    let extra = connect("uniswap_v3@anvil", &table(&base), &context(home.path())).await;
    extra.start(std::slice::from_ref(&pair)).await.unwrap();
    let weak = Arc::downgrade(&extra);
    drop(extra);
    for _ in 0..40 {
        if weak.upgrade().is_none() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        weak.upgrade().is_none(),
        "dropping a started venue stops it"
    );

    // A read-only venue cannot swap.
    let eth_usdc: Pair = "ETH-USDC".parse().unwrap();
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let swap = |price: Decimal| OrderRequest {
        client_id: ClientOrderId::generate("conn-"),
        pair: eth_usdc.clone(),
        side: Side::Sell,
        order_type: OrderType::Swap,
        amount: dec!(0.05),
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(deadline),
    };
    let bound = q.average_price * dec!(0.5);
    assert!(reader.submit(swap(bound)).await.is_err());

    // A trader from a wallet of the home: its own key, funded on the node.
    let key = PrivateKey::from_bytes(&[0x5a; 32]).unwrap();
    let address = key.evm_signer().address();
    WalletStore::with_params(home.path(), cheap())
        .save(
            &UnlockedWallet::PrivateKey {
                name: "trader".into(),
                key,
            },
            &SecretString::from(PASSWORD),
        )
        .unwrap();
    env.anvil
        .provider()
        .anvil_set_balance(
            address,
            U256::from(10u8) * U256::from(10u64).pow(U256::from(18u8)),
        )
        .await
        .unwrap();
    let trader = connect(
        "uniswap_v3@anvil",
        &table(&format!("{base}wallet = \"trader\"\n")),
        &trading(home.path()),
    )
    .await;

    let mut events = reader.events();
    let order = swap(bound);
    trader.submit(order.clone()).await.unwrap();
    let filled = crate::uniswap_support::final_order(trader.as_ref(), &order).await;
    assert_eq!(filled.state, sluice::core::OrderState::Filled, "{filled:?}");
    assert!(
        event(&mut events, Duration::from_secs(10), |e| matches!(
            e,
            VenueEvent::PoolChanged { .. }
        ))
        .await,
        "the started venue follows the pool by itself"
    );

    reader.close().await;
    while events.try_recv().is_ok() {}
    let order = swap(bound);
    trader.submit(order.clone()).await.unwrap();
    crate::uniswap_support::final_order(trader.as_ref(), &order).await;
    assert!(
        !event(&mut events, Duration::from_secs(1), |e| matches!(
            e,
            VenueEvent::PoolChanged { .. }
        ))
        .await,
        "a closed venue no longer follows the chain"
    );
}

#[tokio::test]
async fn uniswap_v2_builds_itself_and_trading_without_a_wallet_is_refused() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let t = table(&format!(
        "rpc_url = \"{}\"\nmanifest = \"{}\"\n",
        env.anvil.url(),
        manifest_file(&env, home.path())
    ));
    let id: VenueId = "uniswap_v2@anvil".parse().unwrap();
    let e = sluice::connectors::connect(&id, &t, &trading(home.path()))
        .await
        .err()
        .unwrap();
    match &e {
        ConnectError::MissingField { field, table, .. } => {
            assert_eq!(field, "wallet");
            assert_eq!(table, "connect.\"uniswap_v2@anvil\"");
        }
        other => panic!("{other:?}"),
    }
    assert!(e.to_string().contains("wallet"), "{e}");

    let v = connect("uniswap_v2@anvil", &t, &context(home.path())).await;
    assert_eq!(v.execution(), Execution::SwapMinOut);
    let pair: Pair = "WETH-USDC".parse().unwrap();
    assert!(v.markets().await.unwrap().is_empty());
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    assert!(
        !v.markets().await.unwrap().is_empty(),
        "start tracks the pair"
    );
    let q = v.quote(&sell(&pair, dec!(0.1))).await.unwrap();
    assert!(q.quote_amount > Decimal::ZERO, "{q:?}");
    v.close().await;
}
