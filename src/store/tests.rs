//! Journal tests: intents, state changes checked against the state machine, fills counted once,
//! transactions, reload after reopening, and the history report.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, OrderRequest, OrderState, OrderType, Side, TimeInForce,
};
use crate::core::{TxInfo, TxState};

fn order(id: &str, side: Side, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: "ETH-USDT".parse().unwrap(),
        side,
        order_type: OrderType::Limit,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Gtc,
        deadline: None,
    }
}

fn fill(
    venue: &str,
    trade: &str,
    id: &str,
    side: Side,
    amount: Decimal,
    price: Decimal,
    fee: Decimal,
) -> Fill {
    Fill {
        venue: venue.into(),
        trade_id: trade.into(),
        client_id: Some(ClientOrderId::new(id).unwrap()),
        venue_order_id: None,
        pair: "ETH-USDT".parse().unwrap(),
        side,
        price,
        amount,
        fee_asset: Asset::new("USDT").unwrap(),
        fee_amount: fee,
        is_maker: false,
        timestamp_ms: 1,
    }
}

#[test]
fn intent_then_states_then_fills() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    let o = order("o1", Side::Buy, dec!(2), dec!(100));
    j.record_intent(run, "binance", &o).unwrap();
    assert!(matches!(
        j.record_intent(run, "binance", &o),
        Err(StoreError::DuplicateOrder(_))
    ));
    let id = o.client_id.clone();
    assert_eq!(
        j.order(&id).unwrap().unwrap().state,
        OrderState::PendingSubmit
    );
    j.record_state(&id, OrderState::Open, Some("123"), None)
        .unwrap();
    j.record_state(&id, OrderState::Open, None, None).unwrap(); // repeated event: no-op
    assert!(matches!(
        j.record_state(&id, OrderState::PendingSubmit, None, None),
        Err(StoreError::IllegalTransition { .. })
    ));
    assert!(
        j.record_fill(
            run,
            &fill(
                "binance",
                "t1",
                "o1",
                Side::Buy,
                dec!(1),
                dec!(100),
                dec!(0.1)
            )
        )
        .unwrap()
    );
    assert!(
        !j.record_fill(
            run,
            &fill(
                "binance",
                "t1",
                "o1",
                Side::Buy,
                dec!(1),
                dec!(100),
                dec!(0.1)
            )
        )
        .unwrap()
    );
    let jo = j.order(&id).unwrap().unwrap();
    assert_eq!(
        (jo.state, jo.filled, jo.venue_order_id.as_deref()),
        (OrderState::PartiallyFilled, dec!(1), Some("123"))
    );
    // the same trade id reported for another order: a loud conflict, not a silently dropped fill
    let other = order("o9", Side::Buy, dec!(2), dec!(100));
    j.record_intent(run, "binance", &other).unwrap();
    let err = j
        .record_fill(
            run,
            &fill(
                "binance",
                "t1",
                "o9",
                Side::Buy,
                dec!(1),
                dec!(100),
                dec!(0.1),
            ),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::FillIdConflict { .. }), "{err}");
    assert!(err.to_string().contains("o1") && err.to_string().contains("o9"));
    assert_eq!(j.order(&other.client_id).unwrap().unwrap().filled, dec!(0));
    j.record_state(&other.client_id, OrderState::Failed, None, Some("test"))
        .unwrap();
    assert!(matches!(
        j.record_fill(
            run,
            &fill(
                "binance",
                "t2",
                "o1",
                Side::Buy,
                dec!(5),
                dec!(100),
                dec!(0)
            )
        ),
        Err(StoreError::Overfill { .. })
    ));
    // the refused fill left nothing behind
    assert_eq!(j.history(Some(run)).unwrap().runs[0].trades.len(), 1);
    assert!(
        j.record_fill(
            run,
            &fill(
                "binance",
                "t2",
                "o1",
                Side::Buy,
                dec!(1),
                dec!(101),
                dec!(0.1)
            )
        )
        .unwrap()
    );
    let jo = j.order(&id).unwrap().unwrap();
    assert_eq!(jo.state, OrderState::Filled);
    assert_eq!(jo.filled_quote, dec!(201));
    // a cancel confirmation racing the last fill is ignored
    j.record_state(&id, OrderState::Cancelled, None, None)
        .unwrap();
    assert_eq!(j.order(&id).unwrap().unwrap().state, OrderState::Filled);
    assert!(j.in_flight_orders().unwrap().is_empty());
    // the same trade id at another venue is another fill
    j.record_intent(run, "kraken", &order("o2", Side::Sell, dec!(1), dec!(100)))
        .unwrap();
    assert!(
        j.record_fill(
            run,
            &fill(
                "kraken",
                "t1",
                "o2",
                Side::Sell,
                dec!(1),
                dec!(110),
                dec!(0)
            )
        )
        .unwrap()
    );
}

