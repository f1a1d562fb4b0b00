//! Balancer V2 from `@balancer-labs/v2-deployments` (the 2021 mainnet builds): Authorizer, Vault,
//! WeightedPoolFactory and BalancerQueries, with a 2-token weighted pool joined with an INIT join.
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
    interface IBalancerPool {
        function getPoolId() external view returns (bytes32);
    }
    interface IBalancerVault {
        struct JoinPoolRequest { address[] assets; uint256[] maxAmountsIn; bytes userData; bool fromInternalBalance; }
        function joinPool(bytes32 poolId, address sender, address recipient, JoinPoolRequest request) external payable;
    }
}

/// The pool to create: two tokens with raw amounts and weights (1e18 = 100 %).
#[derive(Debug, Clone, Copy)]
pub struct WeightedSeed {
    pub token_a: Address,
    pub amount_a: U256,
    pub weight_a: U256,
    pub token_b: Address,
    pub amount_b: U256,
    pub weight_b: U256,
    /// 1e18 = 100 %.
    pub swap_fee: U256,
}

fn artifact(task_file: &str) -> Result<Artifact, DeployError> {
    Ok(Artifact::load(&format!(
        "{PACKED_DIR}/{TASKS}/{task_file}"
    ))?)
}

/// Deploys the Vault and its peripherals, then creates and funds `seed`.
pub async fn deploy(
    d: &Deployer,
    weth: Address,
    seed: &WeightedSeed,
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
    let pool = create_pool(d, vault, weighted_pool_factory, seed).await?;
    Ok(Balancer {
        authorizer,
        vault,
        weighted_pool_factory,
        queries,
        pools: vec![pool],
    })
}

async fn create_pool(
    d: &Deployer,
    vault: Address,
    factory: Address,
    s: &WeightedSeed,
) -> Result<BalancerPool, DeployError> {
    let what = "Balancer weighted pool";
    let mut legs = [
        (s.token_a, s.amount_a, s.weight_a),
        (s.token_b, s.amount_b, s.weight_b),
    ];
    legs.sort_by_key(|l| l.0);
    let tokens: Vec<Address> = legs.iter().map(|l| l.0).collect();
    let amounts: Vec<U256> = legs.iter().map(|l| l.1).collect();
    let weights: Vec<U256> = legs.iter().map(|l| l.2).collect();
    let receipt = d
        .call(
            what,
            factory,
            &IWeightedPoolFactory::createCall {
                name: "Balancer 50 WETH 50 USDC".into(),
                symbol: "B-50WETH-50USDC".into(),
                tokens: tokens.clone(),
                weights: weights.clone(),
                swapFeePercentage: s.swap_fee,
                owner: d.from(),
            },
        )
        .await?;
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
    for t in &tokens {
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
                assets: tokens.clone(),
                maxAmountsIn: amounts,
                userData: Bytes::from(user_data),
                fromInternalBalance: false,
            },
        },
    )
    .await?;
    Ok(BalancerPool {
        id,
        address,
        tokens,
        weights,
        swap_fee: s.swap_fee,
    })
}
