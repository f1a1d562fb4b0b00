//! Two-hop v3 routes on a local anvil with the real contracts: the connector's local path math
//! against QuoterV2's `quoteExactInput` / `quoteExactOutput` with the packed path (reversed for
//! exact output), to the wei, over randomized sizes and both directions, and no fee combination
//! of the path quoting better than the one chosen; then a pair without a direct pool (CELO-USDC,
//! after a CELO/WETH pool is created) quoted and swapped through WETH, both ways, with the fill
//! decoded from the two pools' Swap logs.

use crate::uniswap_support;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256, aliases::I24, aliases::U24};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal_macros::dec;
use sluice::amm::uniswap_v3::SwapAmount;
use sluice::amm::uniswap_v3::abi::IQuoterV2;
use sluice::amm::uniswap_v3::connector::UniswapV3Venue;
use sluice::amm::uniswap_v3::math::get_tick_at_sqrt_ratio;
use sluice::amm::uniswap_v3::route::encode_path;
use sluice::chain::evm::ApprovalPolicy;
use sluice::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
    to_units_exact,
};
use sluice::venue::Venue;
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::uniswap_v3::sqrt_price_x96;
use uniswap_support::*;

/// QuoterV2 on a packed path: the amount out (exact input) or in (exact output), or the revert.
async fn quoter_path(e: &Env, path: Bytes, amount: SwapAmount) -> Result<U256, String> {
    let q = e.manifest().uniswap_v3.quoter_v2;
    let data = match amount {
        SwapAmount::ExactIn(a) => IQuoterV2::quoteExactInputCall { path, amountIn: a }.abi_encode(),
        SwapAmount::ExactOut(a) => {
            IQuoterV2::quoteExactOutputCall { path, amountOut: a }.abi_encode()
        }
    };
    let tx = TransactionRequest::default().with_to(q).with_input(data);
    let out = e.provider.call(tx).await.map_err(|e| e.to_string())?;
    match amount {
        SwapAmount::ExactIn(_) => Ok(IQuoterV2::quoteExactInputCall::abi_decode_returns(&out)
            .map_err(|e| e.to_string())?
            .amountOut),
        SwapAmount::ExactOut(_) => Ok(IQuoterV2::quoteExactOutputCall::abi_decode_returns(&out)
            .map_err(|e| e.to_string())?
            .amountIn),
    }
}

/// A random size of `decimals` raw units between dust and `10^max_exp` whole tokens.
fn size(rng: &mut StdRng, decimals: u8, max_exp: u32) -> U256 {
    let whole_exp = rng.gen_range(0..=max_exp + decimals as u32);
    let mantissa = rng.gen_range(1u64..10_000);
    U256::from(mantissa) * U256::from(10u8).pow(U256::from(whole_exp)) / U256::from(1000u32)
        + U256::from(1u8)
}