#[test]
fn reopen_reloads_what_was_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/journal.sqlite");
    {
        let j = Journal::open(&path).unwrap();
        let run = j.start_run("arb", "cfg").unwrap();
        j.record_intent(run, "binance", &order("a", Side::Buy, dec!(1), dec!(100)))
            .unwrap();
        j.record_intent(
            run,
            "uniswap_v3@anvil",
            &order("b", Side::Sell, dec!(1), dec!(100)),
        )
        .unwrap();
        j.record_state(
            &ClientOrderId::new("b").unwrap(),
            OrderState::Failed,
            None,
            Some("reverted: STF"),
        )
        .unwrap();
        j.record_tx(
            run,
            &TxInfo {
                hash: "0xabc".into(),
                chain: "anvil".into(),
                from: "0x1".into(),
                nonce: 7,
                client_id: Some(ClientOrderId::new("b").unwrap()),
                status: TxState::Pending,
                gas_used: None,
                effective_gas_price: None,
                fee_native: None,
                native_asset: "ETH".into(),
                block: None,
            },
        )
        .unwrap();
        j.record_balance(
            run,
            "binance",
            &Balance::new(Asset::new("USDT").unwrap(), dec!(10), dec!(9)),
        )
        .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    let in_flight = j.in_flight_orders().unwrap();
    assert_eq!(in_flight.len(), 1);
    assert_eq!(in_flight[0].request.client_id.as_str(), "a");
    assert_eq!(in_flight[0].venue, "binance");
    assert_eq!(in_flight[0].request.price, Some(dec!(100)));
    let failed = j.order(&ClientOrderId::new("b").unwrap()).unwrap().unwrap();
    assert_eq!(failed.reason.as_deref(), Some("reverted: STF"));
    let pending = j.pending_transactions().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].nonce, 7);
    // the tx is confirmed: an upsert, not a second row
    let mut mined = pending[0].clone();
    mined.status = TxState::Reverted;
    mined.gas_used = Some(21000);
    mined.fee_native = Some(dec!(0.000021));
    j.record_tx(1, &mined).unwrap();
    assert!(j.pending_transactions().unwrap().is_empty());
    assert_eq!(j.transactions_of_run(1).unwrap().len(), 1);
}

