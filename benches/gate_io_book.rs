//! Gate.io book bench: raw `spot.order_book_update` frames → the connector's real parser → the
//! real book, per `/work/shared/bench/README.md`. The frames are generated (untimed) from the
//! shared Binance dataset's events: the same `U`, `u` and levels, in Gate.io's own message shape;
//! the snapshot's `lastUpdateId` becomes Gate.io's `id`. Data: `python3
//! ../shared/bench/gen_depth_data.py --out target/bench-data` (or `BENCH_DATA=dir`). Run pinned:
//! `taskset -c 1 cargo bench --bench gate_io_book`. The final book is checked against the expected
//! sha256 before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::gate_io::depth::{SnapshotOutcome, SyncedBook, UpdateOutcome};

use depth_data::ParseApply;

/// A Binance `depthUpdate` line as Gate.io's `spot.order_book_update` frame.
fn gate_frame(line: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(line).expect("binance line");
    let e = v["E"].as_u64().expect("E");
    format!(
        r#"{{"time":{},"time_ms":{e},"channel":"spot.order_book_update","event":"update","result":{{"t":{e},"e":"depthUpdate","E":{},"s":"BTC_USDT","U":{},"u":{},"b":{},"a":{}}}}}"#,
        e / 1000,
        e / 1000,
        v["U"],
        v["u"],
        v["b"],
        v["a"]
    )
    .into_bytes()
}

/// The Binance snapshot as Gate.io's `/spot/order_book?with_id=true` answer.
fn gate_snapshot(body: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(body).expect("snapshot");
    format!(
        r#"{{"id":{},"current":1,"update":1,"asks":{},"bids":{}}}"#,
        v["lastUpdateId"], v["asks"], v["bids"]
    )
    .into_bytes()
}

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let (tick, step) = depth_data::grids(5);
    let mut b = SyncedBook::new("BTC_USDT", tick, step);
    match b.on_snapshot(snapshot).expect("snapshot parses") {
        SnapshotOutcome::Synced { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines: Vec<Vec<u8>> = depth_data::load_lines(dir, name)
        .iter()
        .map(|l| gate_frame(l))
        .collect();
    let want_sha = depth_data::expected_sha(dir, name);
    let n = lines.len();
    ParseApply::expected(
        name,
        format!("{name} gate_io"),
        want_sha.clone(),
        format!(
            "{name}: {n} gate_io frames, final book sha256 {want_sha} matches the expected file"
        ),
    )
    .run(
        &lines,
        || new_book(snapshot),
        |book, line| matches!(book.on_frame(line), Ok(Some(UpdateOutcome::Applied))),
        |book| &book.book,
    );
    let mut parser = new_book(snapshot).parser;
    depth_data::parse_only(&format!("{name} gate_io"), &lines, |line| {
        parser.parse_frame(line).expect("parse")
    });
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = gate_snapshot(&depth_data::snapshot(&dir));
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
