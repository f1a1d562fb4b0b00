//! The fixed-layout reader of OKX's `books` pushes: the exact bytes OKX sends,
//! `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[["8476.98","415","0","13"],…],
//! "bids":[…],"ts":"1597026383085","checksum":0,"prevSeqId":123,"seqId":124}]}`, read with the
//! fixed parts compared as bytes and the prices and sizes read straight onto the grids a word at
//! a time. Anything else — another key order, white space, escapes, a number off the grid or of
//! an unusual form — is not read here ([`read`] answers `None`) and goes to the general scanner
//! (`book.rs`), which gives the same answer on what this one reads (tested on random pushes) and
//! the exact error on the rest.

use crate::cex::book::Level;
use crate::cex::grid::Grid;
use crate::cex::json_scan::{
    canonical_int as integer, literal as expect, plain_string_end as string_end,
};

const HEAD: &[u8] = br#"{"arg":{"channel":"books","instId":""#;
const ACTION: &[u8] = br#""},"action":""#;
const UPDATE: &[u8] = br#"update","data":[{"asks":["#;
const SNAPSHOT: &[u8] = br#"snapshot","data":[{"asks":["#;
const BIDS: &[u8] = br#","bids":["#;
const TS: &[u8] = br#","ts":""#;
const CHECKSUM: &[u8] = br#"","checksum":"#;
const PREV: &[u8] = br#","prevSeqId":"#;
const SEQ: &[u8] = br#","seqId":"#;
const TAIL: &[u8] = b"}]}";

/// A push read by the fixed layout (the levels are in the caller's vectors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Read {
    pub snapshot: bool,
    pub checksum: i32,
    pub prev_seq: i64,
    pub seq: i64,
}

/// Reads `msg` if it has OKX's exact layout of a `books` push; the levels go to `bids` and
/// `asks` (cleared first). `None`: not this layout (the caller reads it the general way).
#[inline]
pub(super) fn read(
    msg: &[u8],
    price: &Grid,
    size: &Grid,
    bids: &mut Vec<Level>,
    asks: &mut Vec<Level>,
) -> Option<Read> {
    bids.clear();
    asks.clear();
    let mut i = expect(msg, 0, HEAD)?;
    i = string_end(msg, i)?;
    i = expect(msg, i, ACTION)?;
    let snapshot = match msg.get(i)? {
        b'u' => false,
        b's' => true,
        _ => return None,
    };
    i = expect(msg, i, if snapshot { SNAPSHOT } else { UPDATE })?;
    i = levels(msg, i, price, size, asks)?;
    i = expect(msg, i, BIDS)?;
    i = levels(msg, i, price, size, bids)?;
    i = expect(msg, i, TS)?;
    i = string_end(msg, i)?;
    i = expect(msg, i, CHECKSUM)?;
    let (checksum, after) = integer(msg, i)?;
    i = expect(msg, after, PREV)?;
    let (prev_seq, after) = integer(msg, i)?;
    i = expect(msg, after, SEQ)?;
    let (seq, after) = integer(msg, i)?;
    if msg.get(after..)? != TAIL {
        return None;
    }
    Some(Read {
        snapshot,
        checksum: i32::try_from(checksum).ok()?,
        prev_seq,
        seq,
    })
}

