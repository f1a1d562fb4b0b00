//! A v3 quote by local exact math vs. the same quote by QuoterV2 `eth_call` on a local anvil, for
//! swaps crossing 1, 5 and 20 initialized ticks of the same real pool (WETH/USDC 0.3 % of the test
//! deployment, with adjacent narrow positions added so every tick spacing is initialized).
//!
//! Run: `cargo bench --bench uniswap_v3_quote` (needs `scripts/setup.sh` for the npm artifacts).

use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U160, U256, aliases::I24, aliases::U24};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v3::abi::IQuoterV2;
use sluice::amm::uniswap_v3::connector::{UniswapV3Venue, V3Contracts};
use sluice::amm::uniswap_v3::{PoolState, SwapAmount};
use sluice::core::Asset;
use sluice_sim::deploy::LocalEnv;

sol! {
    interface INpm {
        struct MintParams {
            address token0; address token1; uint24 fee; int24 tickLower; int24 tickUpper;
            uint256 amount0Desired; uint256 amount1Desired; uint256 amount0Min; uint256 amount1Min;
            address recipient; uint256 deadline;
        }
        function mint(MintParams calldata params) external payable
            returns (uint256 tokenId, uint128 liquidity, uint256 amount0, uint256 amount1);
    }
}

struct Setup {
    _env: LocalEnv,
    provider: DynProvider,
    quoter: Address,
    pool: PoolState,
    /// (ticks crossed, exact input amount of token1) for 1, 5 and 20 ticks.
    cases: Vec<(u32, U256)>,
}

async fn setup() -> Setup {
    let env = LocalEnv::start()
        .await
        .expect("local env (run scripts/setup.sh)");
    let m = env.manifest.clone();
    let provider = env.anvil.provider();
    let weth = m.tokens["WETH"].address;
    let usdc = m.tokens["USDC"].address;
    let (t0, t1) = if weth < usdc {
        (weth, usdc)
    } else {
        (usdc, weth)
    };
    let pool_info = m
        .uniswap_v3
        .pools
        .iter()
        .find(|p| p.fee == 3000 && p.token0 == t0 && p.token1 == t1)
        .expect("WETH/USDC 0.3% pool");
    let s = pool_info.tick_spacing;
    let base = pool_info.tick.div_euclid(s) * s;
    for i in -30..30 {
        let params = INpm::MintParams {
            token0: t0,
            token1: t1,
            fee: U24::from(3000u32),
            tickLower: I24::try_from(base + i * s).unwrap(),
            tickUpper: I24::try_from(base + (i + 1) * s).unwrap(),
            amount0Desired: U256::from(10u64).pow(U256::from(if t0 == weth { 18 } else { 9 })),
            amount1Desired: U256::from(10u64).pow(U256::from(if t1 == weth { 18 } else { 9 })),
            amount0Min: U256::ZERO,
            amount1Min: U256::ZERO,
            recipient: m.deployer,
            deadline: U256::from(u64::MAX / 2),
        };
        let tx = TransactionRequest::default()
            .with_from(m.deployer)
            .with_to(m.uniswap_v3.position_manager)
            .with_input(INpm::mintCall { params }.abi_encode())
            // a fixed limit: the estimate can fall short when the block's timestamp moves on
            // (see `Deployer::send`)
            .with_gas_limit(1_000_000);
        let r = provider
            .send_transaction(tx)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
        assert!(r.status());
    }
    let mut book = TokenBook::new("anvil");
    book.add_manifest(&m);
    let venue = UniswapV3Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V3Contracts::from(&m),
        book,
    )
    .await
    .unwrap();
    venue.track_pair(t0, t1).await.unwrap();
    let pool = venue.pool(pool_info.address).unwrap().unwrap();
    // Token1 in (price up): the smallest amount crossing exactly k ticks.
    let crossed = |a: U256| {
        pool.simulate_swap(false, SwapAmount::ExactIn(a), None)
            .map(|o| o.ticks_crossed)
            .unwrap_or(0)
    };
    let mut cases = Vec::new();
    for k in [1u32, 5, 20] {
        let mut hi = U256::from(1_000u32);
        while crossed(hi) < k {
            hi *= U256::from(2u8);
        }
        let mut lo = hi / U256::from(2u8);
        while hi - lo > U256::from(1u8) {
            let mid = (lo + hi) / U256::from(2u8);
            if crossed(mid) >= k {
                hi = mid
            } else {
                lo = mid
            }
        }
        // Half-way between the first amount crossing k ticks and the first crossing k + 1, so the
        // swap ends inside the range after the k-th tick.
        let mut top = hi;
        while crossed(top) <= k {
            top *= U256::from(2u8);
        }
        let mut low = hi;
        while top - low > U256::from(1u8) {
            let mid = (low + top) / U256::from(2u8);
            if crossed(mid) > k {
                top = mid
            } else {
                low = mid
            }
        }
        let amount = hi + (top - hi) / U256::from(2u8);
        assert_eq!(crossed(amount), k);
        cases.push((k, amount));
    }
    Setup {
        provider: env.anvil.read_provider(),
        quoter: m.uniswap_v3.quoter_v2,
        pool,
        cases,
        _env: env,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup());
    let mut local = c.benchmark_group("uniswap_v3_quote_local");
    for (k, amount) in &s.cases {
        local.bench_with_input(BenchmarkId::new("ticks", k), amount, |b, a| {
            // The quote is the amount out (what QuoterV2 returns on the other side); returning
            // the whole outcome made criterion copy 160 bytes per iteration into `black_box`.
            b.iter(|| {
                *s.pool
                    .simulate_swap(false, SwapAmount::ExactIn(std::hint::black_box(*a)), None)
                    .as_ref()
                    .map(|o| &o.amount_out)
                    .unwrap()
            })
        });
    }
    local.finish();
    let mut remote = c.benchmark_group("uniswap_v3_quote_quoter_v2_eth_call");
    remote
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for (k, amount) in &s.cases {
        let data = IQuoterV2::quoteExactInputSingleCall {
            params: IQuoterV2::QuoteExactInputSingleParams {
                tokenIn: s.pool.token1,
                tokenOut: s.pool.token0,
                amountIn: *amount,
                fee: U24::from(s.pool.fee),
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
        .abi_encode();
        let local_out = s
            .pool
            .simulate_swap(false, SwapAmount::ExactIn(*amount), None)
            .unwrap();
        remote.bench_with_input(BenchmarkId::new("ticks", k), &data, |b, d| {
            b.iter(|| {
                let tx = TransactionRequest::default()
                    .with_to(s.quoter)
                    .with_input(d.clone());
                let out = rt.block_on(async { s.provider.call(tx).await }).unwrap();
                let r = IQuoterV2::quoteExactInputSingleCall::abi_decode_returns(&out).unwrap();
                assert_eq!(r.amountOut, local_out.amount_out);
            })
        });
    }
    remote.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
