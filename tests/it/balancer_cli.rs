//! `sluice quote|swap --venue balancer --chain anvil` through the registry, as a user runs them:
//! the CLI's quote equals the library's, and a swap from a wallet of the dev mnemonic fills
//! exactly that quote.

use std::process::Output;
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::amm::balancer::connector::{BalancerContracts, BalancerVenue};
use sluice::amm::tokens::TokenBook;
use sluice::core::{Asset, Order, OrderState, Quote, QuoteRequest, Side};
use sluice::venue::Venue;
use sluice_sim::anvil::DEV_MNEMONIC;
use sluice_sim::deploy::LocalEnv;

use crate::cli_support::{Cli, strings};

const CLI: Cli = Cli {
    password: "balancer cli test password",
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
async fn cli_quote_equals_the_library_and_a_swap_fills_it() {
    let env = LocalEnv::start().await.unwrap();
    let home = tempfile::tempdir().unwrap();
    let url = env.anvil.url().to_string();
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    let lib = BalancerVenue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        BalancerContracts::from_manifest(&env.manifest).unwrap(),
        book,
    )
    .await
    .unwrap();
    let request = QuoteRequest {
        pair: "DAI-USDC".parse().unwrap(),
        side: Side::Sell,
        base_amount: dec!(2500),
    };
    let want = lib.quote(&request).await.unwrap();
    let venue_args = strings(&["--venue", "balancer", "--chain", "anvil", "--rpc-url", &url]);
    let mut args = strings(&["quote"]);
    args.extend(venue_args.clone());
    args.extend(strings(&["DAI-USDC", "sell", "2500", "--json"]));
    let q: Quote =
        serde_json::from_value(json_of(&CLI.output(home.path(), args, None).await)).unwrap();
    assert_eq!(q.venue, "balancer@anvil");
    assert_eq!(q.quote_amount, want.quote_amount);
    assert_eq!(q.average_price, want.average_price);

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
    let mut args = strings(&["swap"]);
    args.extend(venue_args);
    args.extend(strings(&[
        "--wallet",
        "dev",
        "--account",
        "5",
        "DAI-USDC",
        "sell",
        "2500",
        "--slippage",
        "1",
        "--json",
    ]));
    let report = json_of(&CLI.output(home.path(), args, None).await);
    let order: Order = serde_json::from_value(report["order"].clone()).unwrap();
    assert_eq!(order.state, OrderState::Filled, "{report}");
    assert_eq!(order.filled_quote, want.quote_amount, "{report}");
}
