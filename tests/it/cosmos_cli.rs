//! `sluice tx sign` (Cosmos form) and `sluice balance --chain terra` as the built binary against
//! the local node: the signed transaction is accepted (both sign modes) and its printed hash is
//! the node's; wallet-core's documented Terra amino signature comes out of the exact CLI form;
//! flags of the other family are refused by name.

use std::path::Path;

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;
use sluice::chain::cosmos::Coin;
use sluice::chain::cosmos::lcd::{Broadcast, LcdClient, LcdConfig};
use sluice::chain::cosmos::tx::decode_tx;
use sluice_sim::cosmos::{ChainConfig, LocalNode, NoContracts};

use crate::cli_support::{Cli, Run};

const PASSWORD: &str = "cosmos cli password 1";
const KEY: &str = "80e81ea269e66a0a05b11236df7919fb7fbeedba87452d667489d7403a02f005";
const ME: &str = "terra1hsk6jryyqjfhp5dhc55tc9jtckygx0ep37hdd2";
const TO: &str = "terra18wukp84dq227wu4mgh0jm6n9nlnj6rs82pp9wf";

const CLI: Cli = Cli {
    password: PASSWORD,
    wait: std::time::Duration::from_secs(60),
};

fn sluice(home: &Path, args: &[&str], stdin: &str) -> Run {
    CLI.run(home, args, stdin)
}

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = sluice(
        dir.path(),
        &["wallet", "import-key", "--name", "k", "--key-stdin"],
        &format!("{KEY}\n"),
    );
    assert!(r.ok, "import-key: {}", r.stderr);
    dir
}

fn messages_file(dir: &Path, amount: &str, denom: &str) -> String {
    let path = dir.join(format!("msgs-{amount}{denom}.json"));
    std::fs::write(
        &path,
        format!(
            r#"[{{"@type":"/cosmos.bank.v1beta1.MsgSend","from_address":"{ME}","to_address":"{TO}","amount":[{{"denom":"{denom}","amount":"{amount}"}}]}}]"#
        ),
    )
    .unwrap();
    path.display().to_string()
}

