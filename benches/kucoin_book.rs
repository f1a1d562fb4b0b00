//! KuCoin book bench: raw `/market/level2` pushes (`trade.l2update`) → the connector's real
//! parser → the real book (the sequence rule included), per `/work/shared/bench/README.md`. The
//! frames are generated (untimed) from the shared Binance dataset's events: `U`/`u` become
//! `sequenceStart`/`sequenceEnd`, each level `[price, size, sequence]` in KuCoin's `changes`
//! (sequences counted from `U`, one per change, capped at `u`); the snapshot's `lastUpdateId`
//! becomes the REST snapshot's `sequence`. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! kucoin_book`. The final book is checked against the expected sha256 before any figure is
//! printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::kucoin::sync::{SnapshotOutcome, SyncedBook, UpdateOutcome};

use depth_data::ParseApply;

/// Binance levels `[[p, q], …]` with KuCoin's per-change sequence appended: one sequence per
/// change from `*next` on (as KuCoin numbers the changes of a push), never past `last`.
fn with_seq(levels: &Value, next: &mut u64, last: u64) -> Value {
    Value::Array(
        levels
            .as_array()
            .expect("levels")
            .iter()
            .map(|l| {
                let mut l = l.as_array().expect("level").clone();
                l.push(Value::String((*next).min(last).to_string()));
                *next += 1;
                Value::Array(l)
            })
            .collect(),
    )
}

/// A Binance `depthUpdate` line as KuCoin's `trade.l2update` push.
fn kucoin_frame(line: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(line).expect("binance line");
    let e = v["E"].as_u64().expect("E");
    let (first, u) = (v["U"].as_u64().expect("U"), v["u"].as_u64().expect("u"));
    let mut next = first;
    let bids = with_seq(&v["b"], &mut next, u);
    let asks = with_seq(&v["a"], &mut next, u);
    format!(
        r#"{{"type":"message","topic":"/market/level2:BTC-USDT","subject":"trade.l2update","data":{{"changes":{{"asks":{asks},"bids":{bids}}},"sequenceEnd":{u},"sequenceStart":{first},"symbol":"BTC-USDT","time":{e}}}}}"#,
    )
    .into_bytes()
}

/// The Binance snapshot as KuCoin's `level2` REST answer.
fn kucoin_snapshot(body: &[u8]) -> Vec<u8> {
    let v: Value = serde_json::from_slice(body).expect("snapshot");
    format!(
        r#"{{"code":"200000","data":{{"time":1,"sequence":"{}","bids":{},"asks":{}}}}}"#,
        v["lastUpdateId"], v["bids"], v["asks"]
    )
    .into_bytes()
}

fn new_book(snapshot: &[u8]) -> SyncedBook {
    let (tick, step) = depth_data::grids(5);
    let mut b = SyncedBook::new("BTC-USDT", tick, step);
    match b.on_snapshot(snapshot).expect("snapshot parses") {
        SnapshotOutcome::Synced { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let lines: Vec<Vec<u8>> = depth_data::load_lines(dir, name)
        .iter()
        .map(|l| kucoin_frame(l))
        .collect();
    let want_sha = depth_data::expected_sha(dir, name);
    let n = lines.len();
    ParseApply::expected(
        name,
        format!("{name} kucoin"),
        want_sha.clone(),
        format!(
            "{name}: {n} kucoin frames, final book sha256 {want_sha} matches the expected file"
        ),
    )
    .run(
        &lines,
        || new_book(snapshot),
        |book, line| matches!(book.on_frame(line), Ok(Some(UpdateOutcome::Applied))),
        |book| &book.book,
    );
    let mut parser = new_book(snapshot).parser;
    depth_data::parse_only(&format!("{name} kucoin"), &lines, |line| {
        parser.parse_frame(line).expect("parse")
    });
}

fn main() {
    let dir = depth_data::data_dir();
    let snapshot = kucoin_snapshot(&depth_data::snapshot(&dir));
    for name in depth_data::selected(depth_data::DATASETS) {
        bench_dataset(&dir, name, &snapshot);
    }
}
