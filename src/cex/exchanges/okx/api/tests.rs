//! Unit tests of the REST messages: instruments to rules, error bodies under HTTP 200, numbers
//! too large for a `Decimal`, order bodies and pushes.

use super::*;
use crate::cex::error::ApiErrorKind;
use rust_decimal_macros::dec;

#[test]
fn instruments_give_rules() {
    let items = decode_data::<Instrument>(
        "instruments",
        br#"{"code":"0","msg":"","data":[
          {"instType":"SPOT","instId":"BTC-USDT","baseCcy":"BTC","quoteCcy":"USDT","tickSz":"0.1",
           "lotSz":"0.00000001","minSz":"0.00001","maxLmtSz":"9999999999","state":"live","newField":1},
          {"instType":"SPOT","instId":"OLD-USDT","baseCcy":"OLD","quoteCcy":"USDT","tickSz":"0.1",
           "lotSz":"1","minSz":"1","state":"suspend"}]}"#,
    )
    .unwrap();
    let r = items[0].rules(dec!(0.0008), dec!(0.001)).unwrap();
    assert_eq!(r.pair.to_string(), "BTC-USDT");
    assert_eq!(
        (r.tick_size, r.step_size, r.min_size, r.min_notional),
        (dec!(0.1), dec!(0.00000001), dec!(0.00001), dec!(0))
    );
    assert_eq!((r.maker_fee, r.taker_fee), (dec!(0.0008), dec!(0.001)));
    assert!(items[1].rules(dec!(0), dec!(0)).is_none());
}

#[test]
fn error_bodies_even_under_200() {
    let body = br#"{"code":"1","msg":"All operations failed","data":[{"clOrdId":"a","ordId":"","sCode":"51008","sMsg":"Order failed. Insufficient USDT balance in account."}]}"#;
    match decode_data::<OrderResult>("order", body) {
        Err(CexError::Api { code, kind, .. }) => {
            assert_eq!((code, kind), (51008, ApiErrorKind::InsufficientBalance))
        }
        other => panic!("{other:?}"),
    }
    let p = OkxProtocol;
    assert_eq!(
        p.parse_error(br#"{"code":"50113","msg":"Invalid Sign","data":[]}"#),
        Some((50113, "Invalid Sign".into()))
    );
    assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
    assert!(matches!(
        decode_data::<Instrument>("instruments", b"{\"code\":\"0\",\"data\":[{\"inst"),
        Err(CexError::Decode { .. })
    ));
    assert_eq!(
        p.parse_server_time(br#"{"code":"0","msg":"","data":[{"ts":"1597026383085"}]}"#),
        Some(1_597_026_383_085)
    );
}

#[test]
fn huge_numbers_are_errors() {
    let body = br#"{"code":"0","data":[{"ccy":"BTC","availBal":"1e999","frozenBal":"0"}]}"#;
    assert!(decode_data::<BalanceDetail>("balance", body).is_err());
    let d = BalanceDetail {
        ccy: "BTC".into(),
        avail_bal: Some(Decimal::MAX),
        frozen_bal: Some(dec!(1)),
    };
    assert!(
        d.to_balance()
            .unwrap_err()
            .to_string()
            .contains("overflows")
    );
    let body = br#"{"code":"0","data":[{"ccy":"BTC","availBal":"99999999999999999999999999999999999","frozenBal":"0"}]}"#;
    assert!(decode_data::<BalanceDetail>("balance", body).is_err());
}

#[test]
fn order_bodies_and_pushes() {
    let o = OrderRequest {
        client_id: ClientOrderId::new("sluiceAb12").unwrap(),
        pair: "BTC-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(0.50),
        price: Some(dec!(100.10)),
        time_in_force: TimeInForce::Ioc,
        deadline: None,
    };
    assert_eq!(
        serde_json::to_string(&PlaceOrder::of(&o, "BTC-USDT")).unwrap(),
        r#"{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"sluiceAb12","side":"buy","ordType":"ioc","sz":"0.5","px":"100.1"}"#
    );
    let m = OrderRequest {
        order_type: OrderType::Market,
        ..o.clone()
    };
    assert_eq!(
        serde_json::to_string(&PlaceOrder::of(&m, "BTC-USDT")).unwrap(),
        r#"{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"sluiceAb12","side":"buy","ordType":"market","sz":"0.5","tgtCcy":"base_ccy"}"#
    );
    let d: OrderDetail = serde_json::from_str(
        r#"{"instId":"BTC-USDT","ordId":"77","clOrdId":"sluiceAb12","px":"100.1","sz":"0.5","ordType":"ioc",
            "side":"buy","state":"partially_filled","accFillSz":"0.2","tradeId":"9","fillPx":"100","fillSz":"0.2",
            "fillFee":"-0.0002","fillFeeCcy":"BTC","fillTime":"5","execType":"T","uTime":"5"}"#,
    )
    .unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let f = d.fill(&o.client_id, &pair).unwrap().unwrap();
    assert_eq!(
        (f.trade_id.as_str(), f.amount, f.fee_amount, f.is_maker),
        ("BTC-USDT:9", dec!(0.2), dec!(0.0002), false)
    );
    assert_eq!(d.state().unwrap(), OrderState::PartiallyFilled);
    assert_eq!(d.to_request(&pair).unwrap().time_in_force, TimeInForce::Ioc);
}