#[test]
fn history_nets_trades_fees_and_gas_per_asset() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("arb", "").unwrap();
    j.record_intent(run, "binance", &order("buy", Side::Buy, dec!(1), dec!(100)))
        .unwrap();
    j.record_intent(run, "uni", &order("sell", Side::Sell, dec!(1), dec!(105)))
        .unwrap();
    j.record_fill(
        run,
        &fill(
            "binance",
            "1",
            "buy",
            Side::Buy,
            dec!(1),
            dec!(100),
            dec!(0.1),
        ),
    )
    .unwrap();
    j.record_fill(
        run,
        &fill(
            "uni",
            "0xh:3",
            "sell",
            Side::Sell,
            dec!(1),
            dec!(105),
            dec!(0.3),
        ),
    )
    .unwrap();
    j.record_tx(
        run,
        &TxInfo {
            hash: "0xh".into(),
            chain: "anvil".into(),
            from: "0x1".into(),
            nonce: 0,
            client_id: Some(ClientOrderId::new("sell").unwrap()),
            status: TxState::Mined,
            gas_used: Some(100_000),
            effective_gas_price: Some("1000000000".into()),
            fee_native: Some(dec!(0.0001)),
            native_asset: "ETH".into(),
            block: Some(5),
        },
    )
    .unwrap();
    // An approval costs gas with no fill.
    j.record_tx(
        run,
        &TxInfo {
            hash: "0xapprove".into(),
            chain: "anvil".into(),
            from: "0x1".into(),
            nonce: 1,
            client_id: None,
            status: TxState::Mined,
            gas_used: Some(46_000),
            effective_gas_price: Some("1000000000".into()),
            fee_native: Some(dec!(0.000046)),
            native_asset: "ETH".into(),
            block: Some(6),
        },
    )
    .unwrap();
    j.end_run(run, "done").unwrap();
    let r = &j.history(None).unwrap().runs[0];
    assert_eq!(r.trades.len(), 2);
    assert_eq!(r.orders, 2);
    let get = |v: &[AssetFlow], a: &str| v.iter().find(|f| f.asset == a).map(|f| f.net);
    assert_eq!(get(&r.pnl, "USDT"), Some(dec!(4.6)));
    assert_eq!(
        get(&r.pnl, "ETH"),
        Some(dec!(-0.000046)),
        "base nets to zero; the swap's gas is its fill's fee; the approval's gas remains"
    );
    assert_eq!(get(&r.fees, "USDT"), Some(dec!(0.4)));
    assert_eq!(get(&r.gas, "ETH"), Some(dec!(0.000146)));
    assert_eq!(r.outcome.as_deref(), Some("done"));
    assert!(j.history(Some(99)).unwrap().runs.is_empty());
}

fn tx(hash: &str, nonce: u64, client: Option<&str>, status: TxState) -> TxInfo {
    TxInfo {
        chain: "anvil".into(),
        hash: hash.into(),
        from: "0xabc".into(),
        nonce,
        client_id: client.map(|c| ClientOrderId::new(c).unwrap()),
        status,
        gas_used: (status != TxState::Pending).then_some(21_000),
        effective_gas_price: None,
        fee_native: (status != TxState::Pending).then_some(dec!(0.0001)),
        native_asset: "ETH".into(),
        block: (status != TxState::Pending).then_some(7),
    }
}

#[test]
fn a_record_made_before_the_broadcast_never_overwrites_the_outcome() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    j.record_tx(run, &tx("0x01", 3, Some("s1"), TxState::Pending))
        .unwrap();
    j.record_tx(run, &tx("0x01", 3, Some("s1"), TxState::Mined))
        .unwrap();
    // A late "pending" report of the same transaction changes nothing.
    j.record_tx(run, &tx("0x01", 3, Some("s1"), TxState::Pending))
        .unwrap();
    let all = j.all_transactions().unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, TxState::Mined);
    assert_eq!(all[0].gas_used, Some(21_000));
    // A report without the order keeps the order recorded first.
    j.record_tx(run, &tx("0x01", 3, None, TxState::Mined))
        .unwrap();
    assert_eq!(
        j.all_transactions().unwrap()[0]
            .client_id
            .as_ref()
            .map(|c| c.as_str()),
        Some("s1")
    );
}

