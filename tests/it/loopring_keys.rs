//! `sluice keys derive --venue loopring` as the built binary: the wallet's Ethereum account (an
//! imported key, or a mnemonic account chosen by `--index`) signs Loopring's key seed for the
//! mainnet exchange and prints only the L2 EdDSA public key; `--key-nonce` selects another key.

use std::path::Path;

use crate::cli_support::Run;
use crate::dydx_v3_keys::{CLI, home};

/// Ganache's key, imported as wallet `k`, and its mnemonic as wallet `m` (account 0 is that key):
/// the dYdX v3 key tests' fixture. Its L2 key for nonce 0: the key-seed signature taken through
/// the JS SDK's derivation steps by hello_loopring's python code (see `clob::loopring::vectors`).
const L2_X: &str = "0x05efbecc183ca95d5067ac026abc004eb2803bb4586af749c5ea97e0978bfe23";
const L2_Y: &str = "0x2084c36a301ba90e75b97ebcf0d7de996ce1b20a943c84fc1413f15bf86e200d";

fn derive(home: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["keys", "derive", "--venue", "loopring"];
    args.extend_from_slice(extra);
    args.push("--json");
    CLI.run(home, &args, "")
}

fn public_key(r: &Run) -> (String, String) {
    assert!(r.ok, "keys derive: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("one JSON document");
    let obj = v.as_object().expect("an object");
    assert_eq!(obj.len(), 2, "only the public key: {v}");
    (
        obj["eddsa_public_key_x"].as_str().unwrap().to_string(),
        obj["eddsa_public_key_y"].as_str().unwrap().to_string(),
    )
}

#[test]
fn keys_derive_loopring_prints_the_sdk_key() {
    let dir = home();
    let want = (L2_X.to_string(), L2_Y.to_string());
    for wallet in ["k", "m"] {
        assert_eq!(public_key(&derive(dir.path(), &["--wallet", wallet])), want);
        let explicit = derive(dir.path(), &["--wallet", wallet, "--key-nonce", "0"]);
        assert_eq!(public_key(&explicit), want);
    }
    let nonce1 = public_key(&derive(dir.path(), &["--wallet", "m", "--key-nonce", "1"]));
    let index1 = public_key(&derive(dir.path(), &["--wallet", "m", "--index", "1"]));
    for other in [&nonce1, &index1] {
        assert_ne!(other, &want);
        assert!(
            other.0.starts_with("0x") && other.0.len() == 66,
            "{other:?}"
        );
        assert!(
            other.1.starts_with("0x") && other.1.len() == 66,
            "{other:?}"
        );
    }
    assert_ne!(nonce1, index1);
}

#[test]
fn keys_derive_loopring_refusals_are_clear() {
    let dir = home();
    let cases: [(&[&str], &str); 2] = [
        (&["--wallet", "k", "--network-id", "1"], "--network-id"),
        (&["--wallet", "nobody"], "nobody"),
    ];
    for (args, says) in cases {
        let r = derive(dir.path(), args);
        assert!(!r.ok, "{args:?} succeeded");
        assert!(r.stdout.is_empty(), "{args:?} printed {}", r.stdout);
        assert!(
            r.stderr.to_lowercase().contains(says),
            "{args:?}: {}",
            r.stderr
        );
    }
}
