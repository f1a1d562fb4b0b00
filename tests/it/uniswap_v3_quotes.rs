//! Uniswap v3 on a local anvil with the real contracts: the connector's local swap math against
//! QuoterV2 (to the wei, all four fee tiers, sizes from dust to beyond the liquidity, both
//! directions, exact in and exact out), state following other accounts' swaps and positions from
//! the logs, reorgs, and bad input.

use crate::uniswap_support;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U160, U256, aliases::U24};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal_macros::dec;
use sluice::amm::SyncOutcome;
use sluice::amm::uniswap_v3::abi::{IQuoterV2, ISwapRouter};
use sluice::amm::uniswap_v3::connector::UniswapV3Venue;
use sluice::amm::uniswap_v3::state::load_pools;
use sluice::amm::uniswap_v3::{PoolState, SwapAmount};
use sluice::core::{QuoteRequest, Side};
use sluice::venue::{Venue, VenueError};
use sluice_sim::deploy::Deployer;
use sluice_sim::deploy::tokens::deploy_test_token;
use uniswap_support::*;

/// QuoterV2's answer: (amount in or out, sqrt price after), or the revert.
async fn quoter(
    e: &Env,
    token_in: Address,
    token_out: Address,
    fee: u32,
    amount: SwapAmount,
) -> Result<(U256, U256), String> {
    let q = e.manifest().uniswap_v3.quoter_v2;
    let data = match amount {
        SwapAmount::ExactIn(a) => IQuoterV2::quoteExactInputSingleCall {
            params: IQuoterV2::QuoteExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                amountIn: a,
                fee: U24::from(fee),
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
        .abi_encode(),
        SwapAmount::ExactOut(a) => IQuoterV2::quoteExactOutputSingleCall {
            params: IQuoterV2::QuoteExactOutputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                amount: a,
                fee: U24::from(fee),
                sqrtPriceLimitX96: U160::ZERO,
            },
        }
        .abi_encode(),
    };
    let tx = TransactionRequest::default().with_to(q).with_input(data);
    let out = e.provider.call(tx).await.map_err(|e| e.to_string())?;
    match amount {
        SwapAmount::ExactIn(_) => {
            let r = IQuoterV2::quoteExactInputSingleCall::abi_decode_returns(&out)
                .map_err(|e| e.to_string())?;
            Ok((r.amountOut, U256::from(r.sqrtPriceX96After)))
        }
        SwapAmount::ExactOut(_) => {
            let r = IQuoterV2::quoteExactOutputSingleCall::abi_decode_returns(&out)
                .map_err(|e| e.to_string())?;
            Ok((r.amountIn, U256::from(r.sqrtPriceX96After)))
        }
    }
}

fn pool_of(v: &UniswapV3Venue, addr: Address) -> PoolState {
    v.pool(addr).unwrap().expect("pool tracked")
}

