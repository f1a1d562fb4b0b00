//! Binance USDⓈ-M futures book bench: raw `<symbol>@depth@100ms` events → the connector's real
//! parser and `pu` rule ([`PerpBook::on_frame`]) → the real book, per
//! `/work/shared/bench/README.md`. The events are generated (untimed) from the shared Binance
//! dataset in the futures shape: each spot `depthUpdate` gains `T` (the transaction time, here the
//! event time) and `pu` (the previous event's `u`), levels unchanged; the snapshot gains `E` and
//! `T` as `GET /fapi/v1/depth` answers. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! binance_perpetual_book`. The final book is checked against the expected sha256 before any figure
//! is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::binance::depth::{DiffOutcome, SnapshotOutcome};
use sluice::cex::exchanges::binance_perpetual::depth::PerpBook;

use depth_data::ParseApply;

/// The snapshot and the events of one dataset in the futures shape (untimed).
fn futures_events(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_u64().expect("lastUpdateId");
    let snap = format!(
        r#"{{"lastUpdateId":{last},"E":0,"T":0,"bids":{},"asks":{}}}"#,
        s["bids"], s["asks"]
    );
    let mut prev = last;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        let u = e["u"].as_u64().expect("u");
        if u <= last {
            continue;
        }
        out.push(
            format!(
                r#"{{"e":"depthUpdate","E":{t},"T":{t},"s":{s},"U":{U},"u":{u},"pu":{prev},"b":{b},"a":{a}}}"#,
                t = e["E"],
                s = e["s"],
                U = e["U"],
                b = e["b"],
                a = e["a"],
            )
            .into_bytes(),
        );
        prev = u;
    }
    (snap.into_bytes(), out)
}

fn new_book(snap: &[u8]) -> PerpBook {
    let (tick, step) = depth_data::grids(5);
    let mut b = PerpBook::new("BTCUSDT", tick, step);
    match b.on_snapshot(snap).expect("snapshot parses") {
        SnapshotOutcome::Synced { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, events) = futures_events(snapshot, &depth_data::load_lines(dir, name));
    let want_sha = depth_data::expected_sha(dir, name);
    let n = events.len();
    let bytes: usize = events.iter().map(Vec::len).sum();
    ParseApply::expected(
        name,
        format!("{name} (binance_perpetual)"),
        want_sha.clone(),
        format!(
            "{name} (futures shape): {n} events, {} bytes each on average, final book sha256 {want_sha} matches",
            bytes / n.max(1)
        ),
    )
    .run(
        &events,
        || new_book(&snap),
        |book, e| matches!(book.on_frame(e), Ok(DiffOutcome::Applied)),
        |book| book.book(),
    );
    let mut parser = new_book(&snap);
    depth_data::parse_only(&format!("{name} (binance_perpetual)"), &events, |e| {
        parser.parse(e).expect("parse")
    });
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = depth_data::snapshot(&dir);
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
