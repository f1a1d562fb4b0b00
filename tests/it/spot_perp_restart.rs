//! The spot–perpetual strategy across restarts against the simulators: a run stopped while it
//! holds a position stays open and the next start resumes it (same run, the position read from
//! the journal's fills) and closes it once; a process that died after sending a close but before
//! journaling its fills has that close adopted by client id on restart, and is never closed twice.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::core::{OrderRequest, OrderType, PerpOrder, PositionSide, Side, TimeInForce};
use sluice::store::Journal;
use sluice::strategy::spot_perp::{Carry, Holding, SpotPerpEvent};
use sluice_sim::spot_perp_env::SpotPerpEnv;
use tokio::sync::watch;

use crate::spot_perp_e2e::{finished, pair, runner, venues, wait_event};

/// Opens the forward carry on a 2 % basis, then stops the runner (the position stays held).
async fn open_then_stop(
    env: &SpotPerpEnv,
    venues: &[std::sync::Arc<dyn sluice::Venue>; 2],
    journal: &Journal,
) -> i64 {
    let (runner, mut rx) = runner(venues, journal).await;
    let run = runner.run_id();
    let (stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(runner.run(stop_rx));
    wait_event(&mut rx, "an open", |e| {
        matches!(e, SpotPerpEvent::Opened { .. })
    })
    .await;
    stop_tx.send(true).unwrap();
    let summary = handle.await.unwrap().unwrap();
    assert_eq!(
        summary.holding,
        Holding::Open {
            carry: Carry::Forward,
            size: dec!(0.5)
        }
    );
    // holding a position: the run is not ended
    assert_eq!(journal.run_end(run).unwrap(), None);
    assert_eq!(env.perp_position(), dec!(-0.5));
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_position_is_resumed_and_closed_once() {
    let env = SpotPerpEnv::start(dec!(3000), dec!(3060)).await.unwrap();
    let venues = venues(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let run = open_then_stop(&env, &venues, &journal).await;

    // a new process (a new journal handle on the same file) resumes the same run
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (runner, mut rx) = runner(&venues, &journal).await;
    assert_eq!(runner.run_id(), run);
    assert!(matches!(runner.holding(), Holding::Open { size, .. } if size == dec!(0.5)));
    let (_stop_tx, stop_rx) = watch::channel(false);
    let handle = tokio::spawn(runner.run(stop_rx));
    env.move_perp(dec!(3000)).unwrap();
    wait_event(&mut rx, "a close", |e| {
        matches!(e, SpotPerpEvent::Closed { .. })
    })
    .await;
    let summary = finished(handle).await;
    assert_eq!((summary.opens, summary.closes), (0, 1));
    assert_eq!(env.perp_position(), Decimal::ZERO);
    let orders = journal.orders_of_run(run).unwrap();
    assert_eq!(orders.len(), 4, "two to open, two to close: {orders:#?}");
    assert!(journal.run_end(run).unwrap().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_sent_before_a_crash_is_adopted_not_sent_again() {
    let env = SpotPerpEnv::start(dec!(3000), dec!(3060)).await.unwrap();
    let venues = venues(&env).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    let journal = Journal::open(&path).unwrap();
    let run = open_then_stop(&env, &venues, &journal).await;

    // what a process killed mid-close leaves: both intents journaled, both orders at the
    // venues (and filled), none of their fills or final states journaled
    let market = |i: usize, side| OrderRequest {
        client_id: venues[i].new_client_id().unwrap(),
        pair: pair(),
        side,
        order_type: OrderType::Market,
        amount: dec!(0.5),
        price: None,
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    };
    let (spot, perp) = (market(0, Side::Sell), market(1, Side::Buy));
    journal.record_intent(run, "binance", &spot).unwrap();
    journal
        .record_intent(run, "binance_perpetual", &perp)
        .unwrap();
    venues[0].submit(spot.clone()).await.unwrap();
    venues[1]
        .submit_perp(PerpOrder {
            order: perp.clone(),
            position_side: PositionSide::Net,
            reduce_only: true,
        })
        .await
        .unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while env.perp_position() != Decimal::ZERO {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the close did not fill"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(journal);

    let journal = Journal::open(&path).unwrap();
    let (runner, _rx) = runner(&venues, &journal).await;
    assert_eq!(runner.run_id(), run);
    // the close was adopted from the venues: flat, nothing more to close
    assert_eq!(runner.holding(), Holding::Flat);
    let (_stop_tx, stop_rx) = watch::channel(true);
    let summary = runner.run(stop_rx).await.unwrap();
    assert_eq!((summary.opens, summary.closes, summary.failures), (0, 0, 0));
    assert_eq!(env.perp_position(), Decimal::ZERO);
    let orders = journal.orders_of_run(run).unwrap();
    assert_eq!(orders.len(), 4, "{orders:#?}");
    assert!(
        orders
            .iter()
            .all(|o| o.state.is_terminal() && o.filled == o.request.amount)
    );
    assert_eq!(journal.fills_of_run(run).unwrap().len(), 4);
    assert!(journal.run_end(run).unwrap().is_some());
}
