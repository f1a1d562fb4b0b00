//! Unit tests of order planning: exact notionals (every notional in the range exchanges exactly
//! the base, its neighbours do not), margins at a leverage, the action by position, the close
//! limit, and the fill read from `PositionChanged`.

use super::*;
use crate::core::{Asset, Token, TokenId};
use alloy::primitives::{Address, Bytes, LogData};
use math::AmmParams;

fn e18(x: u64) -> U256 {
    U256::from(x) * UNIT
}

fn pool() -> Reserves {
    Reserves {
        quote: e18(3_000_000),
        base: e18(1_000),
    }
}

fn params() -> AmmParams {
    AmmParams {
        toll_ratio: UNIT / U256::from(2_000u64),
        spread_ratio: UNIT / U256::from(1_000u64),
        trade_limit_ratio: UNIT * U256::from(9u64) / U256::from(10u64),
        fluctuation_limit_ratio: U256::ZERO,
    }
}

#[test]
fn the_exact_range_is_exactly_the_notionals_of_the_base() {
    for (side, base) in [
        (Side::Buy, U256::from(1_234_567_890_123_456_789u64)),
        (Side::Sell, U256::from(3_000_000_000_000_000_001u64)),
        (Side::Buy, U256::from(7u8)),
        (Side::Sell, e18(250)),
    ] {
        let dir = dir_of_quote(side);
        let (lo, hi) = exact_notional_range(dir, base, pool()).unwrap();
        assert!(lo <= hi);
        let f = |q| math::get_input_price(dir, q, pool()).unwrap();
        assert_eq!(f(lo), base, "{side:?}");
        assert_eq!(f(hi), base, "{side:?}");
        assert!(
            f(lo - U256::from(1u8)) < base,
            "{side:?}: q_min is the least"
        );
        assert!(
            f(hi + U256::from(1u8)) > base,
            "{side:?}: q_max is the most"
        );
        // ~2000–3000 wei of quote per wei of base near 3000 USDC/ETH.
        assert!(hi - lo > U256::from(1_000u32), "{side:?}: {}", hi - lo);
    }
    // Beyond the base reserve, or nothing: refused.
    assert!(exact_notional_range(Dir::AddToAmm, e18(1_000), pool()).is_err());
    assert!(exact_notional_range(Dir::AddToAmm, U256::ZERO, pool()).is_err());
}

#[test]
fn no_exact_notional_where_a_wei_of_quote_buys_more_than_a_wei_of_base() {
    // Base worth 1/1000 of the quote unit: no notional hits an arbitrary base exactly.
    let cheap = Reserves {
        quote: e18(1),
        base: e18(1_000),
    };
    let r = exact_notional_range(
        Dir::AddToAmm,
        U256::from(1_000_000_000_000_000_001u64),
        cheap,
    );
    assert!(
        matches!(r, Err(AmmError::InsufficientLiquidity(_))),
        "{r:?}"
    );
}

#[test]
fn margins_at_a_leverage_give_a_notional_of_the_exact_base() {
    let base = U256::from(1_234_567_890_123_456_789u64);
    for lev in [UNIT, e18(5), UNIT * U256::from(25u8) / U256::from(10u8)] {
        for side in [Side::Buy, Side::Sell] {
            let (margin, notional) = exact_notional(side, base, lev, pool()).unwrap();
            assert_eq!(notional, math::mul_d(margin, lev).unwrap());
            assert_eq!(
                math::get_input_price(dir_of_quote(side), notional, pool()).unwrap(),
                base
            );
        }
    }
    assert!(exact_notional(Side::Buy, base, U256::ZERO, pool()).is_err());
}

#[test]
fn the_action_follows_the_position() {
    let base = e18(2);
    let long = I256::try_from(e18(2)).unwrap();
    let p = params();
    let open = plan_trade(Side::Buy, base, I256::ZERO, e18(2), pool(), &p).unwrap();
    assert_eq!(open.action, Action::Increase);
    assert_eq!(open.leverage, e18(2));
    assert_eq!(open.toll, math::mul_d(open.notional, p.toll_ratio).unwrap());
    assert_eq!(
        open.quote_with_fees(Side::Buy).unwrap(),
        open.notional + open.toll + open.spread
    );
    let more = plan_trade(Side::Buy, base, long, e18(2), pool(), &p).unwrap();
    assert_eq!(more.action, Action::Increase);
    let reduce = plan_trade(Side::Sell, e18(1), long, e18(2), pool(), &p).unwrap();
    assert_eq!(reduce.action, Action::Reduce);
    assert_eq!(reduce.leverage, UNIT);
    assert_eq!(reduce.margin, reduce.notional);
    let close = plan_trade(Side::Sell, base, long, e18(2), pool(), &p).unwrap();
    assert_eq!(close.action, Action::Close);
    assert_eq!(
        close.notional,
        math::get_output_price(Dir::AddToAmm, base, pool()).unwrap()
    );
    let flip = plan_trade(Side::Sell, e18(3), long, e18(2), pool(), &p);
    assert!(
        matches!(&flip, Err(AmmError::InvalidAmount(m)) if m.contains("close it first")),
        "{flip:?}"
    );
}

