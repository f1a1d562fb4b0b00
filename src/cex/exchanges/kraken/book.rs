//! Kraken's public book (WebSocket v2 `book` channel): the message parser, the local book kept to
//! the subscribed depth, and the continuity rule. Kraken's book feed has no sequence numbers; its
//! integrity check is the CRC32 `checksum` that every snapshot and update carries, computed over
//! the top 10 asks (low to high) then the top 10 bids (high to low), each level's price and
//! quantity written with the instrument's full precision, the decimal point and leading zeros
//! removed (docs.kraken.com, "Spot WebSocket v2 book checksum"; reference/cex-catalog.md §2.4).
//!
//! Rules applied here: a snapshot replaces the book; an update sets each level (`qty` 0 removes
//! it), then the book is truncated to the subscribed depth (Kraken sends no removal for a level
//! pushed out of scope), then the checksum is compared. A mismatch, a malformed message or a
//! level off the grid leaves the book unsynced until the next snapshot (the live book then
//! resubscribes): it is never used silently wrong. Levels are kept on integer ticks and lots, so
//! the checksum is computed from integers (`ticks × tick_size × 10^price_precision`) with no
//! decimal formatting.

use rust_decimal::Decimal;

use crate::cex::book::{BookSide, Level, OrderBook};
use crate::cex::grid::{Grid, GridError};

use super::book_checksum::ChecksumText;
use super::book_fast;
use super::book_json::{Cur, levels, parse_u32};

/// Levels the checksum covers on each side.
pub const CHECKSUM_LEVELS: usize = 10;

/// Why a book message could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    #[error("malformed book message at byte {0}")]
    Malformed(usize),
    #[error("book level: {0}")]
    Level(#[from] GridError),
    #[error("price or size precision {0} does not fit the grid")]
    Precision(u32),
    #[error("the book message is nested too deeply")]
    TooDeep,
}

/// What a message did to the book.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BookOutcome {
    /// A snapshot replaced the book (and its checksum matched).
    Snapshot,
    /// An update was applied (and its checksum matched).
    Applied,
    /// The computed checksum differs from the message's: the book is unsynced.
    Mismatch { expected: u32, computed: u32 },
    /// Not a book message of this symbol, or an update while unsynced.
    Ignored,
}

/// The local copy of one symbol's book.
#[derive(Debug, Clone)]
pub struct KrakenBook {
    /// The WebSocket v2 symbol (`BTC/USD`).
    pub symbol: String,
    pub book: OrderBook,
    /// Levels kept per side (the subscribed depth).
    pub depth: usize,
    /// The worst bid and ask kept (what truncation to `depth` removes first).
    worst_bid: Option<u64>,
    worst_ask: Option<u64>,
    /// `tick_size × 10^price_precision`: ticks to the checksum's price digits (at most
    /// `u64::MAX`, so that `ticks × price_mult` always fits a `u128`).
    price_mult: u64,
    size_mult: u64,
    synced: bool,
    /// Messages applied since the last snapshot.
    applied: u64,
    scratch_bids: Vec<Level>,
    scratch_asks: Vec<Level>,
    /// The shapes the fixed-layout reader expects numbers in (those of the last ones).
    guesses: book_fast::Guesses,
}

/// `step × 10^precision` as an integer, if it is one and fits a `u64` (a larger scale is
/// refused: a count times it could overflow the checksum's arithmetic).
fn multiplier(grid: &Grid, precision: u32) -> Result<u64, BookError> {
    let err = || BookError::Precision(precision);
    if precision > 18 {
        return Err(err());
    }
    let m = grid
        .step()
        .checked_mul(Decimal::from_i128_with_scale(10i128.pow(precision), 0))
        .ok_or_else(err)?
        .normalize();
    if !m.fract().is_zero() || m <= Decimal::ZERO {
        return Err(err());
    }
    u64::try_from(m.mantissa()).map_err(|_| err())
}

/// `step × 10^decimals(step)`: the step's own digits (a normalized step's mantissa, which a
/// [`Grid`] holds in a `u64`).
fn grid_multiplier(grid: &Grid) -> u64 {
    u64::try_from(grid.step().normalize().mantissa()).unwrap_or(1)
}

