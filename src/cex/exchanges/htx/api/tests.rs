//! Unit tests of HTX's REST messages: envelopes, error bodies, numbers, rules, orders.

use super::*;
use crate::cex::error::ApiErrorKind;
use rust_decimal_macros::dec;

const SYMBOL: &str = r#"{"base-currency":"btc","quote-currency":"usdt","price-precision":2,"amount-precision":6,"symbol-partition":"main","symbol":"btcusdt","state":"online","value-precision":8,"min-order-amt":0.0001,"max-order-amt":1000,"min-order-value":5,"limit-order-min-order-amt":0.0001,"limit-order-max-order-amt":1000,"api-trading":"enabled","tags":"","new-field":1}"#;

#[test]
fn symbols_give_rules_without_floats() {
    let body = format!(r#"{{"status":"ok","data":[{SYMBOL}]}}"#);
    let syms: Vec<Symbol> = decode_data("symbols", body.as_bytes()).unwrap();
    let r = syms[0].rules(dec!(0.002), dec!(0.002)).unwrap();
    assert_eq!(r.venue_symbol, "btcusdt");
    assert_eq!(r.pair.to_string(), "BTC-USDT");
    assert_eq!(r.tick_size, dec!(0.01));
    assert_eq!(r.step_size, dec!(0.000001));
    assert_eq!(r.min_size, dec!(0.0001));
    assert_eq!(r.min_notional, dec!(5));
    assert_eq!(r.max_size, Some(dec!(1000)));
    let offline = SYMBOL.replace("\"online\"", "\"offline\"");
    let s: Symbol = serde_json::from_str(&offline).unwrap();
    assert!(s.rules(dec!(0), dec!(0)).is_none());
}

#[test]
fn errors_are_typed_even_under_http_200() {
    let body = br#"{"status":"error","err-code":"account-frozen-balance-insufficient-error","err-msg":"trade account balance is not enough","data":null}"#;
    match decode_data::<String>("place", body).unwrap_err() {
        CexError::Api { kind, msg, .. } => {
            assert_eq!(kind, ApiErrorKind::InsufficientBalance);
            assert!(msg.starts_with("account-frozen-balance-insufficient-error"));
        }
        other => panic!("{other:?}"),
    }
    let (code, _) = error_of(br#"{"code":2002,"message":"auth failed"}"#).unwrap();
    assert_eq!(classify(200, code), ApiErrorKind::Authentication);
    assert!(error_of(br#"{"code":200,"data":[]}"#).is_none());
}

#[test]
fn hostile_bodies_are_decode_errors() {
    for body in [
        &b"<html><body>502 Bad Gateway</body></html>"[..],
        br#"{"status":"ok","data":[{"symbol":"btc"#,
        br#"{"status":"ok"}"#,
    ] {
        assert!(
            matches!(
                decode_data::<Vec<Symbol>>("symbols", body),
                Err(CexError::Decode { .. })
            ),
            "{body:?}"
        );
    }
    let huge =
        r#"{"status":"ok","data":{"list":[{"currency":"btc","type":"trade","balance":"1e400"}]}}"#;
    assert!(decode_data::<AccountBalance>("balance", huge.as_bytes()).is_err());
    let big = r#"{"status":"ok","data":{"list":[{"currency":"btc","type":"trade","balance":"79228162514264337593543950335"},{"currency":"btc","type":"frozen","balance":1}]}}"#;
    let b: AccountBalance = decode_data("balance", big.as_bytes()).unwrap();
    assert!(matches!(b.to_balances(), Err(CexError::Decode { .. })));
}

#[test]
fn numbers_read_from_their_text() {
    let b: AccountBalance = decode_data(
        "balance",
        br#"{"status":"ok","data":{"id":1,"list":[{"currency":"usdt","type":"trade","balance":"10.1"},{"currency":"usdt","type":"frozen","balance":0.2},{"currency":"btc","type":"trade","balance":1.5e-3}]}}"#,
    )
    .unwrap();
    let bs = b.to_balances().unwrap();
    let usdt = bs.iter().find(|b| b.asset.as_str() == "USDT").unwrap();
    assert_eq!((usdt.total, usdt.available), (dec!(10.3), dec!(10.1)));
    let btc = bs.iter().find(|b| b.asset.as_str() == "BTC").unwrap();
    assert_eq!(btc.available, dec!(0.0015));
}

#[test]
fn order_types_round_trip_and_states_map() {
    for t in [
        "buy-limit",
        "sell-limit-maker",
        "buy-ioc",
        "sell-limit-fok",
        "sell-market",
    ] {
        let (side, ot, tif) = parse_type(t).unwrap();
        let req = OrderRequest {
            client_id: crate::core::ClientOrderId::new("c1").unwrap(),
            pair: Pair::new(Asset::new("BTC").unwrap(), Asset::new("USDT").unwrap()),
            side,
            order_type: ot,
            amount: dec!(1),
            price: Some(dec!(2)),
            time_in_force: tif,
            deadline: None,
        };
        assert_eq!(order_type(&req), t);
    }
    assert!(parse_type("buy-stop-limit").is_none());
    assert_eq!(order_state("submitted", dec!(0)), Some(OrderState::Open));
    assert_eq!(
        order_state("partial-filled", dec!(1)),
        Some(OrderState::PartiallyFilled)
    );
    assert_eq!(
        order_state("partial-canceled", dec!(1)),
        Some(OrderState::Cancelled)
    );
    assert_eq!(order_state("filled", dec!(1)), Some(OrderState::Filled));
    assert_eq!(order_state("weird", dec!(0)), None);
}

#[test]
fn client_ids_follow_htx_rules() {
    let ok = crate::core::ClientOrderId::new(&"a".repeat(64)).unwrap();
    assert!(CLIENT_ID_RULE.check(&ok).is_ok());
    assert!(!(CLIENT_ID_RULE.allowed)('.'));
    assert!((CLIENT_ID_RULE.allowed)('-') && (CLIENT_ID_RULE.allowed)('_'));
    assert_eq!(CLIENT_ID_RULE.max_len, 64);
}
