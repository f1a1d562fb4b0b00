//! `sluice tx sign` (EVM form) as the built binary: `wallet import-key --key-stdin` then `tx sign`
//! equals `cast mktx` (foundry 1.7.1 from `node_modules`, offline) byte for byte on ethereum, xdai,
//! celo and anvil, with and without `--to`, with an access list, and for a mnemonic account
//! chosen by `--index`; CIP-64 with `--fee-currency` equals viem's reference transaction; and
//! every refusal is a clear error with a non-zero exit and nothing on stdout.

use std::path::{Path, PathBuf};
use std::process::Command;

use alloy::primitives::{Address, address, keccak256};
use serde_json::Value;
use sluice::chain::evm::SignedCip64;
use sluice::wallet::{Mnemonic, SecretString, account_path, derive_key};

use crate::cli_support::{Cli, Run};

const PASSWORD: &str = "tx sign password 1";
const KEY0: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const ADDR0: Address = address!("f39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
const ANVIL_MNEMONIC: &str = "test test test test test test test test test test test junk";
const TO: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
const CUSD: &str = "0x765DE816845861e75A25fCA122bb6898B8B1282a";

const CLI: Cli = Cli {
    password: PASSWORD,
    wait: std::time::Duration::from_secs(60),
};

fn sluice(home: &Path, args: &[&str], stdin: &str) -> Run {
    CLI.run(home, args, stdin)
}

/// A home with `k` (anvil's first key, imported with `--key-stdin`) and `m` (anvil's mnemonic).
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = sluice(
        dir.path(),
        &["wallet", "import-key", "--name", "k", "--key-stdin"],
        &format!("{KEY0}\n"),
    );
    assert!(r.ok, "import-key: {}", r.stderr);
    let r = sluice(
        dir.path(),
        &["wallet", "import", "--name", "m", "--mnemonic-stdin"],
        ANVIL_MNEMONIC,
    );
    assert!(r.ok, "import: {}", r.stderr);
    dir
}

fn cast() -> PathBuf {
    // The workspace root (the cli package owns the tests).
    let root = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    let bin = root.join("node_modules/.bin/cast");
    assert!(
        bin.exists(),
        "{} is missing: run scripts/setup.sh",
        bin.display()
    );
    bin
}

/// One transaction in both tools' terms.
#[derive(Clone, Copy)]
struct Case {
    chain: &'static str,
    chain_id: u64,
    to: Option<&'static str>,
    data: &'static str,
    access_list: Option<&'static str>,
}

const NONCE: &str = "7";
const GAS: &str = "100000";
const MAX_FEE: &str = "30000000000";
const TIP: &str = "1000000000";
const VALUE: &str = "5";

