//! `sluice demo` from the built binary, as a newcomer runs it: it must trade the gap between the mock
//! Binance and the local Uniswap v3 pool, print each trade and the PnL, journal the run, and exit 0;
//! `--amm balancer` and `--amm mento` do the same against those AMMs, and an unknown AMM is refused.

use std::process::Command;

use rust_decimal::Decimal;

/// Runs `sluice demo --json --home <home>`; returns the report and stderr, after checking that it
/// exited 0, traded without a failure and journaled in `home`.
fn run_demo(home: &std::path::Path) -> (serde_json::Value, String) {
    run_demo_with(home, &[])
}

/// As [`run_demo`], with more arguments.
fn run_demo_with(home: &std::path::Path, extra: &[&str]) -> (serde_json::Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["demo", "--json", "--timeout-secs", "90"])
        .args(extra)
        .arg("--home")
        .arg(home)
        .env_remove("SLUICE_HOME")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluice demo");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "sluice demo failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    let trades = report["summary"]["trades"].as_u64().unwrap();
    assert!(trades >= 1, "no trade: {stderr}");
    assert_eq!(report["summary"]["failures"].as_u64(), Some(0), "{stderr}");
    assert_eq!(report["home"].as_str(), home.to_str(), "{report}");
    (report, stderr)
}

#[test]
fn sluice_demo_trades_the_gap_and_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    let (report, stderr) = run_demo(home.path());
    let trades = report["summary"]["trades"].as_u64().unwrap();
    // Each trade bought on one venue what it sold on the other: the fills of each venue add up to
    // trades x size (1 ETH), whatever the number of levels the exchange leg took.
    let fills = report["trades"].as_array().unwrap();
    let volume = |venue: &str| -> f64 {
        fills
            .iter()
            .filter(|f| f["venue"] == venue)
            .map(|f| f["amount"].as_str().unwrap().parse::<f64>().unwrap())
            .sum()
    };
    // The venues are named as the simulated ones they are.
    assert_eq!(volume("sim-binance"), trades as f64, "{report}");
    assert_eq!(volume("uniswap_v3@sim-anvil"), trades as f64, "{report}");
    let pnl = report["summary"]["pnl"].as_array().unwrap();
    let flow = |a: &str| -> Decimal {
        pnl.iter()
            .find(|f| f["asset"] == a)
            .and_then(|f| f["net"].as_str())
            .map(|s| s.parse().unwrap())
            .unwrap_or_default()
    };
    // The gap was earned: the quote assets (USDT + USDC, the same by the demo's aliases) grew.
    assert!(flow("USDT") + flow("USDC") > Decimal::ZERO, "{report}");
    // ... and the merged result says so in one line: USDT up, ETH down by the gas only.
    let net = |a: &str| -> Decimal {
        report["summary"]["pnl_net"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["asset"] == a)
            .map(|f| f["net"].as_str().unwrap().parse().unwrap())
            .unwrap_or_default()
    };
    assert_eq!(net("USDT"), flow("USDT") + flow("USDC"), "{report}");
    assert_eq!(net("ETH"), flow("ETH") + flow("WETH"), "{report}");
    assert!(
        net("ETH") < Decimal::ZERO && net("ETH") > Decimal::new(-1, 2),
        "{report}"
    );
    // The journal's PnL equals the balance change on the venues, asset by asset, to the last unit
    // (exchange fees and on-chain gas included).
    let total = |key: &str, asset: &str| -> Decimal {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e[1]["asset"] == asset)
            .map(|e| e[1]["total"].as_str().unwrap().parse::<Decimal>().unwrap())
            .sum()
    };
    for asset in ["ETH", "USDT", "WETH", "USDC"] {
        assert_eq!(
            total("balances_after", asset) - total("balances_before", asset),
            flow(asset),
            "{asset}: {report}"
        );
    }
    // The progress lines name the trades.
    assert!(stderr.contains("trade 1 complete"), "{stderr}");
    // The run is in the home's journal, and `sluice history` shows it.
    let hist = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["history", "--json"])
        .env("SLUICE_HOME", home.path())
        .output()
        .unwrap();
    assert!(hist.status.success());
    let h: serde_json::Value = serde_json::from_slice(&hist.stdout).unwrap();
    assert_eq!(
        h["runs"][0]["trades"].as_array().unwrap().len(),
        fills.len()
    );
}

