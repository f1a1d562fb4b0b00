//! Unit tests of the REST messages: symbols to rules, error bodies under HTTP 200, hostile bodies,
//! order bodies, order states and fills.

use super::*;
use crate::cex::error::ApiErrorKind;
use rust_decimal_macros::dec;

#[test]
fn symbols_give_rules() {
    let items = decode_data::<Vec<Symbol>>(
        "symbols",
        br#"{"code":"200000","data":[
          {"symbol":"BTC-USDT","name":"BTC-USDT","baseCurrency":"BTC","quoteCurrency":"USDT",
           "feeCurrency":"USDT","market":"USDS","baseMinSize":"0.00001","quoteMinSize":"0.1",
           "baseMaxSize":"10000000000","quoteMaxSize":"99999999","baseIncrement":"0.00000001",
           "quoteIncrement":"0.000001","priceIncrement":"0.1","priceLimitRate":"0.1",
           "minFunds":"0.1","isMarginEnabled":true,"enableTrading":true,"newField":1},
          {"symbol":"OLD-USDT","baseCurrency":"OLD","quoteCurrency":"USDT","baseIncrement":"1",
           "priceIncrement":"0.1","enableTrading":false}]}"#,
    )
    .unwrap();
    let r = items[0].rules(dec!(0.001), dec!(0.001)).unwrap();
    assert_eq!(r.pair.to_string(), "BTC-USDT");
    assert_eq!(r.venue_symbol, "BTC-USDT");
    assert_eq!(
        (r.tick_size, r.step_size, r.min_size, r.min_notional),
        (dec!(0.1), dec!(0.00000001), dec!(0.00001), dec!(0.1))
    );
    assert!(items[1].rules(dec!(0), dec!(0)).is_none());
}

#[test]
fn error_bodies_even_under_200() {
    let body = br#"{"code":"200004","msg":"Balance insufficient!"}"#;
    match decode_data::<serde_json::Value>("order", body) {
        Err(CexError::Api { code, kind, .. }) => {
            assert_eq!((code, kind), (200_004, ApiErrorKind::InsufficientBalance))
        }
        other => panic!("{other:?}"),
    }
    let p = KuCoinProtocol;
    assert_eq!(
        p.parse_error(br#"{"code":"400005","msg":"Invalid KC-API-SIGN"}"#),
        Some((400_005, "Invalid KC-API-SIGN".into()))
    );
    assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
    assert!(matches!(
        decode_data::<Vec<Symbol>>("symbols", b"<html>502 Bad Gateway</html>"),
        Err(CexError::Decode { .. })
    ));
    assert!(matches!(
        decode_data::<Vec<Symbol>>("symbols", b"{\"code\":\"200000\",\"data\":[{\"sym"),
        Err(CexError::Decode { .. })
    ));
    assert_eq!(
        p.parse_server_time(br#"{"code":"200000","msg":"success","data":1546837113087}"#),
        Some(1_546_837_113_087)
    );
}

#[test]
fn huge_numbers_are_errors() {
    let body = br#"{"code":"200000","data":[{"currency":"BTC","type":"trade","balance":"1e999","available":"0"}]}"#;
    assert!(decode_data::<Vec<Account>>("accounts", body).is_err());
    let body = br#"{"code":"200000","data":[{"currency":"BTC","type":"trade","balance":"99999999999999999999999999999999","available":"0"}]}"#;
    assert!(decode_data::<Vec<Account>>("accounts", body).is_err());
}

#[test]
fn order_bodies_by_kind() {
    let mut o = OrderRequest {
        client_id: ClientOrderId::new("sluice-1").unwrap(),
        pair: Pair::new(Asset::new("BTC").unwrap(), Asset::new("USDT").unwrap()),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(0.0100),
        price: Some(dec!(25000.0)),
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    };
    let s = serde_json::to_string(&PlaceOrder::of(&o, "BTC-USDT")).unwrap();
    assert_eq!(
        s,
        r#"{"clientOid":"sluice-1","side":"buy","symbol":"BTC-USDT","type":"limit","price":"25000","size":"0.01","timeInForce":"GTC"}"#
    );
    o.order_type = OrderType::LimitMaker;
    let s = serde_json::to_string(&PlaceOrder::of(&o, "BTC-USDT")).unwrap();
    assert!(
        s.ends_with(r#""timeInForce":"GTC","postOnly":true}"#),
        "{s}"
    );
    o.order_type = OrderType::Market;
    let s = serde_json::to_string(&PlaceOrder::of(&o, "BTC-USDT")).unwrap();
    assert_eq!(
        s,
        r#"{"clientOid":"sluice-1","side":"buy","symbol":"BTC-USDT","type":"market","size":"0.01"}"#
    );
}

#[test]
fn states_and_fills() {
    assert_eq!(order_state(true, false, dec!(0), dec!(1)), OrderState::Open);
    assert_eq!(
        order_state(true, false, dec!(0.5), dec!(1)),
        OrderState::PartiallyFilled
    );
    assert_eq!(
        order_state(false, true, dec!(0.5), dec!(1)),
        OrderState::Cancelled
    );
    assert_eq!(
        order_state(false, false, dec!(1), dec!(1)),
        OrderState::Filled
    );
    let f: Page<TradeFill> = decode_data(
        "fills",
        br#"{"code":"200000","data":{"currentPage":1,"pageSize":50,"totalNum":1,"totalPage":1,
          "items":[{"symbol":"BTC-USDT","tradeId":"5c35c02709e4f67d5266954e","orderId":"5c35c02703aa673ceec2a168",
          "counterOrderId":"x","side":"buy","liquidity":"taker","forceTaker":true,"price":"0.083",
          "size":"0.8424304","funds":"0.0699217232","fee":"0","feeRate":"0","feeCurrency":"USDT",
          "stop":"","type":"limit","createdAt":1547026472000,"tradeType":"TRADE"}]}}"#,
    )
    .unwrap();
    let pair = Pair::new(Asset::new("BTC").unwrap(), Asset::new("USDT").unwrap());
    let fill = f.items[0]
        .to_fill(&ClientOrderId::new("a").unwrap(), &pair)
        .unwrap();
    assert_eq!(fill.trade_id, "BTC-USDT:5c35c02709e4f67d5266954e");
    assert_eq!((fill.price, fill.amount), (dec!(0.083), dec!(0.8424304)));
    assert!(!fill.is_maker);
}
