//! The Gate.io depth rules and parser: the documented continuity rule, stale snapshots, other
//! frames, field order, and hostile frames.

use super::*;
use rust_decimal_macros::dec;

fn book() -> SyncedBook {
    SyncedBook::new(
        "BTC_USDT",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.0001)).unwrap(),
    )
}

fn update(first: u64, last: u64, bid: &str, ask: &str) -> String {
    format!(
        r#"{{"time":1606294781,"time_ms":1606294781236,"channel":"spot.order_book_update","event":"update","result":{{"t":1606294781123,"e":"depthUpdate","E":1606294781,"s":"BTC_USDT","U":{first},"u":{last},"b":[{bid}],"a":[{ask}]}}}}"#
    )
}

const SNAP: &str = r#"{"id":100,"current":1623898993123,"update":1623898993121,"asks":[["10.01","3.0000"]],"bids":[["10.00","1.0"],["9.99","2"]]}"#;

fn best(b: &SyncedBook) -> (Option<Level>, Option<Level>) {
    (b.book.best_bid(), b.book.best_ask())
}

#[test]
fn the_documented_continuity_rule() {
    let mut b = book();
    // buffered before the snapshot: one too old, one straddling id + 1, one after
    assert_eq!(
        b.on_frame(update(95, 99, r#"["9.00","1"]"#, "").as_bytes())
            .unwrap(),
        Some(UpdateOutcome::Buffered)
    );
    b.on_frame(update(100, 102, r#"["10.00","0"]"#, "").as_bytes())
        .unwrap();
    b.on_frame(update(103, 103, "", r#"["10.02","1"]"#).as_bytes())
        .unwrap();
    assert_eq!(
        b.on_snapshot(SNAP.as_bytes()).unwrap(),
        SnapshotOutcome::Synced { id: 103 }
    );
    // the too-old update was dropped: no 9.00 bid; 10.00 removed by the straddling one
    assert_eq!(b.book.bids.len(), 1);
    assert_eq!(best(&b).0.map(|l| l.ticks), Some(999));
    // a duplicate is dropped, the next applies, a gap resets
    assert_eq!(
        b.on_frame(update(103, 103, "", r#"["10.02","5"]"#).as_bytes())
            .unwrap(),
        Some(UpdateOutcome::Stale)
    );
    assert_eq!(
        b.on_frame(update(104, 105, "", r#"["10.03","1"]"#).as_bytes())
            .unwrap(),
        Some(UpdateOutcome::Applied)
    );
    assert_eq!(
        b.on_frame(update(107, 108, "", "").as_bytes()).unwrap(),
        Some(UpdateOutcome::Gap {
            expected: 106,
            got: 107
        })
    );
    assert!(!b.is_synced() && b.book.asks.is_empty());
}

#[test]
fn a_snapshot_older_than_the_buffer_is_refetched() {
    let mut b = book();
    b.on_frame(update(200, 201, "", "").as_bytes()).unwrap();
    assert_eq!(
        b.on_snapshot(SNAP.as_bytes()).unwrap(),
        SnapshotOutcome::TooOld {
            id: 100,
            first_buffered: 200
        }
    );
    let mut b = book();
    b.on_frame(update(101, 101, "", "").as_bytes()).unwrap();
    b.on_frame(update(103, 103, "", "").as_bytes()).unwrap();
    assert_eq!(
        b.on_snapshot(SNAP.as_bytes()).unwrap(),
        SnapshotOutcome::Gap {
            expected: 102,
            got: 103
        }
    );
}

#[test]
fn other_frames_and_any_field_order() {
    let mut p = book().parser;
    let pong = br#"{"time":1,"time_ms":1,"channel":"spot.pong","event":"","result":null}"#;
    assert_eq!(p.parse_frame(pong).unwrap(), Frame::Other);
    let sub = br#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","result":{"status":"success"}}"#;
    assert_eq!(p.parse_frame(sub).unwrap(), Frame::Other);
    let err = br#"{"time":1,"channel":"spot.order_book_update","event":"subscribe","error":{"code":2,"message":"unknown currency pair"},"result":null}"#;
    assert!(matches!(p.parse_frame(err).unwrap(), Frame::Error(e) if e.contains("unknown")));
    // result before channel and event, blanks, unknown fields
    let odd = br#"{ "result" : {"u":5,"a":[ ["10.01" , "1"] ],"U":4,"s":"BTC_USDT","b":[],"x":[1,{"y":2}]}, "event":"update", "channel":"spot.order_book_update", "zz":null }"#;
    assert_eq!(
        p.parse_frame(odd).unwrap(),
        Frame::Update(UpdateIds { first: 4, last: 5 })
    );
    assert_eq!(
        p.asks,
        vec![Level {
            ticks: 1001,
            lots: 10000
        }]
    );
}

#[test]
fn hostile_frames_are_errors() {
    let mut p = book().parser;
    for bad in [
        &b"<html>502 Bad Gateway</html>"[..],
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":1,"u":2,"b":[["1.0"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":1,"u":2,"b":[["1e400","1"]],"a":[]}}"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":1,"u":99999999999999999999999,"b":[],"a":[]}}"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":1,"u":2,"b":[["10.001","1"]],"a":[]}}"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"ETH_USDT","U":1,"u":2,"b":[],"a":[]}}"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":3,"u":2,"b":[],"a":[]}}"#,
        br#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","u":2,"b":[],"a":[]}}"#,
    ] {
        assert!(p.parse_frame(bad).is_err(), "{}", String::from_utf8_lossy(bad));
    }
    let mut b = book();
    assert!(
        b.on_snapshot(br#"{"current":1,"bids":[],"asks":[]}"#)
            .is_err()
    );
    assert!(
        b.on_snapshot(br#"{"id":18446744073709551615,"bids":[],"asks":[]}"#)
            .is_err()
    );
}

/// The fast path and the general parser agree on the exact layout and on its variants.
#[test]
fn fast_and_general_paths_agree() {
    let mut fast = book().parser;
    let general = book().parser;
    let exact = update(7, 9, r#"["10.00","1.5"],["9.99","0"]"#, r#"["10.01","2"]"#);
    let mut bids = Vec::new();
    let mut asks = Vec::new();
    let ids = fast.update_fast(exact.as_bytes(), &mut bids, &mut asks);
    assert_eq!(ids, Some(UpdateIds { first: 7, last: 9 }));
    assert_eq!(
        general
            .parse_frame_into(exact.as_bytes(), &mut Vec::new(), &mut Vec::new())
            .unwrap(),
        Frame::Update(UpdateIds { first: 7, last: 9 })
    );
    assert_eq!(
        fast.parse_frame(exact.as_bytes()).unwrap(),
        Frame::Update(UpdateIds { first: 7, last: 9 })
    );
    assert_eq!((fast.bids.clone(), fast.asks.clone()), (bids, asks));
    // blanks, a trailing newline, another symbol, an off-grid price: declined by the fast path
    for other in [
        exact.replace(",\"u\":", ", \"u\":"),
        format!("{exact}\n"),
        exact.replace("BTC_USDT", "ETH_USDT"),
        exact.replace("\"10.01\"", "\"10.015\""),
        update(9, 7, "", ""),
    ] {
        assert_eq!(
            fast.update_fast(other.as_bytes(), &mut Vec::new(), &mut Vec::new()),
            None,
            "{other}"
        );
    }
    let spaced = exact.replace(",\"u\":", ", \"u\":");
    assert_eq!(
        fast.parse_frame(spaced.as_bytes()).unwrap(),
        Frame::Update(UpdateIds { first: 7, last: 9 })
    );
    assert!(
        fast.parse_frame(exact.replace("BTC_USDT", "ETH_USDT").as_bytes())
            .is_err()
    );
    assert!(
        fast.parse_frame(exact.replace("\"10.01\"", "\"10.015\"").as_bytes())
            .is_err()
    );
}
