//! Unit tests of HTX's MBP continuity rule, against a reference book through faults.

use std::collections::BTreeMap;

use super::*;
use rust_decimal_macros::dec;

fn book() -> HtxBook {
    HtxBook::new(
        Grid::new(dec!(0.01)).unwrap(),
        Grid::new(dec!(0.0001)).unwrap(),
    )
}

fn push(prev: u64, seq: u64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{{"seqNum":{seq},"prevSeqNum":{prev},"bids":[{bids}],"asks":[{asks}]}}}}"#
    )
}

fn snap(seq: u64, bids: &str, asks: &str) -> String {
    format!(
        r#"{{"id":"1","rep":"market.btcusdt.mbp.150","status":"ok","data":{{"seqNum":{seq},"bids":[{bids}],"asks":[{asks}]}}}}"#
    )
}

#[test]
fn buffered_pushes_align_on_the_snapshot() {
    let mut b = book();
    assert_eq!(
        b.on_message(push(9, 10, "[100.1,1]", "").as_bytes())
            .unwrap(),
        BookOutcome::Buffered
    );
    assert_eq!(
        b.on_message(push(10, 11, "[100.2,2]", "").as_bytes())
            .unwrap(),
        BookOutcome::Buffered
    );
    assert_eq!(
        b.on_message(snap(10, "[100.1,1],[99,3]", "[101,4]").as_bytes())
            .unwrap(),
        BookOutcome::Snapshot { seq_num: 10 }
    );
    assert_eq!(b.seq_num(), Some(11));
    assert_eq!(b.book.best_bid().map(|l| l.ticks), Some(10020));
    assert_eq!(
        b.on_message(push(11, 12, "[100.2,0]", "").as_bytes())
            .unwrap(),
        BookOutcome::Applied
    );
    assert_eq!(b.book.best_bid().map(|l| l.ticks), Some(10010));
    assert_eq!(
        b.on_message(push(11, 12, "[100.2,0]", "").as_bytes())
            .unwrap(),
        BookOutcome::Duplicate
    );
    assert_eq!(
        b.on_message(push(13, 14, "", "").as_bytes()).unwrap(),
        BookOutcome::Gap {
            expected: 12,
            got: 13
        }
    );
    assert!(!b.is_synced());
}

#[test]
fn hostile_messages_reset_or_are_ignored() {
    let mut b = book();
    b.on_message(snap(1, "[100,1]", "[101,1]").as_bytes())
        .unwrap();
    assert!(b.on_message(b"{\"ping\":123}").unwrap() == BookOutcome::Other);
    assert!(b.is_synced());
    for bad in [
        push(1, 2, "[100.001,1]", ""),
        push(1, 2, "[1e3,1]", ""),
        push(1, 2, "[-1,1]", ""),
        push(1, 2, "[99999999999999999999999,1]", ""),
        push(1, 2, "[100,1", ""),
    ] {
        b.on_message(snap(1, "[100,1]", "[101,1]").as_bytes())
            .unwrap();
        assert!(b.on_message(bad.as_bytes()).is_err(), "{bad}");
        assert!(!b.is_synced(), "{bad}");
    }
    let refused = r#"{"id":"1","rep":"market.x.mbp.150","status":"error","err-code":"bad-request","err-msg":"invalid symbol"}"#;
    assert!(matches!(
        b.on_message(refused.as_bytes()),
        Err(BookError::Refused(_))
    ));
}

/// A tiny deterministic generator (no dependency needed for a test's randomness).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn side_text(levels: &[(u64, u64)]) -> String {
    levels
        .iter()
        .map(|(p, q)| {
            format!(
                "[{}.{:02},{}.{:04}]",
                p / 100,
                p % 100,
                q / 10000,
                q % 10000
            )
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// ≥10,000 updates delivered with drops, duplicates and reorders: whenever the book says it is
/// synced it equals the true book, and every gap is noticed (resynced by a fresh snapshot).
#[test]
fn the_book_matches_the_true_book_through_faults() {
    let mut rng = Lcg(7);
    let mut truth: [BTreeMap<u64, u64>; 2] = [BTreeMap::new(), BTreeMap::new()];
    let mut b = book();
    let mut seq = 1000u64;
    let (mut gaps, mut checked, mut held): (u32, u32, Option<String>) = (0, 0, None);
    let full = |t: &[BTreeMap<u64, u64>; 2]| {
        let v = |m: &BTreeMap<u64, u64>| m.iter().map(|(p, q)| (*p, *q)).collect::<Vec<_>>();
        (side_text(&v(&t[0])), side_text(&v(&t[1])))
    };
    let (bs, as_) = full(&truth);
    b.on_message(snap(seq, &bs, &as_).as_bytes()).unwrap();
    for _ in 0..12_000 {
        let mut sides = [Vec::new(), Vec::new()];
        for (i, side) in sides.iter_mut().enumerate() {
            for _ in 0..rng.below(4) {
                let base = if i == 0 { 10_000 } else { 10_100 };
                let p = base + rng.below(60) - if i == 0 { 60 } else { 0 };
                let q = if rng.below(4) == 0 {
                    0
                } else {
                    1 + rng.below(50_000)
                };
                side.push((p, q));
                if q == 0 {
                    truth[i].remove(&p);
                } else {
                    truth[i].insert(p, q);
                }
            }
        }
        let msg = push(seq, seq + 1, &side_text(&sides[0]), &side_text(&sides[1]));
        seq += 1;
        let mut deliver = vec![];
        match rng.below(100) {
            0 => {}                                  // dropped
            1 => deliver.extend([msg.clone(), msg]), // duplicated
            2 if held.is_none() => held = Some(msg), // held back: reordered
            _ => deliver.push(msg),
        }
        if rng.below(3) == 0
            && let Some(h) = held.take()
        {
            deliver.push(h);
        }
        for m in deliver {
            if let BookOutcome::Gap { .. } = b.on_message(m.as_bytes()).unwrap() {
                gaps += 1;
            }
        }
        if !b.is_synced() {
            let (bs, as_) = full(&truth);
            held = None;
            b.on_message(snap(seq, &bs, &as_).as_bytes()).unwrap();
        }
        if b.seq_num() == Some(seq) {
            let (bids, asks) = b.book.top(1000);
            let want = |m: &BTreeMap<u64, u64>, rev: bool| {
                let mut v: Vec<_> = m
                    .iter()
                    .map(|(p, q)| (b.book.price(*p), b.book.size(*q)))
                    .collect();
                if rev {
                    v.reverse();
                }
                v
            };
            let got = |v: Vec<crate::cex::book::DecimalLevel>| {
                v.into_iter().map(|l| (l.0, l.1)).collect::<Vec<_>>()
            };
            assert_eq!(got(bids), want(&truth[0], true), "bids at {seq}");
            assert_eq!(got(asks), want(&truth[1], false), "asks at {seq}");
            checked += 1;
        }
    }
    assert!(gaps > 50, "faults must have caused gaps: {gaps}");
    assert!(checked > 9_000, "compared {checked} times");
}
