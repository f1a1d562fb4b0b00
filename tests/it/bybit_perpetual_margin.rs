//! `bybit_perpetual` against the simulator's perpetual ledger: after open, add, partial reduce
//! and flip in one-way and hedge mode, isolated and cross, the connector's positions — size,
//! side, entry, mark, unrealized PnL, margin (`positionIM`), leverage, margin mode and `liqPrice`
//! — and wallet equal the ledger's exactly; a mark past the liquidation price liquidates at the
//! bankruptcy price (Bybit's isolated formula, and cross), and afterwards the connector sees the
//! position gone, the wallet reduced, and its own order untouched by the venue's bust trade.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::auth::ApiCredentials;
use sluice::cex::exchanges::bybit_perpetual::{BybitPerpConfig, BybitPerpetual};
use sluice::core::{MarginMode, OrderState, Pair, PositionMode, PositionSide, Side};
use sluice_sim::exchange::dialects::bybit_perpetual::{MockBybitPerp, PerpHandle};

use crate::binance_perpetual_margin::{
    HEDGE, ONE_WAY, assert_matches, close, mark, round8, taker, trade_and_compare,
};

/// Bybit writes its figures as they are.
fn same(d: Decimal) -> Decimal {
    d
}

const SYMBOL: &str = "BTCUSDT";

fn connect(mock: &MockBybitPerp) -> BybitPerpetual {
    let credentials = ApiCredentials::new(mock.api_key(), mock.api_secret()).unwrap();
    let cfg = BybitPerpConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..BybitPerpConfig::default()
    };
    BybitPerpetual::new(cfg, Some(credentials)).unwrap()
}

#[tokio::test]
async fn positions_equal_the_ledger_in_both_modes_isolated_and_cross() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 20, 10, dec!(1)).unwrap();
    let v = connect(&mock);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(99.97))).is_empty());
    v.set_leverage(&pair, 8).await.unwrap();
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    trade_and_compare(&v, &mock, &ONE_WAY, same).await;
    let short = mock.position_risks().remove(0);
    assert_eq!(short.size, dec!(-1.5));
    // Bybit's isolated form: entry × (1 + 1/leverage − MMR)
    let documented = short.entry * (dec!(1) + dec!(0.125) - dec!(0.005));
    assert_eq!(short.liquidation_price, Some(round8(documented)));
    mock.settle_funding(SYMBOL);
    assert_matches(&v, &mock, same).await;

    v.set_margin_mode(&pair, MarginMode::Cross).await.unwrap();
    assert_matches(&v, &mock, same).await;
    close(&v, &pair).await;
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
    trade_and_compare(&v, &mock, &HEDGE, same).await;
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();
    assert_matches(&v, &mock, same).await;
    assert_eq!(mock.position_risks().len(), 2);
}

#[tokio::test]
async fn a_mark_past_the_liquidation_price_liquidates_isolated_then_cross() {
    let mock = MockBybitPerp::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 20, 1, dec!(100)).unwrap();
    let v = connect(&mock);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(100))).is_empty());
    v.set_leverage(&pair, 20).await.unwrap();
    v.set_margin_mode(&pair, MarginMode::Isolated)
        .await
        .unwrap();

    // an isolated short of 10 at 20x: liquidated at entry × (1 + 1/20 − 0.5%), closed at
    // entry × (1 + 1/20), losing its margin
    let short = taker(&v, Side::Sell, dec!(10), PositionSide::Net);
    let request = short.order.clone();
    v.submit_perp(short).await.unwrap();
    let before = mock.position_risks().remove(0);
    let lp = before.liquidation_price.unwrap();
    assert_eq!(lp, round8(before.entry * dec!(1.045)));
    assert!(mock.set_mark(SYMBOL, mark(lp - dec!(0.01))).is_empty());
    let wallet = mock.wallet();
    let liq = mock.set_mark(SYMBOL, mark(lp));
    assert_eq!(liq.len(), 1);
    assert_eq!(liq[0].price, round8(before.entry * dec!(1.05)));
    assert_eq!(liq[0].pnl, -before.margin);
    assert_eq!(mock.wallet(), wallet - before.margin);
    assert!(v.positions(None).await.unwrap().is_empty());
    assert_matches(&v, &mock, same).await;
    // our order is as it was: filled by its own trades, not the venue's bust trade
    let ours = v.order_status(&request).await.unwrap();
    assert_eq!((ours.state, ours.filled), (OrderState::Filled, dec!(10)));

    // cross: a long of 1,000 at 20x against the whole wallet
    v.set_margin_mode(&pair, MarginMode::Cross).await.unwrap();
    assert!(mock.set_mark(SYMBOL, mark(dec!(100))).is_empty());
    v.submit_perp(taker(&v, Side::Buy, dec!(1000), PositionSide::Net))
        .await
        .unwrap();
    assert_matches(&v, &mock, same).await;
    let before = mock.position_risks().remove(0);
    let lp = before.liquidation_price.unwrap();
    assert!(lp > dec!(90) && lp < dec!(100), "{lp}");
    let liq = mock.set_mark(SYMBOL, mark(lp - dec!(0.1)));
    assert_eq!(liq.len(), 1);
    assert_eq!(Some(liq[0].price), before.bankruptcy_price);
    assert!(v.positions(None).await.unwrap().is_empty());
    assert_matches(&v, &mock, same).await;
    assert!(mock.wallet().abs() < dec!(1), "{}", mock.wallet());
}
