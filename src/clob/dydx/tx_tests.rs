//! dYdX transactions: the Python client's published message serialization vectors
//! (`v4-client-py-v2/tests/test_v4_proto.py`), its published keys and addresses (`conftest.py`,
//! `test_crypto.py`), and — no official client publishes a signed transaction or sign doc — the
//! transaction bytes built independently, field by field, from `cosmos/tx/v1beta1/tx.proto` and the
//! dYdX protos with a protobuf writer in this file; then the fee, gas and sequence rules, the
//! proto-JSON forms and the decoder's refusals.

use rust_decimal_macros::dec;
use sha2::{Digest, Sha256};

use super::*;
use crate::chain::cosmos::Msg;
use crate::clob::dydx::msgs::{
    ConditionType, GoodTil, OrderId, OrderKind, OrderMsg, Side, SubaccountId, TimeInForce,
    build_cancel, build_place_order,
};
use crate::wallet::{
    Mnemonic, PrivateKey, SecretString, account_path, derive_key, verify_cosmos_signature,
};
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxBody;

const PY_KEY: &str = "e92a6595c934c991d3b3e987ea9b3125bf61a076deab3a9cb519787b7b3e8d77";
const PY_ADDRESS: &str = "dydx14zzueazeh0hj67cghhf9jypslcf9sh2n5k6art";
const PY_RECIPIENT: &str = "dydx1slanxj8x9ntk9knwa6cvfv2tzlsq5gk3dshml0";

fn py_order(flags_kind: OrderKind) -> OrderMsg {
    OrderMsg {
        subaccount: SubaccountId::new(PY_ADDRESS, 0),
        client_id: 0,
        clob_pair_id: 0,
        side: Side::Buy,
        quantums: 10_000_000,
        subticks: 40_000_000_000,
        kind: flags_kind,
        time_in_force: TimeInForce::Unspecified,
        reduce_only: false,
        client_metadata: 2, // the Python client's PY_V2_CLIENT_ID
        twap_parameters: None,
        builder_code_parameters: None,
        order_router_address: String::new(),
    }
}

const PY_GOOD_TIL_BLOCK_TIME: u32 = 1_717_148_681;

/// `test_v4_proto.py`: `SERIALIZED_PLACE_ORDER`, `_CANCEL_ORDER`, `_DEPOSIT`, `_WITHDRAW`,
/// `_SEND_TOKEN`, `_TRANSFER`, byte for byte; each decodes back to the same message.
#[test]
fn python_client_message_vectors() {
    let long_term = OrderKind::LongTerm {
        good_til_block_time: PY_GOOD_TIL_BLOCK_TIME,
    };
    let order = py_order(long_term);
    let place = build_place_order(&order).unwrap();
    assert_eq!(place.type_url, "/dydxprotocol.clob.MsgPlaceOrder");
    assert_eq!(
        hex::encode(&place.value),
        "0a480a310a2d0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b36617274184010011880ade2042080a0be81950135099c59664802"
    );
    let cancel = build_cancel(
        &order.order_id(),
        GoodTil::BlockTime(PY_GOOD_TIL_BLOCK_TIME),
    )
    .unwrap();
    assert_eq!(
        hex::encode(&cancel.value),
        "0a310a2d0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b3661727418401d099c5966"
    );
    let me = SubaccountId::new(PY_ADDRESS, 0);
    let msgs = [
        (
            DydxMsg::Deposit {
                sender: PY_ADDRESS.into(),
                recipient: me.clone(),
                asset_id: 0,
                quantums: 10_000_000,
            },
            "0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b36617274122d0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b366172742080ade204",
        ),
        (
            DydxMsg::Withdraw {
                sender: me.clone(),
                recipient: PY_ADDRESS.into(),
                asset_id: 0,
                quantums: 10_000_000,
            },
            "0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b36617274122d0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b366172742080ade204",
        ),
        (
            DydxMsg::Cosmos(Msg::Send {
                from: PY_ADDRESS.into(),
                to: PY_RECIPIENT.into(),
                amount: vec![Coin::new(10_000_000, "adv4tnt")],
            }),
            "0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b36617274122b6479647831736c616e786a3878396e746b396b6e7761366376667632747a6c737135676b336473686d6c301a130a0761647634746e7412083130303030303030",
        ),
        (
            DydxMsg::Transfer {
                sender: me,
                recipient: SubaccountId::new(PY_RECIPIENT, 1),
                asset_id: 0,
                amount: 1,
            },
            "0a620a2d0a2b6479647831347a7a7565617a656830686a36376367686866396a7970736c6366397368326e356b36617274122f0a2b6479647831736c616e786a3878396e746b396b6e7761366376667632747a6c737135676b336473686d6c3010012001",
        ),
    ];
    for (m, want) in &msgs {
        assert_eq!(hex::encode(&m.to_any().value), *want, "{}", m.type_url());
        assert_eq!(&DydxMsg::from_any(&m.to_any()).unwrap(), m);
    }
    assert_eq!(
        DydxMsg::from_any(&place).unwrap(),
        DydxMsg::PlaceOrder(order.clone())
    );
    assert_eq!(
        DydxMsg::from_any(&cancel).unwrap(),
        DydxMsg::CancelOrder {
            order_id: order.order_id(),
            good_til: GoodTil::BlockTime(PY_GOOD_TIL_BLOCK_TIME)
        }
    );
}

