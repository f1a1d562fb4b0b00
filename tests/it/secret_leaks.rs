//! No secret in any error or log line. A subscriber at TRACE, with the filter every sluice process
//! installs ([`sluice::logging::secret_safe`]: without it, alloy's `ReqwestTransport{url=…}` span
//! prints the RPC key on every debug line), captures every event of this test's thread (sluice's,
//! alloy's, the mock's, and the `log` records of the HTTP and websocket libraries) while the test
//! drives: (a) failing signed Binance requests (a 500 page from the mock,
//! and a REST endpoint that refuses the connection), (b) failing listenKey keepalives (refused by
//! the mock, and unreachable), (c) failing RPC calls to a URL with a key in its path and query.
//! Every captured line and every returned error's `Display` and `Debug` is searched for the API
//! secret, anything shaped like a request signature, the listenKey and the URL's keys.

use std::io;
use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, Bytes};
use alloy::providers::{Provider, ProviderBuilder};
use reqwest::Method;
use sluice::amm::rpc::{ReadCall, batch_call};
use sluice::cex::ApiCredentials;
use sluice::cex::exchanges::binance::listen_key::keep_alive;
use sluice::cex::exchanges::binance::{BinanceConfig, BinanceSpot};
use sluice::cex::http::ApiRequest;
use sluice::{Venue, VenueError};
use sluice_sim::exchange::dialects::binance::{HttpFault, MockBinance};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::SubscriberInitExt;

/// Everything the subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Whether `text` holds a run of `n` or more hex digits (an HMAC-SHA256 signature is 64).
fn has_hex_run(text: &str, n: usize) -> bool {
    let mut run = 0;
    for c in text.chars() {
        run = if c.is_ascii_hexdigit() { run + 1 } else { 0 };
        if run >= n {
            return true;
        }
    }
    false
}

fn assert_clean(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!text.contains(s), "{what} leaks {s:?}:\n{text}");
    }
    for shape in ["signature=", "timestamp=", "listenKey="] {
        assert!(
            !text.contains(shape),
            "{what} quotes a query ({shape}):\n{text}"
        );
    }
    assert!(!has_hex_run(text, 64), "{what} holds a signature:\n{text}");
}

fn error_text(e: &(impl std::fmt::Display + std::fmt::Debug)) -> String {
    format!("{e}\n{e:?}")
}

fn config(rest_url: &str, mock: &MockBinance) -> BinanceConfig {
    BinanceConfig {
        rest_url: rest_url.to_string(),
        ws_url: mock.ws_url(),
        ws_api_url: mock.ws_api_url(),
        ..BinanceConfig::binance()
    }
}

const LISTEN_KEY: &str = "SecretListenKeyAbc123XyZ789";

