//! What the order-book benches share, per `/work/shared/bench/README.md`: where the generated
//! dataset is, its lines read fully into memory (plain or gzipped), the expected final book's
//! sha256, statistics over runs, the thread's CPU time, the sha256 of a canonical dump, the
//! book's grids, and the two timed loops every book bench runs (parse+apply with the final
//! book's check, parse only).

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use rust_decimal::Decimal;
use serde_json::Value;
use sha2::{Digest, Sha256};
use sluice::cex::{Grid, OrderBook};

/// Runs per dataset.
pub const RUNS: usize = 5;

/// The generated datasets, in the order the benches run them.
pub const DATASETS: &[&str] = &["depth_10x10", "depth_1x1"];

/// The dataset directory: `BENCH_DATA`, else `target/bench-data`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

/// The lines of `<name>.jsonl` (or `.jsonl.gz`, decompressed with the system `gzip`), each as
/// bytes.
pub fn load_lines(dir: &Path, name: &str) -> Vec<Vec<u8>> {
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

/// The snapshot file, or a panic that says how to generate the data.
pub fn snapshot(dir: &Path) -> Vec<u8> {
    std::fs::read(dir.join("snapshot.json")).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; generate with python3 ../shared/bench/gen_depth_data.py --out target/bench-data",
            dir.display()
        )
    })
}

/// `final.canonical_book_sha256` of `<name>.expected.json`.
pub fn expected_sha(dir: &Path, name: &str) -> String {
    let expected: Value = serde_json::from_slice(
        &std::fs::read(dir.join(format!("{name}.expected.json"))).expect("expected file"),
    )
    .expect("expected json");
    expected["final"]["canonical_book_sha256"]
        .as_str()
        .expect("canonical_book_sha256")
        .to_string()
}

/// (median, min, max).
pub fn stats(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

/// CPU time this thread has used, in ms: Linux `/proc/thread-self/schedstat` (nanoseconds on
/// the CPU), else `/proc/thread-self/stat` (utime + stime at 100 ticks/s: 10 ms resolution). On a
/// machine shared with other work the elapsed time counts the time the bench waited for a core;
/// this does not.
pub fn thread_cpu_ms() -> Option<f64> {
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

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The grids of the datasets' BTC/USDT book: price tick 0.01, size step 10^-`step_scale`.
pub fn grids(step_scale: u32) -> (Grid, Grid) {
    (
        Grid::new(Decimal::new(1, 2)).expect("tick"),
        Grid::new(Decimal::new(1, step_scale)).expect("step"),
    )
}

/// The sha256 of a book's canonical dump (prices to 2 decimals, sizes to 8), as the expected
/// files give it.
pub fn book_sha(book: &OrderBook) -> String {
    sha256_hex(&book.canonical_dump(2, 8))
}

/// The dataset names the command line selects (all without a filter).
pub fn selected(names: &[&'static str]) -> Vec<&'static str> {
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    names
        .iter()
        .copied()
        .filter(|n| filter.is_empty() || filter.iter().any(|f| n.contains(f.as_str())))
        .collect()
}

/// A bench's parse+apply measurement: what its lines say and how its final book is checked.
pub struct ParseApply {
    /// What leads each figure line: `depth_1x1`, `depth_1x1 gate_io`, `kraken depth_1x1`, …
    pub label: String,
    /// The step timed, as printed: `parse+apply`, `parse+apply+checksum`.
    pub step: &'static str,
    /// The assertion's message when a message does not apply.
    pub all_apply: &'static str,
    /// The final book's expected sha256.
    pub want_sha: String,
    /// The assertion's message when the final book differs.
    pub differs: String,
    /// The line printed once the first run's final book matched.
    pub matched: String,
}

impl ParseApply {
    /// The measurement most benches make of dataset `name`: `<label> parse+apply`, every event
    /// must apply, and the final book must hash to `want_sha` (from the expected file).
    pub fn expected(name: &str, label: String, want_sha: String, matched: String) -> Self {
        Self {
            label,
            step: "parse+apply",
            all_apply: "every event must apply",
            want_sha,
            differs: format!("{name}: final book differs from the expected one"),
            matched,
        }
    }

    pub fn run<B>(
        &self,
        frames: &[Vec<u8>],
        mut fresh: impl FnMut() -> B,
        mut apply: impl FnMut(&mut B, &[u8]) -> bool,
        book: impl Fn(&B) -> &OrderBook,
    ) {
        let (label, step) = (self.label.as_str(), self.step);
        let n = frames.len();
        let mut per_event = Vec::new();
        let mut cpu_per_event = Vec::new();
        for run in 0..RUNS {
            let mut b = fresh();
            let mut not_applied = 0usize;
            let cpu0 = thread_cpu_ms();
            let t = Instant::now();
            for frame in frames {
                if !apply(&mut b, black_box(frame)) {
                    not_applied += 1;
                }
            }
            let el = t.elapsed();
            if let (Some(a), Some(b)) = (cpu0, thread_cpu_ms()) {
                cpu_per_event.push((b - a) * 1e3 / n as f64);
            }
            assert_eq!(not_applied, 0, "{}", self.all_apply);
            if run == 0 {
                assert_eq!(book_sha(book(&b)), self.want_sha, "{}", self.differs);
                println!("{}", self.matched);
            }
            per_event.push(el.as_secs_f64() * 1e6 / n as f64);
        }
        let (med, min, max) = stats(per_event);
        println!(
            "{label} {step}: median {med:.3} us/event (min {min:.3}, max {max:.3}) over {RUNS} runs, {:.0} events/s",
            1e6 / med
        );
        if cpu_per_event.len() == RUNS {
            let (med, min, max) = stats(cpu_per_event);
            println!(
                "{label} {step}, thread CPU time: median {med:.3} us/event (min {min:.3}, max {max:.3})"
            );
        }
    }
}

/// Feeds every frame to `parse` (nothing applied), `RUNS` times, and prints the time per frame
/// as `<label> parse only: …`.
pub fn parse_only<R>(label: &str, frames: &[Vec<u8>], mut parse: impl FnMut(&[u8]) -> R) {
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let t = Instant::now();
        for frame in frames {
            black_box(parse(black_box(frame)));
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / frames.len() as f64);
    }
    let (med, min, max) = stats(per_event);
    println!("{label} parse only: median {med:.3} us/event (min {min:.3}, max {max:.3})");
}
