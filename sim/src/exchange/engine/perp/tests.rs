//! The ledger over a real engine: fills replayed incrementally equal a replay from scratch;
//! one-way and hedge positions, fees, funding, margin checks, liquidation prices and
//! liquidation at the bankruptcy price.

use std::sync::Arc;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use zeroize::Zeroizing;

use super::margin::{binance_brackets, bybit_risk_limits};
use super::{MarginMode, MarkState, OrderAsk, PerpLedger, PosSide, Venue};
use crate::exchange::dialects::binance_perpetual::shapes::PerpEvents;
use crate::exchange::engine::account::Account;
use crate::exchange::engine::exchange::{Exchange, MARKET_MAKER};
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};
use crate::exchange::engine::spec::default_symbols;

const S: &str = "BTCUSDT";

fn exchange() -> (Exchange, usize) {
    let mut mm = Account::new("mm".into(), Zeroizing::new("mm".into()));
    mm.balance_mut("BTC").free = dec!(1000000);
    mm.balance_mut("USDT").free = dec!(100000000);
    let symbols = default_symbols();
    let shapes = Arc::new(PerpEvents::new(&symbols));
    let mut ex = Exchange::new(symbols, mm, shapes);
    let mut t = Account::new("t".into(), Zeroizing::new("t".into()));
    t.balance_mut("BTC").free = dec!(1000000);
    t.balance_mut("USDT").free = dec!(100000000);
    let trader = ex.add_account(t);
    (ex, trader)
}

fn order(
    symbol: &str,
    side: Side,
    kind: OrderType,
    qty: Decimal,
    price: Option<Decimal>,
) -> NewOrder {
    NewOrder {
        symbol: symbol.into(),
        side,
        order_type: kind,
        tif: TimeInForce::Gtc,
        quantity: Some(qty),
        quote_order_qty: None,
        price,
        client_order_id: None,
    }
}

/// The market maker rests `qty` at `price`, the trader takes it on `side` for position `ps`.
fn trade(
    ex: &mut Exchange,
    l: &mut PerpLedger,
    trader: usize,
    side: Side,
    ps: PosSide,
    qty: Decimal,
    price: Decimal,
) {
    let other = if side == Side::Buy {
        Side::Sell
    } else {
        Side::Buy
    };
    ex.place(
        MARKET_MAKER,
        order(S, other, OrderType::Limit, qty, Some(price)),
        1,
        true,
    )
    .unwrap();
    let placed = ex
        .place(
            trader,
            order(S, side, OrderType::Market, qty, None),
            1,
            true,
        )
        .unwrap();
    l.account_mut(trader)
        .unwrap()
        .order_sides
        .insert(placed.id, ps);
}

fn ledger(venue: Venue, trader: usize, deposit: Decimal) -> PerpLedger {
    let tiers = if venue == Venue::Binance {
        binance_brackets()
    } else {
        bybit_risk_limits()
    };
    let mut l = PerpLedger::new(venue, tiers, 10);
    l.add_account(trader, deposit);
    l
}

fn mark(l: &mut PerpLedger, m: Decimal) {
    l.set_mark(
        S,
        MarkState {
            mark: m,
            index: m,
            funding_rate: dec!(0.0001),
        },
    );
}

#[test]
fn one_way_fills_replay_incrementally_as_from_scratch() {
    let (mut ex, t) = exchange();
    let mut l = ledger(Venue::Binance, t, dec!(10000));
    for (side, qty, price) in [
        (Side::Buy, dec!(2), dec!(100)),
        (Side::Buy, dec!(2), dec!(110)),
        (Side::Sell, dec!(1), dec!(115)),
        (Side::Sell, dec!(5), dec!(100)),
    ] {
        trade(&mut ex, &mut l, t, side, PosSide::Both, qty, price);
        l.sync(&ex);
    }
    let p = l.position(t, S, PosSide::Both);
    assert_eq!(
        (p.size, p.entry(), p.realized),
        (dec!(-2), dec!(100), dec!(-5))
    );
    // taker fees at 0.1% of 200 + 220 + 115 + 500
    assert_eq!(p.fees, dec!(1.035));
    assert_eq!(l.wallet(t), dec!(10000) - dec!(5) - dec!(1.035));
    let mut fresh = ledger(Venue::Binance, t, dec!(10000));
    fresh.account_mut(t).unwrap().order_sides = l.account(t).unwrap().order_sides.clone();
    fresh.sync(&ex);
    assert_eq!(fresh.position(t, S, PosSide::Both), p);
    // the market maker is not a registered account: nothing of its side is kept
    assert_eq!(l.accounts.len(), 1);
}

