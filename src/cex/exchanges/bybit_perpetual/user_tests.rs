//! The private stream's auth and frames: the signature over fixed inputs, each topic's
//! documented shape, and hostile frames.

use rust_decimal_macros::dec;

use super::*;
use crate::cex::auth::ApiCredentials;
use crate::cex::exchanges::bybit_perpetual::bybit_signer;
use crate::cex::exchanges::bybit_perpetual::user::{
    TOPICS, auth_message, auth_signature, auth_text, subscribe_message,
};
use crate::cex::venue::Market;
use crate::core::{MarginMode, MarketRules, PositionSide};

fn markets() -> Markets {
    let rules = MarketRules {
        pair: "BTC-USDT".parse().unwrap(),
        venue_symbol: "BTCUSDT".into(),
        tick_size: Decimal::new(1, 1),
        step_size: Decimal::new(1, 3),
        min_size: Decimal::new(1, 3),
        max_size: None,
        min_notional: Decimal::ONE,
        maker_fee: Decimal::new(2, 4),
        taker_fee: Decimal::new(55, 5),
    };
    Markets::new(vec![Market::new(rules).unwrap()])
}

fn parse(frame: &str) -> UserEvent {
    parse_frame(frame.as_bytes(), &markets()).unwrap()
}

fn order_of(frame: &str) -> OrderUpdate {
    match parse(frame) {
        UserEvent::Order(u) => *u,
        other => panic!("not an order update: {other:?}"),
    }
}

fn account_of(frame: &str) -> AccountUpdate {
    match parse(frame) {
        UserEvent::Account(a) => *a,
        other => panic!("not an account update: {other:?}"),
    }
}

/// The auth's signature over fixed inputs: hex HMAC-SHA256("YYYYYYYYYY",
/// "GET/realtime1662350400000"), computed independently (Python's `hmac`).
#[test]
fn the_auth_signs_get_realtime_and_expires() {
    let creds = ApiCredentials::new("XXXXXXXXXX", "YYYYYYYYYY").unwrap();
    let signer = bybit_signer(&creds, 5000).unwrap();
    assert_eq!(auth_text(1_662_350_400_000), "GET/realtime1662350400000");
    let want = "9c4c0629fddfee26ca0da50a7fed51968fce6935d34b02e772d3bd0c34327bd1";
    assert_eq!(auth_signature(&signer, 1_662_350_400_000).unwrap(), want);
    let msg: serde_json::Value =
        serde_json::from_str(&auth_message(&signer, 1_662_350_400_000).unwrap()).unwrap();
    assert_eq!(
        msg,
        serde_json::json!({"op": "auth", "args": ["XXXXXXXXXX", 1_662_350_400_000u64, want]})
    );
    let sub: serde_json::Value = serde_json::from_str(&subscribe_message()).unwrap();
    assert_eq!(
        sub,
        serde_json::json!({"op": "subscribe", "args": TOPICS.to_vec()})
    );
}

#[test]
fn an_order_push_is_the_order_state_by_order_link_id() {
    let u = order_of(
        r#"{"id":"5923240c6880ab-c59f-420b-9adb-3639adc9dd90","topic":"order","creationTime":1672364262474,
        "data":[{"symbol":"BTCUSDT","orderId":"5cf98598-39a7-459e-97bf-76ca765ee020","side":"Sell",
        "orderType":"Limit","cancelType":"UNKNOWN","price":"30000","qty":"0.5","timeInForce":"GTC",
        "orderStatus":"PartiallyFilled","orderLinkId":"sluice-7","reduceOnly":false,"leavesQty":"0.3",
        "cumExecQty":"0.2","cumExecValue":"6000","avgPrice":"30000","positionIdx":0,"cumExecFee":"3.3",
        "createdTime":"1672364262444","updatedTime":"1672364262457","rejectReason":"EC_NoError",
        "category":"linear","feeCurrency":""}]}"#,
    );
    assert_eq!(u.client_id.as_str(), "sluice-7");
    assert_eq!(u.venue_order_id, "5cf98598-39a7-459e-97bf-76ca765ee020");
    assert_eq!(u.state, OrderState::PartiallyFilled);
    assert_eq!(u.cumulative_filled, dec!(0.2));
    assert_eq!((u.fill, u.reason), (None, None));
    let rejected = order_of(
        r#"{"topic":"order","data":[{"symbol":"BTCUSDT","orderId":"1","side":"Buy","orderType":"Limit",
        "price":"1","qty":"1","orderStatus":"Rejected","orderLinkId":"sluice-8","cumExecQty":"0",
        "rejectReason":"EC_PostOnlyWillTakeLiquidity","category":"linear"}]}"#,
    );
    assert_eq!(rejected.state, OrderState::Failed);
    assert_eq!(
        rejected.reason.as_deref(),
        Some("EC_PostOnlyWillTakeLiquidity")
    );
}

