//! HTX book bench: raw MBP pushes → the connector's real parser and continuity rule
//! ([`HtxBook::on_message`]) → the real book, per `/work/shared/bench/README.md`. The pushes are
//! generated (untimed) from the same events as the shared Binance dataset, in HTX's own shape:
//! `{"ch":"market.btcusdt.mbp.400","ts":…,"tick":{"seqNum":…,"prevSeqNum":…,"bids":[[px,sz],…],
//! "asks":[…]}}` with prices and sizes as JSON numbers (their text kept exactly) and
//! `prevSeqNum` the previous push's `seqNum`; the snapshot is the `req` answer
//! `{"id":…,"rep":…,"status":"ok","data":{"seqNum":…,"bids":…,"asks":…}}`. The websocket's gzip
//! is the transport's, not timed here. Data: `python3 ../shared/bench/gen_depth_data.py --out
//! target/bench-data` (or `BENCH_DATA=dir`). Run pinned: `taskset -c 1 cargo bench --bench
//! htx_book`. The final book is checked against the expected sha256 before any figure is
//! printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::Value;
use sluice::cex::exchanges::htx::book::{BookOutcome, HtxBook};

use depth_data::ParseApply;

/// `[["px","sz"], …]` as HTX's `[[px,sz], …]`: the numbers' text unchanged, unquoted.
fn htx_levels(v: &Value) -> String {
    let levels: Vec<String> = v
        .as_array()
        .expect("levels")
        .iter()
        .map(|l| {
            format!(
                "[{},{}]",
                l[0].as_str().expect("price text"),
                l[1].as_str().expect("size text")
            )
        })
        .collect();
    format!("[{}]", levels.join(","))
}

/// The snapshot answer and the MBP pushes of one dataset, in HTX's shape (untimed).
fn htx_pushes(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_i64().expect("lastUpdateId");
    let snap = format!(
        r#"{{"id":"1","rep":"market.btcusdt.mbp.400","status":"ok","ts":0,"data":{{"seqNum":{last},"bids":{},"asks":{}}}}}"#,
        htx_levels(&s["bids"]),
        htx_levels(&s["asks"])
    );
    let mut prev = last;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        let u = e["u"].as_i64().expect("u");
        if u <= last {
            continue;
        }
        out.push(
            format!(
                r#"{{"ch":"market.btcusdt.mbp.400","ts":{},"tick":{{"seqNum":{u},"prevSeqNum":{prev},"bids":{},"asks":{}}}}}"#,
                e["E"],
                htx_levels(&e["b"]),
                htx_levels(&e["a"])
            )
            .into_bytes(),
        );
        prev = u;
    }
    (snap.into_bytes(), out)
}

fn new_book(snap: &[u8]) -> HtxBook {
    let (tick, step) = depth_data::grids(8);
    let mut b = HtxBook::new(tick, step);
    match b.on_message(snap).expect("snapshot parses") {
        BookOutcome::Snapshot { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, pushes) = htx_pushes(snapshot, &depth_data::load_lines(dir, name));
    let want_sha = depth_data::expected_sha(dir, name);
    let n = pushes.len();
    let bytes: usize = pushes.iter().map(Vec::len).sum();
    ParseApply {
        all_apply: "every push must apply",
        ..ParseApply::expected(
        name,
        format!("{name} (htx)"),
        want_sha.clone(),
        format!(
            "{name} (htx shape): {n} pushes, {} bytes each on average, final book sha256 {want_sha} matches",
            bytes / n.max(1)
        ),
    )
    }
    .run(
        &pushes,
        || new_book(&snap),
        |book, push| matches!(book.on_message(push), Ok(BookOutcome::Applied)),
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
