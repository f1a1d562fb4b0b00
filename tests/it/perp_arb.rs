//! `sluice arb` with Perp v1 as the AMM leg (`perp@anvil` against the mock Binance): the venue is
//! built through the registry and started, then the strategy refuses the pair of legs before the
//! run, naming the venue and its execution, and sends nothing: no exchange order, no transaction
//! from the trader's account, no run left open in the journal.

use std::time::Duration;

use rust_decimal_macros::dec;
use sluice_sim::anvil::dev_addresses;

use crate::cli_support::{Cli, arb_env};

const CLI: Cli = Cli {
    password: "perp arb test password",
    wait: Duration::from_secs(120),
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arb_refuses_a_perp_leg_before_sending_anything() {
    let env = arb_env(dec!(3100), 1, false).await;
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let config_file = CLI.arb_setup(&env, &home, tmp.path()).await;
    // The same config with the AMM leg on Perp's ETH-USDC market.
    let text = std::fs::read_to_string(&config_file).unwrap();
    let amm_leg = "venue = \"uniswap_v3@anvil\"\npair = \"WETH-USDC\"";
    assert!(text.contains(amm_leg), "{text}");
    let text = text
        .replace(amm_leg, "venue = \"perp@anvil\"\npair = \"ETH-USDC\"")
        .replace("[connect.\"uniswap_v3@anvil\"]", "[connect.\"perp@anvil\"]");
    std::fs::write(&config_file, text).unwrap();
    assert_eq!(env.trader, dev_addresses()[1]);
    let nonce = env.nonce().await.unwrap();

    let mut c = CLI.command(["arb", "--json", "--config"], Some(&home));
    c.arg(&config_file);
    let (ok, stdout, stderr) = CLI.finish(c).await;
    assert!(!ok, "stdout: {stdout}\nstderr: {stderr}");
    assert!(
        stderr.contains("perp@anvil executes by PositionChange")
            && stderr.contains("nothing is sent"),
        "{stderr}"
    );
    assert!(!stdout.contains("order_update"), "{stdout}");
    assert!(
        env.exchange_orders().is_empty(),
        "an exchange order was sent"
    );
    assert_eq!(env.nonce().await.unwrap(), nonce, "a transaction was sent");
    let journal = sluice::store::Journal::open(&home.join("journal.sqlite")).unwrap();
    assert!(
        journal.unfinished_runs().unwrap().is_empty(),
        "a run was started"
    );
}
