//! A Terraswap pair quote by the local math vs. the pair contract's own `simulation` /
//! `reverse_simulation` smart query over the LCD of the local Terra, in the same run: selling
//! 1 000 LUNA into the seeded LUNA/axlUSDC pool (2 000 000 LUNA / 1 000 000 axlUSDC) and buying
//! 1 000 LUNA with axlUSDC (reverse). The query side asserts on every iteration that the contract
//! answers what the local math says. The Astroport case does the same on the seeded Astroport
//! LUNA/axlUSDC pair (200 000 LUNA / 100 000 axlUSDC), whose contract is the published
//! `astroport-pair` run by the local node, against the connector's Astroport math with the
//! factory's fee.
//!
//! Run: `cargo bench --bench terra_swap_quote` (starts the local Terra in-process; loopback only).

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sluice::amm::terra_swap::client::PairClient;
use sluice::amm::terra_swap::math::{self, Dec18, astroport};
use sluice::amm::terra_swap::msg::{Asset, PoolResponse};
use sluice::chain::cosmos::lcd::{LcdClient, LcdConfig};
use sluice_sim::cosmos::{Flavor, LocalTerra};

const AMOUNT: u128 = 1_000_000_000; // 1 000 tokens of 6 decimals

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    type Setup = (
        LocalTerra,
        PairClient,
        String,
        PoolResponse,
        String,
        PoolResponse,
        u16,
    );
    let (terra, client, pair, pool, astro_pair, astro_pool, fee_bps): Setup = rt.block_on(async {
        let t = LocalTerra::start(Flavor::Terra, 0)
            .await
            .expect("local terra");
        let lcd = LcdClient::connect(t.lcd_url(), &t.chain_id, LcdConfig::default())
            .await
            .expect("lcd");
        let client = PairClient::new(lcd);
        let pair = t.pairs[0].contract_addr.clone();
        let pool = client.pool(&pair).await.expect("pool");
        let astro = t.astroport_pairs[0].contract_addr.clone();
        let astro_pool = client.pool(&astro).await.expect("astroport pool");
        let xyk = sluice::amm::terra_swap::msg::PairType::Xyk {};
        let fees = client
            .fee_info(&t.addresses["astroport_factory"], &xyk)
            .await
            .expect("fee info");
        (t, client, pair, pool, astro, astro_pool, fees.total_fee_bps)
    });
    let [a, b] = &pool.assets;
    let commission = Dec18::commission();
    let local_sim = || math::simulate(a.amount, b.amount, AMOUNT, commission).expect("sim");
    let local_rev =
        || math::reverse_simulate(b.amount, a.amount, AMOUNT, commission).expect("reverse");

    let mut g = c.benchmark_group("terra_swap_quote_local");
    g.bench_function(BenchmarkId::new("simulation", "1000_luna"), |bn| {
        bn.iter(|| std::hint::black_box(local_sim()))
    });
    g.bench_function(BenchmarkId::new("reverse_simulation", "1000_luna"), |bn| {
        bn.iter(|| std::hint::black_box(local_rev()))
    });
    g.finish();

    let offer = Asset {
        info: a.info.clone(),
        amount: AMOUNT,
    };
    let ask = offer.clone();
    let (want_sim, want_rev) = (local_sim(), local_rev());
    let mut g = c.benchmark_group("terra_swap_quote_smart_query");
    g.bench_function(BenchmarkId::new("simulation", "1000_luna"), |bn| {
        bn.iter(|| {
            let r = rt
                .block_on(client.simulation(&pair, &offer))
                .expect("simulation query");
            assert_eq!(r.return_amount, want_sim.return_amount);
        })
    });
    g.bench_function(BenchmarkId::new("reverse_simulation", "1000_luna"), |bn| {
        bn.iter(|| {
            let r = rt
                .block_on(client.reverse_simulation(&pair, &ask))
                .expect("reverse simulation query");
            assert_eq!(r.offer_amount, want_rev.offer_amount);
        })
    });
    g.finish();

    let [x, y] = &astro_pool.assets;
    let fee = astroport::commission_of_bps(fee_bps);
    let astro_sim = || astroport::simulate(x.amount, y.amount, AMOUNT, fee).expect("sim");
    let astro_offer = Asset {
        info: x.info.clone(),
        amount: AMOUNT,
    };
    let want = astro_sim();
    let mut g = c.benchmark_group("terra_swap_quote_astroport");
    g.bench_function(BenchmarkId::new("local_simulation", "1000_luna"), |bn| {
        bn.iter(|| std::hint::black_box(astro_sim()))
    });
    g.bench_function(
        BenchmarkId::new("smart_query_simulation", "1000_luna"),
        |bn| {
            bn.iter(|| {
                let r = rt
                    .block_on(client.simulation(&astro_pair, &astro_offer))
                    .expect("astroport simulation query");
                assert_eq!(r.return_amount, want.return_amount);
            })
        },
    );
    g.finish();
    drop(terra);
}

criterion_group!(benches, bench);
criterion_main!(benches);
