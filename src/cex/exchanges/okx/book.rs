//! OKX's public book (`books` channel) and its continuity rule. A subscription first gets
//! `action:"snapshot"` (the whole book, `prevSeqId` −1), then `action:"update"` pushes with
//! absolute sizes per price (size `0` removes the level), each naming the `seqId` it follows:
//!
//! - an update applies only if its `prevSeqId` equals the `seqId` last applied;
//! - an idle push repeats the last `seqId` with `prevSeqId == seqId` and no levels: it applies
//!   (nothing changes);
//! - a documented sequence reset (maintenance) is an update whose `seqId` is smaller than its
//!   `prevSeqId`: the chain still holds (`prevSeqId` is the last `seqId`), so it applies and the
//!   numbering continues from the new `seqId`;
//! - the exact same `(prevSeqId, seqId)` as the last applied push is a duplicate: ignored;
//! - anything else is a gap: the book is reset and must be resubscribed (a new snapshot).
//!
//! The CRC32 `checksum` (signed, over the top 25 levels interleaved `bid:size:ask:size`) is
//! deprecated and sent as 0 since June 2026: it is checked only when non-zero, and a mismatch
//! resets the book like a gap. The parser reads the raw bytes with the framework's scanner and
//! keys levels on the market's integer grids (no allocation once warm).

use super::book_fast;
use crate::cex::book::{Level, OrderBook};
use crate::cex::grid::{Grid, GridError};
use crate::cex::json_scan::{ScanError, Scanner};

/// Levels the checksum covers per side.
pub const CHECKSUM_DEPTH: usize = 25;

