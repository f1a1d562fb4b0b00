//! Kraken book bench: raw WebSocket v2 `book` messages → the connector's real parser → the real
//! book, with the CRC32 checksum of the top 10 verified on every message (the connector's real
//! path), per `/work/shared/bench/README.md`. The messages are made (untimed) from the same
//! events as the Binance bench (`python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data`, or `BENCH_DATA=dir`): each Binance diff becomes one Kraken `update` with the
//! same 10+10 levels in Kraken's shape (`{"price":…,"qty":…}`, full precision), its checksum
//! computed from an independent reference book (a `BTreeMap`, kept to the subscribed depth of
//! 1000 as Kraken's feed is, the checksum string built from the formatted decimals); the snapshot
//! is Kraken's top 1000 of the Binance snapshot. Run pinned: `taskset -c 1 cargo bench --bench
//! kraken_book`. The final book is compared with the reference before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use rust_decimal::Decimal;
use sluice::cex::Level;
use sluice::cex::exchanges::kraken::book::{BookOutcome, KrakenBook};

use depth_data::{ParseApply, RUNS, book_sha, grids, sha256_hex, stats};

const DEPTH: usize = 1000;
const SYMBOL: &str = "BTC/USDT";

fn new_book() -> KrakenBook {
    let (p, s) = grids(8);
    KrakenBook::new(SYMBOL, p, s, DEPTH, (Some(2), Some(8)))
}

/// The reference book: price and size as integers of 0.01 and 1e-8, bids and asks.
#[derive(Default)]
struct Reference {
    bids: BTreeMap<u64, u64>,
    asks: BTreeMap<u64, u64>,
}

fn fmt(n: u64, dp: u32) -> String {
    let d = Decimal::from_i128_with_scale(i128::from(n), dp);
    format!("{:.*}", dp as usize, d)
}

impl Reference {
    fn set(&mut self, bid: bool, p: u64, q: u64) {
        let side = if bid { &mut self.bids } else { &mut self.asks };
        if q == 0 {
            side.remove(&p);
        } else {
            side.insert(p, q);
        }
    }

    fn truncate(&mut self) {
        while self.bids.len() > DEPTH {
            self.bids.pop_first();
        }
        while self.asks.len() > DEPTH {
            self.asks.pop_last();
        }
    }

    /// Kraken's checksum, the documented way: formatted decimals, '.' and leading zeros removed.
    fn checksum(&self) -> u32 {
        let mut s = String::new();
        let mut part = |v: String| {
            let d: String = v.chars().filter(|c| *c != '.').collect();
            s.push_str(d.trim_start_matches('0'));
        };
        for (p, q) in self.asks.iter().take(10) {
            part(fmt(*p, 2));
            part(fmt(*q, 8));
        }
        for (p, q) in self.bids.iter().rev().take(10) {
            part(fmt(*p, 2));
            part(fmt(*q, 8));
        }
        crc32fast::hash(s.as_bytes())
    }

    fn dump(&self) -> String {
        let mut out = String::new();
        for (p, q) in self.bids.iter().rev() {
            out.push_str(&format!("b {} {}\n", fmt(*p, 2), fmt(*q, 8)));
        }
        for (p, q) in &self.asks {
            out.push_str(&format!("a {} {}\n", fmt(*p, 2), fmt(*q, 8)));
        }
        out
    }
}

fn levels_json(levels: &[(u64, u64)]) -> String {
    let v: Vec<String> = levels
        .iter()
        .map(|(p, q)| format!("{{\"price\":{},\"qty\":{}}}", fmt(*p, 2), fmt(*q, 8)))
        .collect();
    format!("[{}]", v.join(","))
}

fn message(kind: &str, bids: &[(u64, u64)], asks: &[(u64, u64)], checksum: u32) -> Vec<u8> {
    format!(
        "{{\"channel\":\"book\",\"type\":\"{kind}\",\"data\":[{{\"symbol\":\"{SYMBOL}\",\"bids\":{},\"asks\":{},\"checksum\":{checksum},\"timestamp\":\"2026-12-07T09:00:00.000000Z\"}}]}}",
        levels_json(bids),
        levels_json(asks)
    )
    .into_bytes()
}

