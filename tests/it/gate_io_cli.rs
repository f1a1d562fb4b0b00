//! `sluice keys`, `book`, `order` and `balance --venue gate_io` run as a user would, against the
//! simulated Gate.io (`--base-url` / `--ws-url` become the `[connect.gate_io]` table), with a
//! temporary sluice home; `sluice keys sign --venue gate_io` reproduces Gate.io's documented
//! signature examples.

use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::gate_io::MockGateIo;

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};

fn at(list: &[&str], mock: &MockGateIo) -> Vec<String> {
    at_venue(list, "gate_io", &[("--base-url", mock.rest_url())])
}

fn with_ws(list: &[&str], mock: &MockGateIo) -> Vec<String> {
    let mut v = at(list, mock);
    v.extend(["--ws-url".into(), mock.ws_url()]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_book_order_and_balance_from_the_command_line() {
    let mock = MockGateIo::start().await.unwrap();
    mock.seed_book("BTC_USDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys("gate_io", &[mock.api_key(), mock.api_secret()]).await;

    let book = json(
        &CLI.output(
            home.path(),
            with_ws(
                &["book", "BTC-USDT", "--once", "--json", "--depth", "3"],
                &mock,
            ),
            None,
        )
        .await,
    );
    let theirs = mock.book("BTC_USDT").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);
    assert_eq!(book["last_update_id"].as_u64().unwrap(), theirs.id);

    let placed = json(
        &CLI.output(
            home.path(),
            with_ws(
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
                    "cli-gate-1",
                    "--json",
                ],
                &mock,
            ),
            None,
        )
        .await,
    );
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cli-gate-1");
    assert!(
        mock.orders_of(mock.account())
            .iter()
            .any(|o| o.text == "t-cli-gate-1")
    );
    let listed = json(
        &CLI.output(
            home.path(),
            with_ws(&["order", "list", "--json"], &mock),
            None,
        )
        .await,
    );
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cli-gate-1")
    );
    let cancelled = json(
        &CLI.output(
            home.path(),
            with_ws(&["order", "cancel", "--id", "cli-gate-1", "--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");
    // an id Gate.io cannot carry (over 28 characters after t-) is refused before sending
    let bad = CLI
        .output(
            home.path(),
            with_ws(
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
                    "a-client-id-far-too-long-for-gate",
                ],
                &mock,
            ),
            None,
        )
        .await;
    assert!(!bad.status.success());
    assert_eq!(mock.orders_of(mock.account()).len(), 1);

    let balances = json(
        &CLI.output(home.path(), at(&["balance", "--json"], &mock), None)
            .await,
    );
    let text = balances.to_string();
    assert!(text.contains("USDT") && text.contains("BTC"), "{text}");
    assert!(!text.contains(mock.api_secret()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_keys_sign_reproduces_the_documented_examples() {
    let home = home_with_keys("gate_io", &["key", "secret"]).await;
    let sign = |method: &str, url: &str, extra: &[&str]| {
        let mut a = strings(&[
            "keys", "sign", "--venue", "gate_io", "--method", method, "--url", url, "--json",
        ]);
        a.extend(strings(extra));
        a
    };
    let url =
        "https://api.gateio.ws/api/v4/futures/orders?contract=BTC_USD&status=finished&limit=50";
    let s = json(
        &CLI.output(
            home.path(),
            sign("GET", url, &["--time-ms", "1541993715000"]),
            None,
        )
        .await,
    );
    assert_eq!(s["url"], url);
    assert_eq!(s["headers"]["KEY"], "key");
    assert_eq!(s["headers"]["Timestamp"], "1541993715");
    assert_eq!(
        s["headers"]["SIGN"],
        "55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a"
    );
    let body =
        r#"{"contract":"BTC_USD","type":"limit","size":100,"price":6800,"time_in_force":"gtc"}"#;
    let s = json(
        &CLI.output(
            home.path(),
            sign(
                "POST",
                "https://api.gateio.ws/api/v4/futures/orders",
                &["--time-ms", "1541993715999", "--body", body],
            ),
            None,
        )
        .await,
    );
    assert_eq!(s["body"], body);
    assert_eq!(
        s["headers"]["SIGN"],
        "eae42da914a590ddf727473aff25fc87d50b64783941061f47a3fdb92742541fc4c2c14017581b4199a1418d54471c269c03a38d788d802e2c306c37636389f0"
    );
}
