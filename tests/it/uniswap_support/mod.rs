//! Shared by the Uniswap integration tests: the local environment with all four v3 fee tiers of
//! WETH/USDC seeded with many positions, QuoterV2 calls, and a connector on top.

#![allow(dead_code)]

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U160, U256, aliases::I24, aliases::U24};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::amm::uniswap_v3::math::get_tick_at_sqrt_ratio;
use sluice::core::Asset;
use sluice_sim::deploy::{LocalEnv, Manifest};

pub type TestResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

sol! {
    interface INpm {
        struct MintParams {
            address token0; address token1; uint24 fee; int24 tickLower; int24 tickUpper;
            uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min;
            address recipient; uint256 deadline;
        }
        function createAndInitializePoolIfNecessary(address token0, address token1, uint24 fee,
            uint160 sqrtPriceX96) external payable returns (address pool);
        function mint(MintParams calldata params) external payable
            returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
    }
    interface IFactory {
        function getPool(address a, address b, uint24 fee) external view returns (address);
        function enableFeeAmount(uint24 fee, int24 tickSpacing) external;
        function feeAmountTickSpacing(uint24 fee) external view returns (int24);
    }
    interface IWeth {
        function deposit() external payable;
    }
    interface IErc20 {
        function approve(address spender, uint256 value) external returns (bool);
        function balanceOf(address owner) external view returns (uint256);
    }
}

pub const FEES: [u32; 4] = [100, 500, 3000, 10000];

pub fn spacing(fee: u32) -> i32 {
    match fee {
        100 => 1,
        500 => 10,
        3000 => 60,
        _ => 200,
    }
}

pub struct Env {
    pub env: LocalEnv,
    pub provider: DynProvider,
    pub weth: Address,
    pub usdc: Address,
    pub dai: Address,
    /// WETH/USDC pools by fee tier.
    pub pools: Vec<(u32, Address)>,
}

impl Env {
    pub fn manifest(&self) -> &Manifest {
        &self.env.manifest
    }
}

pub async fn send<C: SolCall>(
    p: &DynProvider,
    from: Address,
    to: Address,
    call: &C,
) -> TestResult<()> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    // A margin over the node's estimate: a mint that initializes ticks was seen to run out of gas
    // now and then on the bare estimate.
    let estimate = p
        .estimate_gas(tx.clone())
        .await
        .map_err(|e| format!("{} to {to}: {e}", C::SIGNATURE))?;
    let tx = tx.with_gas_limit(estimate * 3 / 2);
    let pending = p
        .send_transaction(tx.clone())
        .await
        .map_err(|e| format!("{} to {to}: {e}", C::SIGNATURE))?;
    let receipt = pending.get_receipt().await?;
    if !receipt.status() {
        // Replay it on the parent block to learn why.
        let at = receipt.block_number.unwrap_or(1).saturating_sub(1);
        let why = p.call(tx).block(at.into()).await;
        return Err(format!(
            "transaction {} reverted (gas used {} of limit?; replay: {why:?})",
            receipt.transaction_hash, receipt.gas_used
        )
        .into());
    }
    Ok(())
}

pub async fn read<C: SolCall>(p: &DynProvider, to: Address, call: &C) -> TestResult<C::Return> {
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(call.abi_encode());
    Ok(C::abi_decode_returns(&p.call(tx).await?)?)
}

/// Adds a position to a WETH/USDC pool through the position manager, from the deployer.
pub async fn add_position(
    e: &Env,
    fee: u32,
    lower: i32,
    upper: i32,
    weth: U256,
    usdc: U256,
) -> TestResult<()> {
    let m = e.manifest();
    let (t0, t1, a0, a1) = if e.weth < e.usdc {
        (e.weth, e.usdc, weth, usdc)
    } else {
        (e.usdc, e.weth, usdc, weth)
    };
    send(
        &e.provider,
        m.deployer,
        m.uniswap_v3.position_manager,
        &INpm::mintCall {
            params: INpm::MintParams {
                token0: t0,
                token1: t1,
                fee: U24::from(fee),
                tickLower: I24::try_from(lower)?,
                tickUpper: I24::try_from(upper)?,
                amount0Desired: a0,
                amount1Desired: a1,
                amount0Min: U256::ZERO,
                amount1Min: U256::ZERO,
                recipient: m.deployer,
                deadline: U256::from(u64::MAX / 2),
            },
        },
    )
    .await
}

pub fn units(whole: u64, decimals: u8) -> U256 {
    U256::from(whole) * U256::from(10u8).pow(U256::from(decimals))
}

