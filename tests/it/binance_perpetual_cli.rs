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
