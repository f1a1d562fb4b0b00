//! `bybit_perpetual`'s private side against the simulated Bybit (every request's HMAC signature
//! verified): an order's lifecycle with a partial fill and a cancel; leverage and position mode;
//! positions equal to the simulator's after fills in both position modes, marked; reduce-only
//! and margin refusals typed; funding settled by the simulator read back once each with its id;
//! the wallet equal to the simulator's; a wrong secret is an authentication error.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::bybit_perpetual::{BybitPerpConfig, BybitPerpetual};
use sluice::core::{
    OrderRequest, OrderState, OrderType, Pair, PerpOrder, PositionMode, PositionSide, Side,
    TimeInForce,
};
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::bybit_perpetual::{MarkState, MockBybitPerp};

pub(crate) fn venue(mock: &MockBybitPerp, secret: &str) -> BybitPerpetual {
    let cfg = BybitPerpConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..BybitPerpConfig::default()
    };
    BybitPerpetual::new(
        cfg,
        Some(ApiCredentials::new(mock.api_key(), secret).unwrap()),
    )
    .unwrap()
}

fn order(
    v: &BybitPerpetual,
    side: Side,
    kind: OrderType,
    amount: Decimal,
    price: Option<Decimal>,
) -> OrderRequest {
    OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side,
        order_type: kind,
        amount,
        price,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

fn market(v: &BybitPerpetual, side: Side, amount: Decimal) -> OrderRequest {
    order(v, side, OrderType::Market, amount, None)
}

/// Our open positions as (idx, size, entry) against the simulator's, with PnL at the mark.
async fn assert_positions_match(v: &BybitPerpetual, mock: &MockBybitPerp, mark: Decimal) {
    let ours = v.positions(None).await.unwrap();
    let theirs: Vec<_> = mock
        .positions()
        .into_iter()
        .filter(|p| !p.size.is_zero())
        .collect();
    assert_eq!(ours.len(), theirs.len(), "{ours:?} vs {theirs:?}");
    for (o, t) in ours.iter().zip(&theirs) {
        let idx = match o.position_side {
            PositionSide::Net => 0,
            PositionSide::Long => 1,
            PositionSide::Short => 2,
        };
        assert_eq!(
            (idx, o.size, o.entry_price),
            (t.position_idx, t.size, Some(t.entry))
        );
        assert_eq!(o.mark_price, Some(mark));
        assert_eq!(o.unrealized_pnl, (mark - t.entry) * t.size);
    }
}

#[tokio::test]
async fn an_order_fills_in_part_and_is_cancelled() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let v = venue(&mock, mock.api_secret());
    let req = order(&v, Side::Buy, OrderType::Limit, dec!(2), Some(dec!(99.5)));
    let id = v.submit_perp(PerpOrder::plain(req.clone())).await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Open);
    let engine_id = mock
        .order_id(id.as_str())
        .expect("the order reached the simulator");
    assert_eq!(mock.fill_order(engine_id, Some(dec!(0.75))), dec!(0.75));
    let status = v.order_status(&req).await.unwrap();
    assert_eq!(
        (status.state, status.filled),
        (OrderState::PartiallyFilled, dec!(0.75))
    );
    let fills = v.order_fills(&req).await.unwrap();
    assert_eq!(fills.len(), 1);
    assert_eq!(
        (fills[0].amount, fills[0].price, fills[0].is_maker),
        (dec!(0.75), dec!(99.5), true)
    );
    v.cancel(&id).await.unwrap();
    assert_eq!(v.tracked(&id).unwrap().state, OrderState::Cancelled);
    assert_eq!(
        v.order_status(&req).await.unwrap().state,
        OrderState::Cancelled
    );
    // the order is no longer open; one that never existed is unknown
    assert!(v.list_open_orders(None).await.unwrap().is_empty());
    let ghost = order(&v, Side::Buy, OrderType::Limit, dec!(1), Some(dec!(99)));
    assert!(matches!(
        v.order_status(&ghost).await,
        Err(VenueError::UnknownOrder(_))
    ));
}

