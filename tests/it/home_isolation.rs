//! `sluice demo` and the user's home, from the built binary: a default demo leaves the user's home
//! (`SLUICE_HOME`) untouched and journals in a throwaway home of its own, as a demo on simulated
//! venues; a demo killed mid-trade in a home named with `--home` leaves nothing that a real
//! `sluice arb` on that home acts on or reports; and a second trading command on a home in use
//! fails at once naming the first's pid, while the first completes.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::store::{Journal, RunKind};
use tokio::process::Command;
use tokio::sync::mpsc;

use crate::cli_support::{Cli, arb_env, interrupt, kill, lines};

const WAIT: Duration = Duration::from_secs(90);
const CLI: Cli = Cli {
    password: "home isolation test password",
    wait: WAIT,
};

/// `sluice ARGS` with the home only where `args` name it (`SLUICE_HOME` removed unless `env_home`).
fn sluice(args: &[&str], env_home: Option<&Path>) -> Command {
    CLI.command(args, env_home)
}

/// Everything left in `rx` once its process has ended.
async fn drain(rx: &mut mpsc::UnboundedReceiver<String>, seen: &mut Vec<String>) {
    while let Ok(Some(l)) = tokio::time::timeout(WAIT, rx.recv()).await {
        seen.push(l);
    }
}

