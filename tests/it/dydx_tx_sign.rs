//! `sluice tx sign --chain dydx|dydx_testnet` (the Cosmos form) as the built binary: dYdX v4
//! messages in proto-JSON (as the chain's `--generate-only` writes them) are signed as the
//! official v4 client builds the transaction; the printed bytes decode to the same messages with
//! the `TxExtension` option, the signature verifies for the chain id of the spec (and not another),
//! the hash is the bytes'; amino-json, a foreign signer and an unknown message are refused.

use std::path::Path;

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sluice::clob::dydx::{DydxMsg, GoodTil, OrderKind, decode_tx};
use sluice::wallet::verify_cosmos_signature;

use crate::cli_support::{Cli, Run};

const PASSWORD: &str = "dydx tx sign password 1";
/// The Python v4 client's test key (`conftest.py`) and its address.
const KEY: &str = "e92a6595c934c991d3b3e987ea9b3125bf61a076deab3a9cb519787b7b3e8d77";
const ME: &str = "dydx14zzueazeh0hj67cghhf9jypslcf9sh2n5k6art";
const YOU: &str = "dydx1slanxj8x9ntk9knwa6cvfv2tzlsq5gk3dshml0";

const CLI: Cli = Cli {
    password: PASSWORD,
    wait: std::time::Duration::from_secs(60),
};

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = CLI.run(
        dir.path(),
        &["wallet", "import-key", "--name", "k", "--key-stdin"],
        &format!("{KEY}\n"),
    );
    assert!(r.ok, "import-key: {}", r.stderr);
    dir
}

fn write(dir: &Path, name: &str, v: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
    path.display().to_string()
}

fn sign(home: &Path, chain: &str, file: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "tx",
        "sign",
        "--chain",
        chain,
        "--wallet",
        "k",
        "--json",
        "--account-number",
        "4021",
        "--sequence",
        "9",
        "--gas",
        "1000000",
        "--messages",
        file,
    ];
    args.extend_from_slice(extra);
    CLI.run(home, &args, "")
}

fn messages() -> Value {
    json!([
        {"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": {
            "order_id": {"subaccount_id": {"owner": ME, "number": 0}, "client_id": 1001,
                         "order_flags": 0, "clob_pair_id": 0},
            "side": "SIDE_BUY", "quantums": "10000000", "subticks": "5000000000",
            "good_til_block": 12345678, "time_in_force": "TIME_IN_FORCE_IOC",
            "reduce_only": false, "client_metadata": 0,
            "condition_type": "CONDITION_TYPE_UNSPECIFIED",
            "conditional_order_trigger_subticks": "0", "twap_parameters": null,
            "builder_code_parameters": null, "order_router_address": ""}},
        {"@type": "/dydxprotocol.clob.MsgPlaceOrder", "order": {
            "order_id": {"subaccount_id": {"owner": ME, "number": 1}, "client_id": 1002,
                         "order_flags": 32, "clob_pair_id": 1},
            "side": "SIDE_SELL", "quantums": "1000000000", "subticks": "3000000000",
            "good_til_block_time": 1900000000, "time_in_force": "TIME_IN_FORCE_UNSPECIFIED",
            "reduce_only": true, "client_metadata": 0,
            "condition_type": "CONDITION_TYPE_STOP_LOSS",
            "conditional_order_trigger_subticks": "3100000000"}},
        {"@type": "/dydxprotocol.clob.MsgCancelOrder",
         "order_id": {"subaccount_id": {"owner": ME, "number": 0}, "client_id": 77,
                      "order_flags": 64, "clob_pair_id": 1}, "good_til_block_time": 1900000001},
        {"@type": "/dydxprotocol.sending.MsgCreateTransfer", "transfer": {
            "sender": {"owner": ME, "number": 0}, "recipient": {"owner": YOU, "number": 1},
            "asset_id": 0, "amount": "2500000"}},
        {"@type": "/dydxprotocol.sending.MsgDepositToSubaccount", "sender": ME,
         "recipient": {"owner": ME, "number": 0}, "asset_id": 0, "quantums": "10000000"},
        {"@type": "/dydxprotocol.sending.MsgWithdrawFromSubaccount",
         "sender": {"owner": ME, "number": 0}, "recipient": ME, "asset_id": 0,
         "quantums": "10000000"}
    ])
}

