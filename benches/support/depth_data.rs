//! What the order-book benches share, per `/work/shared/bench/README.md`: where the generated
//! dataset is, its lines read fully into memory (plain or gzipped), the expected final book's
//! sha256, statistics over runs, the thread's CPU time and the sha256 of a canonical dump.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sha2::{Digest, Sha256};

/// Runs per dataset.
pub const RUNS: usize = 5;

/// The dataset directory: `BENCH_DATA`, else `target/bench-data`.
pub fn data_dir() -> PathBuf {
    std::env::var_os("BENCH_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data"))
}

/// The lines of `<name>.jsonl` (or `.jsonl.gz`), each as bytes.
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

/// CPU time this thread has used, in ms (`/proc/thread-self/schedstat`): on a machine shared with
/// other work, elapsed time counts the waits for a core; this does not.
pub fn thread_cpu_ms() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e6)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
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
