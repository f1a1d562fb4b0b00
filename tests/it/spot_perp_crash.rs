//! Crash safety of the spot–perpetual strategy run by the real binary (`sluice arb` on a
//! `strategy = "spot_perp"` config, issue #16): a simulated Binance spot exchange and a simulated
//! Binance USDⓈ-M futures exchange, the perpetual's book moved between a wide basis (3,060 against
//! a 3,000 spot: the strategy opens) and none (it closes) every 700 ms, and `sluice arb` killed
//! with SIGKILL at a random moment (seeded, printed) while it trades. After each kill a new
//! `sluice arb` starts on a config that never opens, resumes what the dead one held (same run,
//! orders adopted by client id), and is stopped with Ctrl-C once it evaluates; sometimes that
//! restart is itself killed while it recovers. Then the journal and both venues must agree:
//!
//! - every order either simulator holds for our keys is in the journal in the same final state
//!   with the same executed amount; a journal order neither knows failed without a fill;
//! - the journal's fills are exactly the simulators' trades of our accounts, each once;
//! - the position each venue holds equals the one the journal's fills add up to (spot ETH net of
//!   ETH fees; the perpetual's net size), and neither leg is ever past `max_position` or on the
//!   wrong side: a close sent twice would leave the perpetual long or spot short.
//!
//! `SLUICE_CRASH_SEED` replays a run; `SLUICE_CRASH_ROUNDS` changes the number of kills.

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::core::{OrderState, Side};
use sluice::store::Journal;
use sluice_sim::exchange::engine::order::OrderStatus;
use sluice_sim::spot_perp_env::SpotPerpEnv;

use crate::arb_crash::{run_with_stdin, signal, spawn_arb, wait_child, wait_for_event};

const SPOT: &str = "binance";
const PERP: &str = "binance_perpetual";

fn config(env: &SpotPerpEnv, open_threshold_pct: &str) -> String {
    format!(
        r#"strategy = "spot_perp"
order_size = "0.5"
open_threshold_pct = "{open_threshold_pct}"
close_threshold_pct = "0.3"
max_position = "0.5"
on_leg_failure = "unwind"
max_failures = 1000

[spot]
venue = "{SPOT}"
pair = "ETH-USDT"
slippage_pct = "0.5"

[perp]
venue = "{PERP}"
pair = "ETH-USDT"
slippage_pct = "0.5"

[connect.{SPOT}]
rest_url = "{spot_rest}"
ws_url = "{spot_ws}"
ws_api_url = "{spot_ws_api}"

[connect.{PERP}]
rest_url = "{perp_rest}"
ws_url = "{perp_ws}"
"#,
        spot_rest = env.spot.rest_url(),
        spot_ws = env.spot.ws_url(),
        spot_ws_api = env.spot.ws_api_url(),
        perp_rest = env.perp.rest_url(),
        perp_ws = env.perp.ws_url(),
    )
}

