//! Crash safety of `sluice arb` (issue 7): the test hosts an anvil from the snapshot (one block a
//! second, so swaps and approvals sit in the pool for a while) and a mock Binance priced above the
//! pool; it runs the real binary against them and kills it with SIGKILL at a random moment (seeded,
//! printed) while it trades, 20 times; in half of the rounds the mock answers order placement late, so
//! that kills also land between an exchange order's execution and its acknowledgement. After each kill a new `sluice arb` starts, reconciles what the
//! dead one left in flight, and is stopped with Ctrl-C before it trades (its copy of the config asks
//! for an edge no market gives); in some rounds that restart is itself killed while it reconciles and
//! another one reconciles. Then the journal and the venues must agree:
//!
//! - every order the mock holds for our key is in the journal, in the same final state with the same
//!   executed amount; every journal order the mock does not know failed without a fill;
//! - the journal's exchange fills are exactly the mock's trades of our account (each once);
//! - every transaction the account has on chain (every nonce up to the account's count) is in the
//!   journal, mined or reverted as on chain, with the receipt's gas and fee; nothing is left pending;
//!   what the journal has as dropped or replaced is not on chain; each mined swap has exactly one fill;
//! - no order is left in a non-final state, and every interrupted run is closed;
//! - every interrupted run ends flat: its net position per (venue, pair), from the journal's fills,
//!   adds up to zero per canonical base asset (through the run's journaled aliases), so a one-legged
//!   trade a kill left was really closed, not only reported.
//!
//! In some rounds a second `sluice arb` races the first for the same home: it must exit non-zero at
//! once naming the first's pid, and the first, stopped with Ctrl-C instead of killed, completes its
//! trade untouched (its run ends `stopped`, flat).
//!
//! `SLUICE_CRASH_SEED` replays a run; `SLUICE_CRASH_ROUNDS` changes the number of kills.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::core::{OrderState, TxState, from_units};
use sluice::store::{Journal, canonical_positions, describe_positions};
use sluice_sim::anvil::{AnvilOptions, dev_addresses};
use sluice_sim::arb_toml::StrategyToml;
use sluice_sim::deploy::LocalEnv;
use sluice_sim::exchange::dialects::binance::MockBinance;

const PASSWORD: &str = "crash test password";
const MNEMONIC: &str = "test test test test test test test test test test test junk";
const ACCOUNT_INDEX: usize = 2;
const AMM: &str = "uniswap_v3@anvil";

fn sluice(home: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.env("SLUICE_HOME", home)
        .env("SLUICE_PASSWORD", PASSWORD)
        .env("RUST_LOG", "warn")
        .env_remove("SLUICE_CHAINS_DIR")
        .env_remove("SLUICE_RPC_URL")
        .env_remove("SLUICE_MANIFEST");
    cmd
}

pub(crate) fn run_with_stdin(home: &Path, args: &[&str], stdin: &str) {
    use std::io::Write;
    let mut child = sluice(home)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "sluice {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn config(mock: &MockBinance, env: &LocalEnv, manifest: &Path, min_profit_pct: &str) -> String {
    let strategy = StrategyToml {
        size: dec!(0.1),
        min_profit_pct: min_profit_pct.parse().unwrap(),
        max_failures: 1000,
        swap_deadline_secs: Some(120),
        exchange_slippage_pct: dec!(0.5),
        amm_slippage_pct: Decimal::ONE,
        ..StrategyToml::default()
    }
    .text();
    format!(
        r#"{strategy}
[connect.binance]
rest_url = "{rest}"
ws_url = "{ws}"
ws_api_url = "{ws_api}"

[connect."{AMM}"]
rpc_url = "{rpc}"
wallet = "dev"
account_index = {ACCOUNT_INDEX}
manifest = "{manifest}"
"#,
        rest = mock.rest_url(),
        ws = mock.ws_url(),
        ws_api = mock.ws_api_url(),
        rpc = env.anvil.url(),
        manifest = manifest.display(),
    )
}

/// Waits (up to 60 s) until the `sluice arb --json` child prints its first `edges` event; its
/// stdout is drained by a thread from then on, so the child never blocks on a full pipe.
async fn wait_first_evaluation(child: &mut Child, log: &Path) {
    wait_for_event(child, log, "edges").await;
}

