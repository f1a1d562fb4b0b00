//! The fixed-layout reader of Kraken's `book` messages: the exact bytes Kraken sends,
//! `{"channel":"book","type":"update","data":[{"symbol":"BTC/USD","bids":[{"price":45283.5,"qty":0.1},…],
//! "asks":[…],"checksum":3310070434,"timestamp":"…"}]}`, read with the fixed parts compared as
//! bytes and the numbers read straight onto the grids a word at a time. Anything else — another
//! key order, white space, another symbol, a number off the grid or of an unusual form — is not
//! read here ([`read`] answers `None`) and goes to the general reader (`book.rs`), which gives the
//! same answer on what this one reads (tested on random messages) and the exact error on the rest.

use crate::cex::book::Level;
use crate::cex::grid::{Grid, ShapeGuess};
use crate::cex::json_scan::{canonical_int, literal as expect, plain_string_end};

const HEAD: &[u8] = br#"{"channel":"book","type":""#;
const UPDATE: &[u8] = br#"update","data":[{"symbol":""#;
const SNAPSHOT: &[u8] = br#"snapshot","data":[{"symbol":""#;
const BIDS: &[u8] = br#"","bids":["#;
const ASKS: &[u8] = br#","asks":["#;
const CHECKSUM: &[u8] = br#","checksum":"#;
const TIMESTAMP: &[u8] = br#","timestamp":""#;
const TAIL: &[u8] = br#""}]}"#;
const PRICE: &[u8] = br#"{"price":"#;
const QTY: &[u8] = br#""qty":"#;

/// A message read by the fixed layout: snapshot or update, and its checksum; the levels are in
/// the caller's vectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Read {
    pub snapshot: bool,
    pub checksum: u32,
}

/// The shapes of the last price and quantity read (see [`Grid::parse_ended_guessed`]).
pub(super) type Guesses = (Option<ShapeGuess>, Option<ShapeGuess>);

/// Reads `msg` if it has Kraken's exact layout for `symbol`; the levels go to `bids` and `asks`
/// (cleared first), prices and quantities read in the shapes of `guesses` when they have them.
/// `None`: not this layout (the caller reads it the general way).
#[inline]
#[allow(clippy::too_many_arguments)]
pub(super) fn read(
    msg: &[u8],
    symbol: &[u8],
    price: &Grid,
    size: &Grid,
    bids: &mut Vec<Level>,
    asks: &mut Vec<Level>,
    guesses: &mut Guesses,
) -> Option<Read> {
    bids.clear();
    asks.clear();
    let mut i = expect(msg, 0, HEAD)?;
    let snapshot = match msg.get(i)? {
        b'u' => false,
        b's' => true,
        _ => return None,
    };
    i = expect(msg, i, if snapshot { SNAPSHOT } else { UPDATE })?;
    i = expect(msg, i, symbol)?;
    i = expect(msg, i, BIDS)?;
    i = levels(msg, i, price, size, bids, guesses)?;
    i = expect(msg, i, ASKS)?;
    i = levels(msg, i, price, size, asks, guesses)?;
    i = expect(msg, i, CHECKSUM)?;
    let (checksum, after) = canonical_int(msg, i)?;
    i = expect(msg, after, TIMESTAMP)?;
    // the timestamp is not read: a string without escapes, then the tail
    i = plain_string_end(msg, i)?;
    if msg.get(i..)? != TAIL {
        return None;
    }
    Some(Read {
        snapshot,
        checksum: u32::try_from(checksum).ok()?,
    })
}

