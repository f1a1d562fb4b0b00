//! Uniswap v2 on a local anvil with the real contracts: local `getAmountsOut` / `getAmountsIn`
//! against Router02's, to the wei, on direct and two-hop paths with sizes from dust to beyond the
//! reserves; reserves following another account's swap from `Sync` logs; bad input.

use crate::uniswap_support;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal_macros::dec;
use sluice::amm::SyncOutcome;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::abi::IUniswapV2Router02;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::amm::uniswap_v2::math::{HopReserves, get_amounts_in, get_amounts_out};
use sluice::core::{Asset, QuoteRequest, Side};
use sluice::venue::{Venue, VenueError};
use sluice_sim::deploy::tokens::deploy_test_token;
use sluice_sim::deploy::{Deployer, LocalEnv};
use uniswap_support::{IErc20, TestResult, send, units};

struct V2Env {
    env: LocalEnv,
    venue: UniswapV2Venue,
    weth: Address,
    usdc: Address,
    dai: Address,
}

async fn start() -> TestResult<V2Env> {
    let env = LocalEnv::start().await?;
    let m = &env.manifest;
    let token = |s: &str| m.tokens.get(s).map(|t| t.address).ok_or(format!("no {s}"));
    let (weth, usdc, dai) = (token("WETH")?, token("USDC")?, token("DAI")?);
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(m);
    let venue = UniswapV2Venue::connect(
        "anvil",
        Asset::new("ETH")?,
        env.anvil.read_provider(),
        V2Contracts::from(m),
        book,
    )
    .await?;
    venue.track_pair(weth, usdc).await?;
    venue.track_pair(usdc, dai).await?;
    venue.track_pair(weth, dai).await?;
    Ok(V2Env {
        env,
        venue,
        weth,
        usdc,
        dai,
    })
}

fn hops(e: &V2Env, path: &[Address]) -> Vec<HopReserves> {
    path.windows(2)
        .map(|w| {
            let p = e.venue.pair(w[0], w[1]).unwrap().expect("pair tracked");
            let (reserve_in, reserve_out) = p.reserves_from(w[0]).unwrap();
            HopReserves {
                reserve_in,
                reserve_out,
                fee_bps: p.fee_bps,
            }
        })
        .collect()
}

async fn router(
    e: &V2Env,
    exact_in: bool,
    amount: U256,
    path: &[Address],
) -> Result<Vec<U256>, String> {
    let r = e.env.manifest.uniswap_v2.router02;
    let data = if exact_in {
        IUniswapV2Router02::getAmountsOutCall {
            amountIn: amount,
            path: path.to_vec(),
        }
        .abi_encode()
    } else {
        IUniswapV2Router02::getAmountsInCall {
            amountOut: amount,
            path: path.to_vec(),
        }
        .abi_encode()
    };
    let tx = TransactionRequest::default().with_to(r).with_input(data);
    let out = e
        .env
        .anvil
        .read_provider()
        .call(tx)
        .await
        .map_err(|e| e.to_string())?;
    if exact_in {
        IUniswapV2Router02::getAmountsOutCall::abi_decode_returns(&out).map_err(|e| e.to_string())
    } else {
        IUniswapV2Router02::getAmountsInCall::abi_decode_returns(&out).map_err(|e| e.to_string())
    }
}

