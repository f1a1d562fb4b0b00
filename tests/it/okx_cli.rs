//! `sluice keys add|sign`, `book`, `order` and `balance` with `--venue okx`, run as a user would
//! against the simulated OKX (`--base-url` / `--ws-url` fill the `[connect.okx]` table), with a
//! temporary sluice home: keys with a passphrase (a third line), the documented signature
//! example reproduced by `keys sign`, the book equal to the simulator's, an order placed, listed
//! and cancelled, the balances.

use std::path::Path;
use std::process::Output;

use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::okx::MockOkx;

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};

async fn sluice(home: &Path, args: Vec<String>, stdin: Option<String>) -> Output {
    CLI.output(home, args, stdin.as_deref()).await
}

fn at(list: &[&str], mock: &MockOkx) -> Vec<String> {
    at_venue(
        list,
        "okx",
        &[("--base-url", mock.rest_url()), ("--ws-url", mock.ws_url())],
    )
}

/// The docs' GET example (`2020-12-08T09:08:57.715Z`, `/api/v5/account/balance?ccy=BTC`) with a
/// known secret; the value computed independently with openssl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sign_reproduces_the_documented_okx_request() {
    let home = home_with_keys(
        "okx",
        &[
            "985d5b66-57ce-40fb-b714-afc0b9787083",
            "okx-test-secret",
            "123456",
        ],
    )
    .await;
    let s = json(
        &sluice(
            home.path(),
            strings(&[
                "keys",
                "sign",
                "--venue",
                "okx",
                "--method",
                "GET",
                "--url",
                "https://www.okx.com/api/v5/account/balance?ccy=BTC",
                "--time-ms",
                "1607418537715",
                "--json",
            ]),
            None,
        )
        .await,
    );
    assert_eq!(
        s["url"],
        "https://www.okx.com/api/v5/account/balance?ccy=BTC"
    );
    assert_eq!(
        s["headers"]["OK-ACCESS-SIGN"],
        "zoyYBAbbthbWS/lMxs58ldmr49iLIYLocgewx2gd6g8="
    );
    assert_eq!(
        s["headers"]["OK-ACCESS-TIMESTAMP"],
        "2020-12-08T09:08:57.715Z"
    );
    assert_eq!(s["headers"]["OK-ACCESS-PASSPHRASE"], "123456");
    assert_eq!(
        s["headers"]["OK-ACCESS-KEY"],
        "985d5b66-57ce-40fb-b714-afc0b9787083"
    );
    // a POST with a JSON body signs the body as sent
    let body = r#"{"instId":"BTC-USDT","tdMode":"cash","clOrdId":"b15","side":"buy","ordType":"limit","px":"2.15","sz":"2"}"#;
    let s = json(
        &sluice(
            home.path(),
            strings(&[
                "keys",
                "sign",
                "--venue",
                "okx",
                "--method",
                "POST",
                "--url",
                "https://www.okx.com/api/v5/trade/order",
                "--body",
                body,
                "--time-ms",
                "1607418537715",
                "--json",
            ]),
            None,
        )
        .await,
    );
    assert_eq!(
        s["headers"]["OK-ACCESS-SIGN"],
        "3uhesbSAtYBEMd0celqq5R/HhNWD/ll2mhtnYO4NHG4="
    );
    assert_eq!(s["body"], body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn book_orders_and_balances_from_the_command_line() {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys(
        "okx",
        &[mock.api_key(), mock.api_secret(), mock.passphrase()],
    )
    .await;
    let text = std::fs::read_to_string(home.path().join("keys/okx.json")).unwrap();
    assert!(!text.contains(mock.api_secret()) && !text.contains(mock.passphrase()));

    // book --once --json equals the simulator's book
    let book = json(
        &sluice(
            home.path(),
            at(
                &["book", "BTC-USDT", "--once", "--json", "--depth", "3"],
                &mock,
            ),
            None,
        )
        .await,
    );
    let theirs = mock.book("BTC-USDT").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);
    assert_eq!(book["last_update_id"].as_i64().unwrap(), theirs.seq_id);

    // place, list, cancel
    let placed = json(
        &sluice(
            home.path(),
            at(
                &[
                    "order",
                    "place",
                    "--pair",
                    "BTC-USDT",
                    "--side",
                    "buy",
                    "--amount",
                    "0.1",
                    "--price",
                    "99",
                    "--client-id",
                    "cliTest1",
                    "--json",
                ],
                &mock,
            ),
            None,
        )
        .await,
    );
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cliTest1");
    assert_eq!(mock.order_by_client_id("cliTest1").unwrap().state, "live");
    let listed = json(&sluice(home.path(), at(&["order", "list", "--json"], &mock), None).await);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cliTest1")
    );
    let cancelled = json(
        &sluice(
            home.path(),
            at(&["order", "cancel", "--id", "cliTest1", "--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");
    assert_eq!(
        mock.order_by_client_id("cliTest1").unwrap().state,
        "canceled"
    );

    // a client id OKX would refuse never reaches the wire
    let bad = sluice(
        home.path(),
        at(
            &[
                "order",
                "place",
                "--pair",
                "BTC-USDT",
                "--side",
                "buy",
                "--amount",
                "0.1",
                "--price",
                "99",
                "--client-id",
                "has-dash",
            ],
            &mock,
        ),
        None,
    )
    .await;
    assert!(!bad.status.success());
    assert!(mock.order_by_client_id("has-dash").is_none());

    // balances through the registry
    let mut b = strings(&["balance", "--venue", "okx", "--rest-url"]);
    b.extend([mock.rest_url(), "--json".into()]);
    let balances = json(&sluice(home.path(), b, None).await);
    let usdt = balances
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["asset"] == "USDT")
        .unwrap();
    assert_eq!(dec(&usdt["total"]), dec!(10000));
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(!err.contains(mock.api_secret()) && !err.contains(mock.passphrase()));
}