#[tokio::test]
async fn positions_funding_and_wallet_follow_the_simulator_in_both_modes() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let v = venue(&mock, mock.api_secret());
    let pair: Pair = "BTC-USDT".parse().unwrap();
    assert_eq!(v.set_leverage(&pair, 5).await.unwrap().leverage, 5);
    // unchanged: Bybit's "not modified" is not an error
    v.set_leverage(&pair, 5).await.unwrap();
    assert_eq!(v.position_mode().await.unwrap(), PositionMode::OneWay);

    // one-way: buy 2.5 across levels, sell 1, then a reduce-only sell larger than the position
    v.submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(2.5))))
        .await
        .unwrap();
    v.submit_perp(PerpOrder::plain(market(&v, Side::Sell, dec!(1))))
        .await
        .unwrap();
    let mark = MarkState {
        mark: dec!(103),
        index: dec!(102.9),
        funding_rate: dec!(0.0001),
    };
    mock.set_mark("BTCUSDT", mark);
    assert_positions_match(&v, &mock, mark.mark).await;
    let p = v.positions(Some(&pair)).await.unwrap().remove(0);
    assert_eq!((p.size, p.leverage), (dec!(1.5), Some(dec!(5))));
    let too_much = PerpOrder {
        reduce_only: true,
        ..PerpOrder::plain(market(&v, Side::Sell, dec!(3)))
    };
    match v.submit_perp(too_much).await {
        Err(VenueError::Rejected { code, .. }) => assert_eq!(code.as_deref(), Some("110017")),
        other => panic!("expected 110017, got {other:?}"),
    }
    // more than the wallet can margin at 5x
    match v
        .submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(1000))))
        .await
    {
        Err(VenueError::Rejected { code, .. }) => assert_eq!(code.as_deref(), Some("110007")),
        other => panic!("expected 110007, got {other:?}"),
    }

    // funding settled by the simulator: read back once each, with its id and sign
    let since = 0;
    assert_eq!(mock.settle_funding("BTCUSDT"), 1);
    let paid = v.funding_payments(Some(&pair), since).await.unwrap();
    let booked = mock.settlements();
    assert_eq!(paid.len(), 1);
    assert_eq!(
        (paid[0].id.as_str(), paid[0].amount),
        (booked[0].0.as_str(), booked[0].3)
    );
    assert_eq!(paid[0].amount, -(dec!(1.5) * dec!(103) * dec!(0.0001)));

    // close, then hedge mode: a long and a short held apart; a one-way order is refused
    let close = PerpOrder::close(&p, v.new_client_id().unwrap()).unwrap();
    v.submit_perp(close).await.unwrap();
    assert!(v.positions(None).await.unwrap().is_empty());
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
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
    assert_eq!(v.position_mode().await.unwrap(), PositionMode::Hedge);
    assert_positions_match(&v, &mock, mark.mark).await;
    let sides: Vec<_> = v
        .positions(None)
        .await
        .unwrap()
        .iter()
        .map(|p| (p.position_side, p.size))
        .collect();
    assert_eq!(
        sides,
        vec![
            (PositionSide::Long, dec!(1.5)),
            (PositionSide::Short, dec!(-1))
        ]
    );
    assert!(matches!(
        v.submit_perp(PerpOrder::plain(market(&v, Side::Buy, dec!(1))))
            .await,
        Err(VenueError::Rejected { .. })
    ));
    // the funding clock settles both sides each interval
    mock.set_funding_interval(Duration::from_millis(200));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while mock.settlements().len() < 3 {
        assert!(tokio::time::Instant::now() < deadline, "no settlement");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let all = v.funding_payments(None, since).await.unwrap();
    assert!(all.len() >= 3);
    let ids: std::collections::HashSet<_> = all.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), all.len(), "each settlement once");
    // the wallet is the simulator's: deposit + realized PnL − fees + funding
    let usdt = v.balances().await.unwrap();
    let usdt = usdt.iter().find(|b| b.asset.as_str() == "USDT").unwrap();
    assert_eq!(usdt.total, mock.wallet());
}

#[tokio::test]
async fn a_wrong_secret_is_an_authentication_error() {
    let mock = MockBybitPerp::start().await.unwrap();
    let v = venue(&mock, "not-the-secret");
    assert!(matches!(v.positions(None).await, Err(VenueError::Auth(_))));
    assert!(matches!(
        v.set_leverage(&"BTC-USDT".parse().unwrap(), 5).await,
        Err(VenueError::Auth(_))
    ));
}
