//! The configuration and the pure decision: opening on a wide basis net of fees and expected
//! funding, the reverse carry only when allowed, closing on convergence, the position limit and the
//! orders on each market's grid.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::core::{
    Asset, ClientOrderId, FundingInfo, MarketRules, Pair, PositionMode, PositionSide, Quote,
    RuleViolation, Side,
};
use crate::strategy::arb::FailurePolicy;

const CONFIG: &str = r#"
order_size = "1.00004"
open_threshold_pct = "0.5"
close_threshold_pct = "0.2"
funding_horizon_hours = 24
max_position = "2"
on_leg_failure = "unwind"
max_failures = 3

[spot]
venue = "binance"
pair = "ETH-USDT"

[perp]
venue = "binance_perpetual"
pair = "ETH-USDT"
slippage_pct = "0.1"
"#;

fn cfg() -> SpotPerpConfig {
    CONFIG.parse().unwrap()
}

fn rules(step: Decimal, tick: Decimal, fee: Decimal) -> MarketRules {
    MarketRules {
        pair: "ETH-USDT".parse().unwrap(),
        venue_symbol: "ETHUSDT".into(),
        tick_size: tick,
        step_size: step,
        min_size: step,
        max_size: None,
        min_notional: dec!(5),
        maker_fee: fee,
        taker_fee: fee,
    }
}

fn eval(cfg: SpotPerpConfig) -> SpotPerpEvaluator {
    SpotPerpEvaluator::new(
        cfg,
        rules(dec!(0.0001), dec!(0.01), dec!(0.001)),
        rules(dec!(0.001), dec!(0.1), dec!(0.0004)),
    )
    .unwrap()
}

/// The quote of 1 base unit at `price` with a fee `fee` (fraction) taken in the quote asset.
fn quote(venue: &str, side: Side, price: Decimal, fee: Decimal) -> Quote {
    let gross = price;
    let fee_amount = gross * fee;
    let quote_amount = match side {
        Side::Buy => gross + fee_amount,
        Side::Sell => gross - fee_amount,
    };
    Quote {
        venue: venue.into(),
        pair: "ETH-USDT".parse().unwrap(),
        side,
        base_amount: Decimal::ONE,
        quote_amount,
        average_price: quote_amount,
        worst_price: price,
        fee_asset: Asset::new("USDT").unwrap(),
        fee_amount,
        gas: None,
    }
}

struct Book {
    spot: [Quote; 2],
    perp: [Quote; 2],
}

/// Spot at bid/ask `spot`, perpetual at `perp` (bid, ask).
fn book(spot: (Decimal, Decimal), perp: (Decimal, Decimal)) -> Book {
    Book {
        spot: [
            quote("binance", Side::Buy, spot.1, dec!(0.001)),
            quote("binance", Side::Sell, spot.0, dec!(0.001)),
        ],
        perp: [
            quote("binance_perpetual", Side::Buy, perp.1, dec!(0.0004)),
            quote("binance_perpetual", Side::Sell, perp.0, dec!(0.0004)),
        ],
    }
}

impl Book {
    fn quotes(&self) -> LegQuotes<'_> {
        LegQuotes {
            spot_buy: Some(&self.spot[0]),
            spot_sell: Some(&self.spot[1]),
            perp_buy: Some(&self.perp[0]),
            perp_sell: Some(&self.perp[1]),
        }
    }
}

fn funding(rate: Decimal, next_ms: u64) -> FundingInfo {
    FundingInfo {
        pair: "ETH-USDT".parse().unwrap(),
        mark_price: dec!(3030),
        index_price: Some(dec!(3000)),
        funding_rate: rate,
        next_funding_time_ms: next_ms,
    }
}

const HOUR: u64 = 3_600_000;