#[test]
fn hedge_sides_are_kept_apart_and_funding_is_booked_per_side() {
    let (mut ex, t) = exchange();
    let mut l = ledger(Venue::Bybit, t, dec!(10000));
    l.account_mut(t).unwrap().hedge = true;
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Buy,
        PosSide::Long,
        dec!(2),
        dec!(100),
    );
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Sell,
        PosSide::Short,
        dec!(1),
        dec!(101),
    );
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Sell,
        PosSide::Long,
        dec!(0.5),
        dec!(104),
    );
    mark(&mut l, dec!(102));
    let booked = l.settle_funding(&ex, S, 7, false);
    assert_eq!(l.sides(t), &[PosSide::Long, PosSide::Short]);
    let long = l.position(t, S, PosSide::Long);
    let short = l.position(t, S, PosSide::Short);
    assert_eq!(
        (long.size, long.entry(), long.realized),
        (dec!(1.5), dec!(100), dec!(2))
    );
    assert_eq!((short.size, short.entry()), (dec!(-1), dec!(101)));
    assert_eq!(short.unrealized(dec!(102)), dec!(-1));
    // a long pays 1.5 × 102 × 0.0001, a short receives 1 × 102 × 0.0001
    let amounts: Vec<_> = booked.iter().map(|r| (r.side, r.amount, r.seq)).collect();
    assert_eq!(
        amounts,
        vec![
            (PosSide::Long, dec!(-0.0153), 1),
            (PosSide::Short, dec!(0.0102), 2)
        ]
    );
    assert_eq!(long.funding + short.funding, dec!(-0.0051));
}

#[test]
fn binance_isolated_liquidation_closes_at_the_bankruptcy_price() {
    let (mut ex, t) = exchange();
    let mut l = ledger(Venue::Binance, t, dec!(10000));
    l.account_mut(t)
        .unwrap()
        .margin
        .insert(S.into(), MarginMode::Isolated);
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Buy,
        PosSide::Both,
        dec!(2),
        dec!(100),
    );
    mark(&mut l, dec!(95));
    l.sync(&ex);
    assert_eq!(l.isolated_wallet(t, S, PosSide::Both), dec!(20));
    // (20 − 200) / (2 × 0.004 − 2)
    assert_eq!(
        l.liquidation_price(&ex, t, S, PosSide::Both),
        Some(dec!(90.36144578))
    );
    assert_eq!(l.bankruptcy_price(&ex, t, S, PosSide::Both), Some(dec!(90)));
    assert_eq!(l.maintenance(&ex, t, S, PosSide::Both), dec!(0.76));
    mark(&mut l, dec!(90.37));
    assert!(l.liquidate(&ex, 5).is_empty());
    mark(&mut l, dec!(90.36));
    let liq = l.liquidate(&ex, 6);
    assert_eq!(liq.len(), 1);
    assert_eq!(
        (liq[0].size, liq[0].price, liq[0].pnl),
        (dec!(2), dec!(90), dec!(-20))
    );
    assert!(l.position(t, S, PosSide::Both).size.is_zero());
    assert_eq!(l.wallet(t), dec!(10000) - dec!(20) - dec!(0.2));
    assert!(l.liquidate(&ex, 7).is_empty());
}

#[test]
fn bybit_isolated_and_cross_prices() {
    let (mut ex, t) = exchange();
    let mut l = ledger(Venue::Bybit, t, dec!(30.2));
    l.account_mut(t).unwrap().default_margin = MarginMode::Isolated;
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Sell,
        PosSide::Both,
        dec!(2),
        dec!(100),
    );
    mark(&mut l, dec!(100));
    l.sync(&ex);
    // short at 10x, MMR 0.5%: 100 × (1 + 0.1 − 0.005), closed at 100 × 1.1
    assert_eq!(
        l.liquidation_price(&ex, t, S, PosSide::Both),
        Some(dec!(109.5))
    );
    assert_eq!(
        l.bankruptcy_price(&ex, t, S, PosSide::Both),
        Some(dec!(110))
    );
    // cross: the wallet (30.2 − 0.2 fee = 30) is the collateral: (30 + 200) / (0.01 + 2)
    l.account_mut(t).unwrap().default_margin = MarginMode::Cross;
    assert_eq!(
        l.liquidation_price(&ex, t, S, PosSide::Both),
        Some(dec!(114.42786070))
    );
    assert_eq!(
        l.bankruptcy_price(&ex, t, S, PosSide::Both),
        Some(dec!(115))
    );
    mark(&mut l, dec!(114.43));
    let liq = l.liquidate(&ex, 9);
    assert_eq!((liq[0].price, liq[0].pnl), (dec!(115), dec!(-30)));
    assert_eq!(l.wallet(t), dec!(0));
}

#[test]
fn orders_need_initial_margin_for_what_they_open() {
    let (mut ex, t) = exchange();
    let mut l = ledger(Venue::Binance, t, dec!(100));
    trade(
        &mut ex,
        &mut l,
        t,
        Side::Buy,
        PosSide::Both,
        dec!(5),
        dec!(100),
    );
    mark(&mut l, dec!(100));
    l.sync(&ex);
    let ask = |qty, buy| OrderAsk {
        symbol: S,
        buy,
        side: PosSide::Both,
        qty,
        price: Some(dec!(100)),
    };
    // 5 held at 10x: 50 of 99.5 used; 5 more needs 50
    let short = l.check_open(&ex, t, &ask(dec!(5), true)).unwrap_err();
    assert_eq!((short.needed, short.available), (dec!(50), dec!(49.5)));
    assert!(l.check_open(&ex, t, &ask(dec!(4), true)).is_ok());
    // selling 9 closes 5 and opens 4
    assert!(l.check_open(&ex, t, &ask(dec!(9), false)).is_ok());
    assert!(l.check_open(&ex, t, &ask(dec!(10), false)).is_err());
}
