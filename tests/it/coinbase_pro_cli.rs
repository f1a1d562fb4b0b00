//! `sluice keys`, `book`, `order` and `balance --venue coinbase_pro` run as a user would, against
//! the simulated Coinbase Exchange (`--base-url` / `--ws-url` become the `[connect.coinbase_pro]`
//! table), with a temporary sluice home; `sluice keys sign --venue coinbase_pro` prints the
//! request the connector sends, signed by Coinbase's recipe; `sluice demo --exchange
//! coinbase_pro` trades the gap and earns.

use std::process::Command;

use base64::Engine;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::cex::exchanges::coinbase_pro::api::client_oid;
use sluice::core::ClientOrderId;
use sluice_sim::exchange::dialects::coinbase_pro::MockCoinbasePro;

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};

fn at(list: &[&str], mock: &MockCoinbasePro) -> Vec<String> {
    at_venue(list, "coinbase_pro", &[("--base-url", mock.rest_url())])
}

fn with_ws(list: &[&str], mock: &MockCoinbasePro) -> Vec<String> {
    let mut v = at(list, mock);
    v.extend(["--ws-url".into(), mock.ws_url()]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_book_order_and_balance_from_the_command_line() {
    let mock = MockCoinbasePro::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys(
        "coinbase_pro",
        &[mock.api_key(), mock.api_secret(), mock.passphrase()],
    )
    .await;

    let book = json(
        &CLI.output(
            home.path(),
            with_ws(
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

    let placed = json(
        &CLI.output(
            home.path(),
            with_ws(
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
    let oid = client_oid(&ClientOrderId::new("cli-cb-1").unwrap()).unwrap();
    assert!(
        mock.orders_of(mock.account())
            .iter()
            .any(|o| o.client_oid == oid)
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
            .any(|o| o["client_id"] == "cli-cb-1")
    );
    let cancelled = json(
        &CLI.output(
            home.path(),
            with_ws(&["order", "cancel", "--id", "cli-cb-1", "--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");
    // an id a client_oid cannot carry (over 16 characters) is refused before sending
    let bad = CLI
        .output(
            home.path(),
            with_ws(
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
                    "a-client-id-too-long",
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
    assert!(text.contains("USD") && text.contains("BTC"), "{text}");
    assert!(!text.contains(mock.api_secret()) && !text.contains(mock.passphrase()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coinbase_pro_keys_sign_prints_the_request_the_connector_sends() {
    let secret = "c2VjcmV0LWJ5dGVzLWZvci1jb2luYmFzZS1leGNoYW5nZQ==";
    let home = home_with_keys("coinbase_pro", &["cb-key", secret, "cb-pass"]).await;
    let body = r#"{"price":"1.0","size":"1.0","side":"buy","product_id":"BTC-USD"}"#;
    let s = json(
        &CLI.output(
            home.path(),
            strings(&[
                "keys",
                "sign",
                "--venue",
                "coinbase_pro",
                "--method",
                "POST",
                "--url",
                "https://api.exchange.coinbase.com/orders",
                "--time-ms",
                "1700000000999",
                "--body",
                body,
                "--json",
            ]),
            None,
        )
        .await,
    );
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(secret)
            .unwrap(),
    )
    .unwrap();
    mac.update(format!("1700000000POST/orders{body}").as_bytes());
    let want = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    assert_eq!(s["url"], "https://api.exchange.coinbase.com/orders");
    assert_eq!(s["body"], body);
    assert_eq!(s["headers"]["CB-ACCESS-KEY"], "cb-key");
    assert_eq!(s["headers"]["CB-ACCESS-TIMESTAMP"], "1700000000");
    assert_eq!(s["headers"]["CB-ACCESS-PASSPHRASE"], "cb-pass");
    assert_eq!(s["headers"]["CB-ACCESS-SIGN"], want.as_str());
}

/// `sluice demo --exchange coinbase_pro`: the demo against the simulated Coinbase Exchange, through
/// the registry; both legs of each trade are the same size and the run earns USDT.
#[test]
fn sluice_demo_trades_against_coinbase_pro() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "demo",
            "--json",
            "--timeout-secs",
            "90",
            "--exchange",
            "coinbase_pro",
        ])
        .arg("--home")
        .arg(home.path())
        .env_remove("SLUICE_HOME")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run sluice demo");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "sluice demo failed:\n{stderr}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON report");
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
    assert_eq!(volume("sim-coinbase_pro"), amm, "{report}");
    let net_usdt = report["summary"]["pnl_net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["asset"] == "USDT")
        .map(|f| f["net"].as_str().unwrap().parse::<Decimal>().unwrap())
        .unwrap_or_default();
    assert!(net_usdt > Decimal::ZERO, "{report}");
    assert!(stderr.contains("sim-coinbase_pro"), "{stderr}");
}
