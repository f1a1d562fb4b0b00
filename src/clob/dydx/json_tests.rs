//! Proto-JSON: each message in the chain's `--generate-only` form (snake_case, 64-bit integers as
//! strings, enums by name, default fields present, `null` messages) and in lowerCamelCase reads to
//! the message built in code; malformed forms are refused by name.

use serde_json::json;

use super::*;
use crate::clob::dydx::msgs::{
    ConditionType, GoodTil, OrderKind, OrderMsg, Side, SubaccountId, TimeInForce,
};

const ME: &str = "dydx14zzueazeh0hj67cghhf9jypslcf9sh2n5k6art";
const YOU: &str = "dydx1slanxj8x9ntk9knwa6cvfv2tzlsq5gk3dshml0";

fn conditional() -> OrderMsg {
    OrderMsg {
        subaccount: SubaccountId::new(ME, 3),
        client_id: 4_000_000_000,
        clob_pair_id: 12,
        side: Side::Sell,
        quantums: 12_000_000_000_000_000_000,
        subticks: 5_000_000_000,
        kind: OrderKind::Conditional {
            good_til_block_time: 1_800_000_000,
            condition: ConditionType::TakeProfit,
            trigger_subticks: 5_100_000_000,
        },
        time_in_force: TimeInForce::PostOnly,
        reduce_only: true,
        client_metadata: 9,
        twap_parameters: None,
        builder_code_parameters: Some(proto::BuilderCodeParameters {
            builder_address: YOU.into(),
            fee_ppm: 500,
        }),
        order_router_address: String::new(),
    }
}

#[test]
fn generate_only_form_of_every_message() {
    let file = json!([
        {"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": {
            "order_id": {"subaccount_id": {"owner": ME, "number": 3}, "client_id": 4000000000u32,
                         "order_flags": 32, "clob_pair_id": 12},
            "side": "SIDE_SELL", "quantums": "12000000000000000000", "subticks": "5000000000",
            "good_til_block_time": 1800000000, "time_in_force": "TIME_IN_FORCE_POST_ONLY",
            "reduce_only": true, "client_metadata": 9, "condition_type": "CONDITION_TYPE_TAKE_PROFIT",
            "conditional_order_trigger_subticks": "5100000000", "twap_parameters": null,
            "builder_code_parameters": {"builder_address": YOU, "fee_ppm": 500},
            "order_router_address": ""}},
        {"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": {
            "order_id": {"subaccount_id": {"owner": ME, "number": 0}, "client_id": 7,
                         "order_flags": 0, "clob_pair_id": 0},
            "side": "SIDE_BUY", "quantums": "1000000", "subticks": "100000",
            "good_til_block": 123456, "time_in_force": "TIME_IN_FORCE_IOC", "reduce_only": false,
            "client_metadata": 0, "condition_type": "CONDITION_TYPE_UNSPECIFIED",
            "conditional_order_trigger_subticks": "0"}},
        {"@type": "/dydxprotocol.clob.MsgCancelOrder",
         "order_id": {"subaccount_id": {"owner": ME, "number": 0}, "client_id": 7,
                      "order_flags": 0, "clob_pair_id": 0}, "good_til_block": 123460},
        {"@type": "/dydxprotocol.clob.MsgCancelOrder",
         "order_id": {"subaccount_id": {"owner": ME, "number": 3}, "client_id": 8,
                      "order_flags": 64, "clob_pair_id": 1}, "good_til_block_time": 1800000001},
        {"@type": "/dydxprotocol.sending.MsgCreateTransfer", "transfer": {
            "sender": {"owner": ME, "number": 0}, "recipient": {"owner": YOU, "number": 1},
            "asset_id": 0, "amount": "1000000"}},
        {"@type": "/dydxprotocol.sending.MsgDepositToSubaccount", "sender": ME,
         "recipient": {"owner": ME, "number": 2}, "asset_id": 0, "quantums": "25000000"},
        {"@type": "/dydxprotocol.sending.MsgWithdrawFromSubaccount",
         "sender": {"owner": ME, "number": 2}, "recipient": ME, "asset_id": 0, "quantums": "5"},
        {"@type": "/cosmos.bank.v1beta1.MsgSend", "from_address": ME, "to_address": YOU,
         "amount": [{"denom": "adydx", "amount": "1000000000000000000"}]}
    ]);
    let msgs = DydxMsg::parse_file(&file.to_string()).unwrap();
    let short = OrderMsg {
        subaccount: SubaccountId::new(ME, 0),
        client_id: 7,
        clob_pair_id: 0,
        side: Side::Buy,
        quantums: 1_000_000,
        subticks: 100_000,
        kind: OrderKind::ShortTerm {
            good_til_block: 123_456,
        },
        time_in_force: TimeInForce::Ioc,
        reduce_only: false,
        client_metadata: 0,
        twap_parameters: None,
        builder_code_parameters: None,
        order_router_address: String::new(),
    };
    let mut long_id = short.order_id();
    long_id.subaccount.number = 3;
    long_id.client_id = 8;
    long_id.order_flags = 64;
    long_id.clob_pair_id = 1;
    let want = vec![
        DydxMsg::PlaceOrder(conditional()),
        DydxMsg::PlaceOrder(short.clone()),
        DydxMsg::CancelOrder {
            order_id: short.order_id(),
            good_til: GoodTil::Block(123_460),
        },
        DydxMsg::CancelOrder {
            order_id: long_id,
            good_til: GoodTil::BlockTime(1_800_000_001),
        },
        DydxMsg::Transfer {
            sender: SubaccountId::new(ME, 0),
            recipient: SubaccountId::new(YOU, 1),
            asset_id: 0,
            amount: 1_000_000,
        },
        DydxMsg::Deposit {
            sender: ME.into(),
            recipient: SubaccountId::new(ME, 2),
            asset_id: 0,
            quantums: 25_000_000,
        },
        DydxMsg::Withdraw {
            sender: SubaccountId::new(ME, 2),
            recipient: ME.into(),
            asset_id: 0,
            quantums: 5,
        },
        DydxMsg::Cosmos(Msg::Send {
            from: ME.into(),
            to: YOU.into(),
            amount: vec![crate::chain::cosmos::Coin::new(
                1_000_000_000_000_000_000,
                "adydx",
            )],
        }),
    ];
    assert_eq!(msgs, want);
}

