//! Mento v2 on a local anvil with the real contracts: the local `getAmountOut` / `getAmountIn`
//! against the Broker's, to the wei, on the constant-product (cUSD/CELO) and constant-sum
//! (cUSD/USDC, 6 decimals) exchanges, both directions, exact in and out, sizes from dust to
//! beyond the buckets; an oracle report resetting the buckets; another account's swap followed
//! from the Broker's `Swap` log; the venue's quote equal to the math.

use crate::mento_support::{TestResult, broker_quote, chain_time, mento, venue};
use crate::uniswap_support::send;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::ext::AnvilApi;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal_macros::dec;
use sluice::amm::SyncOutcome;
use sluice::amm::mento::abi::{IMentoBiPoolManager, IMentoBroker, IMentoSortedOracles};
use sluice::amm::mento::connector::MentoVenue;
use sluice::core::{QuoteRequest, Side, to_units_exact};
use sluice::venue::Venue;
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::LocalEnv;

/// The local result at chain time `now` from the venue's state.
fn local(
    v: &MentoVenue,
    exchange: B256,
    token_in: Address,
    token_out: Address,
    exact_in: bool,
    amount: U256,
    now: u64,
) -> Result<U256, String> {
    let t = v.state().read().map_err(|e| e.to_string())?;
    let x = t
        .set
        .exchanges
        .get(&exchange)
        .ok_or("exchange not tracked")?;
    let oracle = t.set.oracle(x).map_err(|e| e.to_string())?;
    let r = if exact_in {
        x.exchange
            .amount_out(&oracle, now, token_in, token_out, amount)
    } else {
        x.exchange
            .amount_in(&oracle, now, token_in, token_out, amount)
    };
    r.map(|r| if exact_in { r.amount_out } else { r.amount_in })
        .map_err(|e| e.to_string())
}

