//! Fork mode, tested by forking one local anvil from another: the fork sees every deployed protocol
//! and trades on it, and the parent chain is left exactly as it was.

use crate::anvil_support;

use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::sol;
use sluice_sim::anvil::{AnvilOptions, dev_addresses};
use sluice_sim::deploy::LocalEnv;

use anvil_support::trades;

sol! {
    interface IPair {
        function getReserves() external view returns (uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast);
    }
}

fn e18() -> U256 {
    U256::from(10u64).pow(U256::from(18u64))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_trades_on_every_protocol_without_touching_its_parent() {
    let parent = LocalEnv::start().await.unwrap();
    let pp = parent.anvil.provider();
    let m = parent.manifest.clone();
    let trader = dev_addresses()[2];
    let usdc = m.token_address("USDC").unwrap();
    let pair = m.v2_pair("WETH", "USDC").unwrap().address;

    let parent_block = pp.get_block_number().await.unwrap();
    let parent_usdc = trades::balance(&pp, usdc, trader).await.unwrap();
    let parent_reserves = trades::read(&pp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();

    let fork = parent.fork(AnvilOptions::default()).await.unwrap();
    let fp = fork.anvil.provider();
    assert_eq!(fork.anvil.chain_id(), parent.anvil.chain_id());
    assert_eq!(
        fp.get_block_number().await.unwrap(),
        parent_block,
        "fork starts at the parent's head"
    );
    assert_eq!(
        fp.get_code_at(m.uniswap_v2.router02).await.unwrap(),
        pp.get_code_at(m.uniswap_v2.router02).await.unwrap(),
        "the fork sees the parent's contracts"
    );

    let fm = &fork.manifest;
    trades::uniswap_v2_swap(&fp, fm, trader, "WETH", "USDC", e18())
        .await
        .unwrap();
    trades::uniswap_v3_swap(&fp, fm, trader, "WETH", "USDC", 3000, e18())
        .await
        .unwrap();
    trades::balancer_swap(&fp, fm, trader, "WETH", "USDC", e18())
        .await
        .unwrap();
    trades::perp_open_long(&fp, fm, trader, 100, 2)
        .await
        .unwrap();
    trades::mento_swap(&fp, fm, trader, "cUSD", "CELO", U256::from(10u64) * e18())
        .await
        .unwrap();

    let fork_reserves = trades::read(&fp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();
    assert_ne!(
        fork_reserves.reserve0, parent_reserves.reserve0,
        "the fork's pair moved"
    );
    assert!(fp.get_block_number().await.unwrap() > parent_block);

    // The parent is untouched.
    assert_eq!(pp.get_block_number().await.unwrap(), parent_block);
    assert_eq!(
        trades::balance(&pp, usdc, trader).await.unwrap(),
        parent_usdc
    );
    let after = trades::read(&pp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();
    assert_eq!(
        (after.reserve0, after.reserve1),
        (parent_reserves.reserve0, parent_reserves.reserve1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_at_a_past_block_sees_the_state_of_that_block() {
    let parent = LocalEnv::start().await.unwrap();
    let pp = parent.anvil.provider();
    let m = parent.manifest.clone();
    let trader = dev_addresses()[3];
    let pair = m.v2_pair("WETH", "USDC").unwrap().address;

    trades::uniswap_v2_swap(&pp, &m, trader, "WETH", "USDC", e18())
        .await
        .unwrap();
    let then_block = pp.get_block_number().await.unwrap();
    let then = trades::read(&pp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();
    trades::uniswap_v2_swap(&pp, &m, trader, "WETH", "USDC", e18())
        .await
        .unwrap();
    let now = trades::read(&pp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();
    assert_ne!(then.reserve0, now.reserve0);

    let url = parent.anvil.url().to_string();
    let fork = LocalEnv::fork_of(&url, Some(then_block), m.clone(), AnvilOptions::default())
        .await
        .unwrap();
    let fp = fork.anvil.provider();
    assert_eq!(fp.get_block_number().await.unwrap(), then_block);
    let seen = trades::read(&fp, trader, pair, &IPair::getReservesCall {})
        .await
        .unwrap();
    assert_eq!(
        (seen.reserve0, seen.reserve1),
        (then.reserve0, then.reserve1)
    );
}