impl KrakenBook {
    /// An empty, unsynced book of `symbol` on these grids, kept to `depth` levels; the checksum
    /// writes prices with `price_precision` and sizes with `size_precision` decimals (Kraken's
    /// `pair_decimals` and `lot_decimals`; `None`, or a precision coarser than the grid: the
    /// grid's own decimals).
    pub fn new(
        symbol: &str,
        price: Grid,
        size: Grid,
        depth: usize,
        precision: (Option<u32>, Option<u32>),
    ) -> Self {
        let mult = |grid: &Grid, p: Option<u32>| {
            p.and_then(|p| multiplier(grid, p).ok())
                .unwrap_or_else(|| grid_multiplier(grid))
        };
        Self {
            symbol: symbol.to_string(),
            book: OrderBook::new(price, size),
            depth: depth.max(1),
            worst_bid: None,
            worst_ask: None,
            price_mult: mult(&price, precision.0),
            size_mult: mult(&size, precision.1),
            synced: false,
            applied: 0,
            scratch_bids: Vec::with_capacity(depth),
            scratch_asks: Vec::with_capacity(depth),
            guesses: (None, None),
        }
    }

    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Messages applied since the last snapshot (what the framework sees as the sequence).
    pub fn applied(&self) -> u64 {
        self.applied
    }

    /// Forgets the book until the next snapshot.
    pub fn reset(&mut self) {
        self.synced = false;
        self.worst_bid = None;
        self.worst_ask = None;
        self.book.clear();
    }

    /// The top `CHECKSUM_LEVELS` bids and asks, best first.
    pub fn top(&self) -> (Vec<Level>, Vec<Level>) {
        let mut b = [Level { ticks: 0, lots: 0 }; CHECKSUM_LEVELS];
        let mut a = b;
        let nb = top_levels(&self.book.bids, &mut b);
        let na = top_levels(&self.book.asks, &mut a);
        (b[..nb].to_vec(), a[..na].to_vec())
    }

    /// The CRC32 of the top 10 levels as Kraken computes it: the digits of the asks (best
    /// first) then the bids, written into one buffer and hashed once.
    pub fn checksum(&self) -> u32 {
        let mut text = ChecksumText::new();
        let mut top = [Level { ticks: 0, lots: 0 }; CHECKSUM_LEVELS];
        let n = top_levels(&self.book.asks, &mut top);
        for l in &top[..n] {
            text.level(*l, self.price_mult, self.size_mult);
        }
        let n = top_levels(&self.book.bids, &mut top);
        for l in &top[..n] {
            text.level(*l, self.price_mult, self.size_mult);
        }
        crc32fast::hash(text.bytes())
    }

    /// Parses and applies one message of the book channel.
    pub fn on_message(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        if let Some(outcome) = self.fixed_layout(msg) {
            return Ok(outcome);
        }
        self.on_message_general(msg)
    }

    /// A message in Kraken's exact layout, read and applied by the fixed-layout reader; `None`
    /// (nothing changed) for any other.
    #[inline]
    fn fixed_layout(&mut self, msg: &[u8]) -> Option<BookOutcome> {
        let mut bids = std::mem::take(&mut self.scratch_bids);
        let mut asks = std::mem::take(&mut self.scratch_asks);
        let read = book_fast::read(
            msg,
            self.symbol.as_bytes(),
            &self.book.price_grid,
            &self.book.size_grid,
            &mut bids,
            &mut asks,
            &mut self.guesses,
        );
        let outcome = read.map(|r| self.apply(r.snapshot, &bids, &asks, Some(r.checksum)));
        self.scratch_bids = bids;
        self.scratch_asks = asks;
        outcome
    }

    /// [`KrakenBook::on_message`] by the general reader only (any key order, white space,
    /// unknown fields), which gives the exact error on a malformed message.
    pub fn on_message_general(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        let r = self.apply_message(msg);
        if r.is_err() {
            self.reset();
        }
        r
    }

    fn apply_message(&mut self, msg: &[u8]) -> Result<BookOutcome, BookError> {
        let mut c = Cur { b: msg, i: 0 };
        c.eat(b'{')?;
        let (mut book, mut snapshot, mut data_at) = (false, None, None);
        let mut outcome = BookOutcome::Ignored;
        if c.peek() == Some(b'}') {
            return Ok(BookOutcome::Ignored);
        }
        loop {
            let key = c.string()?;
            c.eat(b':')?;
            match key {
                b"channel" if c.peek() == Some(b'"') => book = c.string()? == b"book",
                b"type" if c.peek() == Some(b'"') => {
                    snapshot = match c.string()? {
                        b"snapshot" => Some(true),
                        b"update" => Some(false),
                        _ => None,
                    }
                }
                b"data" => {
                    data_at = Some(c.i);
                    if let (true, Some(s)) = (book, snapshot) {
                        outcome = self.data(&mut c, s)?;
                        data_at = None;
                    } else {
                        c.skip(0)?;
                    }
                }
                _ => c.skip(0)?,
            }
            match c.next()? {
                b',' => continue,
                b'}' => break,
                _ => return Err(BookError::Malformed(c.i)),
            }
        }
        if let (Some(at), true, Some(s)) = (data_at, book, snapshot) {
            // `data` came before `channel`/`type`: read it now
            let mut d = Cur { b: msg, i: at };
            outcome = self.data(&mut d, s)?;
        }
        Ok(outcome)
    }

