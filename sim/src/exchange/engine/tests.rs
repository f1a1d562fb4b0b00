//! Invariants of the mock's engine under long random sequences of every order type from several
//! accounts: funds are conserved (fees aside), locks equal what open orders hold, book levels
//! equal their orders' remainders, the book is never crossed.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use zeroize::Zeroizing;

use super::account::Account;
use super::error::EngineError;
use super::exchange::{Exchange, MARKET_MAKER};
use super::order::{NewOrder, OrderType, Side, TimeInForce};
use super::random::{RandomUpdater, seed_book};
use super::spec::default_symbols;

const SYMBOL: &str = "BTCUSDT";

fn exchange() -> (Exchange, Vec<usize>) {
    let mut mm = Account::new("mm".into(), Zeroizing::new("mm".into()));
    mm.balance_mut("BTC").free = dec!(1000000);
    mm.balance_mut("USDT").free = dec!(100000000);
    let mut ex = Exchange::new(default_symbols(), mm, std::sync::Arc::new(DebugShapes));
    let mut users = Vec::new();
    for i in 0..3 {
        let mut a = Account::new(format!("k{i}"), Zeroizing::new(format!("s{i}")));
        a.balance_mut("BTC").free = dec!(50);
        a.balance_mut("USDT").free = dec!(5000);
        users.push(ex.add_account(a));
    }
    (ex, users)
}

fn totals(ex: &Exchange) -> BTreeMap<String, Decimal> {
    let mut t = BTreeMap::new();
    for a in &ex.accounts {
        for (asset, b) in &a.balances {
            *t.entry(asset.clone()).or_insert(Decimal::ZERO) += b.free + b.locked;
        }
    }
    for trades in ex.trades.values() {
        for tr in trades {
            *t.entry(tr.assets.0.clone()).or_insert(Decimal::ZERO) += tr.commissions.0;
            *t.entry(tr.assets.1.clone()).or_insert(Decimal::ZERO) += tr.commissions.1;
        }
    }
    t
}

fn check_invariants(ex: &Exchange, initial: &BTreeMap<String, Decimal>) {
    assert_eq!(&totals(ex), initial, "funds are conserved, fees included");
    for (idx, acct) in ex.accounts.iter().enumerate() {
        let mut locked: BTreeMap<&str, Decimal> = BTreeMap::new();
        for o in ex
            .orders
            .values()
            .filter(|o| o.account == idx && o.status.is_open())
        {
            let asset = if o.side == Side::Buy { "USDT" } else { "BTC" };
            *locked.entry(asset).or_default() += o.locked;
        }
        for asset in ["BTC", "USDT"] {
            let b = acct.balances.get(asset).copied().unwrap_or_default();
            assert_eq!(
                b.locked,
                locked.get(asset).copied().unwrap_or_default(),
                "{idx} {asset} locks"
            );
            assert!(
                b.free >= Decimal::ZERO && b.locked >= Decimal::ZERO,
                "{idx} {asset} {b:?}"
            );
        }
    }
    let book = &ex.books[SYMBOL];
    for (side, levels) in [(Side::Buy, &book.bids), (Side::Sell, &book.asks)] {
        for (ticks, level) in levels {
            assert!(!level.orders.is_empty());
            let mut sum = Decimal::ZERO;
            for id in &level.orders {
                let o = &ex.orders[id];
                assert!(o.status.is_open() && o.side == side && o.ticks == Some(*ticks));
                sum += o.remaining();
            }
            assert_eq!(sum, level.qty);
        }
    }
    if let (Some(b), Some(a)) = (book.best_bid(), book.best_ask()) {
        assert!(b < a, "book crossed: {b} >= {a}");
    }
    for o in ex.orders.values() {
        assert!(o.executed_qty <= o.orig_qty);
        if !o.status.is_open() {
            assert!(
                o.locked.is_zero() && o.ticks.is_none(),
                "closed order {} keeps a lock",
                o.id
            );
        }
    }
}