#[test]
fn dydx_tx_sign_signs_every_v4_message_as_the_client_does() {
    let h = home();
    let file = write(h.path(), "msgs.json", &messages());
    for (chain, chain_id, other_id) in [
        ("dydx", "dydx-mainnet-1", "dydx-testnet-4"),
        ("dydx_testnet", "dydx-testnet-4", "dydx-mainnet-1"),
    ] {
        let r = sign(
            h.path(),
            chain,
            &file,
            &[
                "--fee",
                "40000ibc/8E27BA2D5493AF5636760E354E46004562C46AB7EC0CC4C1CA14E9E20E2545B5",
                "--memo",
                "sluice",
            ],
        );
        assert!(r.ok, "{chain}: {}", r.stderr);
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(out["signer"], ME);
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(out["tx_bytes"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            out["txhash"].as_str().unwrap(),
            hex::encode_upper(Sha256::digest(&bytes))
        );
        let tx = decode_tx(&bytes).unwrap();
        let want = DydxMsg::parse_file(&messages().to_string()).unwrap();
        assert_eq!(tx.msgs, want);
        assert_eq!(tx.msgs.len(), 6);
        assert!(
            matches!(&tx.msgs[0], DydxMsg::PlaceOrder(o) if o.kind == OrderKind::ShortTerm { good_til_block: 12_345_678 })
        );
        assert!(matches!(
            &tx.msgs[2],
            DydxMsg::CancelOrder {
                good_til: GoodTil::BlockTime(1_900_000_001),
                ..
            }
        ));
        assert_eq!(tx.authenticators, Some(vec![]));
        assert_eq!(
            (tx.memo.as_str(), tx.sequence, tx.gas_limit),
            ("sluice", 9, 1_000_000)
        );
        assert_eq!(tx.fee[0].amount, 40_000);
        let doc = tx.sign_bytes(chain_id, 4021);
        assert!(verify_cosmos_signature(&tx.pubkey, &doc, &tx.signature));
        let wrong = tx.sign_bytes(other_id, 4021);
        assert!(!verify_cosmos_signature(&tx.pubkey, &wrong, &tx.signature));
        let wrong = tx.sign_bytes(chain_id, 4022);
        assert!(!verify_cosmos_signature(&tx.pubkey, &wrong, &tx.signature));
    }
}

/// A short-term order as the client sends it: no fee coins (`--fee none`) at 1 000 000 gas;
/// signing twice gives the same bytes (RFC 6979). Then what the chain would refuse is refused
/// before signing.
#[test]
fn dydx_tx_sign_is_deterministic_and_refuses_what_the_chain_would() {
    let h = home();
    let order_only = json!([messages()[0].clone()]);
    let file = write(h.path(), "order.json", &order_only);
    let fee = ["--fee", "none"];
    let a = sign(h.path(), "dydx", &file, &fee);
    let b = sign(h.path(), "dydx", &file, &fee);
    assert!(a.ok, "{}", a.stderr);
    assert_eq!(a.stdout, b.stdout);
    let out: Value = serde_json::from_str(&a.stdout).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(out["tx_bytes"].as_str().unwrap())
        .unwrap();
    let tx = decode_tx(&bytes).unwrap();
    assert!(tx.fee.is_empty());
    assert_eq!(tx.memo, "");

    let r = sign(
        h.path(),
        "dydx",
        &file,
        &["--fee", "none", "--sign-mode", "amino-json"],
    );
    assert!(!r.ok);
    assert!(r.stderr.contains("direct mode only"), "{}", r.stderr);

    let mut foreign = messages();
    foreign[3]["transfer"]["sender"]["owner"] = json!(YOU);
    let file = write(h.path(), "foreign.json", &json!([foreign[3].clone()]));
    let r = sign(h.path(), "dydx", &file, &fee);
    assert!(!r.ok);
    assert!(r.stderr.contains("signed by"), "{}", r.stderr);

    let file = write(
        h.path(),
        "batch.json",
        &json!([{"@type": "/dydxprotocol.clob.MsgBatchCancel"}]),
    );
    let r = sign(h.path(), "dydx", &file, &fee);
    assert!(!r.ok);
    assert!(r.stderr.contains("not supported"), "{}", r.stderr);

    // Terra keeps its own message set: a dYdX message is not a Terra one.
    let file = write(h.path(), "order2.json", &order_only);
    let r = sign(h.path(), "terra", &file, &["--fee", "1uluna"]);
    assert!(!r.ok);
    assert!(r.stderr.contains("not supported"), "{}", r.stderr);
}

/// The wallet derives the `dydx1…` address of the spec's key path (coin type 118).
#[test]
fn dydx_wallet_address() {
    let h = home();
    let r = CLI.run(
        h.path(),
        &[
            "wallet", "address", "--name", "k", "--chain", "dydx", "--json",
        ],
        "",
    );
    assert!(r.ok, "{}", r.stderr);
    assert!(r.stdout.contains(ME), "{}", r.stdout);
}
