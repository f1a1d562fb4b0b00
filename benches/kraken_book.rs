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

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sluice::cex::exchanges::kraken::book::{BookOutcome, KrakenBook};
use sluice::cex::{Grid, Level};

const RUNS: usize = 5;
const DEPTH: usize = 1000;
const SYMBOL: &str = "BTC/USDT";

fn data_dir() -> PathBuf {
    std::env::var_os("BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

fn load_lines(dir: &Path, name: &str) -> Vec<Vec<u8>> {
    let plain = dir.join(format!("{name}.jsonl"));
    let bytes = if plain.exists() {
        std::fs::read(&plain).expect("read jsonl")
    } else {
        let gz = dir.join(format!("{name}.jsonl.gz"));
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(&gz)
            .output()
            .expect("gzip -dc");
        assert!(out.status.success(), "gzip -dc {} failed", gz.display());
        out.stdout
    };
    bytes
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn grids() -> (Grid, Grid) {
    (
        Grid::new(Decimal::new(1, 2)).expect("tick"),
        Grid::new(Decimal::new(1, 8)).expect("step"),
    )
}

fn new_book() -> KrakenBook {
    let (p, s) = grids();
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
    let (pg, sg) = grids();
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

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// CPU time this thread has used, in ms (Linux `/proc/thread-self/schedstat`): on a shared
/// machine the elapsed time also counts the time spent waiting for a core.
fn thread_cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e6)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
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
    let lines = load_lines(dir, name);
    let (snapshot, feed, want) = kraken_feed(binance_snapshot, &lines);
    let want_sha = sha256_hex(&want);
    let n = feed.len();

    let mut per_event = Vec::new();
    let mut cpu_per_event = Vec::new();
    for run in 0..RUNS {
        let mut book = synced(&snapshot);
        let mut not_applied = 0usize;
        let cpu0 = thread_cpu_ms();
        let t = Instant::now();
        for line in &feed {
            match book.on_message(black_box(line)) {
                Ok(BookOutcome::Applied) => {}
                _ => not_applied += 1,
            }
        }
        let el = t.elapsed();
        if let (Some(a), Some(b)) = (cpu0, thread_cpu_ms()) {
            cpu_per_event.push((b - a) * 1e3 / n as f64);
        }
        assert_eq!(not_applied, 0, "every update must apply with its checksum");
        if run == 0 {
            let got = sha256_hex(&book.book.canonical_dump(2, 8));
            assert_eq!(
                got, want_sha,
                "{name}: final book differs from the reference"
            );
            println!(
                "kraken {name}: {n} updates, every checksum verified, final book sha256 {got} matches the reference"
            );
        }
        per_event.push(el.as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "kraken {name} parse+apply+checksum: median {med:.3} us/event (min {min:.3}, max {max:.3}) over {RUNS} runs, {:.0} events/s",
        1e6 / med
    );
    if cpu_per_event.len() == RUNS {
        let (med, min, max) = stats(cpu_per_event);
        println!(
            "kraken {name} parse+apply+checksum, thread CPU time: median {med:.3} us/event (min {min:.3}, max {max:.3})"
        );
    }

    // apply + checksum only: levels pre-parsed (untimed)
    let parsed: Vec<(Vec<Level>, Vec<Level>, u32)> = feed
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_slice(l).expect("json");
            let d = &v["data"][0];
            let (pg, sg) = grids();
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
        assert_eq!(sha256_hex(&book.book.canonical_dump(2, 8)), want_sha);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "kraken {name} apply+checksum only: median {med:.3} us/event (min {min:.3}, max {max:.3})"
    );
}

fn main() {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let dir = data_dir();
    let snapshot = std::fs::read(dir.join("snapshot.json")).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate with python3 ../shared/bench/gen_depth_data.py --out target/bench-data",
            dir.display()
        )
    });
    for name in ["depth_10x10", "depth_1x1"] {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            bench_dataset(&dir, name, &snapshot);
        }
    }
}
