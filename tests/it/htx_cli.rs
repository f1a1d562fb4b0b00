//! `sluice keys`, `book`, `order` and `balance --venue htx` run as a user would, against the
//! simulated HTX (`--base-url` / `--ws-url` become the `[connect.htx]` table), with a temporary
//! sluice home; `sluice keys sign --venue htx` reproduces HTX's documented pre-sign text (the
//! catalog's recomputed signature, in the query).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::htx::MockHtx;

use crate::cex_support::cli::{CLI, add_keys, at_venue, dec, home_with_keys, json, strings};
use crate::htx_book::SYMBOL;

fn at(list: &[&str], mock: &MockHtx) -> Vec<String> {
    at_venue(list, "htx", &[("--base-url", mock.rest_url())])
}

fn with_ws(list: &[&str], mock: &MockHtx) -> Vec<String> {
    let mut v = at(list, mock);
    v.extend(["--ws-url".into(), mock.ws_url()]);
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_book_order_and_balance_from_the_command_line() {
    let mock = MockHtx::start().await.unwrap();
    mock.seed_book(SYMBOL, dec!(100), 10, 1, dec!(1)).unwrap();
    let home = home_with_keys("htx", &[mock.api_key(), mock.api_secret()]).await;
    let run = |args: &[&str]| CLI.output(home.path(), with_ws(args, &mock), None);

    let book = json(&run(&["book", "BTC-USDT", "--once", "--json", "--depth", "3"]).await);
    let (seq, bids, asks) = mock.book(SYMBOL).unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), asks[0].0);
    assert_eq!(book["last_update_id"].as_u64().unwrap(), seq);

    let place = [
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
        "--json",
        "--client-id",
    ];
    let placed = json(&run(&[&place[..], &["cli-htx-1"]].concat()).await);
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cli-htx-1");
    assert!(
        mock.orders_of(mock.account())
            .iter()
            .any(|o| o.client_order_id == "cli-htx-1")
    );
    let listed = json(&run(&["order", "list", "--json"]).await);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cli-htx-1")
    );
    let cancelled = json(&run(&["order", "cancel", "--id", "cli-htx-1", "--json"]).await);
    assert_eq!(cancelled[0]["state"], "cancelled");
    // an id HTX cannot carry (a character outside 0-9 A-Z a-z - _) is refused before sending
    let bad = run(&[&place[..], &["cli.htx:2"]].concat()).await;
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
async fn htx_keys_sign_reproduces_the_documented_example() {
    let home = tempfile::tempdir().unwrap();
    // the docs' redacted example key and secret (catalog §2.10)
    add_keys(
        home.path(),
        "htx",
        &[
            "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx",
            "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx",
        ],
    )
    .await;
    let s = json(
        &CLI.output(
            home.path(),
            strings(&[
                "keys",
                "sign",
                "--venue",
                "htx",
                "--method",
                "GET",
                "--url",
                "https://api.huobi.pro/v1/order/orders?order-id=1234567890",
                "--time-ms",
                "1494515970000",
                "--json",
            ]),
            None,
        )
        .await,
    );
    assert_eq!(
        s["url"],
        "https://api.huobi.pro/v1/order/orders?order-id=1234567890&AccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30&Signature=Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM%3D"
    );
    assert!(!s.to_string().contains("b0xxxxxx-c6xxxxxx"));
}

/// `sluice demo --exchange htx`: the arbitrage demo against the simulated HTX (its routes, gzip
/// feed, signature checks), through the registry: both legs of each trade are of the same size
/// and the run earns USDT.
#[test]
fn htx_demo_trades_and_earns() {
    let home = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "demo",
            "--json",
            "--timeout-secs",
            "90",
            "--exchange",
            "htx",
            "--home",
        ])
        .arg(home.path())
        .env_remove("SLUICE_HOME")
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = json(&out);
    assert!(
        report["summary"]["trades"].as_u64().unwrap() >= 1,
        "{stderr}"
    );
    assert_eq!(report["summary"]["failures"].as_u64(), Some(0), "{stderr}");
    let volume = |venue: &str| -> Decimal {
        report["trades"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["venue"] == venue)
            .map(|f| dec(&f["amount"]))
            .sum()
    };
    let amm = volume("uniswap_v3@sim-anvil");
    assert!(amm > Decimal::ZERO, "{report}");
    assert_eq!(volume("sim-htx"), amm, "{report}");
    let net_usdt = report["summary"]["pnl_net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["asset"] == "USDT")
        .map(|f| dec(&f["net"]))
        .unwrap_or_default();
    assert!(net_usdt > Decimal::ZERO, "{report}");
    assert!(stderr.contains("sim-htx"), "{stderr}");
}
