//! `sluice arb --config FILE` run as a user runs it, against an anvil and a mock Binance started by the
//! test, with the wallet and the API keys stored by `sluice wallet import` and `sluice keys add` in a
//! temporary home. Ctrl-C (SIGINT) arrives while a trade is in flight (its swap waits in anvil's
//! transaction pool, automine off): the process must send no new trade, follow the one in flight to its
//! end (the swap mined, then the exchange leg), journal both legs as terminal, say it stopped, and
//! exit 0.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::core::OrderState;
use sluice::store::Journal;
use sluice::testkit::anvil::DEV_MNEMONIC;
use sluice::testkit::arb_env::{ArbEnv, ArbEnvOptions};
use sluice::testkit::arb_toml::StrategyToml;
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::Command;
use tokio::sync::mpsc;

const PASSWORD: &str = "arb cli test password";
const WAIT: Duration = Duration::from_secs(60);

/// Runs a short sluice command in `home` with `stdin`; panics unless it succeeds.
async fn sluice_ok(home: &Path, args: &[&str], stdin: &str) {
    use tokio::io::AsyncWriteExt;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_HOME", home)
        .env("SLUICE_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).await.unwrap();
    drop(input);
    let out = tokio::time::timeout(WAIT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(
        out.status.success(),
        "sluice {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Forwards each line of `pipe` to a channel (and ends with it).
fn lines(pipe: impl AsyncRead + Unpin + Send + 'static) -> mpsc::UnboundedReceiver<String> {
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(pipe).lines();
        while let Ok(Some(line)) = reader.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Reads lines into `seen` until one satisfies `pred` (bounded).
async fn until(
    rx: &mut mpsc::UnboundedReceiver<String>,
    seen: &mut Vec<String>,
    what: &str,
    pred: impl Fn(&str) -> bool,
) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(line)) => {
                let hit = pred(&line);
                seen.push(line);
                if hit {
                    return;
                }
            }
            Ok(None) => panic!("output ended before {what}: {seen:#?}"),
            Err(_) => panic!("no {what} within {WAIT:?}: {seen:#?}"),
        }
    }
}

/// The strategy (amm_first, 1 ETH, no trade limit) and the `[connect]` tables for `env`.
fn config(env: &ArbEnv, manifest: &Path) -> String {
    let strategy = StrategyToml::default().text();
    format!("{strategy}\n{}", env.connect_toml("dev", manifest).unwrap())
}

fn event(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or(serde_json::Value::Null)
}

/// A temporary sluice home with the dev wallet and the mock's API keys, and a `sluice arb` config
/// file pointing at `env` (its `[connect]` tables write the manifest beside it).
async fn arb_home(env: &ArbEnv) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    sluice_ok(
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        &format!("{DEV_MNEMONIC}\n"),
    )
    .await;
    sluice_ok(
        &home,
        &["keys", "add", "--venue", "binance", "--stdin"],
        &format!("{}\n{}\n", env.mock.api_key(), env.mock.api_secret()),
    )
    .await;
    let config_file = tmp.path().join("arb.toml");
    let manifest = tmp.path().join("manifest.json");
    std::fs::write(&config_file, config(env, &manifest)).unwrap();
    (tmp, home, config_file)
}

