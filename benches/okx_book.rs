//! OKX book bench: raw `books` pushes → the connector's real parser and continuity rule
//! ([`OkxBook::on_message`]) → the real book, per `/work/shared/bench/README.md`. The pushes are
//! generated (untimed) from the same events as the shared Binance dataset, in OKX's own shape and
//! documented key order:
//! `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[[px,sz,"0",
//! "1"],…],"bids":[…],"ts":…,"checksum":0,"prevSeqId":…,"seqId":…}]}` with `prevSeqId` the
//! previous push's `seqId` (the checksum is 0, as OKX sends since June 2026). Data: `python3
//! ../shared/bench/gen_depth_data.py --out target/bench-data` (or `BENCH_DATA=dir`). Run pinned:
//! `taskset -c 1 cargo bench --bench okx_book`. The final book is checked against the expected
//! sha256 before any figure is printed.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sluice::cex::Grid;
use sluice::cex::exchanges::okx::book::{BookOutcome, OkxBook};

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

/// `[[px, sz], …]` as OKX's `[[px, sz, "0", "1"], …]`.
fn okx_levels(v: &Value) -> Value {
    Value::Array(
        v.as_array()
            .expect("levels")
            .iter()
            .map(|l| json!([l[0], l[1], "0", "1"]))
            .collect(),
    )
}

/// One push with OKX's documented key order (`arg`, `action`, `data`: `asks`, `bids`, `ts`,
/// `checksum`, `prevSeqId`, `seqId`), as the exchange sends it.
fn push(action: &str, asks: Value, bids: Value, ts: &Value, prev: i64, seq: i64) -> Vec<u8> {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":{asks},"bids":{bids},"ts":"{ts}","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
    .into_bytes()
}

/// The snapshot push and the update pushes of one dataset, in OKX's shape (untimed).
fn okx_pushes(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_i64().expect("lastUpdateId");
    let snap = push(
        "snapshot",
        okx_levels(&s["asks"]),
        okx_levels(&s["bids"]),
        &json!(0),
        -1,
        last,
    );
    let mut prev = last;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        let u = e["u"].as_i64().expect("u");
        if u <= last {
            continue;
        }
        out.push(push(
            "update",
            okx_levels(&e["a"]),
            okx_levels(&e["b"]),
            &e["E"],
            prev,
            u,
        ));
        prev = u;
    }
    (snap, out)
}

fn new_book(snap: &[u8]) -> OkxBook {
    let mut b = OkxBook::new(
        Grid::new(Decimal::new(1, 2)).expect("tick"),
        Grid::new(Decimal::new(1, 8)).expect("lot"),
    );
    match b.on_message(snap).expect("snapshot parses") {
        BookOutcome::Snapshot { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// CPU time this thread has used, in ms (`/proc/thread-self/schedstat`): on a machine shared
/// with other work the elapsed time counts the time the bench waited for a core; this does not.
fn thread_cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e6)
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, pushes) = okx_pushes(snapshot, &load_lines(dir, name));
    let expected: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.expected.json"))).expect("expected file"),
    )
    .expect("expected json");
    let want_sha = expected["final"]["canonical_book_sha256"]
        .as_str()
        .expect("canonical_book_sha256")
        .to_string();
    let n = pushes.len();
    let bytes: usize = pushes.iter().map(Vec::len).sum();
    let mut per_event = Vec::new();
    let mut cpu_per_event = Vec::new();
    for run in 0..RUNS {
        let mut book = new_book(&snap);
        let mut not_applied = 0usize;
        let cpu0 = thread_cpu_ms();
        let t = Instant::now();
        for p in &pushes {
            match book.on_message(black_box(p)) {
                Ok(BookOutcome::Applied) => {}
                _ => not_applied += 1,
            }
        }
        let el = t.elapsed();
        if let (Some(a), Some(b)) = (cpu0, thread_cpu_ms()) {
            cpu_per_event.push((b - a) * 1e3 / n as f64);
        }
        assert_eq!(not_applied, 0, "every push must apply");
        if run == 0 {
            let got = hex::encode(Sha256::digest(book.book.canonical_dump(2, 8).as_bytes()));
            assert_eq!(
                got, want_sha,
                "{name}: final book differs from the expected one"
            );
            println!(
                "{name} (okx shape): {n} pushes, {} bytes each on average, final book sha256 {got} matches",
                bytes / n.max(1)
            );
        }
        per_event.push(el.as_secs_f64() * 1e6 / n as f64);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} (okx) parse+apply: median {med:.3} us/event (min {min:.3}, max {max:.3}) over {RUNS} runs, {:.0} events/s",
        1e6 / med
    );
    if cpu_per_event.len() == RUNS {
        let (med, min, max) = stats(cpu_per_event);
        println!(
            "{name} (okx) parse+apply, thread CPU time: median {med:.3} us/event (min {min:.3}, max {max:.3})"
        );
    }
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
