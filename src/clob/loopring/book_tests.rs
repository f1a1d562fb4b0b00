use rust_decimal_macros::dec;

use super::*;

fn book() -> LoopringBook {
    // LRC-USDT: prices to 4 decimals, sizes to 0.01 LRC, LRC has 18 decimals.
    LoopringBook::new(
        Grid::new(dec!(0.0001)).unwrap(),
        Grid::new(dec!(0.01)).unwrap(),
        18,
    )
}

fn pair() -> Pair {
    "LRC-USDT".parse().unwrap()
}

const SNAPSHOT: &[u8] = br#"{"version":100,"timestamp":1,"market":"LRC-USDT",
    "bids":[["0.2500","1000000000000000000000","250000000","3"]],
    "asks":[["0.2510","500000000000000000000","125500000","1"]]}"#;

fn update(start: u64, end: u64, bids: &str, asks: &str) -> Vec<u8> {
    format!(
        r#"{{"topic":{{"topic":"orderbook","market":"LRC-USDT","level":0}},"ts":1,
        "startVersion":{start},"endVersion":"{end}","data":{{"bids":[{bids}],"asks":[{asks}]}}}}"#
    )
    .into_bytes()
}

type Top = Option<(Decimal, Decimal)>;

fn best(b: &LoopringBook) -> (Top, Top) {
    let ob = b.order_book();
    let d = |l: Level| (ob.price(l.ticks), ob.size(l.lots));
    (ob.best_bid().map(d), ob.best_ask().map(d))
}

#[test]
fn buffered_updates_are_applied_over_the_snapshot_in_version_order() {
    let mut b = book();
    let p = pair();
    // Before the snapshot: buffered.
    let stale = update(95, 100, r#"["0.2400","1000000000000000000","0","1"]"#, "");
    assert_eq!(b.on_message(&p, &stale), Next::Snapshot);
    let straddles = update(99, 101, r#"["0.2500","0","0","0"]"#, "");
    assert_eq!(b.on_message(&p, &straddles), Next::Snapshot);
    assert_eq!(b.on_snapshot(SNAPSHOT), SnapshotStep::Synced { id: 101 });
    // The stale update was not applied; the straddling one removed the 0.25 bid.
    assert_eq!(best(&b), (None, Some((dec!(0.251), dec!(500)))));
    let next = update(
        102,
        103,
        r#"["0.2490","1234560000000000000000","0","1"]"#,
        r#"["0.2510","0","0","0"],["0.2520","10000000000000000","0","1"]"#,
    );
    assert_eq!(b.on_message(&p, &next), Next::Changed);
    assert_eq!(
        best(&b),
        (
            Some((dec!(0.249), dec!(1234.56))),
            Some((dec!(0.252), dec!(0.01)))
        )
    );
    assert_eq!(b.last_update_id(), Some(103));
    // Already seen: nothing.
    assert_eq!(b.on_message(&p, &update(102, 103, "", "")), Next::Nothing);
    // A subscription answer: nothing.
    assert_eq!(
        b.on_message(&p, br#"{"op":"sub","sequence":1,"result":{"status":"OK"}}"#),
        Next::Nothing
    );
}

#[test]
fn a_gap_resyncs_and_a_snapshot_older_than_the_buffer_is_retaken() {
    let mut b = book();
    let p = pair();
    assert_eq!(b.on_snapshot(SNAPSHOT), SnapshotStep::Synced { id: 100 });
    assert_eq!(
        b.on_message(&p, &update(102, 102, "", "")),
        Next::Resync("book out of sequence")
    );
    assert!(!b.is_synced());
    assert_eq!(b.on_message(&p, &update(105, 106, "", "")), Next::Snapshot);
    assert!(matches!(
        b.on_snapshot(SNAPSHOT),
        SnapshotStep::Again { .. }
    ));
    assert!(!b.is_synced());
    // A newer snapshot joins the kept buffer.
    let newer = br#"{"version":"104","bids":[],"asks":[]}"#;
    assert_eq!(b.on_snapshot(newer), SnapshotStep::Synced { id: 106 });
    // A gap inside the buffer.
    b.reset();
    assert_eq!(b.on_message(&p, &update(101, 101, "", "")), Next::Snapshot);
    assert_eq!(b.on_message(&p, &update(103, 103, "", "")), Next::Snapshot);
    assert!(matches!(
        b.on_snapshot(SNAPSHOT),
        SnapshotStep::Again { .. }
    ));
    assert!(!b.is_synced());
}

#[test]
fn malformed_and_off_grid_data_never_corrupt_the_book() {
    let mut b = book();
    let p = pair();
    assert_eq!(b.on_snapshot(SNAPSHOT), SnapshotStep::Synced { id: 100 });
    // 0.001 LRC is below the 0.01 size step.
    let off = update(101, 101, r#"["0.2500","1000000000000000","0","1"]"#, "");
    assert_eq!(b.on_message(&p, &off), Next::OffGrid);
    assert!(!b.is_synced());
    assert_eq!(b.on_snapshot(SNAPSHOT), SnapshotStep::Synced { id: 100 });
    for bad in [
        update(101, 101, r#"["x","1","0","1"]"#, ""),
        update(101, 101, r#"["0.25","-1","0","1"]"#, ""),
        update(
            101,
            101,
            r#"["0.25","99999999999999999999999999999999","0","1"]"#,
            "",
        ),
        update(102, 101, "", ""),
        br#"{"data":{"bids":[]}}"#.to_vec(),
        b"not json".to_vec(),
    ] {
        assert!(b.on_snapshot(SNAPSHOT) == SnapshotStep::Synced { id: 100 });
        assert_eq!(
            b.on_message(&p, &bad),
            Next::Resync("bad depth message"),
            "{}",
            String::from_utf8_lossy(&bad)
        );
        assert!(!b.is_synced());
    }
    assert!(matches!(b.on_snapshot(b"<html>"), SnapshotStep::Bad(_)));
    let off_snapshot =
        br#"{"version":1,"bids":[["0.25001","1000000000000000000","0","1"]],"asks":[]}"#;
    assert!(matches!(
        b.on_snapshot(off_snapshot),
        SnapshotStep::OffGrid(_)
    ));
}
