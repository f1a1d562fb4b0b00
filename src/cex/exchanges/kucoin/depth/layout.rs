//! The fast path for a `trade.l2update` push laid out byte for byte as KuCoin sends it:
//! `{"type":"message","topic":"/market/level2:<SYMBOL>","subject":"trade.l2update","data":
//! {"changes":{"asks":[["p","q","seq"],…],"bids":[…]},"sequenceEnd":<n>,"sequenceStart":<n>,
//! "symbol":"<SYMBOL>","time":<ms>}}` with no blanks and nothing after the closing brace. The
//! fixed parts are compared as byte strings, each price and size goes straight to ticks and lots
//! on the symbol's grids ([`Grid::parse_quoted`], a word at a time) and each sequence is read as
//! a canonical integer, with no allocation. Anything else — another key order, blanks, an
//! unquoted or non-canonical sequence, a malformed or off-grid value, another symbol,
//! `sequenceStart > sequenceEnd`, a side over [`MAX_LEVELS_PER_MESSAGE`] — answers `None`, and
//! the general scanner reads the frame and gives the exact answer or error: both paths accept the
//! same pushes with the same result (held to it by the tests below).

use crate::cex::book::Level;
use crate::cex::grid::Grid;
use crate::cex::json_scan::{canonical_int, literal};

use super::{Changes, MAX_LEVELS_PER_MESSAGE, SUBJECT, UpdateIds};

const BIDS: &[u8] = br#","bids":["#;
const SEQUENCE_END: &[u8] = br#"},"sequenceEnd":"#;
const SEQUENCE_START: &[u8] = br#","sequenceStart":"#;
const TIME: &[u8] = br#"","time":"#;
const TAIL: &[u8] = b"}}";

/// The fixed parts of one symbol's push that contain the symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Layout {
    /// Everything up to the first ask: `{"type":"message","topic":"/market/level2:<SYMBOL>",…
    /// "changes":{"asks":[`.
    head: Vec<u8>,
    /// `,"symbol":"<SYMBOL>`.
    symbol: Vec<u8>,
}

