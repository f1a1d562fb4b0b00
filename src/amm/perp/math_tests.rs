//! Unit tests of the vAMM math: hand-computed cases of the rounding, the limits and the reverts.

use super::*;

fn e18(x: u64) -> U256 {
    U256::from(x) * UNIT
}

fn pool() -> Reserves {
    // 1000 ETH against 1 000 000 USDC (the deployer's market at 1000 USDC).
    Reserves {
        quote: e18(1_000_000),
        base: e18(1_000),
    }
}

fn params() -> AmmParams {
    AmmParams {
        toll_ratio: U256::ZERO,
        spread_ratio: UNIT / U256::from(1000u64),
        trade_limit_ratio: UNIT * U256::from(9u64) / U256::from(10u64),
        fluctuation_limit_ratio: U256::ZERO,
    }
}

#[test]
fn input_price_rounds_against_the_trader() {
    // k = 1e9 (in units of 1e18); long 1000 USDC: base after = 1e9/1001000 = 999.000999000999…
    let base = get_input_price(Dir::AddToAmm, e18(1_000), pool()).unwrap();
    // 1000 − 999.000999000999000999 = 0.999000999000999001, minus 1 wei for the remainder.
    assert_eq!(base, U256::from(999_000_999_000_999_000u64));
    let short = get_input_price(Dir::RemoveFromAmm, e18(1_000), pool()).unwrap();
    // base after = 1e9/999000 = 1001.001001001001001001…; +1 wei.
    assert_eq!(short, U256::from(1_001_001_001_001_001_002u64));
}

#[test]
fn exact_division_takes_no_wei() {
    // quote after 2e6 divides k exactly: base after = 500, bought = 500.
    let r = pool();
    assert_eq!(
        get_input_price(Dir::AddToAmm, e18(1_000_000), r).unwrap(),
        e18(500)
    );
    assert_eq!(
        get_output_price(Dir::RemoveFromAmm, e18(500), r).unwrap(),
        e18(1_000_000)
    );
}

#[test]
fn output_price_both_directions() {
    let r = pool();
    // remove 1 ETH: quote after = 1e9/999 = 1001001.001001…, sold = 1001.001001… + 1 wei.
    let q = get_output_price(Dir::RemoveFromAmm, UNIT, r).unwrap();
    assert_eq!(q, U256::from(1_001_001_001_001_001_001_002u128));
    // add 1 ETH: quote after = 1e9/1001 = 999000.999000999…; received 999.000999000999000999 after the 1 wei.
    let q = get_output_price(Dir::AddToAmm, UNIT, r).unwrap();
    assert_eq!(q, U256::from(999_000_999_000_999_000_999u128));
}

#[test]
fn zero_is_zero_and_draining_reverts() {
    let r = pool();
    assert_eq!(
        get_input_price(Dir::AddToAmm, U256::ZERO, r),
        Ok(U256::ZERO)
    );
    assert_eq!(
        get_input_price(Dir::RemoveFromAmm, r.quote, r),
        Err(PerpMathError::QuoteAssetAfterZero)
    );
    assert_eq!(
        get_output_price(Dir::RemoveFromAmm, r.base, r),
        Err(PerpMathError::BaseAssetAfterZero)
    );
    assert_eq!(
        get_input_price(Dir::RemoveFromAmm, r.quote + U256::from(1u8), r),
        Err(PerpMathError::Underflow)
    );
    assert_eq!(
        get_input_price(Dir::AddToAmm, U256::MAX, r),
        Err(PerpMathError::Overflow)
    );
}

#[test]
fn fees_round_down() {
    let p = AmmParams {
        toll_ratio: UNIT / U256::from(2000u64),
        ..params()
    };
    assert_eq!(
        calc_fee(U256::from(1999u64), &p).unwrap(),
        (U256::ZERO, U256::from(1u8))
    );
    assert_eq!(
        calc_fee(e18(1_000), &p).unwrap(),
        (UNIT / U256::from(2u8), UNIT)
    );
    assert_eq!(calc_fee(U256::ZERO, &p).unwrap(), (U256::ZERO, U256::ZERO));
}

