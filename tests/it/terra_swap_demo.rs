//! `sluice demo --amm terra_swap` from the built binary: the mock Binance's LUNA-USDT book against
//! the Terraswap LUNA/axlUSDC pair of a local Terra. It must trade, journal both legs under the
//! simulated venues' names (`sim-binance`, `terra_swap@sim-terra`), end with a positive PnL in
//! USDT, and exit 0.

use std::process::Command;

use rust_decimal::Decimal;

#[test]
fn sluice_demo_trades_against_the_local_terra_and_prints_pnl() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "demo",
            "--amm",
            "terra_swap",
            "--json",
            "--timeout-secs",
            "90",
        ])
        .arg("--home")
        .arg(home.path())
        .env_remove("SLUICE_HOME")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluice demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "sluice demo failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
    let summary = &report["summary"];
    let trades = summary["trades"].as_u64().unwrap();
    assert!(trades >= 1, "no trade: {stderr}");
    assert_eq!(summary["failures"].as_u64(), Some(0), "{stderr}");
    let volume = |venue: &str| -> Decimal {
        report["trades"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["venue"] == venue)
            .map(|f| f["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
            .sum()
    };
    // 5 000 LUNA per trade on each leg
    let per_leg = Decimal::from(5000 * trades);
    assert_eq!(volume("sim-binance"), per_leg, "{report}");
    assert_eq!(volume("terra_swap@sim-terra"), per_leg, "{report}");
    let usdt: Decimal = summary["pnl_net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["asset"] == "USDT")
        .and_then(|f| f["net"].as_str())
        .map(|s| s.parse().unwrap())
        .unwrap_or_default();
    assert!(usdt > Decimal::ZERO, "PnL in USDT: {report}");
}