impl Layout {
    pub(super) fn new(symbol: &str) -> Self {
        let head = [
            br#"{"type":"message","topic":"/market/level2:"#.as_slice(),
            symbol.as_bytes(),
            br#"","subject":""#,
            SUBJECT.as_bytes(),
            br#"","data":{"changes":{"asks":["#,
        ]
        .concat();
        let symbol = [br#","symbol":""#.as_slice(), symbol.as_bytes()].concat();
        Self { head, symbol }
    }
}

/// Reads a push in KuCoin's exact layout into `bids` and `asks`; `None` for any other input (the
/// buffers may then hold a partial read, which the general parser overwrites).
#[inline]
pub(super) fn read(
    layout: &Layout,
    price: &Grid,
    size: &Grid,
    buf: &[u8],
    bids: &mut Changes,
    asks: &mut Changes,
) -> Option<UpdateIds> {
    let i = literal(buf, 0, &layout.head)?;
    let i = levels(price, size, buf, i, asks)?;
    let i = literal(buf, i, BIDS)?;
    let i = levels(price, size, buf, i, bids)?;
    let i = literal(buf, i, SEQUENCE_END)?;
    let (last, i) = uint(buf, i)?;
    let i = literal(buf, i, SEQUENCE_START)?;
    let (first, i) = uint(buf, i)?;
    let i = literal(buf, i, &layout.symbol)?;
    let i = literal(buf, i, TIME)?;
    let (_time, i) = uint(buf, i)?;
    (buf.get(i..)? == TAIL && first <= last).then_some(UpdateIds { first, last })
}

/// An unsigned integer written the canonical JSON way (no sign, no leading zero, at most 18
/// digits) at `i`, and the position after it.
#[inline(always)]
fn uint(buf: &[u8], i: usize) -> Option<(u64, usize)> {
    if !buf.get(i)?.is_ascii_digit() {
        return None;
    }
    let (v, after) = canonical_int(buf, i)?;
    Some((u64::try_from(v).ok()?, after))
}

/// `["price","size","sequence"],…]` from `i` (after the opening bracket) into `out`; the
/// position after the closing bracket.
#[inline(always)]
fn levels(price: &Grid, size: &Grid, buf: &[u8], mut i: usize, out: &mut Changes) -> Option<usize> {
    out.clear();
    if *buf.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        i = literal(buf, i, b"[\"")?;
        // a price of "0" (a change that only moves the sequence) is 0 ticks on any grid
        let (ticks, j) = price.parse_quoted(buf, i)?;
        let j = literal(buf, j, b",\"")?;
        let (lots, j) = size.parse_quoted(buf, j)?;
        let j = literal(buf, j, b",\"")?;
        let (seq, j) = uint(buf, j)?;
        let j = literal(buf, j, b"\"]")?;
        if out.levels.len() >= MAX_LEVELS_PER_MESSAGE {
            return None;
        }
        out.levels.push(Level { ticks, lots });
        out.seqs.push(seq);
        match *buf.get(j)? {
            b',' => i = j + 1,
            b']' => return Some(j + 1),
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    use super::super::{DepthParser, Frame};
    use super::*;
    use crate::cex::exchanges::book_fuzz::{byte_edit, decimal_text as number, edited, side};

    fn parser() -> DepthParser {
        DepthParser::new(
            "BTC-USDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00000001)).unwrap(),
        )
    }

    /// Levels `[price, size, sequence]`, sequences from `seq` on.
    fn levels_json(levels: &[(u64, u64, bool)], seq: u64) -> String {
        let v: Vec<String> = levels
            .iter()
            .zip(seq..)
            .map(|(&(p, q, trim), s)| {
                format!(
                    r#"["{}","{}","{s}"]"#,
                    if p % 13 == 0 {
                        "0".to_string()
                    } else {
                        number(p, 2, trim)
                    },
                    number(q, 8, trim)
                )
            })
            .collect();
        format!("[{}]", v.join(","))
    }

    fn push(asks: &str, bids: &str, end: u64, start: u64) -> String {
        format!(
            r#"{{"type":"message","topic":"/market/level2:BTC-USDT","subject":"trade.l2update","data":{{"changes":{{"asks":{asks},"bids":{bids}}},"sequenceEnd":{end},"sequenceStart":{start},"symbol":"BTC-USDT","time":1663747970273}}}}"#
        )
    }

    /// What a parser made of a frame: its answer and its buffers when it read a push.
    type Parsed = (
        Result<Frame, super::super::DepthError>,
        Option<(Vec<Level>, Vec<u64>, Vec<Level>, Vec<u64>)>,
    );

    fn outcome(p: &DepthParser, r: Result<Frame, super::super::DepthError>) -> Parsed {
        let bufs = matches!(r, Ok(Frame::Update(_))).then(|| {
            (
                p.bids.levels.clone(),
                p.bids.seqs.clone(),
                p.asks.levels.clone(),
                p.asks.seqs.clone(),
            )
        });
        (r, bufs)
    }

    proptest! {
        /// The fast path and the general scanner give the same answer and the same changes, on
        /// pushes in KuCoin's layout and on the same with any byte replaced.
        #[test]
        fn fast_path_equals_general_path(
            asks in side(5_999_900..6_000_100),
            bids in side(5_999_900..6_000_100),
            start in 1u64..1_000_000_000_000,
            span in 0u64..3,
            swap in prop::sample::select(vec![false, false, false, true]),
            edit in byte_edit(),
        ) {
            let end = start + span;
            let (a, b) = (levels_json(&asks, start), levels_json(&bids, start + 7));
            // now and then sequenceStart > sequenceEnd (refused by both)
            let msg = if swap { push(&a, &b, start, end) } else { push(&a, &b, end, start) };
            let msg = edited(msg, edit);
            let (mut fast, mut general) = (parser(), parser());
            let f = fast.parse_frame(&msg);
            let g = general.parse_frame_general(&msg);
            prop_assert_eq!(
                outcome(&fast, f),
                outcome(&general, g),
                "{}",
                String::from_utf8_lossy(&msg)
            );
        }
    }

    #[test]
    fn the_exact_layout_is_read_and_others_are_left_to_the_general_scanner() {
        let p = parser();
        let layout = Layout::new("BTC-USDT");
        let (price, size) = (
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00000001)).unwrap(),
        );
        let (mut b, mut a) = (Changes::default(), Changes::default());
        let msg = push(
            r#"[["18906","0.00331","14103845"],["0","0","14103846"]]"#,
            r#"[["18891.9","0.15688","14103847"]]"#,
            14_103_847,
            14_103_844,
        );
        let ids = read(&layout, &price, &size, msg.as_bytes(), &mut b, &mut a).unwrap();
        assert_eq!(
            ids,
            UpdateIds {
                first: 14_103_844,
                last: 14_103_847
            }
        );
        assert_eq!(
            a.levels,
            [
                Level {
                    ticks: 1_890_600,
                    lots: 331_000
                },
                Level { ticks: 0, lots: 0 }
            ]
        );
        assert_eq!(a.seqs, [14_103_845, 14_103_846]);
        assert_eq!(
            b.levels,
            [Level {
                ticks: 1_889_190,
                lots: 15_688_000
            }]
        );
        assert_eq!(b.seqs, [14_103_847]);
        assert_eq!(p.symbol(), "BTC-USDT");
        for other in [
            msg.replace("\"bids\":[", "\"bids\": ["),
            msg.replace("\"14103845\"", "14103845"),
            msg.replace("\"14103845\"", "\"014103845\""),
            msg.replace("\"14103845\"", "\"+14103845\""),
            msg.replace(":14103844,", ":014103844,"),
            msg.replace("18891.9", "18891.999"),
            msg.replace("\"symbol\":\"BTC-USDT\"", "\"symbol\":\"ETH-USDT\""),
            msg.replace(",\"time\":1663747970273", ""),
            msg.replace("trade.l2update", "trade.l2update2"),
            msg.replace(":14103847,", ":14103843,"),
            msg.replace("}}", "}} "),
            msg[..msg.len() - 1].to_string(),
        ] {
            assert_eq!(
                read(&layout, &price, &size, other.as_bytes(), &mut b, &mut a),
                None,
                "{other}"
            );
        }
    }
}
