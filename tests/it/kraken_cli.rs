//! `sluice keys sign|add`, `sluice book`, `sluice balance` and `sluice order` with `--venue kraken`,
//! run as a user would: the documented signature example reproduced, then the commands against the
//! simulated Kraken (`--base-url` / `--ws-url`; the private endpoint follows the public one).

use std::path::Path;
use std::process::Output;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::kraken::MockKraken;

use crate::cex_support::cli::{CLI, at_venue, json, strings};
use crate::kraken_support::start;

// reference/cex-catalog.md §2.3: Kraken's documented example (not a real account).
const DOC_SECRET: &str =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
const DOC_SIGN: &str =
    "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

async fn sluice(home: &Path, args: Vec<String>, stdin: Option<String>) -> Output {
    CLI.output(home, args, stdin.as_deref()).await
}

fn at(list: &[&str], mock: &MockKraken) -> Vec<String> {
    at_venue(list, "kraken", &[("--base-url", mock.rest_url())])
}

fn dec(v: &serde_json::Value) -> Decimal {
    match v {
        serde_json::Value::String(s) => s.parse().unwrap(),
        other => other.to_string().parse().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_keys_sign_reproduces_the_documented_example() {
    let home = tempfile::tempdir().unwrap();
    let out = sluice(
        home.path(),
        strings(&["keys", "add", "--venue", "kraken", "--stdin"]),
        Some(format!("DOCKEY\n{DOC_SECRET}\n")),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = "ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    for extra in [
        vec!["--time-ms", "1616492376594"],
        vec!["--time-ms", "1", "--nonce", "1616492376594"],
    ] {
        let mut a = strings(&[
            "keys",
            "sign",
            "--venue",
            "kraken",
            "--method",
            "POST",
            "--url",
            "https://api.kraken.com/0/private/AddOrder",
            "--body",
            body,
            "--json",
        ]);
        a.extend(strings(&extra));
        let s = json(&sluice(home.path(), a, None).await);
        assert_eq!(s["headers"]["API-Sign"], DOC_SIGN, "{s}");
        assert_eq!(s["headers"]["API-Key"], "DOCKEY");
        assert_eq!(s["body"], format!("nonce=1616492376594&{body}"));
        assert!(!s.to_string().contains(DOC_SECRET));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_book_balance_and_orders_from_the_command_line() {
    let mock = start(20).await;
    mock.seed_book("XBTUSD", dec!(30000), 10, 10, dec!(1))
        .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = sluice(
        home.path(),
        strings(&["keys", "add", "--venue", "kraken", "--stdin"]),
        Some(format!("{}\n{}\n", mock.api_key(), mock.api_secret())),
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // the book from the WebSocket v2 feed equals the simulator's
    let mut book_args = at(
        &["book", "BTC-USD", "--once", "--json", "--depth", "3"],
        &mock,
    );
    book_args.extend(["--ws-url".into(), mock.ws_url()]);
    let book = json(&sluice(home.path(), book_args, None).await);
    let (bids, asks) = mock.top("XBTUSD", 3);
    assert_eq!(book["bids"].as_array().unwrap().len(), 3);
    assert_eq!(dec(&book["bids"][0][0]), bids[0].0);
    assert_eq!(dec(&book["asks"][0][0]), asks[0].0);

    // balances through BalanceEx, in sluice's asset names
    let bal = sluice(home.path(), at(&["balance", "--json"], &mock), None).await;
    let text = String::from_utf8_lossy(&bal.stdout).to_string();
    assert!(
        bal.status.success(),
        "{}",
        String::from_utf8_lossy(&bal.stderr)
    );
    assert!(text.contains("BTC") && text.contains("USD"), "{text}");

    // place, list, cancel
    let mut place = at(
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
            "29000",
            "--client-id",
            "cli-kraken-1",
            "--json",
        ],
        &mock,
    );
    place.extend(["--ws-url".into(), mock.ws_url()]);
    let placed = json(&sluice(home.path(), place, None).await);
    assert_eq!(placed[0]["client_id"], "cli-kraken-1");
    assert_eq!(mock.orders_by_client_id("cli-kraken-1")[0].status, "open");
    let mut list = at(&["order", "list", "--json"], &mock);
    list.extend(["--ws-url".into(), mock.ws_url()]);
    let listed = json(&sluice(home.path(), list, None).await);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["client_id"] == "cli-kraken-1")
    );
    let mut cancel = at(
        &["order", "cancel", "--id", "cli-kraken-1", "--json"],
        &mock,
    );
    cancel.extend(["--ws-url".into(), mock.ws_url()]);
    let cancelled = json(&sluice(home.path(), cancel, None).await);
    assert_eq!(cancelled[0]["state"], "cancelled");
    assert_eq!(
        mock.orders_by_client_id("cli-kraken-1")[0].status,
        "canceled"
    );
    // a price off Kraken's tick is refused before anything is sent
    let bad = sluice(
        home.path(),
        at(
            &[
                "order", "place", "--pair", "BTC-USD", "--side", "buy", "--amount", "0.1",
                "--price", "29000.05",
            ],
            &mock,
        ),
        None,
    )
    .await;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("tick size"));
}