    /// The `data` array: one object per symbol.
    fn data(&mut self, c: &mut Cur<'_>, snapshot: bool) -> Result<BookOutcome, BookError> {
        let mut outcome = BookOutcome::Ignored;
        c.eat(b'[')?;
        if c.peek() == Some(b']') {
            c.i += 1;
            return Ok(outcome);
        }
        loop {
            let o = self.entry(c, snapshot)?;
            if o != BookOutcome::Ignored {
                outcome = o;
            }
            match c.next()? {
                b',' => continue,
                b']' => return Ok(outcome),
                _ => return Err(BookError::Malformed(c.i)),
            }
        }
    }

    /// One symbol's object: `symbol`, `bids`, `asks`, `checksum` (other keys skipped).
    fn entry(&mut self, c: &mut Cur<'_>, snapshot: bool) -> Result<BookOutcome, BookError> {
        let mut bids = std::mem::take(&mut self.scratch_bids);
        let mut asks = std::mem::take(&mut self.scratch_asks);
        bids.clear();
        asks.clear();
        let (mut mine, mut checksum) = (false, None);
        c.eat(b'{')?;
        loop {
            let key = c.string()?;
            c.eat(b':')?;
            match key {
                b"symbol" => mine = c.string()? == self.symbol.as_bytes(),
                b"bids" => levels(c, &self.book.price_grid, &self.book.size_grid, &mut bids)?,
                b"asks" => levels(c, &self.book.price_grid, &self.book.size_grid, &mut asks)?,
                b"checksum" => {
                    let n = c.number()?;
                    checksum = Some(parse_u32(n).ok_or(BookError::Malformed(c.i))?);
                }
                _ => c.skip(0)?,
            }
            match c.next()? {
                b',' => continue,
                b'}' => break,
                _ => return Err(BookError::Malformed(c.i)),
            }
        }
        let outcome = if mine {
            self.apply(snapshot, &bids, &asks, checksum)
        } else {
            BookOutcome::Ignored
        };
        self.scratch_bids = bids;
        self.scratch_asks = asks;
        Ok(outcome)
    }

    /// Applies a snapshot or an update, truncates, checks the checksum (when the message has one).
    pub fn apply(
        &mut self,
        snapshot: bool,
        bids: &[Level],
        asks: &[Level],
        checksum: Option<u32>,
    ) -> BookOutcome {
        if snapshot {
            self.reset();
            self.applied = 0;
        } else if !self.synced {
            return BookOutcome::Ignored;
        }
        self.worst_bid = set_levels(&mut self.book.bids, self.worst_bid, bids);
        self.worst_ask = set_levels(&mut self.book.asks, self.worst_ask, asks);
        self.worst_bid = truncate(&mut self.book.bids, self.worst_bid, self.depth);
        self.worst_ask = truncate(&mut self.book.asks, self.worst_ask, self.depth);
        if let Some(expected) = checksum {
            let computed = self.checksum();
            if computed != expected {
                self.reset();
                return BookOutcome::Mismatch { expected, computed };
            }
        }
        self.synced = true;
        self.applied += 1;
        if snapshot {
            BookOutcome::Snapshot
        } else {
            BookOutcome::Applied
        }
    }
}

/// How many ticks a walk from a known level may step before it falls back to iterating the
/// side (a dense book finds its neighbours within a few ticks; a sparse one is still correct).
const STEP_LIMIT: u64 = 256;

/// The tick one step toward the worst end (`toward_best`: toward the best end).
#[inline]
fn step<const BID: bool>(t: u64, toward_best: bool) -> Option<u64> {
    if BID != toward_best {
        t.checked_sub(1)
    } else {
        t.checked_add(1)
    }
}

/// Whether `a` is worse than `b` on this side.
#[inline]
fn worse<const BID: bool>(a: u64, b: u64) -> bool {
    if BID { a < b } else { a > b }
}

