//! The fast path for a depth diff laid out byte for byte as Binance sends it:
//! `{"e":"depthUpdate","E":<ms>,"s":"<SYMBOL>","U":<id>,"u":<id>,"b":[["p","q"],…],"a":[…]}` with
//! no blanks and nothing after the closing brace. Fixed keys are compared as byte strings, the
//! integers and decimals are read 8 digits at a time, and each price and size goes straight to
//! ticks and lots on the symbol's grids. Anything else (another key order, blanks, an envelope, a
//! malformed or off-grid value, a wrong symbol, `U > u`) returns `None` and the general parser
//! reads the message and reports the exact error, so both paths accept exactly the same messages
//! with the same result (checked by the tests below). A side of more than
//! [`MAX_LEVELS_PER_MESSAGE`] levels is declined too (the general parser refuses it); the frame
//! itself is bounded by the websocket's maximum message size.

use crate::cex::book::Level;
use crate::cex::grid::{Grid, POW10, Shape, ShapePlan, digits8, load8};

use super::{DiffHeader, MAX_LEVELS_PER_MESSAGE};

const HEAD: &[u8] = br#"{"e":"depthUpdate","E":"#;

/// The bytes between the event time and the first update id for `symbol`: `,"s":"BTCUSDT","U":`.
pub(super) fn symbol_key(symbol: &str) -> Vec<u8> {
    [br#","s":""#.as_slice(), symbol.as_bytes(), br#"","U":"#].concat()
}

/// Parses a diff in Binance's exact layout into `bids` and `asks`; `None` for any other input
/// (the buffers may then hold a partial parse, which the caller's general parser overwrites).
#[inline]
pub(super) fn parse_diff(
    price: &Grid,
    size: &Grid,
    symbol_key: &[u8],
    buf: &[u8],
    bids: &mut Vec<Level>,
    asks: &mut Vec<Level>,
    shapes: &mut [LevelShape; 2],
) -> Option<DiffHeader> {
    if !buf.starts_with(HEAD) {
        return None;
    }
    let (event_time, i) = uint(buf, HEAD.len())?;
    let i = literal(buf, i, symbol_key)?;
    let (first, i) = uint(buf, i)?;
    let i = literal(buf, i, br#","u":"#)?;
    let (last, i) = uint(buf, i)?;
    let i = literal(buf, i, br#","b":["#)?;
    let i = levels(price, size, buf, i, bids, &mut shapes[0])?;
    let i = literal(buf, i, br#","a":["#)?;
    let i = levels(price, size, buf, i, asks, &mut shapes[1])?;
    if buf.get(i..)? != b"}" || first > last {
        return None;
    }
    Some(DiffHeader {
        first_update_id: first,
        final_update_id: last,
        event_time,
        prev_final_update_id: None,
    })
}

/// The position after `lit` if the input has it at `i`.
#[inline(always)]
fn literal(buf: &[u8], i: usize, lit: &[u8]) -> Option<usize> {
    let end = i.checked_add(lit.len())?;
    (buf.get(i..end)? == lit).then_some(end)
}

/// An unsigned integer of 1 to 15 digits at `i`, and the position after it.
#[inline(always)]
fn uint(buf: &[u8], i: usize) -> Option<(u64, usize)> {
    let (n, high) = digits8(load8(buf, i)?);
    if n == 0 {
        return None;
    }
    if n < 8 {
        return Some((high, i + n));
    }
    let (m, low) = digits8(load8(buf, i + 8)?);
    if m == 8 {
        return None;
    }
    // high < 10^8, so high * 10^m + low < 10^15
    Some((high * POW10[m] + low, i + 8 + m))
}

/// The shapes of the price and the size of the levels of one side, as last seen, and their
/// compiled reader if they have one.
pub(super) type LevelShape = Option<SideShape>;

/// The shapes of a level's price and size.
type Shapes = (Shape, Shape);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SideShape {
    shapes: Shapes,
    plan: Option<LevelPlan>,
}

impl SideShape {
    fn new(price: &Grid, size: &Grid, shapes: (Shape, Shape)) -> Self {
        Self {
            shapes,
            plan: LevelPlan::new(price, size, shapes),
        }
    }
}

/// Bytes a planned level is read from: the level and the slack of whole-word loads (a fixed
/// size, which measured faster than each plan's own; the last level of a message, with fewer
/// bytes after it, is read another way).
const WINDOW: usize = 40;

/// A level shape compiled for [`level_planned`]: where each part of `["price","qty"]` is, and
/// the plans of both values. Only for levels whose loads all stay in [`WINDOW`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LevelPlan {
    price: ShapePlan,
    size: ShapePlan,
    /// Position of `","` (after the price).
    p_end: usize,
    /// Position of the size.
    q_at: usize,
    /// Position of `"]` (after the size); the separator follows it.
    q_end: usize,
}

impl LevelPlan {
    fn new(price: &Grid, size: &Grid, (p, q): Shapes) -> Option<Self> {
        let (price, size) = (price.plan(p)?, size.plan(q)?);
        let p_end = 2 + p.len();
        let q_at = p_end + 3;
        let q_end = q_at + q.len();
        Some(Self {
            price,
            size,
            p_end,
            q_at,
            q_end,
        })
        .filter(|_| (2 + price.span()).max(q_at + size.span()).max(q_end + 8) <= WINDOW)
    }
}

/// `["price","qty"],…]` from `i` (after the opening bracket) into `out`; the position after the
/// closing bracket.
///
/// A level whose price and size have the shapes of the level before (`shape`) is read with the
/// positions of its quotes known in advance ([`level_shaped`]): the next level's position does
/// not wait for this level's digits to be scanned. Any other level is scanned ([`level_scanned`])
/// and its shapes remembered. Both give the same answer for the same bytes.
#[inline(always)]
fn levels(
    price: &Grid,
    size: &Grid,
    buf: &[u8],
    mut i: usize,
    out: &mut Vec<Level>,
    shape: &mut LevelShape,
) -> Option<usize> {
    out.clear();
    if *buf.get(i)? == b']' {
        return Some(i + 1);
    }
    loop {
        let shaped = match *shape {
            Some(SideShape {
                plan: Some(plan), ..
            }) if let Some(r) = level_planned(&plan, buf, i) => Some(r),
            Some(s) => level_shaped(price, size, buf, i, s.shapes),
            None => None,
        };
        let (level, j) = match shaped {
            Some(r) => r,
            None => {
                let (level, j, s) = level_scanned(price, size, buf, i)?;
                if s != shape.map(|x| x.shapes) {
                    *shape = s.map(|s| SideShape::new(price, size, s));
                }
                (level, j)
            }
        };
        out.push(level);
        match *buf.get(j)? {
            b',' => i = j + 1,
            // too many levels: the general parser gives the error
            b']' => return (out.len() <= MAX_LEVELS_PER_MESSAGE).then_some(j + 1),
            _ => return None,
        }
    }
}

/// `["price","qty"]` at `i` read by a compiled plan: every byte of the level is checked at its
/// known place and both values are converted without a branch on their bytes; one test decides.
/// The level and the position of its separator (after the closing bracket; the separator is
/// checked by the caller); `None` if the bytes are anything else or the input ends before the
/// plan's last word (the caller then reads the level another way, with the same answer).
#[inline(always)]
fn level_planned(plan: &LevelPlan, buf: &[u8], i: usize) -> Option<(Level, usize)> {
    let win = buf.get(i..i.checked_add(WINDOW)?)?;
    const OPEN: u64 = u16::from_le_bytes(*b"[\"") as u64;
    const SEP: u64 = u32::from_le_bytes(*b"\",\"\0") as u64;
    const CLOSE: u64 = u16::from_le_bytes(*b"\"]") as u64;
    let structure = ((load8(win, 0)? & 0xffff) ^ OPEN)
        | ((load8(win, plan.p_end)? & 0xff_ffff) ^ SEP)
        | ((load8(win, plan.q_end)? & 0xffff) ^ CLOSE);
    let (p_bad, ticks) = plan.price.read(win, 2)?;
    let (q_bad, lots) = plan.size.read(win, plan.q_at)?;
    (structure | p_bad | q_bad == 0).then_some((Level { ticks, lots }, i + plan.q_end + 2))
}

/// `["price","qty"]` at `i` with the price and size in the shapes `(p, q)`: the level and the
/// position after its closing bracket; `None` if the level is anything else.
#[inline(always)]
fn level_shaped(
    price: &Grid,
    size: &Grid,
    buf: &[u8],
    i: usize,
    (p, q): (Shape, Shape),
) -> Option<(Level, usize)> {
    let p_at = i + 2;
    let p_end = p_at + p.len();
    let q_at = p_end + 3;
    let q_end = q_at + q.len();
    // the structure at its expected places (each digit run is checked by `parse_shaped`)
    if buf.get(i..p_at)? != b"[\""
        || buf.get(p_end..q_at)? != b"\",\""
        || buf.get(q_end..q_end + 2)? != b"\"]"
    {
        return None;
    }
    let ticks = price.parse_shaped(buf, p_at, p)?;
    let lots = size.parse_shaped(buf, q_at, q)?;
    Some((Level { ticks, lots }, q_end + 2))
}

/// `["price","qty"]` at `i`, the digits scanned: the level, the position after its closing
/// bracket, and the shapes of its price and size (if both have one).
#[inline]
fn level_scanned(
    price: &Grid,
    size: &Grid,
    buf: &[u8],
    i: usize,
) -> Option<(Level, usize, Option<Shapes>)> {
    let p_at = literal(buf, i, b"[\"")?;
    let (ticks, p_end) = price.parse_quoted(buf, p_at)?;
    let q_at = literal(buf, p_end, b",\"")?;
    let (lots, q_end) = size.parse_quoted(buf, q_at)?;
    if *buf.get(q_end)? != b']' {
        return None;
    }
    // `p_end` and `q_end` are after the closing quotes
    let shape = Shape::of(buf.get(p_at..p_end - 1)?).zip(Shape::of(buf.get(q_at..q_end - 1)?));
    Some((Level { ticks, lots }, q_end + 1, shape))
}

#[cfg(test)]
mod tests {
    use super::super::{DepthParser, DiffOutcome, SyncedBook};
    use crate::cex::grid::Grid;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    fn parser() -> DepthParser {
        DepthParser::new(
            "BTCUSDT",
            Grid::new(dec!(0.01)).unwrap(),
            Grid::new(dec!(0.00001)).unwrap(),
        )
    }

    /// Both parsers on the same bytes: the fast path (`None` if it declined) and the general one.
    type Parsed = (super::DiffHeader, Vec<super::Level>, Vec<super::Level>);

    fn both(msg: &[u8]) -> (Option<Parsed>, Result<Parsed, super::super::DepthError>) {
        let mut p = parser();
        let (mut bids, mut asks) = (Vec::new(), Vec::new());
        let fast = super::parse_diff(
            &p.price,
            &p.size,
            &p.symbol_key,
            msg,
            &mut bids,
            &mut asks,
            &mut p.shapes,
        )
        .map(|h| (h, bids, asks));
        let general = p
            .parse_diff_general(msg)
            .map(|h| (h, p.bids.clone(), p.asks.clone()));
        (fast, general)
    }

    fn msg(first: u64, last: u64, bids: &[(String, String)], asks: &[(String, String)]) -> String {
        let side = |l: &[(String, String)]| {
            l.iter()
                .map(|(p, q)| format!(r#"["{p}","{q}"]"#))
                .collect::<Vec<_>>()
                .join(",")
        };
        format!(
            r#"{{"e":"depthUpdate","E":1764072000100,"s":"BTCUSDT","U":{first},"u":{last},"b":[{}],"a":[{}]}}"#,
            side(bids),
            side(asks)
        )
    }

    #[test]
    fn binance_layout_takes_the_fast_path() {
        let m = msg(
            75000000001,
            75000000018,
            &[("59999.49".into(), "0.00824000".into())],
            &[
                ("60000.24".into(), "0.02928000".into()),
                ("60000.09".into(), "0.00000000".into()),
            ],
        );
        let (fast, general) = both(m.as_bytes());
        let fast = fast.expect("fast path");
        assert_eq!(Ok(fast.clone()), general);
        assert_eq!(fast.0.first_update_id, 75000000001);
        assert_eq!(fast.0.final_update_id, 75000000018);
        assert_eq!(fast.0.event_time, 1764072000100);
        assert_eq!(
            fast.1,
            vec![super::Level {
                ticks: 5_999_949,
                lots: 824
            }]
        );
        assert_eq!(fast.2[1].lots, 0);
        // empty sides
        let m = msg(1, 1, &[], &[]);
        let (fast, general) = both(m.as_bytes());
        assert!(fast.is_some());
        assert_eq!(fast.ok_or(()), general.map_err(|_| ()));
    }

    #[test]
    fn other_layouts_fall_back_with_the_same_answer_or_error() {
        let good = msg(
            5,
            9,
            &[("1.05".into(), "2".into())],
            &[("1.06".into(), "0.5".into())],
        );
        let variants = [
            good.replace(r#""E""#, r#" "E""#),                        // a blank
            good.replace(r#"{"e":"depthUpdate","#, r#"{"#),           // no event type: an error
            good.replace("BTCUSDT", "ETHUSDT"),                       // wrong symbol
            good.replace(r#""U":5"#, r#""U":10"#),                    // U > u
            good.replace("1.05", "1.055"),                            // off the grid
            good.replace("1.05", "-1.05"),                            // a sign
            good.replace("1.05", "1e5"),                              // an exponent
            good.replace(r#""u":9"#, r#""u":12345678901234567"#),     // 17-digit id
            format!("{good} "),                                       // trailing blank
            format!(r#"{{"stream":"btcusdt@depth","data":{good}}}"#), // envelope
            good.replace(r#","b":"#, r#","x":1,"b":"#),               // unknown key
            good[..good.len() - 1].to_string(),                       // truncated
        ];
        // longer numbers than a word are still read on the fast path (digit by digit), the same
        for v in [
            good.replace("1.05", "123456789012.05"),
            good.replace(r#""0.5""#, r#""0.5000000000000""#),
        ] {
            let (fast, general) = both(v.as_bytes());
            assert!(fast.is_some(), "{v}");
            assert_eq!(fast.ok_or(()), general.map_err(|_| ()), "{v}");
        }
        for v in variants {
            let (fast, general) = both(v.as_bytes());
            assert!(fast.is_none(), "fast path must decline {v}");
            // the general parser decides; the public entry point agrees with it
            let mut p = parser();
            assert_eq!(
                p.parse_diff(v.as_bytes())
                    .map(|_| (p.bids.clone(), p.asks.clone())),
                general.map(|(_, b, a)| (b, a)),
                "{v}"
            );
        }
    }

    /// Every single-byte replacement anywhere in a message whose levels share one shape (so the
    /// compiled plan reads all but the first and the last): the fast path declines or answers
    /// exactly as the general parser.
    #[test]
    fn every_single_byte_edit_of_planned_levels() {
        let level = |p: &str, q: &str| (p.to_string(), q.to_string());
        let m = msg(
            101,
            104,
            &[
                level("59999.49", "0.00824000"),
                level("59999.47", "0.10000000"),
                level("59999.48", "0.00000000"),
                level("59998.01", "1.23456000"),
            ],
            &[
                level("60000.01", "0.50000000"),
                level("60000.02", "2.50000000"),
                level("60000.03", "0.00001000"),
            ],
        )
        .into_bytes();
        let (fast, general) = both(&m);
        assert!(fast.is_some());
        assert_eq!(fast.ok_or(()), general.map_err(|_| ()));
        let mut answered_after_edit = 0;
        for at in 0..m.len() {
            for &b in b"0123456789.\",[]{}: -+eE\x00\xff" {
                let mut e = m.clone();
                e[at] = b;
                let (fast, general) = both(&e);
                if let Some(f) = fast {
                    answered_after_edit += 1;
                    assert_eq!(Ok(f), general, "{}", String::from_utf8_lossy(&e));
                }
            }
        }
        // digit edits keep the message valid: the fast path answers most of them
        assert!(answered_after_edit > 500, "{answered_after_edit}");
    }

    fn decimal(int_digits: usize, frac_digits: Option<usize>, seed: u64) -> String {
        let mut x = seed;
        let mut digit = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            char::from(b'0' + ((x >> 33) % 10) as u8)
        };
        let mut s: String = (0..int_digits).map(|_| digit()).collect();
        if let Some(f) = frac_digits {
            s.push('.');
            s.extend((0..f).map(|_| digit()));
        }
        s
    }

    fn level() -> impl Strategy<Value = (String, String)> {
        (
            1usize..10,
            proptest::option::of(0usize..5),
            1usize..5,
            proptest::option::of(0usize..11),
            any::<u64>(),
            any::<bool>(),
        )
            .prop_map(|(pi, pf, qi, qf, seed, zero_tail)| {
                let p = decimal(pi, pf, seed);
                let mut q = decimal(qi, qf, seed ^ 0x5555);
                if zero_tail && q.contains('.') {
                    // most real sizes: 8 decimals, the last three zero
                    q = format!(
                        "{}.{}000",
                        &q[..q.find('.').unwrap_or(0)],
                        &decimal(5, None, seed)
                    );
                }
                (p, q)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// Random messages in Binance's layout (prices and sizes of any length, on or off the
        /// grid): whenever the fast path answers, the general parser gives the same header and
        /// levels; and on-grid values of usual length always take the fast path.
        #[test]
        fn fast_and_general_paths_agree(
            first in 0u64..100_000_000_000_000,
            span in 0u64..1000,
            bids in proptest::collection::vec(level(), 0..25),
            asks in proptest::collection::vec(level(), 0..25),
        ) {
            let m = msg(first, first + span, &bids, &asks);
            let (fast, general) = both(m.as_bytes());
            match &fast {
                Some(f) => prop_assert_eq!(Ok(f.clone()), general.clone()),
                // declined: only what the general path rejects too (off the grid here)
                None => prop_assert!(general.is_err(), "{}", m),
            }
        }

        /// Messages whose levels share one shape per side (as Binance sends them: the shaped
        /// reader takes every level after the first), with digits on and off the grid and
        /// sometimes a level of another shape in between: the same answer as the general parser,
        /// also with the shapes carried over from the message before.
        #[test]
        fn shaped_levels_agree_with_the_general_path(
            shapes in proptest::collection::vec((1usize..10, 1usize..10, 1usize..10, 1usize..10), 2),
            seeds in proptest::collection::vec((any::<u64>(), 0u8..8), 0..20),
        ) {
            let mut p = parser();
            for (pi, pf, qi, qf) in shapes {
                let levels: Vec<(String, String)> = seeds
                    .iter()
                    .map(|&(seed, kind)| match kind {
                        // off the shape
                        0 => (decimal(pi + 1, Some(pf), seed), decimal(qi, Some(qf), seed >> 7)),
                        // sizes with the digits beyond the grid zero
                        1..=4 => (
                            decimal(pi, Some(pf), seed),
                            format!("{}{}", decimal(qi, Some(qf.min(5)), seed >> 7), "0".repeat(qf.saturating_sub(5))),
                        ),
                        _ => (decimal(pi, Some(pf), seed), decimal(qi, Some(qf), seed >> 7)),
                    })
                    .collect();
                let (bids, asks) = levels.split_at(levels.len() / 2);
                let m = msg(1, 2, bids, asks);
                let general = p
                    .parse_diff_general(m.as_bytes())
                    .map(|h| (h, p.bids.clone(), p.asks.clone()));
                let (mut b, mut a) = (Vec::new(), Vec::new());
                let fast = super::parse_diff(
                    &p.price, &p.size, &p.symbol_key, m.as_bytes(), &mut b, &mut a, &mut p.shapes,
                );
                match fast {
                    Some(h) => prop_assert_eq!(Ok((h, b, a)), general, "{}", m),
                    None => prop_assert!(general.is_err(), "{}", m),
                }
            }
        }

        /// Random byte edits of a valid message never panic either path, never make the fast path
        /// answer differently from the general one, and never change a synced book on an error.
        #[test]
        fn mutated_messages_never_panic_or_diverge(
            edits in proptest::collection::vec(
                (any::<proptest::sample::Index>(), 0u8..4, proptest::sample::select(
                    b"0123456789.\",[]{}: -+eE\\\x00\xff".to_vec())),
                1..4),
        ) {
            let mut m = msg(
                101,
                103,
                &[
                    ("59999.49".into(), "0.00824000".into()),
                    ("59999.47".into(), "0.10000000".into()),
                    ("59999.48".into(), "0".into()),
                ],
                &[("60000.01".into(), "1.5".into()), ("60000.02".into(), "2.5".into())],
            ).into_bytes();
            for (at, kind, byte) in edits {
                let i = at.index(m.len().max(1));
                match kind {
                    0 => m[i] = byte,
                    1 => { m.remove(i); }
                    2 => m.insert(i, byte),
                    _ => m.truncate(i),
                }
                if m.is_empty() { break; }
            }
            let (fast, general) = both(&m);
            if let Some(f) = fast {
                prop_assert_eq!(Ok(f), general);
            }
            let mut b = SyncedBook::new(
                "BTCUSDT",
                Grid::new(dec!(0.01)).unwrap(),
                Grid::new(dec!(0.00001)).unwrap(),
            );
            b.on_snapshot(br#"{"lastUpdateId":100,"bids":[["59999.50","1"]],"asks":[["60000.00","2"]]}"#).unwrap();
            let before = b.book.clone();
            match b.on_frame(&m) {
                Err(_) => prop_assert_eq!(&b.book, &before),
                Ok(DiffOutcome::Applied | DiffOutcome::Stale | DiffOutcome::Gap { .. } | DiffOutcome::TooLarge { .. }) => {}
                Ok(DiffOutcome::Buffered) => prop_assert!(false, "synced book buffered"),
            }
        }
    }
}