/// The entries of a folder, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_default_demo_leaves_the_users_home_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    // The user's real home (SLUICE_HOME), with something in it, and where temporary folders go.
    let user_home = tmp.path().join("user-home");
    std::fs::create_dir(&user_home).unwrap();
    std::fs::write(user_home.join("keep"), "the user's").unwrap();
    let temp = tmp.path().join("tmp");
    std::fs::create_dir(&temp).unwrap();

    let mut c = sluice(
        &[
            "demo",
            "--json",
            "--max-trades",
            "1",
            "--timeout-secs",
            "90",
        ],
        Some(&user_home),
    );
    c.env("TMPDIR", &temp);
    let (ok, stdout, stderr) = CLI.finish(c).await;
    assert!(ok, "sluice demo failed:\n{stderr}");

    // Nothing created or changed in the user's home: no journal, no lock file.
    assert_eq!(listing(&user_home), ["keep"], "{stderr}");
    assert_eq!(
        std::fs::read_to_string(user_home.join("keep")).unwrap(),
        "the user's"
    );
    // The run is in a new home of its own, which the demo printed.
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON report");
    let home = PathBuf::from(report["home"].as_str().expect("the report names its home"));
    assert_eq!(home.parent(), Some(temp.as_path()), "{report}");
    assert!(stderr.contains(&home.display().to_string()), "{stderr}");
    assert!(stderr.contains("SLUICE_HOME is not used"), "{stderr}");
    assert_eq!(listing(&temp).len(), 1);

    // `sluice history --home <that home>` shows it, on simulated venues only.
    let (ok, hist, err) = CLI
        .finish(sluice(
            &["history", "--json", "--home", home.to_str().unwrap()],
            None,
        ))
        .await;
    assert!(ok, "{err}");
    let h: serde_json::Value = serde_json::from_str(&hist).unwrap();
    let runs = h["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{h}");
    let fills = runs[0]["trades"].as_array().unwrap();
    assert!(!fills.is_empty(), "{h}");
    for f in fills {
        let venue = f["venue"].as_str().unwrap();
        assert!(
            venue == "sim-binance" || venue == "uniswap_v3@sim-anvil",
            "{venue}"
        );
    }
    // ... journaled as a demo, with its simulated legs.
    let journal = Journal::open(&home.join("journal.sqlite")).unwrap();
    let run = runs[0]["run_id"].as_i64().unwrap();
    let scope = journal.run_scope(run).unwrap().expect("a scoped run");
    assert_eq!(scope.kind, RunKind::Demo);
    let venues: Vec<&str> = scope.legs.iter().map(|l| l.venue.as_str()).collect();
    assert_eq!(venues, ["sim-binance", "uniswap_v3@sim-anvil"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_demo_leaves_nothing_for_a_real_arb_on_the_same_home() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let home_arg = home.to_str().unwrap().to_string();

    // 1. A demo in the home H, killed (SIGKILL) as soon as its first leg (the swap) is filled: the
    // trade is cut between its legs, the run left open with a one-legged position and perhaps an
    // order in flight. The demo runs in its own process group, so that its anvil dies with it.
    let mut c = sluice(&["demo", "--home", &home_arg], None);
    c.process_group(0);
    let mut demo = c.spawn().unwrap();
    let mut err = lines(demo.stderr.take().unwrap());
    let mut seen = Vec::new();
    CLI.until(&mut err, &mut seen, "the demo's first swap filled", |l| {
        l.starts_with("  fill at uniswap_v3@")
    })
    .await;
    let pgid = i32::try_from(demo.id().unwrap()).unwrap();
    // its process group: the test spawned it in a group of its own
    kill(-pgid, libc::SIGKILL);
    let status = demo.wait().await.unwrap();
    assert!(!status.success(), "killed: {status}");
    {
        let j = Journal::open(&home.join("journal.sqlite")).unwrap();
        let open = j.unfinished_runs().unwrap();
        assert_eq!(open.len(), 1, "the demo's run is left open: {seen:#?}");
        let scope = j.run_scope(open[0]).unwrap().expect("a scoped run");
        assert_eq!(scope.kind, RunKind::Demo);
        assert!(!j.orders_of_run(open[0]).unwrap().is_empty(), "{seen:#?}");
    }

    // 2. A real `sluice arb` on H, against a mock exchange and an anvil of its own, with the same
    // dev account the demo traded with, and no gap to trade: any order or transaction it sends
    // would be about the demo.
    let env = arb_env(dec!(3000), 1, false).await;
    let config_file = CLI.arb_setup(&env, &home, tmp.path()).await;
    let nonce = env.nonce().await.unwrap();

    let mut arb = sluice(
        &["arb", "--json", "--config", config_file.to_str().unwrap()],
        Some(&home),
    )
    .spawn()
    .unwrap();
    let mut out = lines(arb.stdout.take().unwrap());
    let mut err = lines(arb.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    // Past the start's reconcile and recovery: the strategy evaluates the market.
    CLI.until(&mut out, &mut stdout, "the first evaluation", |l| {
        l.contains("\"event\":\"edges\"")
    })
    .await;
    interrupt(&arb);
    let status = tokio::time::timeout(WAIT, arb.wait())
        .await
        .expect("sluice arb did not stop")
        .unwrap();
    drain(&mut out, &mut stdout).await;
    drain(&mut err, &mut stderr).await;
    assert!(status.success(), "exit {status}: {stderr:#?}\n{stdout:#?}");

    // It sent nothing: no exchange order, no transaction.
    assert!(env.exchange_orders().is_empty(), "{stdout:#?}");
    assert_eq!(env.nonce().await.unwrap(), nonce, "{stdout:#?}");
    // ... and said nothing of the demo.
    for line in stdout.iter().chain(&stderr) {
        let l = line.to_lowercase();
        for word in ["sim-", "demo", "reconciled", "interrupted", "order_sent"] {
            assert!(!l.contains(word), "{word:?} in {line:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_trading_command_on_a_home_in_use_fails_naming_the_first() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let home_arg = home.to_str().unwrap();

    let mut first = sluice(&["demo", "--json", "--home", home_arg], None)
        .spawn()
        .unwrap();
    let first_pid = first.id().unwrap();
    let mut err = lines(first.stderr.take().unwrap());
    let mut seen = Vec::new();
    CLI.until(&mut err, &mut seen, "the first demo's first order", |l| {
        l.starts_with("→ ")
    })
    .await;

    // A second demo, and a `sluice arb`, on the same home: both refused at once, naming the pid.
    let holder = format!("pid {first_pid}");
    let (ok, _, second) = CLI
        .finish(sluice(&["demo", "--home", home_arg], None))
        .await;
    assert!(!ok, "a second demo ran on a home in use: {second}");
    assert!(second.contains(&holder), "{second}");
    let missing = tmp.path().join("no-such-config.toml");
    let (ok, _, arb) = CLI
        .finish(sluice(
            &["arb", "--config", missing.to_str().unwrap()],
            Some(&home),
        ))
        .await;
    assert!(!ok, "{arb}");
    assert!(arb.contains(&holder), "{arb}");

    // The first completes untouched.
    let mut stdout = String::new();
    {
        use tokio::io::AsyncReadExt;
        first
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut stdout)
            .await
            .unwrap();
    }
    let status = tokio::time::timeout(WAIT, first.wait())
        .await
        .expect("the first demo did not end")
        .unwrap();
    drain(&mut err, &mut seen).await;
    assert!(status.success(), "{seen:#?}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert!(
        report["summary"]["trades"].as_u64().unwrap() >= 1,
        "{report}"
    );
    assert_eq!(report["summary"]["failures"].as_u64(), Some(0), "{report}");
}
