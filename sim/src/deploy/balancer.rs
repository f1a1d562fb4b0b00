//! Balancer V2 from `@balancer-labs/v2-deployments` (the 2021 mainnet builds): Authorizer, Vault,
//! WeightedPoolFactory and BalancerQueries, plus the StablePoolFactory of `20220609-stable-pool-v2`
//! (the plain stable pool v2: StableMath with the 2022 fixes, no BPT among its tokens, no rate
//! providers, so it runs on the 2021 Vault unchanged; ComposableStablePool adds the BPT as a pool
//! token and protocol-fee caches that a trader's swap does not need). Each pool is joined with an
//! INIT join: weighted pools of 2 and 3 tokens, and a 3-token stable pool (the Vault's GENERAL
//! specialization).
//!
//! Pitfalls (see the protocol-artifacts reference): tokens must be sorted, weights sum to 1e18, the swap
//! fee is at least 1e12, and the INIT join's `userData` is `abi.encode(uint256(0), uint256[] amounts)`.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol;
use alloy::sol_types::{SolEvent, SolValue};

use super::artifacts::{Artifact, PACKED_DIR};
use super::deployer::{DeployError, Deployer};
use super::manifest::{Balancer, BalancerPool};
use super::tokens::approve_max;

const TASKS: &str = "balancer-labs-v2-deployments-3.2.0/dist/tasks";

sol! {
    interface IWeightedPoolFactory {
        function create(string name, string symbol, address[] tokens, uint256[] weights,
            uint256 swapFeePercentage, address owner) external returns (address);
        event PoolCreated(address indexed pool);
    }
    interface IStablePoolFactory {
        function create(string name, string symbol, address[] tokens, uint256 amplificationParameter,
            uint256 swapFeePercentage, address owner) external returns (address);
    }
    interface IBalancerPool {
        function getPoolId() external view returns (bytes32);
    }
    interface IBalancerVault {
        struct JoinPoolRequest { address[] assets; uint256[] maxAmountsIn; bytes userData; bool fromInternalBalance; }
        function joinPool(bytes32 poolId, address sender, address recipient, JoinPoolRequest request) external payable;
    }
}

/// A weighted pool to create: (token, raw amount, weight with 1e18 = 100 %) per token.
#[derive(Debug, Clone)]
pub struct WeightedSeed {
    pub legs: Vec<(Address, U256, U256)>,
    /// 1e18 = 100 %.
    pub swap_fee: U256,
}

/// A stable pool to create: (token, raw amount) per token, the amplification (without its 1e3
/// precision) and the swap fee (1e18 = 100 %).
#[derive(Debug, Clone)]
pub struct StableSeed {
    pub legs: Vec<(Address, U256)>,
    pub amplification: U256,
    pub swap_fee: U256,
}

fn artifact(task_file: &str) -> Result<Artifact, DeployError> {
    Ok(Artifact::load(&format!(
        "{PACKED_DIR}/{TASKS}/{task_file}"
    ))?)
}

/// Deploys the Vault and its peripherals, then creates and funds the pools (weighted first, in
/// order, then stable).
pub async fn deploy(
    d: &Deployer,
    weth: Address,
    weighted: &[WeightedSeed],
    stable: &[StableSeed],
) -> Result<Balancer, DeployError> {
    let authorizer = d
        .deploy(
            "Balancer Authorizer",
            &artifact("20210418-authorizer/bytecode/Authorizer.json")?,
            &d.from().abi_encode(),
        )
        .await?;
    // Pause window 90 days, buffer period 30 days (the mainnet values).
    let vault = d
        .deploy(
            "Balancer Vault",
            &artifact("20210418-vault/bytecode/Vault.json")?,
            &(
                authorizer,
                weth,
                U256::from(90u64 * 86_400),
                U256::from(30u64 * 86_400),
            )
                .abi_encode_params(),
        )
        .await?;
    let weighted_pool_factory = d
        .deploy(
            "Balancer WeightedPoolFactory",
            &artifact("20210418-weighted-pool/bytecode/WeightedPoolFactory.json")?,
            &vault.abi_encode(),
        )
        .await?;
    let queries = d
        .deploy(
            "BalancerQueries",
            &artifact("20220721-balancer-queries/bytecode/BalancerQueries.json")?,
            &vault.abi_encode(),
        )
        .await?;
    let stable_pool_factory = d
        .deploy(
            "Balancer StablePoolFactory (v2)",
            &artifact("20220609-stable-pool-v2/bytecode/StablePoolFactory.json")?,
            &vault.abi_encode(),
        )
        .await?;
    let mut pools = Vec::new();
    for seed in weighted {
        pools.push(create_weighted(d, vault, weighted_pool_factory, seed).await?);
    }
    for seed in stable {
        pools.push(create_stable(d, vault, stable_pool_factory, seed).await?);
    }
    Ok(Balancer {
        authorizer,
        vault,
        weighted_pool_factory,
        stable_pool_factory: Some(stable_pool_factory),
        queries,
        pools,
    })
}

