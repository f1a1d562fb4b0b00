use super::*;
use rust_decimal_macros::dec;

#[test]
fn rules_from_products() {
    let products: Vec<Product> = serde_json::from_str(
        r#"[{"id":"BTC-USD","base_currency":"BTC","quote_currency":"USD","quote_increment":"0.01000000",
             "base_increment":"0.00000001","display_name":"BTC/USD","min_market_funds":"1",
             "margin_enabled":false,"post_only":false,"limit_only":false,"cancel_only":false,
             "status":"online","status_message":"","trading_disabled":false,"fx_stablecoin":false,
             "max_slippage_percentage":"0.02000000","auction_mode":false,"new_field":{"x":1}},
            {"id":"OLD-USD","base_currency":"OLD","quote_currency":"USD","quote_increment":"0.01",
             "base_increment":"1","status":"delisted"},
            {"id":"CXL-USD","base_currency":"CXL","quote_currency":"USD","quote_increment":"0.01",
             "base_increment":"1","status":"online","cancel_only":true}]"#,
    )
    .unwrap();
    let r = products[0].rules(dec!(0.006)).unwrap();
    assert_eq!(r.pair.to_string(), "BTC-USD");
    assert_eq!(r.venue_symbol, "BTC-USD");
    assert_eq!(
        (r.tick_size, r.step_size, r.min_size, r.min_notional),
        (dec!(0.01), dec!(0.00000001), dec!(0.00000001), dec!(1))
    );
    assert_eq!((r.maker_fee, r.taker_fee), (dec!(0.006), dec!(0.006)));
    assert!(products[1].rules(dec!(0.006)).is_none());
    assert!(products[2].rules(dec!(0.006)).is_none());
}

#[test]
fn client_ids_travel_as_uuids() {
    let id = ClientOrderId::new("sl-abc.9_Z").unwrap();
    let oid = client_oid(&id).unwrap();
    assert_eq!(oid.len(), 36);
    assert_eq!(&oid[8..9], "-");
    assert!(oid.starts_with("736c2d61"), "{oid}");
    assert_eq!(client_id_of(&oid), Some(id));
    assert_eq!(
        client_id_of(&oid.to_ascii_uppercase()).unwrap().as_str(),
        "sl-abc.9_Z"
    );
    // a random UUID from elsewhere is not a sluice id
    assert_eq!(client_id_of("c5ab5eae-76be-480e-8961-00792dc7e138"), None);
    assert_eq!(client_id_of("00000000-0000-0000-0000-000000000000"), None);
    assert_eq!(client_id_of("not-a-uuid"), None);
    let long = ClientOrderId::new(&"a".repeat(17)).unwrap();
    assert!(CLIENT_ID_RULE.check(&long).is_err());
    assert!(client_oid(&long).is_err());
    let fresh = CLIENT_ID_RULE.fresh("sl-").unwrap();
    assert!(CLIENT_ID_RULE.check(&fresh).is_ok());
    assert_eq!(client_id_of(&client_oid(&fresh).unwrap()), Some(fresh));
}

#[test]
fn order_documents_and_states() {
    let id = ClientOrderId::new("sl-7").unwrap();
    let text = format!(
        r#"{{"id":"d0c5340b-6d6c-49d9-b567-48c4bfca13d2","client_oid":"{}","price":"0.10000000",
            "size":"0.01000000","product_id":"BTC-USD","side":"buy","stp":"dc","type":"limit",
            "time_in_force":"GTC","post_only":true,"created_at":"2016-12-08T20:02:28.53864Z",
            "fill_fees":"0.0000000000000000","filled_size":"0.00400000","executed_value":"0.0004",
            "status":"open","settled":false}}"#,
        client_oid(&id).unwrap()
    );
    let o: CbOrder = serde_json::from_str(&text).unwrap();
    assert_eq!(o.state(), Some(OrderState::PartiallyFilled));
    let pair: Pair = "BTC-USD".parse().unwrap();
    let req = o.to_request(&pair).unwrap().unwrap();
    assert_eq!(req.client_id, id);
    assert_eq!(req.order_type, OrderType::LimitMaker);
    assert_eq!((req.amount, req.price), (dec!(0.01), Some(dec!(0.1))));
    let done = |reason: &str| CbOrder {
        status: "done".into(),
        done_reason: Some(reason.into()),
        ..o.clone()
    };
    assert_eq!(done("filled").state(), Some(OrderState::Filled));
    assert_eq!(done("canceled").state(), Some(OrderState::Cancelled));
    assert_eq!(done("rejected").state(), Some(OrderState::Failed));
    assert_eq!(done("weird").state(), None);
    let web = CbOrder {
        client_oid: None,
        ..o.clone()
    };
    assert!(web.to_request(&pair).unwrap().is_none());
}

#[test]
fn fills_accounts_and_times() {
    let f: CbFill = serde_json::from_str(
        r#"{"trade_id":74,"product_id":"BTC-USD","order_id":"d50ec984-77a8-460a-b958-66f114b0de9b",
            "user_id":"5","profile_id":"765","liquidity":"T","price":"10.00","size":"0.01",
            "fee":"0.00025","created_at":"2014-11-07T22:19:28.578544Z","side":"buy","settled":true,
            "usd_volume":"0.1"}"#,
    )
    .unwrap();
    let pair: Pair = "BTC-USD".parse().unwrap();
    let fill = f.to_fill(&ClientOrderId::new("x").unwrap(), &pair).unwrap();
    assert_eq!(fill.trade_id, "BTC-USD:74");
    assert_eq!(
        (fill.amount, fill.price, fill.fee_amount),
        (dec!(0.01), dec!(10), dec!(0.00025))
    );
    assert_eq!(fill.fee_asset.as_str(), "USD");
    assert!(!fill.is_maker);
    assert_eq!(fill.timestamp_ms, 1_415_398_768_578);
    assert_eq!(rfc3339_ms("1970-01-01T00:00:01Z"), Some(1000));
    assert_eq!(
        rfc3339_ms("2019-08-14T20:42:27.265Z"),
        Some(1_565_815_347_265)
    );
    assert_eq!(rfc3339_ms("yesterday"), None);
    let a: CbAccount = serde_json::from_str(
        r#"{"id":"71452118-efc7-4cc4-8780-a5e22d4baa53","currency":"BTC","balance":"0.0000000000000000",
            "available":"0","hold":"0.0000000000000000","profile_id":"75da88c5","trading_enabled":true}"#,
    )
    .unwrap();
    assert_eq!(a.to_balance().unwrap().total, dec!(0));
}

#[test]
fn error_bodies_html_and_server_time() {
    let p = CoinbaseProtocol;
    let (code, msg) = p
        .parse_error(br#"{"message":"Insufficient funds"}"#)
        .unwrap();
    assert_eq!(
        p.classify_error(400, code, &msg),
        ApiErrorKind::InsufficientBalance
    );
    assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
    assert_eq!(p.parse_error(br#"{"message":"#), None);
    let e = decode::<Vec<CbAccount>>("accounts", b"<html>oops</html>")
        .unwrap_err()
        .to_string();
    assert!(e.contains("accounts") && e.contains("<html>oops"), "{e}");
    assert_eq!(
        p.parse_server_time(br#"{"iso":"2015-01-07T23:47:25.201Z","epoch":1420674445.201}"#),
        Some(1_420_674_445_201)
    );
    assert_eq!(p.parse_server_time(br#"{"epoch":1e400}"#), None);
    assert!(
        decode::<Vec<CbAccount>>(
            "accounts",
            br#"[{"currency":"BTC","balance":"1e400","available":"0"}]"#
        )
        .is_err()
    );
}