/// A transaction found never sent (dropped) and later signed again byte for byte (same nonce,
/// same fields: the same hash) is pending again once its new record is made before the broadcast,
/// so that the next reconcile settles it instead of leaving "dropped" on a mined transaction.
#[test]
fn a_dropped_transaction_sent_again_is_pending_again() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    j.record_tx(run, &tx("0x01", 3, None, TxState::Pending))
        .unwrap();
    j.record_tx(run, &tx("0x01", 3, None, TxState::Dropped))
        .unwrap();
    j.record_tx(run, &tx("0x01", 3, None, TxState::Pending))
        .unwrap();
    assert_eq!(j.all_transactions().unwrap()[0].status, TxState::Pending);
    assert_eq!(j.pending_transactions().unwrap().len(), 1);
    j.record_tx(run, &tx("0x01", 3, None, TxState::Mined))
        .unwrap();
    assert_eq!(j.all_transactions().unwrap()[0].status, TxState::Mined);
}

#[test]
fn transactions_by_order_and_pending_by_account() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    j.record_tx(run, &tx("0x01", 1, None, TxState::Pending))
        .unwrap();
    j.record_tx(run, &tx("0x02", 2, Some("s1"), TxState::Pending))
        .unwrap();
    j.record_tx(run, &tx("0x03", 2, Some("s1"), TxState::Pending))
        .unwrap();
    j.record_tx(run, &tx("0x04", 3, Some("s2"), TxState::Mined))
        .unwrap();
    let of_s1: Vec<String> = j
        .transactions_of_order(&ClientOrderId::new("s1").unwrap())
        .unwrap()
        .into_iter()
        .map(|t| t.hash)
        .collect();
    assert_eq!(of_s1, ["0x02", "0x03"]);
    assert_eq!(
        j.pending_transactions_of("anvil", "0xabc").unwrap().len(),
        3
    );
    assert!(
        j.pending_transactions_of("anvil", "0xdef")
            .unwrap()
            .is_empty()
    );
    assert!(
        j.pending_transactions_of("other", "0xabc")
            .unwrap()
            .is_empty()
    );
}

#[test]
fn clones_share_the_journal_and_the_venue_view_writes_under_the_run() {
    use crate::venue::TxJournal;
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    let view = RunTxJournal::new(j.clone(), run);
    view.record_tx(&tx("0x05", 9, Some("s3"), TxState::Pending))
        .unwrap();
    assert_eq!(j.transactions_of_run(run).unwrap().len(), 1);
    assert_eq!(
        view.order_txs(&ClientOrderId::new("s3").unwrap())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(view.pending_txs("anvil", "0xabc").unwrap().len(), 1);
    // A run that does not exist is refused (and so the broadcast would be).
    let stray = RunTxJournal::new(j.clone(), run + 100);
    assert!(
        stray
            .record_tx(&tx("0x06", 10, None, TxState::Pending))
            .is_err()
    );
}

#[test]
fn all_fills_reads_back_what_was_recorded() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    j.record_intent(run, "binance", &order("o9", Side::Sell, dec!(1), dec!(100)))
        .unwrap();
    let f = fill(
        "binance",
        "77",
        "o9",
        Side::Sell,
        dec!(0.4),
        dec!(101),
        dec!(0.1),
    );
    assert!(j.record_fill(run, &f).unwrap());
    assert!(!j.record_fill(run, &f).unwrap());
    assert_eq!(j.all_fills().unwrap(), vec![f]);
    assert_eq!(j.all_orders().unwrap()[0].filled, dec!(0.4));
}