async fn create_weighted(
    d: &Deployer,
    vault: Address,
    factory: Address,
    s: &WeightedSeed,
) -> Result<BalancerPool, DeployError> {
    let what = "Balancer weighted pool";
    let mut legs = s.legs.clone();
    legs.sort_by_key(|l| l.0);
    let tokens: Vec<Address> = legs.iter().map(|l| l.0).collect();
    let amounts: Vec<U256> = legs.iter().map(|l| l.1).collect();
    let weights: Vec<U256> = legs.iter().map(|l| l.2).collect();
    let receipt = d
        .call(
            what,
            factory,
            &IWeightedPoolFactory::createCall {
                name: format!("Balancer weighted {}", tokens.len()),
                symbol: format!("B-W{}", tokens.len()),
                tokens: tokens.clone(),
                weights: weights.clone(),
                swapFeePercentage: s.swap_fee,
                owner: d.from(),
            },
        )
        .await?;
    let (id, address) = pool_created(d, what, &receipt).await?;
    init_join(d, vault, id, &tokens, amounts).await?;
    Ok(BalancerPool {
        id,
        address,
        tokens,
        weights,
        swap_fee: s.swap_fee,
        amplification: None,
    })
}

async fn create_stable(
    d: &Deployer,
    vault: Address,
    factory: Address,
    s: &StableSeed,
) -> Result<BalancerPool, DeployError> {
    let what = "Balancer stable pool";
    let mut legs = s.legs.clone();
    legs.sort_by_key(|l| l.0);
    let tokens: Vec<Address> = legs.iter().map(|l| l.0).collect();
    let amounts: Vec<U256> = legs.iter().map(|l| l.1).collect();
    let receipt = d
        .call(
            what,
            factory,
            &IStablePoolFactory::createCall {
                name: format!("Balancer stable {}", tokens.len()),
                symbol: format!("B-S{}", tokens.len()),
                tokens: tokens.clone(),
                amplificationParameter: s.amplification,
                swapFeePercentage: s.swap_fee,
                owner: d.from(),
            },
        )
        .await?;
    let (id, address) = pool_created(d, what, &receipt).await?;
    init_join(d, vault, id, &tokens, amounts).await?;
    Ok(BalancerPool {
        id,
        address,
        tokens,
        weights: Vec::new(),
        swap_fee: s.swap_fee,
        amplification: Some(s.amplification),
    })
}

/// The new pool's id and address from its factory's `PoolCreated` event.
async fn pool_created(
    d: &Deployer,
    what: &'static str,
    receipt: &alloy::rpc::types::TransactionReceipt,
) -> Result<(B256, Address), DeployError> {
    let address = receipt
        .inner
        .logs()
        .iter()
        .find_map(|l| IWeightedPoolFactory::PoolCreated::decode_log(&l.inner).ok())
        .map(|e| e.pool)
        .ok_or_else(|| DeployError::unexpected(what, "no PoolCreated event"))?;
    let id: B256 = d
        .read(what, address, &IBalancerPool::getPoolIdCall {})
        .await?;
    Ok((id, address))
}

/// Approves the Vault and joins `amounts` (in the pool's token order) with an INIT join.
async fn init_join(
    d: &Deployer,
    vault: Address,
    id: B256,
    tokens: &[Address],
    amounts: Vec<U256>,
) -> Result<(), DeployError> {
    for t in tokens {
        approve_max(d, *t, vault).await?;
    }
    // INIT join: kind 0 followed by the amounts, in the pool's (sorted) token order.
    let user_data = (U256::ZERO, amounts.clone()).abi_encode_params();
    d.call(
        "Balancer INIT join",
        vault,
        &IBalancerVault::joinPoolCall {
            poolId: id,
            sender: d.from(),
            recipient: d.from(),
            request: IBalancerVault::JoinPoolRequest {
                assets: tokens.to_vec(),
                maxAmountsIn: amounts,
                userData: Bytes::from(user_data),
                fromInternalBalance: false,
            },
        },
    )
    .await?;
    Ok(())
}