/// `[["p","q"],…]` of a Binance message onto the grids.
fn binance_levels(v: &serde_json::Value) -> Vec<(u64, u64)> {
    let (pg, sg) = grids(8);
    v.as_array()
        .expect("levels")
        .iter()
        .map(|l| {
            let p = l[0].as_str().expect("price");
            let q = l[1].as_str().expect("qty");
            (
                pg.parse(p.as_bytes()).expect("price"),
                sg.parse(q.as_bytes()).expect("qty"),
            )
        })
        .collect()
}

/// The Kraken snapshot and updates made from the Binance dataset, and the reference final book.
fn kraken_feed(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>, String) {
    let snap: serde_json::Value = serde_json::from_slice(snapshot).expect("snapshot");
    let mut r = Reference::default();
    let (bids, asks) = (binance_levels(&snap["bids"]), binance_levels(&snap["asks"]));
    for (p, q) in &bids {
        r.set(true, *p, *q);
    }
    for (p, q) in &asks {
        r.set(false, *p, *q);
    }
    r.truncate();
    let top_b: Vec<(u64, u64)> = r.bids.iter().rev().map(|(p, q)| (*p, *q)).collect();
    let top_a: Vec<(u64, u64)> = r.asks.iter().map(|(p, q)| (*p, *q)).collect();
    let first = message("snapshot", &top_b, &top_a, r.checksum());
    let mut out = Vec::with_capacity(lines.len());
    for line in lines {
        let e: serde_json::Value = serde_json::from_slice(line).expect("event");
        let (b, a) = (binance_levels(&e["b"]), binance_levels(&e["a"]));
        for (p, q) in &b {
            r.set(true, *p, *q);
        }
        for (p, q) in &a {
            r.set(false, *p, *q);
        }
        r.truncate();
        out.push(message("update", &b, &a, r.checksum()));
    }
    (first, out, r.dump())
}

fn synced(snapshot: &[u8]) -> KrakenBook {
    let mut b = new_book();
    assert_eq!(
        b.on_message(snapshot),
        Ok(BookOutcome::Snapshot),
        "snapshot applies"
    );
    b
}

fn bench_dataset(dir: &Path, name: &str, binance_snapshot: &[u8]) {
    let lines = depth_data::load_lines(dir, name);
    let (snapshot, feed, want) = kraken_feed(binance_snapshot, &lines);
    let want_sha = sha256_hex(&want);
    let n = feed.len();

    ParseApply {
        label: format!("kraken {name}"),
        step: "parse+apply+checksum",
        all_apply: "every update must apply with its checksum",
        want_sha: want_sha.clone(),
        differs: format!("{name}: final book differs from the reference"),
        matched: format!(
            "kraken {name}: {n} updates, every checksum verified, final book sha256 {want_sha} matches the reference"
        ),
    }
    .run(
        &feed,
        || synced(&snapshot),
        |book, line| matches!(book.on_message(line), Ok(BookOutcome::Applied)),
        |book| &book.book,
    );

    // apply + checksum only: levels pre-parsed (untimed)
    let parsed: Vec<(Vec<Level>, Vec<Level>, u32)> = feed
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).expect("json");
            let d = &v["data"][0];
            let (pg, sg) = grids(8);
            let side = |k: &str| -> Vec<Level> {
                d[k].as_array()
                    .expect("side")
                    .iter()
                    .map(|x| Level {
                        ticks: pg.parse(x["price"].to_string().as_bytes()).expect("p"),
                        lots: sg.parse(x["qty"].to_string().as_bytes()).expect("q"),
                    })
                    .collect()
            };
            let sum = u32::try_from(d["checksum"].as_u64().expect("checksum")).expect("u32");
            (side("bids"), side("asks"), sum)
        })
        .collect();
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let mut book = synced(&snapshot);
        let t = Instant::now();
        for (b, a, sum) in &parsed {
            black_box(book.apply(false, b, a, Some(*sum)));
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        assert_eq!(book_sha(&book.book), want_sha);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "kraken {name} apply+checksum only: median {med:.3} us/event (min {min:.3}, max {max:.3})"
    );
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = depth_data::snapshot(&dir);
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