#[test]
fn fills_recorded_after_the_filled_state_still_count_once() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("test", "{}").unwrap();
    let o = order("o7", Side::Sell, dec!(1), dec!(100));
    let id = o.client_id.clone();
    j.record_intent(run, "binance", &o).unwrap();
    let f1 = fill(
        "binance",
        "ETH-USDT:1",
        "o7",
        Side::Sell,
        dec!(0.5),
        dec!(101),
        dec!(0),
    );
    let f2 = fill(
        "binance",
        "ETH-USDT:2",
        "o7",
        Side::Sell,
        dec!(0.5),
        dec!(100),
        dec!(0),
    );
    assert!(j.record_fill(run, &f1).unwrap());
    // The exchange's report says "filled" with its first fill; the second fill follows.
    j.record_state(&id, OrderState::Filled, Some("9"), None)
        .unwrap();
    assert!(j.record_fill(run, &f2).unwrap());
    assert!(!j.record_fill(run, &f2).unwrap());
    let got = j.order(&id).unwrap().unwrap();
    assert_eq!((got.state, got.filled), (OrderState::Filled, dec!(1)));
    assert_eq!(got.filled_quote, dec!(100.5));
    // Beyond the amount is still refused.
    let f3 = fill(
        "binance",
        "ETH-USDT:3",
        "o7",
        Side::Sell,
        dec!(0.1),
        dec!(100),
        dec!(0),
    );
    assert!(matches!(
        j.record_fill(run, &f3),
        Err(StoreError::Overfill { .. })
    ));
}

#[test]
fn unfinished_runs_and_fills_by_run() {
    let j = Journal::in_memory().unwrap();
    let a = j.start_run("a", "{}").unwrap();
    let b = j.start_run("b", "{}").unwrap();
    j.end_run(a, "stopped").unwrap();
    assert_eq!(j.unfinished_runs().unwrap(), vec![b]);
    j.record_intent(b, "binance", &order("o8", Side::Buy, dec!(1), dec!(100)))
        .unwrap();
    let f = fill(
        "binance",
        "ETH-USDT:8",
        "o8",
        Side::Buy,
        dec!(1),
        dec!(100),
        dec!(0),
    );
    j.record_fill(b, &f).unwrap();
    assert!(j.fills_of_run(a).unwrap().is_empty());
    assert_eq!(j.fills_of_run(b).unwrap(), vec![f]);
    j.end_run(b, "interrupted").unwrap();
    assert!(j.unfinished_runs().unwrap().is_empty());
}

#[test]
fn a_run_keeps_its_scope_and_an_old_run_has_none() {
    use crate::store::{RunAlias, RunKind, RunLeg, RunScope};
    let j = Journal::in_memory().unwrap();
    let scope = RunScope::new(
        RunKind::Arb,
        vec![
            RunLeg {
                venue: "binance".into(),
                pair: "ETH-USDT".parse().unwrap(),
            },
            RunLeg {
                venue: "uniswap_v3@anvil".into(),
                pair: "WETH-USDC".parse().unwrap(),
            },
        ],
        vec![RunAlias {
            asset: Asset::new("WETH").unwrap(),
            canonical: Asset::new("ETH").unwrap(),
            rate: Decimal::ONE,
        }],
    );
    let run = j.start_scoped_run("arb", "cfg", &scope).unwrap();
    assert_eq!(j.run_scope(run).unwrap().as_ref(), Some(&scope));
    assert!(scope.trades("binance", &"ETH-USDT".parse().unwrap()));
    assert!(!scope.trades("binance", &"BTC-USDT".parse().unwrap()));
    assert_eq!(
        scope.canonical(&Asset::new("WETH").unwrap()).0,
        Asset::new("ETH").unwrap()
    );
    let old = j.start_run("old", "").unwrap();
    assert_eq!(j.run_scope(old).unwrap(), None);
    assert!(matches!(
        j.run_scope(9999),
        Err(StoreError::UnknownRun(9999))
    ));
}

#[test]
fn a_journal_from_before_scopes_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.sqlite");
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_ms INTEGER NOT NULL,
               ended_ms INTEGER, label TEXT NOT NULL, config TEXT NOT NULL, outcome TEXT);
             INSERT INTO runs (started_ms, label, config) VALUES (1, 'old', '');",
        )
        .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.run_scope(1).unwrap(), None);
    assert_eq!(j.unfinished_runs().unwrap(), vec![1]);
}