#[test]
fn a_trade_execution_is_a_fill_keyed_like_the_rest_one() {
    let u = order_of(
        r#"{"id":"592324803b2785-26fa-4214-9963-bdd4727f07be","topic":"execution","creationTime":1672364174455,
        "data":[{"category":"linear","symbol":"BTCUSDT","execFee":"0.005061","execId":"7e2ae69c-4edf-5800-a352-893d52b446aa",
        "execPrice":"30000","execQty":"0.2","execType":"Trade","execValue":"6000","isMaker":false,
        "feeRate":"0.00055","markPrice":"30010","leavesQty":"0.3","orderId":"f6e324ff","orderLinkId":"sluice-7",
        "orderPrice":"30000","orderQty":"0.5","orderType":"Limit","side":"Sell","execTime":"1672364174443",
        "closedSize":"","seq":4688002127}]}"#,
    );
    assert_eq!(u.state, OrderState::PartiallyFilled);
    assert_eq!(u.cumulative_filled, dec!(0.2));
    let f = u.fill.unwrap();
    assert_eq!(f.trade_id, "BTC-USDT:7e2ae69c-4edf-5800-a352-893d52b446aa");
    assert_eq!((f.amount, f.price), (dec!(0.2), dec!(30000)));
    assert_eq!(f.fee_amount, dec!(0.005061));
    assert_eq!(f.fee_asset.to_string(), "USDT");
    assert_eq!(f.venue_order_id.as_deref(), Some("f6e324ff"));
    assert_eq!(f.timestamp_ms, 1_672_364_174_443);
    assert!(!f.is_maker);
    // the last execution leaves nothing: filled; a named fee coin is kept
    let last = order_of(
        r#"{"topic":"execution","data":[{"category":"linear","symbol":"BTCUSDT","execFee":"0.1",
        "execId":"e2","execPrice":"30000","execQty":"0.3","execType":"Trade","isMaker":true,
        "leavesQty":"0","orderId":"f6e324ff","orderLinkId":"sluice-7","orderQty":"0.5","side":"Sell",
        "execTime":"1672364174500","feeCurrency":"USDC"}]}"#,
    );
    assert_eq!(
        (last.state, last.cumulative_filled),
        (OrderState::Filled, dec!(0.5))
    );
    assert_eq!(last.fill.unwrap().fee_asset.to_string(), "USDC");
}

