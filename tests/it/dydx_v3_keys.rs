//! `sluice keys derive --venue dydx_v3` as the built binary: the wallet's Ethereum account (a
//! mnemonic account chosen by `--index`, or an imported key) gives the STARK public key the
//! official client's onboarding tests expect, on mainnet (the default) and Sepolia; only the
//! public part is printed; every refusal is a clear error with nothing on stdout.

use std::path::Path;

use crate::cli_support::{Cli, Run};

const PASSWORD: &str = "dydx v3 keys password 1";
/// Ganache's first account, the key of dydx-v3-python's `tests/test_onboarding.py`, and the
/// mnemonic Ganache derives it from (account 0): public test material.
const GANACHE_KEY: &str = "0x4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d";
const GANACHE_PRIVATE_STARK: &str =
    "170d807cafe3d8b5758f3f698331d292bf5aeb71f6fd282f0831dee094ee891";
const GANACHE_MNEMONIC: &str =
    "myth like bonus scare over problem client lizard pioneer submit female collect";
const MAINNET_STARK: &str = "0x39d88860b99b1809a63add01f7dfa59676ae006bbcdf38ff30b6a69dcf55ed3";
const SEPOLIA_STARK: &str = "0x15e2e074a7ac9e78edb2ee9f11a0c0c0a080c79758ab81616eea9c032c75265";

/// Also the Loopring key tests' runner (the same Ganache wallets).
pub(crate) const CLI: Cli = Cli {
    password: PASSWORD,
    wait: std::time::Duration::from_secs(60),
};

fn sluice(home: &Path, args: &[&str], stdin: &str) -> Run {
    CLI.run(home, args, stdin)
}

/// A home with Ganache's key imported as wallet `k` and its mnemonic as wallet `m`.
pub(crate) fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = sluice(
        dir.path(),
        &["wallet", "import-key", "--name", "k", "--key-stdin"],
        &format!("{GANACHE_KEY}\n"),
    );
    assert!(r.ok, "import-key: {}", r.stderr);
    let r = sluice(
        dir.path(),
        &["wallet", "import", "--name", "m", "--mnemonic-stdin"],
        GANACHE_MNEMONIC,
    );
    assert!(r.ok, "import: {}", r.stderr);
    dir
}

fn derive(home: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["keys", "derive", "--venue", "dydx_v3"];
    args.extend_from_slice(extra);
    args.push("--json");
    sluice(home, &args, "")
}

fn stark_key(r: &Run) -> String {
    assert!(r.ok, "keys derive: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.len(), 1, "only the public key: {v}");
    obj["stark_public_key"]
        .as_str()
        .expect("a string")
        .to_string()
}

#[test]
fn keys_derive_dydx_v3_equals_the_official_client() {
    let dir = home();
    for wallet in ["k", "m"] {
        let mainnet = stark_key(&derive(dir.path(), &["--wallet", wallet]));
        assert_eq!(mainnet, MAINNET_STARK, "wallet {wallet}");
        let explicit = derive(dir.path(), &["--wallet", wallet, "--network-id", "1"]);
        assert_eq!(stark_key(&explicit), MAINNET_STARK);
        let sepolia = derive(
            dir.path(),
            &["--wallet", wallet, "--network-id", "11155111"],
        );
        assert_eq!(stark_key(&sepolia), SEPOLIA_STARK);
        assert!(!sepolia.stdout.contains(GANACHE_PRIVATE_STARK));
        assert!(!sepolia.stderr.contains(GANACHE_PRIVATE_STARK));
    }
    // another account of the mnemonic is another key
    let other = stark_key(&derive(dir.path(), &["--wallet", "m", "--index", "1"]));
    assert_ne!(other, MAINNET_STARK);
    assert!(other.starts_with("0x"));
}

#[test]
fn keys_derive_refusals_are_clear() {
    let dir = home();
    let cases: [(&[&str], &str); 4] = [
        (
            &["keys", "derive", "--venue", "binance", "--wallet", "k"],
            "derives no keys",
        ),
        (
            &[
                "keys",
                "derive",
                "--venue",
                "dydx_v3",
                "--wallet",
                "k",
                "--key-nonce",
                "1",
            ],
            "--key-nonce",
        ),
        (
            &["keys", "derive", "--venue", "dydx_v3", "--wallet", "nobody"],
            "nobody",
        ),
        (
            &[
                "keys",
                "derive",
                "--venue",
                "loopring",
                "--wallet",
                "k",
                "--network-id",
                "1",
            ],
            "loopring",
        ),
    ];
    for (args, says) in cases {
        let r = sluice(dir.path(), args, "");
        assert!(!r.ok, "{args:?} succeeded");
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
        assert!(
            r.stderr.to_lowercase().contains(&says.to_lowercase()),
            "{args:?}: {}",
            r.stderr
        );
    }
}