/// The environment plus WETH/USDC pools at fee 100 and 10000, and `positions` random positions in
/// each of the four WETH/USDC pools (ranges up to ±8000 ticks around the price, some one-sided).
pub async fn start(positions: usize, seed: u64) -> TestResult<Env> {
    let env = LocalEnv::start().await?;
    let provider = env.anvil.provider();
    let m = &env.manifest;
    let token = |s: &str| {
        m.tokens
            .get(s)
            .map(|t| t.address)
            .ok_or(format!("no {s} in manifest"))
    };
    let (weth, usdc, dai) = (token("WETH")?, token("USDC")?, token("DAI")?);
    let price = m
        .uniswap_v3
        .pools
        .iter()
        .find(|p| {
            p.fee == 500
                && [p.token0, p.token1].contains(&weth)
                && [p.token0, p.token1].contains(&usdc)
        })
        .ok_or("no WETH/USDC 500 pool")?
        .sqrt_price_x96;
    let (t0, t1) = if weth < usdc {
        (weth, usdc)
    } else {
        (usdc, weth)
    };
    // The v3-core 1.0.1 factory enables 500, 3000 and 10000; the 0.01 % tier (spacing 1) is enabled
    // by the owner, as governance did on mainnet.
    let enabled = read(
        &provider,
        m.uniswap_v3.factory,
        &IFactory::feeAmountTickSpacingCall {
            fee: U24::from(100u32),
        },
    )
    .await?;
    if enabled.is_zero() {
        send(
            &provider,
            m.deployer,
            m.uniswap_v3.factory,
            &IFactory::enableFeeAmountCall {
                fee: U24::from(100u32),
                tickSpacing: I24::try_from(1)?,
            },
        )
        .await?;
    }
    for fee in [100u32, 10000] {
        send(
            &provider,
            m.deployer,
            m.uniswap_v3.position_manager,
            &INpm::createAndInitializePoolIfNecessaryCall {
                token0: t0,
                token1: t1,
                fee: U24::from(fee),
                sqrtPriceX96: U160::from(price),
            },
        )
        .await?;
    }
    let mut pools = Vec::new();
    for fee in FEES {
        let p = read(
            &provider,
            m.uniswap_v3.factory,
            &IFactory::getPoolCall {
                a: weth,
                b: usdc,
                fee: U24::from(fee),
            },
        )
        .await?;
        pools.push((fee, p));
    }
    let e = Env {
        env,
        provider,
        weth,
        usdc,
        dai,
        pools,
    };
    let tick = get_tick_at_sqrt_ratio(price)?;
    let mut rng = StdRng::seed_from_u64(seed);
    for fee in FEES {
        let s = spacing(fee);
        let align = |t: i32| t.div_euclid(s) * s;
        // A wide base so every size up to the pool's depth has liquidity, then random ranges.
        add_position(
            &e,
            fee,
            align(tick - 30_000),
            align(tick + 30_000),
            units(20, 18),
            units(60_000, 6),
        )
        .await?;
        for _ in 0..positions {
            let kind = rng.gen_range(0..4);
            let (lo, hi) = match kind {
                0 => (
                    tick + rng.gen_range(50..4000),
                    tick + rng.gen_range(4000..8000),
                ),
                1 => (
                    tick - rng.gen_range(4000..8000),
                    tick - rng.gen_range(50..4000),
                ),
                _ => (tick - rng.gen_range(1..8000), tick + rng.gen_range(1..8000)),
            };
            let (lo, hi) = (align(lo), align(hi));
            if lo >= hi {
                continue;
            }
            let weth_amt = units(rng.gen_range(1..8), 18);
            let usdc_amt = units(rng.gen_range(3_000..24_000), 6);
            add_position(&e, fee, lo, hi, weth_amt, usdc_amt)
                .await
                .map_err(|err| format!("position fee {fee} [{lo}, {hi}] at tick {tick}: {err}"))?;
        }
    }
    Ok(e)
}

/// A connector on the environment, knowing the manifest's tokens.
pub async fn venue(e: &Env) -> TestResult<UniswapV3Venue> {
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(e.manifest());
    Ok(UniswapV3Venue::connect(
        "anvil",
        Asset::new("ETH")?,
        e.env.anvil.read_provider(),
        V3Contracts::from(e.manifest()),
        book,
    )
    .await?)
}

/// A transaction tracker signing as dev account `account` on the environment's node.
pub async fn dev_tracker(env: &LocalEnv, account: usize) -> sluice::chain::evm::TxTracker {
    use sluice::chain::evm::{EvmClient, TrackerConfig, TxTracker};
    let specs = sluice::chain::ChainSpecs::builtin().unwrap();
    let client = EvmClient::connect(specs.get("anvil").unwrap(), env.anvil.url().as_str())
        .await
        .unwrap();
    let wallet = alloy::network::EthereumWallet::from(
        sluice_sim::anvil::dev_signer(account).unwrap().clone(),
    );
    let config = TrackerConfig::for_client(&client);
    TxTracker::new(client, wallet, config)
}

/// The order once it is final (filled, failed, …), polled for up to ten seconds.
pub async fn final_order(
    v: &dyn sluice::venue::Venue,
    req: &sluice::core::OrderRequest,
) -> sluice::core::Order {
    for _ in 0..600 {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() {
            return o;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("order {} not final", req.client_id);
}
