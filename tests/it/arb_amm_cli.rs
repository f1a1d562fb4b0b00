//! `sluice arb --config FILE` with Balancer and with Mento as the AMM leg, run as a user runs it:
//! the dev wallet and the mock's API keys stored in a temporary home, the config's `[connect]`
//! tables naming `balancer@anvil` / `mento@anvil` (built through the registry like any venue).
//! The run trades until its trade limit, then exits 0 with both legs of each trade journaled.

use std::time::Duration;

use sluice::store::Journal;
use sluice_sim::arb_env::{ArbAmm, ArbEnv, ArbEnvOptions};
use sluice_sim::arb_toml::StrategyToml;
use sluice_sim::demo::DEV_MNEMONIC;

use crate::cli_support::Cli;

const CLI: Cli = Cli {
    password: "arb amm cli test password",
    wait: Duration::from_secs(90),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sluice_arb_trades_with_balancer_and_mento_legs() {
    for amm in [ArbAmm::Balancer, ArbAmm::Mento] {
        let env = ArbEnv::start(ArbEnvOptions::for_amm(amm)).await.unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        CLI.ok(
            &home,
            &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
            &format!("{DEV_MNEMONIC}\n"),
        )
        .await;
        CLI.ok(
            &home,
            &["keys", "add", "--venue", "binance", "--stdin"],
            &format!("{}\n{}\n", env.mock.api_key(), env.mock.api_secret()),
        )
        .await;
        let strategy = StrategyToml {
            max_trades: Some(2),
            ..StrategyToml::for_amm(amm)
        };
        let connect = env
            .connect_toml("dev", &tmp.path().join("manifest.json"))
            .unwrap();
        assert!(connect.contains(&format!("{amm}@anvil")), "{connect}");
        let config_file = tmp.path().join("arb.toml");
        std::fs::write(&config_file, format!("{}\n{connect}", strategy.text())).unwrap();

        let mut c = CLI.command(["arb", "--json", "--config"], Some(&home));
        c.arg(&config_file);
        let (ok, stdout, stderr) = CLI.finish(c).await;
        assert!(ok, "{amm}: {stderr}\n{stdout}");
        let done = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|e| e["event"] == "trade_done")
            .count();
        assert_eq!(done, 2, "{amm}: {stdout}");

        let journal = Journal::open(&home.join("journal.sqlite")).unwrap();
        let run = journal.history(None).unwrap().runs.pop().unwrap();
        let amm_venue = format!("{amm}@anvil");
        for venue in ["binance", amm_venue.as_str()] {
            let amount: rust_decimal::Decimal = run
                .trades
                .iter()
                .filter(|t| t.venue == venue)
                .map(|t| t.amount)
                .sum();
            assert_eq!(
                amount,
                strategy.size * rust_decimal::Decimal::TWO,
                "{amm}: {venue}: {:?}",
                run.trades
            );
        }
    }
}