/// Compares local math with QuoterV2 on one case; returns the ticks crossed locally.
async fn check_case(e: &Env, pool: &PoolState, zero_for_one: bool, amount: SwapAmount) -> u32 {
    let (token_in, token_out) = if zero_for_one {
        (pool.token0, pool.token1)
    } else {
        (pool.token1, pool.token0)
    };
    let local = pool.simulate_swap(zero_for_one, amount, None);
    let remote = quoter(e, token_in, token_out, pool.fee, amount).await;
    let ctx = format!("fee {} zero_for_one {zero_for_one} {amount:?}", pool.fee);
    match (&local, amount) {
        (Ok(o), SwapAmount::ExactIn(_)) if o.complete || !o.amount_out.is_zero() => {
            let (out, price) = remote.unwrap_or_else(|r| panic!("{ctx}: quoter reverted: {r}"));
            assert_eq!(o.amount_out, out, "{ctx}: amount out");
            assert_eq!(o.sqrt_price_after, price, "{ctx}: price after");
            o.ticks_crossed
        }
        (Ok(o), SwapAmount::ExactOut(_)) if o.complete => {
            let (input, price) = remote.unwrap_or_else(|r| panic!("{ctx}: quoter reverted: {r}"));
            assert_eq!(o.amount_in, input, "{ctx}: amount in");
            assert_eq!(o.sqrt_price_after, price, "{ctx}: price after");
            o.ticks_crossed
        }
        (Ok(o), SwapAmount::ExactIn(_)) => {
            // Nothing comes out: QuoterV2 either reports 0 or rejects a swap with no liquidity.
            if let Ok((out, _)) = remote {
                assert_eq!(out, U256::ZERO, "{ctx}");
            }
            o.ticks_crossed
        }
        (Ok(o), SwapAmount::ExactOut(_)) => {
            // Beyond the liquidity: QuoterV2 requires the full output and reverts.
            assert!(
                remote.is_err(),
                "{ctx}: quoter filled what local math cannot ({o:?})"
            );
            o.ticks_crossed
        }
        (Err(err), _) => {
            assert!(
                remote.is_err(),
                "{ctx}: local error {err} but quoter answered {remote:?}"
            );
            0
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_math_matches_quoter_v2_to_the_wei() {
    let e = start(25, 7).await.unwrap();
    let v = venue(&e).await.unwrap();
    assert_eq!(
        v.track_pair(e.weth, e.usdc).await.unwrap(),
        4,
        "all four fee tiers"
    );
    let mut rng = StdRng::seed_from_u64(42);
    let mut cases = 0;
    let mut crossing = 0;
    let mut max_crossed = 0;
    let mut beyond = 0;
    for (fee, addr) in &e.pools {
        let pool = pool_of(&v, *addr);
        assert_eq!(pool.fee, *fee);
        assert!(
            pool.ticks.len() > 20,
            "fee {fee}: {} ticks",
            pool.ticks.len()
        );
        for i in 0..60 {
            let zero_for_one = rng.gen_bool(0.5);
            let exact_in = rng.gen_bool(0.5);
            let token_in_is_weth = (pool.token0 == e.weth) == zero_for_one;
            let token = if exact_in == token_in_is_weth { 18 } else { 6 };
            // Log-uniform from 1 unit to well past the pool's depth (~100+ WETH, ~400k USDC).
            let max_exp = if token == 18 { 24.0 } else { 12.0 };
            let exp: f64 = if i < 3 {
                [0.0, 1.0, max_exp][i]
            } else {
                rng.gen_range(0.0..max_exp)
            };
            let mantissa: u64 = rng.gen_range(1..10);
            let amount = U256::from(mantissa) * U256::from(10u8).pow(U256::from(exp as u64));
            let amount = if exact_in {
                SwapAmount::ExactIn(amount)
            } else {
                SwapAmount::ExactOut(amount)
            };
            let local = pool.simulate_swap(zero_for_one, amount, None);
            if local.as_ref().is_ok_and(|o| !o.complete) {
                beyond += 1;
            }
            let crossed = check_case(&e, &pool, zero_for_one, amount).await;
            cases += 1;
            if crossed >= 2 {
                crossing += 1;
            }
            max_crossed = max_crossed.max(crossed);
        }
    }
    println!(
        "{cases} cases, {crossing} crossing 2+ ticks, max {max_crossed} ticks, {beyond} beyond liquidity"
    );
    assert!(cases >= 200);
    assert!(
        crossing >= 40,
        "only {crossing} cases crossed 2+ initialized ticks"
    );
    assert!(max_crossed >= 10, "max {max_crossed}");
    assert!(beyond >= 10, "only {beyond} cases beyond the liquidity");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_quotes_pick_the_best_tier_and_match_the_quoter() {
    let e = start(10, 11).await.unwrap();
    let v = venue(&e).await.unwrap();
    for (side, amount) in [
        (Side::Sell, dec!(0.5)),
        (Side::Sell, dec!(25)),
        (Side::Buy, dec!(3)),
        (Side::Buy, dec!(40)),
    ] {
        let req = QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side,
            base_amount: amount,
        };
        let q = v.quote(&req).await.unwrap();
        // The best of the four QuoterV2 answers, converted the same way.
        let units = U256::from(amount.mantissa() as u128)
            * U256::from(10u8).pow(U256::from(18 - amount.scale()));
        let mut best: Option<U256> = None;
        for (fee, _) in &e.pools {
            let r = match side {
                Side::Sell => quoter(&e, e.weth, e.usdc, *fee, SwapAmount::ExactIn(units)).await,
                Side::Buy => quoter(&e, e.usdc, e.weth, *fee, SwapAmount::ExactOut(units)).await,
            };
            if let Ok((x, _)) = r {
                best = Some(match (best, side) {
                    (None, _) => x,
                    (Some(b), Side::Sell) => b.max(x),
                    (Some(b), Side::Buy) => b.min(x),
                });
            }
        }
        let best = best.unwrap();
        let expected = sluice::core::from_units(best, 6).unwrap();
        assert_eq!(q.quote_amount, expected, "{side} {amount}");
        assert_eq!(q.average_price, expected / amount);
        assert!(q.gas.as_ref().unwrap().gas_units > 0);
        match side {
            Side::Sell => assert!(q.worst_price < q.average_price),
            Side::Buy => assert!(q.worst_price > q.average_price),
        }
    }
}

/// Fresh pool state read from the chain, to compare with the event-driven one.
async fn fresh(e: &Env, v: &UniswapV3Venue, addr: Address) -> PoolState {
    let block = v.synced_block().unwrap();
    let tick_lens = Some(e.manifest().uniswap_v3.tick_lens);
    load_pools(&e.env.anvil.read_provider(), &[addr], tick_lens, block)
        .await
        .unwrap()
        .remove(0)
}

async fn swap_from(
    e: &Env,
    from: Address,
    fee: u32,
    token_in: Address,
    token_out: Address,
    amount: U256,
) {
    // A new provider each time: its nonce cache must not survive a revert of the chain.
    let provider = e.env.anvil.provider();
    let router = e.manifest().uniswap_v3.swap_router;
    send(
        &provider,
        from,
        token_in,
        &IErc20::approveCall {
            spender: router,
            value: U256::MAX,
        },
    )
    .await
    .unwrap();
    send(
        &provider,
        from,
        router,
        &ISwapRouter::exactInputSingleCall {
            params: ISwapRouter::ExactInputSingleParams {
                tokenIn: token_in,
                tokenOut: token_out,
                fee: U24::from(fee),
                recipient: from,
                deadline: U256::from(u64::MAX / 2),
                amountIn: amount,
                amountOutMinimum: U256::ZERO,
                sqrtPriceLimitX96: U160::ZERO,
            },
        },
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_follows_other_accounts_swaps_and_positions() {
    let e = start(8, 3).await.unwrap();
    let v = venue(&e).await.unwrap();
    v.track_pair(e.weth, e.usdc).await.unwrap();
    let other = sluice_sim::anvil::dev_addresses()[1];
    let (fee, addr) = e.pools[2];
    let before = pool_of(&v, addr);
    // Another account sells 200k USDC (crossing ticks), then the deployer adds a position.
    swap_from(&e, other, fee, e.usdc, e.weth, units(200_000, 6)).await;
    let s = spacing(fee);
    let t = before.tick.div_euclid(s) * s;
    add_position(
        &e,
        fee,
        t - 7 * s,
        t + 11 * s,
        units(3, 18),
        units(9_000, 6),
    )
    .await
    .unwrap();
    let outcome = v.refresh().await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Advanced { logs, .. } if logs >= 2),
        "{outcome:?}"
    );
    let after = pool_of(&v, addr);
    assert_ne!(after.sqrt_price_x96, before.sqrt_price_x96);
    let reference = fresh(&e, &v, addr).await;
    assert_eq!(after, reference, "event-driven state equals a fresh load");
    // Quotes still match to the wei.
    for amount in [units(1, 15), units(2, 18), units(40, 18)] {
        check_case(
            &e,
            &after,
            after.token0 == e.weth,
            SwapAmount::ExactIn(amount),
        )
        .await;
        check_case(
            &e,
            &after,
            after.token0 != e.weth,
            SwapAmount::ExactOut(amount / U256::from(1_000_000_000_000u64)),
        )
        .await;
    }
    // Nothing new: up to date.
    assert_eq!(v.refresh().await.unwrap(), SyncOutcome::UpToDate);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_reloads_the_state() {
    let e = start(4, 5).await.unwrap();
    let v = venue(&e).await.unwrap();
    v.track_pair(e.weth, e.usdc).await.unwrap();
    let other = sluice_sim::anvil::dev_addresses()[2];
    let (fee, addr) = e.pools[1];
    let snap = e.provider.anvil_snapshot().await.unwrap();
    swap_from(&e, other, fee, e.usdc, e.weth, units(50_000, 6)).await;
    v.refresh().await.unwrap();
    let swapped = pool_of(&v, addr);
    // Drop that block and build a different chain of the same length and more.
    assert!(e.provider.anvil_revert(snap).await.unwrap());
    swap_from(&e, other, fee, e.usdc, e.weth, units(20_000, 6)).await;
    e.provider.anvil_mine(Some(2), None).await.unwrap();
    let outcome = v.refresh().await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Reloaded { .. }),
        "{outcome:?}"
    );
    let now = pool_of(&v, addr);
    assert_ne!(now.sqrt_price_x96, swapped.sqrt_price_x96);
    assert_eq!(now, fresh(&e, &v, addr).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_error() {
    let e = start(0, 1).await.unwrap();
    let v = venue(&e).await.unwrap();
    let q = |pair: &str, side, amount| QuoteRequest {
        pair: pair.parse().unwrap(),
        side,
        base_amount: amount,
    };
    let err = v
        .quote(&q("WETH-NOPE", Side::Sell, dec!(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, VenueError::InvalidRequest(ref m) if m.contains("NOPE")),
        "{err}"
    );
    let err = v
        .quote(&q("WETH-USDC", Side::Sell, dec!(0)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, VenueError::InvalidRequest(ref m) if m.contains("positive")),
        "{err}"
    );
    let err = v
        .quote(&q("WETH-USDC", Side::Sell, dec!(-1)))
        .await
        .unwrap_err();
    assert!(matches!(err, VenueError::InvalidRequest(_)), "{err}");
    let err = v
        .quote(&q("WETH-USDC", Side::Buy, dec!(1000000)))
        .await
        .unwrap_err();
    assert!(matches!(err, VenueError::InsufficientLiquidity(_)), "{err}");
    // A real token with no pool at all.
    let d = Deployer::new(e.env.anvil.provider(), e.manifest().deployer);
    let lonely = deploy_test_token(&d, "Lonely", "LONE", 18).await.unwrap();
    v.resolve_token(&lonely.address.to_string()).await.unwrap();
    let err = v
        .quote(&q("LONE-USDC", Side::Buy, dec!(1)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no uniswap_v3 pool"), "{err}");
    // An address that is not a token.
    let fake = e.manifest().uniswap_v2.router02;
    let err = v.resolve_token(&fake.to_string()).await.unwrap_err();
    assert!(err.to_string().contains("unknown token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_gap_is_backfilled_in_chunks() {
    let e = start(4, 8).await.unwrap();
    let v = venue(&e).await.unwrap();
    v.track_pair(e.weth, e.usdc).await.unwrap();
    let other = sluice_sim::anvil::dev_addresses()[7];
    let (fee, addr) = e.pools[3];
    // Swaps separated by more blocks than one eth_getLogs request covers.
    swap_from(&e, other, fee, e.usdc, e.weth, units(30_000, 6)).await;
    e.provider.anvil_mine(Some(2_100), None).await.unwrap();
    swap_from(&e, other, fee, e.usdc, e.weth, units(10_000, 6)).await;
    let before = v.synced_block().unwrap();
    let outcome = v.refresh().await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Advanced { logs: 2, block } if block > before + 2_100),
        "{outcome:?}"
    );
    assert_eq!(pool_of(&v, addr), fresh(&e, &v, addr).await);
}
