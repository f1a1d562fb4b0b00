//! Shared by the Mento tests: a venue on the local deployment, the Broker's own quotes, the
//! chain's clock.

use alloy::eips::BlockNumberOrTag;
use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use sluice::amm::mento::abi::IMentoBroker;
use sluice::amm::mento::connector::{MentoContracts, MentoModel, MentoVenue};
use sluice::amm::tokens::TokenBook;
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::Asset;
use sluice_sim::anvil::dev_signer;
use sluice_sim::deploy::LocalEnv;

pub type TestResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The deployment's addresses the tests use.
pub struct Mento {
    pub broker: Address,
    pub bpm: Address,
    pub sorted_oracles: Address,
    /// The constant-product cUSD/CELO exchange and the constant-sum cUSD/USDC one.
    pub cp: B256,
    pub cs: B256,
    pub cusd: Address,
    pub celo: Address,
    pub usdc: Address,
}

pub fn mento(env: &LocalEnv) -> TestResult<Mento> {
    let m = &env.manifest;
    let x = m.mento.as_ref().ok_or("no mento")?;
    let token = |s: &str| m.tokens.get(s).map(|t| t.address).ok_or(format!("no {s}"));
    let (cp, cs) = match x.exchanges.as_slice() {
        [a, b] => (a.id, b.id),
        _ => return Err("two mento exchanges expected".into()),
    };
    Ok(Mento {
        broker: x.broker,
        bpm: x.bi_pool_manager,
        sorted_oracles: x.sorted_oracles,
        cp,
        cs,
        cusd: token("cUSD")?,
        celo: token("CELO")?,
        usdc: token("USDC")?,
    })
}

/// A quoting venue, or a trading one signed by dev account `account`.
pub async fn venue(env: &LocalEnv, account: Option<usize>) -> TestResult<MentoVenue> {
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    let contracts = MentoContracts::from_manifest(&env.manifest).ok_or("no mento")?;
    let v = MentoVenue::open(
        "anvil",
        Asset::new("ETH")?,
        env.anvil.read_provider(),
        MentoModel::new(contracts),
        book,
    )
    .await?;
    let Some(account) = account else {
        return Ok(v);
    };
    let specs = ChainSpecs::builtin()?;
    let client = EvmClient::connect(
        specs.get("anvil").ok_or("no anvil spec")?,
        env.anvil.url().as_str(),
    )
    .await?;
    let wallet = EthereumWallet::from(dev_signer(account).ok_or("no dev signer")?.clone());
    let config = TrackerConfig::for_client(&client);
    let tracker = TxTracker::new(client, wallet, config);
    Ok(v.with_executor(tracker, ApprovalPolicy::Exact))
}

/// The Broker's `getAmountOut` (exact in) or `getAmountIn` (exact out), or its revert text.
pub async fn broker_quote(
    env: &LocalEnv,
    m: &Mento,
    exchange: B256,
    token_in: Address,
    token_out: Address,
    exact_in: bool,
    amount: U256,
) -> Result<U256, String> {
    let data = if exact_in {
        IMentoBroker::getAmountOutCall {
            exchangeProvider: m.bpm,
            exchangeId: exchange,
            tokenIn: token_in,
            tokenOut: token_out,
            amountIn: amount,
        }
        .abi_encode()
    } else {
        IMentoBroker::getAmountInCall {
            exchangeProvider: m.bpm,
            exchangeId: exchange,
            tokenIn: token_in,
            tokenOut: token_out,
            amountOut: amount,
        }
        .abi_encode()
    };
    let tx = TransactionRequest::default()
        .with_to(m.broker)
        .with_input(data);
    let out = env
        .anvil
        .read_provider()
        .call(tx)
        .await
        .map_err(|e| e.to_string())?;
    U256::abi_decode(&out).map_err(|e| e.to_string())
}

/// The latest block's timestamp.
pub async fn chain_time(env: &LocalEnv) -> TestResult<u64> {
    let b = env
        .anvil
        .read_provider()
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await?
        .ok_or("no latest block")?;
    Ok(b.header.timestamp)
}

use alloy::sol_types::SolValue;
