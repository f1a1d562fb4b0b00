//! A Mento v2 quote by local exact math vs. the same quote by the Broker's `getAmountOut`
//! `eth_call` on a local anvil, on both exchanges of the test deployment: constant product
//! (cUSD/CELO) and constant sum (cUSD/USDC, 6-decimal output, so the precision scaling runs).
//! The local side times `Exchange::amount_out` (bucket-reset check at the chain's time, FixidityLib
//! pricing, scaling); the eth_call side asserts on every iteration that the Broker's amount equals
//! the local one.
//!
//! Run: `cargo bench --bench mento_quote` (needs `scripts/setup.sh` for the npm artifacts).

use std::time::Duration;

use alloy::eips::BlockNumberOrTag;
use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sluice::amm::mento::abi::IMentoBroker;
use sluice::amm::mento::connector::{MentoContracts, MentoModel, MentoVenue};
use sluice::amm::mento::math::{Exchange, OracleFeed};
use sluice::amm::tokens::TokenBook;
use sluice::core::Asset;
use sluice_sim::deploy::LocalEnv;

struct Case {
    name: &'static str,
    id: B256,
    exchange: Exchange,
    oracle: OracleFeed,
    token_in: Address,
    token_out: Address,
    amount: U256,
}

struct Setup {
    _env: LocalEnv,
    provider: DynProvider,
    broker: Address,
    bpm: Address,
    now: u64,
    cases: Vec<Case>,
}

async fn setup() -> Setup {
    let env = LocalEnv::start()
        .await
        .expect("local env (run scripts/setup.sh)");
    let m = env.manifest.clone();
    let mento = m.mento.clone().expect("mento in the manifest");
    let (cusd, celo, usdc) = (
        m.tokens["cUSD"].address,
        m.tokens["CELO"].address,
        m.tokens["USDC"].address,
    );
    let mut book = TokenBook::new("anvil");
    book.add_manifest(&m);
    let venue = MentoVenue::open(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        MentoModel::new(MentoContracts::from_manifest(&m).unwrap()),
        book,
    )
    .await
    .unwrap();
    venue.track_exchanges(cusd, celo).await.unwrap();
    venue.track_exchanges(cusd, usdc).await.unwrap();
    let now = env
        .anvil
        .read_provider()
        .get_block_by_number(BlockNumberOrTag::Latest)
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let e18 = U256::from(10u64).pow(U256::from(18u8));
    let t = venue.state().read().unwrap();
    let case = |name, id: B256, token_in, token_out, amount| {
        let x = t.set.exchanges[&id];
        Case {
            name,
            id,
            exchange: x.exchange,
            oracle: t.set.oracle(&x).unwrap(),
            token_in,
            token_out,
            amount,
        }
    };
    let cases = vec![
        case(
            "constant_product",
            mento.exchanges[0].id,
            celo,
            cusd,
            e18 * U256::from(1_234u32),
        ),
        case(
            "constant_sum",
            mento.exchanges[1].id,
            cusd,
            usdc,
            e18 * U256::from(98_765u32),
        ),
    ];
    drop(t);
    Setup {
        provider: env.anvil.read_provider(),
        broker: mento.broker,
        bpm: mento.bi_pool_manager,
        now,
        cases,
        _env: env,
    }
}

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(setup());
    let mut local = c.benchmark_group("mento_quote_local");
    for case in &s.cases {
        local.bench_with_input(BenchmarkId::new("exchange", case.name), case, |b, k| {
            b.iter(|| {
                k.exchange
                    .amount_out(
                        &k.oracle,
                        s.now,
                        k.token_in,
                        k.token_out,
                        std::hint::black_box(k.amount),
                    )
                    .map(|r| r.amount_out)
                    .unwrap()
            })
        });
    }
    local.finish();
    let mut remote = c.benchmark_group("mento_quote_broker_eth_call");
    remote
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    for case in &s.cases {
        let data = IMentoBroker::getAmountOutCall {
            exchangeProvider: s.bpm,
            exchangeId: case.id,
            tokenIn: case.token_in,
            tokenOut: case.token_out,
            amountIn: case.amount,
        }
        .abi_encode();
        let expected = case
            .exchange
            .amount_out(
                &case.oracle,
                s.now,
                case.token_in,
                case.token_out,
                case.amount,
            )
            .unwrap()
            .amount_out;
        remote.bench_with_input(BenchmarkId::new("exchange", case.name), &data, |b, d| {
            b.iter(|| {
                let tx = TransactionRequest::default()
                    .with_to(s.broker)
                    .with_input(d.clone());
                let out = rt.block_on(async { s.provider.call(tx).await }).unwrap();
                let r = IMentoBroker::getAmountOutCall::abi_decode_returns(&out).unwrap();
                assert_eq!(r, expected);
            })
        });
    }
    remote.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