#[test]
fn positions_are_per_venue_and_pair_and_merge_through_the_runs_aliases() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("r", "").unwrap();
    let mut f1 = fill(
        "binance",
        "t1",
        "a",
        Side::Buy,
        dec!(1),
        dec!(3000),
        dec!(0),
    );
    f1.client_id = None;
    let mut f2 = f1.clone();
    f2.trade_id = "t2".into();
    f2.pair = "BTC-USDT".parse().unwrap();
    f2.side = Side::Sell;
    let mut f3 = f1.clone();
    f3.venue = "uniswap_v3@anvil".into();
    f3.trade_id = "t3".into();
    f3.pair = "WETH-USDC".parse().unwrap();
    f3.side = Side::Sell;
    for f in [&f1, &f2, &f3] {
        j.record_fill(run, f).unwrap();
    }
    let pos = j.run_positions(run).unwrap();
    let base = |v: &str, p: &str| {
        pos.iter()
            .find(|l| l.venue == v && l.pair.to_string() == p)
            .map(|l| l.base)
    };
    // the BTC sell is not counted as ETH: each (venue, pair) apart
    assert_eq!(base("binance", "ETH-USDT"), Some(dec!(1)));
    assert_eq!(base("binance", "BTC-USDT"), Some(dec!(-1)));
    assert_eq!(base("uniswap_v3@anvil", "WETH-USDC"), Some(dec!(-1)));
    let scope = RunScope::new(
        RunKind::Arb,
        vec![],
        vec![RunAlias {
            asset: Asset::new("WETH").unwrap(),
            canonical: Asset::new("ETH").unwrap(),
            rate: Decimal::ONE,
        }],
    );
    let net = canonical_positions(Some(&scope), &pos).unwrap();
    let of = |a: &str| net.iter().find(|p| p.asset.as_str() == a).map(|p| p.net);
    assert_eq!(of("ETH"), Some(dec!(0)), "WETH counts as ETH for this run");
    assert_eq!(of("BTC"), Some(dec!(-1)));
    // without a scope nothing is merged
    let raw = canonical_positions(None, &pos).unwrap();
    assert_eq!(raw.len(), 3);
}

#[test]
fn a_fill_that_overflows_the_orders_totals_is_an_error_not_a_panic() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("r", "").unwrap();
    j.record_intent(
        run,
        "binance",
        &order("big", Side::Buy, Decimal::MAX, dec!(2)),
    )
    .unwrap();
    let f = fill(
        "binance",
        "t1",
        "big",
        Side::Buy,
        Decimal::MAX,
        dec!(2),
        dec!(0),
    );
    let r = j.record_fill(run, &f);
    assert!(matches!(r, Err(StoreError::Overflow(_))), "{r:?}");
    // nothing half-written
    assert!(j.all_fills().unwrap().is_empty());
}

#[test]
fn integers_out_of_the_columns_range_are_refused_not_saturated() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("r", "").unwrap();
    let mut o = order("late", Side::Buy, dec!(1), dec!(2));
    o.deadline = Some(u64::MAX);
    let r = j.record_intent(run, "binance", &o);
    assert!(
        matches!(
            r,
            Err(StoreError::OutOfRange {
                what: "deadline",
                ..
            })
        ),
        "{r:?}"
    );
    assert!(j.order(&o.client_id).unwrap().is_none());
}

#[cfg(unix)]
#[test]
fn the_journal_folder_is_0700_and_its_files_0600() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let path = home.join("journal.sqlite");
    let j = Journal::open(&path).unwrap();
    j.start_run("r", "").unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&home), 0o700);
    assert_eq!(mode(&path), 0o600);
    for companion in ["journal.sqlite-wal", "journal.sqlite-shm"] {
        let p = home.join(companion);
        assert!(p.exists(), "{companion}");
        assert_eq!(mode(&p), 0o600, "{companion}");
    }
    drop(j);
    // a journal left readable by an older version is narrowed when opened
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let _j = Journal::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
}
