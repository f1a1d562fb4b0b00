use super::*;
use rust_decimal::Decimal;

fn book() -> IndexerBook {
    IndexerBook::new(
        "BTC-USD",
        Grid::new(Decimal::ONE).unwrap(),
        Grid::new(Decimal::new(1, 4)).unwrap(),
    )
}

/// (ticks, lots) of the best levels.
type Top = (Option<(u64, u64)>, Option<(u64, u64)>);

fn top(b: &IndexerBook) -> Top {
    (
        b.book.best_bid().map(|l| (l.ticks, l.lots)),
        b.book.best_ask().map(|l| (l.ticks, l.lots)),
    )
}

/// Bids and asks, best first, as (ticks, lots).
type Sides = (Vec<(u64, u64)>, Vec<(u64, u64)>);

fn levels(b: &IndexerBook) -> Sides {
    (
        b.book
            .bids
            .iter_best_first()
            .map(|l| (l.ticks, l.lots))
            .collect(),
        b.book
            .asks
            .iter_best_first()
            .map(|l| (l.ticks, l.lots))
            .collect(),
    )
}

const CONNECTED: &[u8] =
    br#"{"type":"connected","connection_id":"004a1efa-21bb-4b19-a2e9-a8ffadd6dc53","message_id":0}"#;

/// The documented `subscribed` example's shape.
fn subscribed(id: u64, bids: &str, asks: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"subscribed","connection_id":"c","message_id":{id},"channel":"v4_orderbook","id":"BTC-USD","contents":{{"bids":{bids},"asks":{asks}}}}}"#
    )
    .into_bytes()
}

/// The documented `channel_data` example's shape; `contents` given whole.
fn data(id: u64, contents: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"channel_data","connection_id":"c","message_id":{id},"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0","contents":{contents}}}"#
    )
    .into_bytes()
}

fn synced() -> IndexerBook {
    let mut b = book();
    assert_eq!(b.on_frame(CONNECTED).unwrap(), BookOutcome::Control);
    let snap = subscribed(
        1,
        r#"[{"price":"28194","size":"4.7648"},{"price":"28193","size":"3.1153"}]"#,
        r#"[{"price":"28195","size":"3.2196"},{"price":"28196","size":"2.387"}]"#,
    );
    assert_eq!(
        b.on_frame(&snap).unwrap(),
        BookOutcome::Snapshot { message_id: 1 }
    );
    b
}

