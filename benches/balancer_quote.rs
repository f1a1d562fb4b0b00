//! A Balancer quote by the local bit-exact pool math vs. the same quote by the protocol's own
//! `BalancerQueries.querySwap` `eth_call` on a local anvil, one pool (one hop), exact input:
//! the 2-token weighted pool (WETH/USDC 50/50), the 3-token weighted pool (WETH/USDC/DAI
//! 50/30/20, a non-trivial exponent) and the 3-token stable pool (USDC/DAI/cUSD, amp 200). Every
//! `eth_call` result is asserted equal to the local one. The stable pool keeps its invariant
//! between quotes (it changes only with the balances and the amplification), so its local figure
//! is a quote on an unchanged pool; `stable3_invariant` times the invariant computed afresh, the
//! extra cost of the first quote after a balance change.
//!
//! Run: `cargo bench --bench balancer_quote` (needs `scripts/setup.sh` for the npm artifacts).

// the book benches' support: this bench uses its thread CPU clock and run statistics only
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sluice::amm::balancer::abi::IBalancerQueries;
use sluice::amm::balancer::abi::queries::IVault as Q;
use sluice::amm::balancer::connector::{BalancerContracts, BalancerVenue};
use sluice::amm::balancer::pool::{Curve, PoolState};
use sluice::amm::balancer::stable_math;
use sluice::amm::tokens::TokenBook;
use sluice::core::Asset;
use sluice_sim::deploy::LocalEnv;

struct Case {
    name: &'static str,
    pool: PoolState,
    token_in: Address,
    token_out: Address,
    amount: U256,
}

struct Setup {
    _env: LocalEnv,
    provider: DynProvider,
    queries: Address,
    deployer: Address,
    timestamp: u64,
    cases: Vec<Case>,
}

async fn setup() -> Setup {
    let env = LocalEnv::start()
        .await
        .expect("local env (run scripts/setup.sh)");
    let m = env.manifest.clone();
    let bal = m.balancer.clone().expect("balancer in the manifest");
    let mut book = TokenBook::new("anvil");
    book.add_manifest(&m);
    let venue = BalancerVenue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        BalancerContracts::from_manifest(&m).unwrap(),
        book,
    )
    .await
    .unwrap();
    let t = |s: &str| m.tokens[s].address;
    let (weth, usdc, dai, cusd) = (t("WETH"), t("USDC"), t("DAI"), t("cUSD"));
    venue.track_pair(weth, usdc).await.unwrap();
    venue.track_pair(dai, cusd).await.unwrap();
    let pools = venue.pools().unwrap();
    let find = |pred: &dyn Fn(&sluice_sim::deploy::manifest::BalancerPool) -> bool| {
        let id: B256 = bal.pools.iter().find(|p| pred(p)).unwrap().id;
        pools.pools[&id].clone()
    };
    let ten = |e: u8| U256::from(10u8).pow(U256::from(e));
    let cases = vec![
        Case {
            name: "weighted2",
            pool: find(&|p| p.tokens.len() == 2),
            token_in: weth,
            token_out: usdc,
            amount: U256::from(3u8) * ten(18),
        },
        Case {
            name: "weighted3",
            pool: find(&|p| p.tokens.len() == 3 && p.amplification.is_none()),
            token_in: dai,
            token_out: weth,
            amount: U256::from(5_000u32) * ten(18),
        },
        Case {
            name: "stable3",
            pool: find(&|p| p.amplification.is_some()),
            token_in: usdc,
            token_out: cusd,
            amount: U256::from(20_000u32) * ten(6),
        },
    ];
    Setup {
        provider: env.anvil.read_provider(),
        queries: bal.queries,
        deployer: m.deployer,
        timestamp: pools.timestamp,
        cases,
        _env: env,
    }
}

/// This thread's CPU time in ms: on a machine shared with other builds, the time the quotes took
/// without the time spent waiting for a core.
fn thread_cpu_ms() -> f64 {
    depth_data::thread_cpu_ms().expect("/proc/thread-self/schedstat")
}

/// Local quotes timed by thread CPU time: 5 runs of 100,000 quotes, median and range in ns.
fn cpu_time(s: &Setup) {
    for case in &s.cases {
        let runs: Vec<f64> = (0..5)
            .map(|_| {
                let start = thread_cpu_ms();
                for _ in 0..100_000 {
                    std::hint::black_box(
                        case.pool
                            .out_given_in(
                                case.token_in,
                                case.token_out,
                                std::hint::black_box(case.amount),
                                s.timestamp,
                            )
                            .unwrap(),
                    );
                }
                // ms per 100,000 quotes → ns per quote
                (thread_cpu_ms() - start) * 10.0
            })
            .collect();
        let (median, min, max) = depth_data::stats(runs);
        println!(
            "balancer local {} thread CPU: median {median:.0} ns (min {min:.0}, max {max:.0})",
            case.name
        );
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup());
    cpu_time(&s);
    let mut local = c.benchmark_group("balancer_quote_local");
    for case in &s.cases {
        local.bench_with_input(BenchmarkId::new("pool", case.name), case, |b, k| {
            b.iter(|| {
                k.pool
                    .out_given_in(
                        k.token_in,
                        k.token_out,
                        std::hint::black_box(k.amount),
                        s.timestamp,
                    )
                    .unwrap()
            })
        });
    }
    if let Some(case) = s.cases.iter().find(|k| k.name == "stable3")
        && let Curve::Stable { amp } = &case.pool.curve
    {
        let amp = amp.at(s.timestamp);
        let balances: Vec<U256> = case
            .pool
            .balances
            .iter()
            .zip(&case.pool.scaling)
            .map(|(b, f)| b * f)
            .collect();
        local.bench_function(BenchmarkId::new("pool", "stable3_invariant"), |b| {
            b.iter(|| stable_math::invariant(amp, std::hint::black_box(&balances)).unwrap())
        });
    }
    local.finish();
    let mut remote = c.benchmark_group("balancer_quote_query_swap_eth_call");
    remote
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for case in &s.cases {
        let data = IBalancerQueries::querySwapCall {
            singleSwap: Q::SingleSwap {
                poolId: case.pool.id,
                kind: 0,
                assetIn: case.token_in,
                assetOut: case.token_out,
                amount: case.amount,
                userData: Bytes::new(),
            },
            funds: Q::FundManagement {
                sender: s.deployer,
                fromInternalBalance: false,
                recipient: s.deployer,
                toInternalBalance: false,
            },
        }
        .abi_encode();
        let want = case
            .pool
            .out_given_in(case.token_in, case.token_out, case.amount, s.timestamp)
            .unwrap();
        remote.bench_with_input(BenchmarkId::new("pool", case.name), &data, |b, d| {
            b.iter(|| {
                let tx = TransactionRequest::default()
                    .with_to(s.queries)
                    .with_input(d.clone());
                let out = rt.block_on(async { s.provider.call(tx).await }).unwrap();
                let got = IBalancerQueries::querySwapCall::abi_decode_returns(&out).unwrap();
                assert_eq!(got, want);
            })
        });
    }
    remote.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
