//! `sluice book --venue loopring` run as a user would against the simulated Loopring
//! (`--base-url` / `--ws-url` fill the `[connect.loopring]` table): the top levels equal the
//! simulator's, sizes read exactly from token units; with no URL, the closed venue's error names
//! the key and the date the exchange shut.

use std::path::Path;
use std::process::Output;

use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::loopring::MockLoopring;

use crate::cex_support::cli::{CLI, at_venue, dec, json, strings};

async fn sluice(home: &Path, args: Vec<String>) -> Output {
    CLI.output(home, args, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_from_the_command_line_and_the_missing_url_error() {
    let mock = MockLoopring::start().await.unwrap();
    mock.seed_book("ETH-USDC", dec!(2000), 10, 1, dec!(1.5))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let args = at_venue(
        &["book", "ETH-USDC", "--once", "--json", "--depth", "3"],
        "loopring",
        &[("--base-url", mock.rest_url()), ("--ws-url", mock.ws_url())],
    );
    let out = sluice(home.path(), args).await;
    let book = json(&out);
    let theirs = mock.book("ETH-USDC").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3, "{book}");
    for (i, level) in theirs.bids.iter().take(3).enumerate() {
        assert_eq!(dec(&book["bids"][i][0]), level.0);
        assert_eq!(dec(&book["bids"][i][1]), level.1);
    }
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);
    assert_eq!(dec(&book["asks"][0][1]), dec!(1.5));

    let out = sluice(
        home.path(),
        strings(&["book", "ETH-USDC", "--venue", "loopring", "--once"]),
    )
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("shut on 2026-06-28") && err.contains("rest_url"),
        "{err}"
    );
}
