//! Coinbase Advanced Trade book bench: raw `l2_data` messages → the connector's real parser and
//! sequence rule → the real book, per `/work/shared/bench/README.md`. The messages are generated
//! (untimed) from the shared Binance dataset's events: the same levels, in Coinbase's own shape
//! (`{"channel":"l2_data",…,"sequence_num":N,"events":[{"type":"update","product_id":"BTC-USD",
//! "updates":[{"side":"bid","event_time":…,"price_level":…,"new_quantity":…},…]}]}`), numbered
//! one after another; the snapshot becomes a `snapshot` event, applied through the same path.
//! Data: `python3 ../shared/bench/gen_depth_data.py --out target/bench-data` (or `BENCH_DATA=dir`).
//! Run pinned: `taskset -c 1 cargo bench --bench coinbase_advanced_book`. The final book is
//! checked against the expected sha256 before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use serde_json::Value;
use sluice::cex::exchanges::coinbase_advanced::depth::{Outcome, SyncedBook};

use depth_data::{ParseApply, RUNS, stats};

/// A millisecond time as Coinbase writes it (nanoseconds), fixed width.
fn event_time(ms: u64) -> String {
    format!(
        "2023-11-14T22:13:{:02}.{:03}000000Z",
        (ms / 1000) % 60,
        ms % 1000
    )
}

fn updates(out: &mut String, v: &Value, key: &str, side: &str, time: &str) {
    for l in v[key].as_array().expect("levels") {
        if !out.ends_with('[') {
            out.push(',');
        }
        out.push_str(&format!(
            r#"{{"side":"{side}","event_time":"{time}","price_level":{},"new_quantity":{}}}"#,
            l[0], l[1]
        ));
    }
}

fn message(seq: u64, kind: &str, v: &Value, bids: &str, asks: &str, ms: u64) -> Vec<u8> {
    let time = event_time(ms);
    let mut ups = String::from("[");
    updates(&mut ups, v, bids, "bid", &time);
    updates(&mut ups, v, asks, "offer", &time);
    ups.push(']');
    format!(
        r#"{{"channel":"l2_data","client_id":"","timestamp":"{time}","sequence_num":{seq},"events":[{{"type":"{kind}","product_id":"BTC-USD","updates":{ups}}}]}}"#
    )
    .into_bytes()
}

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let (tick, step) = depth_data::grids(5);
    let mut b = SyncedBook::new("BTC-USD", tick, step);
    match b.on_message(snapshot).expect("snapshot parses") {
        Outcome::Synced => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines: Vec<Vec<u8>> = depth_data::load_lines(dir, name)
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let v: Value = serde_json::from_slice(l).expect("binance line");
            let ms = v["E"].as_u64().expect("E");
            message(i as u64 + 1, "update", &v, "b", "a", ms)
        })
        .collect();
    let want_sha = depth_data::expected_sha(dir, name);
    let n = lines.len();
    ParseApply::expected(
        name,
        format!("{name} coinbase_advanced"),
        want_sha.clone(),
        format!(
            "{name}: {n} coinbase_advanced messages, final book sha256 {want_sha} matches the expected file"
        ),
    )
    .run(
        &lines,
        || new_book(snapshot),
        |book, line| matches!(book.on_message(line), Ok(Outcome::Applied)),
        |book| &book.book,
    );
    let mut parser = new_book(snapshot).parser;
    depth_data::parse_only(&format!("{name} coinbase_advanced"), &lines, |line| {
        parser.parse(line).expect("parse")
    });
    // apply only: the levels parsed beforehand (untimed), set into a fresh book
    let pre: Vec<Vec<(bool, sluice::cex::book::Level)>> = lines
        .iter()
        .map(|l| {
            parser.parse(l).expect("parse");
            parser.levels.clone()
        })
        .collect();
    let mut per_event = Vec::new();
    for _ in 0..RUNS {
        let mut book = new_book(snapshot);
        let t = Instant::now();
        for levels in &pre {
            for &(bid, l) in black_box(levels) {
                if bid {
                    book.book.bids.set(l.ticks, l.lots);
                } else {
                    book.book.asks.set(l.ticks, l.lots);
                }
            }
        }
        per_event.push(t.elapsed().as_secs_f64() * 1e6 / n as f64);
        black_box(&book);
    }
    let (med, min, max) = stats(per_event);
    println!(
        "{name} coinbase_advanced apply only: median {med:.3} us/event (min {min:.3}, max {max:.3})"
    );
    // best bid + ask reads on the final book
    let book = new_book(snapshot);
    let t = Instant::now();
    for _ in 0..1_000_000 {
        black_box((book.book.best_bid(), book.book.best_ask()));
    }
    println!(
        "{name} best bid+ask read: {:.1} ns",
        t.elapsed().as_secs_f64() * 1e9 / 1e6
    );
}

fn main() {
    let dir = depth_data::data_dir();
    let snap: Value = serde_json::from_slice(&depth_data::snapshot(&dir)).expect("snapshot");
    let snapshot = message(0, "snapshot", &snap, "bids", "asks", 0);
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
