//! A Perp v1 vAMM quote by the local math vs. the same quote by the Amm's `getInputPrice` /
//! `getOutputPrice` `eth_call` on a local anvil (the snapshot's ETH/USDC Amm), in the same run:
//! a 10 000-USDC long (quote in) and a 3-ETH close (base in); and, local only, the venue's quote of
//! an order of 3 ETH (the exact notional for that base, margin at 4x, fees).
//!
//! Run: `cargo bench --bench perp_quote` (needs `scripts/setup.sh` for the npm artifacts).

use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sluice::amm::perp::abi::IPerpAmm;
use sluice::amm::perp::math::{Dir, UNIT, get_input_price, get_output_price};
use sluice::amm::perp::order::plan_trade;
use sluice::amm::perp::state::AmmState;
use sluice::core::Side;
use sluice_sim::deploy::LocalEnv;

struct Setup {
    _env: LocalEnv,
    provider: DynProvider,
    amm: Address,
    state: AmmState,
}

async fn setup() -> Setup {
    let env = LocalEnv::start()
        .await
        .expect("local env (run scripts/setup.sh)");
    let amm = env
        .manifest
        .perp
        .as_ref()
        .expect("perp in the manifest")
        .amms[0]
        .address;
    let provider = env.anvil.read_provider();
    let block = provider.get_block_number().await.expect("block number");
    let state = AmmState::load(&provider, amm, block)
        .await
        .expect("amm state");
    Setup {
        _env: env,
        provider,
        amm,
        state,
    }
}

/// (name, input form, amount): a 10 000-USDC long and a 3-ETH long's close.
fn cases() -> [(&'static str, bool, U256); 2] {
    [
        ("input_10000_usdc", true, U256::from(10_000u64) * UNIT),
        ("output_3_eth", false, U256::from(3u64) * UNIT),
    ]
}

fn local(s: &Setup, input: bool, amount: U256) -> U256 {
    if input {
        get_input_price(Dir::AddToAmm, amount, s.state.reserves).expect("local input price")
    } else {
        get_output_price(Dir::AddToAmm, amount, s.state.reserves).expect("local output price")
    }
}

fn call_data(input: bool, amount: U256) -> Vec<u8> {
    let d = IPerpAmm::Dec { d: amount };
    if input {
        IPerpAmm::getInputPriceCall {
            _dirOfQuote: Dir::AddToAmm.as_u8(),
            _quoteAssetAmount: d,
        }
        .abi_encode()
    } else {
        IPerpAmm::getOutputPriceCall {
            _dirOfBase: Dir::AddToAmm.as_u8(),
            _baseAssetAmount: d,
        }
        .abi_encode()
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    let s = rt.block_on(setup());
    let mut g = c.benchmark_group("perp_quote_local");
    for (name, input, amount) in cases() {
        g.bench_with_input(BenchmarkId::new("amm", name), &amount, |b, a| {
            b.iter(|| local(&s, input, std::hint::black_box(*a)))
        });
    }
    // The venue's quote of an order of a base amount: the notional that exchanges exactly that
    // base (closed form, confirmed by four getInputPrice evaluations), the margin at 4x and fees.
    let base = U256::from(3u64) * UNIT;
    g.bench_with_input(
        BenchmarkId::new("venue", "order_3_eth_long_4x"),
        &base,
        |b, x| {
            b.iter(|| {
                plan_trade(
                    Side::Buy,
                    std::hint::black_box(*x),
                    I256::ZERO,
                    U256::from(4u8) * UNIT,
                    s.state.reserves,
                    &s.state.params,
                )
                .expect("local order quote")
            })
        },
    );
    g.finish();
    let mut remote = c.benchmark_group("perp_quote_eth_call");
    remote
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for (name, input, amount) in cases() {
        let expected = local(&s, input, amount);
        let data = call_data(input, amount);
        remote.bench_with_input(BenchmarkId::new("amm", name), &data, |b, d| {
            b.iter(|| {
                let tx = TransactionRequest::default()
                    .with_to(s.amm)
                    .with_input(d.clone());
                let out = rt
                    .block_on(async { s.provider.call(tx).await })
                    .expect("eth_call");
                // Both functions return one `Decimal`: decoding as either is the same.
                let got = IPerpAmm::getInputPriceCall::abi_decode_returns(&out)
                    .expect("a Decimal")
                    .d;
                assert_eq!(got, expected, "the chain and the local quote differ");
                got
            })
        });
    }
    remote.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
