//! Markets and conversions: the official clients' published values (TypeScript
//! `helpers.test.ts`, Rust `order.rs` tests), every market shape (negative, zero and positive
//! atomic resolution, quantum conversion exponents, large step base quantums), each rounding
//! rule, and the indexer's answer parsed with its malformed variants refused.

use rust_decimal_macros::dec;

use super::*;

/// A market of this shape, its tick and step sizes derived (so `check` passes).
fn market(ar: i32, qce: i32, step_base_quantums: u64, subticks_per_tick: u32) -> MarketParams {
    let mut m = MarketParams {
        ticker: "TEST-USD".into(),
        clob_pair_id: 7,
        status: MarketStatus::Active,
        atomic_resolution: ar,
        quantum_conversion_exponent: qce,
        step_base_quantums,
        subticks_per_tick,
        tick_size: Decimal::ZERO,
        step_size: Decimal::ZERO,
        oracle_price: None,
        initial_margin_fraction: dec!(0.05),
        maintenance_margin_fraction: None,
        next_funding_rate: None,
        market_type: None,
    };
    m.tick_size = m.price_of(u64::from(subticks_per_tick)).unwrap();
    m.step_size = m.size_of(step_base_quantums).unwrap();
    m.check().unwrap();
    m
}

fn btc() -> MarketParams {
    market(-10, -9, 1_000_000, 100_000)
}