/// Waits (up to 60 s) until the `sluice arb --json` child prints its first `event` line; its
/// stdout is drained by a thread from then on, so the child never blocks on a full pipe.
pub(crate) async fn wait_for_event(child: &mut Child, log: &Path, event: &str) {
    let stdout = child.stdout.take().expect("piped stdout");
    let needle = format!(r#""event":"{event}""#);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains(&needle)
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(());
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    while rx.try_recv().is_err() {
        assert!(
            Instant::now() < deadline && child.try_wait().unwrap().is_none(),
            "sluice arb printed no {event} event within 60 s (or exited):\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub(crate) fn spawn_arb(home: &Path, config: &Path, log: &Path, stdout: Stdio) -> Child {
    let stderr = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    sluice(home)
        .args(["arb", "--json", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(stderr)
        .spawn()
        .unwrap()
}

pub(crate) fn signal(child: &Child, sig: libc::c_int) {
    let pid = libc::pid_t::try_from(child.id()).unwrap();
    // SAFETY: kill(2) on the pid of our own child, which has not been reaped yet.
    let rc = unsafe { libc::kill(pid, sig) };
    assert_eq!(rc, 0, "kill({pid}, {sig})");
}

/// Starts `sluice arb` on the no-trade config, waits until it has reconciled (its first evaluation
/// is printed), then stops it with Ctrl-C and waits for a clean exit.
async fn restart_and_reconcile(home: &Path, config: &Path, log: &Path) {
    let mut child = spawn_arb(home, config, log, Stdio::piped());
    let stdout = child.stdout.take().unwrap();
    let reader = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            let edges = line.contains("\"event\":\"edges\"");
            seen.push(line);
            if edges {
                // Keep draining so that the child never blocks on a full pipe.
                std::thread::spawn(move || for _ in lines {});
                return (true, seen);
            }
        }
        (false, seen)
    });
    let (evaluated, seen) = tokio::time::timeout(Duration::from_secs(150), reader)
        .await
        .expect("the restarted arb did not finish reconciling in 150 s")
        .unwrap();
    assert!(
        evaluated,
        "the restarted arb ended before evaluating: {seen:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    // It trades nothing of its own; the only orders it may send are the corrective ones that
    // close what a killed run left one-legged (client ids `slx…`, each announced first).
    assert!(
        seen.iter()
            .filter(|l| l.contains("order_sent"))
            .all(|l| l.contains("\"client_id\":\"slx")),
        "the reconcile-only run traded: {seen:?}"
    );
    signal(&child, libc::SIGINT);
    let status = wait_child(&mut child, Duration::from_secs(60)).await;
    assert!(
        status.success(),
        "the restarted arb did not stop cleanly: {status:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

pub(crate) async fn wait_child(child: &mut Child, limit: Duration) -> std::process::ExitStatus {
    let until = Instant::now() + limit;
    loop {
        if let Some(s) = child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < until, "child {} did not exit", child.id());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// What the dead process left, read from its journal before the restart.
fn kill_point(journal: &Path) -> String {
    let j = Journal::open(journal).unwrap();
    let in_flight = j.in_flight_orders().unwrap();
    let pending = j.pending_transactions().unwrap();
    let mut parts = Vec::new();
    for o in &in_flight {
        let kind = if o.venue == AMM {
            "swap"
        } else {
            "exchange order"
        };
        parts.push(format!("{kind} {}", o.state));
    }
    if !pending.is_empty() {
        parts.push(format!(
            "{} tx pending ({})",
            pending.len(),
            pending
                .iter()
                .map(|t| if t.client_id.is_some() {
                    "swap"
                } else {
                    "approval"
                })
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if parts.is_empty() {
        "nothing in flight".into()
    } else {
        parts.join(" + ")
    }
}

/// The account's transactions on chain, by nonce: (hash, success, gas used, effective gas price,
/// block). Scans blocks from `from` up to the head, adding to `seen`.
async fn scan_chain(
    p: &DynProvider,
    account: Address,
    from: &mut u64,
    seen: &mut BTreeMap<u64, (B256, bool, u64, u128, u64)>,
) {
    let head = p.get_block_number().await.unwrap();
    while *from <= head {
        let block = p
            .get_block_by_number((*from).into())
            .full()
            .await
            .unwrap()
            .unwrap();
        for tx in block.transactions.txns() {
            use alloy::consensus::Transaction as _;
            if tx.inner.signer() != account {
                continue;
            }
            let hash = *tx.inner.tx_hash();
            let r = p.get_transaction_receipt(hash).await.unwrap().unwrap();
            seen.insert(
                tx.nonce(),
                (hash, r.status(), r.gas_used, r.effective_gas_price, *from),
            );
        }
        *from += 1;
    }
}

/// Every run that ended `interrupted…` is flat per canonical base asset, from its fills per
/// (venue, pair).
fn assert_interrupted_runs_flat(journal: &Path) {
    let j = Journal::open(journal).unwrap();
    for r in j.history(None).unwrap().runs {
        if !r
            .outcome
            .as_deref()
            .unwrap_or("")
            .starts_with("interrupted")
        {
            continue;
        }
        let positions = j.run_positions(r.run_id).unwrap();
        let scope = j.run_scope(r.run_id).unwrap();
        let net = canonical_positions(scope.as_ref(), &positions).unwrap();
        assert!(
            net.iter().all(|p| p.net.is_zero()),
            "run {} ({:?}) ended with exposure: per (venue, pair) {}; per asset {net:?}",
            r.run_id,
            r.outcome,
            describe_positions(&positions)
        );
    }
}

/// A second `sluice arb` on the home `first` trades on: it must fail at once, naming `first`'s pid.
async fn second_process_is_refused(home: &Path, config: &Path, log: &Path, first: &Child) {
    let mut second = sluice(home)
        .args(["arb", "--json", "--config"])
        .arg(config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status = wait_child(&mut second, Duration::from_secs(30)).await;
    let mut err = String::new();
    use std::io::Read;
    second
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(
        !status.success(),
        "a second arb ran on the same home: {err}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    assert!(
        err.contains(&format!("pid {}", first.id())),
        "the refusal does not name the holder (pid {}): {err}",
        first.id()
    );
}

struct Totals {
    orders: usize,
    exchange_fills: usize,
    swap_fills: usize,
    txs: usize,
}

/// The invariants between the journal and the venues, after a reconcile.
async fn check(
    journal: &Path,
    mock: &MockBinance,
    p: &DynProvider,
    account: Address,
    first_nonce: u64,
    chain: &BTreeMap<u64, (B256, bool, u64, u128, u64)>,
) -> Totals {
    let j = Journal::open(journal).unwrap();
    let orders = j.all_orders().unwrap();
    let fills = j.all_fills().unwrap();
    let txs = j.all_transactions().unwrap();

    // Every earlier run is closed (interrupted ones by the reconcile).
    assert_eq!(j.unfinished_runs().unwrap(), Vec::<i64>::new());
    // No order left in flight.
    for o in &orders {
        assert!(
            o.state.is_terminal(),
            "order {} at {} left {} after the reconcile: {o:?}",
            o.request.client_id,
            o.venue,
            o.state
        );
        let filled: Decimal = fills
            .iter()
            .filter(|f| f.client_id.as_ref() == Some(&o.request.client_id))
            .map(|f| f.amount)
            .sum();
        assert_eq!(
            filled, o.filled,
            "order {}: fills vs filled",
            o.request.client_id
        );
    }
    let by_id: HashMap<&str, _> = orders
        .iter()
        .map(|o| (o.request.client_id.as_str(), o))
        .collect();

    // The exchange: orders and trades of our key.
    let mock_orders = mock.orders_of(mock.account());
    for m in &mock_orders {
        let o = by_id
            .get(m.client_order_id.as_str())
            .unwrap_or_else(|| panic!("the mock has order {m:?}, the journal does not"));
        assert_eq!(o.venue, "binance");
        assert_eq!(o.filled, m.executed_qty, "order {m:?} vs {o:?}");
        let expect = match m.status.as_str() {
            "FILLED" => OrderState::Filled,
            "CANCELED" | "EXPIRED" | "EXPIRED_IN_MATCH" => OrderState::Cancelled,
            other => panic!("the mock still has order {m:?} as {other}"),
        };
        assert_eq!(o.state, expect, "order {m:?} vs {o:?}");
    }
    for o in orders.iter().filter(|o| o.venue == "binance") {
        if !mock_orders
            .iter()
            .any(|m| m.client_order_id == o.request.client_id.as_str())
        {
            assert_eq!(o.state, OrderState::Failed, "unknown to the mock: {o:?}");
            assert!(o.filled.is_zero());
        }
    }
    let mut mock_trades: Vec<String> = mock
        .trades_of(mock.account())
        .iter()
        .map(|t| format!("ETH-USDT:{}", t.trade_id))
        .collect();
    let mut our_trades: Vec<String> = fills
        .iter()
        .filter(|f| f.venue == "binance")
        .map(|f| f.trade_id.clone())
        .collect();
    mock_trades.sort();
    our_trades.sort();
    assert_eq!(
        our_trades, mock_trades,
        "exchange fills vs the mock's trades"
    );

    // The chain: every nonce of the account since the start is journaled as on chain.
    let count = p.get_transaction_count(account).await.unwrap();
    assert!(
        !txs.iter().any(|t| t.status == TxState::Pending),
        "pending after the reconcile: {txs:?}"
    );
    for nonce in first_nonce..count {
        let (hash, ok, gas, price, block) = chain
            .get(&nonce)
            .unwrap_or_else(|| panic!("nonce {nonce} not found on chain"));
        let t = txs
            .iter()
            .find(|t| t.hash == hash.to_string())
            .unwrap_or_else(|| panic!("transaction {hash} (nonce {nonce}) is not in the journal"));
        let want = if *ok {
            TxState::Mined
        } else {
            TxState::Reverted
        };
        assert_eq!(t.status, want, "{t:?}");
        assert_eq!(t.nonce, nonce);
        assert_eq!(t.gas_used, Some(*gas), "{t:?}");
        assert_eq!(t.block, Some(*block), "{t:?}");
        let fee = from_units(U256::from(*gas) * U256::from(*price), 18).unwrap();
        assert_eq!(t.fee_native, Some(fee), "{t:?}");
        assert_eq!(
            txs.iter()
                .filter(
                    |x| x.nonce == nonce && matches!(x.status, TxState::Mined | TxState::Reverted)
                )
                .count(),
            1,
            "one mined transaction per nonce"
        );
        // A mined swap has exactly one fill, under its hash.
        if *ok && t.client_id.is_some() {
            let n = fills
                .iter()
                .filter(|f| f.venue == AMM && f.trade_id.starts_with(&t.hash))
                .count();
            assert_eq!(n, 1, "fills of swap {}", t.hash);
        }
    }
    for t in &txs {
        if matches!(t.status, TxState::Dropped | TxState::Replaced) {
            let hash: B256 = t.hash.parse().unwrap();
            assert!(
                p.get_transaction_receipt(hash).await.unwrap().is_none(),
                "{t:?} is journaled {:?} but it is on chain",
                t.status
            );
        }
    }
    let swap_fills = fills.iter().filter(|f| f.venue == AMM).count();
    assert_eq!(
        swap_fills,
        txs.iter()
            .filter(|t| t.status == TxState::Mined && t.client_id.is_some())
            .count(),
        "one fill per mined swap"
    );
    Totals {
        orders: orders.len(),
        exchange_fills: our_trades.len(),
        swap_fills,
        txs: txs.len(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_during_trades_then_restart_keeps_journal_and_venues_in_agreement() {
    let seed: u64 = std::env::var("SLUICE_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let rounds: usize = std::env::var("SLUICE_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    println!("arb_crash: seed {seed} (SLUICE_CRASH_SEED={seed} replays it), {rounds} kills");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let env = LocalEnv::start_with(AnvilOptions {
        block_time: Some(1),
        ..AnvilOptions::default()
    })
    .await
    .unwrap();
    let p = env.anvil.provider();
    let mock = MockBinance::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    run_with_stdin(
        &home,
        &["wallet", "import", "--name", "dev", "--mnemonic-stdin"],
        &format!("{MNEMONIC}\n"),
    );
    run_with_stdin(
        &home,
        &["keys", "add", "--venue", "binance", "--stdin"],
        &format!("{}\n{}\n", mock.api_key(), mock.api_secret()),
    );
    let manifest = dir.path().join("manifest.json");
    std::fs::write(&manifest, serde_json::to_string(&env.manifest).unwrap()).unwrap();
    let trade_cfg = dir.path().join("trade.toml");
    std::fs::write(&trade_cfg, config(&mock, &env, &manifest, "0.3")).unwrap();
    let check_cfg = dir.path().join("reconcile.toml");
    std::fs::write(&check_cfg, config(&mock, &env, &manifest, "1000")).unwrap();
    let log = dir.path().join("arb.log");
    let journal = home.join("journal.sqlite");

    let account = dev_addresses()[ACCOUNT_INDEX];
    let first_nonce = p.get_transaction_count(account).await.unwrap();
    let mut scanned_from = p.get_block_number().await.unwrap() + 1;
    let mut chain = BTreeMap::new();
    let mut points: BTreeMap<String, usize> = BTreeMap::new();
    let mut totals = None;
    let mut races = 0;
    for round in 0..rounds {
        // Bids well above the pool (3000 and rising as we buy there): every round can trade.
        mock.seed_book("ETHUSDT", dec!(3400), 10, 100, dec!(0.15))
            .unwrap();
        // Half of the rounds answer order placement late (the order executes at once): a kill
        // then often finds an exchange order the venue has and the journal has only as an intent.
        let slow_ack = rng.gen_bool(0.5);
        mock.set_ack_delay(Duration::from_millis(if slow_ack { 1500 } else { 0 }));
        // The delay counts from the child's first evaluation (its books synced), not from its
        // spawn: on a loaded machine the start alone can take longer than any delay, and then no
        // kill would ever land during a trade.
        let delay = Duration::from_millis(rng.gen_range(0..3500));
        let mut child = spawn_arb(&home, &trade_cfg, &log, Stdio::piped());
        wait_first_evaluation(&mut child, &log).await;
        tokio::time::sleep(delay).await;
        let exited = child.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "round {round}: arb exited by itself: {exited:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        if round % 4 == 1 {
            // A race for the home: the second process is refused; the first is stopped with
            // Ctrl-C and follows its trade to the end.
            second_process_is_refused(&home, &check_cfg, &log, &child).await;
            let first_run = *Journal::open(&journal)
                .unwrap()
                .unfinished_runs()
                .unwrap()
                .last()
                .unwrap();
            signal(&child, libc::SIGINT);
            let status = wait_child(&mut child, Duration::from_secs(150)).await;
            assert!(
                status.success(),
                "round {round}: the first process did not complete: {status:?}\n{}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            let j = Journal::open(&journal).unwrap();
            let outcome = j.run_end(first_run).unwrap();
            assert_eq!(outcome.as_deref(), Some("stopped"), "round {round}");
            let net = canonical_positions(
                j.run_scope(first_run).unwrap().as_ref(),
                &j.run_positions(first_run).unwrap(),
            )
            .unwrap();
            assert!(
                net.iter().all(|p| p.net.is_zero()),
                "round {round}: the first's trade did not complete: {net:?}"
            );
            races += 1;
            println!("round {round}: a second process was refused; the first completed");
            scan_chain(&p, account, &mut scanned_from, &mut chain).await;
            totals = Some(check(&journal, &mock, &p, account, first_nonce, &chain).await);
            continue;
        }
        signal(&child, libc::SIGKILL);
        wait_child(&mut child, Duration::from_secs(10)).await;
        let point = kill_point(&journal);
        println!("round {round}: killed after {delay:?} (slow acks: {slow_ack}): {point}");
        *points.entry(point).or_default() += 1;

        // Sometimes the restart is killed too, while it reconciles: what it did must be safe to
        // do again.
        if rng.gen_bool(0.3) {
            let early = Duration::from_millis(rng.gen_range(100..1500));
            let mut again = spawn_arb(&home, &check_cfg, &log, Stdio::null());
            tokio::time::sleep(early).await;
            if again.try_wait().unwrap().is_none() {
                signal(&again, libc::SIGKILL);
            }
            wait_child(&mut again, Duration::from_secs(10)).await;
            println!("round {round}: the restart was killed too, after {early:?}");
        }
        restart_and_reconcile(&home, &check_cfg, &log).await;
        scan_chain(&p, account, &mut scanned_from, &mut chain).await;
        let t = check(&journal, &mock, &p, account, first_nonce, &chain).await;
        assert_interrupted_runs_flat(&journal);
        println!(
            "round {round}: agree: {} orders, {} exchange fills, {} swap fills, {} transactions",
            t.orders, t.exchange_fills, t.swap_fills, t.txs
        );
        totals = Some(t);
    }
    println!("kill points: {points:#?}");
    let runs = Journal::open(&journal).unwrap().history(None).unwrap().runs;
    let outcomes: Vec<String> = runs.iter().filter_map(|r| r.outcome.clone()).collect();
    println!(
        "runs: {}, interrupted: {}, of which left a one-legged trade: {}",
        runs.len(),
        outcomes
            .iter()
            .filter(|o| o.starts_with("interrupted"))
            .count(),
        outcomes.iter().filter(|o| o.contains("exposure")).count()
    );
    // Under the unwind policy each one-legged trade a kill left is acted on at the next start:
    // closed, or the corrective order's fate recorded (never just reported).
    for o in outcomes.iter().filter(|o| o.contains("exposure")) {
        println!("  {o}");
        assert!(
            o.contains("closed by unwind") || o.contains("corrective order"),
            "a one-legged trade left as it was: {o}"
        );
    }
    assert_interrupted_runs_flat(&journal);
    assert!(rounds < 2 || races > 0, "no race for the home was run");
    println!(
        "arb_crash: {rounds} rounds ({races} races for the home) in {:?}",
        started.elapsed()
    );
    let t = totals.unwrap();
    // The kills landed while trading, not only before the first trade.
    assert!(t.swap_fills > 0 && t.exchange_fills > 0 && t.txs > 0);
    assert!(
        points.keys().any(|k| k != "nothing in flight"),
        "no kill landed with something in flight: {points:?}"
    );
}
