//! Coinbase Exchange book bench: raw `level2_batch` `l2update` frames → the connector's real
//! parser → the real book, per `/work/shared/bench/README.md`. The frames are generated (untimed)
//! from the shared Binance dataset's events: the same levels in Coinbase's own message shape
//! (`{"type":"l2update","product_id":…,"changes":[["buy","p","q"],…,["sell","p","q"],…],"time":…}`;
//! Coinbase's level 2 carries no update ids, its order is the feed's), and the snapshot as the
//! feed's `snapshot` message. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! coinbase_pro_book`. The final book is checked against the expected sha256 before any figure is
//! printed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice::cex::Grid;
use sluice::cex::exchanges::coinbase_pro::depth::{HeartbeatCheck, Outcome, SyncedBook};
use sluice_sim::exchange::dialects::coinbase_pro::shapes::iso;

const RUNS: usize = 5;

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

/// A Binance `depthUpdate` line as Coinbase's `l2update` frame (bids then asks as changes).
fn coinbase_frame(line: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(line).expect("binance line");
    let e = v["E"].as_u64().expect("E");
    let side = |levels: &Value, side: &str| -> Vec<Value> {
        levels
            .as_array()
            .expect("levels")
            .iter()
            .map(|l| serde_json::json!([side, l[0], l[1]]))
            .collect()
    };
    let mut changes = side(&v["b"], "buy");
    changes.extend(side(&v["a"], "sell"));
    format!(
        r#"{{"type":"l2update","product_id":"BTC-USDT","changes":{},"time":"{}"}}"#,
        Value::Array(changes),
        iso(e)
    )
    .into_bytes()
}

/// The Binance snapshot as the feed's `snapshot` message.
fn coinbase_snapshot(body: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(body).expect("snapshot");
    format!(
        r#"{{"type":"snapshot","product_id":"BTC-USDT","bids":{},"asks":{}}}"#,
        v["bids"], v["asks"]
    )
    .into_bytes()
}

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let mut b = SyncedBook::new(
        "BTC-USDT",
        Grid::new(Decimal::new(1, 2)).expect("tick"),
        Grid::new(Decimal::new(1, 5)).expect("step"),
        HeartbeatCheck::Advance,
    );
    match b.on_frame(snapshot).expect("snapshot parses") {
        Outcome::Snapshot => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// CPU time this thread has used, in ms (`/proc/thread-self/schedstat`, nanoseconds on the CPU):
/// on a machine shared with other work, elapsed time counts the waits for a core; this does not.
fn thread_cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e6)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines: Vec<Vec<u8>> = load_lines(dir, name)
        .iter()
        .map(|l| coinbase_frame(l))
        .collect();
    let expected: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.expected.json"))).expect("expected file"),
    )
    .expect("expected json");
    let want_sha = expected["final"]["canonical_book_sha256"]
        .as_str()
        .expect("canonical_book_sha256")
        .to_string();
    let n = lines.len();
    let mut per_event = Vec::new();
    let mut cpu_per_event = Vec::new();
    for run in 0..RUNS {
        let mut book = new_book(snapshot);
        let mut not_applied = 0usize;
        let cpu0 = thread_cpu_ms();
        let t = Instant::now();
        for line in &lines {
            match book.on_frame(black_box(line)) {
                Ok(Outcome::Applied) => {}
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
            println!(
                "{name}: {n} coinbase_pro frames, final book sha256 {got} matches the expected file"
            );
        }
        per_event.push(el.as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} coinbase_pro parse+apply: median {med:.3} us/event (min {min:.3}, max {max:.3}) over {RUNS} runs, {:.0} events/s",
        1e6 / med
    );
    if cpu_per_event.len() == RUNS {
        let (med, min, max) = stats(cpu_per_event);
        println!(
            "{name} coinbase_pro parse+apply, thread CPU time: median {med:.3} us/event (min {min:.3}, max {max:.3})"
        );
    }
    let mut parser = new_book(snapshot).parser;
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        for line in &lines {
            black_box(parser.parse_frame(black_box(line)).expect("parse"));
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} coinbase_pro parse only: median {med:.3} us/event (min {min:.3}, max {max:.3})"
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
    let snapshot = coinbase_snapshot(&snapshot);
    for name in ["depth_10x10", "depth_1x1"] {
        if filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str())) {
            bench_dataset(&dir, name, &snapshot);
        }
    }
}
