//! `binance_perpetual`'s private stream against the simulated futures exchange: the listenKey
//! stream carries `ORDER_TRADE_UPDATE` (order states and fills with fees and trade ids),
//! `ACCOUNT_UPDATE` (balances, positions, and funding read back once with its `tranId`); a stream
//! outage is reconciled by polling with every fill and funding payment counted once; an expired
//! key is replaced and the stream resumes.

use std::collections::HashSet;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::binance_perpetual::BinancePerpetual;
use sluice::core::{
    ClientOrderId, OrderRequest, OrderState, OrderType, Pair, PerpOrder, Side, TimeInForce,
};
use sluice_sim::exchange::dialects::binance_perpetual::{MarkState, MockBinancePerp};

use crate::binance_orders::wait_for;
use crate::cex_support::perp::PerpEvents;

fn venue(mock: &MockBinancePerp) -> BinancePerpetual {
    crate::binance_perpetual_positions::venue(mock, mock.api_secret())
}

fn order(v: &BinancePerpetual, side: Side, amount: Decimal, price: Option<Decimal>) -> PerpOrder {
    PerpOrder::plain(OrderRequest {
        client_id: v.new_client_id().unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side,
        order_type: if price.is_some() {
            OrderType::Limit
        } else {
            OrderType::Market
        },
        amount,
        price,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    })
}

fn state(v: &BinancePerpetual, id: &ClientOrderId) -> Option<(OrderState, Decimal)> {
    v.tracked(id).map(|o| (o.state, o.filled))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_stream_carries_fills_positions_and_funding_and_survives_outages() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let v = venue(&mock);
    // polling only when the test says: the stream must carry what is seen before an outage
    v.set_reconcile_interval(Duration::from_secs(3600));
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut rx = v.events();
    v.start(std::slice::from_ref(&pair)).await.unwrap();
    wait_for("the user stream", || mock.user_connections() == 1).await;
    assert_eq!(mock.listen_key_counts().created, 1);
    let mut seen = PerpEvents::default();

    // a market buy: its fills (with fees) and the position arrive on the stream
    let id = v
        .submit_perp(order(&v, Side::Buy, dec!(2.5), None))
        .await
        .unwrap();
    seen.until(&mut rx, "the buy's fills and position", |s| {
        s.fills.len() >= 3 && s.position == Some(dec!(2.5))
    })
    .await;
    wait_for("the buy filled", || {
        state(&v, &id) == Some((OrderState::Filled, dec!(2.5)))
    })
    .await;
    let trades: usize = mock.positions().len();
    assert_eq!(trades, 1);

    // funding: the account update names no payment; it is read back with its tranId, once
    mock.set_mark(
        "BTCUSDT",
        MarkState {
            mark: dec!(101),
            index: dec!(101),
            funding_rate: dec!(0.0001),
        },
    );
    let booked = mock.settle_funding();
    assert_eq!(booked.len(), 1);
    seen.until(&mut rx, "the funding payment", |s| s.funding.len() == 1)
        .await;
    assert_eq!(seen.funding[&booked[0].3.to_string()], dec!(-0.02525));

    // an outage: a resting order fills and funding settles while the stream is down
    let rest_id = v
        .submit_perp(order(&v, Side::Sell, dec!(1), Some(dec!(101))))
        .await
        .unwrap();
    wait_for("the sell resting", || {
        state(&v, &rest_id) == Some((OrderState::Open, dec!(0)))
    })
    .await;
    let oid: u64 = v
        .tracked(&rest_id)
        .unwrap()
        .venue_order_id
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(mock.fill_order_while_user_streams_down(oid, None), dec!(1));
    let missed = mock.settle_funding();
    assert_eq!(missed.len(), 1);
    mock.set_user_streams_down(false);
    // the reconnect reconciles: the order's fill and the missed payment, each once
    seen.until(&mut rx, "the outage reconciled", |s| {
        s.resynced >= 1 && s.funding.len() == 2
    })
    .await;
    wait_for("the sell filled", || {
        state(&v, &rest_id) == Some((OrderState::Filled, dec!(1)))
    })
    .await;
    seen.until(&mut rx, "the sell's fill", |s| s.fills.len() >= 4)
        .await;

    // an expired key: a new one, and the stream carries the next order
    mock.expire_listen_keys();
    wait_for("a new listenKey", || mock.listen_key_counts().created == 2).await;
    wait_for("the stream back", || mock.user_connections() == 1).await;
    let before = seen.fills.len();
    v.submit_perp(order(&v, Side::Sell, dec!(0.5), None))
        .await
        .unwrap();
    seen.until(&mut rx, "the last fill", |s| {
        s.fills.len() > before && s.position == Some(dec!(1))
    })
    .await;

    // everything counted once equals the simulator's books
    let theirs: HashSet<String> = mock
        .funding_records()
        .iter()
        .map(|r| r.3.to_string())
        .collect();
    let ours: HashSet<String> = seen.funding.keys().cloned().collect();
    assert_eq!(ours, theirs);
    let fees = seen.fees();
    let sim = mock.positions();
    assert_eq!(sim[0].2, dec!(1));
    assert_eq!(fees, sim[0].5);
    let funding: Decimal = seen.funding.values().sum();
    let wallet = dec!(10000) + sim[0].4 - sim[0].5 + funding;
    seen.until(&mut rx, "the wallet", |s| s.wallet == Some(wallet))
        .await;
    v.close();
}
