//! Perp v1 orders after a crash or restart, on anvil under xDai's chain id: a new process (a new
//! venue with its own nonce manager over the same journal) adopts the `openPosition` an earlier
//! one sent and mined, with the fill it had live (decoded from `PositionChanged`, same trade id,
//! amount, price and gas) and sends nothing; a `closePosition` still in the node's pool when the
//! first process died is adopted as open, then filled once it is mined (its fill counted once);
//! an order with no recorded transaction was never sent.

use std::sync::Arc;
use std::time::Duration;

use crate::perp_support::{
    IPerpErc20, TestResult, e18, order, send, start_xdai, submit_and_wait, trading,
};
use alloy::primitives::{B256, U256};
use alloy::providers::Provider;
use rust_decimal_macros::dec;
use sluice::core::{OrderState, Pair, QuoteRequest, Side, TxState};
use sluice::store::{Journal, RunTxJournal};
use sluice::venue::{Venue, VenueError};
use sluice_sim::anvil::dev_addresses;

fn journal() -> TestResult<(Journal, Arc<RunTxJournal>)> {
    let j = Journal::in_memory()?;
    let run = j.start_run("perp-adoption", "")?;
    Ok((j.clone(), Arc::new(RunTxJournal::new(j, run))))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perp_orders_sent_before_a_restart_are_adopted_not_resent() -> TestResult<()> {
    let e = start_xdai().await?;
    let trader = dev_addresses()[6];
    let p = e.env.anvil.provider();
    let (j, tj) = journal()?;
    let pair: Pair = "ETH-USDC".parse()?;
    // The ClearingHouse may take the trader's USDC (so no order waits on an approval while the
    // node does not mine).
    send(
        &p,
        trader,
        e.usdc,
        &IPerpErc20::approveCall {
            spender: e.clearing_house,
            value: U256::MAX,
        },
    )
    .await?;

    // The first process opens a 0.5 ETH long at 4x; nobody journals its outcome (as after a
    // crash): the records made before each broadcast are all there is.
    let first = trading(&e, 6, e18(4)).await?;
    assert!(first.attach_tx_journal(tj.clone()));
    first.start(std::slice::from_ref(&pair)).await?;
    let q = first
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.5),
        })
        .await?;
    let open = order(
        "ETH-USDC",
        Side::Buy,
        dec!(0.5),
        q.average_price * dec!(1.01),
    )?;
    let live = submit_and_wait(first.as_ref(), &open).await?;
    assert_eq!(live.state, OrderState::Filled, "{live:?}");
    let live_fills = first.order_fills(&open).await?;
    assert_eq!(live_fills.len(), 1);
    let recs = j.transactions_of_order(&open.client_id)?;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].status, TxState::Pending);
    first.close().await;
    drop(first);

    // The second process finds it filled, with the live fill, and sends nothing.
    let nonce_before = p.get_transaction_count(trader).await?;
    let second = trading(&e, 6, e18(4)).await?;
    assert!(second.attach_tx_journal(tj.clone()));
    let o = second.order_status(&open).await?;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.venue_order_id, live.venue_order_id);
    assert_eq!((o.filled, o.filled_quote), (live.filled, live.filled_quote));
    let fills = second.order_fills(&open).await?;
    assert_eq!(fills.len(), 1);
    let (a, b) = (&fills[0], &live_fills[0]);
    assert_eq!(
        (&a.trade_id, a.amount, a.price, a.fee_amount, &a.fee_asset),
        (&b.trade_id, b.amount, b.price, b.fee_amount, &b.fee_asset)
    );
    let tx = &j.transactions_of_order(&open.client_id)?[0];
    assert_eq!(tx.status, TxState::Mined);
    assert_eq!(tx.fee_native, Some(b.fee_amount));
    assert_eq!(second.reconcile_transactions().await?, 0);
    assert_eq!(p.get_transaction_count(trader).await?, nonce_before);
    let positions = second.positions(None).await?;
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].size, dec!(0.5), "opened once");

    // The second process closes the long, and dies with the close in the node's pool.
    second.start(std::slice::from_ref(&pair)).await?;
    let q = second
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Sell,
            base_amount: dec!(0.5),
        })
        .await?;
    let close = order(
        "ETH-USDC",
        Side::Sell,
        dec!(0.5),
        q.average_price * dec!(0.99),
    )?;
    p.raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (false,))
        .await?;
    second.submit(close.clone()).await?;
    let mut hash = None;
    for _ in 0..400 {
        if let Some(r) = j.transactions_of_order(&close.client_id)?.pop() {
            let h: B256 = r.hash.parse()?;
            if p.get_transaction_by_hash(h).await?.is_some() {
                hash = Some(r.hash);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let hash = hash.ok_or("the close never reached the node's pool")?;
    second.close().await;
    drop(second);

    let third = trading(&e, 6, e18(4)).await?;
    assert!(third.attach_tx_journal(tj.clone()));
    let o = third.order_status(&close).await?;
    assert_eq!(o.state, OrderState::Open, "{o:?}");
    assert_eq!(o.venue_order_id.as_deref(), Some(hash.as_str()));
    assert!(third.order_fills(&close).await?.is_empty());
    assert_eq!(third.reconcile_transactions().await?, 1);

    p.raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await?;
    p.raw_request::<_, serde_json::Value>("evm_setAutomine".into(), (true,))
        .await?;
    let o = third.order_status(&close).await?;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(0.5));
    for _ in 0..2 {
        let fills = third.order_fills(&close).await?;
        assert_eq!(fills.len(), 1, "counted once");
        assert_eq!(fills[0].amount, dec!(0.5));
        assert_eq!(fills[0].side, Side::Sell);
    }
    assert_eq!(third.reconcile_transactions().await?, 0);
    assert!(third.positions(None).await?.is_empty(), "closed once");

    // An order with no recorded transaction never left its process.
    let never = order("ETH-USDC", Side::Buy, dec!(0.5), dec!(4000))?;
    assert!(matches!(
        third.order_status(&never).await,
        Err(VenueError::UnknownOrder(_))
    ));
    Ok(())
}
