//! The local pair math (`sluice::amm::terra_swap::math`) against the pair contract's own
//! `simulation` and `reverse_simulation` queries on the local Terra: 240 random cases (amounts
//! across 10 orders of magnitude, both directions, both forms, a native pair and a CW20 pair,
//! pools moved by swaps between rounds) are equal to the unit, or both are refused.

use std::time::Duration;

use sluice::amm::terra_swap::client::PairClient;
use sluice::amm::terra_swap::math::{self, Dec18};
use sluice::amm::terra_swap::msg::Asset;
use sluice::chain::cosmos::lcd::{LcdClient, LcdConfig};
use sluice_sim::cosmos::{Flavor, LocalTerra};

/// A small deterministic generator (xorshift64*), so a failure replays.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// 1..10 × 10^k for k in 0..=9: 1 to ~10^10 micro units.
    pub(crate) fn amount(&mut self) -> u128 {
        let k = (self.next() % 10) as u32;
        let mantissa = 1 + self.next() % 9_999;
        u128::from(mantissa) * 10u128.pow(k) / 1000 + 1
    }
}

/// Moves a pool: a bank donation of `amount` `denom` from dev account 1 to `pair` (the pair reads
/// its balance).
pub(crate) fn donate(t: &LocalTerra, pair: &str, denom: &str, amount: u128) {
    let donor = t.accounts[1].address.clone();
    let mut chain = t.node.chain();
    let coins = [sluice::chain::cosmos::Coin::new(amount, denom)];
    sluice_sim::cosmos::chain::transfer(&mut chain.bank, &donor, pair, &coins).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_math_equals_the_pair_contracts_simulations() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let lcd = LcdClient::connect(t.lcd_url(), &t.chain_id, LcdConfig::default())
        .await
        .unwrap();
    let client = PairClient::new(lcd);
    let c = Dec18::commission();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let (mut equal, mut both_refused, mut cases) = (0, 0, 0);
    for round in 0..4 {
        for pair in &t.pairs {
            let pool = client.pool(&pair.contract_addr).await.unwrap();
            for _ in 0..30 {
                cases += 1;
                let dir = (rng.next() % 2) as usize;
                let (offer, ask) = (&pool.assets[dir], &pool.assets[1 - dir]);
                // now and then an amount beyond the pool, which the reverse form must refuse
                let amount = if rng.next().is_multiple_of(10) {
                    ask.amount + rng.amount()
                } else {
                    rng.amount()
                };
                if rng.next().is_multiple_of(2) {
                    let a = Asset {
                        info: offer.info.clone(),
                        amount,
                    };
                    let local = math::simulate(offer.amount, ask.amount, amount, c);
                    let remote = client.simulation(&pair.contract_addr, &a).await;
                    match (local, remote) {
                        (Ok(l), Ok(r)) => {
                            assert_eq!(
                                (l.return_amount, l.spread_amount, l.commission_amount),
                                (r.return_amount, r.spread_amount, r.commission_amount),
                                "simulation of {amount} {} on {} (round {round})",
                                offer.info,
                                pair.contract_addr
                            );
                            equal += 1;
                        }
                        (Err(_), Err(_)) => both_refused += 1,
                        (l, r) => panic!("simulation of {amount}: local {l:?}, contract {r:?}"),
                    }
                } else {
                    let a = Asset {
                        info: ask.info.clone(),
                        amount,
                    };
                    let local = math::reverse_simulate(offer.amount, ask.amount, amount, c);
                    let remote = client.reverse_simulation(&pair.contract_addr, &a).await;
                    match (local, remote) {
                        (Ok(l), Ok(r)) => {
                            assert_eq!(
                                (l.offer_amount, l.spread_amount, l.commission_amount),
                                (r.offer_amount, r.spread_amount, r.commission_amount),
                                "reverse simulation of {amount} {} on {} (round {round})",
                                ask.info,
                                pair.contract_addr
                            );
                            equal += 1;
                        }
                        (Err(_), Err(_)) => both_refused += 1,
                        (l, r) => {
                            panic!("reverse simulation of {amount}: local {l:?}, contract {r:?}")
                        }
                    }
                }
            }
        }
        // Move the pools: a dev account sells into the native pair's first asset by a bank
        // donation (the pair reads its balance), so the next round sees other reserves.
        let pair = &t.pairs[0];
        let denom = pair.asset_infos[round % 2].key();
        donate(
            &t,
            &pair.contract_addr,
            denom,
            7_777_777_777 * (round as u128 + 1),
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cases, 240);
    assert_eq!(equal + both_refused, cases);
    assert!(equal >= 200, "{equal} equal, {both_refused} both refused");
    assert!(both_refused > 0, "no case reached a refusal");
}
