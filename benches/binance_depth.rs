//! Binance depth bench: raw websocket bytes → the connector's real parser → the real book, per
//! `/work/shared/bench/README.md`. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! binance_depth`. Reading and decompressing the files is never timed; the book is checked against
//! the expected sha256 before any figure is printed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use sluice::cex::exchanges::binance::depth::{
    DiffHeader, DiffOutcome, SnapshotOutcome, SyncedBook,
};
use sluice::cex::{Grid, Level};

const RUNS: usize = 5;

fn data_dir() -> PathBuf {
    std::env::var_os("BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

/// The events of one dataset as raw lines (decompressed with the system `gzip` if needed).
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
            .unwrap_or_else(|e| panic!("gzip -dc {}: {e}", gz.display()));
        assert!(out.status.success(), "gzip -dc {} failed", gz.display());
        out.stdout
    };
    bytes
        .split(|&c| c == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let mut b = SyncedBook::new(
        "BTCUSDT",
        Grid::new(Decimal::new(1, 2)).expect("tick"),
        Grid::new(Decimal::new(1, 5)).expect("step"),
    );
    match b.on_snapshot(snapshot).expect("snapshot parses") {
        SnapshotOutcome::Synced { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// CPU time this thread has used, in ms: Linux `/proc/thread-self/schedstat` (nanoseconds on
/// the CPU), else `/proc/thread-self/stat` (utime + stime at 100 ticks/s: 10 ms resolution). On a
/// machine shared with other work the elapsed time counts the time the bench waited for a core;
/// this does not.
fn thread_cpu_ms() -> Option<f64> {
    if let Ok(s) = std::fs::read_to_string("/proc/thread-self/schedstat")
        && let Some(ns) = s
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
    {
        return Some(ns as f64 / 1e6);
    }
    let stat = std::fs::read_to_string("/proc/thread-self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 * 10.0)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines = load_lines(dir, name);
    let expected: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.expected.json"))).expect("expected file"),
    )
    .expect("expected json");
    let want_sha = expected["final"]["canonical_book_sha256"]
        .as_str()
        .expect("canonical_book_sha256")
        .to_string();
    let n = lines.len();

    // parse + apply, raw bytes in
    let mut per_event = Vec::new();
    let mut cpu_per_event = Vec::new();
    for run in 0..RUNS {
        let mut book = new_book(snapshot);
        let mut not_applied = 0usize;
        let cpu0 = thread_cpu_ms();
        let t = Instant::now();
        for line in &lines {
            match book.on_frame(black_box(line)) {
                Ok(DiffOutcome::Applied) => {}
                _ => not_applied += 1,
            }
        }
        let el = t.elapsed();
        if let (Some(a), Some(b)) = (cpu0, thread_cpu_ms()) {
            cpu_per_event.push((b - a) * 1e3 / n as f64);
        }
        assert_eq!(not_applied, 0, "every event must apply");
        if run == 0 {
            let got = sha256_hex(&book.book.canonical_dump(2, 8));
            assert_eq!(
                got, want_sha,
                "{name}: final book differs from the expected one"
            );
            println!("{name}: {n} events, final book sha256 {got} matches the expected file");
        }
        per_event.push(el.as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} parse+apply: median {med:.3} us/event (min {min:.3}, max {max:.3}) over {RUNS} runs, {:.0} events/s",
        1e6 / med
    );
    if cpu_per_event.len() == RUNS {
        let (med, min, max) = stats(cpu_per_event);
        println!(
            "{name} parse+apply, thread CPU time: median {med:.3} us/event (min {min:.3}, max {max:.3})"
        );
    }

    // parse only: raw bytes through the parser, nothing applied
    let mut parser = new_book(snapshot).parser;
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        for line in &lines {
            black_box(parser.parse_diff(black_box(line)).expect("parse"));
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!("{name} parse only: median {med:.3} us/event (min {min:.3}, max {max:.3})");

    // apply only: events pre-parsed (untimed)
    let mut parser = new_book(snapshot).parser;
    let parsed: Vec<(DiffHeader, Vec<Level>, Vec<Level>)> = lines
        .iter()
        .map(|l| {
            let h = parser.parse_diff(l).expect("parse");
            (h, parser.bids.clone(), parser.asks.clone())
        })
        .collect();
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let mut book = new_book(snapshot);
        let t = Instant::now();
        for (h, b, a) in &parsed {
            black_box(book.on_levels(*h, b, a));
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        assert_eq!(sha256_hex(&book.book.canonical_dump(2, 8)), want_sha);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} apply only: median {med:.3} us/event (min {min:.3}, max {max:.3}), {:.0} events/s",
        1e6 / med
    );

    // best bid + best ask reads on the final book
    let book = {
        let mut b = new_book(snapshot);
        for line in &lines {
            b.on_frame(line).expect("apply");
        }
        b
    };
    let reads = 10_000_000u32;
    let mut per_read = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        let mut acc = 0u64;
        for _ in 0..reads {
            let b = black_box(&book.book);
            acc = acc.wrapping_add(b.best_bid().map_or(0, |l| l.ticks));
            acc = acc.wrapping_add(b.best_ask().map_or(0, |l| l.ticks));
        }
        black_box(acc);
        per_read.push(t.elapsed().as_secs_f64() * 1e9 / f64::from(reads));
    }
    let (med, min, max) = stats(per_read);
    println!("{name} best bid+ask read: median {med:.2} ns (min {min:.2}, max {max:.2})");
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument selects datasets by name.
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
