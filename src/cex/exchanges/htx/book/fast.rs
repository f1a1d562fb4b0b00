//! The fixed-layout reader of HTX's MBP pushes: the exact bytes HTX sends,
//! `{"ch":"market.btcusdt.mbp.400","ts":1573199608679,"tick":{"seqNum":100020146795,
//! "prevSeqNum":100020146794,"bids":[[618.37,71.594],…],"asks":[…]}}` (either side may be absent,
//! in either order), read with the fixed parts compared as bytes and the prices and sizes read
//! straight onto the grids a word at a time. Anything else — another key order, white space, a
//! `req` answer, strings for numbers, a number off the grid or of an unusual form — is not read
//! here ([`read`] answers `false`) and goes to the general scanner (`book.rs`), which gives the
//! same answer on what this one reads (tested on random pushes) and the exact error on the rest.

use crate::cex::book::Level;
use crate::cex::grid::Grid;
use crate::cex::json_scan::{canonical_int, literal as expect, plain_string_end};

use super::Msg;

const HEAD: &[u8] = br#"{"ch":""#;
const TS: &[u8] = br#"","ts":"#;
const SEQ: &[u8] = br#","tick":{"seqNum":"#;
const PREV: &[u8] = br#","prevSeqNum":"#;
const BIDS: &[u8] = br#","bids":["#;
const ASKS: &[u8] = br#","asks":["#;
const TAIL: &[u8] = b"}}";

/// A non-negative canonical integer at `i` and the position after it.
#[inline(always)]
fn unsigned(msg: &[u8], i: usize) -> Option<(u64, usize)> {
    let (v, after) = canonical_int(msg, i)?;
    Some((u64::try_from(v).ok()?, after))
}

/// Reads `msg` into `m` if it is an MBP push in HTX's exact layout (`m` is left as the general
/// reader leaves it for the same push). `false`: not this layout (`m`'s levels may hold part of
/// it; the caller reads it the general way, which starts by clearing them).
#[inline]
pub(super) fn read(msg: &[u8], price: &Grid, size: &Grid, m: &mut Msg) -> bool {
    read_into(msg, price, size, m).is_some()
}

#[inline(always)]
fn read_into(msg: &[u8], price: &Grid, size: &Grid, m: &mut Msg) -> Option<()> {
    m.bids.clear();
    m.asks.clear();
    let mut i = expect(msg, 0, HEAD)?;
    i = plain_string_end(msg, i)?;
    i = expect(msg, i, TS)?;
    // the time is not used: any canonical integer
    let (_, after) = canonical_int(msg, i)?;
    i = expect(msg, after, SEQ)?;
    let (seq, after) = unsigned(msg, i)?;
    i = expect(msg, after, PREV)?;
    let (prev, mut i) = unsigned(msg, i)?;
    let (mut bids, mut asks) = (false, false);
    loop {
        if let Some(at) = expect(msg, i, BIDS).filter(|_| !bids) {
            bids = true;
            i = levels(msg, at, price, size, &mut m.bids)?;
        } else if let Some(at) = expect(msg, i, ASKS).filter(|_| !asks) {
            asks = true;
            i = levels(msg, at, price, size, &mut m.asks)?;
        } else {
            break;
        }
    }
    if msg.get(i..)? != TAIL {
        return None;
    }
    m.snapshot = false;
    m.refused = None;
    m.seq = Some(seq);
    m.prev = Some(prev);
    Some(())
}

