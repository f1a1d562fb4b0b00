//! `sluice book`, `positions` and `order list|cancel|place` with `--venue dydx_v3`, run as a user
//! would against the simulated dYdX v3 (`--base-url` / `--ws-url` fill the `[connect.dydx_v3]`
//! table; the API key, secret and passphrase the clients derive from the trader's Ethereum key
//! stored with `sluice keys add`); an order placed through the library with the STARK key shows
//! in `order list` and is cancelled from the command line; `order place` without the STARK key
//! is refused before the wire, naming `--wallet`, and with `--wallet` (the trader's key imported)
//! it is signed and accepted; no URL is the closed venue's error.

use std::path::Path;
use std::process::Output;

use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::clob::dydx_v3::DydxV3Venue;
use sluice::clob::dydx_v3::onboarding::derive_api_key;
use sluice::core::{OrderState, OrderType, Side};
use sluice_sim::exchange::dialects::dydx_v3::{MockDydxV3, TRADER_ETH_KEY};

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};
use crate::cex_support::{self as cex, wait_state};
use crate::dydx_v3_book::config;

async fn sluice(home: &Path, args: Vec<String>) -> Output {
    CLI.output(home, args, None).await
}

fn at(list: &[&str], mock: &MockDydxV3) -> Vec<String> {
    at_venue(
        list,
        "dydx_v3",
        &[("--base-url", mock.rest_url()), ("--ws-url", mock.ws_url())],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_positions_and_orders_from_the_command_line() {
    let mock = MockDydxV3::start().await.unwrap();
    mock.seed_book("ETH-USD", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let api = derive_api_key(&TRADER_ETH_KEY.parse().unwrap(), 1).unwrap();
    let home = home_with_keys(
        "dydx_v3",
        &[
            api.key.as_str(),
            api.secret.as_str(),
            api.passphrase.as_str(),
        ],
    )
    .await;

    let book = json(
        &sluice(
            home.path(),
            at(
                &["book", "ETH-USD", "--once", "--json", "--depth", "3"],
                &mock,
            ),
        )
        .await,
    );
    let theirs = mock.book("ETH-USD").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);

    // a long of 1 and a resting bid, placed with the STARK key through the library
    let v = DydxV3Venue::new(config(&mock), crate::dydx_v3_orders::keys()).unwrap();
    v.set_reconcile_interval(std::time::Duration::from_millis(100));
    v.start(&[]).await.unwrap();
    let pair = "ETH-USD".parse().unwrap();
    let mut ioc = cex::order(
        &v,
        &pair,
        Side::Buy,
        OrderType::Limit,
        dec!(1),
        Some(dec!(101)),
    );
    ioc.time_in_force = sluice::core::TimeInForce::Ioc;
    let bought = v.submit(ioc).await.unwrap();
    wait_state(&v, &bought, OrderState::Filled, dec!(1)).await;
    let resting = v
        .submit(cex::order(
            &v,
            &pair,
            Side::Buy,
            OrderType::Limit,
            dec!(0.3),
            Some(dec!(98)),
        ))
        .await
        .unwrap();
    wait_state(&v, &resting, OrderState::Open, dec!(0)).await;

    let report = json(&sluice(home.path(), at(&["positions", "--json"], &mock)).await);
    assert_eq!(report["venue"], "dydx_v3");
    let listed = report["positions"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{report}");
    assert_eq!(dec(&listed[0]["size"]), dec!(1));
    assert_eq!(dec(&listed[0]["entry_price"]), dec!(100.1));

    let orders = json(&sluice(home.path(), at(&["order", "list", "--json"], &mock)).await);
    assert!(
        orders
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == resting.as_str()),
        "{orders}"
    );
    let cancelled = json(
        &sluice(
            home.path(),
            at(
                &["order", "cancel", "--id", resting.as_str(), "--json"],
                &mock,
            ),
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");

    let out = sluice(
        home.path(),
        at(
            &[
                "order",
                "place",
                "--pair",
                "ETH-USD",
                "--side",
                "buy",
                "--amount",
                "0.1",
                "--price",
                "97",
                "--client-id",
                "cli-dydx-1",
                "--json",
            ],
            &mock,
        ),
    )
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("STARK key") && err.contains("--wallet"),
        "{err}"
    );
    assert!(mock.order_id("cli-dydx-1").is_none(), "nothing sent");

    // with the trader's Ethereum key imported as a wallet and named: the keys derived from it, the
    // order signed with the STARK key, accepted by the simulator (which checks that signature)
    let imported = CLI
        .output(
            home.path(),
            strings(&["wallet", "import-key", "--name", "trader", "--key-stdin"]),
            Some(&format!("{TRADER_ETH_KEY}\n")),
        )
        .await;
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let placed = json(
        &sluice(
            home.path(),
            at(
                &[
                    "order",
                    "place",
                    "--pair",
                    "ETH-USD",
                    "--side",
                    "buy",
                    "--amount",
                    "0.1",
                    "--price",
                    "97",
                    "--client-id",
                    "cli-dydx-2",
                    "--wallet",
                    "trader",
                    "--json",
                ],
                &mock,
            ),
        )
        .await,
    );
    assert_eq!(placed[0]["client_id"], "cli-dydx-2", "{placed}");
    assert!(
        mock.order_id("cli-dydx-2").is_some(),
        "the order reached the simulator"
    );

    // no URL: the closed venue's error names the key
    let out = sluice(
        home.path(),
        strings(&["book", "ETH-USD", "--venue", "dydx_v3", "--once"]),
    )
    .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("closed in 2024") && err.contains("rest_url"),
        "{err}"
    );
}
