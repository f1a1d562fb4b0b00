//! Funding at `binance_perpetual` against the simulated futures exchange: the simulator settles
//! each position at the mark and the rate at every funding time (its clock advanced past one, or
//! on demand), and `Venue::funding_payments` reads them back from `GET /fapi/v1/income`, each
//! once with its `tranId`, in both position modes; the wallet balance moves by their sum.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::binance_perpetual::BinancePerpetual;
use sluice::core::TimeInForce;
use sluice::core::{OrderRequest, OrderType, Pair, PerpOrder, PositionMode, PositionSide, Side};
use sluice_sim::exchange::dialects::binance_perpetual::{
    FUNDING_INTERVAL_MS, MarkState, MockBinancePerp,
};

fn venue(mock: &MockBinancePerp) -> BinancePerpetual {
    crate::binance_perpetual_positions::venue(mock, mock.api_secret())
}

async fn market(v: &BinancePerpetual, side: Side, amount: Decimal, ps: PositionSide) {
    let order = OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side,
        order_type: OrderType::Market,
        amount,
        price: None,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    };
    let o = PerpOrder {
        position_side: ps,
        ..PerpOrder::plain(order)
    };
    v.submit_perp(o).await.unwrap();
}

fn mark(mock: &MockBinancePerp, price: Decimal, rate: Decimal) {
    mock.set_mark(
        "BTCUSDT",
        MarkState {
            mark: price,
            index: price,
            funding_rate: rate,
        },
    );
}

#[tokio::test]
async fn funding_settles_each_interval_and_is_read_back_once() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let v = venue(&mock);
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let usdt = |b: Vec<sluice::core::Balance>| b[0].total;

    // one-way: long 2 at a positive rate pays 2 × 104 × 0.0001
    market(&v, Side::Buy, dec!(2), PositionSide::Net).await;
    let before = usdt(v.balances().await.unwrap());
    mark(&mock, dec!(104), dec!(0.0001));
    assert!(v.funding_payments(None, 0).await.unwrap().is_empty());
    // the clock crosses one funding time: the next request settles it
    mock.set_clock_offset_ms(i64::try_from(FUNDING_INTERVAL_MS).unwrap());
    v.sync_clock().await.unwrap();
    let paid = v.funding_payments(Some(&pair), 0).await.unwrap();
    assert_eq!(paid.len(), 1, "{paid:?}");
    assert_eq!(paid[0].amount, dec!(-0.0208));
    assert_eq!(paid[0].pair, pair);
    assert_eq!(paid[0].asset.to_string(), "USDT");
    assert_eq!(paid[0].id, mock.funding_records()[0].3.to_string());
    assert_eq!(paid[0].time_ms % FUNDING_INTERVAL_MS, 0);
    assert_eq!(usdt(v.balances().await.unwrap()), before + dec!(-0.0208));
    // no second settlement within the same interval
    assert_eq!(v.funding_payments(None, 0).await.unwrap().len(), 1);

    // hedge mode: a long 1.5 and a short 1 at a negative rate, settled on demand
    market(&v, Side::Sell, dec!(2), PositionSide::Net).await;
    v.set_position_mode(PositionMode::Hedge).await.unwrap();
    market(&v, Side::Buy, dec!(1.5), PositionSide::Long).await;
    market(&v, Side::Sell, dec!(1), PositionSide::Short).await;
    mark(&mock, dec!(100), dec!(-0.0003));
    let booked = mock.settle_funding();
    assert_eq!(booked.len(), 2, "{booked:?}");
    let all = v.funding_payments(None, 0).await.unwrap();
    assert_eq!(all.len(), 3);
    let theirs: Vec<(String, Decimal)> = mock
        .funding_records()
        .iter()
        .map(|r| (r.3.to_string(), r.2))
        .collect();
    let ours: Vec<(String, Decimal)> = all.iter().map(|p| (p.id.clone(), p.amount)).collect();
    assert_eq!(ours, theirs);
    // the long receives 1.5 × 100 × 0.0003, the short pays 1 × 100 × 0.0003
    let mut amounts: Vec<Decimal> = all[1..].iter().map(|p| p.amount).collect();
    amounts.sort();
    assert_eq!(amounts, vec![dec!(-0.03), dec!(0.045)]);
    // since a time after the first settlement: only the later ones
    let later = v.funding_payments(None, all[0].time_ms + 1).await.unwrap();
    assert_eq!(later.len(), 2);
    // the wallet is the deposit plus realized PnL, fees and funding as the simulator keeps them
    let realized: Decimal = mock.positions().iter().map(|p| p.4 - p.5).sum();
    let funding: Decimal = theirs.iter().map(|t| t.1).sum();
    assert_eq!(
        usdt(v.balances().await.unwrap()),
        dec!(10000) + realized + funding
    );
}