/// Starts `sluice arb` on the never-opening config, waits until it has recovered (its first
/// `basis` event), then stops it with Ctrl-C; it must not open anything.
async fn restart_and_recover(home: &Path, config: &Path, log: &Path) {
    let mut child = spawn_arb(home, config, log, Stdio::piped());
    let stdout = child.stdout.take().unwrap();
    let reader = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let Ok(line) = line else { break };
            let basis = line.contains(r#""event":"basis""#);
            seen.push(line);
            if basis {
                std::thread::spawn(move || for _ in lines {});
                return (true, seen);
            }
        }
        (false, seen)
    });
    let (evaluated, seen) = tokio::time::timeout(Duration::from_secs(150), reader)
        .await
        .expect("the restarted run did not recover in 150 s")
        .unwrap();
    assert!(
        evaluated,
        "the restarted run ended before evaluating: {seen:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
    assert!(
        !seen.iter().any(|l| l.contains(r#""event":"opened""#)),
        "the recovering run opened a position: {seen:?}"
    );
    signal(&child, libc::SIGINT);
    let status = wait_child(&mut child, Duration::from_secs(60)).await;
    assert!(
        status.success(),
        "the restarted run did not stop cleanly: {status:?}\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// What the dead process left in flight, from its journal.
fn kill_point(journal: &Path) -> String {
    let j = Journal::open(journal).unwrap();
    let parts: Vec<String> = j
        .in_flight_orders()
        .unwrap()
        .iter()
        .map(|o| format!("{} order {}", o.venue, o.state))
        .collect();
    if parts.is_empty() {
        "nothing in flight".into()
    } else {
        parts.join(" + ")
    }
}

/// A simulator's order of ours: client id, final state, executed amount.
type VenueOrder = (String, OrderState, Decimal);

fn state_of(status: OrderStatus) -> Option<OrderState> {
    match status {
        OrderStatus::Filled => Some(OrderState::Filled),
        OrderStatus::Canceled | OrderStatus::Expired => Some(OrderState::Cancelled),
        OrderStatus::New | OrderStatus::PartiallyFilled => None,
    }
}

/// Both simulators' orders and trade ids of our accounts, by venue.
fn venue_records(env: &SpotPerpEnv) -> HashMap<&'static str, (Vec<VenueOrder>, Vec<String>)> {
    let trade_id = |id: u64| format!("ETH-USDT:{id}");
    let spot_orders = env
        .spot
        .orders_of(env.spot.account())
        .into_iter()
        .map(|m| {
            let state = match m.status.as_str() {
                "FILLED" => OrderState::Filled,
                "CANCELED" | "EXPIRED" | "EXPIRED_IN_MATCH" => OrderState::Cancelled,
                other => panic!("the spot simulator still has {m:?} as {other}"),
            };
            (m.client_order_id.clone(), state, m.executed_qty)
        })
        .collect();
    let spot_trades = env
        .spot
        .trades_of(env.spot.account())
        .iter()
        .map(|t| trade_id(t.trade_id))
        .collect();
    let mm = env.perp.market_maker();
    let ex = env.perp.exchange();
    let perp_orders = ex
        .orders
        .values()
        .filter(|o| o.account != mm)
        .map(|o| {
            let state = state_of(o.status)
                .unwrap_or_else(|| panic!("the futures simulator still has {o:?} open"));
            (o.client_order_id.clone(), state, o.executed_qty)
        })
        .collect();
    let mut perp_trades = Vec::new();
    for t in ex.trades.values().flatten() {
        for (_, account) in [t.buyer, t.seller] {
            if account != mm {
                perp_trades.push(trade_id(t.id));
            }
        }
    }
    HashMap::from([
        (SPOT, (spot_orders, spot_trades)),
        (PERP, (perp_orders, perp_trades)),
    ])
}

/// The invariants between the journal and both simulators; returns (orders, fills).
fn check(journal: &Path, env: &SpotPerpEnv, eth0: Decimal) -> (usize, usize) {
    let j = Journal::open(journal).unwrap();
    let orders = j.all_orders().unwrap();
    let fills = j.all_fills().unwrap();
    for o in &orders {
        assert!(
            o.state.is_terminal(),
            "order {} at {} left {} after recovery: {o:?}",
            o.request.client_id,
            o.venue,
            o.state
        );
        let filled: Decimal = fills
            .iter()
            .filter(|f| f.client_id.as_ref() == Some(&o.request.client_id))
            .map(|f| f.amount)
            .sum();
        assert_eq!(filled, o.filled, "{}: fills vs filled", o.request.client_id);
    }
    for (venue, (venue_orders, venue_trades)) in venue_records(env) {
        for (client_id, state, executed) in &venue_orders {
            let o = orders
                .iter()
                .find(|o| o.venue == venue && o.request.client_id.as_str() == client_id)
                .unwrap_or_else(|| panic!("{venue} has order {client_id}, the journal does not"));
            assert_eq!((o.state, o.filled), (*state, *executed), "{venue}: {o:?}");
        }
        for o in orders.iter().filter(|o| o.venue == venue) {
            if !venue_orders
                .iter()
                .any(|(id, ..)| id == o.request.client_id.as_str())
            {
                assert_eq!(o.state, OrderState::Failed, "unknown to {venue}: {o:?}");
                assert!(o.filled.is_zero(), "{o:?}");
            }
        }
        let mut ours: Vec<&str> = fills
            .iter()
            .filter(|f| f.venue == venue)
            .map(|f| f.trade_id.as_str())
            .collect();
        let mut theirs: Vec<&str> = venue_trades.iter().map(String::as_str).collect();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(
            ours, theirs,
            "{venue}: journal fills vs the simulator's trades"
        );
    }
    // the positions the fills add up to are the venues' own
    let signed = |venue: &str| -> Decimal {
        fills
            .iter()
            .filter(|f| f.venue == venue)
            .map(|f| match f.side {
                Side::Buy => f.amount,
                Side::Sell => -f.amount,
            })
            .sum()
    };
    let eth_fees: Decimal = fills
        .iter()
        .filter(|f| f.venue == SPOT && f.fee_asset.as_str() == "ETH")
        .map(|f| f.fee_amount)
        .sum();
    let spot_eth = env.spot_holding("ETH").unwrap() - eth0;
    assert_eq!(
        signed(SPOT) - eth_fees,
        spot_eth,
        "spot ETH: journal vs venue"
    );
    let perp = env.perp_position();
    assert_eq!(signed(PERP), perp, "perpetual position: journal vs venue");
    // forward carry only, at most max_position: a second close would cross zero
    assert!(
        perp <= Decimal::ZERO && perp >= dec!(-0.5),
        "perpetual position {perp}"
    );
    assert!(
        signed(SPOT) >= Decimal::ZERO && signed(SPOT) <= dec!(0.5),
        "spot position {}",
        signed(SPOT)
    );
    (orders.len(), fills.len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_while_carrying_then_restart_keeps_journal_and_both_venues_in_agreement() {
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
        .unwrap_or(8);
    println!("spot_perp_crash: seed {seed} (SLUICE_CRASH_SEED={seed} replays it), {rounds} kills");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let env = Arc::new(SpotPerpEnv::start(dec!(3000), dec!(3060)).await.unwrap());
    let eth0 = env.spot_holding("ETH").unwrap();
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    for (venue, key, secret) in [
        (SPOT, env.spot.api_key(), env.spot.api_secret()),
        (PERP, env.perp.api_key(), env.perp.api_secret()),
    ] {
        run_with_stdin(
            &home,
            &["keys", "add", "--venue", venue, "--stdin"],
            &format!("{key}\n{secret}\n"),
        );
    }
    let trade_cfg = dir.path().join("trade.toml");
    std::fs::write(&trade_cfg, config(&env, "0.5")).unwrap();
    let recover_cfg = dir.path().join("recover.toml");
    std::fs::write(&recover_cfg, config(&env, "1000")).unwrap();
    let log = dir.path().join("arb.log");
    let journal = home.join("journal.sqlite");

    // the basis opens and closes all the time: kills land in opens, closes and unwinds
    let flipper = {
        let env = env.clone();
        tokio::spawn(async move {
            for i in 0u64.. {
                tokio::time::sleep(Duration::from_millis(700)).await;
                let mid = if i % 2 == 0 { dec!(3000) } else { dec!(3060) };
                env.move_perp(mid).unwrap();
            }
        })
    };

    let mut points: HashMap<String, usize> = HashMap::new();
    let mut totals = (0, 0);
    for round in 0..rounds {
        // Every other round the spot exchange answers order placement late (the order executes
        // at once) and the kill comes within a second of an order being sent: it lands between a
        // spot order's execution and its acknowledgement. The other rounds kill at any moment.
        let slow_ack = round % 2 == 1;
        env.spot
            .set_ack_delay(Duration::from_millis(if slow_ack { 1500 } else { 0 }));
        let mut child = spawn_arb(&home, &trade_cfg, &log, Stdio::piped());
        let delay = if slow_ack {
            wait_for_event(&mut child, &log, "order_sent").await;
            Duration::from_millis(rng.gen_range(0..1000))
        } else {
            wait_for_event(&mut child, &log, "basis").await;
            Duration::from_millis(rng.gen_range(0..3000))
        };
        tokio::time::sleep(delay).await;
        let exited = child.try_wait().unwrap();
        assert!(
            exited.is_none(),
            "round {round}: the run exited by itself: {exited:?}\n{}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        signal(&child, libc::SIGKILL);
        wait_child(&mut child, Duration::from_secs(10)).await;
        let point = kill_point(&journal);
        println!("round {round}: killed after {delay:?} (slow acks: {slow_ack}): {point}");
        *points.entry(point).or_default() += 1;
        if rng.gen_bool(0.3) {
            let early = Duration::from_millis(rng.gen_range(100..1500));
            let mut again = spawn_arb(&home, &recover_cfg, &log, Stdio::null());
            tokio::time::sleep(early).await;
            if again.try_wait().unwrap().is_none() {
                signal(&again, libc::SIGKILL);
            }
            wait_child(&mut again, Duration::from_secs(10)).await;
            println!("round {round}: the restart was killed too, after {early:?}");
        }
        restart_and_recover(&home, &recover_cfg, &log).await;
        totals = check(&journal, &env, eth0);
        println!(
            "round {round}: agree: {} orders, {} fills, perpetual position {}",
            totals.0,
            totals.1,
            env.perp_position()
        );
    }
    flipper.abort();
    println!("kill points: {points:#?}");
    println!(
        "spot_perp_crash: {rounds} rounds in {:?}",
        started.elapsed()
    );
    // the kills landed while trading, not only before the first trade
    assert!(totals.1 > 0, "no fill in {rounds} rounds");
    assert!(
        rounds < 4 || points.keys().any(|k| k != "nothing in flight"),
        "no kill landed with something in flight: {points:?}"
    );
}
