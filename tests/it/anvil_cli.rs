//! `sluice anvil up --deploy --json --state FILE`: prints one JSON document with the RPC URL and the
//! manifest, serves the deployed chain until Ctrl-C, then writes the state and the manifest to FILE and
//! stops its node.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::providers::{Provider, ProviderBuilder};
use serde_json::Value;
use sluice_sim::deploy::{Manifest, Snapshot};

/// Stops the CLI (SIGTERM, which it handles like Ctrl-C) if the test fails before it does.
struct StopOnDrop(Child);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            if let Ok(pid) = i32::try_from(self.0.id()) {
                // SAFETY: signals our own child process.
                unsafe { libc::kill(pid, libc::SIGTERM) };
            }
            let _ = self.0.wait();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_prints_the_manifest_serves_the_chain_and_saves_state_on_ctrl_c() {
    let expected = Snapshot::ensure().await.unwrap().manifest;
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("chain.json");
    let mut child = StopOnDrop(
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["anvil", "up", "--deploy", "--json", "--state"])
            .arg(&state)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );

    // One pretty JSON document: read lines until they parse.
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let mut text = String::new();
    let doc: Value = loop {
        let line = lines
            .next()
            .expect("stdout closed before the JSON document")
            .unwrap();
        text.push_str(&line);
        if let Ok(v) = serde_json::from_str(&text) {
            break v;
        }
    };
    let url = doc["rpc_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let manifest: Manifest = serde_json::from_value(doc["manifest"].clone()).unwrap();
    assert_eq!(manifest, expected);

    let p = ProviderBuilder::new().connect_http(url.parse().unwrap());
    assert_eq!(p.get_block_number().await.unwrap(), manifest.block);
    assert!(
        !p.get_code_at(manifest.uniswap_v3.swap_router)
            .await
            .unwrap()
            .is_empty()
    );

    // Ctrl-C.
    let pid = i32::try_from(child.0.id()).unwrap();
    // SAFETY: sends a signal to our own child process; no memory is involved.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sluice did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    assert!(
        std::fs::metadata(&state).unwrap().len() > 100_000,
        "state written"
    );
    let saved: Manifest = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("chain.json.manifest.json")).unwrap(),
    )
    .unwrap();
    // The same deployment; its genesis hash is the one a node resumed from the saved state serves
    // (anvil may write a new block 0 when it dumps a node loaded from a state).
    assert!(saved.genesis_hash.is_some());
    assert_eq!(
        Manifest {
            genesis_hash: expected.genesis_hash,
            ..saved
        },
        expected
    );
    assert!(p.get_block_number().await.is_err(), "the node is stopped");
}