async fn check(e: &V2Env, exact_in: bool, amount: U256, path: &[Address]) -> bool {
    let h = hops(e, path);
    let local = if exact_in {
        get_amounts_out(amount, &h)
    } else {
        get_amounts_in(amount, &h)
    };
    let remote = router(e, exact_in, amount, path).await;
    match (local, remote) {
        (Ok(l), Ok(r)) => {
            assert_eq!(l, r, "exact_in {exact_in} {amount} {path:?}");
            true
        }
        (Err(_), Err(_)) => false,
        (l, r) => panic!("exact_in {exact_in} {amount} {path:?}: local {l:?} router {r:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_math_matches_router02_to_the_wei() {
    let e = start().await.unwrap();
    let paths = [
        vec![e.weth, e.usdc],
        vec![e.usdc, e.weth],
        vec![e.weth, e.dai],
        vec![e.dai, e.usdc],
        vec![e.usdc, e.weth, e.dai],
        vec![e.dai, e.weth, e.usdc],
    ];
    let mut rng = StdRng::seed_from_u64(9);
    let (mut cases, mut failed_both) = (0, 0);
    for path in &paths {
        for i in 0..40 {
            let exact_in = rng.gen_bool(0.5);
            let token = if exact_in {
                path[0]
            } else {
                path[path.len() - 1]
            };
            let max_exp = if token == e.usdc { 13.0 } else { 25.0 };
            let exp: f64 = if i == 0 {
                0.0
            } else {
                rng.gen_range(0.0..max_exp)
            };
            let amount =
                U256::from(rng.gen_range(1u64..10)) * U256::from(10u8).pow(U256::from(exp as u64));
            if !check(&e, exact_in, amount, path).await {
                failed_both += 1;
            }
            cases += 1;
        }
    }
    println!("{cases} cases, {failed_both} beyond the reserves (both sides reject)");
    assert!(cases >= 200);
    assert!(failed_both >= 5, "sizes must reach beyond the reserves");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reserves_follow_another_accounts_swap() {
    let e = start().await.unwrap();
    let other = sluice_sim::anvil::dev_addresses()[3];
    let router_addr = e.env.manifest.uniswap_v2.router02;
    let p = e.env.anvil.provider();
    send(
        &p,
        other,
        e.usdc,
        &IErc20::approveCall {
            spender: router_addr,
            value: U256::MAX,
        },
    )
    .await
    .unwrap();
    send(
        &p,
        other,
        router_addr,
        &IUniswapV2Router02::swapExactTokensForTokensCall {
            amountIn: units(100_000, 6),
            amountOutMin: U256::ZERO,
            path: vec![e.usdc, e.weth, e.dai],
            to: other,
            deadline: U256::from(u64::MAX / 2),
        },
    )
    .await
    .unwrap();
    let outcome = e.venue.refresh().await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Advanced { logs: 2, .. }),
        "{outcome:?}"
    );
    for path in [
        vec![e.usdc, e.weth],
        vec![e.weth, e.dai],
        vec![e.dai, e.weth, e.usdc],
    ] {
        assert!(check(&e, true, units(7, 18), &path).await);
        assert!(check(&e, false, units(3, 6), &path).await);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connector_quote_takes_the_better_path() {
    let e = start().await.unwrap();
    let req = QuoteRequest {
        pair: "USDC-DAI".parse().unwrap(),
        side: Side::Sell,
        base_amount: dec!(2500),
    };
    let q = e.venue.quote(&req).await.unwrap();
    let amount = units(2500, 6);
    let direct = router(&e, true, amount, &[e.usdc, e.dai]).await.unwrap()[1];
    let via = router(&e, true, amount, &[e.usdc, e.weth, e.dai])
        .await
        .unwrap()[2];
    let best = direct.max(via);
    assert_eq!(q.quote_amount, sluice::core::from_units(best, 18).unwrap());
    assert!(q.worst_price < q.average_price);
    // Buying: the least input wins.
    let req = QuoteRequest {
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Buy,
        base_amount: dec!(2),
    };
    let q = e.venue.quote(&req).await.unwrap();
    let need = router(&e, false, units(2, 18), &[e.usdc, e.weth])
        .await
        .unwrap()[0];
    assert_eq!(q.quote_amount, sluice::core::from_units(need, 6).unwrap());
    assert!(q.worst_price > q.average_price);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_clear_error() {
    let e = start().await.unwrap();
    let q = |pair: &str, side, amount| QuoteRequest {
        pair: pair.parse().unwrap(),
        side,
        base_amount: amount,
    };
    let err = e
        .venue
        .quote(&q("FOO-USDC", Side::Sell, dec!(1)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, VenueError::InvalidRequest(ref m) if m.contains("FOO")),
        "{err}"
    );
    let err = e
        .venue
        .quote(&q("WETH-USDC", Side::Buy, dec!(0)))
        .await
        .unwrap_err();
    assert!(matches!(err, VenueError::InvalidRequest(_)), "{err}");
    let err = e
        .venue
        .quote(&q("WETH-USDC", Side::Buy, dec!(501)))
        .await
        .unwrap_err();
    assert!(matches!(err, VenueError::InsufficientLiquidity(_)), "{err}");
    let err = e
        .venue
        .quote(&q("WETH-USDC", Side::Sell, dec!(0.0000000000000000001)))
        .await
        .unwrap_err();
    assert!(
        matches!(err, VenueError::InvalidRequest(ref m) if m.contains("decimals")),
        "{err}"
    );
    // A real token with no pair at all.
    let d = Deployer::new(e.env.anvil.provider(), e.env.manifest.deployer);
    let lonely = deploy_test_token(&d, "Lonely", "LONE", 18).await.unwrap();
    let token = e
        .venue
        .resolve_token(&lonely.address.to_string())
        .await
        .unwrap();
    assert_eq!(token.symbol.as_str(), "LONE");
    let err = e
        .venue
        .quote(&q("LONE-USDC", Side::Sell, dec!(1)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("no uniswap_v2 pool"), "{err}");
    // And an address that is not a token.
    let err = e
        .venue
        .resolve_token(&e.env.manifest.uniswap_v2.router02.to_string())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unknown token"), "{err}");
    let _ = e.dai;
}