fn sluice_args(c: &Case, wallet: &str, index: &str) -> Vec<String> {
    let mut a: Vec<String> = [
        "tx",
        "sign",
        "--chain",
        c.chain,
        "--wallet",
        wallet,
        "--index",
        index,
        "--value",
        VALUE,
        "--data",
        c.data,
        "--nonce",
        NONCE,
        "--gas",
        GAS,
        "--max-fee",
        MAX_FEE,
        "--priority-fee",
        TIP,
        "--json",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    if let Some(to) = c.to {
        a.extend(["--to".into(), to.into()]);
    }
    if let Some(al) = c.access_list {
        a.extend(["--access-list".into(), al.into()]);
    }
    a
}

fn cast_mktx(c: &Case, key: &str) -> String {
    let mut cmd = Command::new(cast());
    cmd.args([
        "mktx",
        "--chain",
        &c.chain_id.to_string(),
        "--nonce",
        NONCE,
        "--gas-limit",
        GAS,
        "--gas-price",
        MAX_FEE,
        "--priority-gas-price",
        TIP,
        "--value",
        VALUE,
        "--private-key",
        key,
    ])
    .env_remove("ETH_RPC_URL")
    .env_remove("ETH_GAS_PRICE")
    .env_remove("ETH_PRIORITY_GAS_PRICE")
    .env_remove("ETH_GAS_LIMIT")
    .env_remove("CHAIN");
    if let Some(al) = c.access_list {
        cmd.args(["--access-list", al]);
    }
    match c.to {
        Some(to) => cmd.args([to, c.data]),
        None => cmd.args(["--create", c.data]),
    };
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "cast mktx failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

const ACCESS_LIST: &str = r#"[{"address":"0x0000000000000000000000000000000000000001","storageKeys":["0x0000000000000000000000000000000000000000000000000000000000000001","0x60fdd29ff912ce880cd3edaf9f932dc61d3dae823ea77e0323f94adb9f6a72fe"]},{"address":"0x765DE816845861e75A25fCA122bb6898B8B1282a","storageKeys":[]}]"#;

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    for (chain, chain_id) in [
        ("ethereum", 1),
        ("xdai", 100),
        ("celo", 42220),
        ("anvil", 31337),
    ] {
        out.push(Case {
            chain,
            chain_id,
            to: Some(TO),
            data: "0xa9059cbb00000000000000000000000070997970c51812dc3a010c7d01b50e0d17dc79c8000000000000000000000000000000000000000000000000000000000000002a",
            access_list: None,
        });
        out.push(Case {
            chain,
            chain_id,
            to: None,
            data: "0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe",
            access_list: None,
        });
        out.push(Case {
            chain,
            chain_id,
            to: Some(TO),
            data: "0x",
            access_list: Some(ACCESS_LIST),
        });
    }
    out
}

fn signed(r: &Run) -> (String, String, String) {
    assert!(r.ok, "tx sign failed: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let field = |k: &str| v[k].as_str().unwrap().to_string();
    (field("from"), field("raw"), field("hash"))
}

#[test]
fn tx_sign_equals_cast_mktx_on_every_evm_chain() {
    let home = home();
    for c in cases() {
        let (from, raw, hash) = signed(&sluice(home.path(), &refs(&sluice_args(&c, "k", "0")), ""));
        let expected = cast_mktx(&c, KEY0);
        assert_eq!(
            raw,
            expected,
            "{} to={:?} al={}",
            c.chain,
            c.to,
            c.access_list.is_some()
        );
        assert_eq!(from, ADDR0.to_checksum(None));
        let bytes = alloy::hex::decode(&raw).unwrap();
        assert_eq!(bytes[0], 0x02);
        assert_eq!(hash, keccak256(&bytes).to_string());
    }
}

/// A mnemonic wallet's account `--index 2` on the chain's own path (Celo's differs from
/// Ethereum's) signs as that account's key does in cast.
#[test]
fn tx_sign_uses_the_chain_path_and_index() {
    let home = home();
    let mnemonic = Mnemonic::parse(ANVIL_MNEMONIC).unwrap();
    let seed = mnemonic.to_seed(&SecretString::default());
    for (chain, chain_id, key_path) in [
        ("ethereum", 1, "m/44'/60'/0'/0"),
        ("celo", 42220, "m/44'/52752'/0'/0"),
    ] {
        let key = derive_key(&seed, &account_path(key_path, 2).unwrap()).unwrap();
        let key_hex = format!("0x{}", alloy::hex::encode(*key.to_bytes()));
        let c = Case {
            chain,
            chain_id,
            to: Some(TO),
            data: "0x01",
            access_list: None,
        };
        let (from, raw, _) = signed(&sluice(home.path(), &refs(&sluice_args(&c, "m", "2")), ""));
        assert_eq!(raw, cast_mktx(&c, &key_hex), "{chain}");
        assert_eq!(from, key.evm_address().to_checksum(None));
    }
}

/// `--fee-currency` on Celo: viem's CIP-64 reference transaction (wevm/viem
/// `src/celo/serializers.test.ts`, "signed"), byte for byte, through the CLI; a symbol resolves
/// to the same address.
#[test]
fn tx_sign_cip64_matches_the_reference_transaction() {
    let home = home();
    let viem = "0x7bf88782a4ec01847735940084773594008094f39fd6e51aad88f6f4ce6ab8827279cfffb92266880de0b6b3a764000080c094765de816845861e75a25fca122bb6898b8b1282a01a087a588ffb7bec68b00d264932305b3badc3bfba2f48e9d3d916d038e1bb831a5a077e665b35849c636b52b3cc205acb98141b4a582fb84a7181e048dc5473c6d6d";
    for fee_currency in [CUSD, "cUSD"] {
        let (from, raw, hash) = signed(&sluice(
            home.path(),
            &[
                "tx",
                "sign",
                "--chain",
                "celo",
                "--wallet",
                "k",
                "--to",
                "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266",
                "--value",
                "1000000000000000000",
                "--data",
                "0x",
                "--nonce",
                "1",
                "--gas",
                "0",
                "--max-fee",
                "2000000000",
                "--priority-fee",
                "2000000000",
                "--fee-currency",
                fee_currency,
                "--json",
            ],
            "",
        ));
        assert_eq!(raw, viem);
        assert_eq!(from, ADDR0.to_checksum(None));
        let decoded = SignedCip64::decode(&alloy::hex::decode(&raw).unwrap()).unwrap();
        assert_eq!(hash, decoded.hash.to_string());
        assert_eq!(decoded.recover_signer().unwrap(), ADDR0);
    }
    // A creation with an access list round-trips through the decoder.
    let c = Case {
        chain: "celo",
        chain_id: 42220,
        to: None,
        data: "0x6080",
        access_list: Some(ACCESS_LIST),
    };
    let mut args = sluice_args(&c, "k", "0");
    args.extend(["--fee-currency".into(), "USDC".into()]);
    let (_, raw, _) = signed(&sluice(home.path(), &refs(&args), ""));
    let d = SignedCip64::decode(&alloy::hex::decode(&raw).unwrap()).unwrap();
    assert!(d.tx.to.is_create());
    assert_eq!(d.tx.access_list.0.len(), 2);
    assert_eq!(
        d.tx.fee_currency,
        address!("2F25deB3848C207fc8E0c34035B3Ba7fC157602B")
    );
    assert_eq!(d.recover_signer().unwrap(), ADDR0);
}

#[test]
fn tx_sign_refusals_are_clear() {
    let home = home();
    let base = Case {
        chain: "ethereum",
        chain_id: 1,
        to: Some(TO),
        data: "0x",
        access_list: None,
    };
    let with = |extra: &[&str], chain: &'static str| {
        let mut a = sluice_args(&Case { chain, ..base }, "k", "0");
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let replace = |flag: &str, value: &str| {
        let mut a = sluice_args(&base, "k", "0");
        let i = a.iter().position(|x| x == flag).unwrap();
        a[i + 1] = value.to_string();
        a
    };
    let without = |flags: &[&str]| {
        let mut a = sluice_args(&base, "k", "0");
        for flag in flags {
            let i = a.iter().position(|x| x == flag).unwrap();
            a.drain(i..i + 2);
        }
        a
    };
    let cases: Vec<(Vec<String>, &[&str])> = vec![
        (
            with(&["--fee-currency", CUSD], "ethereum"),
            &["--fee-currency", "Celo", "ethereum"],
        ),
        (
            with(&["--fee-currency", "USDC"], "xdai"),
            &["--fee-currency", "Celo", "xdai"],
        ),
        (with(&["--fee-currency", "DOGE"], "celo"), &["DOGE", "CUSD"]),
        (replace("--data", "0xzz"), &["--data", "not hex"]),
        (replace("--data", "deadbeef"), &["--data", "0x"]),
        (replace("--data", "0xabc"), &["--data", "not hex"]),
        (replace("--to", "0x1234"), &["--to", "not an address"]),
        (
            replace("--to", "0x70997970c51812dc3a010c7d01b50e0d17dc79C8"),
            &["--to", "checksum"],
        ),
        (replace("--value", "1.5"), &["--value", "whole number"]),
        (replace("--value", "1e18"), &["--value", "whole number"]),
        (
            replace("--max-fee", "1"),
            &["priority fee", "above the max fee"],
        ),
        (
            with(&["--access-list", "{\"address\":1}"], "ethereum"),
            &["--access-list", "not an access list"],
        ),
        (without(&["--value", "--gas"]), &["needs --value, --gas"]),
        (without(&["--data"]), &["needs --data"]),
        (with(&[], "terra"), &["--value", "EVM form", "Cosmos chain"]),
        (with(&[], "mars"), &["unknown chain", "ethereum"]),
    ];
    for (args, needles) in cases {
        let r = sluice(home.path(), &refs(&args), "");
        assert!(!r.ok, "{args:?} succeeded: {}", r.stdout);
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
        for n in needles {
            assert!(r.stderr.contains(n), "{args:?}: {:?} lacks {n:?}", r.stderr);
        }
        assert!(!r.stderr.contains(&KEY0[2..]), "the key leaked");
    }
    // A wallet that does not exist, after the flags were found good.
    let a = sluice_args(&base, "nobody", "0");
    let r = sluice(home.path(), &refs(&a), "");
    assert!(!r.ok && r.stderr.contains("nobody"), "{}", r.stderr);
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}