#[test]
fn a_funding_execution_asks_for_the_settlements_and_others_are_skipped() {
    let a = account_of(
        r#"{"topic":"execution","data":[{"category":"linear","symbol":"BTCUSDT","execFee":"0.3",
        "execId":"f1","execPrice":"30000","execQty":"0.5","execType":"Funding","isMaker":false,
        "orderId":"","orderLinkId":"","side":"Sell","execTime":"1672387200000"}]}"#,
    );
    assert_eq!(a.funding_at_ms, Some(1_672_387_200_000));
    assert!(a.events.is_empty(), "the payment is read with its id");
    for other in [
        // a liquidation's trade, and a spot order's on the same symbol
        r#"{"topic":"execution","data":[{"category":"linear","symbol":"BTCUSDT","execFee":"0","execId":"b1","execPrice":"1","execQty":"1","execType":"BustTrade","isMaker":false,"orderId":"x","side":"Sell","execTime":"1"}]}"#,
        r#"{"topic":"execution","data":[{"category":"spot","symbol":"BTCUSDT","execFee":"0","execId":"s1","execPrice":"1","execQty":"1","execType":"Trade","isMaker":false,"orderId":"x","orderLinkId":"sluice-9","side":"Buy","execTime":"1"}]}"#,
        r#"{"topic":"order","data":[{"category":"spot","symbol":"BTCUSDT","orderId":"x","side":"Buy","orderType":"Limit","qty":"1","orderStatus":"New","orderLinkId":"sluice-9"}]}"#,
        r#"{"topic":"order","data":[{"category":"linear","symbol":"BTCUSDT","orderId":"x","side":"Buy","orderType":"Limit","qty":"1","orderStatus":"New","orderLinkId":""}]}"#,
        r#"{"topic":"greeks","data":[{"baseCoin":"ETH"}]}"#,
        r#"{"success":true,"ret_msg":"","op":"auth","conn_id":"c1"}"#,
        r#"{"req_id":"","op":"pong","args":["1675418560633"],"conn_id":"c1"}"#,
        r#"{"topic":"order","data":[]}"#,
    ] {
        assert_eq!(parse(other), UserEvent::Ignored, "{other}");
    }
    assert_eq!(
        parse(
            r#"{"topic":"order","data":[{"category":"linear","symbol":"XYZUSDT","orderId":"x","side":"Buy","orderType":"Limit","qty":"1","orderStatus":"New","orderLinkId":"sluice-9"}]}"#
        ),
        UserEvent::UnknownSymbol("XYZUSDT".into())
    );
}

#[test]
fn position_pushes_are_positions_of_known_linear_symbols() {
    let a = account_of(
        r#"{"id":"1003076014fb7eedb-c7e6-45d6-a8c1-270f0169171a","topic":"position","creationTime":1697682317044,
        "data":[{"positionIdx":2,"tradeMode":0,"riskId":1,"riskLimitValue":"2000000","symbol":"BTCUSDT",
        "side":"Sell","size":"0.5","entryPrice":"30000","leverage":"10","positionValue":"15100",
        "positionBalance":"0","markPrice":"30200","positionIM":"1510","positionMM":"75.5",
        "takeProfit":"0","stopLoss":"0","trailingStop":"0","unrealisedPnl":"-100","cumRealisedPnl":"-3.3",
        "createdTime":"1672121182216","updatedTime":"1672364174449","tpslMode":"Full","liqPrice":"32900.5",
        "bustPrice":"","category":"linear","positionStatus":"Normal","adlRankIndicator":2,
        "autoAddMargin":0,"seq":8172241024,"isReduceOnly":false},
        {"positionIdx":0,"tradeMode":0,"symbol":"ETHUSDT","side":"Buy","size":"1","entryPrice":"2000","category":"linear"},
        {"positionIdx":0,"tradeMode":0,"symbol":"BTCUSD","side":"Buy","size":"1","entryPrice":"2000","category":"inverse"}]}"#,
    );
    assert_eq!(
        a.events.len(),
        1,
        "unknown symbols and other categories left out"
    );
    let VenueEvent::Position(p) = &a.events[0] else {
        panic!("not a position");
    };
    assert_eq!(p.size, dec!(-0.5));
    assert_eq!(p.position_side, PositionSide::Short);
    assert_eq!(p.entry_price, Some(dec!(30000)));
    assert_eq!(p.mark_price, Some(dec!(30200)));
    assert_eq!(p.margin, dec!(1510));
    assert_eq!(p.unrealized_pnl, dec!(-100));
    assert_eq!(p.liquidation_price, Some(dec!(32900.5)));
    assert_eq!(p.margin_mode, Some(MarginMode::Cross));
}

