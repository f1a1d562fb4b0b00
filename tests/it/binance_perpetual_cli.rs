//! `sluice book` and `sluice leverage` with `--venue binance_perpetual`, run as a user would
//! against the simulated futures exchange (`--base-url` / `--ws-url` become its table).

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::binance_perpetual::MockBinancePerp;

use crate::cli_support::Cli;

const CLI: Cli = Cli {
    password: "correct horse battery staple",
    wait: Duration::from_secs(300),
};

fn args(list: &[&str], mock: &MockBinancePerp) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.extend([
        "--venue".into(),
        "binance_perpetual".into(),
        "--base-url".into(),
        mock.rest_url(),
        "--ws-url".into(),
        mock.ws_url(),
    ]);
    v
}

#[tokio::test]
async fn book_once_and_leverage_without_keys() {
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = CLI
        .output(
            home.path(),
            args(
                &["book", "BTC-USDT", "--once", "--json", "--depth", "3"],
                &mock,
            ),
            None,
        )
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let book: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let theirs = mock.book("BTCUSDT").unwrap();
    let dec_of = |v: &serde_json::Value| v.as_str().unwrap().parse::<Decimal>().unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec_of(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec_of(&book["asks"][0][0]), theirs.asks[0].0);
    assert_eq!(
        book["last_update_id"].as_u64().unwrap(),
        theirs.last_update_id
    );
    // leverage needs the account's keys: none stored, a clear refusal and a failing exit
    let out = CLI
        .output(
            home.path(),
            args(&["leverage", "BTC-USDT", "10"], &mock),
            None,
        )
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("binance_perpetual"), "{err}");
    let out = CLI
        .output(
            home.path(),
            args(&["leverage", "BTC-USDT", "0"], &mock),
            None,
        )
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 1"));
}

// Catalog §2.2: Binance USDⓈ-M Futures' documented example key (not a real account).
const FUTURES_DOC_KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
const FUTURES_DOC_SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sign_reproduces_the_futures_documented_hmac_example() {
    use crate::cex_support::cli::{home_with_keys, json, strings};
    let home = home_with_keys("binance_perpetual", &[FUTURES_DOC_KEY, FUTURES_DOC_SECRET]).await;
    let base = "https://fapi.binance.com/fapi/v1/order";
    let params = "symbol=BTCUSDT&side=BUY&type=LIMIT&quantity=1&price=9000&timeInForce=GTC&recvWindow=5000&timestamp=1591702613943";
    let url = format!("{base}?{params}");
    let out = CLI
        .output(
            home.path(),
            strings(&[
                "keys",
                "sign",
                "--venue",
                "binance_perpetual",
                "--method",
                "POST",
                "--url",
                &url,
                "--time-ms",
                "1591702613943",
                "--json",
            ]),
            None,
        )
        .await;
    let s = json(&out);
    assert_eq!(
        s["url"],
        format!("{url}&signature=3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9")
    );
    assert_eq!(s["headers"]["X-MBX-APIKEY"], FUTURES_DOC_KEY);
}

/// `sluice positions` and `sluice order place --reduce-only | --position-side` at the futures
/// simulator with stored keys, no wallet: every position printed equals the simulator's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn positions_and_perpetual_orders_from_the_command_line() {
    use crate::cex_support::cli::{dec, home_with_keys, json};
    let mock = MockBinancePerp::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 20, 1, dec!(1))
        .unwrap();
    let home = home_with_keys("binance_perpetual", &[mock.api_key(), mock.api_secret()]).await;
    let run = |list: &[&str]| CLI.output(home.path(), args(list, &mock), None);
    let market = |side: &str, amount: &str, extra: &[&str]| {
        let mut v = vec![
            "order", "place", "--pair", "BTC-USDT", "--side", side, "--type", "market", "--amount",
            amount, "--json",
        ];
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let place = |side: &str, amount: &str, extra: &[&str]| {
        let list = market(side, amount, extra);
        let refs: Vec<&str> = list.iter().map(String::as_str).collect();
        CLI.output(home.path(), args(&refs, &mock), None)
    };

    // no position yet, and no --wallet/--address needed
    let report = json(&run(&["positions", "--json"]).await);
    assert_eq!(report["venue"], "binance_perpetual");
    assert_eq!(report["positions"].as_array().unwrap().len(), 0);

    // one-way: buy 2, a reduce-only sell of 3 is refused (-2022), one of 0.5 reduces
    let o = json(&place("buy", "2", &[]).await);
    assert_eq!(o[0]["side"], "buy");
    assert_eq!(mock.positions()[0].2, dec!(2));
    let out = place("sell", "3", &["--reduce-only"]).await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("-2022"), "{err}");
    let o = json(&place("sell", "0.5", &["--reduce-only"]).await);
    assert_eq!(o[0]["side"], "sell");
    let report = json(&run(&["positions", "--pair", "BTC-USDT", "--json"]).await);
    let listed = report["positions"].as_array().unwrap();
    let theirs = mock.positions();
    assert_eq!(listed.len(), 1, "{report}");
    assert_eq!(theirs[0].1, "BOTH");
    assert_eq!(dec(&listed[0]["size"]), theirs[0].2);
    assert_eq!(dec(&listed[0]["size"]), dec!(1.5));
    assert_eq!(dec(&listed[0]["entry_price"]), theirs[0].3);
    // the table form names the side
    let out = run(&["positions"]).await;
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("long"));

    // a position side needs hedge mode at the venue: refused in one-way mode (-4061)
    let out = place("buy", "1", &["--position-side", "long"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("-4061"));
    // the two options do not go together
    let out = place("buy", "1", &["--position-side", "long", "--reduce-only"]).await;
    assert!(!out.status.success());
    // an exchange's account is its keys: a wallet flag is refused, not ignored
    let out = run(&["positions", "--wallet", "w"]).await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--wallet is for chain venues"));
}

/// A chain venue still needs its account; a spot exchange refuses a perpetual order before
/// anything reaches it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_venues_need_an_account_and_spot_exchanges_refuse_perpetual_orders() {
    use crate::cex_support::cli::{at_venue, home_with_keys};
    use sluice_sim::exchange::dialects::binance::MockBinance;
    let home = tempfile::tempdir().unwrap();
    let out = CLI
        .output(
            home.path(),
            at_venue(&["positions"], "perp@anvil", &[]),
            None,
        )
        .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("name the account"));

    let spot = MockBinance::start().await.unwrap();
    spot.seed_book("BTCUSDT", dec!(100), 5, 1, dec!(1)).unwrap();
    let home = home_with_keys("binance", &[spot.api_key(), spot.api_secret()]).await;
    let out = CLI
        .output(
            home.path(),
            at_venue(
                &[
                    "order",
                    "place",
                    "--pair",
                    "BTC-USDT",
                    "--side",
                    "sell",
                    "--type",
                    "market",
                    "--amount",
                    "1",
                    "--reduce-only",
                ],
                "binance",
                &[
                    ("--base-url", spot.rest_url()),
                    ("--ws-url", spot.ws_url()),
                    ("--ws-api-url", spot.ws_api_url()),
                ],
            ),
            None,
        )
        .await;
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("perpetual order"), "{err}");
    assert!(spot.orders_of(spot.account()).is_empty());
}
