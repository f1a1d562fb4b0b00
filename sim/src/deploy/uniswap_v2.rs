//! Uniswap v2 from npm: `UniswapV2Factory` (`@uniswap/v2-core`) and `UniswapV2Router02`
//! (`@uniswap/v2-periphery`), with pairs seeded through the router.

use alloy::primitives::{Address, U256, keccak256};
use alloy::sol;
use alloy::sol_types::SolValue;

use super::artifacts::Artifact;
use super::deployer::{DeployError, Deployer};
use super::manifest::{UniswapV2, V2Pair};
use super::tokens::approve_max;

pub const FACTORY_ARTIFACT: &str = "node_modules/@uniswap/v2-core/build/UniswapV2Factory.json";
pub const PAIR_ARTIFACT: &str = "node_modules/@uniswap/v2-core/build/UniswapV2Pair.json";
pub const ROUTER02_ARTIFACT: &str =
    "node_modules/@uniswap/v2-periphery/build/UniswapV2Router02.json";

sol! {
    interface IUniswapV2Factory {
        function createPair(address tokenA, address tokenB) external returns (address pair);
        function getPair(address tokenA, address tokenB) external view returns (address pair);
    }
    interface IUniswapV2Router02 {
        function addLiquidity(address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired,
            uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline)
            external returns (uint256 amountA, uint256 amountB, uint256 liquidity);
    }
    interface IUniswapV2Pair {
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
        function token0() external view returns (address);
        function token1() external view returns (address);
    }
}

/// One pair to seed: both tokens and the raw amounts deposited (their ratio is the price).
#[derive(Debug, Clone, Copy)]
pub struct PairSeed {
    pub token_a: Address,
    pub amount_a: U256,
    pub token_b: Address,
    pub amount_b: U256,
}

/// Deploys the factory and Router02, then creates and funds `seeds` from the deployer.
pub async fn deploy(
    d: &Deployer,
    weth: Address,
    seeds: &[PairSeed],
) -> Result<UniswapV2, DeployError> {
    let factory = d
        .deploy(
            "UniswapV2Factory",
            &Artifact::load(FACTORY_ARTIFACT)?,
            &d.from().abi_encode(),
        )
        .await?;
    let router02 = d
        .deploy(
            "UniswapV2Router02",
            &Artifact::load(ROUTER02_ARTIFACT)?,
            &(factory, weth).abi_encode_params(),
        )
        .await?;
    let mut approved = Vec::new();
    let mut pairs = Vec::with_capacity(seeds.len());
    for s in seeds {
        for t in [s.token_a, s.token_b] {
            if !approved.contains(&t) {
                approve_max(d, t, router02).await?;
                approved.push(t);
            }
        }
        d.call(
            "UniswapV2Router02.addLiquidity",
            router02,
            &IUniswapV2Router02::addLiquidityCall {
                tokenA: s.token_a,
                tokenB: s.token_b,
                amountADesired: s.amount_a,
                amountBDesired: s.amount_b,
                amountAMin: s.amount_a,
                amountBMin: s.amount_b,
                to: d.from(),
                deadline: Deployer::deadline(),
            },
        )
        .await?;
        let address = d
            .read(
                "UniswapV2Factory.getPair",
                factory,
                &IUniswapV2Factory::getPairCall {
                    tokenA: s.token_a,
                    tokenB: s.token_b,
                },
            )
            .await?;
        let r = d
            .read("getReserves", address, &IUniswapV2Pair::getReservesCall {})
            .await?;
        let token0 = d
            .read("token0", address, &IUniswapV2Pair::token0Call {})
            .await?;
        let token1 = d
            .read("token1", address, &IUniswapV2Pair::token1Call {})
            .await?;
        pairs.push(V2Pair {
            address,
            token0,
            token1,
            reserve0: U256::from(r.reserve0),
            reserve1: U256::from(r.reserve1),
        });
    }
    Ok(UniswapV2 {
        factory,
        router02,
        pair_init_code_hash: keccak256(Artifact::load(PAIR_ARTIFACT)?.bytecode()?),
        pairs,
    })
}