#[tokio::test]
async fn no_secret_in_errors_or_trace_logs() {
    let captured = Captured::default();
    let _guard = tracing_subscriber::fmt()
        .with_env_filter(sluice::logging::secret_safe(EnvFilter::new("trace")))
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish()
        .set_default();

    let mock = MockBinance::start().await.unwrap();
    let secret = mock.api_secret().to_string();
    let creds = || Some(ApiCredentials::new(mock.api_key(), &secret).unwrap());
    let mut errors: Vec<String> = Vec::new();

    // (a) a signed request answered by a 500 page, then one to an endpoint that refuses the
    // connection (reqwest quotes the whole signed URL in its error)
    let live = BinanceSpot::new(config(&mock.rest_url(), &mock), creds()).unwrap();
    live.sync_clock().await.unwrap();
    mock.inject_http_fault(HttpFault::HtmlPage { status: 500 });
    let e = live.balances().await.unwrap_err();
    assert!(matches!(e, VenueError::Protocol(_)), "{e:?}");
    errors.push(error_text(&e));
    let refused_url = format!("http://127.0.0.1:{}", closed_port());
    let dead = BinanceSpot::new(config(&refused_url, &mock), creds()).unwrap();
    let e = dead.balances().await.unwrap_err();
    assert!(matches!(e, VenueError::Network(_)), "{e:?}");
    errors.push(error_text(&e));
    let signed = ApiRequest::new(Method::DELETE, "/api/v3/order")
        .param("symbol", "BTCUSDT")
        .param("origClientOrderId", "x")
        .signed();
    let e = dead.rest().request(&signed).await.unwrap_err();
    errors.push(error_text(&e));

    // (b) a keepalive the mock refuses (the key is unknown to it), and one that cannot connect
    let e = keep_alive(live.rest(), LISTEN_KEY).await.unwrap_err();
    errors.push(error_text(&e));
    let e = keep_alive(dead.rest(), LISTEN_KEY).await.unwrap_err();
    errors.push(error_text(&e));
    tracing::warn!(error = %e, "listenKey keepalive failed"); // as the driver logs it

    // (c) RPC calls to a keyed URL that refuses the connection
    let rpc_url = format!(
        "http://127.0.0.1:{}/v3/SECRETKEY?apikey=SECRET2",
        closed_port()
    );
    let provider = ProviderBuilder::new()
        .connect_http(rpc_url.parse().unwrap())
        .erased();
    let call = ReadCall {
        to: Address::ZERO,
        data: Bytes::new(),
    };
    let e = batch_call(&provider, &[call], 1).await.unwrap_err();
    errors.push(error_text(&e));
    errors.push(error_text(&VenueError::from(e)));
    let e = sluice::amm::head(&provider).await.unwrap_err();
    errors.push(error_text(&e));

    let secrets = [
        secret.as_str(),
        mock.api_key(),
        LISTEN_KEY,
        "SECRETKEY",
        "SECRET2",
    ];
    for (i, text) in errors.iter().enumerate() {
        assert_clean(&format!("error {i}"), text, &secrets);
    }
    let logs = captured.text();
    // the capture works: the failures above were logged, debug lines included
    assert!(logs.contains("retrying"), "{logs}");
    assert!(
        logs.contains("DEBUG") && logs.contains("clock offset"),
        "{logs}"
    );
    assert_clean("the logs", &logs, &secrets);
    // the failures name what failed, without the secrets
    assert!(errors[1].contains("127.0.0.1"), "{}", errors[1]);
    assert!(
        errors[4].contains("/api/v3/userDataStream"),
        "{}",
        errors[4]
    );
}

/// `sluice anvil up --fork-url URL` forks from the real URL but prints (text and `--json`) and
/// logs only its redacted form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anvil_up_prints_the_fork_url_redacted() {
    use sluice_sim::anvil::{Anvil, AnvilOptions};
    use std::process::{Command, Stdio};

    use crate::cli_support::{kill, read_until, stderr_of};

    let parent = Anvil::spawn(AnvilOptions::default()).await.unwrap();
    let fork_url = format!("http://127.0.0.1:{}/?apikey=SECRETFORKKEY", parent.port());
    let shown = format!("http://127.0.0.1:{}/…", parent.port());
    for json in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
        cmd.args(["anvil", "up", "--fork-url", &fork_url])
            .env("RUST_LOG", "trace")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if json {
            cmd.arg("--json");
        }
        let mut child = cmd.spawn().unwrap();
        let out = read_until(&mut child, |all, line| {
            if json {
                serde_json::from_str::<serde_json::Value>(all).is_ok()
            } else {
                line.contains("press Ctrl-C")
            }
        })
        .expect("stdout closed early");
        kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM);
        child.wait().unwrap();
        let err = stderr_of(&mut child);
        let all = format!("{out}\n{err}");
        assert!(!all.contains("SECRETFORKKEY"), "{all}");
        if json {
            let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
            assert_eq!(doc["fork_url"], shown.as_str(), "{out}");
            assert_eq!(doc["chain_id"], 31337, "the fork runs: {out}");
        } else {
            assert!(out.contains(&format!("forked from {shown}")), "{out}");
        }
    }
}
