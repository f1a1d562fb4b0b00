//! Recovery scoped to its own runs: other pairs, other configs, runs without a scope, demo and
//! manual runs, bounded corrections, reconcile timeouts, journaled legs and aliases, `recover`.

use super::*;

#[tokio::test]
async fn an_interrupted_run_on_another_pair_is_not_corrected_and_blocks_trading_until_settled() {
    // a gap that trades at once: only the refusal keeps the start from trading
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_elsewhere(&a, "binance", "BTC-USDT", "uniswap_v3@anvil").await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    for needle in [
        format!("run {killed}"),
        "arb on binance BTC-USDT".to_string(),
        "binance BTC-USDT +1".to_string(),
        format!("sluice history --run {killed}"),
        format!("sluice recover --run {killed} --close|--abandon"),
    ] {
        assert!(detail.contains(&needle), "{needle:?} not in {detail}");
    }
    assert_eq!(
        (sent(&a), sent(&b)),
        (0, 0),
        "nothing corrected, nothing traded"
    );
    let j = Journal::open(&t.journal_path).unwrap();
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
    // the user settles it: abandoned, its exposure recorded as theirs; then the start trades
    let outcome = abandon_run(&j, killed).unwrap();
    assert!(outcome.contains("binance BTC-USDT +1"), "{outcome}");
    assert!(matches!(
        abandon_run(&j, killed),
        Err(crate::store::StoreError::RunEnded { .. })
    ));
    let again = run_arb(config(""), a.clone(), b.clone(), Some(t.dir)).await;
    assert_eq!(again.summary.trades, 1);
}

#[tokio::test]
async fn a_killed_run_is_not_corrected_by_a_restart_with_a_different_config() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    // killed between the legs while trading binance ETH-USDT against another AMM deployment
    let (dir, killed) = killed_elsewhere(&a, "binance", "ETH-USDT", "uniswap_v3@ethereum").await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("uniswap_v3@ethereum"), "{detail}");
    assert_eq!((sent(&a), sent(&b)), (0, 0));
}

#[tokio::test]
async fn a_run_without_a_scope_blocks_unless_it_is_provably_flat() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg_in(&a, None).await;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("no recorded scope"), "{detail}");
    assert_eq!(
        (sent(&a), sent(&b)),
        (1, 0),
        "only the killed run's own leg"
    );
}

#[tokio::test]
async fn a_demo_run_is_neither_corrected_nor_blocking() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, demo) = killed_after_the_first_leg_in(&a, Some(our_scope(RunKind::Demo))).await;
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    // its own trade only: no corrective order for the simulated run
    assert_eq!(run.summary.trades, 1);
    assert!(
        a.st()
            .submitted
            .iter()
            .all(|o| !o.client_id.as_str().starts_with("slx"))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert!(j.unfinished_runs().unwrap().contains(&demo), "left alone");
}

#[tokio::test]
async fn a_manual_order_killed_before_its_answer_is_adopted_and_never_corrected() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let dir = tempfile::tempdir().unwrap();
    let order = OrderRequest {
        client_id: ClientOrderId::new("manual-1").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(2005)),
        time_in_force: crate::core::TimeInForce::Gtc,
        deadline: None,
    };
    let manual = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let scope = RunScope::new(
            RunKind::Manual,
            vec![RunLeg {
                venue: "binance".into(),
                pair: "ETH-USDT".parse().unwrap(),
            }],
            vec![],
        );
        let run = j.start_scoped_run("order place", "", &scope).unwrap();
        // the intent was journaled, the order reached the venue and filled, the process died
        j.record_intent(run, "binance", &order).unwrap();
        a.submit(order.clone()).await.unwrap();
        run
    };
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    let j = Journal::open(&run.journal_path).unwrap();
    let adopted = j.order(&order.client_id).unwrap().unwrap();
    assert_eq!(
        (adopted.state, adopted.filled),
        (OrderState::Filled, dec!(1))
    );
    assert_eq!(net_base(&run.journal_path, manual), dec!(1));
    assert_eq!(sent(&a), 1, "the user's position is never corrected");
    assert!(outcome_of(&run.journal_path, manual).contains("manual"));
}

#[tokio::test]
async fn a_corrective_order_whose_bound_cannot_fill_leaves_the_run_open_and_stops() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    a.st().expire_limits = true;
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |_| {}).await;
    let (runs, detail) = unresolved(&t);
    assert_eq!(runs, vec![killed]);
    assert!(detail.contains("exposure of 1 is left"), "{detail}");
    let fix = a.st().submitted[1].clone();
    assert_eq!(
        (fix.order_type, fix.time_in_force, fix.price),
        (
            OrderType::Limit,
            crate::core::TimeInForce::Ioc,
            Some(dec!(1995.01))
        )
    );
    assert_eq!((sent(&a), sent(&b)), (2, 0), "nothing else sent");
    assert_eq!(net_base(&t.journal_path, killed), dec!(1));
    let j = Journal::open(&t.journal_path).unwrap();
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
}