/// v4-client-js `__tests__/lib/helpers.test.ts`: `calculateSubticks(8.45, -7, -9, 1000000)` is
/// 845_000_000 and `calculateQuantums(0.0003, -10, 1000000)` is 3_000_000.
#[test]
fn typescript_client_published_values() {
    let m = market(-7, -9, 1_000_000, 1_000_000);
    assert_eq!(m.subticks(dec!(8.45)).unwrap(), 845_000_000);
    assert_eq!(
        m.subticks_with(dec!(8.45), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        845_000_000
    );
    let m = market(-10, -9, 1_000_000, 1_000_000);
    assert_eq!(m.quantums(dec!(0.0003)).unwrap(), 3_000_000);
    assert_eq!(
        m.quantums_with(dec!(0.0003), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        3_000_000
    );
}

/// v4-client-rs `node/order.rs` tests (BTC-USD: -10, -9, 1_000_000, 100_000): 0.01 ↔
/// 100_000_000 quantums, 50_000 ↔ 5_000_000_000 subticks; tick 1, step 0.0001.
#[test]
fn rust_client_published_values() {
    let m = btc();
    assert_eq!(m.quantums(dec!(0.01)).unwrap(), 100_000_000);
    assert_eq!(m.subticks(dec!(50000)).unwrap(), 5_000_000_000);
    assert_eq!(m.size_of(100_000_000).unwrap(), dec!(0.01));
    assert_eq!(m.price_of(5_000_000_000).unwrap(), dec!(50000));
    assert_eq!(m.tick_size, dec!(1));
    assert_eq!(m.step_size, dec!(0.0001));
    assert_eq!(m.price_exponent(), 5);
}

#[test]
fn off_grid_is_an_error_when_exact_and_rounded_by_rule() {
    let m = btc();
    // 0.00015 BTC = 1_500_000 quantums: 1.5 steps.
    let e = m.quantums(dec!(0.00015)).unwrap_err();
    assert!(matches!(e, DydxError::OffGrid { what: "size", step, .. } if step == dec!(0.0001)));
    let with = |r| {
        m.quantums_with(
            dec!(0.00015),
            QuantizeRule {
                rounding: r,
                raise_to_one_step: false,
            },
        )
        .unwrap()
    };
    assert_eq!(with(Rounding::Down), 1_000_000);
    assert_eq!(with(Rounding::Up), 2_000_000);
    assert_eq!(with(Rounding::HalfEven), 2_000_000); // 1.5 → 2 (even)
    // 2.5 steps: half to even goes down, the TS/Py rule floors.
    assert_eq!(
        m.quantums_with(dec!(0.00025), QuantizeRule::RUST_CLIENT)
            .unwrap(),
        2_000_000
    );
    assert_eq!(
        m.quantums_with(dec!(0.00026), QuantizeRule::RUST_CLIENT)
            .unwrap(),
        3_000_000
    );
    assert_eq!(
        m.quantums_with(dec!(0.00029), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        2_000_000
    );
    // A price between ticks: 50_000.5 is 5_000_050_000 subticks, half a tick.
    assert!(matches!(
        m.subticks(dec!(50000.5)).unwrap_err(),
        DydxError::OffGrid { what: "price", step, .. } if step == dec!(1)
    ));
    assert_eq!(
        m.subticks_with(dec!(50000.5), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        5_000_000_000
    );
    assert_eq!(
        m.subticks_with(dec!(50000.5), QuantizeRule::RUST_CLIENT)
            .unwrap(),
        5_000_000_000 // 50_000.5 ticks → 50_000 (even)
    );
    assert_eq!(
        m.subticks_with(
            dec!(50001.5),
            QuantizeRule {
                rounding: Rounding::HalfEven,
                raise_to_one_step: false
            }
        )
        .unwrap(),
        5_000_200_000 // 50_001.5 → 50_002 (even)
    );
}

/// Below one step: the clients raise it to one step (the minimum order size); refused
/// otherwise. Zero and negative values are refused under every rule.
#[test]
fn below_one_step_zero_and_negative() {
    let m = btc();
    assert_eq!(
        m.quantums_with(dec!(0.00001), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        1_000_000
    );
    assert_eq!(
        m.subticks_with(dec!(0.5), QuantizeRule::TS_PY_CLIENT)
            .unwrap(),
        100_000
    );
    let down = QuantizeRule {
        rounding: Rounding::Down,
        raise_to_one_step: false,
    };
    assert!(matches!(
        m.quantums_with(dec!(0.00001), down).unwrap_err(),
        DydxError::OutOfRange { .. }
    ));
    for rule in [
        QuantizeRule::EXACT,
        QuantizeRule::TS_PY_CLIENT,
        QuantizeRule::RUST_CLIENT,
    ] {
        for v in [dec!(0), dec!(-0.01)] {
            assert!(matches!(
                m.quantums_with(v, rule).unwrap_err(),
                DydxError::OutOfRange { .. }
            ));
            assert!(matches!(
                m.subticks_with(v, rule).unwrap_err(),
                DydxError::OutOfRange { .. }
            ));
        }
    }
}

/// ETH-USD's shape (-9, -9): price exponent 6, tick 0.1, step 0.001.
#[test]
fn equal_exponents() {
    let m = market(-9, -9, 1_000_000, 100_000);
    assert_eq!((m.tick_size, m.step_size), (dec!(0.1), dec!(0.001)));
    assert_eq!(m.subticks(dec!(3456.7)).unwrap(), 3_456_700_000);
    assert_eq!(m.quantums(dec!(1.234)).unwrap(), 1_234_000_000);
    assert_eq!(m.price_of(3_456_700_000).unwrap(), dec!(3456.7));
}

/// A positive atomic resolution (one quantum = 10 base units) and a very negative quantum
/// conversion exponent (a token priced around 1e-5 USDC): price exponent 1 + 14 + 6 = 21.
#[test]
fn positive_atomic_resolution() {
    let m = market(1, -14, 1, 1_000_000);
    assert_eq!(m.price_exponent(), 21);
    assert_eq!(m.step_size, dec!(10));
    assert_eq!(m.tick_size, dec!(0.000000000000001));
    assert_eq!(m.quantums(dec!(1230)).unwrap(), 123);
    assert_eq!(m.size_of(123).unwrap(), dec!(1230));
    assert!(m.quantums(dec!(1235)).is_err());
    let half_even = QuantizeRule {
        rounding: Rounding::HalfEven,
        raise_to_one_step: false,
    };
    assert_eq!(m.quantums_with(dec!(1235), half_even).unwrap(), 124);
    assert_eq!(m.quantums_with(dec!(1225), half_even).unwrap(), 122);
    assert_eq!(
        m.subticks(dec!(0.000012345)).unwrap(),
        12_345_000_000_000_000
    );
    assert_eq!(
        m.price_of(12_345_000_000_000_000).unwrap(),
        dec!(0.000012345)
    );
}

/// Atomic resolution 0 (quantums are base units) and a positive quantum conversion exponent.
#[test]
fn zero_atomic_resolution_positive_exponent() {
    let m = market(0, 2, 5, 10);
    assert_eq!(m.price_exponent(), 4);
    assert_eq!((m.step_size, m.tick_size), (dec!(5), dec!(0.001)));
    assert_eq!(m.quantums(dec!(25)).unwrap(), 25);
    assert!(m.quantums(dec!(26)).is_err());
    assert_eq!(m.subticks(dec!(1.234)).unwrap(), 12_340);
    assert_eq!(m.price_of(12_340).unwrap(), dec!(1.234));
}

/// Large step base quantums (10^15 at atomic resolution -18) and the 64-bit limit.
#[test]
fn large_step_base_quantums_and_overflow() {
    let m = market(-18, -9, 1_000_000_000_000_000, 1_000);
    assert_eq!(m.step_size, dec!(0.001));
    assert_eq!(m.quantums(dec!(0.005)).unwrap(), 5_000_000_000_000_000);
    assert_eq!(
        m.quantums_with(dec!(0.0025), QuantizeRule::RUST_CLIENT)
            .unwrap(),
        2_000_000_000_000_000
    );
    assert_eq!(
        m.quantums_with(dec!(0.0035), QuantizeRule::RUST_CLIENT)
            .unwrap(),
        4_000_000_000_000_000
    );
    // 19 base units = 1.9e19 quantums: past u64.
    assert!(matches!(
        m.quantums(dec!(19)).unwrap_err(),
        DydxError::OutOfRange { problem, .. } if problem.contains("64 bits")
    ));
    assert_eq!(m.quantums(dec!(18)).unwrap(), 18_000_000_000_000_000_000);
    // A size far below 10^-28 of a step still rounds (no overflow in the denominator).
    let tiny = QuantizeRule {
        rounding: Rounding::Up,
        raise_to_one_step: false,
    };
    let m = market(-2, -9, u64::MAX, 1);
    assert_eq!(
        m.quantums_with(dec!(0.0000000000000000000000000001), tiny)
            .unwrap(),
        u64::MAX
    );
}

const ANSWER: &str = r#"{"markets":{
 "BTC-USD":{"clobPairId":"0","ticker":"BTC-USD","status":"ACTIVE","oraclePrice":"97123.45",
  "priceChange24H":"-1.5","volume24H":"123","trades24H":5,"nextFundingRate":"0.0000125",
  "initialMarginFraction":"0.05","maintenanceMarginFraction":"0.03","openInterest":"10",
  "atomicResolution":-10,"quantumConversionExponent":-9,"tickSize":"1","stepSize":"0.0001",
  "stepBaseQuantums":1000000,"subticksPerTick":100000,"marketType":"CROSS",
  "openInterestLowerCap":null,"someFutureField":{"x":1}},
 "ETH-USD":{"clobPairId":"1","ticker":"ETH-USD","status":"POST_ONLY","oraclePrice":null,
  "initialMarginFraction":"0.05","atomicResolution":-9,"quantumConversionExponent":-9,
  "tickSize":"0.1","stepSize":"0.001","stepBaseQuantums":1000000,"subticksPerTick":100000}
}}"#;

#[test]
fn parses_the_indexer_answer() {
    let ms = parse_perpetual_markets(ANSWER).unwrap();
    assert_eq!(ms.len(), 2);
    let (b, e) = (&ms[0], &ms[1]);
    assert_eq!((b.ticker.as_str(), b.clob_pair_id), ("BTC-USD", 0));
    assert_eq!(b.status, MarketStatus::Active);
    assert_eq!(b.oracle_price, Some(dec!(97123.45)));
    assert_eq!(b.maintenance_margin_fraction, Some(dec!(0.03)));
    assert_eq!(b.next_funding_rate, Some(dec!(0.0000125)));
    assert_eq!(b.market_type, Some(MarketType::Cross));
    assert_eq!(b.subticks(dec!(97123)).unwrap(), 9_712_300_000);
    assert_eq!((e.ticker.as_str(), e.clob_pair_id), ("ETH-USD", 1));
    assert_eq!(e.status, MarketStatus::PostOnly);
    assert!(e.status.accepts_orders());
    assert_eq!(e.oracle_price, None);
    assert_eq!(e.market_type, None);
}

#[test]
fn malformed_markets_are_refused_by_name() {
    let cases: [(&str, &str, &str); 8] = [
        ("\"atomicResolution\":-10,", "", "atomicResolution: missing"),
        ("\"tickSize\":\"1\"", "\"tickSize\":\"10\"", "tickSize 10"),
        (
            "\"stepSize\":\"0.0001\"",
            "\"stepSize\":\"0.001\"",
            "stepSize",
        ),
        ("\"clobPairId\":\"0\"", "\"clobPairId\":\"x\"", "clobPairId"),
        (
            "\"clobPairId\":\"0\"",
            "\"clobPairId\":\"1\"",
            "clob pair id 1",
        ),
        (
            "\"ticker\":\"BTC-USD\"",
            "\"ticker\":\"BTC-USDT\"",
            "listed under",
        ),
        (
            "\"subticksPerTick\":100000",
            "\"subticksPerTick\":-1",
            "subticksPerTick",
        ),
        (
            "\"marketType\":\"CROSS\"",
            "\"marketType\":\"X\"",
            "marketType",
        ),
    ];
    for (from, to, want) in cases {
        let text = ANSWER.replacen(from, to, 1);
        assert_ne!(text, ANSWER, "{from}");
        let e = parse_perpetual_markets(&text).unwrap_err().to_string();
        assert!(e.contains(want), "{from} -> {to}: {e}");
    }
    assert!(parse_perpetual_markets("[]").is_err());
    assert!(parse_perpetual_markets("{\"markets\":{\"A\":3}}").is_err());
    // An unknown status is kept, not tradable.
    let text = ANSWER.replacen("\"ACTIVE\"", "\"DELISTED\"", 1);
    let ms = parse_perpetual_markets(&text).unwrap();
    assert_eq!(ms[0].status, MarketStatus::Other("DELISTED".into()));
    assert!(!ms[0].status.accepts_orders());
}
