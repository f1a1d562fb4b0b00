use super::*;
use rust_decimal_macros::dec;

fn book() -> SyncedBook {
    SyncedBook::new(
        "BTC-USD",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.00000001)).unwrap(),
    )
}

fn msg(seq: u64, kind: &str, levels: &[(&str, &str, &str)]) -> String {
    let updates: Vec<String> = levels
        .iter()
        .map(|(side, p, q)| {
            format!(
                r#"{{"side":"{side}","event_time":"2023-02-09T20:32:50.714964855Z","price_level":"{p}","new_quantity":"{q}"}}"#
            )
        })
        .collect();
    format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":{seq},"events":[{{"type":"{kind}","product_id":"BTC-USD","updates":[{}]}}]}}"#,
        updates.join(",")
    )
}

type Sides = (
    Vec<crate::cex::book::DecimalLevel>,
    Vec<crate::cex::book::DecimalLevel>,
);

fn top(b: &SyncedBook) -> Sides {
    b.book.top(10)
}

/// The documented snapshot then update, in the documented shape.
#[test]
fn snapshot_then_updates_in_sequence() {
    let mut b = book();
    let sub = r#"{"channel":"subscriptions","client_id":"","timestamp":"2023-02-09T20:32:50.714964855Z","sequence_num":0,"events":[{"subscriptions":{"level2":["BTC-USD"]}}]}"#;
    assert_eq!(b.on_message(sub.as_bytes()).unwrap(), Outcome::Nothing);
    let early = msg(1, "update", &[("bid", "21921.70", "1")]);
    // an update before any snapshot is not applied
    assert_eq!(b.on_message(early.as_bytes()).unwrap(), Outcome::Nothing);
    let snap = msg(
        2,
        "snapshot",
        &[
            ("bid", "21921.73", "0.06317902"),
            ("offer", "21921.74", "0.5"),
        ],
    );
    assert_eq!(b.on_message(snap.as_bytes()).unwrap(), Outcome::Synced);
    assert!(b.is_synced());
    let up = msg(
        3,
        "update",
        &[("bid", "21921.73", "0"), ("offer", "21921.75", "1.25")],
    );
    assert_eq!(b.on_message(up.as_bytes()).unwrap(), Outcome::Applied);
    let (bids, asks) = top(&b);
    assert!(bids.is_empty());
    assert_eq!(
        asks,
        vec![(dec!(21921.74), dec!(0.5)), (dec!(21921.75), dec!(1.25))]
    );
    // a duplicate is dropped, a heartbeat advances the sequence
    assert_eq!(b.on_message(up.as_bytes()).unwrap(), Outcome::Stale);
    let hb = r#"{"channel":"heartbeats","client_id":"","timestamp":"2023-06-23T20:31:26.122969572Z","sequence_num":4,"events":[{"current_time":"2023-06-23 20:31:56.121961769 +0000 UTC m=+91717.525857105","heartbeat_counter":"3049"}]}"#;
    assert_eq!(b.on_message(hb.as_bytes()).unwrap(), Outcome::Nothing);
    assert_eq!(b.last_sequence(), Some(4));
}

#[test]
fn a_gap_resets_the_book_until_a_new_snapshot() {
    let mut b = book();
    b.on_message(msg(0, "snapshot", &[("bid", "1.00", "1")]).as_bytes())
        .unwrap();
    let got = b
        .on_message(msg(2, "update", &[("bid", "1.01", "1")]).as_bytes())
        .unwrap();
    assert_eq!(
        got,
        Outcome::Gap {
            expected: 1,
            got: 2
        }
    );
    assert!(!b.is_synced() && b.book.bids.is_empty());
    // the late message is stale; updates wait for the snapshot
    assert_eq!(
        b.on_message(msg(1, "update", &[("bid", "1.02", "1")]).as_bytes())
            .unwrap(),
        Outcome::Stale
    );
    assert_eq!(
        b.on_message(msg(3, "update", &[("bid", "1.03", "1")]).as_bytes())
            .unwrap(),
        Outcome::Nothing
    );
    assert_eq!(
        b.on_message(msg(4, "snapshot", &[("offer", "1.05", "2")]).as_bytes())
            .unwrap(),
        Outcome::Synced
    );
    assert_eq!(top(&b).1, vec![(dec!(1.05), dec!(2))]);
    // a new connection starts its sequence over
    b.new_connection();
    assert_eq!(
        b.on_message(msg(0, "snapshot", &[("offer", "1.06", "2")]).as_bytes())
            .unwrap(),
        Outcome::Synced
    );
}

#[test]
fn any_field_order_and_unknown_fields_read_alike() {
    let mut a = book();
    let mut b = book();
    let canonical = msg(
        7,
        "snapshot",
        &[("bid", "100.5", "2"), ("offer", "100.6", "3")],
    );
    let shuffled = r#"{ "events": [ { "updates": [ { "new_quantity": "2", "price_level": "100.5", "side": "bid", "extra": [1,{"x":null}] },
        {"price_level":"100.6","side":"offer","new_quantity":"3"} ], "product_id": "BTC-USD", "type": "snapshot" } ],
        "sequence_num": 7, "new": true, "channel": "l2_data" }"#;
    assert_eq!(a.on_message(canonical.as_bytes()).unwrap(), Outcome::Synced);
    assert_eq!(b.on_message(shuffled.as_bytes()).unwrap(), Outcome::Synced);
    assert_eq!(a.book, b.book);
}