#[tokio::test]
async fn a_live_correction_that_cannot_fill_within_its_bound_stops_the_run() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    a.st().expire_limits = true;
    let cfg = config("").clone_with(|c| {
        c.on_leg_failure = FailurePolicy::Hedge;
        c.max_failures = 5;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(a.st().submitted[1].order_type, OrderType::Limit);
    assert!(
        matches!(run.summary.outcome, RunOutcome::PolicyStop(ref d) if d.contains("remains after the corrective order")),
        "{:?}",
        run.summary.outcome
    );
}

#[tokio::test]
async fn a_reconcile_that_times_out_refuses_to_trade() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let dir = tempfile::tempdir().unwrap();
    let resting = OrderRequest {
        client_id: ClientOrderId::new("resting").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(1000)),
        time_in_force: crate::core::TimeInForce::Gtc,
        deadline: None,
    };
    let run = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let run = j
            .start_scoped_run("killed", "", &our_scope(RunKind::Arb))
            .unwrap();
        j.record_intent(run, "binance", &resting).unwrap();
        run
    };
    // the venue holds it open, and keeps it so
    let mut o = crate::core::Order::new(resting.clone());
    o.transition(OrderState::Open).unwrap();
    a.st().orders.insert(resting.client_id.clone(), o);
    let t = attempt(config(""), a.clone(), b.clone(), Some(dir), |r| {
        r.set_reconcile_timeout(std::time::Duration::from_millis(300));
        r.set_poll_interval(std::time::Duration::from_millis(50));
    })
    .await;
    match &t.result {
        Err(e @ ArbError::InFlight { orders: 1, .. }) => {
            assert!(e.to_string().contains(&format!("run {run}")), "{e}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((sent(&a), sent(&b)), (0, 0));
}

#[tokio::test]
async fn every_run_journals_its_legs_and_aliases() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let run = run_arb(config(""), a, b, None).await;
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.run_scope(run.summary.run_id).unwrap(),
        Some(our_scope(RunKind::Arb))
    );
}

#[tokio::test]
async fn a_killed_runs_exposure_counts_through_its_own_aliases_not_the_new_configs() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    // a complete trade (bought 1 ETH, sold 1 WETH) journaled with WETH = 1 ETH, then killed
    // before the run ended
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let sell = OrderRequest {
            client_id: ClientOrderId::new("killed-amm-leg").unwrap(),
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::Swap,
            amount: dec!(1),
            price: Some(dec!(1900)),
            time_in_force: crate::core::TimeInForce::Gtc,
            deadline: None,
        };
        j.record_intent(killed, "uniswap_v3@anvil", &sell).unwrap();
        b.submit(sell.clone()).await.unwrap();
        for f in b.order_fills(&sell).await.unwrap() {
            j.record_fill(killed, &f).unwrap();
        }
    }
    // the new config says a WETH is worth 2 ETH: by it, the trade would look 1 ETH short
    // and it does not trade (by it a WETH bought at 2000 would be worth 3998): only the killed
    // run's recovery is under test, not a new trade's legs racing the end of the attempt
    let cfg = config("").clone_with(|c| {
        c.assets[0].rate = Decimal::TWO;
        c.min_profit_pct = dec!(1000);
    });
    let t = attempt(cfg, a.clone(), b.clone(), Some(dir), |_| {}).await;
    assert_eq!(outcome_of(&t.journal_path, killed), "interrupted");
    let all: Vec<OrderRequest> = a
        .st()
        .submitted
        .iter()
        .chain(b.st().submitted.iter())
        .cloned()
        .collect();
    assert!(
        all.iter().all(|o| !o.client_id.as_str().starts_with("slx")),
        "no correction: {all:?}"
    );
}

#[tokio::test]
async fn a_demo_runner_closes_its_own_interrupted_demo_runs_and_ignores_real_ones() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, demo) = killed_after_the_first_leg_in(&a, Some(our_scope(RunKind::Demo))).await;
    let real = {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        j.start_scoped_run("arb", "", &our_scope(RunKind::Arb))
            .unwrap()
    };
    let journal = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
    let runner = ArbRunner::new_of_kind(
        venues,
        Evaluator::new(config("")),
        journal.clone(),
        "demo",
        "cfg",
        RunKind::Demo,
        tx,
    )
    .await
    .unwrap();
    let own = runner.run_id();
    assert_eq!(journal.run_scope(own).unwrap().unwrap().kind, RunKind::Demo);
    let (_stop_tx, stop_rx) = watch::channel(true);
    runner.run(stop_rx).await.unwrap();
    assert!(outcome_of(&dir.path().join("journal.sqlite"), demo).contains("closed by unwind"));
    assert_eq!(
        journal.unfinished_runs().unwrap(),
        vec![real],
        "the real run is not its business"
    );
}

#[tokio::test]
async fn recover_close_flattens_a_run_with_a_bounded_order_and_refuses_a_run_it_cannot_reach() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let path = dir.path().join("journal.sqlite");
    let runner = |journal: Journal| {
        let (tx, _rx) = mpsc::unbounded_channel();
        let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
        ArbRunner::new(
            venues,
            Evaluator::new(config("")),
            journal,
            "recover",
            "",
            tx,
        )
    };
    let outcome = runner(Journal::open(&path).unwrap())
        .await
        .unwrap()
        .close_run(killed)
        .await
        .unwrap();
    assert!(outcome.starts_with("closed by the user: net base exposure 1 closed by unwind"));
    let fix = a.st().submitted[1].clone();
    assert_eq!(
        (fix.side, fix.order_type, fix.price),
        (Side::Sell, OrderType::Limit, Some(dec!(1995.01)))
    );
    assert_eq!(net_base(&path, killed), dec!(0));
    let j = Journal::open(&path).unwrap();
    assert!(j.unfinished_runs().unwrap().is_empty(), "both runs ended");
    // a run on BTC-USDT cannot be closed through an ETH-USDT configuration
    let (dir2, foreign) = killed_elsewhere(&a, "binance", "BTC-USDT", "uniswap_v3@anvil").await;
    let r = runner(Journal::open(&dir2.path().join("journal.sqlite")).unwrap())
        .await
        .unwrap()
        .close_run(foreign)
        .await;
    assert!(
        matches!(&r, Err(ArbError::CannotRecover { run, problem }) if *run == foreign && problem.contains("BTC-USDT")),
        "{r:?}"
    );
    // (`killed_elsewhere` clears the record of what was sent before)
    assert_eq!(sent(&a), 0, "nothing sent for it");
}