/// `sluice arb --json --config FILE` in `home`, stdout and stderr piped, killed if dropped.
fn spawn_arb(home: &Path, config_file: &Path) -> tokio::process::Child {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["arb", "--json", "--config"])
        .arg(config_file)
        .env("SLUICE_HOME", home)
        .env("SLUICE_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_after_following_the_trade_in_flight() {
    // The chain and the exchange (the book 100 USDT above the pool), and the trader's router
    // approval done beforehand, so that its only transaction is the swap.
    let env = ArbEnv::start(ArbEnvOptions {
        exchange_mid: dec!(3100),
        account_index: 1,
        preapprove_router: true,
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap();
    let (_tmp, home, config_file) = arb_home(&env).await;

    let nonce = env.nonce().await.unwrap();
    env.set_automine(false).await.unwrap();
    let mut child = spawn_arb(&home, &config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut err = lines(child.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());

    // The trade is in flight: its swap waits in the transaction pool.
    until(&mut out, &mut stdout, "the swap in the pool", |l| {
        let e = event(l);
        e["event"] == "order_update" && e["venue"] == "uniswap_v3@anvil" && e["state"] == "open"
    })
    .await;
    let pid = i32::try_from(child.id().unwrap()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test spawned and still owns.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    until(&mut err, &mut stderr, "the stop notice", |l| {
        l.contains("stopping: no new orders")
    })
    .await;
    // Only now is the swap mined; the run must still complete the trade.
    env.set_automine(true).await.unwrap();
    env.mine().await.unwrap();

    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("sluice arb did not exit after Ctrl-C")
        .unwrap();
    while let Some(l) = out.recv().await {
        stdout.push(l);
    }
    while let Some(l) = err.recv().await {
        stderr.push(l);
    }
    assert!(status.success(), "exit {status}: {stderr:#?}\n{stdout:#?}");

    // It said it stopped cleanly.
    let events: Vec<serde_json::Value> = stdout.iter().map(|l| event(l)).collect();
    let stopped = events
        .iter()
        .find(|e| e["event"] == "stopped")
        .expect("a stopped event");
    assert_eq!(stopped["outcome"]["outcome"], "stopped", "{stopped}");
    let summary = stderr.last().cloned().unwrap_or_default();
    assert!(
        summary.contains("1 trades, 0 failures, Stopped"),
        "{stderr:#?}"
    );
    // The trade in flight was followed to its end and no other was started: two orders were
    // sent (the swap, then the exchange leg once it was mined), both journaled as filled.
    let sent: Vec<&serde_json::Value> = events
        .iter()
        .filter(|e| e["event"] == "order_sent")
        .collect();
    assert_eq!(sent.len(), 2, "{stdout:#?}");
    assert!(events.iter().any(|e| e["event"] == "trade_done"));
    let journal = Journal::open(&home.join("journal.sqlite")).unwrap();
    let history = journal.history(None).unwrap();
    assert_eq!(history.runs.len(), 1);
    let run = &history.runs[0];
    assert_eq!(run.outcome.as_deref(), Some("stopped"));
    let orders = journal.orders_of_run(run.run_id).unwrap();
    assert_eq!(orders.len(), 2, "{orders:?}");
    for o in &orders {
        assert_eq!(o.state, OrderState::Filled, "{o:?}");
        assert!(o.state.is_terminal());
    }
    // The venues agree: one exchange order, filled; one transaction from the trader.
    let ex = env.exchange_orders();
    assert_eq!(ex.len(), 1, "{ex:?}");
    assert_eq!(ex[0].status, "FILLED");
    assert_eq!(env.nonce().await.unwrap(), nonce + 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_right_after_the_start_still_stops_cleanly() {
    let env = ArbEnv::start(ArbEnvOptions {
        exchange_mid: dec!(3100),
        account_index: 2,
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap();
    let (_tmp, home, config_file) = arb_home(&env).await;
    let mut child = spawn_arb(&home, &config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut err = lines(child.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    // Ctrl-C as soon as the run says it started, before it has shown anything else.
    until(&mut err, &mut stderr, "the start", |l| {
        l.contains("started; Ctrl-C stops")
    })
    .await;
    let pid = i32::try_from(child.id().unwrap()).unwrap();
    // SAFETY: kill(2) on the pid of a child this test spawned and still owns.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .expect("sluice arb did not exit after Ctrl-C")
        .unwrap();
    while let Some(l) = out.recv().await {
        stdout.push(l);
    }
    while let Some(l) = err.recv().await {
        stderr.push(l);
    }
    // Not killed by the signal: a clean stop, whatever was in flight followed to its end.
    assert!(status.success(), "exit {status}: {stderr:#?}\n{stdout:#?}");
    assert!(
        stderr.iter().any(|l| l.contains("stopping: no new orders")),
        "{stderr:#?}"
    );
    let events: Vec<serde_json::Value> = stdout.iter().map(|l| event(l)).collect();
    assert!(
        events.iter().any(|e| e["event"] == "stopped"),
        "{stdout:#?}"
    );
    let journal = Journal::open(&home.join("journal.sqlite")).unwrap();
    let history = journal.history(None).unwrap();
    assert_eq!(history.runs[0].outcome.as_deref(), Some("stopped"));
    let orders = journal.orders_of_run(history.runs[0].run_id).unwrap();
    assert!(orders.len() <= 2, "at most the trade in flight: {orders:?}");
    assert!(orders.iter().all(|o| o.state.is_terminal()), "{orders:?}");
}