/// `["px","sz",…],…]` from `i` (just after the `[`): the position after the `]`. Fields after the
/// size must be strings without escapes (OKX's `"0"` and order count).
#[inline(always)]
fn levels(
    msg: &[u8],
    mut i: usize,
    price: &Grid,
    size: &Grid,
    out: &mut Vec<Level>,
) -> Option<usize> {
    if *msg.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        i = expect(msg, i, b"[\"")?;
        let (ticks, after) = price.parse_quoted(msg, i)?;
        i = expect(msg, after, b",\"")?;
        let (lots, mut after) = size.parse_quoted(msg, i)?;
        loop {
            match *msg.get(after)? {
                b',' => {
                    after = expect(msg, after + 1, b"\"")?;
                    after = string_end(msg, after)? + 1;
                }
                b']' => break,
                _ => return None,
            }
        }
        out.push(Level { ticks, lots });
        match *msg.get(after + 1)? {
            b',' => i = after + 2,
            b']' => return Some(after + 2),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::super::book::OkxBook;
    use super::*;
    use crate::cex::exchanges::book_fuzz::{byte_edit, decimal_text as number, edited, side};

    fn grids() -> (Grid, Grid) {
        (
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00000001)).unwrap(),
        )
    }

    fn levels_json(levels: &[(u64, u64, bool)]) -> String {
        let v: Vec<String> = levels
            .iter()
            .map(|&(p, q, trim)| {
                format!(
                    r#"["{}","{}","0","{}"]"#,
                    number(p, 2, trim),
                    number(q, 8, trim),
                    p % 7
                )
            })
            .collect();
        format!("[{}]", v.join(","))
    }

    fn push(action: &str, bids: &str, asks: &str, checksum: i64, prev: i64, seq: i64) -> String {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":{asks},"bids":{bids},"ts":"1597026383085","checksum":{checksum},"prevSeqId":{prev},"seqId":{seq}}}]}}"#
        )
    }

    /// Levels around 60,000.00 (ticks of 0.01).
    fn book_levels() -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
        side(5_999_900..6_000_100)
    }

    type Step = (
        Vec<(u64, u64, bool)>,
        Vec<(u64, u64, bool)>,
        i64,
        Option<(usize, u8)>,
    );

    /// One push: its levels, how its ids follow the last (0: in sequence, else a gap, a
    /// duplicate or a reset), and an edit (a byte replaced, or none).
    fn step() -> impl Strategy<Value = Step> {
        (
            book_levels(),
            book_levels(),
            prop::sample::select(vec![0i64, 0, 0, 0, 0, 0, 1, 2, 3]),
            byte_edit(),
        )
    }

    proptest! {
        /// The fixed-layout reader and the general scanner leave the same book and say the same
        /// thing, on pushes in OKX's layout and on the same with any byte replaced.
        #[test]
        fn fast_path_equals_general_path(
            snapshot in (book_levels(), book_levels()),
            steps in prop::collection::vec(step(), 1..40),
        ) {
            let (p, s) = grids();
            let (mut fast, mut general) = (OkxBook::new(p, s), OkxBook::new(p, s));
            let (b, a) = (levels_json(&snapshot.0), levels_json(&snapshot.1));
            let first = push("snapshot", &b, &a, 0, -1, 100);
            prop_assert_eq!(fast.on_message(first.as_bytes()), general.on_message_general(first.as_bytes()));
            let mut seq = 100i64;
            for (bids, asks, jump, edit) in steps {
                let (b, a) = (levels_json(&bids), levels_json(&asks));
                let msg = match jump {
                    0 => push("update", &b, &a, 0, seq, seq + 1),
                    1 => push("update", &b, &a, 0, seq + 5, seq + 6),
                    2 => push("update", &b, &a, 0, seq, 3),
                    _ => push("snapshot", &b, &a, 0, -1, seq + 1),
                };
                seq = if jump == 2 { 3 } else { seq + 1 };
                let msg = edited(msg, edit);
                let f = fast.on_message(&msg);
                let g = general.on_message_general(&msg);
                prop_assert_eq!(&f, &g, "{}", String::from_utf8_lossy(&msg));
                prop_assert_eq!(fast.seq_id(), general.seq_id());
                prop_assert_eq!(&fast.book, &general.book);
                if general.seq_id().is_none() {
                    // resynced by a snapshot, as the live book does
                    let again = push("snapshot", &b, &a, 0, -1, seq);
                    prop_assert_eq!(fast.on_message(again.as_bytes()), general.on_message_general(again.as_bytes()));
                }
            }
        }
    }

    #[test]
    fn the_exact_layout_is_read_and_others_are_left_to_the_general_scanner() {
        let (p, s) = grids();
        let (mut b, mut a) = (Vec::new(), Vec::new());
        let msg = push(
            "update",
            r#"[["8476.98","415","0","13"]]"#,
            r#"[["8477","0.5","0","1"],["8478.1","0","0","0"]]"#,
            -855_196_043,
            122,
            123,
        );
        let r = read(msg.as_bytes(), &p, &s, &mut b, &mut a).unwrap();
        assert_eq!(
            r,
            Read {
                snapshot: false,
                checksum: -855_196_043,
                prev_seq: 122,
                seq: 123
            }
        );
        assert_eq!(
            b,
            [Level {
                ticks: 847_698,
                lots: 41_500_000_000
            }]
        );
        assert_eq!(a.len(), 2);
        assert_eq!(
            a[0],
            Level {
                ticks: 847_700,
                lots: 50_000_000
            }
        );
        for other in [
            msg.replace("\"bids\":[", "\"bids\": ["),
            msg.replace("-855196043", "-8551960430"),
            msg.replace(":122,", ":0122,"),
            msg.replace("8476.98", "8476.985"),
            msg.replace("\"13\"", "13"),
            msg.replace("\"ts\":\"1597026383085\",", ""),
            msg.replace("books", "books5"),
            msg.replace("}]}", "}]} "),
            msg.replace("update", "partial"),
            msg[..msg.len() - 1].to_string(),
        ] {
            assert_eq!(
                read(other.as_bytes(), &p, &s, &mut b, &mut a),
                None,
                "{other}"
            );
        }
    }
}