fn random_order(rng: &mut StdRng, ex: &Exchange) -> NewOrder {
    let book = &ex.books[SYMBOL];
    let mid = match (book.best_bid(), book.best_ask()) {
        (Some(b), Some(a)) => (a + b) / 2,
        _ => 10_000,
    };
    let side = if rng.gen_bool(0.5) {
        Side::Buy
    } else {
        Side::Sell
    };
    let ticks = mid + rng.gen_range(0..40) - 20;
    let price = book.price(ticks);
    let qty = dec!(0.05) + Decimal::from(rng.gen_range(0..300_u64)) * dec!(0.01);
    let (order_type, tif) = match rng.gen_range(0..6) {
        0 => (OrderType::Limit, TimeInForce::Ioc),
        1 => (OrderType::Limit, TimeInForce::Fok),
        2 => (OrderType::LimitMaker, TimeInForce::Gtc),
        3 => (OrderType::Market, TimeInForce::Gtc),
        _ => (OrderType::Limit, TimeInForce::Gtc),
    };
    let quote = order_type == OrderType::Market && rng.gen_bool(0.3);
    NewOrder {
        symbol: SYMBOL.into(),
        side,
        order_type,
        tif,
        quantity: (!quote).then_some(qty),
        quote_order_qty: quote.then_some(qty * price),
        price: (order_type != OrderType::Market).then_some(price),
        client_order_id: None,
    }
}

#[test]
fn random_trading_keeps_engine_invariants() {
    for seed in 0..8_u64 {
        let (mut ex, users) = exchange();
        seed_book(&mut ex, SYMBOL, dec!(100), 15, 2, dec!(1), 1).unwrap();
        let initial = totals(&ex);
        let mut rng = StdRng::seed_from_u64(seed);
        let mut mm = RandomUpdater::new(&ex, SYMBOL, seed + 100);
        let (mut placed, mut rejected) = (0, 0);
        for step in 0..600_u64 {
            let now = 1_000 + step;
            match rng.gen_range(0..10) {
                0..=4 => {
                    let user = users[rng.gen_range(0..users.len())];
                    let order = random_order(&mut rng, &ex);
                    match ex.place(user, order, now, true) {
                        Ok(_) => placed += 1,
                        Err(e) => {
                            assert!(
                                matches!(
                                    e,
                                    EngineError::Filter(_)
                                        | EngineError::InsufficientBalance
                                        | EngineError::DuplicateClientId
                                        | EngineError::WouldTake
                                        | EngineError::NoLiquidity
                                        | EngineError::LiquidityBelowMinQuantity
                                ),
                                "{e:?}"
                            );
                            rejected += 1;
                        }
                    }
                }
                5 => {
                    let open: Vec<(usize, u64)> = ex
                        .orders
                        .values()
                        .filter(|o| o.account != MARKET_MAKER && o.status.is_open())
                        .map(|o| (o.account, o.id))
                        .collect();
                    if !open.is_empty() {
                        let (acct, id) = open[rng.gen_range(0..open.len())];
                        ex.cancel(acct, SYMBOL, Some(id), None, None, now).unwrap();
                    }
                }
                _ => {
                    mm.step(&mut ex, now).unwrap();
                }
            }
            check_invariants(&ex, &initial);
        }
        assert!(
            placed > 100 && rejected < placed,
            "seed {seed}: {placed} placed, {rejected} rejected"
        );
        assert!(
            ex.trades[SYMBOL].len() > 50,
            "seed {seed}: the sequence trades"
        );
    }
}

/// Renders events as their Debug text: the invariants here do not read the events' shapes.
#[derive(Debug)]
struct DebugShapes;

impl super::events::EventShapes for DebugShapes {
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[super::book::PriceLevel],
        asks: &[super::book::PriceLevel],
        event_time: u64,
    ) -> String {
        format!("{symbol} {first_update_id}..={final_update_id} {bids:?} {asks:?} {event_time}")
    }

    fn trade(&self, trade: &super::order::Trade, event_time: u64) -> String {
        format!("{trade:?} {event_time}")
    }

    fn execution(
        &self,
        order: &super::order::Order,
        execution: &super::order::Execution,
    ) -> String {
        format!("{order:?} {execution:?}")
    }

    fn account_position(
        &self,
        changed: &[(String, super::account::Balance)],
        event_time: u64,
    ) -> String {
        format!("{changed:?} {event_time}")
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        format!("{asset} {delta} {event_time}")
    }
}
