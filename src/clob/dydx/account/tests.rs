use rust_decimal_macros::dec;

use super::*;

#[test]
fn uuids_equal_the_indexers_documented_ids() {
    // websocket-documentation.md (v4-chain indexer/services/comlink/public): the fill of
    // subaccount dydx1zsw8…374m/0 with event id [0,0,238,241, 0,0,0,2, 0,0,0,77], TAKER
    assert_eq!(
        subaccount_uuid("dydx1zsw8fczav25uvc8rg3zcv6zy9j7yhnktpq374m", 0),
        "db535c19-b298-5ee8-bb59-e96c659a8bd4"
    );
    assert_eq!(
        fill_uuid(61169, 2, 77, false),
        "c5030bd3-cd85-5046-8f2a-518bbba6ec45"
    );
    assert_ne!(
        fill_uuid(61169, 2, 77, true),
        fill_uuid(61169, 2, 77, false)
    );
    let a = order_uuid("dydx1zsw8fczav25uvc8rg3zcv6zy9j7yhnktpq374m", 0, 7, 1, 0);
    assert_eq!(
        a,
        indexer_uuid(b"db535c19-b298-5ee8-bb59-e96c659a8bd4-7-1-0")
    );
    assert_ne!(
        a,
        order_uuid("dydx1zsw8fczav25uvc8rg3zcv6zy9j7yhnktpq374m", 0, 7, 1, 64)
    );
}

#[test]
fn documented_channel_data_parses_and_maps() {
    let frame = r#"{"type":"channel_data","connection_id":"a","message_id":4,
      "id":"dydx1zsw8fczav25uvc8rg3zcv6zy9j7yhnktpq374m/0","channel":"v4_subaccounts","version":"2.1.0",
      "contents":{"orders":[{"id":"64fe30a2-006d-5108-a156-cb0c8443546c","side":"BUY","size":"1",
        "totalFilled":"1","price":"1948.65","type":"LIMIT","status":"FILLED","timeInForce":"IOC",
        "reduceOnly":false,"orderFlags":"0","goodTilBlock":"61186","goodTilBlockTime":null,
        "postOnly":false,"ticker":"ETH-USD"}],
      "fills":[{"id":"c5030bd3-cd85-5046-8f2a-518bbba6ec45","subaccountId":"db535c19-b298-5ee8-bb59-e96c659a8bd4",
        "side":"BUY","liquidity":"TAKER","type":"LIMIT","clobPairId":"1",
        "orderId":"64fe30a2-006d-5108-a156-cb0c8443546c","size":"1","price":"1854.25",
        "quoteAmount":"1854.25","fee":"0.927125","createdAt":"2023-04-04T19:09:24.869Z",
        "createdAtHeight":"61169","ticker":"ETH-USD","somethingNew":1}]}}"#;
    let events = parse_subaccount_message(frame.as_bytes()).unwrap();
    let [SubaccountEvent::Update { message_id, update }] = events.as_slice() else {
        panic!("{events:?}")
    };
    assert_eq!(*message_id, 4);
    assert_eq!(update.orders[0].status, IndexerOrderStatus::Filled);
    let fill = fill_update_of(&update.fills[0]).unwrap();
    assert_eq!(
        (fill.price, fill.amount, fill.fee_amount, fill.is_maker),
        (dec!(1854.25), dec!(1), dec!(0.927125), false)
    );
    assert_eq!(fill.timestamp_ms, 1_680_635_364_869);
    assert_eq!(fill.pair.to_string(), "ETH-USD");
}

#[test]
fn statuses_map_to_the_order_state_machine() {
    use IndexerOrderStatus::*;
    assert_eq!(order_state(Open, dec!(0)), OrderState::Open);
    assert_eq!(order_state(Open, dec!(0.1)), OrderState::PartiallyFilled);
    assert_eq!(order_state(BestEffortOpened, dec!(0)), OrderState::Open);
    assert_eq!(order_state(Untriggered, dec!(0)), OrderState::Open);
    assert_eq!(order_state(Filled, dec!(1)), OrderState::Filled);
    assert_eq!(order_state(Canceled, dec!(0.5)), OrderState::Cancelled);
    assert_eq!(
        order_state(BestEffortCanceled, dec!(0)),
        OrderState::Cancelled
    );
}

#[test]
fn hostile_documents_are_typed_errors() {
    let ok = r#"{"market":"BTC-USD","status":"OPEN","side":"SHORT","size":"-0.1","maxSize":"-0.1",
        "entryPrice":"50000","realizedPnl":"0","unrealizedPnl":"-1.5","netFunding":"0.25",
        "sumOpen":"0.1","sumClose":"0","unknown":{"x":1}}"#;
    let p: PerpetualPositionDoc = serde_json::from_str(ok).unwrap();
    let pos = position_of(&p).unwrap();
    assert_eq!(
        (
            pos.size,
            pos.entry_notional,
            pos.entry_price,
            pos.funding_paid
        ),
        (dec!(-0.1), dec!(5000), Some(dec!(50000)), Some(dec!(-0.25)))
    );
    for bad in [
        ok.replace(r#""entryPrice":"50000""#, r#""entryPrice":"1e99999""#),
        ok.replace(
            r#""size":"-0.1""#,
            r#""size":"99999999999999999999999999999999999""#,
        ),
        ok.replace(r#""side":"SHORT","#, ""),
        ok[..ok.len() / 2].to_string(),
        "<html><body>502 Bad Gateway</body></html>".to_string(),
    ] {
        let r: Result<PerpetualPositionDoc, _> =
            crate::cex::exchanges::okx::api::decode("position", bad.as_bytes());
        assert!(matches!(r, Err(CexError::Decode { .. })), "{bad}: {r:?}");
    }
    assert!(parse_subaccount_message(b"{\"type\":\"channel_data\",\"channel\":\"v4_subaccounts\",\"contents\":{\"fills\":[{\"id\":1}]}}").is_err());
    assert!(parse_subaccount_message(b"not json").is_err());
}

#[test]
fn asset_positions_carry_their_sign_in_the_side() {
    let a: AssetPositionDoc = serde_json::from_str(
        r#"{"symbol":"USDC","side":"SHORT","size":"10","assetId":"0","subaccountNumber":0}"#,
    )
    .unwrap();
    assert_eq!(a.signed_size(), dec!(-10));
    let l: AssetPositionDoc =
        serde_json::from_str(r#"{"symbol":"USDC","side":"LONG","size":"10","assetId":"0"}"#)
            .unwrap();
    assert_eq!(l.signed_size(), dec!(10));
}
