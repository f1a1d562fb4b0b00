//! Bybit's book rule on hand-written frames in the documented shape.

use rust_decimal_macros::dec;

use super::*;

fn book() -> BybitBook {
    BybitBook::new(
        "BTCUSDT",
        50,
        Grid::new(dec!(0.1)).unwrap(),
        Grid::new(dec!(0.001)).unwrap(),
    )
}

fn frame(kind: &str, u: u64, seq: u64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":1672304484978,"data":{{"s":"BTCUSDT","b":[{bids}],"a":[{asks}],"u":{u},"seq":{seq}}},"cts":1672304484976}}"#
    )
}

fn top(b: &BybitBook) -> (Option<Level>, Option<Level>) {
    (b.book.best_bid(), b.book.best_ask())
}

#[test]
fn snapshot_then_contiguous_deltas_duplicates_ignored_gaps_reset() {
    let mut b = book();
    let d = frame("delta", 5, 50, r#"["100.0","1"]"#, "");
    assert_eq!(b.on_frame(d.as_bytes()).unwrap(), BookOutcome::Unsynced);
    let snap = frame(
        "snapshot",
        10,
        100,
        r#"["100.0","1.5"],["99.9","2"]"#,
        r#"["100.1","0.5"]"#,
    );
    assert_eq!(
        b.on_frame(snap.as_bytes()).unwrap(),
        BookOutcome::Snapshot { u: 10 }
    );
    assert_eq!(
        top(&b),
        (
            Some(Level {
                ticks: 1000,
                lots: 1500
            }),
            Some(Level {
                ticks: 1001,
                lots: 500
            })
        )
    );
    let d11 = frame("delta", 11, 105, r#"["100.0","0"]"#, r#"["100.2","3"]"#);
    assert_eq!(b.on_frame(d11.as_bytes()).unwrap(), BookOutcome::Applied);
    assert_eq!(
        b.book.best_bid(),
        Some(Level {
            ticks: 999,
            lots: 2000
        })
    );
    assert_eq!(b.on_frame(d11.as_bytes()).unwrap(), BookOutcome::Stale);
    let d13 = frame("delta", 13, 110, r#"["99.8","1"]"#, "");
    assert_eq!(
        b.on_frame(d13.as_bytes()).unwrap(),
        BookOutcome::Gap {
            expected: 12,
            got: 13
        }
    );
    assert!(!b.is_synced());
    assert_eq!(top(&b), (None, None));
}

#[test]
fn u_equal_one_is_a_restart_snapshot_and_control_frames_change_nothing() {
    let mut b = book();
    let snap = frame("snapshot", 400, 9, r#"["100.0","1"]"#, r#"["100.5","1"]"#);
    b.on_frame(snap.as_bytes()).unwrap();
    let restart = frame("delta", 1, 1, r#"["90.0","4"]"#, r#"["91.0","4"]"#);
    assert_eq!(
        b.on_frame(restart.as_bytes()).unwrap(),
        BookOutcome::Snapshot { u: 1 }
    );
    assert_eq!(
        top(&b),
        (
            Some(Level {
                ticks: 900,
                lots: 4000
            }),
            Some(Level {
                ticks: 910,
                lots: 4000
            })
        )
    );
    let pong = br#"{"success":true,"ret_msg":"pong","conn_id":"abc","req_id":"","op":"ping"}"#;
    assert_eq!(
        b.on_frame(pong).unwrap(),
        BookOutcome::Control { success: true }
    );
    let refused =
        br#"{"success":false,"ret_msg":"error:handler not found","conn_id":"x","op":"subscribe"}"#;
    assert_eq!(
        b.on_frame(refused).unwrap(),
        BookOutcome::Control { success: false }
    );
    assert_eq!(b.last_update_id(), Some(1));
}

#[test]
fn hostile_frames_are_typed_errors() {
    let mut b = book();
    let off_grid = frame("snapshot", 3, 3, r#"["100.05","1"]"#, "");
    assert!(matches!(
        b.on_frame(off_grid.as_bytes()),
        Err(BybitBookError::Level(GridError::OffGrid { .. }))
    ));
    let huge = frame(
        "snapshot",
        3,
        3,
        r#"["1000000000000000000000000000.0","1"]"#,
        "",
    );
    assert!(matches!(
        b.on_frame(huge.as_bytes()),
        Err(BybitBookError::Level(_))
    ));
    let other =
        frame("snapshot", 3, 3, "", "").replace("orderbook.50.BTCUSDT", "orderbook.50.ETHUSDT");
    assert!(matches!(
        b.on_frame(other.as_bytes()),
        Err(BybitBookError::WrongTopic { .. })
    ));
    let u_overflow =
        frame("delta", 3, 3, "", "").replace("\"u\":3", "\"u\":99999999999999999999999");
    assert!(matches!(
        b.on_frame(u_overflow.as_bytes()),
        Err(BybitBookError::Json(_))
    ));
    for junk in [
        &b"<html>502</html>"[..],
        br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","b":[["100.0","1""#,
        br#"{"topic":"orderbook.50.BTCUSDT","type":"weird","data":{}}"#,
        br#"{"topic":"orderbook.50.BTCUSDT","type":"delta","data":{"s":"BTCUSDT","b":[],"a":[]}}"#,
        b"{}",
        b"",
    ] {
        assert!(b.on_frame(junk).is_err(), "{}", String::from_utf8_lossy(junk));
    }
    let many: Vec<String> = (0..=MAX_LEVELS_PER_MESSAGE)
        .map(|i| format!(r#"["{i}.0","1"]"#))
        .collect();
    let big = frame("snapshot", 3, 3, &many.join(","), "");
    assert!(matches!(
        b.on_frame(big.as_bytes()),
        Err(BybitBookError::TooManyLevels { .. })
    ));
}

#[test]
fn blanks_and_other_field_orders_take_the_checked_reader() {
    let mut b = book();
    let spaced = r#"{ "data" : { "u" : 7, "b" : [ [ "100.0" , "2" ] ], "a" : [ ], "s" : "BTCUSDT", "seq" : 1 }, "type" : "snapshot", "topic" : "orderbook.50.BTCUSDT" }"#;
    assert_eq!(
        b.on_frame(spaced.as_bytes()).unwrap(),
        BookOutcome::Snapshot { u: 7 }
    );
    assert_eq!(
        b.book.best_bid(),
        Some(Level {
            ticks: 1000,
            lots: 2000
        })
    );
}
