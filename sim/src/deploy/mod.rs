//! Deploys the real protocols' bytecode (from their official npm packages) onto a local anvil, in
//! process with alloy, seeds pools at realistic prices, and describes the result in a [`Manifest`].
//! [`LocalEnv`] starts a ready environment from a cached state snapshot in well under a second.
//!
//! Prices: 1 WETH = 3000 USDC = 3000 DAI; USDC = DAI; 1 CELO = 0.50 cUSD.

pub mod artifacts;
pub mod balancer;
pub mod deployer;
pub mod environment;
pub mod mento;
pub mod perp;
pub mod test_contracts;
pub mod tokens;
pub mod uniswap_v2;
pub mod uniswap_v3;

use std::collections::BTreeMap;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;

pub use artifacts::{Artifact, ArtifactError};
pub use deployer::{DeployError, Deployer};
pub use environment::{LocalEnv, Snapshot};
pub use sluice::chain::deployment::{
    MANIFEST_FORMAT, Manifest, ManifestError, NodeIdentity, TokenInfo, manifest, manifest_check,
    node_identity,
};

use crate::anvil::{Anvil, dev_addresses};
use tokens::units;

/// Bumped whenever the deployment code changes what gets deployed, so cached snapshots are rebuilt.
pub const DEPLOY_CODE_VERSION: u32 = 1400;

/// The ETH price in USD used for every seeded pool.
pub const ETH_PRICE_USD: u64 = 3000;

/// The CELO price in US cents used for the Mento exchange.
pub const CELO_PRICE_CENTS: u64 = 50;

