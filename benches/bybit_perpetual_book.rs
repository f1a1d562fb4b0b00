//! Bybit book bench: raw `orderbook` frames → the connector's real parser and `u` rule
//! ([`BybitBook::on_frame`]) → the real book, per `/work/shared/bench/README.md`. The frames are
//! generated (untimed) from the events of the shared Binance dataset, in Bybit's v5 shape and
//! documented key order: `{"topic":"orderbook.50.BTCUSDT","type":"delta","ts":…,"data":{"s":
//! "BTCUSDT","b":[[px,sz],…],"a":[…],"u":…,"seq":…},"cts":…}` with `u` counting the messages one
//! by one and `seq` the dataset's update id. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! bybit_perpetual_book`. The final book is checked against the expected sha256 before any figure
//! is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::bybit_perpetual::depth::{BookOutcome, BybitBook};

use depth_data::ParseApply;

/// One frame in Bybit's documented key order.
fn frame(kind: &str, bids: &Value, asks: &Value, ts: &Value, u: u64, seq: u64) -> Vec<u8> {
    format!(
        r#"{{"topic":"orderbook.50.BTCUSDT","type":"{kind}","ts":{ts},"data":{{"s":"BTCUSDT","b":{bids},"a":{asks},"u":{u},"seq":{seq}}},"cts":{ts}}}"#
    )
    .into_bytes()
}

/// The snapshot frame and the delta frames of one dataset, in Bybit's shape (untimed).
fn bybit_frames(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_u64().expect("lastUpdateId");
    let snap = frame("snapshot", &s["bids"], &s["asks"], &Value::from(0), 2, last);
    let mut u = 2;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        let seq = e["u"].as_u64().expect("u");
        if seq <= last {
            continue;
        }
        u += 1;
        out.push(frame("delta", &e["b"], &e["a"], &e["E"], u, seq));
    }
    (snap, out)
}

fn new_book(snap: &[u8]) -> BybitBook {
    let (tick, step) = depth_data::grids(8);
    let mut b = BybitBook::new("BTCUSDT", 50, tick, step);
    match b.on_frame(snap).expect("snapshot parses") {
        BookOutcome::Snapshot { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, frames) = bybit_frames(snapshot, &depth_data::load_lines(dir, name));
    let want_sha = depth_data::expected_sha(dir, name);
    let n = frames.len();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    ParseApply {
        all_apply: "every frame must apply",
        ..ParseApply::expected(
            name,
            format!("{name} (bybit)"),
            want_sha.clone(),
            format!(
                "{name} (bybit shape): {n} frames, {} bytes each on average, final book sha256 {want_sha} matches",
                bytes / n.max(1)
            ),
        )
    }
    .run(
        &frames,
        || new_book(&snap),
        |book, f| matches!(book.on_frame(f), Ok(BookOutcome::Applied)),
        |book| &book.book,
    );
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = depth_data::snapshot(&dir);
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
