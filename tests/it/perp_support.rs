//! Shared by the Perp v1 tests: a node from the cached snapshot under xDai's chain id (100), the
//! deployed market's addresses, and helpers to trade through the ClearingHouse.
#![allow(dead_code)]

use std::time::Duration;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use sluice::amm::perp::connect::PERP;
use sluice::amm::perp::venue::{PerpContracts, PerpVenue};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::{Order, OrderRequest, OrderType, TimeInForce};
use sluice::venue::{ConnectContext, Connector, Venue};
use sluice_sim::anvil::{AnvilOptions, dev_signer};
use sluice_sim::deploy::LocalEnv;

pub type TestResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

sol! {
    interface IPerpErc20 {
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }
    interface IPerpPriceFeedMock {
        function setPrice(uint256 _price) external;
        function setTwapPrice(uint256 _price) external;
    }
}

/// The deployed Perp market of the snapshot.
pub struct PerpEnv {
    pub env: LocalEnv,
    pub clearing_house: Address,
    pub viewer: Address,
    pub amm: Address,
    pub usdc: Address,
    pub price_feed: Address,
}

/// Loads the snapshot into a node started with `--chain-id 100` (xDai): the same state, served
/// under xDai's id, as `LocalEnv::start_with` does for any chain id.
pub async fn start_xdai() -> TestResult<PerpEnv> {
    let env = LocalEnv::start_with(AnvilOptions {
        chain_id: Some(100),
        ..Default::default()
    })
    .await?;
    let perp = env.manifest.perp.clone().ok_or("no perp in the manifest")?;
    let amm = perp.amms.first().ok_or("no perp amm")?.address;
    Ok(PerpEnv {
        clearing_house: perp.clearing_house,
        viewer: perp.clearing_house_viewer,
        amm,
        usdc: perp.quote_token,
        price_feed: perp.price_feed,
        env,
    })
}

pub fn e18(x: u64) -> U256 {
    U256::from(x) * U256::from(10u64).pow(U256::from(18u64))
}

/// Sends `call` from `from` (an unlocked dev account) and fails on a revert.
pub async fn send<C: SolCall>(
    p: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
) -> TestResult<u64> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    let receipt = p.send_transaction(tx).await?.get_receipt().await?;
    if !receipt.status() {
        return Err(format!("transaction {} reverted", receipt.transaction_hash).into());
    }
    receipt
        .block_number
        .ok_or_else(|| "receipt without a block".into())
}

/// `eth_call` of `call` from `from` at the latest block.
pub async fn read<C: SolCall>(
    p: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
) -> TestResult<C::Return> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    Ok(C::abi_decode_returns(&p.call(tx).await?)?)
}

/// The venue `perp@xdai` on this node, built through its connector from the manifest (read-only).
pub async fn connected(
    e: &PerpEnv,
    home: &std::path::Path,
    extra: &str,
) -> TestResult<std::sync::Arc<dyn Venue>> {
    let manifest = home.join("manifest.json");
    std::fs::write(&manifest, serde_json::to_vec(&e.env.manifest)?)?;
    let mut table: toml::Table = extra.parse()?;
    table.insert("rpc_url".into(), e.env.anvil.url().to_string().into());
    table.insert("manifest".into(), manifest.display().to_string().into());
    let ctx = ConnectContext::new(home, ChainSpecs::builtin()?, &home.join("arb.toml"));
    Ok(PERP.connect(&"perp@xdai".parse()?, &table, &ctx).await?)
}

/// A trading `perp@xdai` venue signed by dev account `account` at `leverage` (1e18 = 1x): the
/// connector's read-only venue's parts with a tracker of the dev key (no wallet file).
pub async fn trading(
    e: &PerpEnv,
    account: usize,
    leverage: U256,
) -> TestResult<std::sync::Arc<PerpVenue>> {
    let specs = ChainSpecs::builtin()?;
    let spec = specs.get("xdai").ok_or("no xdai spec")?;
    let client = EvmClient::connect(spec, e.env.anvil.url().as_str()).await?;
    let contracts = PerpContracts::from_manifest(&e.env.manifest).ok_or("no perp")??;
    let mut tokens = sluice::amm::tokens::TokenBook::from_chain_spec(spec);
    tokens.add_manifest(&e.env.manifest);
    let margin = tokens
        .by_address(e.usdc)
        .cloned()
        .ok_or("USDC not in the manifest")?;
    let v = PerpVenue::open(sluice::amm::perp::venue::PerpParts {
        chain: "xdai".into(),
        provider: client.provider().clone(),
        contracts,
        margin,
        leverage,
        native: sluice::core::Asset::new("XDAI")?,
        tokens,
        sync_interval: Duration::from_millis(100),
    })
    .await?;
    let wallet = EthereumWallet::from(dev_signer(account).ok_or("no dev signer")?.clone());
    let config = TrackerConfig::for_client(&client);
    let tracker = TxTracker::new(client, wallet, config);
    Ok(v.with_executor(tracker, ApprovalPolicy::Exact).shared())
}

/// A swap-shaped order (the shape `sluice swap` sends) of `amount` base with a worst price.
pub fn order(
    pair: &str,
    side: sluice::core::Side,
    amount: rust_decimal::Decimal,
    worst: rust_decimal::Decimal,
) -> TestResult<OrderRequest> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    Ok(OrderRequest {
        client_id: sluice::core::ClientOrderId::generate("perp-"),
        pair: pair.parse()?,
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(worst),
        time_in_force: TimeInForce::Fok,
        deadline: Some(now + 300),
    })
}

/// Submits `order` and waits (30 s at most) for a final state.
pub async fn submit_and_wait(v: &dyn Venue, order: &OrderRequest) -> TestResult<Order> {
    v.submit(order.clone()).await?;
    let started = std::time::Instant::now();
    loop {
        let o = v.order_status(order).await?;
        if o.state.is_terminal() || started.elapsed() > Duration::from_secs(30) {
            return Ok(o);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
