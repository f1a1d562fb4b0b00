//! Which pair trades a market when several list its two assets, on the local Terra with a second
//! factory (as Astroport's beside Terraswap's on `terra`) listing a second LUNA/axlUSDC pair: the
//! deeper pool wins whichever factory lists it, and a pair named in the table wins over both.

use rust_decimal_macros::dec;
use sluice::amm::terra_swap::msg::AssetInfo;
use sluice::chain::cosmos::Coin;
use sluice::core::{OrderState, Pair, QuoteRequest, Side};
use sluice_sim::cosmos::{Flavor, LocalTerra};

use super::terra_swap_swaps::{final_order, order, trader_with};

const UNIT: u128 = 1_000_000;

/// A second LUNA/axlUSDC pair holding `luna` / `usdc` whole tokens, listed by a new factory;
/// returns (pair, factory).
fn second_pair(t: &LocalTerra, label: &str, luna: u128, usdc: u128) -> (String, String) {
    let denom = |s: &str| t.spec.token(s).unwrap().denom.clone().unwrap();
    let (luna_d, usdc_d) = (denom("LUNA"), denom("axlUSDC"));
    let p = t.contracts.add_pair(
        &format!("pair/{label}"),
        [AssetInfo::native(&luna_d), AssetInfo::native(&usdc_d)],
        [6, 6],
    );
    let owner = t.accounts[0].address.clone();
    let f = t.contracts.add_factory(
        &format!("{label}/factory"),
        &owner,
        std::slice::from_ref(&p.contract_addr),
    );
    t.node.chain().fund(
        &p.contract_addr,
        &[
            Coin::new(luna * UNIT, luna_d),
            Coin::new(usdc * UNIT, usdc_d),
        ],
    );
    (p.contract_addr, f)
}

async fn traded_pair(v: &dyn sluice::venue::Venue, pair: &Pair) -> String {
    v.start(std::slice::from_ref(pair)).await.unwrap();
    let m = v.markets().await.unwrap();
    m.iter()
        .find(|r| &r.pair == pair)
        .unwrap()
        .venue_symbol
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deepest_pool_trades_and_a_named_pair_wins() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let seeded = t.addresses["pair_LUNA_axlUSDC"].clone();
    let terraswap = t.addresses["terraswap_factory"].clone();
    // deeper than the seeded 2 000 000 / 1 000 000, at the same price
    let (deep, deep_factory) = second_pair(&t, "astro-deep", 8_000_000, 4_000_000);
    // shallower
    let (shallow, shallow_factory) = second_pair(&t, "astro-shallow", 20_000, 10_000);
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();
    let home = tempfile::tempdir().unwrap();

    // Both orders of the factories choose the deep pool; a shallow one never wins.
    for (i, factories) in [
        [&terraswap, &deep_factory, &shallow_factory],
        [&shallow_factory, &deep_factory, &terraswap],
    ]
    .iter()
    .enumerate()
    {
        let list = factories
            .iter()
            .map(|f| format!("\"{f}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let sub = home.path().join(format!("h{i}"));
        let v = trader_with(&t, &sub, 1, &format!("factories = [{list}]\n")).await;
        assert_eq!(traded_pair(v.as_ref(), &pair).await, deep, "{factories:?}");
    }
    // Only the shallow factory and Terraswap's: the seeded pool is the deeper one.
    let v = trader_with(
        &t,
        &home.path().join("h2"),
        1,
        &format!("factories = [\"{shallow_factory}\", \"{terraswap}\"]\n"),
    )
    .await;
    assert_eq!(traded_pair(v.as_ref(), &pair).await, seeded);

    // A named pair wins over the deeper ones, and the venue trades on it.
    let v = trader_with(
        &t,
        &home.path().join("h3"),
        1,
        &format!("factories = [\"{deep_factory}\", \"{terraswap}\"]\npair = \"{shallow}\"\n"),
    )
    .await;
    assert_eq!(traded_pair(v.as_ref(), &pair).await, shallow);
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(100),
        })
        .await
        .unwrap();
    let o = order(&pair, Side::Sell, dec!(100), q.average_price * dec!(0.999));
    let luna = t.spec.token("LUNA").unwrap().denom.clone().unwrap();
    let before = t.node.chain().balance(&shallow, &luna);
    v.submit(o.clone()).await.unwrap();
    let done = final_order(v.as_ref(), &o).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    assert_eq!(
        t.node.chain().balance(&shallow, &luna) - before,
        100 * UNIT,
        "the swap went to the named pair"
    );
}