/// `[P,S],…]` from `i` (just after the `[`), numbers bare: the position after the `]`.
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
        i = expect(msg, i, b"[")?;
        let (ticks, after) = price.parse_ended(msg, i, b',')?;
        let (lots, after) = size.parse_ended(msg, after, b']')?;
        out.push(Level { ticks, lots });
        match *msg.get(after)? {
            b',' => i = after + 1,
            b']' => return Some(after + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::super::{BookOutcome, HtxBook, parse};
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
            .map(|&(p, q, trim)| format!("[{},{}]", number(p, 2, trim), number(q, 8, trim)))
            .collect();
        format!("[{}]", v.join(","))
    }

    /// A push; `sides`: 0 both (bids first), 1 both (asks first), 2 bids only, 3 asks only.
    fn push(prev: u64, seq: u64, bids: &str, asks: &str, sides: u8) -> String {
        let body = match sides {
            0 => format!(r#","bids":{bids},"asks":{asks}"#),
            1 => format!(r#","asks":{asks},"bids":{bids}"#),
            2 => format!(r#","bids":{bids}"#),
            _ => format!(r#","asks":{asks}"#),
        };
        format!(
            r#"{{"ch":"market.btcusdt.mbp.400","ts":1573199608679,"tick":{{"seqNum":{seq},"prevSeqNum":{prev}{body}}}}}"#
        )
    }

    fn snap(seq: u64, bids: &str, asks: &str) -> String {
        format!(
            r#"{{"id":"1","rep":"market.btcusdt.mbp.400","status":"ok","ts":0,"data":{{"seqNum":{seq},"bids":{bids},"asks":{asks}}}}}"#
        )
    }

    /// Levels around 60,000.00 (ticks of 0.01).
    fn book_levels() -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
        side(5_999_900..6_000_100)
    }

    type Step = (
        Vec<(u64, u64, bool)>,
        Vec<(u64, u64, bool)>,
        u8,
        u8,
        Option<(usize, u8)>,
    );

    /// One push: its levels, which sides it carries, how its ids follow the last (0: in
    /// sequence, else a gap, a duplicate or a new snapshot), and an edit (a byte replaced, or
    /// none).
    fn step() -> impl Strategy<Value = Step> {
        (
            book_levels(),
            book_levels(),
            0u8..4,
            prop::sample::select(vec![0u8, 0, 0, 0, 0, 0, 1, 2, 3]),
            byte_edit(),
        )
    }

    proptest! {
        /// The fixed-layout reader and the general scanner leave the same book and say the same
        /// thing, on pushes in HTX's layout and on the same with any byte replaced.
        #[test]
        fn fast_path_equals_general_path(
            snapshot in (book_levels(), book_levels()),
            steps in prop::collection::vec(step(), 1..40),
        ) {
            let (p, s) = grids();
            let (mut fast, mut general) = (HtxBook::new(p, s), HtxBook::new(p, s));
            let (b, a) = (levels_json(&snapshot.0), levels_json(&snapshot.1));
            let first = snap(100, &b, &a);
            prop_assert_eq!(fast.on_message(first.as_bytes()), general.on_message_general(first.as_bytes()));
            let mut seq = 100u64;
            for (bids, asks, sides, jump, edit) in steps {
                let (b, a) = (levels_json(&bids), levels_json(&asks));
                let msg = match jump {
                    0 => push(seq, seq + 1, &b, &a, sides),
                    1 => push(seq + 5, seq + 6, &b, &a, sides),
                    2 => push(seq.saturating_sub(3), seq.saturating_sub(2), &b, &a, sides),
                    _ => snap(seq + 1, &b, &a),
                };
                seq += 1;
                let msg = edited(msg, edit);
                let f = fast.on_message(&msg);
                let g = general.on_message_general(&msg);
                prop_assert_eq!(&f, &g, "{}", String::from_utf8_lossy(&msg));
                prop_assert_eq!(fast.seq_num(), general.seq_num());
                prop_assert_eq!(&fast.book, &general.book);
                if general.seq_num().is_none() {
                    // resynced by a snapshot, as the live book does
                    let again = snap(seq, &b, &a);
                    prop_assert_eq!(fast.on_message(again.as_bytes()), general.on_message_general(again.as_bytes()));
                }
            }
        }
    }

    #[test]
    fn the_exact_layout_is_read_and_others_are_left_to_the_general_scanner() {
        let (p, s) = grids();
        let mut m = Msg::default();
        let msg = push(122, 123, "[[8476.98,415]]", "[[8477,0.5],[8478.1,0]]", 0);
        assert!(read(msg.as_bytes(), &p, &s, &mut m));
        assert_eq!((m.seq, m.prev, m.snapshot), (Some(123), Some(122), false));
        assert_eq!(
            m.bids,
            [Level {
                ticks: 847_698,
                lots: 41_500_000_000
            }]
        );
        assert_eq!(
            m.asks,
            [
                Level {
                    ticks: 847_700,
                    lots: 50_000_000
                },
                Level {
                    ticks: 847_810,
                    lots: 0
                }
            ]
        );
        // what the general reader makes of it is the same message
        let mut g = Msg::default();
        assert_eq!(parse(msg.as_bytes(), &p, &s, &mut g), Ok(true));
        assert_eq!(
            (g.seq, g.prev, &g.bids, &g.asks),
            (m.seq, m.prev, &m.bids, &m.asks)
        );
        for other in [
            msg.replace("\"bids\":[", "\"bids\": ["),
            msg.replace(":122,", ":0122,"),
            msg.replace(":122,", ":-122,"),
            msg.replace("8476.98", "8476.985"),
            msg.replace("8476.98", "\"8476.98\""),
            msg.replace("415]", "415,1]"),
            msg.replace(r#","asks":[[8477,0.5],[8478.1,0]]"#, r#","bids":[]"#),
            msg.replace("\"ts\":1573199608679,", ""),
            msg.replace("\"ch\"", "\"rep\""),
            msg.replace("}}", "}} "),
            msg[..msg.len() - 1].to_string(),
        ] {
            assert!(!read(other.as_bytes(), &p, &s, &mut m), "{other}");
        }
        // a push the general reader cannot use is an error either way
        let mut b = HtxBook::new(p, s);
        let bad = msg.replace("8476.98", "8476.985");
        assert!(b.on_message(bad.as_bytes()).is_err());
        assert!(matches!(
            b.on_message(msg.as_bytes()),
            Ok(BookOutcome::Buffered)
        ));
    }
}
