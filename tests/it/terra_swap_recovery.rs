//! A restart in the middle of Terra swaps, on the local Terra: the venue records every signed
//! swap transaction in the journal before its broadcast, and a new venue (the restarted process,
//! same account, same journal) adopts the orders it does not track from those records and the
//! node — a swap in a block is `Filled` with the same fill, one never included is `Unknown` until
//! its sequence is used by another transaction, then `Failed` — and sends nothing again.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal_macros::dec;
use sluice::core::{OrderState, Pair, QuoteRequest, Side, TxState};
use sluice::store::{Journal, RunTxJournal};
use sluice::venue::Venue;
use sluice_sim::cosmos::{Flavor, LocalTerra};

use super::terra_swap_swaps::{final_order, order, trader_with};

async fn sell_price(v: &dyn Venue, pair: &Pair) -> rust_decimal::Decimal {
    let q = v
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(100),
        })
        .await
        .unwrap();
    q.average_price * dec!(0.99)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn swaps_sent_before_a_restart_are_adopted_from_the_journal_and_never_sent_again() {
    let t = LocalTerra::start(Flavor::Terra, 0).await.unwrap();
    let (home1, home2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let journal = Journal::in_memory().unwrap();
    let run1 = journal.start_run("before", "{}").unwrap();
    let first = trader_with(&t, home1.path(), 1, "").await;
    assert!(first.attach_tx_journal(Arc::new(RunTxJournal::new(journal.clone(), run1))));
    let pair: Pair = "LUNA-axlUSDC".parse().unwrap();

    // 1. A swap that is in a block when the process dies.
    let filled = order(
        &pair,
        Side::Sell,
        dec!(100),
        sell_price(first.as_ref(), &pair).await,
    );
    first.submit(filled.clone()).await.unwrap();
    let done = final_order(first.as_ref(), &filled).await;
    assert_eq!(done.state, OrderState::Filled, "{:?}", done.reason);
    let live_fills = first.order_fills(&filled).await.unwrap();
    let recorded = journal.transactions_of_order(&filled.client_id).unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(Some(&recorded[0].hash), done.venue_order_id.as_ref());
    assert_eq!(recorded[0].status, TxState::Mined);

    // 2. A swap whose transaction the node accepts and never includes.
    t.node.chain().faults.drop_txs = 1;
    let lost = order(
        &pair,
        Side::Sell,
        dec!(100),
        sell_price(first.as_ref(), &pair).await,
    );
    first.submit(lost.clone()).await.unwrap();
    let mut lost_hash = None;
    for _ in 0..200 {
        if let Some(r) = journal
            .transactions_of_order(&lost.client_id)
            .unwrap()
            .pop()
            && t.node.chain().times_broadcast(&r.hash) == 1
        {
            lost_hash = Some(r.hash);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let lost_hash = lost_hash.expect("the dropped swap was recorded, then broadcast");
    // the process dies here
    drop(first);

    // The restarted process: a new venue on the same account and journal.
    let run2 = journal.start_run("after", "{}").unwrap();
    let second = trader_with(&t, home2.path(), 1, "").await;
    assert!(second.attach_tx_journal(Arc::new(RunTxJournal::new(journal.clone(), run2))));
    let broadcasts = t.node.chain().broadcast_log.len();

    let adopted = second.order_status(&filled).await.unwrap();
    assert_eq!(adopted.state, OrderState::Filled, "{:?}", adopted.reason);
    assert_eq!(adopted.venue_order_id, done.venue_order_id);
    let fills = second.order_fills(&filled).await.unwrap();
    assert_eq!(fills.len(), 1);
    let (a, b) = (&fills[0], &live_fills[0]);
    assert_eq!(
        (&a.trade_id, a.amount, a.price, a.fee_amount),
        (&b.trade_id, b.amount, b.price, b.fee_amount),
        "the adopted fill is the live one"
    );

    let pending = second.order_status(&lost).await.unwrap();
    assert_eq!(pending.state, OrderState::Unknown, "{:?}", pending.reason);
    assert_eq!(pending.venue_order_id.as_deref(), Some(lost_hash.as_str()));
    assert_eq!(
        t.node.chain().broadcast_log.len(),
        broadcasts,
        "adoption sends nothing"
    );

    // Another swap uses the lost one's sequence: it can never be included any more.
    let next = order(
        &pair,
        Side::Sell,
        dec!(100),
        sell_price(second.as_ref(), &pair).await,
    );
    second.submit(next.clone()).await.unwrap();
    let next_done = final_order(second.as_ref(), &next).await;
    assert_eq!(
        next_done.state,
        OrderState::Filled,
        "{:?}",
        next_done.reason
    );
    let gone = second.order_status(&lost).await.unwrap();
    assert_eq!(gone.state, OrderState::Failed, "{:?}", gone.reason);
    assert!(second.order_fills(&lost).await.unwrap().is_empty());
    assert_eq!(
        t.node.chain().times_broadcast(&lost_hash),
        1,
        "never resent"
    );
    let lost_rec = journal.transactions_of_order(&lost.client_id).unwrap();
    assert_eq!(lost_rec[0].status, TxState::Replaced);
    assert_eq!(second.reconcile_transactions().await.unwrap(), 0);

    // An order no transaction was recorded for was never sent.
    let never = order(&pair, Side::Sell, dec!(1), dec!(0.1));
    assert!(second.order_status(&never).await.is_err());
}