/// Deploys and seeds everything on `anvil` from dev account 0; returns the manifest.
pub async fn deploy_all(anvil: &Anvil) -> Result<Manifest, DeployError> {
    let provider = anvil.provider();
    let accounts = dev_addresses();
    let deployer_addr = *accounts
        .first()
        .ok_or_else(|| DeployError::unexpected("dev accounts", "none derived"))?;
    let rpc = |what: &str| {
        let what = what.to_string();
        move |source| DeployError::Rpc { what, source }
    };
    // Enough ETH for every pool's WETH and then some.
    provider
        .anvil_set_balance(deployer_addr, units(10_000_000, 18))
        .await
        .map_err(rpc("anvil_setBalance"))?;
    let d = Deployer::new(provider.clone(), deployer_addr);

    let weth = tokens::deploy_weth(&d).await?;
    let usdc = tokens::deploy_test_token(&d, "USD Coin", "USDC", 6).await?;
    let dai = tokens::deploy_test_token(&d, "Dai Stablecoin", "DAI", 18).await?;
    let celo = tokens::deploy_test_token(&d, "Celo native asset", "CELO", 18).await?;
    let cusd = tokens::deploy_test_token(&d, "Celo Dollar", "cUSD", 18).await?;
    tokens::wrap(&d, weth.address, units(20_000, 18)).await?;
    tokens::mint(&d, &usdc, deployer_addr, units(1_000_000_000, 6)).await?;
    tokens::mint(&d, &dai, deployer_addr, units(1_000_000_000, 18)).await?;
    for &a in accounts.iter().skip(1) {
        tokens::mint(&d, &usdc, a, units(1_000_000, 6)).await?;
        tokens::mint(&d, &dai, a, units(1_000_000, 18)).await?;
        tokens::mint(&d, &celo, a, units(1_000_000, 18)).await?;
        tokens::mint(&d, &cusd, a, units(1_000_000, 18)).await?;
    }

    let eth = |n: u64| units(n, 18);
    let usd6 = |n: u64| units(n, 6);
    let v2 = uniswap_v2::deploy(
        &d,
        weth.address,
        &[
            pair(
                weth.address,
                eth(500),
                usdc.address,
                usd6(500 * ETH_PRICE_USD),
            ),
            pair(
                weth.address,
                eth(500),
                dai.address,
                eth(500 * ETH_PRICE_USD),
            ),
            pair(usdc.address, usd6(1_000_000), dai.address, eth(1_000_000)),
        ],
    )
    .await?;
    let v3_pool = |a: &TokenInfo, amount_a, b: &TokenInfo, amount_b, fee| uniswap_v3::PoolSeed {
        token_a: a.address,
        amount_a,
        token_b: b.address,
        amount_b,
        fee,
    };
    let v3 = uniswap_v3::deploy(
        &d,
        weth.address,
        &[
            v3_pool(&weth, eth(100), &usdc, usd6(100 * ETH_PRICE_USD), 500),
            v3_pool(&weth, eth(100), &usdc, usd6(100 * ETH_PRICE_USD), 3000),
            v3_pool(&weth, eth(100), &dai, eth(100 * ETH_PRICE_USD), 3000),
            v3_pool(&usdc, usd6(300_000), &dai, eth(300_000), 500),
        ],
    )
    .await?;
    // Balancer: the 2-token weighted pool first (tests and the demo use it), a 3-token weighted pool
    // with unequal weights, and a 3-token stable pool (USDC 6 decimals, DAI and cUSD 18).
    tokens::mint(&d, &cusd, deployer_addr, units(10_000_000, 18)).await?;
    let balancer = balancer::deploy(
        &d,
        weth.address,
        &[
            balancer::WeightedSeed {
                legs: vec![
                    (weth.address, eth(100), units(5, 17)),
                    (usdc.address, usd6(100 * ETH_PRICE_USD), units(5, 17)),
                ],
                swap_fee: units(3, 15),
            },
            balancer::WeightedSeed {
                legs: vec![
                    (weth.address, eth(50), units(5, 17)),
                    (usdc.address, usd6(30 * ETH_PRICE_USD), units(3, 17)),
                    (dai.address, eth(20 * ETH_PRICE_USD), units(2, 17)),
                ],
                swap_fee: units(1, 15),
            },
        ],
        &[balancer::StableSeed {
            legs: vec![
                (usdc.address, usd6(2_000_000)),
                (dai.address, eth(2_000_000)),
                (cusd.address, eth(1_500_000)),
            ],
            amplification: U256::from(200u32),
            swap_fee: units(4, 14),
        }],
    )
    .await?;
    let perp = perp::deploy(&d, usdc.address, ETH_PRICE_USD).await?;
    let mento = mento::deploy(&d, &cusd, &celo, &usdc, CELO_PRICE_CENTS).await?;
    let hostile_tokens = test_contracts::deploy_hostile_tokens(&d, &accounts, 1_000_000).await?;

    let chain_id = provider.get_chain_id().await.map_err(rpc("eth_chainId"))?;
    // The chain the manifest is true of: every loader checks it against its node.
    let genesis_hash = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Number(0))
        .await
        .map_err(rpc("eth_getBlockByNumber(0)"))?
        .map(|b| b.header.hash)
        .ok_or_else(|| DeployError::unexpected("the genesis block", "the node has none"))?;
    let block = provider
        .get_block_number()
        .await
        .map_err(rpc("eth_blockNumber"))?;
    let tokens: BTreeMap<String, TokenInfo> = [weth, usdc, dai, celo, cusd]
        .into_iter()
        .map(|t| (t.symbol.clone(), t))
        .collect();
    Ok(Manifest {
        format: MANIFEST_FORMAT,
        chain_id,
        genesis_hash: Some(genesis_hash),
        deployer: deployer_addr,
        block,
        tokens,
        uniswap_v2: v2,
        uniswap_v3: v3,
        balancer: Some(balancer),
        perp: Some(perp),
        mento: Some(mento),
        hostile_tokens: Some(hostile_tokens),
    })
}

fn pair(
    token_a: Address,
    amount_a: U256,
    token_b: Address,
    amount_b: U256,
) -> uniswap_v2::PairSeed {
    uniswap_v2::PairSeed {
        token_a,
        amount_a,
        token_b,
        amount_b,
    }
}
