//! One side of an order book as a tick ladder: sizes stored in arrays indexed by price tick, in
//! chunks of 1,024 consecutive ticks that exist only where there are levels (so a stray order far
//! from the market costs one chunk, not a ladder across the whole price range). Setting a level is
//! O(1) (find the chunk — almost always the one at the top —, write the slot); the best level is
//! kept up to date, and when it is removed the next one is found by scanning the few slots below
//! it. Levels are read best first by walking the chunks.

use super::book::Level;

const CHUNK_BITS: u32 = 10;
const CHUNK: usize = 1 << CHUNK_BITS;
const MASK: u64 = (CHUNK as u64) - 1;

#[derive(Debug, Clone)]
struct Chunk {
    /// `tick >> CHUNK_BITS` of every slot in it.
    id: u64,
    lots: Box<[u64; CHUNK]>,
    count: u32,
}

impl Chunk {
    fn new(id: u64) -> Self {
        Self {
            id,
            lots: Box::new([0; CHUNK]),
            count: 0,
        }
    }
}

/// One side of the book. `BID`: the best level is the highest price; else the lowest.
#[derive(Debug, Clone, Default)]
pub struct BookSide<const BID: bool> {
    /// Sorted by id, ascending.
    chunks: Vec<Chunk>,
    /// Number of levels.
    count: usize,
    /// Tick and size of the best level (meaningful when `count > 0`).
    best: u64,
    best_lots: u64,
    /// Index in `chunks` of the chunk used last (most updates hit the same chunk).
    hot: usize,
}

impl<const BID: bool> PartialEq for BookSide<BID> {
    fn eq(&self, other: &Self) -> bool {
        self.count == other.count && self.iter_best_first().eq(other.iter_best_first())
    }
}

impl<const BID: bool> Eq for BookSide<BID> {}

impl<const BID: bool> BookSide<BID> {
    /// `true` if `a` is strictly better than `b` on this side.
    #[inline(always)]
    fn better(a: u64, b: u64) -> bool {
        if BID { a > b } else { a < b }
    }

    /// Index of the chunk `id`, or where it would go.
    #[inline(always)]
    fn find(&self, id: u64) -> Result<usize, usize> {
        if let Some(c) = self.chunks.get(self.hot)
            && c.id == id
        {
            return Ok(self.hot);
        }
        self.chunks.binary_search_by_key(&id, |c| c.id)
    }

    /// Sets a level; `lots == 0` removes it (removing a missing level is a no-op).
    ///
    /// Whether a level is new, changed or removed is random in a diff stream, so the common path
    /// has no branch on it: the counts and the best level are updated arithmetically, and only
    /// the rare cases (a chunk to create or drop, the best level removed) branch.
    #[inline]
    pub fn set(&mut self, ticks: u64, lots: u64) {
        let id = ticks >> CHUNK_BITS;
        let off = (ticks & MASK) as usize;
        let ci = match self.find(id) {
            Ok(ci) => ci,
            Err(at) => {
                if lots == 0 {
                    return;
                }
                self.chunks.insert(at, Chunk::new(id));
                at
            }
        };
        self.hot = ci;
        let Some(c) = self.chunks.get_mut(ci) else {
            return;
        };
        let old = std::mem::replace(&mut c.lots[off], lots);
        let (was, is) = (u32::from(old != 0), u32::from(lots != 0));
        // `was` is 1 only for a counted level, so neither count goes below zero
        c.count = c.count + is - was;
        self.count = self.count + is as usize - was as usize;
        let chunk_empty = c.count == 0;
        // a new best, or the best level's size changed
        let new_best = (lots != 0) & ((self.count == 1) | !Self::better(self.best, ticks));
        self.best = if new_best { ticks } else { self.best };
        self.best_lots = if new_best { lots } else { self.best_lots };
        let removed = (old != 0) & (lots == 0);
        if removed & (chunk_empty | (ticks == self.best)) {
            self.after_removal(ci, ticks, chunk_empty);
        }
    }

