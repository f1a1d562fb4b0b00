//! The CLI on Perp v1: `sluice quote|swap|positions --venue perp@anvil` (the cached deployment's
//! manifest found by itself) opens a long that fills exactly its quote and shows it, equal to the
//! ClearingHouse's view; and the exact form `sluice positions --venue perp --chain xdai --json`
//! against a node under xDai's chain id reads a position opened there.

use std::process::Output;
use std::time::Duration;

use alloy::primitives::U256;
use rust_decimal_macros::dec;
use sluice::amm::perp::abi::IPerpClearingHouse;
use sluice::core::{Asset, Order, OrderState, Position, Quote};
use sluice_sim::anvil::{DEV_MNEMONIC, dev_addresses};
use sluice_sim::deploy::LocalEnv;

use crate::cli_support::{Cli, strings};
use crate::perp_positions::check;
use crate::perp_support::{IPerpErc20, PerpEnv, TestResult, e18, send, start_xdai};

const CLI: Cli = Cli {
    password: "perp cli test password",
    wait: Duration::from_secs(300),
};

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stdout));
    })
}

fn positions_of(report: &serde_json::Value) -> Vec<Position> {
    serde_json::from_value(report["positions"].clone()).unwrap_or_else(|e| panic!("{e}: {report}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quotes_swaps_and_shows_positions_on_perp_at_anvil() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let home = tempfile::tempdir()?;
    let url = env.anvil.url().to_string();
    let imported = CLI
        .output(
            home.path(),
            strings(&["wallet", "import", "--name", "dev", "--mnemonic-stdin"]),
            Some(DEV_MNEMONIC),
        )
        .await;
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let venue = strings(&["--venue", "perp@anvil", "--rpc-url", &url]);
    let cmd = |head: &[&str], tail: &[&str]| {
        let mut a = strings(head);
        a.extend(venue.clone());
        a.extend(strings(tail));
        a
    };
    let q: Quote = serde_json::from_value(json_of(
        &CLI.output(
            home.path(),
            cmd(&["quote"], &["ETH-USDC", "buy", "0.25", "--json"]),
            None,
        )
        .await,
    ))?;
    assert_eq!(q.venue, "perp@anvil");
    assert!(
        q.quote_amount > dec!(700) && q.quote_amount < dec!(800),
        "{q:?}"
    );

    let report = json_of(
        &CLI.output(
            home.path(),
            cmd(
                &["swap"],
                &[
                    "--wallet",
                    "dev",
                    "--account",
                    "3",
                    "ETH-USDC",
                    "buy",
                    "0.25",
                    "--slippage",
                    "1",
                    "--json",
                ],
            ),
            None,
        )
        .await,
    );
    let order: Order = serde_json::from_value(report["order"].clone())?;
    assert_eq!(order.state, OrderState::Filled, "{report}");
    assert_eq!(order.filled, dec!(0.25));
    assert_eq!(
        order.filled_quote, q.quote_amount,
        "the swap equals its quote"
    );
    assert_eq!(
        report["approvals"].as_array().map(Vec::len),
        Some(1),
        "{report}"
    );

    let trader = dev_addresses()[3];
    let shown = json_of(
        &CLI.output(
            home.path(),
            cmd(
                &["positions"],
                &["--wallet", "dev", "--account", "3", "--json"],
            ),
            None,
        )
        .await,
    );
    assert_eq!(shown["venue"], "perp@anvil");
    let perp = env.manifest.perp.clone().ok_or("no perp")?;
    let e = PerpEnv {
        clearing_house: perp.clearing_house,
        viewer: perp.clearing_house_viewer,
        amm: perp.amms.first().ok_or("no amm")?.address,
        usdc: perp.quote_token,
        price_feed: perp.price_feed,
        env,
    };
    let view = check(&e, trader).await?;
    assert_eq!(
        positions_of(&shown),
        vec![view.to_position("ETH-USDC".parse()?, Asset::new("USDC")?)?]
    );
    // The table, by address (no password needed), and an account without positions.
    let table = CLI
        .output(
            home.path(),
            cmd(&["positions"], &["--address", &trader.to_string()]),
            None,
        )
        .await;
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.status.success(),
        "{}",
        String::from_utf8_lossy(&table.stderr)
    );
    assert!(text.contains("ETH-USDC") && text.contains("long"), "{text}");
    assert!(text.contains("0.25"), "{text}");
    let none = CLI
        .output(
            home.path(),
            cmd(
                &["positions"],
                &["--address", &dev_addresses()[9].to_string()],
            ),
            None,
        )
        .await;
    assert!(
        String::from_utf8_lossy(&none.stdout).contains("no open positions at perp@anvil"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
    // No account named: a clear error.
    let anon = CLI
        .output(home.path(), cmd(&["positions"], &[]), None)
        .await;
    assert!(!anon.status.success());
    assert!(String::from_utf8_lossy(&anon.stderr).contains("--address"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_positions_on_perp_at_xdai() -> TestResult<()> {
    let e = start_xdai().await?;
    let home = tempfile::tempdir()?;
    let manifest = home.path().join("manifest.json");
    std::fs::write(&manifest, serde_json::to_vec(&e.env.manifest)?)?;
    let trader = dev_addresses()[8];
    let p = e.env.anvil.provider();
    send(
        &p,
        trader,
        e.usdc,
        &IPerpErc20::approveCall {
            spender: e.clearing_house,
            value: U256::MAX,
        },
    )
    .await?;
    // A short of 600 USDC notional at 3x.
    send(
        &p,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::openPositionCall {
            _amm: e.amm,
            _side: 1,
            _quoteAssetAmount: IPerpClearingHouse::Dec { d: e18(200) },
            _leverage: IPerpClearingHouse::Dec { d: e18(3) },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: U256::ZERO },
        },
    )
    .await?;
    let url = e.env.anvil.url().to_string();
    let shown = json_of(
        &CLI.output(
            home.path(),
            strings(&[
                "positions",
                "--venue",
                "perp",
                "--chain",
                "xdai",
                "--rpc-url",
                &url,
                "--manifest",
                &manifest.display().to_string(),
                "--address",
                &trader.to_string(),
                "--json",
            ]),
            None,
        )
        .await,
    );
    assert_eq!(shown["venue"], "perp@xdai");
    let view = check(&e, trader).await?;
    let positions = positions_of(&shown);
    assert_eq!(
        positions,
        vec![view.to_position("ETH-USDC".parse()?, Asset::new("USDC")?)?]
    );
    assert!(positions[0].size < dec!(0));
    assert_eq!(positions[0].entry_notional, dec!(600));
    Ok(())
}
