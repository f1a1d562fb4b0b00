//! Astroport pairs on the local Terra, which runs the published `astroport-pair` 1.3.3 contract:
//! the connector's Astroport math (`math::astroport`, the fee from the factory's `fee_info`)
//! against the contract's own `simulation` and `reverse_simulation` queries in 240 random cases
//! (a native and a CW20 pair, both directions, pools moved between rounds) — equal to the unit,
//! or both refused; the kind of a pair comes from the factory that lists it; swaps through the
//! registry fill at their quote, and a bound the pool cannot meet is a `max_spread` refusal with
//! nothing broadcast.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::terra_swap::client::PairClient;
use sluice::amm::terra_swap::kind::PairKind;
use sluice::amm::terra_swap::msg::{Asset, PairType};
use sluice::chain::cosmos::lcd::{LcdClient, LcdConfig};
use sluice::core::{OrderState, Pair, QuoteRequest, Side};
use sluice::venue::VenueError;
use sluice_sim::cosmos::{Flavor, LocalTerra};

use crate::terra_swap_quotes::{Rng, donate};
use crate::terra_swap_swaps::{final_order, order, trader_with};

/// 1 to ~10^10 micro units, across 10 orders of magnitude; now and then zero (refused by both).
fn amount(rng: &mut Rng) -> u128 {
    if rng.next().is_multiple_of(40) {
        0
    } else {
        rng.amount()
    }
}

