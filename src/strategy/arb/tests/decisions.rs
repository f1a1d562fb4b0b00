//! The decisions and the execution of one run: the order shape each venue declares, trade / hold /
//! skip, both execution modes, failure policies and the failure limit, trading until the gap closes.

use super::*;

#[tokio::test]
async fn profitable_buy_on_exchange_sell_on_amm() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let before = [
        a.balance("USDT"),
        a.balance("ETH"),
        b.balance("USDC"),
        b.balance("WETH"),
        b.balance("ETH"),
    ];
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1, "{:?}", run.events);
    assert_eq!(run.summary.outcome, RunOutcome::MaxTrades);
    assert_eq!((sent(&a), sent(&b)), (1, 1));
    assert_eq!(a.st().submitted[0].side, Side::Buy);
    assert_eq!(b.st().submitted[0].order_type, OrderType::Swap);
    // The journal's PnL equals the balance change, asset by asset (aliases are separate assets here).
    assert_eq!(pnl(&run, "USDT"), a.balance("USDT") - before[0]);
    assert_eq!(
        pnl(&run, "ETH"),
        a.balance("ETH") - before[1] + b.balance("ETH") - before[4]
    );
    assert_eq!(pnl(&run, "USDC"), b.balance("USDC") - before[2]);
    assert_eq!(pnl(&run, "WETH"), b.balance("WETH") - before[3]);
    assert!(
        pnl(&run, "USDC") + pnl(&run, "USDT") > dec!(50),
        "the gap was earned"
    );
}

#[tokio::test]
async fn profitable_buy_on_amm_sell_on_exchange() {
    let (a, b) = (cex(dec!(2100), dec!(2101)), amm(dec!(2000)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1);
    assert_eq!(a.st().submitted[0].side, Side::Sell);
    assert_eq!(b.st().submitted[0].side, Side::Buy);
    assert!(pnl(&run, "USDT") > Decimal::ZERO);
}

#[tokio::test]
async fn unprofitable_sends_nothing() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2000)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    assert_eq!(run.summary.trades, 0);
    assert!(
        run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::Edges { edges } if edges.len() == 2))
    );
    let j = Journal::open(&run.journal_path).unwrap();
    assert!(j.orders_of_run(run.summary.run_id).unwrap().is_empty());
}

#[tokio::test]
async fn fees_and_gas_turn_a_marginal_gap_unprofitable() {
    // 0.6 % gross gap: above the 0.5 % threshold before costs, below it after 0.1 % + 0.3 % fees and gas.
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2014)));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    let edge = run
        .events
        .iter()
        .find_map(|e| match e {
            ArbEvent::Edges { edges } => edges
                .iter()
                .find(|x| x.direction == Direction::BuyASellB)
                .cloned(),
            _ => None,
        })
        .unwrap();
    assert!(
        edge.profit_pct < dec!(0.5) && edge.gas > Decimal::ZERO,
        "{edge:?}"
    );
}

#[tokio::test]
async fn insufficient_balance_is_skipped_with_the_reason() {
    let a = SimVenue::new(
        "binance",
        VenueKind::Cex,
        "ETH-USDT",
        Pricing::Book {
            bid: dec!(1999),
            ask: dec!(2000),
        },
        dec!(0.001),
        &[("USDT", dec!(100))],
    );
    let b = amm(dec!(2100));
    let run = run_arb(config(""), a.clone(), b.clone(), None).await;
    assert_eq!((sent(&a), sent(&b)), (0, 0));
    let reason = run
        .events
        .iter()
        .find_map(|e| match e {
            ArbEvent::Skipped { reason } => Some(reason.clone()),
            _ => None,
        })
        .unwrap();
    assert!(reason.contains("insufficient USDT at binance"), "{reason}");
}

#[tokio::test]
async fn amm_first_revert_sends_no_exchange_order() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let cfg = config("").clone_with(|c| {
        c.execution = ExecutionMode::AmmFirst;
        c.max_failures = 1;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(sent(&b), 1, "the AMM leg went first");
    assert_eq!(sent(&a), 0, "no exchange order after the revert");
    assert_eq!(run.summary.failures, 1);
    let j = Journal::open(&run.journal_path).unwrap();
    let orders = j.orders_of_run(run.summary.run_id).unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(orders[0].state, OrderState::Failed);
    assert!(
        orders[0]
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("Too little received")
    );
}

#[tokio::test]
async fn amm_first_success_sends_the_exchange_leg_after() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| c.execution = ExecutionMode::AmmFirst);
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 1);
    let sent_events: Vec<String> = run
        .events
        .iter()
        .filter_map(|e| match e {
            ArbEvent::OrderSent { venue, .. } => Some(venue.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(sent_events, ["uniswap_v3@anvil", "binance"]);
}

#[tokio::test]
async fn concurrent_amm_revert_unwinds_the_exchange_leg() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let eth_before = a.balance("ETH");
    let run = run_arb(
        config("").clone_with(|c| c.max_failures = 1),
        a.clone(),
        b.clone(),
        None,
    )
    .await;
    assert_eq!(sent(&a), 2, "the buy, then the unwinding sell");
    let unwind = a.st().submitted[1].clone();
    // bounded: an IOC limit at the bid (1999) less the leg's 0.2 % slippage, on the tick grid
    assert_eq!(
        (unwind.side, unwind.order_type, unwind.time_in_force),
        (Side::Sell, OrderType::Limit, crate::core::TimeInForce::Ioc)
    );
    assert_eq!(unwind.price, Some(dec!(1995.01)));
    assert_eq!(a.balance("ETH"), eth_before, "no exposure left");
    assert_eq!(run.summary.failures, 1);
}

#[tokio::test]
async fn concurrent_legs_both_failing_is_a_failure_not_a_trade() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    b.st().revert_next = true;
    let run = run_arb(
        config("").clone_with(|c| c.max_failures = 1),
        a.clone(),
        b.clone(),
        None,
    )
    .await;
    // Nothing executed: no exposure to correct, and no trade either.
    assert_eq!((sent(&a), sent(&b)), (1, 1));
    assert_eq!((run.summary.trades, run.summary.failures), (0, 1));
    assert!(
        !run.events
            .iter()
            .any(|e| matches!(e, ArbEvent::TradeDone { .. }))
    );
    assert!(
        matches!(run.summary.outcome, RunOutcome::TooManyFailures(ref d) if d.contains("no leg executed")),
        "{:?}",
        run.summary.outcome
    );
}

