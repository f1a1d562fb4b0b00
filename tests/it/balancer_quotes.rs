//! Balancer V2 on a local anvil with the real Vault and pools: the local pool math against the
//! protocol's own query (`BalancerQueries.querySwap`, which runs the Vault's swap and reverts), to
//! the wei or both rejecting, exact in and exact out, both directions of every token pair of the
//! 2- and 3-token weighted pools and the 3-token stable pool, amounts from 1 unit to beyond the
//! pools; state following another account's swap and join from the Vault's logs.

use crate::uniswap_support::{IErc20, TestResult, read, send, units};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::sol_types::SolValue;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sluice::amm::SyncOutcome;
use sluice::amm::balancer::abi::queries::IVault as Q;
use sluice::amm::balancer::abi::vault::IVault as V;
use sluice::amm::balancer::abi::{IBalancerQueries, IBalancerVault};
use sluice::amm::balancer::connector::{BalancerContracts, BalancerVenue};
use sluice::amm::balancer::pool::PoolState;
use sluice::amm::tokens::TokenBook;
use sluice::core::Asset;
use sluice_sim::deploy::LocalEnv;

pub struct BalEnv {
    pub env: LocalEnv,
    pub venue: BalancerVenue,
}

pub async fn start() -> TestResult<BalEnv> {
    let env = LocalEnv::start().await?;
    let m = &env.manifest;
    let contracts = BalancerContracts::from_manifest(m).ok_or("no balancer in the manifest")?;
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(m);
    let venue = BalancerVenue::connect(
        "anvil",
        Asset::new("ETH")?,
        env.anvil.read_provider(),
        contracts,
        book,
    )
    .await?;
    let bal = m.balancer.as_ref().ok_or("no balancer")?;
    for p in &bal.pools {
        for (i, a) in p.tokens.iter().enumerate() {
            for b in &p.tokens[i + 1..] {
                venue.track_pair(*a, *b).await?;
            }
        }
    }
    Ok(BalEnv { env, venue })
}

/// `BalancerQueries.querySwap`: the amount out (GIVEN_IN) or in (GIVEN_OUT), or the revert.
pub async fn query(
    e: &BalEnv,
    pool: B256,
    exact_in: bool,
    token_in: Address,
    token_out: Address,
    amount: U256,
) -> Result<U256, String> {
    let bal = e.env.manifest.balancer.as_ref().ok_or("no balancer")?;
    let me = e.env.manifest.deployer;
    read(
        &e.env.anvil.read_provider(),
        bal.queries,
        &IBalancerQueries::querySwapCall {
            singleSwap: Q::SingleSwap {
                poolId: pool,
                kind: if exact_in { 0 } else { 1 },
                assetIn: token_in,
                assetOut: token_out,
                amount,
                userData: Bytes::new(),
            },
            funds: Q::FundManagement {
                sender: me,
                fromInternalBalance: false,
                recipient: me,
                toInternalBalance: false,
            },
        },
    )
    .await
    .map_err(|e| e.to_string())
}

fn pool(e: &BalEnv, id: B256) -> PoolState {
    e.venue
        .pools()
        .unwrap()
        .pools
        .get(&id)
        .cloned()
        .expect("pool tracked")
}

/// One case: local and chain agree to the wei (true) or both reject (false).
async fn check(
    e: &BalEnv,
    id: B256,
    exact_in: bool,
    t_in: Address,
    t_out: Address,
    amount: U256,
) -> bool {
    let p = pool(e, id);
    let ts = e.venue.pools().unwrap().timestamp;
    let local = if exact_in {
        p.out_given_in(t_in, t_out, amount, ts)
    } else {
        p.in_given_out(t_in, t_out, amount, ts)
    };
    let chain = query(e, id, exact_in, t_in, t_out, amount).await;
    match (local, chain) {
        (Ok(l), Ok(c)) => {
            assert_eq!(l, c, "exact_in {exact_in} {amount} {t_in}->{t_out} in {id}");
            true
        }
        (Err(_), Err(_)) => false,
        (l, c) => {
            panic!("exact_in {exact_in} {amount} {t_in}->{t_out} in {id}: local {l:?} chain {c:?}")
        }
    }
}