#[test]
fn swap_limits() {
    let r = pool();
    let p = params();
    let (base, after) = swap_input(Dir::AddToAmm, e18(1_000), U256::ZERO, false, r, r, &p).unwrap();
    assert_eq!(after.quote, e18(1_001_000));
    assert_eq!(after.base, r.base - base);
    assert_eq!(
        swap_input(
            Dir::AddToAmm,
            e18(1_000),
            base + U256::from(1u8),
            false,
            r,
            r,
            &p
        ),
        Err(PerpMathError::LessThanMinimalBase)
    );
    assert_eq!(
        swap_input(Dir::RemoveFromAmm, e18(1_000), UNIT, false, r, r, &p),
        Err(PerpMathError::MoreThanMaximalBase)
    );
    assert_eq!(
        swap_input(
            Dir::RemoveFromAmm,
            e18(900_001),
            U256::ZERO,
            false,
            r,
            r,
            &p
        ),
        Err(PerpMathError::OverTradingLimit)
    );
    assert_eq!(
        swap_output(Dir::RemoveFromAmm, e18(901), U256::ZERO, r, r, &p),
        Err(PerpMathError::OverTradingLimit)
    );
    let (quote, _) = swap_output(Dir::AddToAmm, UNIT, U256::ZERO, r, r, &p).unwrap();
    assert_eq!(
        swap_output(Dir::AddToAmm, UNIT, quote + U256::from(1u8), r, r, &p),
        Err(PerpMathError::LessThanMinimalQuote)
    );
}

#[test]
fn fluctuation_limit() {
    let r = pool();
    // 1 %: a 1000-USDC long moves the price 0.2 %, a 10 000-USDC one 2 %.
    let p = AmmParams {
        fluctuation_limit_ratio: UNIT / U256::from(100u64),
        ..params()
    };
    assert!(swap_input(Dir::AddToAmm, e18(1_000), U256::ZERO, false, r, r, &p).is_ok());
    assert_eq!(
        swap_input(Dir::AddToAmm, e18(10_000), U256::ZERO, false, r, r, &p),
        Err(PerpMathError::OverFluctuationLimit)
    );
    // a close may go over once...
    let (_, moved) = swap_input(Dir::AddToAmm, e18(10_000), U256::ZERO, true, r, r, &p).unwrap();
    // ...after which everything in the block reverts.
    assert_eq!(
        swap_input(Dir::AddToAmm, UNIT, U256::ZERO, true, moved, r, &p),
        Err(PerpMathError::AlreadyOverFluctuationLimit)
    );
    let (upper, lower) = price_boundaries(r, p.fluctuation_limit_ratio).unwrap();
    assert_eq!((upper, lower), (e18(1_010), e18(990)));
}

#[test]
fn pnl_and_funding() {
    let r = pool();
    let size = I256::try_from(UNIT).unwrap();
    let (notional, pnl) = spot_notional_and_pnl(size, e18(1_000), r).unwrap();
    assert_eq!(notional, get_output_price(Dir::AddToAmm, UNIT, r).unwrap());
    assert_eq!(
        pnl,
        I256::try_from(notional).unwrap() - I256::try_from(e18(1_000)).unwrap()
    );
    let (short_notional, short_pnl) = spot_notional_and_pnl(-size, e18(1_000), r).unwrap();
    assert_eq!(
        short_notional,
        get_output_price(Dir::RemoveFromAmm, UNIT, r).unwrap()
    );
    assert!(short_pnl.is_negative());
    // premium fraction up by 0.5 USDC per ETH: a 2-ETH long pays 1 USDC, a short receives it.
    let half = I256::try_from(UNIT / U256::from(2u8)).unwrap();
    let two = I256::try_from(e18(2)).unwrap();
    let one = I256::try_from(UNIT).unwrap();
    assert_eq!(funding_payment(two, I256::ZERO, half).unwrap(), one);
    assert_eq!(funding_payment(-two, I256::ZERO, half).unwrap(), -one);
    assert_eq!(margin_with_funding(e18(10), one).unwrap(), e18(9));
    assert_eq!(
        margin_with_funding(UNIT / U256::from(2u8), one).unwrap(),
        U256::ZERO
    );
    // signed truncation toward zero: −3 wei·0.5 = −1 wei (not −2).
    let three = I256::try_from(3u8).unwrap();
    assert_eq!(
        funding_payment(-three, I256::ZERO, half).unwrap(),
        -I256::ONE
    );
}
