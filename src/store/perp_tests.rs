//! Positions and funding in the journal: a position change recorded once per change, funding once
//! per payment id (a conflicting repeat refused), both read back per run, and a journal written
//! before these tables gains them when opened.

use rust_decimal_macros::dec;

use super::*;
use crate::core::{Asset, FundingPayment, Position, PositionSide};

fn position(size: rust_decimal::Decimal, entry: rust_decimal::Decimal) -> Position {
    Position {
        pair: "ETH-USDT".parse().unwrap(),
        size,
        entry_notional: size.abs() * entry,
        entry_price: Some(entry),
        mark_notional: None,
        margin: dec!(0),
        margin_asset: Asset::new("USDT").unwrap(),
        unrealized_pnl: dec!(0),
        margin_ratio: None,
        liquidation_price: None,
        funding_paid: None,
        position_side: PositionSide::Net,
        mark_price: Some(dec!(3000)),
        leverage: None,
        margin_mode: None,
    }
}

fn payment(id: &str, amount: rust_decimal::Decimal) -> FundingPayment {
    FundingPayment {
        pair: "ETH-USDT".parse().unwrap(),
        amount,
        asset: Asset::new("USDT").unwrap(),
        time_ms: 1_000,
        id: id.into(),
        position_side: PositionSide::Net,
    }
}

#[test]
fn a_position_is_recorded_once_per_change() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("sp", "").unwrap();
    // never held: no row
    assert!(
        !j.record_position(run, "bp", &position(dec!(0), dec!(3000)))
            .unwrap()
    );
    assert!(
        j.record_position(run, "bp", &position(dec!(-1), dec!(3030)))
            .unwrap()
    );
    assert!(
        !j.record_position(run, "bp", &position(dec!(-1.0), dec!(3030.00)))
            .unwrap()
    );
    assert!(
        j.record_position(run, "bp", &position(dec!(-2), dec!(3025)))
            .unwrap()
    );
    assert!(
        j.record_position(run, "bp", &position(dec!(0), dec!(3025)))
            .unwrap()
    );
    let rows = j.positions_of_run(run).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].size, rows[0].entry_price),
        (dec!(0), Some(dec!(3025)))
    );
    assert_eq!(rows[0].position_side, "net");
}

#[test]
fn funding_counts_once_per_payment_id() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("sp", "").unwrap();
    assert!(
        j.record_funding(run, "bp", &payment("f1", dec!(0.3)))
            .unwrap()
    );
    assert!(
        !j.record_funding(run, "bp", &payment("f1", dec!(0.30)))
            .unwrap()
    );
    assert!(
        j.record_funding(run, "bp", &payment("f2", dec!(-0.1)))
            .unwrap()
    );
    // the same id at another venue is another payment
    assert!(
        j.record_funding(run, "other", &payment("f1", dec!(1)))
            .unwrap()
    );
    let e = j
        .record_funding(run, "bp", &payment("f1", dec!(0.4)))
        .unwrap_err();
    assert!(e.to_string().contains("f1"), "{e}");
    assert_eq!(j.funding_of_run(run).unwrap().len(), 3);
    let totals = j.funding_totals(run).unwrap();
    assert_eq!(totals.len(), 1);
    assert_eq!(
        (totals[0].asset.as_str(), totals[0].net),
        ("USDT", dec!(1.2))
    );
    let e = j
        .record_funding(
            run,
            "bp",
            &FundingPayment {
                time_ms: u64::MAX,
                ..payment("f9", dec!(1))
            },
        )
        .unwrap_err();
    assert!(matches!(e, StoreError::OutOfRange { .. }), "{e}");
}

#[test]
fn a_journal_from_before_the_tables_gains_them_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.sqlite");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, started_ms INTEGER NOT NULL,
             ended_ms INTEGER, label TEXT NOT NULL, config TEXT NOT NULL, outcome TEXT);
             INSERT INTO runs (started_ms, label, config) VALUES (1, 'old', '');",
        )
        .unwrap();
    }
    let j = Journal::open(&path).unwrap();
    assert!(
        j.record_funding(1, "bp", &payment("f1", dec!(0.3)))
            .unwrap()
    );
    assert!(
        j.record_position(1, "bp", &position(dec!(1), dec!(1)))
            .unwrap()
    );
    drop(j);
    let j = Journal::open(&path).unwrap();
    assert_eq!(j.funding_of_run(1).unwrap().len(), 1);
    assert_eq!(j.positions_of_run(1).unwrap().len(), 1);
}

#[test]
fn history_lists_positions_and_counts_funding_in_the_pnl() {
    let j = Journal::in_memory().unwrap();
    let run = j.start_run("sp", "").unwrap();
    j.record_position(run, "bp", &position(dec!(-1), dec!(3030)))
        .unwrap();
    j.record_funding(run, "bp", &payment("f1", dec!(0.3)))
        .unwrap();
    j.record_funding(run, "bp", &payment("f2", dec!(-0.1)))
        .unwrap();
    let r = j.history(Some(run)).unwrap().runs.pop().unwrap();
    assert_eq!(r.positions.len(), 1);
    assert_eq!(r.positions[0].size, dec!(-1));
    assert_eq!(r.funding.len(), 2);
    assert_eq!(r.pnl.len(), 1);
    assert_eq!((r.pnl[0].asset.as_str(), r.pnl[0].net), ("USDT", dec!(0.2)));
}