/// Compares one case; `true` when both sides priced it, `false` when both refused.
#[allow(clippy::too_many_arguments)]
async fn check(
    env: &LocalEnv,
    v: &MentoVenue,
    exchange: B256,
    token_in: Address,
    token_out: Address,
    exact_in: bool,
    amount: U256,
    now: u64,
) -> bool {
    let m = mento(env).unwrap();
    let l = local(v, exchange, token_in, token_out, exact_in, amount, now);
    let r = broker_quote(env, &m, exchange, token_in, token_out, exact_in, amount).await;
    match (l, r) {
        (Ok(l), Ok(r)) => {
            assert_eq!(
                l, r,
                "exact_in {exact_in} {amount} {token_in} -> {token_out}"
            );
            true
        }
        (Err(_), Err(_)) => false,
        (l, r) => {
            panic!("exact_in {exact_in} {amount} {token_in}->{token_out}: local {l:?} broker {r:?}")
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_math_matches_the_broker_to_the_wei() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let m = mento(&env)?;
    let v = venue(&env, None).await?;
    v.track_exchanges(m.cusd, m.celo).await?;
    v.track_exchanges(m.cusd, m.usdc).await?;
    let now = chain_time(&env).await?;
    // (exchange, token in, token out, decimals of in, decimals of out)
    let legs = [
        (m.cp, m.cusd, m.celo, 18u32, 18u32),
        (m.cp, m.celo, m.cusd, 18, 18),
        (m.cs, m.cusd, m.usdc, 18, 6),
        (m.cs, m.usdc, m.cusd, 6, 18),
    ];
    let mut rng = StdRng::seed_from_u64(13);
    let (mut cases, mut both_refused) = (0, 0);
    let mut exps = std::collections::BTreeSet::new();
    for (exchange, tin, tout, din, dout) in legs {
        for i in 0..60 {
            let exact_in = i % 2 == 0;
            let decimals = if exact_in { din } else { dout };
            // From one raw unit to ten times the 10 M buckets.
            let max_exp = decimals + 9;
            let exp = if i < 2 { 0 } else { rng.gen_range(0..=max_exp) };
            exps.insert(exp);
            let amount =
                U256::from(rng.gen_range(1u64..10)) * U256::from(10u8).pow(U256::from(exp));
            if !check(&env, &v, exchange, tin, tout, exact_in, amount, now).await {
                both_refused += 1;
            }
            cases += 1;
        }
    }
    println!("{cases} cases, {both_refused} refused by both, exponents {exps:?}");
    assert!(cases >= 200);
    assert!(
        exps.len() >= 10,
        "sizes span at least 9 orders of magnitude"
    );
    assert!(both_refused >= 3, "sizes must reach beyond the buckets");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oracle_report_resets_the_buckets_and_a_swap_moves_them() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let m = mento(&env)?;
    let v = venue(&env, None).await?;
    v.track_exchanges(m.cusd, m.celo).await?;
    let p = env.anvil.provider();
    let oracle = dev_addresses()[0];
    // A new median of 0.60 cUSD per CELO, reported after the reset frequency has passed.
    p.anvil_increase_time(301).await?;
    send(
        &p,
        oracle,
        m.sorted_oracles,
        &IMentoSortedOracles::reportCall {
            token: m.cusd,
            value: U256::from(6u8) * U256::from(10u8).pow(U256::from(23u8)),
            lesserKey: Address::ZERO,
            greaterKey: Address::ZERO,
        },
    )
    .await?;
    let outcome = v.refresh().await?;
    assert!(
        matches!(outcome, SyncOutcome::Reloaded { .. }),
        "{outcome:?}"
    );
    let now = chain_time(&env).await?;
    let one = U256::from(10u64).pow(U256::from(18u8));
    {
        let t = v.state().read().map_err(|e| e.to_string())?;
        let x = t.set.exchanges.get(&m.cp).ok_or("cp")?;
        let r = x
            .exchange
            .amount_out(&t.set.oracle(x)?, now, m.celo, m.cusd, one)
            .map_err(|e| e.to_string())?;
        let (b0, b1) = r
            .buckets_reset
            .ok_or("the buckets must reset from the new median")?;
        assert_eq!(b0, U256::from(10_000_000u64) * one);
        assert_eq!(b1, b0 * U256::from(10u8) / U256::from(6u8));
    }
    for exact_in in [true, false] {
        for tin in [m.cusd, m.celo] {
            let tout = if tin == m.cusd { m.celo } else { m.cusd };
            assert!(
                check(
                    &env,
                    &v,
                    m.cp,
                    tin,
                    tout,
                    exact_in,
                    one * U256::from(1_234u16),
                    now
                )
                .await
            );
        }
    }
    // Another account's swap resets the buckets on chain and moves them: followed from the logs.
    let trader = dev_addresses()[4];
    send(
        &p,
        trader,
        m.celo,
        &crate::uniswap_support::IErc20::approveCall {
            spender: m.broker,
            value: U256::MAX,
        },
    )
    .await?;
    send(
        &p,
        trader,
        m.broker,
        &IMentoBroker::swapInCall {
            exchangeProvider: m.bpm,
            exchangeId: m.cp,
            tokenIn: m.celo,
            tokenOut: m.cusd,
            amountIn: one * U256::from(5_000u16),
            amountOutMin: U256::ZERO,
        },
    )
    .await?;
    let outcome = v.refresh().await?;
    assert!(
        matches!(
            outcome,
            SyncOutcome::Advanced { .. } | SyncOutcome::Reloaded { .. }
        ),
        "{outcome:?}"
    );
    let chain = crate::uniswap_support::read(
        &env.anvil.read_provider(),
        m.bpm,
        &IMentoBiPoolManager::getPoolExchangeCall { exchangeId: m.cp },
    )
    .await?;
    let t = v.state().read().map_err(|e| e.to_string())?;
    let x = t.set.exchanges.get(&m.cp).ok_or("cp")?;
    assert_eq!(
        (x.exchange.bucket0, x.exchange.bucket1),
        (chain.bucket0, chain.bucket1)
    );
    assert_eq!(
        x.exchange.last_bucket_update,
        u64::try_from(chain.lastBucketUpdate)?
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_venue_quote_is_the_math() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let m = mento(&env)?;
    let v = venue(&env, None).await?;
    for (pair, side, amount) in [
        ("CELO-cUSD", Side::Sell, dec!(1000)),
        ("CELO-cUSD", Side::Buy, dec!(250.5)),
        ("USDC-cUSD", Side::Sell, dec!(12345.678901)),
        ("cUSD-USDC", Side::Buy, dec!(99.5)),
    ] {
        let request = QuoteRequest {
            pair: pair.parse()?,
            side,
            base_amount: amount,
        };
        let q = v.quote(&request).await?;
        let base = request.pair.base.as_str();
        let quote = request.pair.quote.as_str();
        let bt = v.resolve_token(base).await?;
        let qt = v.resolve_token(quote).await?;
        let (b, bd) = (bt.erc20().ok_or("base address")?, bt.decimals);
        let (qa, qd) = (qt.erc20().ok_or("quote address")?, qt.decimals);
        let exchange = if b == m.usdc || qa == m.usdc {
            m.cs
        } else {
            m.cp
        };
        let units = to_units_exact(amount, bd)?;
        let (exact_in, tin, tout) = match side {
            Side::Sell => (true, b, qa),
            Side::Buy => (false, qa, b),
        };
        let chain = broker_quote(&env, &m, exchange, tin, tout, exact_in, units).await?;
        let quoted = to_units_exact(q.quote_amount, qd)?;
        assert_eq!(quoted, chain, "{pair} {side:?} {amount}");
    }
    let bad = QuoteRequest {
        pair: "CELO-USDC".parse()?,
        side: Side::Sell,
        base_amount: dec!(1),
    };
    assert!(
        v.quote(&bad).await.is_err(),
        "no exchange trades CELO against USDC"
    );
    Ok(())
}