/// Up to `out.len()` levels from the best: a walk tick by tick from the best level, or the
/// side's own iteration where the book is sparse.
#[inline]
fn top_levels<const BID: bool>(side: &BookSide<BID>, out: &mut [Level]) -> usize {
    let want = out.len().min(side.len());
    let Some(best) = side.best() else { return 0 };
    out[0] = best;
    let (mut n, mut t, mut steps) = (1, best.ticks, 0u64);
    while n < want {
        steps += 1;
        let next = step::<BID>(t, false);
        match next {
            Some(nt) if steps <= STEP_LIMIT * out.len() as u64 => {
                t = nt;
                if let Some(lots) = side.lots_at(t) {
                    out[n] = Level { ticks: t, lots };
                    n += 1;
                }
            }
            _ => {
                for (slot, l) in out.iter_mut().zip(side.iter_best_first()) {
                    *slot = l;
                }
                return want;
            }
        }
    }
    n
}

/// The worst level after `gone` (the old worst) was removed.
fn new_worst<const BID: bool>(side: &BookSide<BID>, gone: u64) -> Option<u64> {
    if side.is_empty() {
        return None;
    }
    let mut t = gone;
    for _ in 0..STEP_LIMIT * 4 {
        t = step::<BID>(t, true)?;
        if side.lots_at(t).is_some() {
            return Some(t);
        }
    }
    side.iter_best_first().last().map(|l| l.ticks)
}

/// Sets a side's levels of one message in order (0 lots removes one) and returns the side's
/// worst level: the levels through [`BookSide::set_all`], the worst followed over them and
/// searched for only when the old worst was removed and nothing worse came.
#[inline]
fn set_levels<const BID: bool>(
    side: &mut BookSide<BID>,
    worst: Option<u64>,
    levels: &[Level],
) -> Option<u64> {
    side.set_all(levels);
    let (mut worst, mut removed) = (worst, false);
    for l in levels {
        if l.lots != 0 {
            if worst.is_none_or(|w| worse::<BID>(l.ticks, w)) {
                worst = Some(l.ticks);
            }
        } else if worst == Some(l.ticks) {
            removed = true;
        }
    }
    match worst {
        Some(w) if removed && side.lots_at(w).is_none() => new_worst(side, w),
        other => other,
    }
}