#[test]
fn hostile_messages_are_errors_that_reset_the_book() {
    let bad = [
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"1.001","new_quantity":"1"}]}]}"#,
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"ETH-USD","updates":[]}]}"#,
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"sideways","price_level":"1","new_quantity":"1"}]}]}"#,
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"weird","product_id":"BTC-USD","updates":[]}]}"#,
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","price_level":"1e400","new_quantity":"1"}]}]}"#,
        r#"{"channel":"l2_data","sequence_num":99999999999999999999999}"#,
        r#"{"channel":"l2_data","sequence_num":1,"events":[{"type":"update","product_id":"BTC-USD","upd"#,
        "<html><body>502 Bad Gateway</body></html>",
        r#"{"channel":"l2_data","sequence_num":1}"#,
    ];
    for m in bad {
        let mut b = book();
        b.on_message(msg(0, "snapshot", &[("bid", "1.00", "1")]).as_bytes())
            .unwrap();
        assert!(b.on_message(m.as_bytes()).is_err(), "{m}");
        assert!(!b.is_synced(), "{m}");
    }
    let mut b = book();
    let e = br#"{"type":"error","message":"failure to subscribe"}"#;
    assert_eq!(b.on_message(e).unwrap(), Outcome::VenueError);
    assert_eq!(b.parser.error, "failure to subscribe");
}

#[test]
fn a_book_over_its_limit_is_dropped() {
    let mut b = book();
    let levels: Vec<(String, String)> = (0..(MAX_BOOK_LEVELS_PER_SIDE + 1))
        .map(|i| (format!("{}.00", 1 + i), "1".to_string()))
        .collect();
    let refs: Vec<(&str, &str, &str)> = levels
        .iter()
        .map(|(p, q)| ("bid", p.as_str(), q.as_str()))
        .collect();
    assert_eq!(
        b.on_message(msg(0, "snapshot", &refs).as_bytes()).unwrap(),
        Outcome::TooLarge
    );
    assert!(!b.is_synced());
}

