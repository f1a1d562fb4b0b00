//! `sluice quote` and `sluice swap` with `--venue mento --chain anvil`: the venue is built through
//! the registry from the cached deployment's manifest; the CLI's quote equals the library's and a
//! CLI swap fills at it.

use std::process::Output;
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::core::{Order, OrderState, Quote, QuoteRequest, Side};
use sluice::venue::Venue;
use sluice_sim::anvil::DEV_MNEMONIC;
use sluice_sim::deploy::LocalEnv;

use crate::cli_support::{Cli, strings};
use crate::mento_support::venue;

const CLI: Cli = Cli {
    password: "mento cli test password",
    wait: Duration::from_secs(300),
};

fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_quotes_and_swaps_on_mento() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
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
    let venue_args = strings(&["--venue", "mento", "--chain", "anvil", "--rpc-url", &url]);
    let lib = venue(&env, None)
        .await
        .unwrap()
        .quote(&QuoteRequest {
            pair: "CELO-cUSD".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1000),
        })
        .await
        .unwrap();
    let mut quote_args = strings(&["quote"]);
    quote_args.extend(venue_args.clone());
    quote_args.extend(strings(&["CELO-cUSD", "sell", "1000", "--json"]));
    let q: Quote =
        serde_json::from_value(json_of(&CLI.output(home.path(), quote_args, None).await)).unwrap();
    assert_eq!(q.quote_amount, lib.quote_amount);
    assert_eq!(q.average_price, lib.average_price);

    let mut swap_args = strings(&["swap"]);
    swap_args.extend(venue_args);
    swap_args.extend(strings(&[
        "--wallet",
        "dev",
        "--account",
        "2",
        "CELO-cUSD",
        "sell",
        "1000",
        "--slippage",
        "1",
        "--json",
    ]));
    let report = json_of(&CLI.output(home.path(), swap_args, None).await);
    let order: Order = serde_json::from_value(report["order"].clone()).unwrap();
    assert_eq!(order.state, OrderState::Filled, "{report}");
    assert_eq!(order.filled, dec!(1000));
    assert_eq!(order.filled_quote, lib.quote_amount, "{report}");
}

/// What `sluice arb` does with `venue = "mento@anvil"`: the registry builds the venue from its
/// `[connect."mento@anvil"]` table (node and manifest), and it quotes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mento_at_anvil_is_built_through_the_registry() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let manifest = home.path().join("manifest.json");
    std::fs::write(&manifest, serde_json::to_vec(&env.manifest).unwrap()).unwrap();
    let mut table = toml::Table::new();
    table.insert("rpc_url".into(), env.anvil.url().to_string().into());
    table.insert("manifest".into(), manifest.display().to_string().into());
    let ctx = sluice::venue::ConnectContext::new(
        home.path(),
        sluice::chain::ChainSpecs::builtin().unwrap(),
        &home.path().join("arb.toml"),
    );
    let id: sluice::venue::VenueId = "mento@anvil".parse().unwrap();
    assert!(
        sluice::connectors::find(&id).is_some(),
        "mento is registered"
    );
    let v = sluice::connectors::connect(&id, &table, &ctx)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.id().to_string(), "mento@anvil");
    v.start(&["CELO-cUSD".parse().unwrap()]).await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: "CELO-cUSD".parse().unwrap(),
            side: Side::Buy,
            base_amount: dec!(10),
        })
        .await
        .unwrap();
    assert!(
        q.quote_amount > dec!(4.9) && q.quote_amount < dec!(5.1),
        "{q:?}"
    );
    v.close().await;
}