#[test]
fn config_parses_and_names_the_bad_key() {
    let c = cfg();
    assert_eq!(c.on_leg_failure, FailurePolicy::Unwind);
    assert_eq!(c.funding_interval_hours, 8);
    assert!(!c.allow_reverse);
    let broken = CONFIG.replace(
        "close_threshold_pct = \"0.2\"",
        "close_threshold_pct = \"0.6\"",
    );
    let e = broken.parse::<SpotPerpConfig>().unwrap_err();
    assert_eq!(e.key, "close_threshold_pct", "{e}");
    let e = CONFIG
        .replace(
            "pair = \"ETH-USDT\"\nslippage",
            "pair = \"BTC-USDT\"\nslippage",
        )
        .parse::<SpotPerpConfig>()
        .unwrap_err();
    assert_eq!(e.key, "perp.pair", "{e}");
    let e = CONFIG
        .replace("max_position = \"2\"", "max_position = \"0.5\"")
        .parse::<SpotPerpConfig>()
        .unwrap_err();
    assert_eq!(e.key, "max_position");
    let e = format!("{CONFIG}\nthreshold = 1\n")
        .parse::<SpotPerpConfig>()
        .unwrap_err();
    assert!(e.to_string().contains("threshold"), "{e}");
}

#[test]
fn the_strategy_key_selects_and_an_unknown_value_is_refused_by_name() {
    let mut t: toml::Table = "order_size = 1".parse().unwrap();
    assert_eq!(StrategyKind::take_from(&mut t).unwrap(), StrategyKind::Arb);
    let mut t: toml::Table = "strategy = \"spot_perp\"\nx = 1".parse().unwrap();
    assert_eq!(
        StrategyKind::take_from(&mut t).unwrap(),
        StrategyKind::SpotPerp
    );
    assert!(!t.contains_key("strategy") && t.contains_key("x"));
    let mut t: toml::Table = "strategy = \"arb\"".parse().unwrap();
    assert_eq!(StrategyKind::take_from(&mut t).unwrap(), StrategyKind::Arb);
    for bad in ["strategy = \"spot-perp\"", "strategy = 3"] {
        let mut t: toml::Table = bad.parse().unwrap();
        let e = StrategyKind::take_from(&mut t).unwrap_err();
        assert_eq!(e.key, "strategy");
        assert!(e.to_string().contains("spot_perp"), "{e}");
    }
}

#[test]
fn the_size_is_moved_down_onto_both_grids() {
    let e = eval(cfg());
    // 1.00004 -> spot step 0.0001 -> 1.0000 -> perp step 0.001 -> 1.000
    assert_eq!(e.size(), dec!(1));
    let small = CONFIG.replace("order_size = \"1.00004\"", "order_size = \"0.0005\"");
    let err = SpotPerpEvaluator::new(
        small.parse().unwrap(),
        rules(dec!(0.0001), dec!(0.01), dec!(0.001)),
        rules(dec!(0.001), dec!(0.1), dec!(0.0004)),
    )
    .unwrap_err();
    assert!(matches!(err, SizeError::TooSmall { ref venue, .. } if venue == "binance_perpetual"));
    let err = SpotPerpEvaluator::new(
        cfg(),
        rules(dec!(0.3), dec!(0.01), dec!(0.001)),
        rules(dec!(0.7), dec!(0.1), dec!(0.0004)),
    )
    .unwrap_err();
    assert!(matches!(err, SizeError::NoCommonStep { .. }), "{err}");
}

#[test]
fn a_wide_basis_net_of_both_legs_fees_opens_the_forward_carry() {
    let e = eval(cfg());
    let b = book((dec!(2999), dec!(3000)), (dec!(3030), dec!(3030.1)));
    let SpotPerpDecision::Open { edge } = e.decide(&b.quotes(), None, 0, Holding::Flat) else {
        panic!("expected an open");
    };
    assert_eq!(edge.carry, Carry::Forward);
    assert_eq!(edge.pay, dec!(3003));
    assert_eq!(edge.receive, dec!(3028.788));
    // closing later: 0.1 % of 3000 on spot, 0.04 % of 3030 on the perpetual
    assert_eq!(edge.close_fees, dec!(4.212));
    assert_eq!(edge.net, dec!(21.576));
    assert_eq!(edge.net_pct, dec!(0.7192));
    // the same basis less 20 USDT no longer pays the fees and the threshold
    let b = book((dec!(2999), dec!(3000)), (dec!(3010), dec!(3010.1)));
    let d = e.decide(&b.quotes(), None, 0, Holding::Flat);
    let SpotPerpDecision::Hold { edges, basis } = d else {
        panic!("expected a hold: {d:?}");
    };
    assert_eq!(edges[0].net, dec!(1.592));
    assert_eq!(basis, None);
}

