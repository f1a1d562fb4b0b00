//! `sluice keys`, `sluice book` and `sluice order` run as a user would, against the mock Binance
//! (`--base-url` / `--ws-url` / `--ws-api-url`), with a temporary sluice home.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::testkit::binance_mock::MockBinance;

use crate::cli_support::Cli;

const PASSWORD: &str = "correct horse battery staple";
const CLI: Cli = Cli {
    password: PASSWORD,
    wait: Duration::from_secs(300),
};

async fn sluice(home: &Path, args: Vec<String>, stdin: Option<String>) -> Output {
    CLI.output(home, args, stdin.as_deref()).await
}

fn args(list: &[&str], mock: &MockBinance) -> Vec<String> {
    let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    v.extend([
        "--venue".into(),
        "binance".into(),
        "--base-url".into(),
        mock.rest_url(),
        "--ws-url".into(),
        mock.ws_url(),
        "--ws-api-url".into(),
        mock.ws_api_url(),
    ]);
    v
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn dec(v: &serde_json::Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_book_and_orders_from_the_command_line() {
    let mock = MockBinance::start().await.unwrap();
    mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let secret = mock.api_secret().to_string();

    // keys add from stdin, then list: the secret is nowhere in clear
    let out = sluice(
        home.path(),
        vec![
            "keys".into(),
            "add".into(),
            "--venue".into(),
            "binance".into(),
            "--stdin".into(),
        ],
        Some(format!("{}\n{}\n", mock.api_key(), secret)),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let file = home.path().join("keys/binance.json");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(!text.contains(&secret) && !text.contains(mock.api_key()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let listed = json(
        &sluice(
            home.path(),
            vec!["keys".into(), "list".into(), "--json".into()],
            None,
        )
        .await,
    );
    assert_eq!(listed["keys"][0]["venue"], "binance");
    assert!(!listed.to_string().contains(&secret));
    let again = sluice(
        home.path(),
        vec![
            "keys".into(),
            "add".into(),
            "--venue".into(),
            "binance".into(),
            "--stdin".into(),
        ],
        Some(format!("{}\n{}\n", mock.api_key(), secret)),
    )
    .await;
    assert!(!again.status.success(), "keys are not overwritten silently");

    // book --once --json equals the mock's book
    let book = json(
        &sluice(
            home.path(),
            args(
                &["book", "BTC-USDT", "--once", "--json", "--depth", "3"],
                &mock,
            ),
            None,
        )
        .await,
    );
    let theirs = mock.book("BTCUSDT").unwrap();
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), theirs.bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), theirs.asks[0].0);
    assert_eq!(
        book["last_update_id"].as_u64().unwrap(),
        theirs.last_update_id
    );

    // place, list, cancel
    let placed = json(
        &sluice(
            home.path(),
            args(
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
                    "cli-test-1",
                    "--json",
                ],
                &mock,
            ),
            None,
        )
        .await,
    );
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cli-test-1");
    let listed = json(&sluice(home.path(), args(&["order", "list", "--json"], &mock), None).await);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cli-test-1")
    );
    let cancelled = json(
        &sluice(
            home.path(),
            args(&["order", "cancel", "--id", "cli-test-1", "--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");

    // a rule violation: refused before sending, clear message, non-zero exit
    let bad = sluice(
        home.path(),
        args(
            &[
                "order", "place", "--pair", "BTC-USDT", "--side", "buy", "--amount", "0.1",
                "--price", "99.001",
            ],
            &mock,
        ),
        None,
    )
    .await;
    assert!(!bad.status.success());
    let err = String::from_utf8_lossy(&bad.stderr);
    assert!(err.contains("tick size"), "{err}");
    assert!(!err.contains(&secret));
    // a wrong password cannot open the keys
    let wrong = Cli {
        password: "wrong",
        ..CLI
    }
    .output(home.path(), args(&["order", "list"], &mock), None)
    .await;
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong password"));
}