/// Random cases over every ordered token pair of the pools of one kind; returns (cases, rejected).
async fn random_cases(e: &BalEnv, stable: bool, per_direction: usize, seed: u64) -> (usize, usize) {
    let m = &e.env.manifest;
    let bal = m.balancer.as_ref().unwrap();
    let decimals = |t: Address| {
        m.tokens
            .values()
            .find(|i| i.address == t)
            .map(|i| i.decimals)
            .unwrap_or(18)
    };
    let mut rng = StdRng::seed_from_u64(seed);
    let (mut cases, mut rejected) = (0, 0);
    for p in bal
        .pools
        .iter()
        .filter(|p| p.amplification.is_some() == stable)
    {
        for &t_in in &p.tokens {
            for &t_out in p.tokens.iter().filter(|t| **t != t_in) {
                for i in 0..per_direction {
                    let exact_in = i % 2 == 0;
                    let d = decimals(if exact_in { t_in } else { t_out });
                    // From 1 raw unit to beyond the pool: whole-token exponents -d .. +8.
                    let max_exp = u64::from(d) + 8;
                    let exp = if i < 2 { 0 } else { rng.gen_range(0..=max_exp) };
                    let amount =
                        U256::from(rng.gen_range(1u64..10)) * U256::from(10u8).pow(U256::from(exp));
                    if !check(e, p.id, exact_in, t_in, t_out, amount).await {
                        rejected += 1;
                    }
                    cases += 1;
                }
            }
        }
    }
    (cases, rejected)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weighted_pools_match_the_vaults_query_to_the_wei() {
    let e = start().await.unwrap();
    // 2-token pool: 2 directions, 3-token pool: 6; 26 cases each.
    let (cases, rejected) = random_cases(&e, false, 26, 21).await;
    println!("weighted: {cases} cases, {rejected} rejected by both");
    assert!(cases >= 200, "{cases}");
    assert!(rejected >= 10, "sizes must reach beyond the 30 % limits");
    assert!(cases - rejected >= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stable_pool_matches_the_vaults_query_to_the_wei() {
    let e = start().await.unwrap();
    let (cases, rejected) = random_cases(&e, true, 36, 22).await;
    println!("stable: {cases} cases, {rejected} rejected by both");
    assert!(cases >= 200, "{cases}");
    assert!(rejected >= 5, "sizes must reach beyond the pool");
    assert!(cases - rejected >= 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_follows_another_accounts_swap_and_join() {
    let e = start().await.unwrap();
    let m = &e.env.manifest;
    let bal = m.balancer.as_ref().unwrap();
    let other = sluice_sim::anvil::dev_addresses()[4];
    let p = e.env.anvil.provider();
    let usdc = m.token_address("USDC").unwrap();
    let dai = m.token_address("DAI").unwrap();
    for t in [usdc, dai] {
        send(
            &p,
            other,
            t,
            &IErc20::approveCall {
                spender: bal.vault,
                value: U256::MAX,
            },
        )
        .await
        .unwrap();
    }
    let funds = V::FundManagement {
        sender: other,
        fromInternalBalance: false,
        recipient: other,
        toInternalBalance: false,
    };
    let stable = bal
        .pools
        .iter()
        .find(|p| p.amplification.is_some())
        .unwrap();
    // A swap in the stable pool and an exact-tokens join (kind 1) of the 3-token weighted pool.
    send(
        &p,
        other,
        bal.vault,
        &IBalancerVault::swapCall {
            singleSwap: V::SingleSwap {
                poolId: stable.id,
                kind: 0,
                assetIn: usdc,
                assetOut: dai,
                amount: units(50_000, 6),
                userData: Bytes::new(),
            },
            funds: funds.clone(),
            limit: U256::ZERO,
            deadline: U256::from(u64::MAX / 2),
        },
    )
    .await
    .unwrap();
    let w3 = bal
        .pools
        .iter()
        .find(|p| p.tokens.len() == 3 && p.amplification.is_none())
        .unwrap();
    let amounts: Vec<U256> = w3
        .tokens
        .iter()
        .map(|t| {
            if *t == usdc {
                units(1_000, 6)
            } else if *t == dai {
                units(700, 18)
            } else {
                U256::ZERO
            }
        })
        .collect();
    send(
        &p,
        other,
        bal.vault,
        &IBalancerVault::joinPoolCall {
            poolId: w3.id,
            sender: other,
            recipient: other,
            request: V::JoinPoolRequest {
                assets: w3.tokens.clone(),
                maxAmountsIn: amounts.clone(),
                userData: (U256::from(1u8), amounts, U256::ZERO)
                    .abi_encode_params()
                    .into(),
                fromInternalBalance: false,
            },
        },
    )
    .await
    .unwrap();
    let outcome = e.venue.refresh().await.unwrap();
    assert!(
        matches!(outcome, SyncOutcome::Advanced { logs: 2, .. }),
        "{outcome:?}"
    );
    // The local balances equal the Vault's, and quotes still match to the wei.
    for id in [stable.id, w3.id] {
        let chain: IBalancerVault::getPoolTokensReturn = read(
            &e.env.anvil.read_provider(),
            bal.vault,
            &IBalancerVault::getPoolTokensCall { poolId: id },
        )
        .await
        .unwrap();
        assert_eq!(pool(&e, id).balances, chain.balances);
    }
    assert!(check(&e, stable.id, true, dai, usdc, units(12_345, 18)).await);
    assert!(check(&e, stable.id, false, usdc, dai, units(777, 18)).await);
    assert!(check(&e, w3.id, true, usdc, dai, units(2_000, 6)).await);
    assert!(check(&e, w3.id, false, dai, usdc, units(99, 6)).await);
}
