//! `binance_perpetual` against the simulator's perpetual ledger: after a sequence of fills (open,
//! add, partial reduce, flip) in one-way and hedge mode, isolated and cross, the connector's
//! positions — size, side, entry, mark, unrealized PnL, margin, leverage, margin mode and
//! liquidation price — equal the ledger's exactly; a mark past the liquidation price liquidates
//! (isolated and cross), the stream's `autoclose-` order is not taken for one of ours, and the
//! connector's positions and balance equal the simulator's afterwards.

use std::time::Duration;

use rust_decimal::{Decimal, RoundingStrategy};
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::binance_perpetual::BinancePerpetual;
use sluice::core::{
    MarginMode, OrderRequest, OrderState, OrderType, Pair, PerpOrder, PositionMode, PositionSide,
    Side, TimeInForce, VenueEvent,
};
use sluice_sim::exchange::dialects::binance_perpetual::{
    MarginMode as SimMode, MarkState, MockBinancePerp, PerpHandle, PosSide,
};

use crate::binance_orders::wait_for;

const SYMBOL: &str = "BTCUSDT";

fn venue(mock: &MockBinancePerp) -> BinancePerpetual {
    crate::binance_perpetual_positions::venue(mock, mock.api_secret())
}

/// A market order on BTC-USDT for the position `ps`.
pub(crate) fn taker(v: &dyn Venue, side: Side, amount: Decimal, ps: PositionSide) -> PerpOrder {
    PerpOrder {
        position_side: ps,
        ..PerpOrder::plain(OrderRequest {
            client_id: v.new_client_id().unwrap(),
            pair: "BTC-USDT".parse().unwrap(),
            side,
            order_type: OrderType::Market,
            amount,
            price: None,
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        })
    }
}

/// One-way mode: open, add, partial reduce, flip.
pub(crate) const ONE_WAY: [(Side, Decimal, PositionSide); 4] = [
    (Side::Buy, dec!(2), PositionSide::Net),
    (Side::Buy, dec!(1), PositionSide::Net),
    (Side::Sell, dec!(1.5), PositionSide::Net),
    (Side::Sell, dec!(3), PositionSide::Net),
];

/// Hedge mode: open a long and a short, reduce each.
pub(crate) const HEDGE: [(Side, Decimal, PositionSide); 4] = [
    (Side::Buy, dec!(2), PositionSide::Long),
    (Side::Sell, dec!(1.5), PositionSide::Short),
    (Side::Sell, dec!(0.5), PositionSide::Long),
    (Side::Buy, dec!(0.5), PositionSide::Short),
];

/// A mark at `m` with a funding rate.
pub(crate) fn mark(m: Decimal) -> MarkState {
    MarkState {
        mark: m,
        index: m,
        funding_rate: dec!(-0.0002),
    }
}

/// Binance's 8-place rendering of a figure.
pub(crate) fn round8(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(8, RoundingStrategy::MidpointAwayFromZero)
}

/// The connector's positions and wallet equal the simulator's ledger, figure by figure;
/// `render` is how the venue writes a PnL or wallet figure.
pub(crate) async fn assert_matches(
    v: &dyn Venue,
    mock: &dyn PerpHandle,
    render: fn(Decimal) -> Decimal,
) {
    let ours = v.positions(None).await.unwrap();
    let theirs = mock.position_risks();
    assert_eq!(ours.len(), theirs.len(), "{ours:#?} vs {theirs:#?}");
    for t in &theirs {
        let side = match t.side {
            PosSide::Both => PositionSide::Net,
            PosSide::Long => PositionSide::Long,
            PosSide::Short => PositionSide::Short,
        };
        let o = ours
            .iter()
            .find(|o| o.position_side == side)
            .unwrap_or_else(|| panic!("no {side:?} position in {ours:#?}"));
        let mode = match t.mode {
            SimMode::Cross => MarginMode::Cross,
            SimMode::Isolated => MarginMode::Isolated,
        };
        assert_eq!(o.size, t.size, "size of {t:?}");
        assert_eq!(o.entry_price, Some(t.entry), "entry of {t:?}");
        assert_eq!(o.mark_price, Some(t.mark), "mark of {t:?}");
        assert_eq!(o.unrealized_pnl, render(t.unrealized), "PnL of {t:?}");
        assert_eq!(o.margin, t.margin, "margin of {t:?}");
        assert_eq!(
            o.leverage,
            Some(Decimal::from(t.leverage)),
            "leverage of {t:?}"
        );
        assert_eq!(o.margin_mode, Some(mode), "margin mode of {t:?}");
        assert_eq!(
            o.liquidation_price, t.liquidation_price,
            "liquidation of {t:?}"
        );
    }
    let balances = v.balances().await.unwrap();
    let usdt = balances
        .iter()
        .find(|b| b.asset.to_string() == "USDT")
        .map_or(Decimal::ZERO, |b| b.total);
    assert_eq!(usdt, render(mock.ledger().wallet(mock.account())));
}

/// Places `steps` one by one, the connector checked against the ledger after each.
pub(crate) async fn trade_and_compare(
    v: &dyn Venue,
    mock: &dyn PerpHandle,
    steps: &[(Side, Decimal, PositionSide)],
    render: fn(Decimal) -> Decimal,
) {
    for &(side, amount, ps) in steps {
        v.submit_perp(taker(v, side, amount, ps)).await.unwrap();
        assert_matches(v, mock, render).await;
    }
}

