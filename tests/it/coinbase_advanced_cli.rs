//! `sluice keys`, `book`, `order` and `balance --venue coinbase_advanced` run as a user would,
//! against the simulated Coinbase Advanced Trade (`--base-url` / `--ws-url` become the
//! `[connect.coinbase_advanced]` table), with a temporary sluice home and a CDP key stored as its
//! one-line PEM; `sluice keys sign --venue coinbase_advanced` prints the documented JWT (header and
//! claims checked) and a request it signs is accepted by the simulator's verifier.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::coinbase_advanced::MockCoinbaseAdvanced;

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};

fn rest_at(list: &[&str], mock: &MockCoinbaseAdvanced) -> Vec<String> {
    at_venue(
        list,
        "coinbase_advanced",
        &[("--base-url", mock.rest_url())],
    )
}

fn at(list: &[&str], mock: &MockCoinbaseAdvanced) -> Vec<String> {
    let mut v = rest_at(list, mock);
    v.extend(["--ws-url".into(), mock.ws_url()]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_book_order_and_balance_from_the_command_line() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys("coinbase_advanced", &[mock.api_key(), mock.api_secret()]).await;

    let book = json(
        &CLI.output(
            home.path(),
            at(
                &["book", "BTC-USD", "--once", "--json", "--depth", "3"],
                &mock,
            ),
            None,
        )
        .await,
    );
    let theirs = mock.book("BTC-USD").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);
    assert!(
        book["last_update_id"].as_u64().is_some(),
        "the sequence number"
    );

    let placed = json(
        &CLI.output(
            home.path(),
            at(
                &[
                    "order",
                    "place",
                    "--pair",
                    "BTC-USD",
                    "--side",
                    "buy",
                    "--amount",
                    "0.1",
                    "--price",
                    "99",
                    "--client-id",
                    "cli-cb-1",
                    "--json",
                ],
                &mock,
            ),
            None,
        )
        .await,
    );
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cli-cb-1");
    assert!(
        mock.orders_of(mock.account())
            .iter()
            .any(|o| o.client_order_id == "cli-cb-1")
    );
    let listed = json(
        &CLI.output(home.path(), at(&["order", "list", "--json"], &mock), None)
            .await,
    );
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cli-cb-1")
    );
    let cancelled = json(
        &CLI.output(
            home.path(),
            at(&["order", "cancel", "--id", "cli-cb-1", "--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");
    // an id Coinbase's rule refuses (a character outside 0-9 A-Z a-z _ -) never reaches the wire
    let bad = CLI
        .output(
            home.path(),
            at(
                &[
                    "order",
                    "place",
                    "--pair",
                    "BTC-USD",
                    "--side",
                    "buy",
                    "--amount",
                    "0.1",
                    "--price",
                    "99",
                    "--client-id",
                    "bad:id",
                ],
                &mock,
            ),
            None,
        )
        .await;
    assert!(!bad.status.success());
    assert_eq!(mock.orders_of(mock.account()).len(), 1);

    let balances = json(
        &CLI.output(home.path(), rest_at(&["balance", "--json"], &mock), None)
            .await,
    );
    let text = balances.to_string();
    assert!(text.contains("USD") && text.contains("BTC"), "{text}");
    assert!(!text.contains("PRIVATE KEY"));
}

fn jwt_part(token: &str, i: usize) -> serde_json::Value {
    let p = token.split('.').nth(i).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_advanced_keys_sign_prints_the_documented_jwt_that_the_venue_accepts() {
    let mock = MockCoinbaseAdvanced::start().await.unwrap();
    let home = home_with_keys("coinbase_advanced", &[mock.api_key(), mock.api_secret()]).await;
    let sign = |method: &str, url: &str, extra: &[&str]| {
        let mut a = strings(&[
            "keys",
            "sign",
            "--venue",
            "coinbase_advanced",
            "--method",
            method,
            "--url",
            url,
            "--json",
        ]);
        a.extend(strings(extra));
        a
    };
    // the documented order request, at a fixed time and nonce
    let body = r#"{"client_order_id":"0000-00000-000000","product_id":"BTC-USD","side":"BUY","order_configuration":{"market_market_ioc":{"base_size":"0.001"}}}"#;
    let s = json(
        &CLI.output(
            home.path(),
            sign(
                "POST",
                "https://api.coinbase.com/api/v3/brokerage/orders",
                &[
                    "--time-ms",
                    "1700000000500",
                    "--nonce",
                    "0badc0de",
                    "--body",
                    body,
                ],
            ),
            None,
        )
        .await,
    );
    assert_eq!(s["url"], "https://api.coinbase.com/api/v3/brokerage/orders");
    assert_eq!(s["body"], body);
    let auth = s["headers"]["Authorization"].as_str().unwrap();
    let token = auth.strip_prefix("Bearer ").unwrap();
    assert_eq!(
        jwt_part(token, 0),
        serde_json::json!({"alg": "ES256", "kid": mock.api_key(), "nonce": "0badc0de", "typ": "JWT"})
    );
    assert_eq!(
        jwt_part(token, 1),
        serde_json::json!({"sub": mock.api_key(), "iss": "cdp", "nbf": 1_700_000_000u64,
            "exp": 1_700_000_120u64, "uri": "POST api.coinbase.com/api/v3/brokerage/orders"})
    );
    assert_eq!(
        URL_SAFE_NO_PAD
            .decode(token.split('.').nth(2).unwrap())
            .unwrap()
            .len(),
        64
    );
    // signed now for the simulator: the venue's verifier accepts the printed request
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .to_string();
    let url = format!("{}/api/v3/brokerage/accounts?limit=250", mock.rest_url());
    let s = json(
        &CLI.output(
            home.path(),
            sign("GET", &url, &["--time-ms", &now_ms]),
            None,
        )
        .await,
    );
    let resp = reqwest::Client::new()
        .get(s["url"].as_str().unwrap())
        .header(
            "Authorization",
            s["headers"]["Authorization"].as_str().unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

/// `sluice demo --exchange coinbase_advanced`: the demo against the simulated Coinbase Advanced
/// Trade (its routes, shapes and JWT checks), through the registry: both legs of each trade are of
/// the order size on their venue, and the run earns USDT.
#[test]
fn sluice_demo_trades_against_coinbase_advanced() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "demo",
            "--json",
            "--timeout-secs",
            "90",
            "--exchange",
            "coinbase_advanced",
        ])
        .arg("--home")
        .arg(home.path())
        .env_remove("SLUICE_HOME")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "sluice demo failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report["summary"]["trades"].as_u64().unwrap() >= 1,
        "{stderr}"
    );
    assert_eq!(report["summary"]["failures"].as_u64(), Some(0), "{stderr}");
    let fills = report["trades"].as_array().unwrap();
    let volume = |venue: &str| -> Decimal {
        fills
            .iter()
            .filter(|f| f["venue"] == venue)
            .map(|f| f["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
            .sum()
    };
    let amm = volume("uniswap_v3@sim-anvil");
    assert!(amm > Decimal::ZERO, "{report}");
    assert_eq!(volume("sim-coinbase_advanced"), amm, "{report}");
    let net_usdt = report["summary"]["pnl_net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["asset"] == "USDT")
        .map(|f| f["net"].as_str().unwrap().parse::<Decimal>().unwrap())
        .unwrap_or_default();
    assert!(net_usdt > Decimal::ZERO, "{report}");
    assert!(stderr.contains("sim-coinbase_advanced"), "{stderr}");
}
