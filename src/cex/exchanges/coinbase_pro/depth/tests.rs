use super::*;
use rust_decimal_macros::dec;

fn book(check: HeartbeatCheck) -> SyncedBook {
    SyncedBook::new(
        "BTC-USD",
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.00000001)).unwrap(),
        check,
    )
}

const SNAP: &[u8] = br#"{"type":"snapshot","product_id":"BTC-USD","bids":[["10101.10","0.45054140"],["10100.00","1"]],"asks":[["10102.55","0.57753524"]]}"#;

fn update(side: &str, price: &str, size: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"l2update","product_id":"BTC-USD","changes":[["{side}","{price}","{size}"]],"time":"2019-08-14T20:42:27.265Z"}}"#
    )
    .into_bytes()
}

fn hb(seq: u64) -> Vec<u8> {
    format!(
        r#"{{"type":"heartbeat","sequence":{seq},"last_trade_id":20,"product_id":"BTC-USD","time":"2014-11-07T08:19:28.464459Z"}}"#
    )
    .into_bytes()
}

#[test]
fn snapshot_then_updates_with_absolute_sizes() {
    let mut b = book(HeartbeatCheck::Advance);
    assert_eq!(
        b.on_frame(&update("buy", "1", "1")).unwrap(),
        Outcome::Ignored
    );
    assert_eq!(b.on_frame(SNAP).unwrap(), Outcome::Snapshot);
    assert!(b.is_synced());
    assert_eq!(b.book.best_bid().unwrap().ticks, 1_010_110);
    assert_eq!(
        b.on_frame(&update("buy", "10101.10", "0")).unwrap(),
        Outcome::Applied
    );
    assert_eq!(b.book.best_bid().unwrap().ticks, 1_010_000);
    assert_eq!(
        b.on_frame(&update("sell", "10102.00", "2.5")).unwrap(),
        Outcome::Applied
    );
    assert_eq!(b.book.best_ask().unwrap().lots, 250_000_000);
    assert_eq!(
        b.on_frame(&hb(90)).unwrap(),
        Outcome::Confirmed { changed: true }
    );
    // the production feed's sequence only has to advance
    assert_eq!(
        b.on_frame(&hb(95)).unwrap(),
        Outcome::Confirmed { changed: false }
    );
    assert_eq!(
        b.on_frame(&hb(94)).unwrap(),
        Outcome::Gap {
            expected: 95,
            got: 94
        }
    );
    assert!(!b.is_synced());
}

#[test]
fn counted_heartbeats_vouch_for_every_update() {
    let mut b = book(HeartbeatCheck::Count);
    assert_eq!(b.on_frame(SNAP).unwrap(), Outcome::Snapshot);
    assert!(!b.is_synced(), "no heartbeat yet");
    assert_eq!(
        b.on_frame(&hb(10)).unwrap(),
        Outcome::Confirmed { changed: false }
    );
    assert!(b.is_synced());
    b.on_frame(&update("buy", "10101.11", "1")).unwrap();
    assert!(!b.is_synced(), "an update waits for its heartbeat");
    assert_eq!(
        b.on_frame(&hb(11)).unwrap(),
        Outcome::Confirmed { changed: true }
    );
    assert!(b.is_synced());
    // a lost update: the next heartbeat counts two steps for one update received
    b.on_frame(&update("buy", "10101.12", "1")).unwrap();
    assert_eq!(
        b.on_frame(&hb(13)).unwrap(),
        Outcome::Gap {
            expected: 12,
            got: 13
        }
    );
    assert!(!b.is_synced() && b.book.best_bid().is_none());
    // a duplicate: two updates received for one step
    b.on_frame(SNAP).unwrap();
    b.on_frame(&hb(20)).unwrap();
    b.on_frame(&update("buy", "10101.12", "1")).unwrap();
    b.on_frame(&update("buy", "10101.12", "1")).unwrap();
    assert_eq!(
        b.on_frame(&hb(21)).unwrap(),
        Outcome::Gap {
            expected: 22,
            got: 21
        }
    );
    // updates before the first heartbeat cannot be vouched for
    b.on_frame(SNAP).unwrap();
    b.on_frame(&update("buy", "10101.12", "1")).unwrap();
    assert!(matches!(b.on_frame(&hb(30)).unwrap(), Outcome::Gap { .. }));
}

#[test]
fn hostile_and_foreign_frames() {
    let mut b = book(HeartbeatCheck::Advance);
    let mut p = b.parser.clone();
    assert_eq!(
        p.parse_frame(br#"{"type":"subscriptions","channels":[{"name":"level2_batch","product_ids":["BTC-USD"]}]}"#)
            .unwrap(),
        Frame::Other
    );
    assert_eq!(
        p.parse_frame(br#"{"type":"error","message":"Failed to subscribe","reason":"BTC-XYZ is not a valid product"}"#)
            .unwrap(),
        Frame::Error("Failed to subscribe: BTC-XYZ is not a valid product".into())
    );
    assert!(matches!(
        p.parse_frame(br#"{"type":"l2update","product_id":"ETH-USD","changes":[]}"#),
        Err(DepthError::WrongProduct { .. })
    ));
    assert!(matches!(
        p.parse_frame(
            br#"{"type":"l2update","product_id":"BTC-USD","changes":[["hold","1","1"]]}"#
        ),
        Err(DepthError::BadSide(_))
    ));
    assert!(
        p.parse_frame(
            br#"{"type":"l2update","product_id":"BTC-USD","changes":[["buy","1.001","1"]]}"#
        )
        .is_err()
    );
    assert!(
        p.parse_frame(
            br#"{"type":"l2update","product_id":"BTC-USD","changes":[["buy","1e400","1"]]}"#
        )
        .is_err()
    );
    assert!(
        p.parse_frame(br#"{"type":"l2update","product_id":"BTC-USD","chan"#)
            .is_err()
    );
    assert!(p.parse_frame(b"<html>502</html>").is_err());
    assert!(matches!(
        p.parse_frame(br#"{"type":"snapshot","product_id":"BTC-USD","bids":[]}"#),
        Err(DepthError::Missing("asks"))
    ));
    assert!(matches!(
        p.parse_frame(br#"{"type":"heartbeat","product_id":"BTC-USD"}"#),
        Err(DepthError::Missing("sequence"))
    ));
    // unknown fields and any field order
    assert_eq!(
        p.parse_frame(br#"{"time":"x","changes":[["sell","1.00","2"]],"extra":{"a":[1]},"product_id":"BTC-USD","type":"l2update"}"#)
            .unwrap(),
        Frame::Update
    );
    assert_eq!(p.asks.len(), 1);
    // a snapshot level with a third element (order count) is read
    assert_eq!(
        p.parse_frame(
            br#"{"type":"snapshot","product_id":"BTC-USD","bids":[["1.00","2",3]],"asks":[]}"#
        )
        .unwrap(),
        Frame::Snapshot
    );
    assert!(b.on_frame(b"{}").is_ok());
}