/// Why a books message could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error(transparent)]
    Json(#[from] ScanError),
    #[error("book level: {0}")]
    Level(#[from] GridError),
    #[error("books message without {0}")]
    Missing(&'static str),
}

/// What one message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    /// A snapshot: the book is synced at `seq_id`.
    Snapshot { seq_id: i64 },
    /// An update applied (or an idle push).
    Applied,
    /// The same push as the last one applied.
    Duplicate,
    /// An update while no snapshot is held (after a reset): ignored until the next snapshot.
    Unsynced,
    /// `prevSeqId` is not the last `seqId`: the book was reset.
    Gap { expected: i64, got: i64 },
    /// A non-zero checksum that the book does not match: the book was reset.
    ChecksumMismatch { expected: i32, computed: i32 },
    /// Not a books push (a subscription answer, an error event, `pong`).
    Other,
}

/// The parsed fields of one push (levels kept in the reused buffers).
#[derive(Debug, Default)]
struct Push {
    snapshot: bool,
    prev_seq: Option<i64>,
    seq: Option<i64>,
    checksum: i32,
}

/// One instrument's book kept by OKX's rule.
#[derive(Debug, Clone)]
pub struct OkxBook {
    pub book: OrderBook,
    /// `(prevSeqId, seqId)` of the last push applied; `None` while not synced.
    last: Option<(i64, i64)>,
    bids: Vec<Level>,
    asks: Vec<Level>,
}

impl OkxBook {
    pub fn new(price: Grid, size: Grid) -> Self {
        Self {
            book: OrderBook::new(price, size),
            last: None,
            bids: Vec::with_capacity(64),
            asks: Vec::with_capacity(64),
        }
    }

    pub fn is_synced(&self) -> bool {
        self.last.is_some()
    }

    /// The `seqId` last applied, if synced.
    pub fn seq_id(&self) -> Option<i64> {
        self.last.map(|(_, s)| s)
    }

    /// Forgets the book (until the next snapshot).
    pub fn reset(&mut self) {
        self.book.clear();
        self.last = None;
    }

    /// Applies one message of the `books` channel by the continuity rule.
    pub fn on_message(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        let parsed = match self.fixed_layout(msg) {
            Some(push) => Ok(Some(push)),
            None => self.parse(msg),
        };
        self.on_parsed(parsed)
    }

    /// [`OkxBook::on_message`] by the general scanner only (any key order, white space,
    /// unknown fields), which gives the exact error on a malformed message.
    pub fn on_message_general(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        let parsed = self.parse(msg);
        self.on_parsed(parsed)
    }

    /// A push in OKX's exact layout, read by the fixed-layout reader (levels in `bids` and
    /// `asks`); `None` for any other message.
    #[inline]
    fn fixed_layout(&mut self, msg: &[u8]) -> Option<Push> {
        let (price, size) = (self.book.price_grid, self.book.size_grid);
        let r = book_fast::read(msg, &price, &size, &mut self.bids, &mut self.asks)?;
        Some(Push {
            snapshot: r.snapshot,
            prev_seq: Some(r.prev_seq),
            seq: Some(r.seq),
            checksum: r.checksum,
        })
    }

    fn on_parsed(
        &mut self,
        parsed: Result<Option<Push>, BookError>,
    ) -> Result<BookOutcome, BookError> {
        let push = match parsed {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(BookOutcome::Other),
            Err(e) => {
                self.reset();
                return Err(e);
            }
        };
        let seq = push.seq.ok_or(BookError::Missing("seqId"))?;
        if push.snapshot {
            self.book.clear();
            self.book.bids.set_all(&self.bids);
            self.book.asks.set_all(&self.asks);
            self.last = Some((push.prev_seq.unwrap_or(-1), seq));
            return self.verify(push.checksum, BookOutcome::Snapshot { seq_id: seq });
        }
        let prev = push.prev_seq.ok_or(BookError::Missing("prevSeqId"))?;
        let Some((last_prev, last_seq)) = self.last else {
            return Ok(BookOutcome::Unsynced);
        };
        if prev != last_seq {
            if (prev, seq) == (last_prev, last_seq) {
                return Ok(BookOutcome::Duplicate);
            }
            self.reset();
            return Ok(BookOutcome::Gap {
                expected: last_seq,
                got: prev,
            });
        }
        if (prev, seq) == (last_prev, last_seq) && !(self.bids.is_empty() && self.asks.is_empty()) {
            // an idle push carries no levels; the same ids with levels is a duplicate
            return Ok(BookOutcome::Duplicate);
        }
        self.book.bids.set_all(&self.bids);
        self.book.asks.set_all(&self.asks);
        self.last = Some((prev, seq));
        self.verify(push.checksum, BookOutcome::Applied)
    }

    fn verify(&mut self, expected: i32, ok: BookOutcome) -> Result<BookOutcome, BookError> {
        if expected == 0 {
            return Ok(ok);
        }
        let computed = checksum(&self.book);
        if computed == expected {
            return Ok(ok);
        }
        self.reset();
        Ok(BookOutcome::ChecksumMismatch { expected, computed })
    }

    /// Reads a push: `None` for a message that is not a books push.
    fn parse(&mut self, msg: &[u8]) -> Result<Option<Push>, BookError> {
        self.bids.clear();
        self.asks.clear();
        let mut s = Scanner::new(msg);
        if s.peek() != Some(b'{') {
            // `pong` and other text frames
            return Ok(None);
        }
        s.expect(b'{', "expected an object")?;
        let mut push = Push::default();
        let mut action = false;
        let mut data = false;
        if s.peek() == Some(b'}') {
            return Ok(None);
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"action" => {
                    let a = s.string()?;
                    push.snapshot = a == b"snapshot";
                    action = a == b"snapshot" || a == b"update";
                }
                b"data" => {
                    data = true;
                    self.parse_data(&mut s, &mut push)?;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                break;
            }
        }
        s.finish()?;
        Ok((action && data).then_some(push))
    }

    fn parse_data(&mut self, s: &mut Scanner<'_>, push: &mut Push) -> Result<(), BookError> {
        s.expect(b'[', "expected the data array")?;
        if s.peek() == Some(b']') {
            s.expect(b']', "")?;
            return Ok(());
        }
        let mut first = true;
        loop {
            if !first {
                // OKX sends one item per books push; a second would be another book state
                s.skip_value()?;
            } else {
                self.parse_item(s, push)?;
                first = false;
            }
            if !s.next_or_close(b']')? {
                return Ok(());
            }
        }
    }

    fn parse_item(&mut self, s: &mut Scanner<'_>, push: &mut Push) -> Result<(), BookError> {
        s.expect(b'{', "expected a book item")?;
        if s.peek() == Some(b'}') {
            s.expect(b'}', "")?;
            return Ok(());
        }
        loop {
            let key = s.string()?;
            s.expect(b':', "expected ':'")?;
            match key {
                b"asks" => levels(
                    s,
                    &self.book.price_grid,
                    &self.book.size_grid,
                    &mut self.asks,
                )?,
                b"bids" => levels(
                    s,
                    &self.book.price_grid,
                    &self.book.size_grid,
                    &mut self.bids,
                )?,
                b"seqId" => push.seq = Some(signed(s)?),
                b"prevSeqId" => push.prev_seq = Some(signed(s)?),
                b"checksum" => {
                    let c = signed(s)?;
                    push.checksum =
                        i32::try_from(c).map_err(|_| s.error("checksum out of range"))?;
                }
                _ => s.skip_value()?,
            }
            if !s.next_or_close(b'}')? {
                return Ok(());
            }
        }
    }
}

/// A signed integer (OKX's `prevSeqId` is −1 on a snapshot; checksums are signed 32-bit).
fn signed(s: &mut Scanner<'_>) -> Result<i64, ScanError> {
    let neg = s.peek() == Some(b'-');
    if neg {
        s.set_position(s.position() + 1);
    }
    let v = s.u64()?;
    let v = i64::try_from(v).map_err(|_| s.error("integer out of range"))?;
    Ok(if neg { -v } else { v })
}

/// `[["px","sz","0","n"], …]` onto the grids.
fn levels(
    s: &mut Scanner<'_>,
    price: &Grid,
    size: &Grid,
    out: &mut Vec<Level>,
) -> Result<(), BookError> {
    s.expect(b'[', "expected a level array")?;
    if s.peek() == Some(b']') {
        s.expect(b']', "")?;
        return Ok(());
    }
    loop {
        s.expect(b'[', "expected a level")?;
        let ticks = grid_value(s, price)?;
        s.expect(b',', "expected a level's size")?;
        let lots = grid_value(s, size)?;
        // the deprecated liquidated-orders field and the order count
        while s.next_or_close(b']')? {
            s.skip_value()?;
        }
        out.push(Level { ticks, lots });
        if !s.next_or_close(b']')? {
            return Ok(());
        }
    }
}

fn grid_value(s: &mut Scanner<'_>, grid: &Grid) -> Result<u64, BookError> {
    s.skip_ws();
    let pos = s.position();
    if s.input().get(pos) == Some(&b'"')
        && let Some((v, end)) = grid.parse_quoted(s.input(), pos + 1)
    {
        s.set_position(end);
        return Ok(v);
    }
    let raw = s.string()?;
    Ok(grid.parse(raw)?)
}

/// OKX's CRC32 of a book: the top 25 levels interleaved `bidPx:bidSz:askPx:askSz:…` (a side
/// that runs out leaves its places out), prices and sizes written as plain decimals without
/// trailing zeros, as a signed 32-bit integer.
pub fn checksum(book: &OrderBook) -> i32 {
    let (bids, asks) = book.top(CHECKSUM_DEPTH);
    checksum_of(&bids, &asks)
}

/// The checksum of these (price, size) levels, best first.
pub fn checksum_of(
    bids: &[(rust_decimal::Decimal, rust_decimal::Decimal)],
    asks: &[(rust_decimal::Decimal, rust_decimal::Decimal)],
) -> i32 {
    let mut text = String::with_capacity(64 * CHECKSUM_DEPTH);
    for i in 0..CHECKSUM_DEPTH
        .max(bids.len())
        .max(asks.len())
        .min(CHECKSUM_DEPTH)
    {
        for side in [bids, asks] {
            if let Some((p, q)) = side.get(i) {
                if !text.is_empty() {
                    text.push(':');
                }
                text.push_str(&p.normalize().to_string());
                text.push(':');
                text.push_str(&q.normalize().to_string());
            }
        }
    }
    crc32fast::hash(text.as_bytes()) as i32
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn book() -> OkxBook {
        OkxBook::new(Grid::new(dec!(0.1)).unwrap(), Grid::new(dec!(1)).unwrap())
    }

    fn msg(action: &str, prev: i64, seq: i64, bids: &str, asks: &str, checksum: i32) -> String {
        format!(
            r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":[{asks}],"bids":[{bids}],"ts":"1","checksum":{checksum},"prevSeqId":{prev},"seqId":{seq}}}]}}"#
        )
    }

    /// The catalog's vectors (OKEx docs, kept in v5): two books and their signed CRC32.
    #[test]
    fn documented_checksum_vectors() {
        assert_eq!(
            checksum_of(
                &[(dec!(3366.1), dec!(7)), (dec!(3366), dec!(6))],
                &[(dec!(3366.8), dec!(9)), (dec!(3368), dec!(8))]
            ),
            -1_881_014_294
        );
        assert_eq!(
            checksum_of(
                &[(dec!(3366.1), dec!(7))],
                &[
                    (dec!(3366.8), dec!(9)),
                    (dec!(3368), dec!(8)),
                    (dec!(3372), dec!(8))
                ]
            ),
            831_078_360
        );
    }

    #[test]
    fn the_continuity_rule() {
        let mut b = book();
        // an update before any snapshot is ignored
        let u = msg("update", 1, 2, r#"["1.0","1","0","1"]"#, "", 0);
        assert_eq!(b.on_message(u.as_bytes()).unwrap(), BookOutcome::Unsynced);
        let snap = msg(
            "snapshot",
            -1,
            10,
            r#"["3366.1","7","0","1"],["3366","6","0","2"]"#,
            r#"["3366.8","9","0","1"],["3368","8","0","1"]"#,
            -1_881_014_294,
        );
        assert_eq!(
            b.on_message(snap.as_bytes()).unwrap(),
            BookOutcome::Snapshot { seq_id: 10 }
        );
        let u = msg("update", 10, 12, r#"["3366","0","0","0"]"#, "", 0);
        assert_eq!(b.on_message(u.as_bytes()).unwrap(), BookOutcome::Applied);
        assert_eq!(b.on_message(u.as_bytes()).unwrap(), BookOutcome::Duplicate);
        // an idle push: same seqId, prevSeqId == seqId, no levels
        let idle = msg("update", 12, 12, "", "", 0);
        assert_eq!(b.on_message(idle.as_bytes()).unwrap(), BookOutcome::Applied);
        // a documented reset: seqId smaller than prevSeqId, the chain holds
        let reset = msg("update", 12, 3, "", r#"["3369","1","0","1"]"#, 0);
        assert_eq!(
            b.on_message(reset.as_bytes()).unwrap(),
            BookOutcome::Applied
        );
        let next = msg("update", 3, 4, "", r#"["3369","2","0","1"]"#, 0);
        assert_eq!(b.on_message(next.as_bytes()).unwrap(), BookOutcome::Applied);
        assert_eq!(b.seq_id(), Some(4));
        assert_eq!(b.book.top(5).0, vec![(dec!(3366.1), dec!(7))]);
        // a gap resets
        let gap = msg("update", 5, 6, "", "", 0);
        assert_eq!(
            b.on_message(gap.as_bytes()).unwrap(),
            BookOutcome::Gap {
                expected: 4,
                got: 5
            }
        );
        assert!(!b.is_synced() && b.book.best_bid().is_none());
    }

    #[test]
    fn a_wrong_checksum_resets_and_zero_is_not_checked() {
        let mut b = book();
        let snap = msg(
            "snapshot",
            -1,
            1,
            r#"["3366.1","7","0","1"]"#,
            r#"["3366.8","9","0","1"]"#,
            0,
        );
        assert!(matches!(
            b.on_message(snap.as_bytes()).unwrap(),
            BookOutcome::Snapshot { .. }
        ));
        let bad = msg("update", 1, 2, r#"["3366","6","0","1"]"#, "", 12345);
        assert!(matches!(
            b.on_message(bad.as_bytes()).unwrap(),
            BookOutcome::ChecksumMismatch {
                expected: 12345,
                ..
            }
        ));
        assert!(!b.is_synced());
    }

    #[test]
    fn hostile_messages_are_errors_not_panics() {
        let mut b = book();
        for m in [
            "{\"action\":\"snapshot\",\"data\":[{\"asks\":[[\"1",
            "<html>502</html>",
            "{\"action\":\"snapshot\",\"data\":[{\"asks\":[[\"1e5\",\"1\"]],\"seqId\":1}]}",
            "{\"action\":\"snapshot\",\"data\":[{\"asks\":[[\"99999999999999999999999\",\"1\"]],\"seqId\":1}]}",
            "{\"action\":\"snapshot\",\"data\":[{\"asks\":[[\"1.05\",\"1\"]],\"seqId\":1}]}",
            "{\"action\":\"snapshot\",\"data\":[{\"seqId\":99999999999999999999}]}",
        ] {
            let r = b.on_message(m.as_bytes());
            assert!(
                !matches!(
                    r,
                    Ok(BookOutcome::Snapshot { .. }) | Ok(BookOutcome::Applied)
                ),
                "{m}: {r:?}"
            );
            assert!(!b.is_synced());
        }
        assert_eq!(b.on_message(b"pong").unwrap(), BookOutcome::Other);
        assert_eq!(
            b.on_message(br#"{"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"},"connId":"a"}"#)
                .unwrap(),
            BookOutcome::Other
        );
        // unknown fields are skipped
        let m = r#"{"arg":{},"action":"snapshot","new":{"x":[1,2]},"data":[{"asks":[],"bids":[["1.0","2","0","1","extra"]],"seqId":5,"prevSeqId":-1,"checksum":0,"more":"x"}]}"#;
        assert_eq!(
            b.on_message(m.as_bytes()).unwrap(),
            BookOutcome::Snapshot { seq_id: 5 }
        );
    }
}
