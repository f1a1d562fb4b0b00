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
use sluice_sim::arb_env::{ArbEnv, ArbEnvOptions};
use sluice_sim::arb_toml::StrategyToml;

use crate::cli_support::{Cli, arb_env, interrupt, lines};

const WAIT: Duration = Duration::from_secs(60);
const CLI: Cli = Cli {
    password: "arb cli test password",
    wait: WAIT,
};

fn event(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or(serde_json::Value::Null)
}

/// A temporary sluice home with the dev wallet and the mock's API keys, and a `sluice arb` config
/// file pointing at `env` (its `[connect]` tables write the manifest beside it).
async fn arb_home(env: &ArbEnv) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let config_file = CLI.arb_setup(env, &home, tmp.path()).await;
    (tmp, home, config_file)
}

/// `sluice arb --json --config FILE` in `home`, stdout and stderr piped, killed if dropped.
fn spawn_arb(home: &Path, config_file: &Path) -> tokio::process::Child {
    let mut c = CLI.command(["arb", "--json", "--config"], Some(home));
    c.arg(config_file).spawn().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_stops_cleanly_after_following_the_trade_in_flight() {
    // The chain and the exchange (the book 100 USDT above the pool), and the trader's router
    // approval done beforehand, so that its only transaction is the swap.
    let env = arb_env(dec!(3100), 1, true).await;
    let (_tmp, home, config_file) = arb_home(&env).await;

    let nonce = env.nonce().await.unwrap();
    env.set_automine(false).await.unwrap();
    let mut child = spawn_arb(&home, &config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut err = lines(child.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());

    // The trade is in flight: its swap waits in the transaction pool.
    CLI.until(&mut out, &mut stdout, "the swap in the pool", |l| {
        let e = event(l);
        e["event"] == "order_update" && e["venue"] == "uniswap_v3@anvil" && e["state"] == "open"
    })
    .await;
    interrupt(&child);
    CLI.until(&mut err, &mut stderr, "the stop notice", |l| {
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
    let env = arb_env(dec!(3100), 2, false).await;
    let (_tmp, home, config_file) = arb_home(&env).await;
    let mut child = spawn_arb(&home, &config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut err = lines(child.stderr.take().unwrap());
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    // Ctrl-C as soon as the run says it started, before it has shown anything else.
    CLI.until(&mut err, &mut stderr, "the start", |l| {
        l.contains("started; Ctrl-C stops")
    })
    .await;
    interrupt(&child);
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

/// A sluice command in `home`: its exit status, stdout and stderr.
async fn sluice_out(home: &Path, args: &[&str]) -> (bool, String, String) {
    let cli = Cli {
        wait: Duration::from_secs(180),
        ..CLI
    };
    cli.finish(CLI.command(args, Some(home))).await
}

/// `sluice recover` succeeded and the outcome it printed (JSON) starts with `prefix`.
fn assert_settled(ok: bool, out: &str, err: &str, prefix: &str) {
    assert!(ok, "{err}");
    let settled: serde_json::Value = serde_json::from_str(out).unwrap();
    assert!(
        settled["outcome"].as_str().unwrap().starts_with(prefix),
        "{settled}"
    );
}

/// Starts `sluice arb`, waits for a line of stdout matching `pred`, then Ctrl-C and a clean exit;
/// the lines seen.
async fn arb_until_then_stop(
    home: &Path,
    config_file: &Path,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> Vec<String> {
    let mut child = spawn_arb(home, config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut err = lines(child.stderr.take().unwrap());
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        tokio::select! {
            l = out.recv() => match l {
                Some(l) => {
                    let hit = pred(&l);
                    seen.push(l);
                    if hit { break; }
                }
                None => {
                    let mut e = Vec::new();
                    while let Some(l) = err.recv().await { e.push(l); }
                    panic!("sluice arb ended before {what}: {seen:#?}\n{e:#?}");
                }
            },
            _ = tokio::time::sleep_until(deadline) => panic!("no {what}: {seen:#?}"),
        }
    }
    interrupt(&child);
    let status = tokio::time::timeout(WAIT, child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "{status}: {seen:#?}");
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_run_on_another_pair_refuses_arb_until_recover_abandons_it() {
    // the book 100 USDT above the pool: a start that may trade, trades at once
    let env = arb_env(dec!(3100), 3, false).await;
    let (_tmp, home, config_file) = arb_home(&env).await;
    let journal_path = home.join("journal.sqlite");
    // an earlier arb on BTC-USDT, killed after buying 0.5 BTC
    let foreign = {
        use sluice::core::{ClientOrderId, Fill, OrderRequest, OrderType, Side, TimeInForce};
        use sluice::store::{RunKind, RunLeg, RunScope};
        let j = Journal::open(&journal_path).unwrap();
        let scope = RunScope::new(
            RunKind::Arb,
            vec![RunLeg {
                venue: "binance".into(),
                pair: "BTC-USDT".parse().unwrap(),
            }],
            vec![],
        );
        let run = j.start_scoped_run("arb", "", &scope).unwrap();
        let id = ClientOrderId::new("btc-leg").unwrap();
        let order = OrderRequest {
            client_id: id.clone(),
            pair: "BTC-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(0.5),
            price: Some(dec!(60000)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        };
        j.record_intent(run, "binance", &order).unwrap();
        j.record_fill(
            run,
            &Fill {
                venue: "binance".into(),
                trade_id: "BTCUSDT:1".into(),
                client_id: Some(id),
                venue_order_id: None,
                pair: "BTC-USDT".parse().unwrap(),
                side: Side::Buy,
                price: dec!(60000),
                amount: dec!(0.5),
                fee_asset: sluice::core::Asset::new("BTC").unwrap(),
                fee_amount: dec!(0),
                is_maker: false,
                timestamp_ms: 1,
            },
        )
        .unwrap();
        run
    };
    let (ok, _out, err) = sluice_out(
        &home,
        &["arb", "--json", "--config", config_file.to_str().unwrap()],
    )
    .await;
    assert!(!ok, "arb traded over an unsettled run: {err}");
    for needle in [
        format!("run {foreign}"),
        "binance BTC-USDT +0.5".to_string(),
        format!("sluice recover --run {foreign} --close|--abandon"),
    ] {
        assert!(err.contains(&needle), "{needle:?} not in {err}");
    }
    assert!(env.exchange_orders().is_empty(), "nothing sent");
    assert_eq!(env.nonce().await.unwrap(), 0, "no transaction sent");

    let run = foreign.to_string();
    let (ok, out, err) = sluice_out(&home, &["history", "--run", &run, "--json"]).await;
    assert!(ok, "{err}");
    let h: serde_json::Value = serde_json::from_str(&out).unwrap();
    let r = &h["runs"][0];
    assert_eq!(r["scope"]["kind"], "arb");
    assert_eq!(r["scope"]["legs"][0]["pair"], "BTC-USDT");
    assert_eq!(r["ended_ms"], serde_json::Value::Null);
    assert_eq!(r["exposure"][0]["venue"], "binance");
    assert_eq!(r["exposure"][0]["base"], "0.5");

    let (ok, out, err) =
        sluice_out(&home, &["recover", "--run", &run, "--abandon", "--json"]).await;
    assert_settled(ok, &out, &err, "abandoned by the user");
    // settled: the next start trades
    arb_until_then_stop(&home, &config_file, "a trade", |l| {
        event(l)["event"] == "order_sent"
    })
    .await;
    // what the journal stores of the config: the strategy, no [connect] table
    let conn = rusqlite::Connection::open(&journal_path).unwrap();
    let configs: Vec<String> = conn
        .prepare("SELECT config FROM runs WHERE label = 'arb' AND id != ?1")
        .unwrap()
        .query_map([foreign], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(!configs.is_empty());
    for c in configs {
        assert!(c.contains("order_size"), "{c}");
        for leaked in [
            "connect",
            "rest_url",
            "rpc_url",
            "wallet",
            "manifest",
            "127.0.0.1",
        ] {
            assert!(!c.contains(leaked), "{leaked} stored in the journal: {c}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_manual_order_killed_before_its_answer_is_adopted_by_the_next_start() {
    let env = arb_env(dec!(3000), 4, false).await;
    let (tmp, home, _) = arb_home(&env).await;
    // a start that never trades: it only reconciles
    let quiet = tmp.path().join("quiet.toml");
    let strategy = StrategyToml {
        min_profit_pct: dec!(1000),
        ..StrategyToml::default()
    }
    .text();
    std::fs::write(
        &quiet,
        format!(
            "{strategy}\n{}",
            env.connect_toml("dev", &tmp.path().join("m.json")).unwrap()
        ),
    )
    .unwrap();
    // the exchange executes at once but answers after 5 s: killed in between
    env.mock.set_ack_delay(Duration::from_secs(5));
    let journal_path = home.join("journal.sqlite");
    let mut place = CLI
        .command(
            [
                "order",
                "place",
                "--venue",
                "binance",
                "--base-url",
                &env.mock.rest_url(),
                "--ws-url",
                &env.mock.ws_url(),
                "--ws-api-url",
                &env.mock.ws_api_url(),
                "--pair",
                "ETH-USDT",
                "--side",
                "sell",
                "--type",
                "market",
                "--amount",
                "0.1",
                "--client-id",
                "manual-killed",
            ],
            Some(&home),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let id = sluice::core::ClientOrderId::new("manual-killed").unwrap();
    let deadline = tokio::time::Instant::now() + WAIT;
    // the intent is journaled before the send; the mock has the order once it is sent
    loop {
        let journaled = journal_path.exists()
            && Journal::open(&journal_path)
                .ok()
                .and_then(|j| j.order(&id).ok().flatten())
                .is_some();
        if journaled && !env.exchange_orders().is_empty() {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "never sent");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    place.kill().await.unwrap();
    env.mock.set_ack_delay(Duration::ZERO);
    let j = Journal::open(&journal_path).unwrap();
    assert_eq!(
        j.order(&id).unwrap().unwrap().state,
        OrderState::PendingSubmit,
        "killed before the answer"
    );
    let manual = j.order(&id).unwrap().unwrap().run_id;
    drop(j);
    arb_until_then_stop(&home, &quiet, "the first evaluation", |l| {
        event(l)["event"] == "edges"
    })
    .await;
    let j = Journal::open(&journal_path).unwrap();
    let o = j.order(&id).unwrap().unwrap();
    assert_eq!((o.state, o.filled), (OrderState::Filled, dec!(0.1)));
    assert_eq!(j.fills_of_run(manual).unwrap().len(), 1);
    // the user's sell is theirs: nothing bought back
    assert_eq!(env.exchange_orders().len(), 1);
    assert!(j.unfinished_runs().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_between_its_legs_is_not_touched_by_another_config_until_recover_closes_it() {
    let env = arb_env(dec!(3100), 5, true).await;
    let (tmp, home, config_file) = arb_home(&env).await;
    CLI.ok(
        &home,
        &["keys", "add", "--venue", "binance_us", "--stdin"],
        &format!("{}\n{}\n", env.mock.api_key(), env.mock.api_secret()),
    )
    .await;
    let nonce = env.nonce().await.unwrap();
    // killed between the legs: the swap waits in the pool, the exchange leg is not sent yet
    env.set_automine(false).await.unwrap();
    let mut child = spawn_arb(&home, &config_file);
    let mut out = lines(child.stdout.take().unwrap());
    let mut stdout = Vec::new();
    CLI.until(&mut out, &mut stdout, "the swap in the pool", |l| {
        let e = event(l);
        e["event"] == "order_update" && e["venue"] == "uniswap_v3@anvil" && e["state"] == "open"
    })
    .await;
    child.kill().await.unwrap();
    env.set_automine(true).await.unwrap();
    env.mine().await.unwrap();
    assert_eq!(env.nonce().await.unwrap(), nonce + 1, "the swap is mined");
    assert!(env.exchange_orders().is_empty());
    let journal_path = home.join("journal.sqlite");
    let killed = Journal::open(&journal_path)
        .unwrap()
        .unfinished_runs()
        .unwrap();
    assert_eq!(killed.len(), 1);
    let killed = killed[0];

    // a restart with another config (the same exchange as binance_us): not its run
    let other = tmp.path().join("other.toml");
    let text = std::fs::read_to_string(&config_file)
        .unwrap()
        .replace("venue = \"binance\"", "venue = \"binance_us\"")
        .replace("[connect.binance]", "[connect.binance_us]");
    std::fs::write(&other, text).unwrap();
    let (ok, _, err) = sluice_out(
        &home,
        &["arb", "--json", "--config", other.to_str().unwrap()],
    )
    .await;
    assert!(!ok, "{err}");
    assert!(
        err.contains(&format!("sluice recover --run {killed} --close|--abandon")),
        "{err}"
    );
    assert!(
        env.exchange_orders().is_empty(),
        "nothing sent at the exchange"
    );
    assert_eq!(
        env.nonce().await.unwrap(),
        nonce + 1,
        "nothing sent on chain"
    );

    // settled by hand with the run's own config: one bounded corrective swap
    let run = killed.to_string();
    let (ok, out, err) = sluice_out(
        &home,
        &[
            "recover",
            "--run",
            &run,
            "--close",
            "--config",
            config_file.to_str().unwrap(),
            "--json",
        ],
    )
    .await;
    assert_settled(ok, &out, &err, "closed by the user");
    let j = Journal::open(&journal_path).unwrap();
    let scope = j.run_scope(killed).unwrap();
    let net = sluice::store::canonical_positions(scope.as_ref(), &j.run_positions(killed).unwrap())
        .unwrap();
    assert!(net.iter().all(|p| p.net.is_zero()), "{net:?}");
    let orders = j.orders_of_run(killed).unwrap();
    assert!(orders.iter().all(|o| o.state.is_terminal()), "{orders:?}");
    let fix = orders.last().unwrap();
    assert!(fix.request.price.is_some(), "bounded: {fix:?}");
    assert!(j.unfinished_runs().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_swap_is_journaled_as_a_manual_run() {
    let env = ArbEnv::start(ArbEnvOptions {
        account_index: 6,
        ..ArbEnvOptions::default()
    })
    .await
    .unwrap();
    let (tmp, home, _) = arb_home(&env).await;
    let manifest = tmp.path().join("manifest.json");
    let rpc = env.chain.anvil.url().to_string();
    let (ok, out, err) = sluice_out(
        &home,
        &[
            "swap",
            "--venue",
            "uniswap_v3",
            "--chain",
            "anvil",
            "--rpc-url",
            &rpc,
            "--manifest",
            manifest.to_str().unwrap(),
            "--wallet",
            "dev",
            "--account",
            "6",
            "ETH-USDC",
            "sell",
            "0.1",
            "--slippage",
            "1",
            "--json",
        ],
    )
    .await;
    assert!(ok, "{err}\n{out}");
    let j = Journal::open(&home.join("journal.sqlite")).unwrap();
    let runs = j.history(None).unwrap().runs;
    assert_eq!(runs.len(), 1, "{runs:?}");
    let r = &runs[0];
    let scope = r.scope.as_ref().expect("a scope");
    assert_eq!(scope.kind, sluice::store::RunKind::Manual);
    assert_eq!(scope.legs.len(), 1);
    assert_eq!(scope.legs[0].venue, "uniswap_v3@anvil");
    assert!(r.ended_ms.is_some(), "the run ends with the command");
    let orders = j.orders_of_run(r.run_id).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(
        (orders[0].state, orders[0].filled),
        (OrderState::Filled, dec!(0.1))
    );
    assert_eq!(r.trades.len(), 1);
    assert!(!j.transactions_of_run(r.run_id).unwrap().is_empty());
}