/// lowerCamelCase names, numbers for 64-bit fields, enums by number, omitted defaults.
#[test]
fn camel_case_form() {
    let v = json!({"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": {
        "orderId": {"subaccountId": {"owner": ME, "number": 3}, "clientId": "4000000000",
                    "orderFlags": 32, "clobPairId": 12},
        "side": 2, "quantums": 12000000000000000000u64, "subticks": 5000000000u64,
        "goodTilBlockTime": 1800000000, "timeInForce": 2, "reduceOnly": true,
        "clientMetadata": 9, "conditionType": "CONDITION_TYPE_TAKE_PROFIT",
        "conditionalOrderTriggerSubticks": "5100000000",
        "builderCodeParameters": {"builderAddress": YOU, "feePpm": 500}}});
    assert_eq!(
        DydxMsg::from_proto_json(&v).unwrap(),
        DydxMsg::PlaceOrder(conditional())
    );
}

#[test]
fn malformed_forms_are_refused_by_name() {
    let order = |extra: serde_json::Value| {
        let mut o = json!({
            "order_id": {"subaccount_id": {"owner": ME, "number": 0}, "client_id": 7,
                         "order_flags": 0, "clob_pair_id": 0},
            "side": "SIDE_BUY", "quantums": "1000000", "subticks": "100000",
            "good_til_block": 10});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                o.as_object_mut().unwrap().remove(k);
            } else {
                o[k] = v.clone();
            }
        }
        json!([{"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": o}]).to_string()
    };
    assert!(DydxMsg::parse_file(&order(json!({}))).is_ok());
    let cases = [
        (order(json!({"price": "1"})), "unknown field \"price\""),
        (
            order(json!({"good_til_block_time": 5})),
            "both good_til_block",
        ),
        (order(json!({"goodTilBlock": 5})), "given twice"),
        (order(json!({"side": "BUY"})), "side"),
        (order(json!({"quantums": "-1"})), "quantums"),
        (order(json!({"quantums": "1.5"})), "quantums"),
        (
            order(json!({"quantums": "18446744073709551616"})),
            "quantums",
        ),
        (order(json!({"good_til_block": 4294967296u64})), "32 bits"),
        (order(json!({"quantums": "0"})), "must be positive"),
        (
            order(json!({"good_til_block": null, "good_til_block_time": 5})),
            "order flags 0",
        ),
        (
            order(json!({"condition_type": "CONDITION_TYPE_STOP_LOSS"})),
            "order flags 0",
        ),
        (order(json!({"reduce_only": "yes"})), "reduce_only"),
        (
            json!([{"@type": "/dydxprotocol.clob.MsgBatchCancel"}]).to_string(),
            "not supported",
        ),
        (json!([{"order": {}}]).to_string(), "@type"),
        ("[]".to_string(), "no message"),
        (
            json!([{"@type": "/dydxprotocol.sending.MsgCreateTransfer",
                    "transfer": {"sender": {"owner": ME}, "amount": "1"}}])
            .to_string(),
            "recipient",
        ),
    ];
    for (text, want) in cases {
        let e = DydxMsg::parse_file(&text).unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }
}