/// Removes the worst levels past `depth`; returns the new worst.
#[inline]
fn truncate<const BID: bool>(
    side: &mut BookSide<BID>,
    mut worst: Option<u64>,
    depth: usize,
) -> Option<u64> {
    while side.len() > depth {
        let Some(w) = worst else { break };
        side.set(w, 0);
        worst = new_worst(side, w);
    }
    worst
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    /// A BTC/USD book (tick 0.1, lot 10^-8, Kraken's precisions) kept to `depth` levels.
    pub(in crate::cex::exchanges::kraken) fn btc_book(depth: usize) -> KrakenBook {
        KrakenBook::new(
            "BTC/USD",
            Grid::new(dec!(0.1)).unwrap(),
            Grid::new(dec!(0.00000001)).unwrap(),
            depth,
            (Some(1), Some(8)),
        )
    }

    /// reference/cex-catalog.md §2.4: Kraken's documented BTC/USD snapshot, checksum 3310070434.
    const DOC_SNAPSHOT: &str = r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD",
        "bids":[{"price":45283.5,"qty":0.10000000},{"price":45283.4,"qty":1.54582015},{"price":45282.1,"qty":0.10000000},
        {"price":45281.0,"qty":0.10000000},{"price":45280.3,"qty":1.54592586},{"price":45279.0,"qty":0.07990000},
        {"price":45277.6,"qty":0.03310103},{"price":45277.5,"qty":0.30000000},{"price":45277.3,"qty":1.54602737},
        {"price":45276.6,"qty":0.15445238}],
        "asks":[{"price":45285.2,"qty":0.00100000},{"price":45286.4,"qty":1.54571953},{"price":45286.6,"qty":1.54571109},
        {"price":45289.6,"qty":1.54560911},{"price":45290.2,"qty":0.15890660},{"price":45291.8,"qty":1.54553491},
        {"price":45294.7,"qty":0.04454749},{"price":45296.1,"qty":0.35380000},{"price":45297.5,"qty":0.09945542},
        {"price":45299.5,"qty":0.18772827}],"checksum":3310070434}]}"#;

    #[test]
    fn the_documented_checksum() {
        let mut b = btc_book(10);
        assert_eq!(
            b.on_message(DOC_SNAPSHOT.as_bytes()),
            Ok(BookOutcome::Snapshot)
        );
        assert_eq!(b.checksum(), 3_310_070_434);
        assert!(b.is_synced());
        assert_eq!(b.book.best_bid().unwrap().ticks, 452_835);
    }

    #[test]
    fn updates_truncate_and_a_wrong_checksum_unsyncs() {
        let mut b = btc_book(10);
        b.on_message(DOC_SNAPSHOT.as_bytes()).unwrap();
        // a new best bid pushes the 10th bid out of scope (no qty 0 is sent for it)
        let mut probe = b.clone();
        probe.apply(
            false,
            &[Level {
                ticks: 452_840,
                lots: 5,
            }],
            &[],
            None,
        );
        let sum = probe.checksum();
        let upd = format!(
            r#"{{"channel":"book","type":"update","data":[{{"symbol":"BTC/USD","bids":[{{"price":45284.0,"qty":0.00000005}}],"asks":[],"checksum":{sum},"timestamp":"2023-10-06T17:35:55.440295Z"}}]}}"#
        );
        assert_eq!(b.on_message(upd.as_bytes()), Ok(BookOutcome::Applied));
        assert_eq!(b.book.bids.len(), 10);
        assert_eq!(
            b.book.bids.lots_at(452_766),
            None,
            "the 11th bid was truncated"
        );
        // the same update replayed (a duplicate) still matches: levels are absolute
        assert_eq!(b.on_message(upd.as_bytes()), Ok(BookOutcome::Applied));
        let bad = upd.replace(&sum.to_string(), &(sum ^ 1).to_string());
        assert!(matches!(
            b.on_message(bad.as_bytes()),
            Ok(BookOutcome::Mismatch { .. })
        ));
        assert!(!b.is_synced());
        assert_eq!(
            b.on_message(upd.as_bytes()),
            Ok(BookOutcome::Ignored),
            "unsynced until a snapshot"
        );
    }

    /// A scale that does not fit a `u64` is a typed error (the book then writes the grid's own
    /// digits); the largest counts times the largest scales are still written exactly.
    #[test]
    fn a_huge_scale_is_an_error_not_an_overflow() {
        let coarse = Grid::new(dec!(1000000000000000000)).unwrap();
        assert_eq!(multiplier(&coarse, 1), Ok(10_000_000_000_000_000_000));
        assert_eq!(multiplier(&coarse, 2), Err(BookError::Precision(2)));
        assert_eq!(multiplier(&coarse, 19), Err(BookError::Precision(19)));
        let fine = Grid::new(dec!(0.00000001)).unwrap();
        let mut b = KrakenBook::new("X/Y", coarse, fine, 10, (Some(2), Some(18)));
        assert_eq!(
            (b.price_mult, b.size_mult),
            (1_000_000_000_000_000_000, 10_000_000_000)
        );
        let top = Level {
            ticks: u64::MAX,
            lots: u64::MAX,
        };
        let mut text = ChecksumText::new();
        text.level(top, b.price_mult, b.size_mult);
        let want = format!(
            "{}{}",
            u128::from(u64::MAX) * 1_000_000_000_000_000_000,
            u128::from(u64::MAX) * 10_000_000_000
        );
        assert_eq!(text.bytes(), want.as_bytes());
        b.apply(true, &[Level { ticks: 5, lots: 7 }], &[], None);
        assert_eq!(
            b.checksum(),
            crc32fast::hash(format!("{}{}", 5 * 10u64.pow(18), 7 * 10u64.pow(10)).as_bytes())
        );
    }

    #[test]
    fn hostile_messages_are_errors_and_unsync() {
        let mut b = btc_book(10);
        for bad in [
            &DOC_SNAPSHOT[..200],
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":1e400,"qty":1}]}]}"#,
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":99999999999999999999999.1,"qty":1}]}]}"#,
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":-1,"qty":1}]}]}"#,
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","bids":[{"price":1.05,"qty":1}]}]}"#,
            r#"{"channel":"book","type":"snapshot","data":[{"symbol":"BTC/USD","checksum":99999999999}]}"#,
            "<html>502</html>",
        ] {
            b.on_message(DOC_SNAPSHOT.as_bytes()).unwrap();
            assert!(b.on_message(bad.as_bytes()).is_err(), "{bad}");
            assert!(!b.is_synced());
        }
        // unknown fields, other channels and other symbols are ignored
        for other in [
            r#"{"channel":"heartbeat"}"#,
            r#"{"method":"pong","req_id":1,"time_in":"x","time_out":"y"}"#,
            r#"{"channel":"book","type":"update","data":[{"symbol":"ETH/USD","bids":[],"asks":[],"checksum":1}]}"#,
            r#"{"new":{"nested":[1,[2,{"x":null}]]},"channel":"status","data":[{"system":"online"}]}"#,
        ] {
            b.on_message(DOC_SNAPSHOT.as_bytes()).unwrap();
            assert_eq!(
                b.on_message(other.as_bytes()),
                Ok(BookOutcome::Ignored),
                "{other}"
            );
            assert!(b.is_synced());
        }
    }
}