#[test]
fn expected_funding_until_the_horizon_counts_into_the_open() {
    assert_eq!(settlements_within(HOUR, 0, 24 * HOUR, 8 * HOUR), 3);
    assert_eq!(settlements_within(25 * HOUR, 0, 24 * HOUR, 8 * HOUR), 0);
    assert_eq!(settlements_within(HOUR, 0, 0, 8 * HOUR), 0);
    assert_eq!(settlements_within(24 * HOUR, 0, 24 * HOUR, 8 * HOUR), 1);
    let e = eval(cfg());
    // net 1.592 without funding (0.053 %); shorts receive 0.4 % of 3030 three times: 36.36
    let b = book((dec!(2999), dec!(3000)), (dec!(3010), dec!(3010.1)));
    let f = funding(dec!(0.004), HOUR);
    let SpotPerpDecision::Open { edge } = e.decide(&b.quotes(), Some(&f), 0, Holding::Flat) else {
        panic!("funding should make it pay");
    };
    assert_eq!(edge.expected_funding, dec!(36.36));
    assert_eq!(edge.net, dec!(37.952));
    // a negative rate: the short pays, and a wide basis is eaten by it
    let b = book((dec!(2999), dec!(3000)), (dec!(3030), dec!(3030.1)));
    let f = funding(dec!(-0.004), HOUR);
    let d = e.decide(&b.quotes(), Some(&f), 0, Holding::Flat);
    let SpotPerpDecision::Hold { edges, .. } = d else {
        panic!("paying funding should hold: {d:?}");
    };
    assert_eq!(edges[0].expected_funding, dec!(-36.36));
    assert!(edges[0].net < Decimal::ZERO);
}

#[test]
fn the_reverse_carry_opens_only_when_the_config_allows_it() {
    let b = book((dec!(3030), dec!(3030.1)), (dec!(2999), dec!(3000)));
    let d = eval(cfg()).decide(&b.quotes(), None, 0, Holding::Flat);
    let SpotPerpDecision::Hold { edges, .. } = d else {
        panic!("no reverse without allow_reverse: {d:?}");
    };
    assert_eq!(edges.len(), 1);
    let mut c = cfg();
    c.allow_reverse = true;
    let SpotPerpDecision::Open { edge } = eval(c).decide(&b.quotes(), None, 0, Holding::Flat)
    else {
        panic!("reverse expected");
    };
    assert_eq!(edge.carry, Carry::Reverse);
    // buy the perpetual at 3000 + 0.04 %, sell spot at 3030 - 0.1 %
    assert_eq!((edge.pay, edge.receive), (dec!(3001.2), dec!(3026.97)));
}

#[test]
fn a_held_position_closes_when_the_basis_converges() {
    let e = eval(cfg());
    let held = Holding::Open {
        carry: Carry::Forward,
        size: dec!(1),
    };
    let b = book((dec!(3000), dec!(3000.1)), (dec!(3000.9), dec!(3001)));
    let SpotPerpDecision::Close { basis } = e.decide(&b.quotes(), None, 0, held) else {
        panic!("expected a close");
    };
    assert_eq!(basis.pay, dec!(3002.2004));
    assert_eq!(basis.receive, dec!(2997));
    assert_eq!(basis.basis_pct, dec!(0.173520));
    // still 0.8 % apart: hold, and do not add (the edge is below the open threshold)
    let b = book((dec!(3000), dec!(3000.1)), (dec!(3019.9), dec!(3020)));
    let d = e.decide(&b.quotes(), None, 0, held);
    assert!(
        matches!(d, SpotPerpDecision::Hold { basis: Some(_), .. }),
        "{d:?}"
    );
}

#[test]
fn a_held_position_grows_only_within_max_position() {
    let e = eval(cfg());
    let b = book((dec!(2999), dec!(3000)), (dec!(3030), dec!(3030.1)));
    let one = Holding::Open {
        carry: Carry::Forward,
        size: dec!(1),
    };
    assert!(matches!(
        e.decide(&b.quotes(), None, 0, one),
        SpotPerpDecision::Open { .. }
    ));
    let two = Holding::Open {
        carry: Carry::Forward,
        size: dec!(2),
    };
    let d = e.decide(&b.quotes(), None, 0, two);
    assert!(
        matches!(d, SpotPerpDecision::Hold { ref edges, .. } if edges.is_empty()),
        "{d:?}"
    );
    // a held reverse carry never adds the forward one
    let rev = Holding::Open {
        carry: Carry::Reverse,
        size: dec!(1),
    };
    let d = e.decide(&b.quotes(), None, 0, rev);
    assert!(!matches!(d, SpotPerpDecision::Open { .. }), "{d:?}");
}

