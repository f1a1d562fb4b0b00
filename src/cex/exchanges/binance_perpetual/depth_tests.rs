//! The `pu` rule on hand-written events: the documented first-event window, the chain, gaps,
//! duplicates, and hostile input as typed errors.

use rust_decimal_macros::dec;

use super::*;

fn grid(step: rust_decimal::Decimal) -> Grid {
    Grid::new(step).expect("grid")
}

fn book() -> PerpBook {
    PerpBook::new("BTCUSDT", grid(dec!(0.1)), grid(dec!(0.001)))
}

fn event(first: u64, last: u64, prev: u64, bid: &str) -> String {
    format!(
        r#"{{"e":"depthUpdate","E":1,"T":1,"s":"BTCUSDT","U":{first},"u":{last},"pu":{prev},"b":[["{bid}","1.000"]],"a":[]}}"#
    )
}

const SNAPSHOT: &str =
    r#"{"lastUpdateId":100,"E":1,"T":1,"bids":[["10.0","2.000"]],"asks":[["11.0","3.000"]]}"#;

fn bids(b: &PerpBook) -> Vec<(rust_decimal::Decimal, rust_decimal::Decimal)> {
    b.book().top(10).0.into_iter().collect()
}

#[test]
fn the_first_event_straddles_the_snapshot_then_pu_chains() {
    let mut b = book();
    // buffered: one too old (u < 100), one straddling 100, one chained by pu
    for (f, l, p, bid) in [
        (90, 95, 89, "9.0"),
        (96, 104, 95, "9.5"),
        (110, 112, 104, "9.6"),
    ] {
        assert_eq!(
            b.on_frame(event(f, l, p, bid).as_bytes()).unwrap(),
            DiffOutcome::Buffered
        );
    }
    assert_eq!(
        b.on_snapshot(SNAPSHOT.as_bytes()).unwrap(),
        SnapshotOutcome::Synced {
            last_update_id: 112
        }
    );
    // 9.0 was dropped (u < lastUpdateId), 9.5 and 9.6 applied
    let got: Vec<_> = bids(&b).into_iter().map(|(p, _)| p.normalize()).collect();
    assert_eq!(got, vec![dec!(10), dec!(9.6), dec!(9.5)]);
    // a duplicate is ignored; the next pu continues
    assert_eq!(
        b.on_frame(event(110, 112, 104, "9.6").as_bytes()).unwrap(),
        DiffOutcome::Stale
    );
    assert_eq!(
        b.on_frame(event(120, 121, 112, "9.7").as_bytes()).unwrap(),
        DiffOutcome::Applied
    );
    // a missing event: pu 125 is not the last u 121
    assert_eq!(
        b.on_frame(event(130, 131, 125, "9.8").as_bytes()).unwrap(),
        DiffOutcome::Gap {
            expected: 121,
            got: 125
        }
    );
    assert!(!b.is_synced());
    assert!(b.book().best_bid().is_none());
}

#[test]
fn a_quiet_book_syncs_on_the_event_right_after_the_snapshot_and_not_later() {
    let mut b = book();
    b.on_snapshot(SNAPSHOT.as_bytes()).unwrap();
    assert_eq!(b.last_update_id(), Some(100));
    assert_eq!(
        b.on_frame(event(101, 101, 100, "9.9").as_bytes()).unwrap(),
        DiffOutcome::Applied
    );
    let mut b = book();
    b.on_snapshot(SNAPSHOT.as_bytes()).unwrap();
    assert!(matches!(
        b.on_frame(event(102, 103, 101, "9.9").as_bytes()).unwrap(),
        DiffOutcome::Gap { .. }
    ));
}

#[test]
fn a_snapshot_older_than_the_buffer_is_refused() {
    let mut b = book();
    b.on_frame(event(150, 160, 149, "9.0").as_bytes()).unwrap();
    assert_eq!(
        b.on_snapshot(SNAPSHOT.as_bytes()).unwrap(),
        SnapshotOutcome::TooOld {
            last_update_id: 100,
            first_buffered: 150
        }
    );
    assert!(!b.is_synced());
    // the buffer is kept for the next snapshot
    let newer = SNAPSHOT.replace("100", "155");
    assert_eq!(
        b.on_snapshot(newer.as_bytes()).unwrap(),
        SnapshotOutcome::Synced {
            last_update_id: 160
        }
    );
}

#[test]
fn hostile_events_are_typed_errors() {
    let mut b = book();
    b.on_snapshot(SNAPSHOT.as_bytes()).unwrap();
    let no_pu = r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"b":[],"a":[]}"#;
    assert_eq!(b.on_frame(no_pu.as_bytes()), Err(DepthError::Missing("pu")));
    let cases = [
        r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"pu":-1,"b":[],"a":[]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"pu":99999999999999999999999,"b":[],"a":[]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"ETHUSDT","U":1,"u":2,"pu":0,"b":[],"a":[]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":3,"u":2,"pu":0,"b":[],"a":[]}"#,
        r#"{"e":"depthUpdate","E":1,"s":"BTCUSDT","U":1,"u":2,"pu":0,"b":[["1.05","1"]],"a":[]}"#,
        r#"{"e":"depthUpdate","U":"#,
        "<html>502</html>",
        "",
    ];
    for c in cases {
        assert!(b.on_frame(c.as_bytes()).is_err(), "{c}");
    }
    assert!(b.on_snapshot(b"{\"lastUpdateId\":1}").is_err());
    assert!(!b.is_synced());
    // a combined-stream envelope is read like a raw event
    let mut b = book();
    b.on_snapshot(SNAPSHOT.as_bytes()).unwrap();
    let wrapped = format!(
        r#"{{"stream":"btcusdt@depth@100ms","data":{}}}"#,
        event(100, 101, 99, "9.9")
    );
    assert_eq!(
        b.on_frame(wrapped.as_bytes()).unwrap(),
        DiffOutcome::Applied
    );
}
