//! The deployed local environment: the snapshot starts a ready node in well under a second, and a swap
//! through each deployed protocol's own router receives exactly what the protocol's own quote said.

use crate::anvil_support;

use std::time::{Duration, Instant};

use alloy::primitives::U256;
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::{LocalEnv, Snapshot};

use anvil_support::trades;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshot_starts_fast_and_every_protocol_trades_at_its_quote() {
    // Build (or find) the snapshot first, so the timing below is only the start.
    Snapshot::ensure().await.unwrap();
    // The best of three starts: the cost of a start, not of whatever else the two cores were
    // running at that moment (the other tests of this binary run beside this one).
    let mut times = Vec::new();
    let mut env = None;
    for _ in 0..3 {
        drop(env.take());
        let started = Instant::now();
        env = Some(LocalEnv::start().await.unwrap());
        times.push(started.elapsed());
    }
    let env = env.unwrap();
    let best = times.iter().min().copied().unwrap();
    println!(
        "local environment ready from snapshot in {best:?} (best of {times:?}; url {})",
        env.anvil.url()
    );
    assert!(
        best < Duration::from_secs(1),
        "snapshot start took {times:?}"
    );

    let m = &env.manifest;
    assert_eq!(m.chain_id, 31337);
    assert_eq!(
        m.uniswap_v2.pair_init_code_hash.to_string(),
        "0x96e8ac4277198ff8b6f785478aa9a39f403cb768dd02cbee326c3e7da348845f"
    );
    assert_eq!(
        m.uniswap_v3.pool_init_code_hash.to_string(),
        "0xe34f199b19b2b4f47f68442619d555527d244f78a3297ea89325f843f87b8b54"
    );
    assert_eq!(m.token("USDC").unwrap().decimals, 6);
    assert!(m.uniswap_v3.pools.iter().all(|p| p.positions.len() >= 4));

    let trader = dev_addresses()[1];
    let p = env.anvil.provider();

    let v2 = trades::uniswap_v2_swap(
        &p,
        m,
        trader,
        "WETH",
        "USDC",
        U256::from(10u64).pow(U256::from(18u64)),
    )
    .await
    .unwrap();
    println!("uniswap v2: {v2:?}");
    assert_eq!(v2.received, v2.quoted);
    // 1 WETH at ~3000 USDC, minus the 0.3 % fee and a little price impact.
    assert!(
        v2.received > U256::from(2_980_000_000u64) && v2.received < U256::from(2_992_000_000u64)
    );

    let v3 = trades::uniswap_v3_swap(
        &p,
        m,
        trader,
        "WETH",
        "USDC",
        500,
        U256::from(30u64) * U256::from(10u64).pow(U256::from(18u64)),
    )
    .await
    .unwrap();
    println!("uniswap v3: {v3:?}");
    assert!(
        v3.ticks_crossed >= 1,
        "a 30 WETH swap must cross initialized ticks"
    );

    let bal = trades::balancer_swap(&p, m, trader, "WETH", "USDC", e18())
        .await
        .unwrap();
    println!("balancer: {bal:?}");
    // 1 WETH into a 100 WETH / 300k USDC 50/50 pool: 300k × 0.997 / 100.997 ≈ 2961.5 USDC.
    assert!(
        bal.received > U256::from(2_961_000_000u64) && bal.received < U256::from(2_962_000_000u64)
    );

    // 100 USDC at 5x: about 0.1666 ETH at 3000, less the 0.1 % spread taken from the margin.
    let perp = trades::perp_open_long(&p, m, trader, 100, 5).await.unwrap();
    println!("perp: {perp:?}");
    assert!(
        perp.received > U256::from(166_000_000_000_000_000u64)
            && perp.received < U256::from(167_000_000_000_000_000u64)
    );

    // 100 CELO at 0.50 cUSD, less the 0.25 % spread.
    let mento = trades::mento_swap(&p, m, trader, "CELO", "cUSD", U256::from(100u64) * e18())
        .await
        .unwrap();
    println!("mento: {mento:?}");
    assert!(
        mento.received > U256::from(49_800_000_000_000_000_000u128)
            && mento.received < U256::from(49_900_000_000_000_000_000u128)
    );
}

fn e18() -> U256 {
    U256::from(10u64).pow(U256::from(18u64))
}
