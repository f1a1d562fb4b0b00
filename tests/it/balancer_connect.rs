//! `balancer@anvil` through the one registry: built from its `[connect."balancer@anvil"]` table
//! (read-only and with a wallet), `start` tracks the pair's pools and follows the chain, quotes
//! and a swap work; an arbitrage config with `balancer@anvil` as its AMM leg parses and that leg
//! constructs through the registry for trading, as `sluice arb` does.

use std::path::Path;
use std::sync::Arc;

use alloy::primitives::{Address, U256};
use alloy::providers::ext::AnvilApi;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::chain::ChainSpecs;
use sluice::core::{ClientOrderId, OrderRequest, OrderType, Pair, QuoteRequest, Side, TimeInForce};
use sluice::strategy::arb::ArbConfig;
use sluice::venue::connector::FixedPassword;
use sluice::venue::{ConnectContext, Execution, Venue, VenueId};
use sluice::wallet::{PrivateKey, ScryptParams, SecretString, UnlockedWallet, WalletStore};
use sluice_sim::deploy::LocalEnv;

use crate::anvil_support::trades;
use sluice::amm::evm::abi::IERC20 as IErc20;

const PASSWORD: &str = "balancer connector test password";

fn context(home: &Path) -> ConnectContext {
    ConnectContext::new(home, ChainSpecs::builtin().unwrap(), &home.join("arb.toml"))
}

async fn connect(id: &str, text: &str, ctx: &ConnectContext) -> Arc<dyn Venue> {
    let id: VenueId = id.parse().unwrap();
    match sluice::connectors::connect(&id, &text.parse().unwrap(), ctx).await {
        Ok(v) => v,
        Err(e) => panic!("{id}: {e}"),
    }
}

/// Saves a wallet `trader` (the private key of 32 `key` bytes) in `home` under `password`, and
/// funds its account on the anvil with 10 of the native coin (for gas) and 10 000 USDC from the
/// deployer; returns its address.
pub(crate) async fn funded_trader(env: &LocalEnv, home: &Path, key: u8, password: &str) -> Address {
    let key = PrivateKey::from_bytes(&[key; 32]).unwrap();
    let address = key.evm_signer().address();
    WalletStore::with_params(home, ScryptParams::new(10, 8, 1).unwrap())
        .save(
            &UnlockedWallet::PrivateKey {
                name: "trader".into(),
                key,
            },
            &SecretString::from(password),
        )
        .unwrap();
    let p = env.anvil.provider();
    p.anvil_set_balance(address, U256::from(10u64).pow(U256::from(19u8)))
        .await
        .unwrap();
    let usdc = env.manifest.token_address("USDC").unwrap();
    trades::send(
        &p,
        env.manifest.deployer,
        usdc,
        &IErc20::transferCall {
            to: address,
            amount: U256::from(10_000_000_000u64),
        },
        U256::ZERO,
    )
    .await
    .unwrap();
    address
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balancer_builds_itself_through_the_registry_quotes_and_swaps() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let manifest = home.path().join("manifest.json");
    std::fs::write(&manifest, env.manifest.to_json_pretty()).unwrap();
    let base = format!(
        "rpc_url = \"{}\"\nmanifest = \"{}\"\nsync_interval_ms = 50\n",
        env.anvil.url(),
        manifest.display()
    );
    let reader = connect("balancer@anvil", &base, &context(home.path())).await;
    assert_eq!(reader.id().to_string(), "balancer@anvil");
    assert_eq!(reader.execution(), Execution::SwapMinOut);
    let pair: Pair = "WETH-USDC".parse().unwrap();
    reader.start(std::slice::from_ref(&pair)).await.unwrap();
    let markets = reader.markets().await.unwrap();
    assert!(
        markets.iter().any(|m| m.taker_fee == dec!(0.003)),
        "the 0.3 % WETH/USDC pool is listed: {markets:?}"
    );
    let q = reader
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.05),
        })
        .await
        .unwrap();
    assert!(
        q.quote_amount > Decimal::ZERO && q.worst_price > q.average_price,
        "{q:?}"
    );

    // A trader from a wallet of the home, with ETH for gas and USDC from the deployer.
    funded_trader(&env, home.path(), 0x5b, PASSWORD).await;
    let trading =
        context(home.path()).trading(Arc::new(FixedPassword(SecretString::from(PASSWORD))));
    let trader = connect(
        "balancer@anvil",
        &format!("{base}wallet = \"trader\"\n"),
        &trading,
    )
    .await;
    let order = OrderRequest {
        client_id: ClientOrderId::generate("bal-"),
        pair: pair.clone(),
        side: Side::Buy,
        order_type: OrderType::Swap,
        amount: dec!(0.05),
        price: Some(q.average_price * dec!(1.01)),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    };
    trader.submit(order.clone()).await.unwrap();
    let filled = crate::uniswap_support::final_order(trader.as_ref(), &order).await;
    assert_eq!(filled.state, sluice::core::OrderState::Filled, "{filled:?}");
    assert_eq!(filled.filled, dec!(0.05));
    assert_eq!(filled.filled_quote, q.quote_amount);
    reader.close().await;

    // `sluice arb` with balancer@anvil as the AMM leg: the config parses and the leg builds
    // itself through the registry with its wallet, started on its pair.
    let arb: ArbConfig = "order_size = \"0.05\"\nmin_profit_pct = \"0.5\"\nexecution = \"concurrent\"\nmax_open_exposure = \"2\"\non_leg_failure = \"unwind\"\nmax_failures = 2\n[gas]\nsource = \"market\"\n[venue_a]\nvenue = \"binance\"\npair = \"ETH-USDT\"\n[venue_b]\nvenue = \"balancer@anvil\"\npair = \"WETH-USDC\"\n[[assets]]\nasset = \"WETH\"\nsame_as = \"ETH\"\n[[assets]]\nasset = \"USDC\"\nsame_as = \"USDT\"\n"
        .parse()
        .unwrap();
    assert_eq!(arb.venue_b.venue.to_string(), "balancer@anvil");
    let leg = sluice::connectors::connect(
        &arb.venue_b.venue,
        &format!("{base}wallet = \"trader\"\n").parse().unwrap(),
        &trading,
    )
    .await
    .unwrap();
    leg.start(std::slice::from_ref(&arb.venue_b.pair))
        .await
        .unwrap();
    assert!(!leg.markets().await.unwrap().is_empty());
    leg.close().await;
}