#[test]
fn missing_quotes_rule_out_what_needs_them() {
    let e = eval(cfg());
    let b = book((dec!(2999), dec!(3000)), (dec!(3030), dec!(3030.1)));
    let mut q = b.quotes();
    q.perp_sell = None;
    let d = e.decide(&q, None, 0, Holding::Flat);
    assert!(matches!(d, SpotPerpDecision::Hold { ref edges, .. } if edges.is_empty()));
}

fn ids() -> [ClientOrderId; 2] {
    [
        ClientOrderId::new("spot1").unwrap(),
        ClientOrderId::new("perp1").unwrap(),
    ]
}

#[test]
fn orders_sit_on_each_markets_grid_and_the_close_is_reduce_only() {
    let e = eval(cfg());
    let b = book(
        (dec!(2999.5), dec!(3000.005)),
        (dec!(3030.04), dec!(3030.15)),
    );
    let (spot, perp) = e
        .orders(Carry::Forward, true, e.size(), &b.quotes(), ids())
        .unwrap();
    assert_eq!(spot.side, Side::Buy);
    // spot tick 0.01, buy rounds down: 3000.005 -> 3000.00
    assert_eq!(spot.price, Some(dec!(3000.00)));
    assert_eq!(perp.order.side, Side::Sell);
    // perp: 3030.04 less 0.1 % = 3027.00996, sell rounds up on tick 0.1 -> 3027.1
    assert_eq!(perp.order.price, Some(dec!(3027.1)));
    assert!(!perp.reduce_only);
    assert_eq!((spot.amount, perp.order.amount), (dec!(1), dec!(1)));
    let (spot, perp) = e
        .orders(Carry::Forward, false, dec!(2), &b.quotes(), ids())
        .unwrap();
    assert_eq!((spot.side, perp.order.side), (Side::Sell, Side::Buy));
    assert!(perp.reduce_only);
    assert_eq!(perp.order.amount, dec!(2));
    perp.check_shape().unwrap();
    // a size off the perpetual's step is refused, naming the leg
    let err = e
        .orders(Carry::Forward, true, dec!(1.0001), &b.quotes(), ids())
        .unwrap_err();
    assert!(
        matches!(
            err,
            LegOrderError::Rule {
                leg: "perp",
                v: RuleViolation::SizeNotOnStep { .. }
            }
        ),
        "{err}"
    );
    let mut q = b.quotes();
    q.spot_sell = None;
    assert!(matches!(
        e.orders(Carry::Forward, false, dec!(1), &q, ids()),
        Err(LegOrderError::NoQuote { leg: "spot", .. })
    ));
    let _: Pair = spot.pair;
}

#[test]
fn in_hedge_mode_both_perpetual_orders_act_on_the_carrys_side_without_reduce_only() {
    let mut e = eval(cfg());
    assert_eq!(e.position_mode(), PositionMode::OneWay);
    e.set_position_mode(PositionMode::Hedge);
    let b = book(
        (dec!(2999.5), dec!(3000.005)),
        (dec!(3030.04), dec!(3030.15)),
    );
    for (carry, side) in [
        (Carry::Forward, PositionSide::Short),
        (Carry::Reverse, PositionSide::Long),
    ] {
        for open in [true, false] {
            let (_, perp) = e.orders(carry, open, dec!(1), &b.quotes(), ids()).unwrap();
            assert_eq!(perp.position_side, side, "{carry} open={open}");
            assert!(!perp.reduce_only, "{carry} open={open}");
            perp.check_shape().unwrap();
        }
    }
    // the forward carry's close buys back the SHORT side
    let (_, close) = e
        .orders(Carry::Forward, false, dec!(1), &b.quotes(), ids())
        .unwrap();
    assert_eq!(close.order.side, Side::Buy);
    // one-way: the net position, the close reduce-only
    e.set_position_mode(PositionMode::OneWay);
    assert_eq!(
        e.perp_order_options(Carry::Reverse, true),
        (PositionSide::Net, true)
    );
    assert_eq!(
        e.perp_order_options(Carry::Forward, false),
        (PositionSide::Net, false)
    );
}
