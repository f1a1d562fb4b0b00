//! Shared by the Perp v1 tests: a node from the cached snapshot under xDai's chain id (100), the
//! deployed market's addresses, and helpers to trade through the ClearingHouse.
#![allow(dead_code)]

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use sluice_sim::anvil::AnvilOptions;
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
