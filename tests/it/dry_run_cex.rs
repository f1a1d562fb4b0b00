//! `sluice order place … --dry-run --json` at exchanges, against their simulators: the printed
//! request is the exact signed request (the simulator had no order before), and sending it
//! afterwards byte for byte places the order (its signature verifies there). A perpetual option
//! with `--dry-run` is refused clearly.

use std::path::Path;
use std::process::Output;

use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::binance::MockBinance;
use sluice_sim::exchange::dialects::kraken::MockKraken;
use sluice_sim::exchange::dialects::okx::MockOkx;

use crate::cex_support::cli::{CLI, at_venue, home_with_keys, json};

async fn sluice(home: &Path, args: Vec<String>) -> Output {
    CLI.output(home, args, None).await
}

fn place<'a>(pair: &'a str, price: &'a str, client_id: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "order",
        "place",
        "--pair",
        pair,
        "--side",
        "buy",
        "--amount",
        "0.1",
        "--price",
        price,
        "--client-id",
        client_id,
        "--dry-run",
    ];
    v.extend_from_slice(extra);
    v
}

/// Sends a printed dry run as it is: method, URL, headers and body byte for byte. Returns the
/// HTTP status and the body.
async fn send(dry: &serde_json::Value) -> (u16, String) {
    let method = reqwest::Method::from_bytes(dry["method"].as_str().unwrap().as_bytes()).unwrap();
    let mut rb = reqwest::Client::new().request(method, dry["url"].as_str().unwrap());
    for (k, v) in dry["headers"].as_object().unwrap() {
        rb = rb.header(k.as_str(), v.as_str().unwrap());
    }
    if let Some(b) = dry["body"].as_str() {
        rb = rb.body(b.to_string());
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn assert_http_form(dry: &serde_json::Value, venue: &str, base_url: &str) {
    assert_eq!(dry["venue"], venue, "{dry}");
    assert_eq!(dry["kind"], "http", "{dry}");
    assert_eq!(dry["method"], "POST", "{dry}");
    assert!(dry["url"].as_str().unwrap().starts_with(base_url), "{dry}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binance_dry_run_prints_the_signed_order_that_the_simulator_accepts_later() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys("binance", &[mock.api_key(), mock.api_secret()]).await;
    let endpoints = [("--base-url", mock.rest_url())];
    let dry = json(
        &sluice(
            home.path(),
            at_venue(
                &place("BTC-USDT", "99", "dry-bn-1", &["--json"]),
                "binance",
                &endpoints,
            ),
        )
        .await,
    );
    assert_http_form(&dry, "binance", &mock.rest_url());
    let url = dry["url"].as_str().unwrap();
    assert!(url.contains("/api/v3/order?"), "{dry}");
    assert!(url.contains("newClientOrderId=dry-bn-1"), "{dry}");
    assert!(url.contains("&signature="), "{dry}");
    assert_eq!(dry["headers"]["X-MBX-APIKEY"], mock.api_key());
    assert!(!dry.to_string().contains(mock.api_secret()));
    assert!(mock.orders_of(mock.account()).is_empty(), "nothing sent");

    let (status, body) = send(&dry).await;
    assert_eq!(status, 200, "{body}");
    let orders = mock.orders_of(mock.account());
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].client_order_id, "dry-bn-1");
    assert_eq!(orders[0].status, "NEW");

    // the readable form: the request line and the key header, nothing sent
    let out = sluice(
        home.path(),
        at_venue(
            &place("BTC-USDT", "99", "dry-bn-2", &[]),
            "binance",
            &endpoints,
        ),
    )
    .await;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("nothing was sent"), "{text}");
    assert!(
        text.contains(&format!("POST {}/api/v3/order?", mock.rest_url())),
        "{text}"
    );
    assert!(text.contains("X-MBX-APIKEY: "), "{text}");
    assert_eq!(mock.orders_of(mock.account()).len(), 1, "still one order");

    // a rule violation is refused before anything is built
    let bad = sluice(
        home.path(),
        at_venue(
            &place("BTC-USDT", "99.001", "dry-bn-3", &[]),
            "binance",
            &endpoints,
        ),
    )
    .await;
    assert!(!bad.status.success());
    assert!(!String::from_utf8_lossy(&bad.stderr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okx_dry_run_prints_the_signed_order_that_the_simulator_accepts_later() {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys(
        "okx",
        &[mock.api_key(), mock.api_secret(), mock.passphrase()],
    )
    .await;
    let dry = json(
        &sluice(
            home.path(),
            at_venue(
                &place("BTC-USDT", "99", "dryOkx1", &["--json"]),
                "okx",
                &[("--base-url", mock.rest_url())],
            ),
        )
        .await,
    );
    assert_http_form(&dry, "okx", &mock.rest_url());
    assert_eq!(dry["headers"]["OK-ACCESS-KEY"], mock.api_key());
    assert_eq!(dry["headers"]["OK-ACCESS-PASSPHRASE"], mock.passphrase());
    let body: serde_json::Value = serde_json::from_str(dry["body"].as_str().unwrap()).unwrap();
    assert_eq!(body["clOrdId"], "dryOkx1", "{dry}");
    assert!(mock.order_by_client_id("dryOkx1").is_none(), "nothing sent");

    let (status, text) = send(&dry).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"code\":\"0\""), "{text}");
    assert_eq!(mock.order_by_client_id("dryOkx1").unwrap().state, "live");

    // perpetual options are not dry-run: refused by the command line, nothing sent
    let perp = sluice(
        home.path(),
        at_venue(
            &place("BTC-USDT", "99", "dryOkx2", &["--reduce-only"]),
            "okx",
            &[("--base-url", mock.rest_url())],
        ),
    )
    .await;
    assert!(!perp.status.success());
    assert!(mock.order_by_client_id("dryOkx2").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_dry_run_prints_the_signed_order_that_the_simulator_accepts_later() {
    let mock = MockKraken::start().await.unwrap();
    mock.seed_book("XBTUSD", dec!(30000), 10, 10, dec!(1))
        .unwrap();
    let home = home_with_keys("kraken", &[mock.api_key(), mock.api_secret()]).await;
    let dry = json(
        &sluice(
            home.path(),
            at_venue(
                &place("BTC-USD", "29000", "dry-kr-1", &["--json"]),
                "kraken",
                &[("--base-url", mock.rest_url())],
            ),
        )
        .await,
    );
    assert_http_form(&dry, "kraken", &mock.rest_url());
    assert!(
        dry["url"]
            .as_str()
            .unwrap()
            .ends_with("/0/private/AddOrder"),
        "{dry}"
    );
    assert_eq!(dry["headers"]["API-Key"], mock.api_key());
    let body = dry["body"].as_str().unwrap();
    assert!(
        body.starts_with("nonce=") && body.contains("cl_ord_id=dry-kr-1"),
        "{body}"
    );
    assert!(
        mock.orders_by_client_id("dry-kr-1").is_empty(),
        "nothing sent"
    );

    let (status, text) = send(&dry).await;
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("\"error\":[]"), "{text}");
    let orders = mock.orders_by_client_id("dry-kr-1");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert_eq!(orders[0].status, "open");
}
