//! Uniswap v3 from npm: `UniswapV3Factory` (`@uniswap/v3-core`), `NonfungiblePositionManager`,
//! `SwapRouter`, `QuoterV2` and `TickLens` (`@uniswap/v3-periphery`). Pools are created at a given price
//! and seeded with several overlapping positions, so that swaps of moderate size cross initialized ticks.

use alloy::primitives::{Address, U160, U256, U512, aliases::I24, aliases::U24, keccak256};
use alloy::sol;
use alloy::sol_types::{SolEvent, SolValue};

use super::artifacts::Artifact;
use super::deployer::{DeployError, Deployer};
use super::manifest::{UniswapV3, V3Pool, V3Position};
use super::tokens::approve_max;

const CORE: &str = "node_modules/@uniswap/v3-core/artifacts/contracts";
const PERIPHERY: &str = "node_modules/@uniswap/v3-periphery/artifacts/contracts";

sol! {
    interface IUniswapV3Factory {
        function getPool(address tokenA, address tokenB, uint24 fee) external view returns (address pool);
    }
    interface IUniswapV3Pool {
        function slot0() external view returns (uint160 sqrtPriceX96, int24 tick, uint16 observationIndex,
            uint16 observationCardinality, uint16 observationCardinalityNext, uint8 feeProtocol, bool unlocked);
        function tickSpacing() external view returns (int24);
    }
    interface INonfungiblePositionManager {
        struct MintParams {
            address token0; address token1; uint24 fee; int24 tickLower; int24 tickUpper;
            uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min;
            address recipient; uint256 deadline;
        }
        function createAndInitializePoolIfNecessary(address token0, address token1, uint24 fee,
            uint160 sqrtPriceX96) external payable returns (address pool);
        function mint(MintParams calldata params) external payable
            returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
        event IncreaseLiquidity(uint256 indexed tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
    }
}

/// The lowest and highest usable ticks (TickMath).
const MIN_TICK: i32 = -887_272;
const MAX_TICK: i32 = 887_272;

/// One position relative to the pool's initial tick: `[tick + lower, tick + upper]` (aligned outwards
/// to the tick spacing), funded with `share_pct` % of the pool's reference amounts.
#[derive(Debug, Clone, Copy)]
pub struct RangeSeed {
    pub lower: i32,
    pub upper: i32,
    pub share_pct: u32,
}

/// The default layout: a very wide range, a ±22 % range, ±3 % and ±0.6 % ranges, and one-sided ranges
/// above and below the price, so a swap moving the price by 1 % in either direction crosses initialized
/// ticks.
pub const DEFAULT_RANGES: [RangeSeed; 6] = [
    RangeSeed {
        lower: -20_000,
        upper: 20_000,
        share_pct: 100,
    },
    RangeSeed {
        lower: -2_000,
        upper: 2_000,
        share_pct: 100,
    },
    RangeSeed {
        lower: -300,
        upper: 300,
        share_pct: 30,
    },
    RangeSeed {
        lower: -60,
        upper: 60,
        share_pct: 10,
    },
    RangeSeed {
        lower: 300,
        upper: 2_000,
        share_pct: 50,
    },
    RangeSeed {
        lower: -2_000,
        upper: -300,
        share_pct: 50,
    },
];

/// One pool to create: the price is `amount_b / amount_a` (raw units); positions get shares of these.
#[derive(Debug, Clone, Copy)]
pub struct PoolSeed {
    pub token_a: Address,
    pub amount_a: U256,
    pub token_b: Address,
    pub amount_b: U256,
    pub fee: u32,
}

/// `sqrt(amount1 / amount0) * 2^96`, rounded down: the pool price for that raw-unit ratio.
pub fn sqrt_price_x96(amount0: U256, amount1: U256) -> Option<U160> {
    if amount0.is_zero() {
        return None;
    }
    let wide = |x: U256| U512::from_be_slice(&x.to_be_bytes::<32>());
    let ratio_x192: U512 = (wide(amount1) << 192) / wide(amount0);
    let root = ratio_x192.root(2);
    U160::checked_from_limbs_slice(root.as_limbs())
}

/// Aligns `[lower, upper]` outwards to multiples of `spacing`, within the usable tick range.
pub fn align_range(lower: i32, upper: i32, spacing: i32) -> (i32, i32) {
    let lo = lower.div_euclid(spacing) * spacing;
    let hi = -((-upper).div_euclid(spacing)) * spacing;
    let min = -(MAX_TICK / spacing) * spacing;
    let max = (MAX_TICK / spacing) * spacing;
    debug_assert!(min >= MIN_TICK);
    (lo.clamp(min, max - spacing), hi.clamp(min + spacing, max))
}

/// Deploys the v3 contracts and seeds `pools` with [`DEFAULT_RANGES`].
pub async fn deploy(
    d: &Deployer,
    weth: Address,
    pools: &[PoolSeed],
) -> Result<UniswapV3, DeployError> {
    let art = |p: &str| Artifact::load(p);
    let factory = d
        .deploy(
            "UniswapV3Factory",
            &art(&format!(
                "{CORE}/UniswapV3Factory.sol/UniswapV3Factory.json"
            ))?,
            &[],
        )
        .await?;
    let fw = (factory, weth).abi_encode_params();
    // The NFT descriptor only renders tokenURI; trading does not need it, so none is deployed.
    let position_manager = d
        .deploy(
            "NonfungiblePositionManager",
            &art(&format!(
                "{PERIPHERY}/NonfungiblePositionManager.sol/NonfungiblePositionManager.json"
            ))?,
            &(factory, weth, Address::ZERO).abi_encode_params(),
        )
        .await?;
    let swap_router = d
        .deploy(
            "SwapRouter",
            &art(&format!("{PERIPHERY}/SwapRouter.sol/SwapRouter.json"))?,
            &fw,
        )
        .await?;
    let quoter_v2 = d
        .deploy(
            "QuoterV2",
            &art(&format!("{PERIPHERY}/lens/QuoterV2.sol/QuoterV2.json"))?,
            &fw,
        )
        .await?;
    let tick_lens = d
        .deploy(
            "TickLens",
            &art(&format!("{PERIPHERY}/lens/TickLens.sol/TickLens.json"))?,
            &[],
        )
        .await?;
    let pool_code = art(&format!("{CORE}/UniswapV3Pool.sol/UniswapV3Pool.json"))?.bytecode()?;

    let mut approved = Vec::new();
    let mut seeded = Vec::with_capacity(pools.len());
    for seed in pools {
        for t in [seed.token_a, seed.token_b] {
            if !approved.contains(&t) {
                approve_max(d, t, position_manager).await?;
                approved.push(t);
            }
        }
        seeded.push(seed_pool(d, factory, position_manager, seed).await?);
    }
    Ok(UniswapV3 {
        factory,
        position_manager,
        swap_router,
        quoter_v2,
        tick_lens,
        pool_init_code_hash: keccak256(pool_code),
        pools: seeded,
    })
}

async fn seed_pool(
    d: &Deployer,
    factory: Address,
    npm: Address,
    seed: &PoolSeed,
) -> Result<V3Pool, DeployError> {
    let (token0, amount0, token1, amount1) = if seed.token_a < seed.token_b {
        (seed.token_a, seed.amount_a, seed.token_b, seed.amount_b)
    } else {
        (seed.token_b, seed.amount_b, seed.token_a, seed.amount_a)
    };
    let what = format!("v3 pool {token0}/{token1} fee {}", seed.fee);
    let sqrt_price = sqrt_price_x96(amount0, amount1)
        .ok_or_else(|| DeployError::unexpected(&what, "price out of range"))?;
    let fee = U24::from(seed.fee);
    d.call(
        &what,
        npm,
        &INonfungiblePositionManager::createAndInitializePoolIfNecessaryCall {
            token0,
            token1,
            fee,
            sqrtPriceX96: sqrt_price,
        },
    )
    .await?;
    let address = d
        .read(
            &what,
            factory,
            &IUniswapV3Factory::getPoolCall {
                tokenA: token0,
                tokenB: token1,
                fee,
            },
        )
        .await?;
    let spacing = d
        .read(&what, address, &IUniswapV3Pool::tickSpacingCall {})
        .await?
        .as_i32();
    let tick = d
        .read(&what, address, &IUniswapV3Pool::slot0Call {})
        .await?
        .tick
        .as_i32();

    let mut positions = Vec::with_capacity(DEFAULT_RANGES.len());
    for r in DEFAULT_RANGES {
        let (lo, hi) = align_range(tick + r.lower, tick + r.upper, spacing);
        let share = U256::from(r.share_pct);
        let params = INonfungiblePositionManager::MintParams {
            token0,
            token1,
            fee,
            tickLower: I24::try_from(lo)
                .map_err(|e| DeployError::unexpected(&what, e.to_string()))?,
            tickUpper: I24::try_from(hi)
                .map_err(|e| DeployError::unexpected(&what, e.to_string()))?,
            amount0Desired: amount0 * share / U256::from(100u64),
            amount1Desired: amount1 * share / U256::from(100u64),
            amount0Min: U256::ZERO,
            amount1Min: U256::ZERO,
            recipient: d.from(),
            deadline: Deployer::deadline(),
        };
        let receipt = d
            .call(
                &what,
                npm,
                &INonfungiblePositionManager::mintCall { params },
            )
            .await?;
        let minted = receipt
            .inner
            .logs()
            .iter()
            .find_map(|l| INonfungiblePositionManager::IncreaseLiquidity::decode_log(&l.inner).ok())
            .ok_or_else(|| DeployError::unexpected(&what, "mint emitted no IncreaseLiquidity"))?;
        positions.push(V3Position {
            token_id: minted.tokenId,
            tick_lower: lo,
            tick_upper: hi,
            liquidity: minted.liquidity,
        });
    }
    let slot0 = d
        .read(&what, address, &IUniswapV3Pool::slot0Call {})
        .await?;
    Ok(V3Pool {
        address,
        token0,
        token1,
        fee: seed.fee,
        tick_spacing: spacing,
        sqrt_price_x96: U256::from(slot0.sqrtPriceX96),
        tick: slot0.tick.as_i32(),
        positions,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_of_one_to_one_is_two_to_the_96() {
        let one = U256::from(1u64);
        assert_eq!(sqrt_price_x96(one, one).unwrap(), U160::from(1u8) << 96);
        // 4:1 → sqrt = 2
        assert_eq!(
            sqrt_price_x96(one, U256::from(4u64)).unwrap(),
            U160::from(2u8) << 96
        );
        assert!(sqrt_price_x96(U256::ZERO, one).is_none());
    }

    #[test]
    fn ranges_align_outwards() {
        assert_eq!(align_range(-201, 199, 60), (-240, 240));
        assert_eq!(align_range(-180, 180, 60), (-180, 180));
        assert_eq!(align_range(-900_000, 900_000, 60), (-887_220, 887_220));
    }
}
