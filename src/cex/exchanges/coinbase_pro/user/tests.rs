use super::*;
use crate::cex::grid::Grid;
use crate::cex::venue::Market;
use crate::core::{ClientOrderId, MarketRules};
use rust_decimal_macros::dec;

fn markets() -> Markets {
    let mut r = MarketRules::unrestricted("BTC-USD".parse().unwrap(), "BTC-USD", dec!(0.006));
    r.tick_size = dec!(0.01);
    r.step_size = dec!(0.0001);
    Markets::new(vec![Market {
        price: Grid::new(r.tick_size).unwrap(),
        size: Grid::new(r.step_size).unwrap(),
        rules: r,
    }])
}

#[test]
fn user_messages_become_events() {
    let (m, ids) = (markets(), OrderIds::default());
    let id = ClientOrderId::new("sl1").unwrap();
    let oid = api::client_oid(&id).unwrap();
    let received = format!(
        r#"{{"type":"received","time":"2014-11-07T08:19:27.028459Z","product_id":"BTC-USD","sequence":10,
            "order_id":"d50ec984-77a8-460a-b958-66f114b0de9b","size":"1.34","price":"502.1","side":"buy",
            "order_type":"limit","client_oid":"{oid}","user_id":"u","profile_id":"p"}}"#
    );
    match parse_frame(received.as_bytes(), &m, &ids).unwrap() {
        UserEvent::Order(u) => {
            assert_eq!((u.client_id.as_str(), u.state), ("sl1", OrderState::Open))
        }
        other => panic!("{other:?}"),
    }
    let matched = br#"{"type":"match","trade_id":10,"sequence":50,"maker_order_id":"ac928c66-ca53-498f-9c13-a110027a60e8",
        "taker_order_id":"d50ec984-77a8-460a-b958-66f114b0de9b","time":"2014-11-07T08:19:27.028459Z",
        "product_id":"BTC-USD","size":"0.5","price":"400.23","side":"sell","taker_user_id":"u",
        "taker_profile_id":"p","taker_fee_rate":"0.005"}"#;
    match parse_frame(matched, &m, &ids).unwrap() {
        UserEvent::Order(u) => {
            let f = u.fill.unwrap();
            assert_eq!(f.trade_id, "BTC-USD:10");
            assert_eq!(
                (f.side, f.amount, f.is_maker),
                (Side::Buy, dec!(0.5), false)
            );
            assert_eq!(f.fee_amount, dec!(1.000575));
            assert_eq!(f.fee_asset.as_str(), "USD");
        }
        other => panic!("{other:?}"),
    }
    let done = br#"{"type":"done","time":"2014-11-07T08:19:27.028459Z","product_id":"BTC-USD","sequence":10,
        "price":"200.2","order_id":"d50ec984-77a8-460a-b958-66f114b0de9b","reason":"filled","side":"buy",
        "remaining_size":"0"}"#;
    match parse_frame(done, &m, &ids).unwrap() {
        UserEvent::Order(u) => assert_eq!(
            (u.state, u.cumulative_filled),
            (OrderState::Filled, dec!(1.34))
        ),
        other => panic!("{other:?}"),
    }
    let bal = br#"{"type":"balance","account_id":"d50ec984","currency":"USD","holds":"1000.23","available":"102030.99","updated":"2023-10-10T20:42:27.265Z","timestamp":"2023-10-10T20:42:29.265Z"}"#;
    assert!(
        matches!(parse_frame(bal, &m, &ids).unwrap(), UserEvent::Balances(b) if b[0].total == dec!(103031.22))
    );
    // an order this process never heard of, another product, hostile input
    let other = br#"{"type":"open","product_id":"BTC-USD","order_id":"zzz","remaining_size":"1","side":"buy"}"#;
    assert_eq!(parse_frame(other, &m, &ids).unwrap(), UserEvent::Ignored);
    let foreign = br#"{"type":"open","product_id":"ETH-USD","order_id":"d50ec984-77a8-460a-b958-66f114b0de9b","remaining_size":"1"}"#;
    assert!(
        matches!(parse_frame(foreign, &m, &ids).unwrap(), UserEvent::UnknownSymbol(s) if s == "ETH-USD")
    );
    assert!(parse_frame(b"<html>", &m, &ids).is_err());
    assert!(parse_frame(br#"{"type":"done","product_id":"BTC-USD"}"#, &m, &ids).is_err());
    assert!(
        parse_frame(
            br#"{"type":"balance","currency":"USD","available":"1e400"}"#,
            &m,
            &ids
        )
        .is_err()
    );
    assert_eq!(
        parse_frame(br#"{"type":"subscriptions","channels":[]}"#, &m, &ids).unwrap(),
        UserEvent::Ignored
    );
}