/// `conftest.py` / `test_crypto.py`: the published keys give the published public keys and
/// `dydx1…` addresses (BIP-44 m/44'/118'/0'/0/0 from the mnemonic).
#[test]
fn python_client_key_and_address_vectors() {
    let signer = PrivateKey::from_hex(PY_KEY).unwrap().cosmos_signer();
    assert_eq!(signer.address(BECH32_PREFIX).unwrap(), PY_ADDRESS);
    assert_eq!(
        hex::encode(signer.public_key()),
        "03f0be763f781b5b59ebc37d721beda913148a539425baa720b97d4820f652ed75"
    );
    let cases = [
        (
            "mirror actor skill push coach wait confirm orchard lunch mobile athlete gossip awake miracle matter bus reopen team ladder lazy list timber render wait",
            PY_KEY,
            PY_ADDRESS,
        ),
        (
            "mandate glove carry despair area gloom sting round toddler deal face vague receive shallow confirm south green cup rain drill monkey method tongue fence",
            "0a7ff605269ed00853a425beda719da038a11792f6dddf31c087b2988b4dc8fe",
            "dydx1wldnytkerzs39rs28djn0p9vvqer2x2k5x8hjy",
        ),
    ];
    for (words, key_hex, address) in cases {
        let seed = Mnemonic::parse(words)
            .unwrap()
            .to_seed(&SecretString::from(""));
        let key = derive_key(&seed, &account_path("m/44'/118'/0'/0", 0).unwrap()).unwrap();
        let signer = key.cosmos_signer();
        assert_eq!(signer.address(BECH32_PREFIX).unwrap(), address);
        let from_hex = PrivateKey::from_hex(key_hex).unwrap().cosmos_signer();
        assert_eq!(from_hex.public_key(), signer.public_key());
    }
    let k3 =
        PrivateKey::from_hex("0a7ff605269ed00853a425beda719da038a11792f6dddf31c087b2988b4dc8fe")
            .unwrap()
            .cosmos_signer();
    assert_eq!(
        hex::encode(k3.public_key()),
        "0291d1d9fd23334f3d53c3a5b50b56317d8964692320d73d22d7a0b115d5eb574f"
    );
}