async fn client(t: &LocalTerra) -> PairClient {
    let lcd = LcdClient::connect(t.lcd_url(), &t.chain_id, LcdConfig::default())
        .await
        .unwrap();
    PairClient::new(lcd)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn astroport_math_equals_the_published_pair_contracts_simulations() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let client = client(&t).await;
    let factory = &t.addresses["astroport_factory"];
    assert_eq!(t.astroport_pairs.len(), 2);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let (mut equal, mut both_refused, mut cases) = (0, 0, 0);
    for round in 0..4 {
        for pair in &t.astroport_pairs {
            // the kind as the connector reads it: the pair type, the factory's fee
            let listed = client.find_pair(factory, &pair.asset_infos).await.unwrap();
            assert_eq!(listed.pair_type, Some(PairType::Xyk {}));
            let fees = client.fee_info(factory, &PairType::Xyk {}).await.unwrap();
            let kind = PairKind::of(&listed, Some(fees.total_fee_bps)).unwrap();
            assert!(matches!(kind, PairKind::AstroportXyk { .. }));
            let pool = client.pool(&pair.contract_addr).await.unwrap();
            for _ in 0..30 {
                cases += 1;
                let dir = (rng.next() % 2) as usize;
                let (offer, ask) = (&pool.assets[dir], &pool.assets[1 - dir]);
                let amount = if rng.next().is_multiple_of(10) {
                    ask.amount + amount(&mut rng)
                } else {
                    amount(&mut rng)
                };
                let simulation = rng.next().is_multiple_of(2);
                let (local, remote) = if simulation {
                    let a = Asset {
                        info: offer.info.clone(),
                        amount,
                    };
                    let l = kind
                        .simulate(offer.amount, ask.amount, amount)
                        .map(|s| (s.return_amount, s.spread_amount, s.commission_amount));
                    let r = client
                        .simulation(&pair.contract_addr, &a)
                        .await
                        .map(|s| (s.return_amount, s.spread_amount, s.commission_amount));
                    (l, r)
                } else {
                    let a = Asset {
                        info: ask.info.clone(),
                        amount,
                    };
                    let l = kind
                        .reverse_simulate(offer.amount, ask.amount, amount)
                        .map(|s| (s.offer_amount, s.spread_amount, s.commission_amount));
                    let r = client
                        .reverse_simulation(&pair.contract_addr, &a)
                        .await
                        .map(|s| (s.offer_amount, s.spread_amount, s.commission_amount));
                    (l, r)
                };
                match (local, remote) {
                    (Ok(l), Ok(r)) => {
                        assert_eq!(
                            l,
                            r,
                            "{} of {amount} on {} (round {round})",
                            if simulation { "simulation" } else { "reverse" },
                            pair.contract_addr
                        );
                        equal += 1;
                    }
                    (Err(_), Err(_)) => both_refused += 1,
                    (l, r) => panic!(
                        "{} of {amount} on {}: local {l:?}, contract {r:?}",
                        if simulation { "simulation" } else { "reverse" },
                        pair.contract_addr
                    ),
                }
            }
        }
        // move both pools: a bank donation to each pair's native side
        for pair in &t.astroport_pairs {
            let native = pair
                .asset_infos
                .iter()
                .filter(|i| i.is_native())
                .nth(round % 2)
                .unwrap_or(&pair.asset_infos[1]);
            donate(
                &t,
                &pair.contract_addr,
                native.key(),
                3_333_333_333 * (round as u128 + 1),
            );
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(cases, 240);
    assert_eq!(equal + both_refused, cases);
    assert!(equal >= 200, "{equal} equal, {both_refused} both refused");
    assert!(both_refused > 0, "no case reached a refusal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn astroport_swaps_fill_at_their_quote_and_a_breach_sends_nothing() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let home = tempfile::tempdir().unwrap();
    // the Astroport factory alone: the pairs are found there, so they are Astroport's
    let extra = format!("factory = \"{}\"\n", t.addresses["astroport_factory"]);
    let v = trader_with(&t, home.path(), 3, &extra).await;
    let client = client(&t).await;
    let me = t.accounts[3].address.clone();
    let tst = t.addresses["token_TST"].clone();

    for (pair, amount, contract) in [
        (
            "LUNA-axlUSDC",
            dec!(321.123456),
            "astroport_pair_LUNA_axlUSDC",
        ),
        ("TST-LUNA", dec!(4567.8), "astroport_pair_TST_LUNA"),
    ] {
        let pair: Pair = pair.parse().unwrap();
        let contract = t.addresses[contract].clone();
        v.start(std::slice::from_ref(&pair)).await.unwrap();
        let markets = v.markets().await.unwrap();
        let m = markets.iter().find(|m| m.pair == pair).unwrap();
        assert_eq!(m.venue_symbol, contract, "the Astroport pair trades {pair}");
        assert_eq!(m.taker_fee, dec!(0.003));
        let q = v
            .quote(&QuoteRequest {
                pair: pair.clone(),
                side: Side::Sell,
                base_amount: amount,
            })
            .await
            .unwrap();
        // the quote is the contract's own simulation
        let pool = client.pool(&contract).await.unwrap();
        let base_token = t.spec.token(pair.base.as_str()).unwrap();
        let base_key = base_token
            .denom
            .clone()
            .or(base_token.address.clone())
            .unwrap();
        let base_idx = pool
            .assets
            .iter()
            .position(|a| a.info.key() == base_key)
            .unwrap();
        let offer = Asset {
            info: pool.assets[base_idx].info.clone(),
            amount: (amount * dec!(1000000)).try_into().unwrap(),
        };
        let sim = client.simulation(&contract, &offer).await.unwrap();
        assert_eq!(
            q.quote_amount * dec!(1000000),
            Decimal::from(sim.return_amount),
            "{pair}: quote = the contract's simulation"
        );

        let (bank_before, tst_before) = (
            t.node.chain().bank.get(&me).cloned().unwrap_or_default(),
            t.contracts.token_balance(&tst, &me),
        );
        let o = order(&pair, Side::Sell, amount, q.average_price * dec!(0.995));
        v.submit(o.clone()).await.unwrap();
        let done = final_order(v.as_ref(), &o).await;
        assert_eq!(done.state, OrderState::Filled, "{pair}: {:?}", done.reason);
        let fills = v.order_fills(&o).await.unwrap();
        assert_eq!(fills.len(), 1);
        assert_eq!(fills[0].amount, amount);
        assert_eq!(
            (fills[0].price * fills[0].amount).round_dp(6),
            q.quote_amount,
            "{pair}: the swap equals its quote"
        );
        // what the account received is the quote (the ask side is native in both pairs)
        let ask_denom = pool.assets[1 - base_idx].info.key().to_string();
        let got = t.node.chain().balance(&me, &ask_denom)
            - bank_before.get(&ask_denom).copied().unwrap_or(0);
        if pair.base.as_str() == "TST" {
            assert_eq!(
                tst_before - t.contracts.token_balance(&tst, &me),
                4_567_800_000
            );
            // LUNA received, less the transaction fee paid in LUNA
            assert!(Decimal::from(got) <= q.quote_amount * dec!(1000000));
        } else {
            assert_eq!(Decimal::from(got), q.quote_amount * dec!(1000000));
        }
    }

    // A bound the pool cannot meet: refused as a max_spread breach, nothing broadcast.
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(1000),
        })
        .await
        .unwrap();
    let sent_before = t.node.chain().broadcast_log.len();
    let o = order(&pair, Side::Sell, dec!(1000), q.average_price * dec!(1.01));
    match v.submit(o).await {
        Err(VenueError::Rejected { code, reason }) => {
            assert_eq!(code.as_deref(), Some("max_spread"), "{reason}");
        }
        other => panic!("expected a max_spread refusal, got {other:?}"),
    }
    assert_eq!(t.node.chain().broadcast_log.len(), sent_before);
}