    /// Sets the levels of one side of a diff in order: the same as [`BookSide::set`] on each,
    /// with the counts, the best level and the hot chunk kept in registers while the levels hit
    /// the hot chunk (a level elsewhere, or a removal that needs a chunk dropped or the next best
    /// found, goes through `set`'s own paths).
    #[inline]
    pub fn set_all(&mut self, levels: &[Level]) {
        let (mut count, mut best, mut best_lots, mut hot) =
            (self.count, self.best, self.best_lots, self.hot);
        for &Level { ticks, lots } in levels {
            let id = ticks >> CHUNK_BITS;
            let off = (ticks & MASK) as usize;
            let c = match self.chunks.get_mut(hot) {
                Some(c) if c.id == id => c,
                _ => {
                    (self.count, self.best, self.best_lots, self.hot) =
                        (count, best, best_lots, hot);
                    self.set(ticks, lots);
                    (count, best, best_lots, hot) =
                        (self.count, self.best, self.best_lots, self.hot);
                    continue;
                }
            };
            let old = std::mem::replace(&mut c.lots[off], lots);
            let (was, is) = (u32::from(old != 0), u32::from(lots != 0));
            c.count = c.count + is - was;
            count = count + is as usize - was as usize;
            let chunk_empty = c.count == 0;
            let new_best = (lots != 0) & ((count == 1) | !Self::better(best, ticks));
            best = if new_best { ticks } else { best };
            best_lots = if new_best { lots } else { best_lots };
            let removed = (old != 0) & (lots == 0);
            if removed & (chunk_empty | (ticks == best)) {
                (self.count, self.best, self.best_lots, self.hot) = (count, best, best_lots, hot);
                self.after_removal(hot, ticks, chunk_empty);
                (count, best, best_lots, hot) = (self.count, self.best, self.best_lots, self.hot);
            }
        }
        (self.count, self.best, self.best_lots, self.hot) = (count, best, best_lots, hot);
    }

    /// A level was removed and either its chunk is now empty or it was the best.
    #[cold]
    fn after_removal(&mut self, ci: usize, ticks: u64, chunk_empty: bool) {
        if chunk_empty {
            self.chunks.remove(ci);
            self.hot = 0;
        }
        if self.count > 0 && ticks == self.best {
            self.best = self.next_best(ticks, chunk_empty.then_some(ci));
            self.best_lots = self.lots_at(self.best).unwrap_or(0);
        }
    }

    /// The best level after the best (`old`) was removed; `removed_chunk` is the index its chunk
    /// had if that chunk was dropped. Only called with levels left.
    fn next_best(&self, old: u64, removed_chunk: Option<usize>) -> u64 {
        let id = old >> CHUNK_BITS;
        let off = (old & MASK) as usize;
        // the rest of the old chunk, scanning away from the top
        let start_chunk = match removed_chunk {
            Some(ci) => ci,
            None => match self.chunks.binary_search_by_key(&id, |c| c.id) {
                Ok(ci) => {
                    let c = &self.chunks[ci];
                    let found = if BID {
                        c.lots[..off].iter().rposition(|&q| q != 0)
                    } else {
                        c.lots[off + 1..]
                            .iter()
                            .position(|&q| q != 0)
                            .map(|p| p + off + 1)
                    };
                    if let Some(o) = found {
                        return (c.id << CHUNK_BITS) | o as u64;
                    }
                    if BID { ci } else { ci + 1 }
                }
                Err(ci) => ci,
            },
        };
        // the next non-empty chunk away from the top (bids: lower ids; asks: higher ids)
        let c = if BID {
            start_chunk.checked_sub(1).and_then(|i| self.chunks.get(i))
        } else {
            self.chunks.get(start_chunk)
        };
        c.and_then(|c| {
            let o = if BID {
                c.lots.iter().rposition(|&q| q != 0)
            } else {
                c.lots.iter().position(|&q| q != 0)
            }?;
            Some((c.id << CHUNK_BITS) | o as u64)
        })
        .unwrap_or(old)
    }

    /// The best level: O(1), no lookup.
    #[inline]
    pub fn best(&self) -> Option<Level> {
        (self.count > 0).then_some(Level {
            ticks: self.best,
            lots: self.best_lots,
        })
    }

    pub fn len(&self) -> usize {
        self.count
    }

    /// Ladder chunks in use (each 1,024 ticks, 8 KiB): what the side costs in memory.
    #[inline]
    pub fn chunk_count(&self) -> usize {
        self.chunks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.count = 0;
        self.hot = 0;
    }

    /// Levels from the best to the worst.
    pub fn iter_best_first(&self) -> Box<dyn Iterator<Item = Level> + '_> {
        fn slots<const BID: bool>(c: &Chunk) -> impl Iterator<Item = Level> + '_ {
            let base = c.id << CHUNK_BITS;
            (0..CHUNK).filter_map(move |k| {
                let o = if BID { CHUNK - 1 - k } else { k };
                let q = c.lots[o];
                (q != 0).then_some(Level {
                    ticks: base | o as u64,
                    lots: q,
                })
            })
        }
        if BID {
            Box::new(self.chunks.iter().rev().flat_map(slots::<BID>))
        } else {
            Box::new(self.chunks.iter().flat_map(slots::<BID>))
        }
    }

    /// Size at a price, if there is a level there.
    pub fn lots_at(&self, ticks: u64) -> Option<u64> {
        let ci = self.find(ticks >> CHUNK_BITS).ok()?;
        let q = self.chunks[ci].lots[(ticks & MASK) as usize];
        (q != 0).then_some(q)
    }
}