#[test]
fn the_documented_messages_build_the_book() {
    let mut b = synced();
    assert_eq!(top(&b), (Some((28194, 47648)), Some((28195, 32196))));
    assert_eq!(b.last_update_id(), Some(1));
    // the documented update: one bid level, no asks key
    assert_eq!(
        b.on_frame(&data(2, r#"{"bids":[["28190","1.9861"]]}"#))
            .unwrap(),
        BookOutcome::Applied
    );
    // a removal (size "0") and a change
    assert_eq!(
        b.on_frame(&data(
            3,
            r#"{"bids":[["28194","0"]],"asks":[["28195","1"]]}"#
        ))
        .unwrap(),
        BookOutcome::Applied
    );
    assert_eq!(
        levels(&b),
        (
            vec![(28193, 31153), (28190, 19861)],
            vec![(28195, 10000), (28196, 23870)]
        )
    );
    // a batch: updates in order, one message id
    let batch = br#"{"type":"channel_batch_data","connection_id":"c","message_id":4,"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0","contents":[{"asks":[["28197","1"]]},{"asks":[["28197","2"]],"bids":[["28193","0"]]}]}"#;
    assert_eq!(b.on_frame(batch).unwrap(), BookOutcome::Applied);
    assert_eq!(
        levels(&b),
        (
            vec![(28190, 19861)],
            vec![(28195, 10000), (28196, 23870), (28197, 20000)]
        )
    );
    assert_eq!(b.last_update_id(), Some(4));
}

#[test]
fn message_ids_duplicates_gaps_and_other_channels() {
    let mut b = synced();
    let d = data(2, r#"{"bids":[["28100","1"]]}"#);
    assert_eq!(b.on_frame(&d).unwrap(), BookOutcome::Applied);
    assert_eq!(b.on_frame(&d).unwrap(), BookOutcome::Stale, "a duplicate");
    // another channel's message counts on the connection
    let trades = br#"{"type":"channel_data","connection_id":"c","message_id":3,"id":"BTC-USD","channel":"v4_trades","version":"2.1.0","contents":{"trades":[]}}"#;
    assert_eq!(b.on_frame(trades).unwrap(), BookOutcome::Control);
    assert_eq!(
        b.on_frame(&data(4, r#"{"asks":[["28300","1"]]}"#)).unwrap(),
        BookOutcome::Applied
    );
    // 5 lost
    assert_eq!(
        b.on_frame(&data(6, r#"{"asks":[["28301","1"]]}"#)).unwrap(),
        BookOutcome::Gap {
            expected: 5,
            got: 6
        }
    );
    assert!(!b.is_synced());
    assert_eq!(top(&b), (None, None));
    // late data while unsynced is not used; the unsubscribe answer is a control message
    assert_eq!(
        b.on_frame(&data(5, r#"{"asks":[["28302","1"]]}"#)).unwrap(),
        BookOutcome::Unsynced
    );
    let unsub = br#"{"type":"unsubscribed","connection_id":"c","message_id":7,"channel":"v4_orderbook","id":"BTC-USD"}"#;
    assert_eq!(b.on_frame(unsub).unwrap(), BookOutcome::Control);
    assert_eq!(
        b.on_frame(&subscribed(8, r#"[{"price":"1","size":"1"}]"#, "[]"))
            .unwrap(),
        BookOutcome::Snapshot { message_id: 8 }
    );
    assert_eq!(top(&b), (Some((1, 10000)), None));
    assert_eq!(
        b.on_frame(&data(9, r#"{"bids":[["2","1"]]}"#)).unwrap(),
        BookOutcome::Applied
    );
    // a new connection forgets the book
    assert_eq!(b.on_frame(CONNECTED).unwrap(), BookOutcome::Control);
    assert!(!b.is_synced());
}

#[test]
fn any_key_order_blanks_and_unknown_fields_read_the_same() {
    let mut a = synced();
    let mut b = synced();
    a.on_frame(&data(
        2,
        r#"{"bids":[["28100","1.5"]],"asks":[["28400","2"]]}"#,
    ))
    .unwrap();
    let reordered = br#" { "contents" : { "extra" : [1,{"x":null}], "asks" : [ [ "28400" , "2.0000" ] ] , "bids":[["28100","1.50"]] } , "version":"1.0.0", "new_field":{"a":[true,false]}, "channel":"v4_orderbook","message_id":2,"id":"BTC-USD","type":"channel_data" } "#;
    assert_eq!(b.on_frame(reordered).unwrap(), BookOutcome::Applied);
    assert_eq!(levels(&a), levels(&b));
}

#[test]
fn hostile_input_is_a_typed_error_never_a_corrupted_book() {
    let hostile: &[&[u8]] = &[
        b"<html><body>502 Bad Gateway</body></html>",
        b"",
        b"{}",
        br#"{"type":"channel_data","connection_id":"c","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["281"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["99999999999999999999999","1"]]}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["1","1e5"]]}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["-1","1"]]}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["1.5","1"]]}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[[1,1]]}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":{"1":"1"}}}"#,
        br#"{"type":"channel_data","message_id":99999999999999999999999,"id":"BTC-USD","channel":"v4_orderbook","contents":{}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"ETH-USD","channel":"v4_orderbook","contents":{}}"#,
        br#"{"type":"channel_data","message_id":2,"channel":"v4_orderbook","contents":{}}"#,
        br#"{"type":"channel_data","id":"BTC-USD","channel":"v4_orderbook","contents":{}}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook"}"#,
        br#"{"type":"surprise","message_id":2}"#,
        br#"{"message_id":2}"#,
        br#"{"type":"error","message":"Invalid subscription id for channel: (v4_orderbook-BTC-USDX)","connection_id":"c","message_id":1}"#,
        br#"{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","contents":{"bids":[["1","1"]]}} trailing"#,
        br#"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["#,
    ];
    let deep = format!(
        r#"{{"type":"channel_data","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","x":{}{},"contents":{{}}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    let hostile: Vec<&[u8]> = hostile.iter().copied().chain([deep.as_bytes()]).collect();
    for bad in &hostile {
        let mut b = synced();
        let before = levels(&b);
        assert!(
            b.on_frame(bad).is_err(),
            "accepted: {}",
            String::from_utf8_lossy(bad)
        );
        assert_eq!(levels(&b), before, "the book moved on a bad message");
        assert_eq!(b.last_update_id(), Some(1));
    }
    // an error names what the venue said
    let mut b = synced();
    let e = b
        .on_frame(
            br#"{"type":"error","message":"Internal error","connection_id":"c","message_id":1}"#,
        )
        .unwrap_err();
    assert_eq!(e, IndexerBookError::Venue("Internal error".into()));
}

#[test]
fn too_many_levels_are_refused() {
    let mut b = synced();
    let many: Vec<String> = (0..=MAX_LEVELS_PER_MESSAGE)
        .map(|i| format!(r#"["{}","1"]"#, i + 1))
        .collect();
    let frame = data(2, &format!(r#"{{"bids":[{}]}}"#, many.join(",")));
    assert!(matches!(
        b.on_frame(&frame),
        Err(IndexerBookError::TooManyLevels { .. })
    ));
}

#[test]
fn a_crossed_book_is_uncrossed_by_the_documented_rule() {
    // a bid at or above the best ask from a newer message: the older ask goes
    let mut b = synced();
    assert_eq!(
        b.on_frame(&data(2, r#"{"bids":[["28196","1"]]}"#)).unwrap(),
        BookOutcome::Applied
    );
    assert_eq!(
        levels(&b),
        (vec![(28196, 10000), (28194, 47648), (28193, 31153)], vec![])
    );
    assert_eq!(b.uncrossed_levels(), 2);
    // an ask below the best bid: the older bids go, down to the ask
    let mut b = synced();
    b.on_frame(&data(2, r#"{"asks":[["28193","1"]]}"#)).unwrap();
    assert_eq!(
        levels(&b),
        (vec![], vec![(28193, 10000), (28195, 32196), (28196, 23870)])
    );
    // the same stamp (one snapshot): the smaller size is netted off the larger
    let mut b = book();
    b.on_frame(&subscribed(
        3,
        r#"[{"price":"101","size":"2"},{"price":"99","size":"1"}]"#,
        r#"[{"price":"100","size":"0.5"},{"price":"102","size":"1"}]"#,
    ))
    .unwrap();
    assert_eq!(
        levels(&b),
        (vec![(101, 15000), (99, 10000)], vec![(102, 10000)])
    );
    // switched off, the book is the indexer's as sent
    let mut b = synced();
    b.set_uncross(false);
    b.on_frame(&data(2, r#"{"bids":[["28196","1"]]}"#)).unwrap();
    assert_eq!(top(&b), (Some((28196, 10000)), Some((28195, 32196))));
}

#[test]
fn the_rest_snapshot_loads_a_one_off_book() {
    let mut b = book();
    b.load_rest_snapshot(
        br#"{"bids":[{"price":"28194","size":"4.7648"}],"asks":[{"price":"28195","size":"3.2196"}]}"#,
    )
    .unwrap();
    assert_eq!(top(&b), (Some((28194, 47648)), Some((28195, 32196))));
    assert!(!b.is_synced(), "a REST snapshot does not sync the stream");
    assert!(b.load_rest_snapshot(b"<html>").is_err());
    assert!(
        b.load_rest_snapshot(br#"{"bids":[{"price":"1"}]}"#)
            .is_err()
    );
}

#[test]
fn subscribe_messages() {
    let b = book();
    let v: serde_json::Value = serde_json::from_str(&b.subscribe_message()).unwrap();
    assert_eq!(
        v,
        serde_json::json!({"type":"subscribe","channel":"v4_orderbook","id":"BTC-USD"})
    );
    let v: serde_json::Value = serde_json::from_str(&b.unsubscribe_message()).unwrap();
    assert_eq!(v["type"], "unsubscribe");
}

proptest::proptest! {
    /// Any frame cut short or with a byte changed: a typed error, or a frame that still reads;
    /// never a panic, and on an error the book and its message id are as they were.
    #[test]
    fn mangled_frames_never_panic_or_half_apply(
        cut in 0usize..200,
        at in 0usize..200,
        byte in proptest::prelude::any::<u8>(),
        which in 0usize..3,
    ) {
        let frames = [
            data(2, r#"{"bids":[["28190","1.9861"],["28191","0"]],"asks":[["28300","2"]]}"#),
            br#"{"type":"channel_batch_data","connection_id":"c","message_id":2,"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0","contents":[{"asks":[["28197","1"]]},{"bids":[["28193","0"]]}]}"#.to_vec(),
            subscribed(2, r#"[{"price":"28100","size":"1"}]"#, r#"[{"price":"28400","size":"1"}]"#),
        ];
        let mut frame = frames[which].clone();
        if at < frame.len() {
            frame[at] = byte;
        }
        frame.truncate(frame.len().saturating_sub(cut % 40));
        let mut b = synced();
        let before = (levels(&b), b.last_update_id());
        if b.on_frame(&frame).is_err() {
            proptest::prop_assert_eq!((levels(&b), b.last_update_id()), before);
        }
    }
}