/// `{"price":P,"qty":Q},…]` from `i` (just after the `[`): the position after the `]`.
#[inline(always)]
fn levels(
    msg: &[u8],
    mut i: usize,
    price: &Grid,
    size: &Grid,
    out: &mut Vec<Level>,
    guesses: &mut Guesses,
) -> Option<usize> {
    if *msg.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        i = expect(msg, i, PRICE)?;
        let (ticks, after) = price.parse_ended_guessed(msg, i, b',', &mut guesses.0)?;
        i = expect(msg, after, QTY)?;
        let (lots, after) = size.parse_ended_guessed(msg, i, b'}', &mut guesses.1)?;
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

    use super::super::book::tests::btc_book as book;
    use super::super::book::{BookOutcome, KrakenBook};
    use super::*;
    use crate::cex::exchanges::book_fuzz::{byte_edit, decimal_text as number, edited, side};

    fn levels_json(levels: &[(u64, u64, bool)]) -> String {
        let v: Vec<String> = levels
            .iter()
            .map(|&(p, q, trim)| {
                format!(
                    r#"{{"price":{},"qty":{}}}"#,
                    number(p, 1, trim),
                    number(q, 8, trim)
                )
            })
            .collect();
        format!("[{}]", v.join(","))
    }

    fn message(kind: &str, bids: &str, asks: &str, checksum: &str) -> String {
        format!(
            r#"{{"channel":"book","type":"{kind}","data":[{{"symbol":"BTC/USD","bids":{bids},"asks":{asks},"checksum":{checksum},"timestamp":"2023-10-06T17:35:55.440295Z"}}]}}"#
        )
    }

    /// The checksum `book` has after the message (0 when it does not apply).
    fn true_checksum(book: &KrakenBook, kind: &str, bids: &str, asks: &str) -> u32 {
        let mut probe = book.clone();
        match probe.on_message_general(message(kind, bids, asks, "0").as_bytes()) {
            Ok(BookOutcome::Mismatch { computed, .. }) => computed,
            _ => 0,
        }
    }

    /// Levels around 45,000.0 (ticks of 0.1).
    fn book_levels() -> impl Strategy<Value = Vec<(u64, u64, bool)>> {
        side(449_900..450_100)
    }

    /// One message: the update's levels, whether its checksum is the right one, and an edit
    /// (a byte replaced, or none).
    type Step = (
        Vec<(u64, u64, bool)>,
        Vec<(u64, u64, bool)>,
        bool,
        Option<(usize, u8)>,
    );

    fn step() -> impl Strategy<Value = Step> {
        (
            book_levels(),
            book_levels(),
            prop::bool::weighted(0.9),
            byte_edit(),
        )
    }

    proptest! {
        /// The fixed-layout reader and the general one leave the same book and say the same
        /// thing, on messages in Kraken's layout and on the same with any byte replaced.
        #[test]
        fn fast_path_equals_general_path(
            snapshot in (book_levels(), book_levels()),
            steps in prop::collection::vec(step(), 1..40),
            depth in prop::sample::select(vec![10usize, 25]),
        ) {
            let (mut fast, mut general) = (book(depth), book(depth));
            // a snapshot with its true checksum
            let (b, a) = (levels_json(&snapshot.0), levels_json(&snapshot.1));
            let sum = true_checksum(&book(depth), "snapshot", &b, &a);
            let first = message("snapshot", &b, &a, &sum.to_string());
            prop_assert_eq!(fast.on_message(first.as_bytes()), general.on_message_general(first.as_bytes()));
            for (bids, asks, right, edit) in steps {
                let (b, a) = (levels_json(&bids), levels_json(&asks));
                let kind = if general.is_synced() { "update" } else { "snapshot" };
                let sum = true_checksum(&general, kind, &b, &a);
                let sum = if right { sum } else { sum ^ 0x10 };
                let msg = edited(message(kind, &b, &a, &sum.to_string()), edit);
                let f = fast.on_message(&msg);
                let g = general.on_message_general(&msg);
                prop_assert_eq!(&f, &g, "{}", String::from_utf8_lossy(&msg));
                prop_assert_eq!(fast.is_synced(), general.is_synced());
                prop_assert_eq!(&fast.book, &general.book);
                prop_assert_eq!(fast.checksum(), general.checksum());
            }
        }
    }

    #[test]
    fn the_exact_layout_is_read_and_others_are_left_to_the_general_reader() {
        let g = (
            Grid::new(dec!(0.1)).unwrap(),
            Grid::new(dec!(0.00000001)).unwrap(),
        );
        let (mut b, mut a) = (Vec::new(), Vec::new());
        // the guesses of the first read carry over to the others (read in the same shapes)
        let mut gs = (None, None);
        let msg = message(
            "update",
            r#"[{"price":45283.5,"qty":0.10000000}]"#,
            r#"[{"price":45285.2,"qty":0.001},{"price":45286.4,"qty":0}]"#,
            "3310070434",
        );
        let r = read(
            msg.as_bytes(),
            b"BTC/USD",
            &g.0,
            &g.1,
            &mut b,
            &mut a,
            &mut gs,
        )
        .unwrap();
        assert_eq!(
            r,
            Read {
                snapshot: false,
                checksum: 3_310_070_434
            }
        );
        assert_eq!(
            b,
            [Level {
                ticks: 452_835,
                lots: 10_000_000
            }]
        );
        assert_eq!(
            a,
            [
                Level {
                    ticks: 452_852,
                    lots: 100_000
                },
                Level {
                    ticks: 452_864,
                    lots: 0
                }
            ]
        );
        for other in [
            msg.replace("BTC/USD", "ETH/USD"),
            msg.replace(r#""bids":["#, r#""bids": ["#),
            msg.replace("3310070434", "4294967296"),
            msg.replace("3310070434", "03310070434"),
            msg.replace("45283.5", "45283.55"),
            msg.replace("45283.5", "4.52835e4"),
            msg.replace(r#","timestamp":"2023-10-06T17:35:55.440295Z""#, ""),
            msg.replace("}]}", "}]} "),
            msg.replace("update", "delta"),
            msg[..msg.len() - 1].to_string(),
        ] {
            assert_eq!(
                read(
                    other.as_bytes(),
                    b"BTC/USD",
                    &g.0,
                    &g.1,
                    &mut b,
                    &mut a,
                    &mut gs
                ),
                None,
                "{other}"
            );
        }
    }
}