/// A protobuf writer for the expected bytes (wire format only: varints and length-delimited).
fn varint(mut n: u64, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn field_varint(tag: u64, n: u64) -> Vec<u8> {
    let mut out = vec![];
    if n != 0 {
        varint(tag << 3, &mut out);
        varint(n, &mut out);
    }
    out
}

fn field_bytes(tag: u64, bytes: &[u8]) -> Vec<u8> {
    let mut out = vec![];
    varint((tag << 3) | 2, &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

fn any(type_url: &str, value: &[u8]) -> Vec<u8> {
    let mut out = field_bytes(1, type_url.as_bytes());
    if !value.is_empty() {
        out.extend(field_bytes(2, value));
    }
    out
}

/// A short-term order transaction as the TypeScript client signs it: the body carries the
/// message, the memo and the empty `TxExtension` at field 2047; the auth info the secp256k1 key in
/// `SIGN_MODE_DIRECT` (1) at the given sequence and a fee of no coins at 1 000 000 gas; the sign
/// doc adds chain id and account number. Every byte is written here from the protos.
#[test]
fn order_transaction_bytes_built_field_by_field() {
    let signer = PrivateKey::from_hex(PY_KEY).unwrap().cosmos_signer();
    let order = OrderMsg {
        client_id: 0x1234_5678,
        clob_pair_id: 1,
        side: Side::Sell,
        time_in_force: TimeInForce::Ioc,
        reduce_only: true,
        client_metadata: 0,
        kind: OrderKind::ShortTerm {
            good_til_block: 41_234_567,
        },
        ..py_order(OrderKind::ShortTerm { good_til_block: 0 })
    };
    let msgs = [DydxMsg::PlaceOrder(order)];
    let (fee, gas_limit) =
        fee_and_gas(&msgs, None, &GasPrice::parse("0.025uusdc").unwrap()).unwrap();
    assert_eq!((fee.clone(), gas_limit), (vec![], ORDER_GAS_LIMIT));
    let p = TxParams {
        chain_id: "dydx-mainnet-1".into(),
        account_number: 38_211,
        sequence: 17,
        fee,
        gas_limit,
        memo: "sluice".into(),
        timeout_height: 0,
    };
    let signed = sign_tx(&signer, &msgs, &p, &[]).unwrap();

    // Order: order_id{subaccount{owner}, client_id fixed32, flags 0 (absent), clob pair 1}.
    let subaccount = field_bytes(1, PY_ADDRESS.as_bytes());
    let mut order_id = field_bytes(1, &subaccount);
    order_id.extend([0x15, 0x78, 0x56, 0x34, 0x12]); // field 2, fixed32, little-endian
    order_id.extend(field_varint(4, 1));
    let mut order = field_bytes(1, &order_id);
    order.extend(field_varint(2, 2)); // SIDE_SELL
    order.extend(field_varint(3, 10_000_000));
    order.extend(field_varint(4, 40_000_000_000));
    order.extend(field_varint(5, 41_234_567)); // good_til_block
    order.extend(field_varint(7, 1)); // TIME_IN_FORCE_IOC
    order.extend(field_varint(8, 1)); // reduce_only
    let place = field_bytes(1, &order);
    let mut body = field_bytes(1, &any("/dydxprotocol.clob.MsgPlaceOrder", &place));
    body.extend(field_bytes(2, b"sluice"));
    // non_critical_extension_options = 2047 (extension_options, the critical ones, are 1023).
    body.extend(field_bytes(
        2047,
        &any("/dydxprotocol.accountplus.TxExtension", &[]),
    ));
    assert_eq!(&body[body.len() - 42..body.len() - 40], &[0xfa, 0x7f]);

    let pubkey = field_bytes(1, &signer.public_key());
    let mut signer_info = field_bytes(1, &any("/cosmos.crypto.secp256k1.PubKey", &pubkey));
    signer_info.extend(field_bytes(2, &field_bytes(1, &field_varint(1, 1))));
    signer_info.extend(field_varint(3, 17));
    let mut auth_info = field_bytes(1, &signer_info);
    auth_info.extend(field_bytes(2, &field_varint(2, 1_000_000)));

    let mut sign_doc = field_bytes(1, &body);
    sign_doc.extend(field_bytes(2, &auth_info));
    sign_doc.extend(field_bytes(3, b"dydx-mainnet-1"));
    sign_doc.extend(field_varint(4, 38_211));

    let signature = signer.sign(&sign_doc);
    let mut tx = field_bytes(1, &body);
    tx.extend(field_bytes(2, &auth_info));
    tx.extend(field_bytes(3, &signature));
    assert_eq!(hex::encode(&signed.tx_bytes), hex::encode(&tx));
    assert_eq!(signed.txhash, hex::encode_upper(Sha256::digest(&tx)));

    // The node's side: decoded, the sign bytes rebuilt, the signature verified.
    let d = decode_tx(&signed.tx_bytes).unwrap();
    assert_eq!(d.msgs, msgs);
    assert_eq!(d.authenticators, Some(vec![]));
    assert_eq!(
        (d.memo.as_str(), d.sequence, d.gas_limit),
        ("sluice", 17, 1_000_000)
    );
    assert!(d.fee.is_empty());
    assert_eq!(d.sign_bytes("dydx-mainnet-1", 38_211), sign_doc);
    assert!(verify_cosmos_signature(&d.pubkey, &sign_doc, &d.signature));
    let other_chain = d.sign_bytes("dydx-testnet-4", 38_211);
    assert!(!verify_cosmos_signature(
        &d.pubkey,
        &other_chain,
        &d.signature
    ));
}

/// Authenticators go into the `TxExtension` (packed repeated uint64).
#[test]
fn authenticators_in_the_extension() {
    let ext = tx_extension(&[3, 300]);
    assert_eq!(hex::encode(&ext.value), "0a0303ac02");
    let signer = PrivateKey::from_hex(PY_KEY).unwrap().cosmos_signer();
    let msgs = [DydxMsg::PlaceOrder(py_order(OrderKind::LongTerm {
        good_til_block_time: PY_GOOD_TIL_BLOCK_TIME,
    }))];
    let p = TxParams {
        chain_id: "dydx-testnet-4".into(),
        account_number: 1,
        sequence: 2,
        fee: vec![],
        gas_limit: ORDER_GAS_LIMIT,
        memo: String::new(),
        timeout_height: 0,
    };
    let signed = sign_tx(&signer, &msgs, &p, &[3, 300]).unwrap();
    assert_eq!(
        decode_tx(&signed.tx_bytes).unwrap().authenticators,
        Some(vec![3, 300])
    );
}

/// Orders go without a fee; anything else pays `ceil(floor(gas_used × 1.6) × price)`.
#[test]
fn fee_and_gas_rule() {
    let usdc = GasPrice::parse(
        "0.025ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5",
    )
    .unwrap();
    let me = SubaccountId::new(PY_ADDRESS, 0);
    let transfer = DydxMsg::Transfer {
        sender: me.clone(),
        recipient: SubaccountId::new(PY_ADDRESS, 1),
        asset_id: 0,
        amount: 5,
    };
    assert!(fee_and_gas(std::slice::from_ref(&transfer), None, &usdc).is_err());
    let (fee, gas) = fee_and_gas(std::slice::from_ref(&transfer), Some(33_333), &usdc).unwrap();
    // 33_333 × 1.6 = 53_332.8 → 53_332; × 0.025 = 1_333.3 → 1_334.
    assert_eq!(gas, 53_332);
    assert_eq!(fee[0].amount, 1_334);
    assert_eq!(fee[0].denom, usdc.denom);
    let adydx = GasPrice::parse("25000000000adydx").unwrap();
    let (fee, gas) = fee_and_gas(std::slice::from_ref(&transfer), Some(100_000), &adydx).unwrap();
    assert_eq!(
        (fee, gas),
        (vec![Coin::new(4_000_000_000_000_000, "adydx")], 160_000)
    );
    // An order with a transfer is not an order transaction.
    let order = DydxMsg::PlaceOrder(py_order(OrderKind::ShortTerm { good_til_block: 9 }));
    assert!(fee_and_gas(&[order.clone(), transfer.clone()], None, &usdc).is_err());
    assert_eq!(GAS_MULTIPLIER, dec!(1.6));

    // Sequence: unchecked only when every message is a short-term place or cancel.
    let cancel = DydxMsg::CancelOrder {
        order_id: py_order(OrderKind::ShortTerm { good_til_block: 9 }).order_id(),
        good_til: GoodTil::Block(9),
    };
    assert!(!sequence_checked(&[order.clone(), cancel]));
    assert!(sequence_checked(&[order.clone(), transfer]));
    let long = DydxMsg::PlaceOrder(py_order(OrderKind::LongTerm {
        good_til_block_time: 1,
    }));
    assert!(sequence_checked(&[long]));
    let _ = me;
}

#[test]
fn refusals() {
    let signer = PrivateKey::from_hex(PY_KEY).unwrap().cosmos_signer();
    let p = TxParams {
        chain_id: "dydx-mainnet-1".into(),
        account_number: 1,
        sequence: 0,
        fee: vec![],
        gas_limit: ORDER_GAS_LIMIT,
        memo: String::new(),
        timeout_height: 0,
    };
    assert!(sign_tx(&signer, &[], &p, &[]).is_err());
    let mut other = py_order(OrderKind::ShortTerm { good_til_block: 5 });
    other.subaccount.owner = PY_RECIPIENT.into();
    let e = sign_tx(&signer, &[DydxMsg::PlaceOrder(other)], &p, &[]).unwrap_err();
    assert!(e.to_string().contains("signed by"), "{e}");
    // Zero size, a conditional order without a trigger, a cancel of the wrong expiry kind.
    let mut zero = py_order(OrderKind::ShortTerm { good_til_block: 5 });
    zero.quantums = 0;
    assert!(build_place_order(&zero).is_err());
    let no_trigger = py_order(OrderKind::Conditional {
        good_til_block_time: 5,
        condition: ConditionType::StopLoss,
        trigger_subticks: 0,
    });
    assert!(build_place_order(&no_trigger).is_err());
    let short: OrderId = py_order(OrderKind::ShortTerm { good_til_block: 5 }).order_id();
    assert!(build_cancel(&short, GoodTil::BlockTime(5)).is_err());
    assert!(build_cancel(&short, GoodTil::Block(5)).is_ok());
    let long = py_order(OrderKind::LongTerm {
        good_til_block_time: 5,
    })
    .order_id();
    assert!(build_cancel(&long, GoodTil::Block(5)).is_err());
    // A transaction with a critical extension option, or signed in amino JSON, is not decoded.
    let signed = sign_tx(
        &signer,
        &[DydxMsg::PlaceOrder(py_order(OrderKind::ShortTerm {
            good_til_block: 5,
        }))],
        &p,
        &[],
    )
    .unwrap();
    let mut raw = TxRaw::decode(signed.tx_bytes.as_slice()).unwrap();
    let mut body = TxBody::decode(raw.body_bytes.as_slice()).unwrap();
    body.extension_options = body.non_critical_extension_options.clone();
    raw.body_bytes = body.encode_to_vec();
    assert!(decode_tx(&raw.encode_to_vec()).is_err());
}
