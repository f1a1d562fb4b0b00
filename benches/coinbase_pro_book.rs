//! Coinbase Exchange book bench: raw `level2_batch` `l2update` frames → the connector's real
//! parser → the real book, per `/work/shared/bench/README.md`. The frames are generated (untimed)
//! from the shared Binance dataset's events: the same levels in Coinbase's own message shape
//! (`{"type":"l2update","product_id":…,"changes":[["buy","p","q"],…,["sell","p","q"],…],"time":…}`;
//! Coinbase's level 2 carries no update ids, its order is the feed's), and the snapshot as the
//! feed's `snapshot` message. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! coinbase_pro_book`. The final book is checked against the expected sha256 before any figure is
//! printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::coinbase_pro::depth::{HeartbeatCheck, Outcome, SyncedBook};
use sluice_sim::exchange::dialects::coinbase_pro::shapes::iso;

use depth_data::ParseApply;

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
    let (tick, step) = depth_data::grids(5);
    let mut b = SyncedBook::new("BTC-USDT", tick, step, HeartbeatCheck::Advance);
    match b.on_frame(snapshot).expect("snapshot parses") {
        Outcome::Snapshot => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines: Vec<Vec<u8>> = depth_data::load_lines(dir, name)
        .iter()
        .map(|l| coinbase_frame(l))
        .collect();
    let want_sha = depth_data::expected_sha(dir, name);
    let n = lines.len();
    ParseApply::expected(
        name,
        format!("{name} coinbase_pro"),
        want_sha.clone(),
        format!(
            "{name}: {n} coinbase_pro frames, final book sha256 {want_sha} matches the expected file"
        ),
    )
    .run(
        &lines,
        || new_book(snapshot),
        |book, line| matches!(book.on_frame(line), Ok(Outcome::Applied)),
        |book| &book.book,
    );
    let mut parser = new_book(snapshot).parser;
    depth_data::parse_only(&format!("{name} coinbase_pro"), &lines, |line| {
        parser.parse_frame(line).expect("parse")
    });
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = coinbase_snapshot(&depth_data::snapshot(&dir));
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