/// Every fee combination of a two-hop path: the packed path to quote `amount` on, in the
/// direction the quoter takes it (reversed for an exact output).
fn quoter_paths(
    tokens: &[Address],
    fees_first: &[u32],
    fees_second: &[u32],
    exact_in: bool,
) -> Vec<Bytes> {
    let mut out = Vec::new();
    for &f1 in fees_first {
        for &f2 in fees_second {
            let path = if exact_in {
                encode_path(tokens, &[f1, f2])
            } else {
                let rev: Vec<Address> = tokens.iter().rev().copied().collect();
                encode_path(&rev, &[f2, f1])
            };
            out.push(path.unwrap());
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hop_quotes_match_quoter_v2_to_the_wei() {
    let e = start(4, 31).await.unwrap();
    let v = venue(&e).await.unwrap();
    for (a, b) in [(e.dai, e.weth), (e.weth, e.usdc)] {
        v.track_pair(a, b).await.unwrap();
    }
    let fees_of = |a: Address, b: Address| -> Vec<u32> {
        let mut f: Vec<u32> = v
            .simulate(a, b, SwapAmount::ExactIn(U256::from(1000u32)))
            .unwrap()
            .iter()
            .map(|s| s.fee)
            .collect();
        f.sort();
        f
    };
    assert_eq!(fees_of(e.dai, e.weth), vec![3000]);
    assert_eq!(fees_of(e.weth, e.usdc), FEES.to_vec());
    let mut rng = StdRng::seed_from_u64(7);
    let (mut matched, mut beyond) = (0, 0);
    for case in 0..64 {
        let forward = rng.gen_bool(0.5);
        let exact_in = rng.gen_bool(0.5);
        // DAI -> WETH -> USDC or back; the size in the token that is specified.
        let tokens = if forward {
            vec![e.dai, e.weth, e.usdc]
        } else {
            vec![e.usdc, e.weth, e.dai]
        };
        let specified_decimals = if forward == exact_in { 18 } else { 6 };
        let units = size(&mut rng, specified_decimals, 6);
        let amount = if exact_in {
            SwapAmount::ExactIn(units)
        } else {
            SwapAmount::ExactOut(units)
        };
        let all_paths = quoter_paths(
            &tokens,
            &fees_of(tokens[0], tokens[1]),
            &fees_of(tokens[1], tokens[2]),
            exact_in,
        );
        let Ok(route) = v.route_through(&tokens, amount) else {
            beyond += 1;
            // Beyond the liquidity: no fee combination gives that exact output either.
            if !exact_in {
                for path in all_paths {
                    assert!(
                        quoter_path(&e, path, amount).await.is_err(),
                        "case {case}: {amount:?}"
                    );
                }
            }
            continue;
        };
        assert_eq!(route.hops.len(), 2);
        let (path, local) = if exact_in {
            (route.path_forward().unwrap(), route.amount_out())
        } else {
            (route.path_reversed().unwrap(), route.amount_in())
        };
        assert_eq!(
            quoter_path(&e, path, amount).await,
            Ok(local),
            "case {case}: {tokens:?} {amount:?} via fees {:?}",
            route.fees()
        );
        // The chosen tiers are the best: no combination gives more or takes less.
        for path in all_paths {
            if let Ok(other) = quoter_path(&e, path.clone(), amount).await {
                if exact_in {
                    assert!(
                        other <= local,
                        "case {case}: {path} gives {other} > {local}"
                    );
                } else {
                    assert!(
                        other >= local,
                        "case {case}: {path} takes {other} < {local}"
                    );
                }
            }
        }
        matched += 1;
    }
    eprintln!("{matched} two-hop cases equal to QuoterV2, {beyond} beyond the liquidity");
    assert!(
        matched >= 50,
        "only {matched} cases matched ({beyond} beyond liquidity)"
    );
    assert!(beyond > 0, "no size went beyond the liquidity");
}

/// Creates a CELO/WETH pool (fee 3000, 1 WETH = 6000 CELO) with one wide position from dev
/// account 1, which holds CELO: CELO then trades against USDC only through WETH.
async fn create_celo_weth_pool(e: &Env) -> Address {
    let p = &e.provider;
    let m = e.manifest();
    let lp = dev_addresses()[1];
    let celo = m.tokens["CELO"].address;
    let npm = m.uniswap_v3.position_manager;
    let wrap = TransactionRequest::default()
        .with_from(lp)
        .with_to(e.weth)
        .with_value(units(200, 18))
        .with_input(IWeth::depositCall {}.abi_encode());
    assert!(
        p.send_transaction(wrap)
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap()
            .status()
    );
    for token in [celo, e.weth] {
        send(
            p,
            lp,
            token,
            &IErc20::approveCall {
                spender: npm,
                value: U256::MAX,
            },
        )
        .await
        .unwrap();
    }
    let (weth_amt, celo_amt) = (units(100, 18), units(600_000, 18));
    let (t0, t1, a0, a1) = if celo < e.weth {
        (celo, e.weth, celo_amt, weth_amt)
    } else {
        (e.weth, celo, weth_amt, celo_amt)
    };
    let price = sqrt_price_x96(a0, a1).unwrap();
    send(
        p,
        lp,
        npm,
        &INpm::createAndInitializePoolIfNecessaryCall {
            token0: t0,
            token1: t1,
            fee: U24::from(3000u32),
            sqrtPriceX96: price,
        },
    )
    .await
    .unwrap();
    let tick = get_tick_at_sqrt_ratio(U256::from(price)).unwrap();
    let align = |t: i32| t.div_euclid(60) * 60;
    send(
        p,
        lp,
        npm,
        &INpm::mintCall {
            params: INpm::MintParams {
                token0: t0,
                token1: t1,
                fee: U24::from(3000u32),
                tickLower: I24::try_from(align(tick - 20_000)).unwrap(),
                tickUpper: I24::try_from(align(tick + 20_000)).unwrap(),
                amount0Desired: a0,
                amount1Desired: a1,
                amount0Min: U256::ZERO,
                amount1Min: U256::ZERO,
                recipient: lp,
                deadline: U256::from(u64::MAX / 2),
            },
        },
    )
    .await
    .unwrap();
    read(
        p,
        m.uniswap_v3.factory,
        &IFactory::getPoolCall {
            a: celo,
            b: e.weth,
            fee: U24::from(3000u32),
        },
    )
    .await
    .unwrap()
}

async fn trading_venue(e: &Env, account: usize) -> UniswapV3Venue {
    venue(e)
        .await
        .unwrap()
        .with_executor(dev_tracker(&e.env, account).await, ApprovalPolicy::Exact)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pair_without_a_direct_pool_is_quoted_and_swapped_through_weth() {
    let e = start(0, 32).await.unwrap();
    let celo_weth = create_celo_weth_pool(&e).await;
    let celo = e.manifest().tokens["CELO"].address;
    let v = trading_venue(&e, 2).await;
    let me = dev_addresses()[2];
    let balance = async |token: Address| {
        read(&e.provider, token, &IErc20::balanceOfCall { owner: me })
            .await
            .unwrap()
    };
    for (i, (side, amount)) in [(Side::Sell, dec!(1000)), (Side::Buy, dec!(800))]
        .into_iter()
        .enumerate()
    {
        v.refresh().await.unwrap();
        let q = v
            .quote(&QuoteRequest {
                pair: "CELO-USDC".parse().unwrap(),
                side,
                base_amount: amount,
            })
            .await
            .unwrap();
        assert!(q.gas.as_ref().unwrap().gas_units > 110_000);
        // The route is CELO -> WETH -> USDC (no direct pool), and the quoter agrees to the wei.
        let units_base = to_units_exact(amount, 18).unwrap();
        let quote_raw = to_units_exact(q.quote_amount, 6).unwrap();
        let (tokens, spec) = match side {
            Side::Sell => (vec![celo, e.weth, e.usdc], SwapAmount::ExactIn(units_base)),
            Side::Buy => (vec![e.usdc, e.weth, celo], SwapAmount::ExactOut(units_base)),
        };
        let route = v.route_through(&tokens, spec).unwrap();
        assert!(route.pools().contains(&celo_weth));
        let via_quoter = match side {
            Side::Sell => quoter_path(&e, route.path_forward().unwrap(), spec).await,
            Side::Buy => quoter_path(&e, route.path_reversed().unwrap(), spec).await,
        };
        assert_eq!(via_quoter, Ok(quote_raw), "{side:?}");
        // Swap it.
        let (celo_before, usdc_before) = (balance(celo).await, balance(e.usdc).await);
        let bound = match side {
            Side::Sell => q.average_price * dec!(0.99),
            Side::Buy => q.average_price * dec!(1.01),
        };
        let req = OrderRequest {
            client_id: ClientOrderId::new(&format!("path-{i}")).unwrap(),
            pair: "CELO-USDC".parse().unwrap(),
            side,
            order_type: OrderType::Swap,
            amount,
            price: Some(bound),
            time_in_force: TimeInForce::Fok,
            deadline: Some(u64::MAX / 4),
        };
        v.submit(req.clone()).await.unwrap();
        let o = final_order(&v, &req).await;
        assert_eq!(o.state, OrderState::Filled, "{o:?}");
        assert_eq!(o.filled, amount);
        let r = v
            .executor()
            .unwrap()
            .receipts()
            .into_iter()
            .find(|r| r.client_id == req.client_id)
            .unwrap();
        let (celo_after, usdc_after) = (balance(celo).await, balance(e.usdc).await);
        match side {
            Side::Sell => {
                assert_eq!((r.amount_in, r.amount_out), (units_base, quote_raw));
                assert_eq!(celo_after, celo_before - units_base);
                assert_eq!(usdc_after, usdc_before + quote_raw);
            }
            Side::Buy => {
                assert_eq!((r.amount_in, r.amount_out), (quote_raw, units_base));
                assert_eq!(celo_after, celo_before + units_base);
                assert_eq!(usdc_after, usdc_before - quote_raw);
            }
        }
        assert_eq!(o.filled_quote.round_dp(6), q.quote_amount);
    }
}
