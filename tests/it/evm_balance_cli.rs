//! `sluice balance` against a real anvil: native balance, a token by address and by a symbol from the
//! chain spec, JSON and table output, and a clear failure when the node is another chain.

use crate::evm_support;

use std::process::Command;

use alloy::primitives::U256;
use alloy::sol_types::SolValue;
use sluice_sim::deploy::Deployer;
use sluice_sim::deploy::tokens::units;

use evm_support::*;

fn sluice(args: &[&str], chains_dir: &std::path::Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .arg("--chains-dir")
        .arg(chains_dir)
        .arg("--home")
        .arg(chains_dir.join("home"))
        .env_remove("SLUICE_RPC_URL")
        .output()
        .unwrap()
}

fn json(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_of_native_and_tokens() {
    alloy::sol! { interface IMint { function mint(address to, uint256 value) external; } }
    let anvil = node().await;
    let args = ("USD Coin".to_string(), "USDC".to_string(), U256::from(6)).abi_encode_params();
    let usdc = deploy(&anvil, "TestToken.sol", "TestToken", &args).await;
    let holder = account(1);
    Deployer::new(anvil.provider(), account(0))
        .call(
            "mint",
            usdc,
            &IMint::mintCall {
                to: holder,
                value: units(1_234, 6) + U256::from(500_000),
            },
        )
        .await
        .unwrap();

    // The anvil spec, with the token listed by symbol.
    let dir = tempfile::tempdir().unwrap();
    let spec = format!(
        "{}\n[[tokens]]\nsymbol = \"USDC\"\naddress = \"{usdc:#x}\"\ndecimals = 6\n",
        include_str!("../../chains/anvil.toml")
    );
    std::fs::write(dir.path().join("anvil.toml"), spec).unwrap();
    let url = anvil.url().to_string();
    let addr = holder.to_string();
    let base = [
        "balance",
        "--chain",
        "anvil",
        "--rpc-url",
        &url,
        "--address",
        &addr,
    ];

    let native = json(&sluice(&[&base[..], &["--json"]].concat(), dir.path()));
    assert_eq!(native["asset"], "ETH");
    assert_eq!(native["amount"], "10000");
    assert_eq!(native["raw"], "10000000000000000000000");
    assert!(native["token"].is_null());

    let by_address = json(&sluice(
        &[&base[..], &["--token", &usdc.to_string(), "--json"]].concat(),
        dir.path(),
    ));
    assert_eq!(by_address["asset"], "USDC");
    assert_eq!(by_address["decimals"], 6);
    assert_eq!(by_address["amount"], "1234.5");
    assert_eq!(by_address["raw"], "1234500000");

    let by_symbol = json(&sluice(
        &[&base[..], &["--token", "usdc", "--json"]].concat(),
        dir.path(),
    ));
    assert_eq!(by_symbol, by_address);

    let table = sluice(&[&base[..], &["--token", "USDC"]].concat(), dir.path());
    assert!(table.status.success());
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("CHAIN"), "{text}");
    assert!(text.contains("USDC") && text.contains("1234.5"), "{text}");

    let unknown = sluice(&[&base[..], &["--token", "NOPE"]].concat(), dir.path());
    assert!(!unknown.status.success());
    let err = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        err.contains("unknown token \"NOPE\"") && err.contains("USDC"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn balance_on_the_wrong_chain_fails_clearly() {
    let anvil = node().await;
    let dir = tempfile::tempdir().unwrap();
    let url = anvil.url().to_string();
    let addr = account(1).to_string();
    let out = sluice(
        &[
            "balance",
            "--chain",
            "ethereum",
            "--rpc-url",
            &url,
            "--address",
            &addr,
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chain id mismatch"), "{err}");
    assert!(err.contains("31337"), "{err}");
}
