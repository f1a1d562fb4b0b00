//! `binance_perpetual`'s private side against the simulated futures exchange (every request's
//! HMAC signature verified): leverage, margin type and position mode; perpetual orders with
//! reduce-only and position sides; positions equal to the simulator's after a sequence of fills in
//! both position modes, with unrealized PnL at the mark; a wrong secret is an authentication error.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::binance_perpetual::{BinancePerpConfig, BinancePerpetual};
use sluice::core::{
    MarginMode, OrderRequest, OrderType, Pair, PerpOrder, PositionMode, PositionSide, Side,
    TimeInForce,
};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance_perpetual::{MarkState, MockBinancePerp};

/// A connector on the simulator's trading account signing with `secret`, every URL the
/// simulator's.
pub(crate) fn venue(mock: &MockBinancePerp, secret: &str) -> BinancePerpetual {
    let cfg = BinancePerpConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        user_ws_url: mock.ws_url(),
        ..BinancePerpConfig::default()
    };
    BinancePerpetual::new(
        cfg,
        Some(ApiCredentials::new(mock.api_key(), secret).unwrap()),
    )
    .unwrap()
}

fn market(v: &BinancePerpetual, side: Side, amount: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side,
        order_type: OrderType::Market,
        amount,
        price: None,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

/// Our positions as (side, size, entry) against the simulator's.
async fn assert_positions_match(v: &BinancePerpetual, mock: &MockBinancePerp) {
    let ours = v.positions(None).await.unwrap();
    let theirs: Vec<_> = mock
        .positions()
        .into_iter()
        .filter(|p| !p.2.is_zero())
        .collect();
    assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
    for (o, t) in ours.iter().zip(&theirs) {
        let side = match o.position_side {
            PositionSide::Net => "BOTH",
            PositionSide::Long => "LONG",
            PositionSide::Short => "SHORT",
        };
        assert_eq!((side, o.size, o.entry_price), (t.1, t.2, Some(t.3)));
        let mark = mock.mark("BTCUSDT").unwrap().mark;
        assert_eq!(o.mark_price, Some(mark));
        assert_eq!(o.unrealized_pnl, ((mark - t.3) * t.2).round_dp(8));
    }
}

#[tokio::test]
async fn positions_follow_fills_in_both_modes() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let v = venue(&mock, mock.api_secret());
    let pair: Pair = "BTC-USDT".parse().unwrap();

    let lev = v.set_leverage(&pair, 10).await.unwrap();
    assert_eq!(lev.leverage, 10);
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    // already isolated: the exchange's "no need to change" is not an error
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    assert_eq!(v.position_mode().await.unwrap(), PositionMode::OneWay);

    // one-way: buy 2.5 across levels, sell 1, then a reduce-only sell larger than the position
    v.submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(2.5))))
        .await
        .unwrap();
    v.submit_perp(PerpOrder::plain(market(&v, Side::Sell, dec!(1))))
        .await
        .unwrap();
    mock.set_mark(
        "BTCUSDT",
        MarkState {
            mark: dec!(103),
            index: dec!(102.9),
            funding_rate: dec!(0.0001),
        },
    );
    assert_positions_match(&v, &mock).await;
    let p = v.positions(Some(&pair)).await.unwrap().remove(0);
    assert_eq!(p.size, dec!(1.5));
    assert_eq!(p.leverage, Some(dec!(10)));
    assert_eq!(p.margin_mode, Some(MarginMode::Isolated));
    let too_much = PerpOrder {
        reduce_only: true,
        ..PerpOrder::plain(market(&v, Side::Sell, dec!(3)))
    };
    match v.submit_perp(too_much).await {
        Err(VenueError::Rejected { code, .. }) => assert_eq!(code.as_deref(), Some("-2022")),
        other => panic!("expected -2022, got {other:?}"),
    }
    // close the whole position
    let close = PerpOrder::close(&p, v.new_client_id().unwrap()).unwrap();
    v.submit_perp(close).await.unwrap();
    assert!(v.positions(None).await.unwrap().is_empty());

    // hedge mode: a long and a short held apart; a one-way order is refused
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
    assert_eq!(v.position_mode().await.unwrap(), PositionMode::Hedge);
    for (side, ps, amount) in [
        (Side::Buy, PositionSide::Long, dec!(2)),
        (Side::Sell, PositionSide::Short, dec!(1)),
        (Side::Sell, PositionSide::Long, dec!(0.5)),
    ] {
        let o = PerpOrder {
            position_side: ps,
            ..PerpOrder::plain(market(&v, side, amount))
        };
        v.submit_perp(o).await.unwrap();
    }
    assert_positions_match(&v, &mock).await;
    let sizes: Vec<_> = v
        .positions(None)
        .await
        .unwrap()
        .iter()
        .map(|p| (p.position_side, p.size))
        .collect();
    assert_eq!(
        sizes,
        vec![
            (PositionSide::Long, dec!(1.5)),
            (PositionSide::Short, dec!(-1))
        ]
    );
    match v
        .submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(1))))
        .await
    {
        Err(VenueError::Rejected { code, .. }) => assert_eq!(code.as_deref(), Some("-4061")),
        other => panic!("expected -4061, got {other:?}"),
    }
    // the balance is the deposit plus realized PnL minus fees, as the simulator keeps it
    let realized: Decimal = mock.positions().iter().map(|p| p.4 - p.5).sum();
    let usdt = v.balances().await.unwrap();
    assert_eq!(usdt[0].total, dec!(10000) + realized);
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error() {
    let mock = MockBinancePerp::start().await.unwrap();
    let v = venue(&mock, "not-the-secret");
    assert!(matches!(v.positions(None).await, Err(VenueError::Auth(_))));
    assert!(matches!(
        v.set_leverage(&"BTC-USDT".parse().unwrap(), 5).await,
        Err(VenueError::Auth(_))
    ));
}

/// An order whose initial margin (notional over the leverage) the wallet cannot cover is refused
/// with Binance's -2019, which the connector classes as insufficient balance; at a higher leverage
/// the same order goes through, and an order that only reduces needs no margin.
#[tokio::test]
async fn initial_margin_is_checked_on_orders() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let v = venue(&mock, mock.api_secret());
    let pair: Pair = "BTC-USDT".parse().unwrap();
    v.set_leverage(&pair, 1).await.unwrap();
    let limit = |amount: Decimal| OrderRequest {
        order_type: OrderType::Limit,
        price: Some(dec!(99)),
        ..market(&v, Side::Buy, amount)
    };
    // 150 × 99 / 1 = 14,850 USDT of margin against a 10,000 deposit
    match v.submit_perp(PerpOrder::plain(limit(dec!(150)))).await {
        Err(VenueError::Rejected { code, reason }) => {
            assert_eq!(code.as_deref(), Some("-2019"), "{reason}");
        }
        other => panic!("expected -2019, got {other:?}"),
    }
    assert!(mock.positions().is_empty());
    v.set_leverage(&pair, 2).await.unwrap();
    v.submit_perp(PerpOrder::plain(limit(dec!(150))))
        .await
        .unwrap();
    // a long of 10 at 20x leaves room; a reduce-only sell of it needs none
    v.set_leverage(&pair, 20).await.unwrap();
    v.submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(10))))
        .await
        .unwrap();
    v.set_leverage(&pair, 1).await.unwrap();
    let close = PerpOrder {
        reduce_only: true,
        ..PerpOrder::plain(market(&v, Side::Sell, dec!(10)))
    };
    v.submit_perp(close).await.unwrap();
}