/// Closes the position on `pair` (the only one) with a close-position order.
pub(crate) async fn close(v: &dyn Venue, pair: &Pair) {
    let p = v.positions(Some(pair)).await.unwrap().remove(0);
    v.submit_perp(PerpOrder::close(&p, v.new_client_id().unwrap()).unwrap())
        .await
        .unwrap();
    assert!(v.positions(None).await.unwrap().is_empty());
}

#[tokio::test]
async fn positions_equal_the_ledger_in_both_modes_isolated_and_cross() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 20, 10, dec!(1)).unwrap();
    let v = venue(&mock);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(100.03))).is_empty());
    v.set_leverage(&pair, 10).await.unwrap();
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();

    // one-way, isolated: open, add, partial reduce, flip
    trade_and_compare(&v, &mock, &ONE_WAY, round8).await;
    let risks = mock.position_risks();
    assert_eq!(risks[0].size, dec!(-1.5));
    assert!(risks[0].liquidation_price.is_some_and(|p| p > dec!(100)));
    assert!(!risks[0].realized.is_zero());
    mock.settle_funding();
    assert_matches(&v, &mock, round8).await;

    // cross: the short's liquidation price is now against the whole wallet
    v.set_margin_mode(&pair, MarginMode::Cross).await.unwrap();
    assert_matches(&v, &mock, round8).await;
    close(&v, &pair).await;

    // hedge, cross then isolated: a long and a short held apart
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(99.5))).is_empty());
    trade_and_compare(&v, &mock, &HEDGE, round8).await;
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    assert_matches(&v, &mock, round8).await;
    assert_eq!(mock.position_risks().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mark_past_the_liquidation_price_liquidates_an_isolated_long() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 20, 10, dec!(1)).unwrap();
    let v = venue(&mock);
    v.set_reconcile_interval(Duration::from_secs(3600));
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut rx = v.events();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    wait_for("the user stream", || mock.user_connections() == 1).await;
    v.set_leverage(&pair, 10).await.unwrap();
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    let ours = taker(&v, Side::Buy, dec!(2), PositionSide::Net);
    let id = ours.order.client_id.clone();
    v.submit_perp(ours).await.unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(95))).is_empty());
    assert_matches(&v, &mock, round8).await;
    let before = mock.position_risks().remove(0);
    let lp = before.liquidation_price.unwrap();
    let bankruptcy = before.bankruptcy_price.unwrap();
    assert!(bankruptcy < lp && lp < dec!(95));

    // just above: nothing; at it: closed at the bankruptcy price, the isolated wallet lost
    assert!(mock.set_mark(SYMBOL, mark(lp + dec!(0.01))).is_empty());
    let liq = mock.set_mark(SYMBOL, mark(lp));
    assert_eq!(liq.len(), 1);
    assert_eq!((liq[0].size, liq[0].price), (dec!(2), bankruptcy));
    assert_eq!(liq[0].pnl, -before.margin);
    assert!(v.positions(None).await.unwrap().is_empty());
    assert_matches(&v, &mock, round8).await;

    // the stream: the position gone and the wallet reduced; the venue's autoclose- order is
    // neither a fill nor an order of ours
    let wallet = round8(mock.ledger().wallet(mock.account()));
    let (mut flat, mut balance, mut fills) = (false, None, 0);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !(flat && balance == Some(wallet)) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no liquidation on the stream"
        );
        match tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            Ok(Some(VenueEvent::Position(p))) => flat = p.size.is_zero(),
            Ok(Some(VenueEvent::Balance(b))) if b.asset.to_string() == "USDT" => {
                balance = Some(b.total)
            }
            Ok(Some(VenueEvent::Fill(f))) => {
                assert_eq!(
                    f.client_id.as_ref(),
                    Some(&id),
                    "a fill not of our order: {f:?}"
                );
                fills += 1;
            }
            _ => {}
        }
    }
    assert!(fills <= 2, "{fills} fills of one order on two levels");
    let tracked = v.tracked(&id).unwrap();
    assert_eq!(
        (tracked.state, tracked.filled),
        (OrderState::Filled, dec!(2))
    );
}

#[tokio::test]
async fn a_cross_position_is_liquidated_against_the_whole_wallet() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 20, 1, dec!(100)).unwrap();
    let v = venue(&mock);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    v.set_leverage(&pair, 20).await.unwrap();
    v.submit_perp(taker(&v, Side::Buy, dec!(1000), PositionSide::Net))
        .await
        .unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(100))).is_empty());
    assert_matches(&v, &mock, round8).await;
    let before = mock.position_risks().remove(0);
    // a notional of 100,000 is in the second bracket (0.5%, cum 50)
    assert_eq!(
        before.maintenance,
        before.size * dec!(100) * dec!(0.005) - dec!(50)
    );
    let lp = before.liquidation_price.unwrap();
    assert!(lp > dec!(89) && lp < dec!(92), "{lp}");
    let liq = mock.set_mark(SYMBOL, mark(lp - dec!(0.5)));
    assert_eq!(liq.len(), 1);
    assert_eq!(Some(liq[0].price), before.bankruptcy_price);
    assert!(v.positions(None).await.unwrap().is_empty());
    assert_matches(&v, &mock, round8).await;
    // the cross wallet is spent: what is left is below one fee's worth
    let wallet = mock.ledger().wallet(mock.account());
    assert!(wallet.abs() < dec!(1), "{wallet}");
}