#[test]
fn the_close_limit_is_the_worst_price_net_of_fees() {
    let p = params(); // 0.15 % in all
    // A long's close must receive 3000 net: 3000 / 0.9985, rounded up.
    let sell = close_quote_limit(Side::Sell, e18(3_000), &p).unwrap();
    let fee = math::mul_d(sell, p.toll_ratio).unwrap() + math::mul_d(sell, p.spread_ratio).unwrap();
    assert!(sell - fee >= e18(3_000));
    assert!(sell - U256::from(1u8) - fee < e18(3_000) + U256::from(2u8));
    // A short's close pays at most 3000 with fees: 3000 / 1.0015, rounded down.
    let buy = close_quote_limit(Side::Buy, e18(3_000), &p).unwrap();
    let fee = math::mul_d(buy, p.toll_ratio).unwrap() + math::mul_d(buy, p.spread_ratio).unwrap();
    assert!(buy + fee <= e18(3_000));
}

fn plan(side: Side, calldata: Vec<u8>, amm: Address, ch: Address) -> SwapPlan {
    let t = |s: &str| Token {
        symbol: Asset::new(s).unwrap(),
        decimals: 18,
        chain: "anvil".into(),
        id: TokenId::Erc20(Address::ZERO),
    };
    SwapPlan {
        pair: "ETH-USDC".parse().unwrap(),
        side,
        base: t("ETH"),
        quote: t("USDC"),
        token_in: Address::ZERO,
        max_in: U256::ZERO,
        router: ch,
        calldata: Bytes::from(calldata),
        gas_limit: 1,
        decode_fill,
        pools: vec![amm],
        fees_ppm: vec![1500],
        value: U256::ZERO,
    }
}

fn changed(ch: Address, amm: Address, exchanged: i64, notional: U256, fee: U256) -> Log {
    let e = IPerpClearingHouse::PositionChanged {
        trader: Address::repeat_byte(9),
        amm,
        margin: U256::ZERO,
        positionNotional: notional,
        exchangedPositionSize: I256::try_from(exchanged).unwrap(),
        fee,
        positionSizeAfter: I256::ZERO,
        realizedPnl: I256::ZERO,
        unrealizedPnlAfter: I256::ZERO,
        badDebt: U256::ZERO,
        liquidationPenalty: U256::ZERO,
        spotPrice: U256::ZERO,
        fundingPayment: I256::ZERO,
    };
    let data: LogData = e.encode_log_data();
    Log {
        inner: alloy::primitives::Log { address: ch, data },
        ..Default::default()
    }
}

#[test]
fn fills_come_from_position_changed_with_the_fee_in_the_price() {
    let (ch, amm) = (Address::repeat_byte(1), Address::repeat_byte(2));
    let open = |limit: u64| {
        IPerpClearingHouse::openPositionCall {
            _amm: amm,
            _side: 0,
            _quoteAssetAmount: IPerpClearingHouse::Dec {
                d: U256::from(100u8),
            },
            _leverage: IPerpClearingHouse::Dec { d: UNIT },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec {
                d: U256::from(limit),
            },
        }
        .abi_encode()
    };
    let logs = [changed(ch, amm, 5, U256::from(1_000u32), U256::from(3u8))];
    let buy = plan(Side::Buy, open(5), amm, ch);
    assert_eq!(
        decode_fill(&logs, &buy).unwrap(),
        (U256::from(1_003u32), U256::from(5u8), U256::from(3u8))
    );
    // Another base than ordered, another Amm's log, or the wrong side: not a fill of this order.
    assert!(decode_fill(&logs, &plan(Side::Buy, open(4), amm, ch)).is_err());
    assert!(
        decode_fill(
            &logs,
            &plan(Side::Buy, open(5), Address::repeat_byte(3), ch)
        )
        .is_err()
    );
    assert!(decode_fill(&logs, &plan(Side::Sell, open(5), amm, ch)).is_err());
    // A close (no base limit in its call) sells the size for notional − fee.
    let close = IPerpClearingHouse::closePositionCall {
        _amm: amm,
        _quoteAssetAmountLimit: IPerpClearingHouse::Dec { d: U256::ZERO },
    }
    .abi_encode();
    let logs = [changed(ch, amm, -5, U256::from(1_000u32), U256::from(3u8))];
    assert_eq!(
        decode_fill(&logs, &plan(Side::Sell, close, amm, ch)).unwrap(),
        (U256::from(5u8), U256::from(997u32), U256::from(3u8))
    );
    assert!(decode_fill(&[], &plan(Side::Sell, Vec::new(), amm, ch)).is_err());
}

#[test]
fn the_closed_form_equals_the_search_on_random_pools_and_sizes() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x9e3);
    let mut checked = 0;
    for _ in 0..400 {
        let r = Reserves {
            quote: U256::from(rng.gen_range(1u64..=9_999))
                * U256::from(10u64).pow(U256::from(rng.gen_range(20u32..=27))),
            base: U256::from(rng.gen_range(1u64..=9_999))
                * U256::from(10u64).pow(U256::from(rng.gen_range(18u32..=22))),
        };
        let base = U256::from(rng.gen_range(1u64..=9_999))
            * U256::from(10u64).pow(U256::from(rng.gen_range(0u32..=21)));
        for dir in [Dir::AddToAmm, Dir::RemoveFromAmm] {
            let fast = exact_notional_range(dir, base, r).ok();
            let slow = search_notional_range(dir, base, r).ok();
            assert_eq!(fast, slow, "{dir:?} {base} {r:?}");
            if let Some((lo, _)) = fast {
                assert_eq!(closed_form_range(dir, base, r).map(|x| x.0), Some(lo));
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "{checked}");
}
