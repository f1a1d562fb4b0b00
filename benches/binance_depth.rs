//! Binance depth bench: raw websocket bytes → the connector's real parser → the real book, per
//! `/work/shared/bench/README.md`. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! binance_depth`. Reading and decompressing the files is never timed; the book is checked against
//! the expected sha256 before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use sluice::cex::Level;
use sluice::cex::exchanges::binance::depth::{
    DiffHeader, DiffOutcome, SnapshotOutcome, SyncedBook,
};

use depth_data::{ParseApply, RUNS, book_sha, stats};

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let (tick, step) = depth_data::grids(5);
    let mut b = SyncedBook::new("BTCUSDT", tick, step);
    match b.on_snapshot(snapshot).expect("snapshot parses") {
        SnapshotOutcome::Synced { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines = depth_data::load_lines(dir, name);
    let want_sha = depth_data::expected_sha(dir, name);
    let n = lines.len();

    // parse + apply, raw bytes in
    ParseApply::expected(
        name,
        name.to_string(),
        want_sha.clone(),
        format!("{name}: {n} events, final book sha256 {want_sha} matches the expected file"),
    )
    .run(
        &lines,
        || new_book(snapshot),
        |book, line| matches!(book.on_frame(line), Ok(DiffOutcome::Applied)),
        |book| &book.book,
    );

    // parse only: raw bytes through the parser, nothing applied
    let mut parser = new_book(snapshot).parser;
    depth_data::parse_only(name, &lines, |line| parser.parse_diff(line).expect("parse"));

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
        assert_eq!(book_sha(&book.book), want_sha);
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
    let dir = depth_data::data_dir();
    let snapshot = depth_data::snapshot(&dir);
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