#[tokio::test]
async fn exchange_rejection_is_hedged_on_the_exchange_by_policy() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    a.st().reject_next = Some("Account has insufficient balance for requested action.".into());
    let cfg = config("").clone_with(|c| {
        c.on_leg_failure = FailurePolicy::Hedge;
        c.max_failures = 1;
    });
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    // The AMM sold 1 WETH; the hedge buys 1 ETH on the exchange, bounded: the ask (2000) plus
    // the leg's 0.2 % slippage.
    assert_eq!(sent(&a), 2);
    assert_eq!(a.st().submitted[1].order_type, OrderType::Limit);
    assert_eq!(a.st().submitted[1].price, Some(dec!(2004)));
    assert_eq!(a.st().submitted[1].side, Side::Buy);
    assert_eq!(run.summary.failures, 1);
    let j = Journal::open(&run.journal_path).unwrap();
    let rejected = j
        .orders_of_run(run.summary.run_id)
        .unwrap()
        .into_iter()
        .find(|o| o.venue == "binance")
        .unwrap();
    assert_eq!(rejected.state, OrderState::Failed);
    assert!(rejected.reason.unwrap().contains("-2010"));
}

#[tokio::test]
async fn stop_policy_stops_with_the_exposure_recorded() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    b.st().revert_next = true;
    let cfg = config("").clone_with(|c| c.on_leg_failure = FailurePolicy::Stop);
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert!(
        matches!(run.summary.outcome, RunOutcome::PolicyStop(ref d) if d.contains("exposure 1")),
        "{:?}",
        run.summary.outcome
    );
    assert_eq!(sent(&a), 1);
}

#[tokio::test]
async fn too_many_failures_stop_with_a_clear_message() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| {
        c.execution = ExecutionMode::AmmFirst;
        c.max_trades = None;
        c.max_failures = 2;
    });
    // Every swap reverts; the runner retries after each failure until the limit.
    b.st().revert_all = true;
    let dir = tempfile::tempdir().unwrap();
    let journal = Journal::open(&dir.path().join("j.sqlite")).unwrap();
    let (tx, _rx) = mpsc::unbounded_channel();
    let venues: [Arc<dyn Venue>; 2] = [a.clone(), b.clone()];
    let runner = ArbRunner::new(venues, Evaluator::new(cfg), journal, "t", "", tx)
        .await
        .unwrap();
    let (_stop_tx, stop_rx) = watch::channel(false);
    let summary = tokio::time::timeout(std::time::Duration::from_secs(20), runner.run(stop_rx))
        .await
        .unwrap()
        .unwrap();
    match summary.outcome {
        RunOutcome::TooManyFailures(msg) => {
            assert!(msg.contains("2 failed trades (limit 2)"), "{msg}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(sent(&a), 0);
}

#[tokio::test]
async fn trades_until_the_gap_is_closed() {
    let a = cex(dec!(1999), dec!(2000));
    let b = SimVenue::new(
        "uniswap_v3@anvil",
        VenueKind::Amm,
        "WETH-USDC",
        Pricing::Pool {
            base: dec!(1000),
            quote: dec!(2100000),
        },
        dec!(0.003),
        &[("WETH", dec!(100)), ("USDC", dec!(50000)), ("ETH", dec!(1))],
    );
    let cfg = config("").clone_with(|c| c.max_trades = Some(100));
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert!(run.summary.trades >= 2, "{}", run.summary.trades);
    assert!(run.summary.trades < 100, "stopped when the edge was gone");
    // The pool price moved toward the exchange's.
    let q = b
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1),
        })
        .await
        .unwrap();
    assert!(q.average_price < dec!(2030), "{}", q.average_price);
}

#[tokio::test]
async fn trades_until_a_balance_runs_out() {
    let (a, b) = (cex(dec!(1999), dec!(2000)), amm(dec!(2100)));
    let cfg = config("").clone_with(|c| c.max_trades = Some(100));
    let run = run_arb(cfg, a.clone(), b.clone(), None).await;
    assert_eq!(run.summary.trades, 10, "the AMM wallet holds 10 WETH");
    let last_skip = run.events.iter().rev().find_map(|e| match e {
        ArbEvent::Skipped { reason } => Some(reason.clone()),
        _ => None,
    });
    assert!(
        last_skip
            .unwrap_or_default()
            .contains("insufficient WETH at uniswap_v3@anvil")
    );
}
