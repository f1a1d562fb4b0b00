//! The CLI's basic contract: help and version, `chains` and `venues` in both output forms, and errors on
//! stderr with a non-zero exit code.

use std::process::Command;

fn sluice(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env(
            "SLUICE_HOME",
            std::env::temp_dir().join("sluice-cli-basics"),
        )
        .env_remove("SLUICE_CHAINS_DIR")
        .output()
        .expect("run sluice")
}

#[test]
fn help_and_version() {
    let out = sluice(&["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for cmd in ["chains", "venues"] {
        assert!(text.contains(cmd), "--help lists {cmd}");
    }
    let out = sluice(&["--version"]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("sluice "));
}

/// Every venue of the shared reference table is listed, with its kind and a connector state.
#[test]
fn venues_json_lists_the_reference_table() {
    let out = sluice(&["venues", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let rows = v.as_array().expect("an array");
    let names: Vec<&str> = rows.iter().filter_map(|r| r["name"].as_str()).collect();
    let expected = [
        "uniswap_v2",
        "uniswap_v3",
        "balancer",
        "perp",
        "mento",
        "terra_swap",
        "dydx",
        "dydx_v3",
        "loopring",
        "ascend_ex",
        "beaxy",
        "binance",
        "binance_us",
        "bitfinex",
        "bitmart",
        "bittrex",
        "blocktane",
        "coinbase_pro",
        "coinbase_advanced",
        "coinzoom",
        "crypto_com",
        "digifinex",
        "ftx",
        "gate_io",
        "hitbtc",
        "htx",
        "kraken",
        "kucoin",
        "liquid",
        "ndax",
        "okx",
        "probit",
        "probit_kr",
        "binance_perpetual",
        "bybit_perpetual",
        "dydx_perpetual",
    ];
    for e in expected {
        assert!(names.contains(&e), "{e} missing from `venues --json`");
    }
    assert_eq!(names.len(), expected.len());
    for r in rows {
        assert!(
            ["cex", "amm", "clob", "perp"].contains(&r["kind"].as_str().unwrap_or("")),
            "{r}"
        );
        assert!(r["connector"]["state"].is_string(), "{r}");
        assert!(
            ["live", "closed", "uncertain"].contains(&r["status"].as_str().unwrap_or("")),
            "{r}"
        );
    }
}

#[test]
fn venues_table_is_readable() {
    let out = sluice(&["venues"]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let header = text.lines().next().unwrap_or_default();
    assert!(header.starts_with("VENUE"), "{header}");
    assert!(text.lines().any(|l| l.starts_with("binance ")));
}

#[test]
fn chains_json_and_table() {
    let out = sluice(&["chains", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let ids: Vec<String> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c["name"].as_str().unwrap(), c["chain_id"]))
        .collect();
    for want in [
        "ethereum=1",
        "xdai=100",
        "celo=42220",
        "anvil=31337",
        "terra=\"phoenix-1\"",
        "terra_classic=\"columbus-5\"",
    ] {
        assert!(ids.contains(&want.to_string()), "{want} in {ids:?}");
    }
    let out = sluice(&["chains"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("ethereum"));
}

#[test]
fn a_bad_chain_spec_is_an_error_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "name = \"bad\"\nfamily = \"evm\"\nchain_id = -4\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["chains", "--chains-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "nothing on stdout");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("chain_id"),
        "{err}"
    );
}

#[test]
fn unknown_subcommand_fails() {
    let out = sluice(&["frobnicate"]);
    assert!(!out.status.success());
    assert!(!out.stderr.is_empty());
}

/// A command that must fail: its stderr.
fn refused(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env(
            "SLUICE_HOME",
            std::env::temp_dir().join("sluice-cli-basics"),
        )
        .env_remove("SLUICE_CHAINS_DIR")
        .env_remove("SLUICE_RPC_URL")
        .env_remove("SLUICE_MANIFEST")
        .env_remove("SLUICE_PASSWORD")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run sluice");
    assert!(!out.status.success(), "{args:?} succeeded");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `--venue` takes any venue id and goes through the connector registry: a venue without a
/// connector is named with the connectors there are, and a flag the venue's connector does not
/// take is refused by that connector, naming the key, the table and where it came from.
#[test]
fn venue_commands_go_through_the_registry() {
    let err = refused(&["balance", "--venue", "ndax"]);
    assert!(
        err.contains("no connector for venue ndax") && err.contains("binance"),
        "{err}"
    );
    let err = refused(&["balance", "--venue", "binance", "--wallet", "main"]);
    assert!(
        err.contains("command line: [connect.binance]: unknown key `wallet`"),
        "{err}"
    );
    let err = refused(&[
        "quote",
        "--venue",
        "binance",
        "--rpc-url",
        "http://127.0.0.1:9",
        "ETH-USDT",
        "buy",
        "1",
    ]);
    assert!(err.contains("unknown key `rpc_url`"), "{err}");
    let err = refused(&[
        "quote",
        "--venue",
        "uniswap_v3@anvil",
        "--chain",
        "ethereum",
        "WETH-USDC",
        "buy",
        "1",
    ]);
    assert!(err.contains("--chain says ethereum"), "{err}");
    // `swap` takes the same venue ids (`uniswap_v3@anvil` or `uniswap_v3 --chain anvil`).
    let swap = |venue: &str, chain: &str| {
        refused(&[
            "swap",
            "--venue",
            venue,
            "--chain",
            chain,
            "--wallet",
            "main",
            "WETH-USDC",
            "sell",
            "1",
            "--slippage",
            "1",
        ])
    };
    let err = swap("uniswap_v3@anvil", "ethereum");
    assert!(err.contains("--chain says ethereum"), "{err}");
    let err = swap("binance", "anvil");
    assert!(err.contains("drives uniswap_v2 and uniswap_v3"), "{err}");
}