/// A second demo over the same journal (a new mock exchange, a new anvil) trades as well as the
/// first: nothing from the first run's orders or fills gets in its way.
#[test]
fn sluice_demo_runs_again_over_the_same_journal() {
    let home = tempfile::tempdir().unwrap();
    let (first, _) = run_demo(home.path());
    let (second, stderr) = run_demo(home.path());
    assert_eq!(
        second["summary"]["trades"], first["summary"]["trades"],
        "the same setup makes the same trades: {stderr}"
    );
    let hist = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["history", "--json"])
        .env("SLUICE_HOME", home.path())
        .output()
        .unwrap();
    assert!(hist.status.success());
    let h: serde_json::Value = serde_json::from_slice(&hist.stdout).unwrap();
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 2, "{h}");
    for (run, report) in runs.iter().zip([&first, &second]) {
        assert_eq!(run["trades"], report["trades"], "{h}");
    }
}

/// `--amm balancer` and `--amm mento`: the demo trades against those pools (the exchange lists
/// ETH-USDT and CELO-USDT), both legs of each trade are of the order size, and the run earns in
/// the exchange's quote asset (cUSD and USDC counted as USDT).
#[test]
fn sluice_demo_trades_against_balancer_and_mento() {
    for (amm, size, base) in [("balancer", "0.25", "ETH"), ("mento", "1000", "CELO")] {
        let home = tempfile::tempdir().unwrap();
        let (report, stderr) = run_demo_with(home.path(), &["--amm", amm]);
        let trades = report["summary"]["trades"].as_u64().unwrap();
        let size: Decimal = size.parse().unwrap();
        let fills = report["trades"].as_array().unwrap();
        let volume = |venue: &str| -> Decimal {
            fills
                .iter()
                .filter(|f| f["venue"] == venue)
                .map(|f| f["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
                .sum()
        };
        let amm_venue = format!("{amm}@sim-anvil");
        assert_eq!(
            volume("sim-binance"),
            size * Decimal::from(trades),
            "{report}"
        );
        assert_eq!(volume(&amm_venue), size * Decimal::from(trades), "{report}");
        assert!(
            fills
                .iter()
                .filter(|f| f["venue"] == "sim-binance")
                .all(|f| f["pair"] == format!("{base}-USDT")),
            "{report}"
        );
        let net_usdt = report["summary"]["pnl_net"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["asset"] == "USDT")
            .map(|f| f["net"].as_str().unwrap().parse::<Decimal>().unwrap())
            .unwrap_or_default();
        assert!(net_usdt > Decimal::ZERO, "{amm}: {report}");
        assert!(stderr.contains(&amm_venue), "{stderr}");
    }
}

#[test]
fn sluice_demo_refuses_an_unknown_amm() {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["demo", "--amm", "curve"])
        .env_remove("SLUICE_HOME")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("curve") && stderr.contains("uniswap_v2") && stderr.contains("mento"),
        "{stderr}"
    );
}

/// `sluice demo --exchange gate_io|okx|kraken`: the same demo against another exchange's simulated
/// dialect (its own routes, message shapes and signature checks), through the registry. Both legs
/// of each trade are of the order size on their venue, and the run earns USDT.
#[test]
fn sluice_demo_trades_against_gate_io_and_okx() {
    for exchange in ["gate_io", "okx", "kraken"] {
        let home = tempfile::tempdir().unwrap();
        let (report, stderr) = run_demo_with(home.path(), &["--exchange", exchange]);
        let trades = report["summary"]["trades"].as_u64().unwrap();
        let fills = report["trades"].as_array().unwrap();
        let volume = |venue: &str| -> Decimal {
            fills
                .iter()
                .filter(|f| f["venue"] == venue)
                .map(|f| f["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
                .sum()
        };
        let exchange_venue = format!("sim-{exchange}");
        let amm_volume = volume("uniswap_v3@sim-anvil");
        assert!(amm_volume > Decimal::ZERO, "{report}");
        assert_eq!(volume(&exchange_venue), amm_volume, "{exchange}: {report}");
        assert!(trades >= 1, "{report}");
        let net_usdt = report["summary"]["pnl_net"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["asset"] == "USDT")
            .map(|f| f["net"].as_str().unwrap().parse::<Decimal>().unwrap())
            .unwrap_or_default();
        assert!(net_usdt > Decimal::ZERO, "{exchange}: {report}");
        assert!(stderr.contains(&exchange_venue), "{stderr}");
    }
}

#[test]
fn sluice_demo_refuses_an_exchange_without_a_dialect() {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["demo", "--exchange", "bitstamp"])
        .env_remove("SLUICE_HOME")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bitstamp") && stderr.contains("gate_io") && stderr.contains("okx"),
        "{stderr}"
    );
}