fn sign(home: &Path, chain: &str, extra: &[&str]) -> Run {
    let mut args = vec!["tx", "sign", "--chain", chain, "--wallet", "k", "--json"];
    args.extend_from_slice(extra);
    sluice(home, &args, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cosmos_tx_sign_is_accepted_by_the_local_node() {
    let h = home();
    let mut cfg = ChainConfig::terra();
    cfg.block_time = Duration::from_millis(100);
    let node = LocalNode::start(cfg, Arc::new(NoContracts), 0)
        .await
        .unwrap();
    node.chain().fund(ME, &[Coin::new(10_000_000, "uluna")]);
    let (number, _) = node.chain().account(ME).unwrap();
    let lcd = LcdClient::connect(&node.lcd_url, "phoenix-1", LcdConfig::default())
        .await
        .unwrap();
    let file = messages_file(h.path(), "1234", "uluna");
    for (seq, mode) in [(0, "direct"), (1, "amino-json")] {
        let r = sign(
            h.path(),
            "terra",
            &[
                "--account-number",
                &number.to_string(),
                "--sequence",
                &seq.to_string(),
                "--fee",
                "3000uluna",
                "--gas",
                "200000",
                "--memo",
                "cli",
                "--timeout-height",
                "100000",
                "--sign-mode",
                mode,
                "--messages",
                &file,
            ],
        );
        assert!(r.ok, "{mode}: {}", r.stderr);
        let out: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(out["signer"], ME);
        let tx_bytes = base64::engine::general_purpose::STANDARD
            .decode(out["tx_bytes"].as_str().unwrap())
            .unwrap();
        let Broadcast::Answered(a) = lcd.broadcast_sync(&tx_bytes).await.unwrap() else {
            panic!("no answer")
        };
        assert_eq!(a.code, 0, "{mode}: {}", a.raw_log);
        assert_eq!(a.txhash, out["txhash"].as_str().unwrap());
    }
    for _ in 0..50 {
        if node.chain().balance(TO, "uluna") == 2468 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(node.chain().balance(TO, "uluna"), 2468);
    // balance through the LCD, by address and by wallet.
    for who in [["--address", ME], ["--wallet", "k"]] {
        let r = sluice(
            h.path(),
            &[
                "balance",
                "--chain",
                "terra",
                "--lcd-url",
                &node.lcd_url,
                who[0],
                who[1],
                "--json",
            ],
            "",
        );
        assert!(r.ok, "{}", r.stderr);
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(v["address"], ME);
        assert_eq!(v["balances"][0]["asset"], "LUNA");
        assert_eq!(
            v["balances"][0]["raw"],
            (10_000_000 - 2468 - 6000).to_string()
        );
    }
    // The LCD of another chain is refused.
    let r = sluice(
        h.path(),
        &[
            "balance",
            "--chain",
            "terra_classic",
            "--lcd-url",
            &node.lcd_url,
            "--address",
            ME,
        ],
        "",
    );
    assert!(!r.ok && r.stderr.contains("phoenix-1"), "{}", r.stderr);
}

/// wallet-core's `TerraSigner.SignSendTx` (columbus-5, account 1037, sequence 2, 200luna fee,
/// 200000 gas, 1000000luna to terra18wuk…) through the exact CLI form in amino-json mode: the
/// transaction carries wallet-core's signature.
#[test]
fn cosmos_tx_sign_reproduces_wallet_core_terra_amino_signature() {
    let h = home();
    let file = messages_file(h.path(), "1000000", "luna");
    let r = sign(
        h.path(),
        "terra_classic",
        &[
            "--account-number",
            "1037",
            "--sequence",
            "2",
            "--fee",
            "200luna",
            "--gas",
            "200000",
            "--sign-mode",
            "amino-json",
            "--messages",
            &file,
        ],
    );
    assert!(r.ok, "{}", r.stderr);
    let out: Value = serde_json::from_str(&r.stdout).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(out["tx_bytes"].as_str().unwrap())
        .unwrap();
    let tx = decode_tx(&bytes).unwrap();
    assert_eq!(
        hex::encode(tx.signature),
        "a1f748b0b27390e0dc4302c6f3d784da0e0739a5267ca3e1ff4f2dd3b7a128f52a44c978ad5a27ce8ef79a43afaadac75a376d07eeade91f031ae74fa5be9b46"
    );
}

#[test]
fn cosmos_tx_sign_refuses_the_other_familys_flags() {
    let h = home();
    let file = messages_file(h.path(), "1", "uluna");
    let r = sign(
        h.path(),
        "terra",
        &[
            "--nonce",
            "1",
            "--account-number",
            "1",
            "--sequence",
            "0",
            "--fee",
            "1uluna",
            "--gas",
            "1",
            "--messages",
            &file,
        ],
    );
    assert!(!r.ok && r.stdout.is_empty());
    assert!(
        r.stderr.contains("--nonce is a flag of the EVM form"),
        "{}",
        r.stderr
    );
    let r = sign(h.path(), "ethereum", &["--sequence", "0", "--gas", "21000"]);
    assert!(
        !r.ok && r.stderr.contains("--sequence is a flag of the Cosmos form"),
        "{}",
        r.stderr
    );
    let r = sign(h.path(), "terra", &["--gas", "1"]);
    assert!(
        !r.ok
            && r.stderr
                .contains("needs --account-number, --sequence, --fee, --messages"),
        "{}",
        r.stderr
    );
    let r = sign(
        h.path(),
        "terra",
        &[
            "--account-number",
            "1",
            "--sequence",
            "0",
            "--fee",
            "1uluna",
            "--gas",
            "1",
            "--sign-mode",
            "textual",
            "--messages",
            &file,
        ],
    );
    assert!(!r.ok && r.stderr.contains("--sign-mode"), "{}", r.stderr);
}