#[test]
fn a_wallet_push_is_the_balances() {
    let UserEvent::Balances(b) = parse(
        r#"{"id":"592324d2bce751-ad38-48eb-8f42-4671d1fb4d4e","topic":"wallet","creationTime":1700034722104,
        "data":[{"accountIMRate":"0","accountMMRate":"0","totalEquity":"10262.9","totalWalletBalance":"9684.4",
        "totalMarginBalance":"9684.4","totalAvailableBalance":"9556.6","totalPerpUPL":"0",
        "totalInitialMargin":"0","totalMaintenanceMargin":"0","coin":[{"coin":"USDT","equity":"9684.4",
        "usdValue":"9684.4","walletBalance":"9684.4","availableToWithdraw":"9556.6","availableToBorrow":"",
        "borrowAmount":"0","accruedInterest":"0","totalOrderIM":"0","totalPositionIM":"127.8",
        "totalPositionMM":"0","unrealisedPnl":"0","cumRealisedPnl":"-315.6","bonus":"0",
        "collateralSwitch":true,"marginCollateral":true,"locked":"0","spotHedgingQty":"0"}],
        "accountLTV":"0","accountType":"UNIFIED"}]}"#,
    ) else {
        panic!("not balances");
    };
    assert_eq!(b.len(), 1);
    assert_eq!(b[0].asset.to_string(), "USDT");
    assert_eq!((b[0].total, b[0].available), (dec!(9684.4), dec!(9556.6)));
}

#[test]
fn hostile_frames_are_typed_errors() {
    let m = markets();
    let order = |status: &str, link: &str, qty: &str| {
        format!(
            r#"{{"topic":"order","data":[{{"category":"linear","symbol":"BTCUSDT","orderId":"1","side":"Buy","orderType":"Limit","qty":"{qty}","orderStatus":"{status}","orderLinkId":"{link}","cumExecQty":"0"}}]}}"#
        )
    };
    let exec = |qty: &str, fee: &str| {
        format!(
            r#"{{"topic":"execution","data":[{{"category":"linear","symbol":"BTCUSDT","execFee":"{fee}","execId":"e","execPrice":"1","execQty":"{qty}","execType":"Trade","isMaker":false,"orderId":"1","orderLinkId":"sluice-1","side":"Buy","execTime":"1"}}]}}"#
        )
    };
    let bad: Vec<String> = vec![
        "<html><body>502 Bad Gateway</body></html>".into(),
        r#"{"topic":"execution","data":[{"category":"linear","symbol":"BTCU"#.into(),
        "".into(),
        r#"{"topic":"order"}"#.into(),
        r#"{"topic":"order","data":{"symbol":"BTCUSDT"}}"#.into(),
        r#"{"hello":"world"}"#.into(),
        order("Weird", "sluice-1", "1"),
        order("New", "a b", "1"),
        order("New", "sluice-1", "1e999"),
        order("New", "sluice-1", "123456789012345678901234567890123"),
        exec("0", "0.1"),
        exec("-1", "0.1"),
        exec("1", "99999999999999999999999999999999999"),
        exec("x", "0.1"),
        // two items in one frame: the relay splits them, so this is no frame of Bybit's
        format!(
            r#"{{"topic":"order","data":[{0},{0}]}}"#,
            r#"{"symbol":"BTCUSDT","orderId":"1","side":"Buy","orderType":"Limit","qty":"1","orderStatus":"New","orderLinkId":"a"}"#
        ),
        r#"{"topic":"position","data":[{"positionIdx":9,"symbol":"BTCUSDT","side":"Buy","size":"1"}]}"#.into(),
        r#"{"topic":"position","data":[{"positionIdx":0,"symbol":"BTCUSDT","side":"Up","size":"1"}]}"#.into(),
        r#"{"topic":"wallet","data":[{"coin":[{"coin":"USDT","walletBalance":""}]}]}"#.into(),
    ];
    for frame in &bad {
        assert!(
            parse_frame(frame.as_bytes(), &m).is_err(),
            "accepted: {frame}"
        );
    }
}
