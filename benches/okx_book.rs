//! OKX book bench: raw `books` pushes → the connector's real parser and continuity rule
//! ([`OkxBook::on_message`]) → the real book, per `/work/shared/bench/README.md`. The pushes are
//! generated (untimed) from the same events as the shared Binance dataset, in OKX's own shape and
//! documented key order:
//! `{"arg":{"channel":"books","instId":"BTC-USDT"},"action":"update","data":[{"asks":[[px,sz,"0",
//! "1"],…],"bids":[…],"ts":…,"checksum":0,"prevSeqId":…,"seqId":…}]}` with `prevSeqId` the
//! previous push's `seqId` (the checksum is 0, as OKX sends since June 2026). Data: `python3
//! ../shared/bench/gen_depth_data.py --out target/bench-data` (or `BENCH_DATA=dir`). Run pinned:
//! `taskset -c 1 cargo bench --bench okx_book`. The final book is checked against the expected
//! sha256 before any figure is printed.

// each bench uses a part of the shared support
#[path = "support/depth_data.rs"]
#[allow(dead_code)]
mod depth_data;

use std::path::Path;

use serde_json::{Value, json};
use sluice::cex::exchanges::okx::book::{BookOutcome, OkxBook};

use depth_data::ParseApply;

/// `[[px, sz], …]` as OKX's `[[px, sz, "0", "1"], …]`.
fn okx_levels(v: &Value) -> Value {
    Value::Array(
        v.as_array()
            .expect("levels")
            .iter()
            .map(|l| json!([l[0], l[1], "0", "1"]))
            .collect(),
    )
}

/// One push with OKX's documented key order (`arg`, `action`, `data`: `asks`, `bids`, `ts`,
/// `checksum`, `prevSeqId`, `seqId`), as the exchange sends it.
fn push(action: &str, asks: Value, bids: Value, ts: &Value, prev: i64, seq: i64) -> Vec<u8> {
    format!(
        r#"{{"arg":{{"channel":"books","instId":"BTC-USDT"}},"action":"{action}","data":[{{"asks":{asks},"bids":{bids},"ts":"{ts}","checksum":0,"prevSeqId":{prev},"seqId":{seq}}}]}}"#
    )
    .into_bytes()
}

/// The snapshot push and the update pushes of one dataset, in OKX's shape (untimed).
fn okx_pushes(snapshot: &[u8], lines: &[Vec<u8>]) -> (Vec<u8>, Vec<Vec<u8>>) {
    let s: Value = serde_json::from_slice(snapshot).expect("snapshot json");
    let last = s["lastUpdateId"].as_i64().expect("lastUpdateId");
    let snap = push(
        "snapshot",
        okx_levels(&s["asks"]),
        okx_levels(&s["bids"]),
        &json!(0),
        -1,
        last,
    );
    let mut prev = last;
    let mut out = Vec::with_capacity(lines.len());
    for l in lines {
        let e: Value = serde_json::from_slice(l).expect("event json");
        let u = e["u"].as_i64().expect("u");
        if u <= last {
            continue;
        }
        out.push(push(
            "update",
            okx_levels(&e["a"]),
            okx_levels(&e["b"]),
            &e["E"],
            prev,
            u,
        ));
        prev = u;
    }
    (snap, out)
}

fn new_book(snap: &[u8]) -> OkxBook {
    let (tick, step) = depth_data::grids(8);
    let mut b = OkxBook::new(tick, step);
    match b.on_message(snap).expect("snapshot parses") {
        BookOutcome::Snapshot { .. } => b,
        other => panic!("snapshot not applied: {other:?}"),
    }
}

fn bench_dataset(dir: &Path, name: &str, snapshot: &[u8]) {
    let (snap, pushes) = okx_pushes(snapshot, &depth_data::load_lines(dir, name));
    let want_sha = depth_data::expected_sha(dir, name);
    let n = pushes.len();
    let bytes: usize = pushes.iter().map(Vec::len).sum();
    ParseApply {
        all_apply: "every push must apply",
        ..ParseApply::expected(
        name,
        format!("{name} (okx)"),
        want_sha.clone(),
        format!(
            "{name} (okx shape): {n} pushes, {} bytes each on average, final book sha256 {want_sha} matches",
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
