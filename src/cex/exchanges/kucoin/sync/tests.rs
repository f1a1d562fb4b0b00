//! The sequence rule on hand-made pushes: buffering, stale and duplicate pushes, overlap with
//! the snapshot (per-change sequences), price-0 changes, removals and gaps.

use super::*;
use rust_decimal_macros::dec;

fn book() -> SyncedBook {
    SyncedBook::new(
        "BTC-USDT",
        Grid::new(dec!(0.1)).unwrap(),
        Grid::new(dec!(0.0001)).unwrap(),
    )
}

fn push(start: u64, end: u64, bids: &str, asks: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"message","topic":"/market/level2:BTC-USDT","subject":"trade.l2update","data":{{"changes":{{"asks":[{asks}],"bids":[{bids}]}},"sequenceEnd":{end},"sequenceStart":{start},"symbol":"BTC-USDT","time":1663747970273}}}}"#
    )
    .into_bytes()
}

const SNAP: &[u8] = br#"{"code":"200000","data":{"time":1663747970000,"sequence":"100","bids":[["99.9","1"],["99.8","2"]],"asks":[["100.1","1.5"]]}}"#;

fn top(b: &SyncedBook) -> (Option<Level>, Option<Level>) {
    (b.book.bids.best(), b.book.asks.best())
}

#[test]
fn buffers_then_applies_only_newer_changes() {
    let mut b = book();
    // overlaps the snapshot: the change at 100 is already in it, the one at 101 is not
    assert_eq!(
        b.on_frame(&push(
            100,
            101,
            r#"["99.9","5","100"],["99.7","3","101"]"#,
            ""
        ))
        .unwrap(),
        Some(UpdateOutcome::Buffered)
    );
    assert_eq!(
        b.on_snapshot(SNAP).unwrap(),
        SnapshotOutcome::Synced { sequence: 101 }
    );
    assert_eq!(b.book.bids.len(), 3);
    assert_eq!(b.book.bids.best().map(|l| l.lots), Some(10_000));
    // duplicate: stale
    assert_eq!(
        b.on_frame(&push(100, 101, r#"["99.9","5","100"]"#, ""))
            .unwrap(),
        Some(UpdateOutcome::Stale)
    );
    // removal, and a price-0 change that only moves the sequence
    assert_eq!(
        b.on_frame(&push(
            102,
            103,
            r#"["99.9","0","102"]"#,
            r#"["0","0","103"]"#
        ))
        .unwrap(),
        Some(UpdateOutcome::Applied)
    );
    assert_eq!(b.sequence(), Some(103));
    assert_eq!(top(&b).0.map(|l| l.ticks), Some(998));
    assert_eq!(b.book.asks.len(), 1);
    // a gap resets the book
    assert_eq!(
        b.on_frame(&push(105, 105, r#"["99.9","1","105"]"#, ""))
            .unwrap(),
        Some(UpdateOutcome::Gap {
            expected: 104,
            got: 105
        })
    );
    assert!(!b.is_synced());
    assert_eq!(b.book.bids.len(), 0);
}

#[test]
fn too_old_snapshots_and_hostile_input() {
    let mut b = book();
    b.on_frame(&push(150, 150, r#"["99.9","5","150"]"#, ""))
        .unwrap();
    assert!(matches!(
        b.on_snapshot(SNAP).unwrap(),
        SnapshotOutcome::TooOld { .. }
    ));
    assert!(b.on_snapshot(b"<html>502</html>").is_err());
    assert!(b.on_snapshot(br#"{"code":"400100","msg":"x"}"#).is_err());
    assert!(b.on_frame(b"{\"type\":\"message\",\"subj").is_err());
    assert!(
        b.on_frame(&push(1, 2, r#"["99.9","1e999","2"]"#, ""))
            .is_err()
    );
    assert!(
        b.on_frame(&push(
            1,
            2,
            r#"["99.9","99999999999999999999999999999","2"]"#,
            ""
        ))
        .is_err()
    );
    assert!(b.on_frame(&push(3, 2, "", "")).is_err());
    assert_eq!(
        b.on_frame(br#"{"id":"hQvf8jkno","type":"welcome"}"#)
            .unwrap(),
        None
    );
}
