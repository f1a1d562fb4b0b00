//! `sluice keys add|sign`, `book`, `order` and `balance` with `--venue kucoin`, run as a user
//! would against the simulated KuCoin (`--base-url` fills the `[connect.kucoin]` table; the
//! websocket comes from the bullet answers), with a temporary sluice home: keys with a passphrase
//! (a third line), the recipe's vectors reproduced by `keys sign`, the book equal to the
//! simulator's, an order placed, listed and cancelled, the balances; and `sluice demo --exchange
//! kucoin` trading against the simulated KuCoin and printing its PnL.

use std::process::Command;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::kucoin::MockKuCoin;

use crate::cex_support::cli::{CLI, at_venue, dec, home_with_keys, json, strings};

fn at(list: &[&str], mock: &MockKuCoin) -> Vec<String> {
    at_venue(list, "kucoin", &[("--base-url", mock.rest_url())])
}

/// `order place` of a 0.1 BTC buy at 99 with this client id.
fn buy_at_99(client_id: &str, extra: &[&str], mock: &MockKuCoin) -> Vec<String> {
    let mut args = vec![
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
        client_id,
    ];
    args.extend(extra);
    at(&args, mock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_book_order_and_balance_from_the_command_line() {
    let mock = MockKuCoin::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))
        .unwrap();
    let home = home_with_keys(
        "kucoin",
        &[mock.api_key(), mock.api_secret(), mock.passphrase()],
    )
    .await;

    let book = json(
        &CLI.output(
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
    assert_eq!(book["last_update_id"].as_u64().unwrap(), theirs.sequence);

    let placed = json(
        &CLI.output(
            home.path(),
            buy_at_99("cli-kucoin-1", &["--json"], &mock),
            None,
        )
        .await,
    );
    assert_eq!(placed[0]["state"], "open");
    assert_eq!(placed[0]["client_id"], "cli-kucoin-1");
    assert!(
        mock.orders_of(mock.account())
            .iter()
            .any(|o| o.client_oid == "cli-kucoin-1")
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
            .any(|o| o["client_id"] == "cli-kucoin-1")
    );
    let cancelled = json(
        &CLI.output(
            home.path(),
            at(
                &["order", "cancel", "--id", "cli-kucoin-1", "--json"],
                &mock,
            ),
            None,
        )
        .await,
    );
    assert_eq!(cancelled[0]["state"], "cancelled");
    // an id KuCoin cannot carry (over 40 characters) is refused before sending
    let bad = CLI
        .output(
            home.path(),
            buy_at_99("a-client-id-far-too-long-for-kucoin-clientOid", &[], &mock),
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
    assert!(!text.contains(mock.api_secret()) && !text.contains(mock.passphrase()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kucoin_keys_sign_reproduces_the_recipe_vectors() {
    let home = home_with_keys("kucoin", &["k1", "kucoin-test-secret", "my-passphrase"]).await;
    let sign = |method: &str, url: &str, extra: &[&str]| {
        let mut a = strings(&[
            "keys", "sign", "--venue", "kucoin", "--method", method, "--url", url, "--json",
        ]);
        a.extend(strings(extra));
        a
    };
    let url = "https://api.kucoin.com/api/v1/deposit-addresses?currency=BTC";
    let s = json(
        &CLI.output(
            home.path(),
            sign("GET", url, &["--time-ms", "1547015186532"]),
            None,
        )
        .await,
    );
    assert_eq!(s["url"], url);
    assert_eq!(s["headers"]["KC-API-KEY"], "k1");
    assert_eq!(s["headers"]["KC-API-TIMESTAMP"], "1547015186532");
    assert_eq!(s["headers"]["KC-API-KEY-VERSION"], "2");
    assert_eq!(
        s["headers"]["KC-API-SIGN"],
        "qEp/fCvgBM9Vpo3A5pEOGTgJesdZdZp2VFFhSd2XMhg="
    );
    assert_eq!(
        s["headers"]["KC-API-PASSPHRASE"],
        "EcJTb1CX/uRsJ9TSYHBxNI4vwK6raXJLo1YxD0wCBG4="
    );
    let body = r#"{"clientOid":"5c52e11203aa677f33e493fb","side":"buy","symbol":"BTC-USDT","type":"limit","price":"10000","size":"0.001"}"#;
    let s = json(
        &CLI.output(
            home.path(),
            sign(
                "POST",
                "https://api.kucoin.com/api/v1/orders",
                &["--time-ms", "1547015186532", "--body", body],
            ),
            None,
        )
        .await,
    );
    assert_eq!(s["body"], body);
    assert_eq!(
        s["headers"]["KC-API-SIGN"],
        "Qk7bFjZprOWEXTLN4leXD0KihH6JGClZlrZDMoErev0="
    );
}

/// `sluice demo --exchange kucoin`: the demo against the simulated KuCoin (its routes, shapes and
/// signature checks) through the registry; both legs of each trade are of the same size, the run
/// earns USDT and prints its PnL.
#[test]
fn sluice_demo_trades_against_kucoin() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "demo",
            "--json",
            "--timeout-secs",
            "90",
            "--exchange",
            "kucoin",
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
    let volume = |venue: &str| -> Decimal {
        report["trades"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["venue"] == venue)
            .map(|f| f["amount"].as_str().unwrap().parse::<Decimal>().unwrap())
            .sum()
    };
    let amm = volume("uniswap_v3@sim-anvil");
    assert!(amm > Decimal::ZERO, "{report}");
    assert_eq!(volume("sim-kucoin"), amm, "{report}");
    let net_usdt = report["summary"]["pnl_net"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["asset"] == "USDT")
        .map(|f| f["net"].as_str().unwrap().parse::<Decimal>().unwrap())
        .unwrap_or_default();
    assert!(net_usdt > Decimal::ZERO, "{report}");
    assert!(stderr.contains("sim-kucoin"), "{stderr}");
}
