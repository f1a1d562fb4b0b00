//! dYdX v4 indexer book bench: raw `v4_orderbook` frames → the connector's real parser and
//! message-id rule ([`IndexerBook::on_frame`], uncrossing check included) → the real book, per
//! `/work/shared/bench/README.md`. The frames are generated (untimed) from the shared Binance
//! dataset in the indexer's documented shapes and key order: the snapshot as `subscribed`
//! (`{"price","size"}` levels, `message_id` 1), each event as `{"type":"channel_data",
//! "connection_id":…,"message_id":…,"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0",
//! "contents":{"bids":[[px,sz],…],"asks":[…]}}` (a side without changes left out, as the indexer
//! does) with `message_id` counting the messages one by one. Data: `python3
//! ../shared/bench/gen_depth_data.py --out target/bench-data` (or `BENCH_DATA=dir`). Run pinned:
//! `taskset -c 1 cargo bench --bench dydx_book`. The final book is checked against the expected
//! sha256 before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::{Value, json};
use sluice::clob::dydx::indexer::{BookOutcome, IndexerBook};

use depth_data::ParseApply;

const CONNECTION: &str = "ee5a4696-dce8-44ef-8d68-f0e0d0b06160";

/// `[[px,sz],…]` as `[{"price":px,"size":sz},…]` (the snapshot's shape).
fn objects(levels: &Value) -> Value {
    Value::Array(
        levels
            .as_array()
            .expect("levels")
            .iter()
            .map(|l| json!({"price": l[0], "size": l[1]}))
            .collect(),
    )
}

/// The `subscribed` frame and the `channel_data` frames of one dataset (untimed).
fn indexer_frames(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_u64().expect("lastUpdateId");
    let snap = format!(
        r#"{{"type":"subscribed","connection_id":"{CONNECTION}","message_id":1,"channel":"v4_orderbook","id":"BTC-USD","contents":{{"bids":{},"asks":{}}}}}"#,
        objects(&s["bids"]),
        objects(&s["asks"])
    )
    .into_bytes();
    let mut id = 1;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        if e["u"].as_u64().expect("u") <= last {
            continue;
        }
        id += 1;
        let mut contents = serde_json::Map::new();
        for (key, side) in [("bids", &e["b"]), ("asks", &e["a"])] {
            if side.as_array().is_some_and(|a| !a.is_empty()) {
                contents.insert(key.into(), side.clone());
            }
        }
        out.push(
            format!(
                r#"{{"type":"channel_data","connection_id":"{CONNECTION}","message_id":{id},"id":"BTC-USD","channel":"v4_orderbook","version":"1.0.0","contents":{}}}"#,
                Value::Object(contents)
            )
            .into_bytes(),
        );
    }
    (snap, out)
}

fn new_book(snap: &[u8]) -> IndexerBook {
    let (tick, step) = depth_data::grids(8);
    let mut b = IndexerBook::new("BTC-USD", tick, step);
    match b.on_frame(snap).expect("snapshot parses") {
        BookOutcome::Snapshot { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, frames) = indexer_frames(snapshot, &depth_data::load_lines(dir, name));
    let want_sha = depth_data::expected_sha(dir, name);
    let n = frames.len();
    let bytes: usize = frames.iter().map(Vec::len).sum();
    ParseApply {
        all_apply: "every frame must apply",
        ..ParseApply::expected(
            name,
            format!("{name} (dydx)"),
            want_sha.clone(),
            format!(
                "{name} (dydx indexer shape): {n} frames, {} bytes each on average, final book sha256 {want_sha} matches",
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
