//! A restart after a killed run: what was in flight is reconciled, a one-legged trade is unwound or
//! hedged once, and the stop policy reports the exposure instead of trading.

use super::*;

#[tokio::test]
async fn restart_reconciles_what_was_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2000)));
    // A previous run journaled two intents and died: one reached the venue and filled, one never left.
    let filled_id = ClientOrderId::new("prev-filled").unwrap();
    let lost_id = ClientOrderId::new("prev-lost").unwrap();
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let run = j
            .start_scoped_run("crashed", "", &our_scope(RunKind::Arb))
            .unwrap();
        let mk = |id: &ClientOrderId| OrderRequest {
            client_id: id.clone(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(1),
            price: Some(dec!(2010)),
            time_in_force: crate::core::TimeInForce::Ioc,
            deadline: None,
        };
        j.record_intent(run, "binance", &mk(&filled_id)).unwrap();
        j.record_intent(run, "binance", &mk(&lost_id)).unwrap();
        a.submit(mk(&filled_id)).await.unwrap();
    }
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::Reconciled { orders: 2 }))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.order(&filled_id).unwrap().unwrap().state,
        OrderState::Filled
    );
    assert_eq!(j.order(&filled_id).unwrap().unwrap().filled, dec!(1));
    assert_eq!(
        j.order(&lost_id).unwrap().unwrap().state,
        OrderState::Failed
    );
    assert!(j.in_flight_orders().unwrap().is_empty());
    let report = j.history(Some(1)).unwrap();
    let trades = &report.runs[0].trades;
    assert_eq!(
        trades.iter().filter(|t| t.side == "buy").count(),
        1,
        "the fill made while down is journaled once"
    );
    // it left the killed run long 1 ETH: unwound (under the `unwind` policy) in that run
    assert_eq!(trades.len(), 2, "{trades:?}");
    assert!(
        report.runs[0]
            .outcome
            .as_deref()
            .is_some_and(|o| o.starts_with("interrupted: net base exposure 1 closed by unwind")),
        "{:?}",
        report.runs[0].outcome
    );
}

#[tokio::test]
async fn a_killed_runs_one_legged_trade_is_unwound_once() {
    // no gap: the restarts trade nothing of their own
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let first = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    // unwound where it came from: a market sell of 1 ETH on the exchange, nothing on the AMM
    let submitted = a.st().submitted.clone();
    assert_eq!(submitted.len(), 2);
    let fix = &submitted[1];
    // bounded: an IOC limit at the executable bid (1999) less the leg's 0.2 % slippage
    assert_eq!(
        (fix.side, fix.order_type, fix.amount, fix.time_in_force),
        (
            Side::Sell,
            OrderType::Limit,
            dec!(1),
            crate::core::TimeInForce::Ioc
        )
    );
    assert_eq!(fix.price, Some(dec!(1995.01)));
    assert_eq!(sent(&b), 0);
    assert_eq!(net_base(&first.journal_path, killed), dec!(0));
    assert_eq!(
        outcome_of(&first.journal_path, killed),
        format!(
            "interrupted: net base exposure 1 closed by unwind ({})",
            fix.client_id
        )
    );
    assert!(first.events.iter().any(
        |e| matches!(e, ArbEvent::LegFailed { detail, .. } if detail.contains("unwind with sell 1 on binance"))
    ));
    assert_eq!(first.summary.trades + first.summary.failures, 0);
    // the correction is the killed run's, not the restart's
    assert!(pnl(&first, "ETH").is_zero() && pnl(&first, "USDT").is_zero());
    // another restart has nothing left to correct
    let path = first.journal_path.clone();
    let again = run_arb(config(""), a.clone(), b.clone(), Some(first._dir)).await;
    assert_eq!(sent(&a), 2);
    assert_eq!(again.journal_path, path);
}

#[tokio::test]
async fn a_killed_runs_one_legged_trade_is_hedged_on_the_other_venue() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let cfg = config("")
        .clone_with(|c| c.on_leg_failure = crate::strategy::arb::config::FailurePolicy::Hedge);
    let run = run_arb(cfg, a.clone(), b.clone(), Some(dir)).await;
    assert_eq!(sent(&a), 1, "nothing more on the exchange");
    let submitted = b.st().submitted.clone();
    assert_eq!(submitted.len(), 1);
    assert_eq!(
        (
            submitted[0].side,
            submitted[0].order_type,
            submitted[0].amount
        ),
        (Side::Sell, OrderType::Swap, dec!(1))
    );
    assert!(outcome_of(&run.journal_path, killed).contains("closed by hedge"));
    assert_eq!(net_base(&run.journal_path, killed), dec!(0));
}

#[tokio::test]
async fn under_the_stop_policy_a_killed_runs_exposure_is_reported_and_nothing_trades() {
    // a gap that would trade: the refusal, not the market, keeps it from trading
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    let cfg = config("")
        .clone_with(|c| c.on_leg_failure = crate::strategy::arb::config::FailurePolicy::Stop);
    let t = attempt(cfg, a.clone(), b.clone(), Some(dir), |_| {}).await;
    let Err(ArbError::Unresolved { runs, detail }) = &t.result else {
        panic!("{:?}", t.result);
    };
    assert_eq!(runs, &vec![killed]);
    assert!(detail.contains("exposure of 1"), "{detail}");
    assert!(
        detail.contains(&format!("sluice recover --run {killed}")),
        "{detail}"
    );
    assert_eq!((sent(&a), sent(&b)), (1, 0), "nothing traded or corrected");
    let j = Journal::open(&t.journal_path).unwrap();
    // the killed run stays open for `sluice recover`; the refused start ended its own run
    assert_eq!(j.unfinished_runs().unwrap(), vec![killed]);
}

#[tokio::test]
async fn a_restart_killed_during_the_correction_does_not_correct_twice() {
    let (a, b) = (cex(dec!(1999), dec!(2001)), amm(dec!(2000)));
    let (dir, killed) = killed_after_the_first_leg(&a).await;
    // the first restart journaled and sent the corrective sell, then was killed before it saw
    // the fill: the order is in the journal under the killed run, still pending
    let fix = OrderRequest {
        client_id: ClientOrderId::new("slx-fix").unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side: Side::Sell,
        order_type: OrderType::Limit,
        amount: dec!(1),
        price: Some(dec!(1995.01)),
        time_in_force: crate::core::TimeInForce::Ioc,
        deadline: None,
    };
    {
        let j = Journal::open(&dir.path().join("journal.sqlite")).unwrap();
        let restart = j.start_run("killed restart", "").unwrap();
        assert_ne!(restart, killed);
        j.record_intent(killed, "binance", &fix).unwrap();
        a.submit(fix.clone()).await.unwrap();
    }
    let run = run_arb(config(""), a.clone(), b.clone(), Some(dir)).await;
    assert_eq!((sent(&a), sent(&b)), (2, 0), "no second correction");
    assert_eq!(net_base(&run.journal_path, killed), dec!(0));
    assert_eq!(outcome_of(&run.journal_path, killed), "interrupted");
    let j = Journal::open(&run.journal_path).unwrap();
    assert_eq!(
        j.order(&fix.client_id).unwrap().unwrap().state,
        OrderState::Filled
    );
}