/// A parse's answer with the byte offset of a JSON error counted from the (last) `events` value,
/// so that messages laid out differently around it compare.
fn from_events(r: Result<Frame, DepthError>, msg: &str) -> Result<Frame, DepthError> {
    let base = msg.rfind(r#""events":"#).map_or(0, |at| at + 9);
    r.map_err(|e| match e {
        DepthError::Json(ScanError { at, what }) => DepthError::Json(ScanError {
            at: at.wrapping_sub(base),
            what,
        }),
        other => other,
    })
}

/// The events read in the same pass as the message (the channel first, as Coinbase sends it) and
/// read after it (the channel last) give the same answer, good or hostile, with a repeated
/// `events` key counting its last value and a type `error` winning over bad events.
#[test]
fn one_pass_and_deferred_reads_agree() {
    let time = "2023-02-09T20:32:50.714964855Z";
    let level = |side: &str, t: &str, p: &str, q: &str| {
        format!(
            r#"{{"side":"{side}","event_time":"{t}","price_level":"{p}","new_quantity":"{q}"}}"#
        )
    };
    let event = |kind: &str, product: &str, ups: &[String]| {
        format!(
            r#"{{"type":"{kind}","product_id":"{product}","updates":[{}]}}"#,
            ups.join(",")
        )
    };
    let good = [
        level("bid", time, "100.5", "2"),
        level("offer", time, "100.6", "0"),
    ];
    let events = [
        format!("[{}]", event("update", "BTC-USD", &good)),
        format!(
            "[{},{}]",
            event("snapshot", "BTC-USD", &good),
            event("update", "BTC-USD", &good[..1])
        ),
        "[]".to_string(),
        format!("[{}]", event("update", "BTC-USD", &[])),
        format!("[{}]", event("update", "ETH-USD", &good)),
        format!("[{}]", event("weird", "BTC-USD", &good)),
        format!(
            "[{}]",
            event("update", "BTC-USD", &[level("bid", time, "1.001", "1")])
        ),
        format!(
            "[{}]",
            event("update", "BTC-USD", &[level("up", time, "1", "1")])
        ),
        format!(
            "[{}]",
            event("update", "BTC-USD", &[level("bid", "2023\u{1}Z", "1", "1")])
        ),
        format!(
            "[{}]",
            event("update", "BTC-USD", &[level("bid", "20\\\"23", "1", "1")])
        ),
        format!(
            "[{}]",
            event("update", "BTC-USD", &[level("bid", time, "1", "1e3")])
        ),
        r#"[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid"}]}]"#.to_string(),
        r#"[{"type":"update","product_id":"BTC-USD","updates":[{"side":"bid","#.to_string(),
        r#"[{"type":"update","updates":[]}]"#.to_string(),
        "{}".to_string(),
    ];
    let mut checked = 0;
    for ev in &events {
        for tail in ["", r#","type":"error""#] {
            let first = format!(r#"{{"channel":"l2_data","sequence_num":5,"events":{ev}{tail}}}"#);
            let last = format!(r#"{{"sequence_num":5,"events":{ev},"channel":"l2_data"{tail}}}"#);
            let twice = format!(
                r#"{{"channel":"l2_data","sequence_num":5,"events":[{}],"events":{ev}{tail}}}"#,
                event("update", "BTC-USD", &good)
            );
            let mut want = book().parser;
            let want_frame = from_events(want.parse(last.as_bytes()), &last);
            for m in [&first, &twice] {
                let mut p = book().parser;
                assert_eq!(from_events(p.parse(m.as_bytes()), m), want_frame, "{m}");
                if want_frame.is_ok() {
                    assert_eq!((&p.levels, &p.events), (&want.levels, &want.events), "{m}");
                }
            }
            checked += usize::from(want_frame.is_err());
        }
    }
    assert!(checked >= 9, "the hostile cases are errors: {checked}");
}

/// A level's event_time that repeats the one before it is taken as read; any other (shorter,
/// longer, with an escape or a control character after the same start) is read as the first one
/// was: escapes go to the general reader and read alike, a control character is an error.
#[test]
fn a_repeated_event_time_is_checked_like_any_other() {
    let time = "2023-02-09T20:32:50.714964855Z";
    let message = |second: &str| {
        format!(
            r#"{{"channel":"l2_data","sequence_num":5,"events":[{{"type":"update","product_id":"BTC-USD","updates":[{{"side":"bid","event_time":"{time}","price_level":"100.5","new_quantity":"2"}},{{"side":"offer","event_time":"{second}","price_level":"100.6","new_quantity":"0"}}]}}]}}"#
        )
    };
    let mut base = book().parser;
    base.parse(message(time).as_bytes()).unwrap();
    assert_eq!(base.levels.len(), 2);
    let cases = [
        (time.to_string(), true),
        (String::new(), true),
        ("2023-02-09".to_string(), true),
        (format!("{time}x"), true),
        (format!("{}Y", &time[..time.len() - 1]), true),
        (format!("{time}\u{1}"), false),
        (format!("{}\u{1}", &time[..time.len() - 1]), false),
        (format!("{time}\\\"x"), true),
        (format!("{}\\\"", &time[..time.len() - 2]), true),
    ];
    for (second, plain) in cases {
        let m = message(&second);
        let mut p = book().parser;
        let r = p.parse(m.as_bytes());
        assert_eq!(r.is_ok(), plain, "{m}");
        if plain {
            assert_eq!(p.levels, base.levels, "{m}");
        }
    }
}

/// Prices and sizes read in the shape of the value before them (one parser across messages, so
/// the shapes carry over) equal the grid's own reading of each value, whatever the next value's
/// shape: longer, shorter, no point, off the grid, or a non-digit where the last shape had one.
#[test]
fn values_read_in_a_predicted_shape_equal_the_grids_reading() {
    let pool = [
        "59999.99",
        "59999.9",
        "1.5",
        "100",
        "0.00515000",
        "0.000000010",
        "0.000000011",
        "007.50",
        "1e3",
        "123456789.12",
        "5999a.99",
        "59999.9a",
        "59999,99",
        "12345678.00000001",
        "0.1",
        "",
    ];
    let mut parser = book().parser;
    let (price, size) = (parser.price, parser.size);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut pick = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        pool[(x % pool.len() as u64) as usize]
    };
    let (mut good, mut bad) = (0, 0);
    for seq in 0..3_000u64 {
        let n = 1 + (seq % 5) as usize;
        // mostly one shape repeated (as a feed sends), sometimes another
        let (p0, q0) = (pick(), pick());
        let levels: Vec<(&str, &str, &str)> = (0..n)
            .map(|i| {
                let side = if i % 2 == 0 { "bid" } else { "offer" };
                if seq % 3 == 0 {
                    (side, pick(), pick())
                } else {
                    (side, p0, q0)
                }
            })
            .collect();
        let want: Result<Vec<SidedLevel>, GridError> = levels
            .iter()
            .map(|(side, p, q)| {
                Ok((
                    *side == "bid",
                    Level {
                        ticks: price.parse(p.as_bytes())?,
                        lots: size.parse(q.as_bytes())?,
                    },
                ))
            })
            .collect();
        let m = msg(seq, "update", &levels);
        let got = parser.parse(m.as_bytes());
        match want {
            Ok(levels) => {
                assert!(got.is_ok(), "{m}: {got:?}");
                assert_eq!(parser.levels, levels, "{m}");
                good += 1;
            }
            Err(_) => {
                assert!(got.is_err(), "{m}: {:?}", parser.levels);
                bad += 1;
            }
        }
    }
    assert!(good > 300 && bad > 300, "{good} good, {bad} bad");
}
