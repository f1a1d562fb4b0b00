//! `sluice demo` from the built binary, as a newcomer runs it: it must trade the gap between the mock
//! Binance and the local Uniswap v3 pool, print each trade and the PnL, journal the run, and exit 0.

use std::process::Command;

#[test]
fn sluice_demo_trades_the_gap_and_exits_zero() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["demo", "--json", "--timeout-secs", "90"])
        .env("SLUICE_HOME", home.path())
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluice demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sluice demo failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    let trades = report["summary"]["trades"].as_u64().unwrap();
    assert!(trades >= 1, "no trade: {stderr}");
    assert_eq!(report["summary"]["failures"].as_u64(), Some(0), "{stderr}");
    // Every completed trade has a fill on each venue.
    let fills = report["trades"].as_array().unwrap();
    assert_eq!(fills.len() as u64, 2 * trades, "{report}");
    assert!(fills.iter().any(|f| f["venue"] == "binance"));
    assert!(fills.iter().any(|f| f["venue"] == "uniswap_v3@anvil"));
    // The gap was earned: the quote assets (USDT + USDC, the same by the demo's aliases) grew.
    let pnl = report["summary"]["pnl"].as_array().unwrap();
    let flow = |a: &str| -> f64 {
        pnl.iter()
            .find(|f| f["asset"] == a)
            .and_then(|f| f["net"].as_str())
            .map(|s| s.parse().unwrap())
            .unwrap_or(0.0)
    };
    assert!(flow("USDT") + flow("USDC") > 0.0, "{report}");
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
