//! `sluice keys`, `sluice book` and `sluice order` run as a user would, against the mock Binance
//! (`--base-url` / `--ws-url` / `--ws-api-url`), with a temporary sluice home.

use std::path::Path;
use std::process::Output;

use rust_decimal_macros::dec;
use sluice_sim::exchange::dialects::binance::MockBinance;

use crate::cex_support::cli::{CLI, add_keys, dec, home_with_keys, json, strings};
use crate::cli_support::Cli;

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

// §2.1: Binance's documented example key (not a real account).
const DOC_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
const DOC_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
const DOC_PARAMS: &str = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";

async fn keys_sign(
    home: &Path,
    venue: &str,
    method: &str,
    url: &str,
    extra: &[&str],
) -> serde_json::Value {
    let mut a = strings(&[
        "keys", "sign", "--venue", venue, "--method", method, "--url", url, "--json",
    ]);
    a.extend(strings(extra));
    json(&sluice(home, a, None).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sign_reproduces_binance_documented_hmac_examples() {
    let home = home_with_keys("binance", &[DOC_KEY, DOC_SECRET]).await;
    let base = "https://api.binance.com/api/v3/order";
    let time = ["--time-ms", "1499827319559"];
    let want = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
    // Example 1: every parameter in the query.
    let s = keys_sign(
        home.path(),
        "binance",
        "POST",
        &format!("{base}?{DOC_PARAMS}"),
        &time,
    )
    .await;
    assert_eq!(s["method"], "POST");
    assert_eq!(s["url"], format!("{base}?{DOC_PARAMS}&signature={want}"));
    assert_eq!(s["headers"]["X-MBX-APIKEY"], DOC_KEY);
    assert!(s["body"].is_null(), "{s}");
    // Example 2: every parameter in the body.
    let mut with_body = time.to_vec();
    with_body.extend(["--body", DOC_PARAMS]);
    let s = keys_sign(home.path(), "binance", "POST", base, &with_body).await;
    assert_eq!(s["url"], format!("{base}?signature={want}"));
    assert_eq!(s["body"], DOC_PARAMS);
    assert_eq!(
        s["headers"]["Content-Type"],
        "application/x-www-form-urlencoded"
    );
    // Example 3: mixed query and body.
    let mut mixed = time.to_vec();
    mixed.extend([
        "--body",
        "quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
    ]);
    let s = keys_sign(
        home.path(),
        "binance",
        "POST",
        &format!("{base}?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"),
        &mixed,
    )
    .await;
    assert_eq!(
        s["url"],
        format!(
            "{base}?symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&signature=0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
        )
    );
    // Without timestamp and recvWindow, the connector adds them from --time-ms.
    let s = keys_sign(
        home.path(),
        "binance",
        "GET",
        "https://api.binance.com/api/v3/openOrders?symbol=LTCBTC",
        &time,
    )
    .await;
    let url = s["url"].as_str().unwrap();
    assert!(
        url.starts_with(
            "https://api.binance.com/api/v3/openOrders?symbol=LTCBTC&recvWindow=5000&timestamp=1499827319559&signature="
        ),
        "{url}"
    );
    // A venue sluice cannot sign for is refused by name.
    let out = sluice(
        home.path(),
        strings(&[
            "keys",
            "sign",
            "--venue",
            "nowhere",
            "--method",
            "GET",
            "--url",
            base,
            "--time-ms",
            "1",
        ]),
        None,
    )
    .await;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nowhere"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_sign_signs_binance_ed25519_and_okx_passphrase_keys() {
    use base64::Engine;
    use ed25519_dalek::Signer as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let home = tempfile::tempdir().unwrap();
    // An Ed25519 key as a PKCS#8 PEM on one line with `\n` escapes.
    let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
    der.extend_from_slice(&[7u8; 32]);
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\\n{}\\n-----END PRIVATE KEY-----\\n",
        b64.encode(&der)
    );
    add_keys(home.path(), "binance", &[DOC_KEY, &pem]).await;
    // Binance's Ed25519 example request (catalog, Binance section).
    let params = "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&timestamp=1668481559918&recvWindow=5000";
    let s = keys_sign(
        home.path(),
        "binance",
        "POST",
        &format!("https://api.binance.com/api/v3/order?{params}"),
        &["--time-ms", "1668481559918"],
    )
    .await;
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    let want: String = url::form_urlencoded::byte_serialize(
        b64.encode(key.sign(params.as_bytes()).to_bytes())
            .as_bytes(),
    )
    .collect();
    assert_eq!(
        s["url"],
        format!("https://api.binance.com/api/v3/order?{params}&signature={want}")
    );
    assert_eq!(s["headers"]["X-MBX-APIKEY"], DOC_KEY);
    // A broken PEM is refused when added, not on the first order.
    let out = sluice(
        home.path(),
        strings(&["keys", "add", "--venue", "binance", "--stdin", "--replace"]),
        Some(format!(
            "{DOC_KEY}\n-----BEGIN PRIVATE KEY-----\\nnot base64!\\n-----END PRIVATE KEY-----\n"
        )),
    )
    .await;
    assert!(!out.status.success());

    // OKX keys come with a passphrase, read as a third line.
    add_keys(
        home.path(),
        "okx",
        &["okx-key", "okx-secret", "my pass phrase"],
    )
    .await;
    let s = keys_sign(
        home.path(),
        "okx",
        "GET",
        "https://www.okx.com/api/v5/account/balance?ccy=BTC",
        &["--time-ms", "1607418537715"],
    )
    .await;
    let text = "2020-12-08T09:08:57.715ZGET/api/v5/account/balance?ccy=BTC";
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"okx-secret").unwrap();
    mac.update(text.as_bytes());
    assert_eq!(
        s["headers"]["OK-ACCESS-SIGN"],
        b64.encode(mac.finalize().into_bytes())
    );
    assert_eq!(s["headers"]["OK-ACCESS-PASSPHRASE"], "my pass phrase");
    assert_eq!(
        s["headers"]["OK-ACCESS-TIMESTAMP"],
        "2020-12-08T09:08:57.715Z"
    );
    assert_eq!(
        s["url"],
        "https://www.okx.com/api/v5/account/balance?ccy=BTC"
    );
    let listed = std::fs::read_to_string(home.path().join("keys/okx.json")).unwrap();
    assert!(!listed.contains("my pass phrase") && !listed.contains("okx-secret"));
}
