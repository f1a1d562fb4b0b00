//! A deployment manifest is used only on the chain it was deployed on: `sluice quote` (and so
//! `sluice swap`, which opens its venue the same way) refuses a manifest, from `--manifest` or
//! `SLUICE_MANIFEST`, whose chain id or genesis hash differs from the node's, naming both, and one
//! that records no genesis hash (an older manifest), saying to redeploy.

use std::path::Path;
use std::process::{Command, Output};

use alloy::primitives::B256;
use sluice_sim::deploy::{LocalEnv, Manifest};

use crate::cli_support::{kill, read_until};

/// `sluice quote` of 1 WETH on the node of `env`, with `manifest` given by flag or environment.
fn quote(env: &LocalEnv, manifest: &Path, by_env: bool) -> Output {
    let url = env.anvil.url().to_string();
    let mut c = Command::new(env!("CARGO_BIN_EXE_sluice"));
    c.args([
        "quote",
        "--venue",
        "uniswap_v3",
        "--chain",
        "anvil",
        "--rpc-url",
        &url,
        "WETH-USDC",
        "sell",
        "1",
        "--json",
    ])
    .env_remove("SLUICE_HOME")
    .env_remove("SLUICE_MANIFEST")
    .env("RUST_LOG", "warn");
    if by_env {
        c.env("SLUICE_MANIFEST", manifest);
    } else {
        c.arg("--manifest").arg(manifest);
    }
    c.output().unwrap()
}

fn write(dir: &Path, name: &str, json: &serde_json::Value) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec_pretty(json).unwrap()).unwrap();
    path
}

fn refused(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "accepted: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manifest_of_another_chain_is_refused() {
    let env = LocalEnv::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let node_id = env.manifest.chain_id;
    let genesis = env
        .manifest
        .genesis_hash
        .expect("the snapshot records its genesis");

    // This node's own manifest is accepted (by flag and by environment).
    let own = write(
        dir.path(),
        "own.json",
        &serde_json::to_value(&env.manifest).unwrap(),
    );
    for by_env in [false, true] {
        let out = quote(&env, &own, by_env);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // Another chain id: refused, naming both ids, by flag and by environment.
    let mut other = env.manifest.clone();
    other.chain_id = 1;
    let other = write(
        dir.path(),
        "mainnet.json",
        &serde_json::to_value(&other).unwrap(),
    );
    for by_env in [false, true] {
        let err = refused(&quote(&env, &other, by_env));
        assert!(err.contains("chain id 1 "), "{err}");
        assert!(err.contains(&format!("chain id {node_id}")), "{err}");
        assert!(err.contains("mainnet.json"), "{err}");
    }

    // The same chain id on another chain (another genesis): refused, naming both hashes.
    let mut forked: Manifest = env.manifest.clone();
    forked.genesis_hash = Some(B256::repeat_byte(0x42));
    let forked = write(
        dir.path(),
        "other.json",
        &serde_json::to_value(&forked).unwrap(),
    );
    let err = refused(&quote(&env, &forked, false));
    assert!(err.contains(&B256::repeat_byte(0x42).to_string()), "{err}");
    assert!(err.contains(&genesis.to_string()), "{err}");

    // An older manifest, without the genesis hash: refused, saying to redeploy.
    let mut old = serde_json::to_value(&env.manifest).unwrap();
    old.as_object_mut().unwrap().remove("genesis_hash");
    old["format"] = 2.into();
    let old = write(dir.path(), "old.json", &old);
    let err = refused(&quote(&env, &old, false));
    assert!(err.contains("redeploy"), "{err}");
}

/// `sluice anvil up --json --state FILE [extra]` until its JSON document is printed, then Ctrl-C:
/// the document, once the state is saved; its stderr if it refused to start.
fn up_and_save(state: &Path, extra: &[&str]) -> Result<serde_json::Value, String> {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["anvil", "up", "--json", "--state"])
        .arg(state)
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let text = read_until(&mut child, |all, _| {
        serde_json::from_str::<serde_json::Value>(all).is_ok()
    })
    .inspect_err(|err| assert!(!child.wait().unwrap().success(), "{err}"))?;
    let doc = serde_json::from_str(&text).unwrap();
    kill(i32::try_from(child.id()).unwrap(), libc::SIGINT);
    assert!(child.wait().unwrap().success());
    Ok(doc)
}

#[test]
fn a_saved_node_resumes_with_its_manifest_and_refuses_another() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    let manifest = dir.path().join("chain.json.manifest.json");
    up_and_save(&state, &["--deploy"]).unwrap();
    // Saved and resumed, twice: the manifest saved beside the state matches the resumed node.
    for _ in 0..2 {
        let doc = up_and_save(&state, &[]).unwrap();
        assert!(doc["manifest"]["genesis_hash"].is_string(), "{doc}");
    }
    // A manifest of another chain beside the state: the node is not served with it.
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&manifest).unwrap()).unwrap();
    m["chain_id"] = 1.into();
    std::fs::write(&manifest, serde_json::to_vec(&m).unwrap()).unwrap();
    let err = up_and_save(&state, &[]).unwrap_err();
    assert!(err.contains("chain id 1 "), "{err}");
}
