//! One public WebSocket connection of the simulated OKX: `subscribe` / `unsubscribe` to `books`
//! and `trades` per instrument. A `books` subscription answers with the event, then
//! `action:"snapshot"` of the engine's whole book (`prevSeqId` −1) taken under the engine's lock,
//! then every later depth change as `action:"update"` with absolute sizes, `seqId` and the
//! `prevSeqId` it follows (the engine's update ids, renumbered after a simulated sequence reset),
//! and a `checksum`: 0 (deprecated since June 2026) unless checksums are switched on, then the
//! CRC32 of this connection's own copy of the book (top 25, interleaved). The engine's faults
//! (skipped, duplicated, swapped diffs) reach the client as they are; a corrupted checksum, idle
//! pushes (`prevSeqId == seqId`, no levels) and abrupt drops are the dialect's controls.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::shapes::num;
use super::shared::Shared;
use super::ws::{IDLE_LIMIT, conn_id};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

/// The engine's depth diff in the dialect's internal form (see `shapes.rs`).
#[derive(serde::Deserialize)]
struct Diff {
    s: String,
    #[serde(rename = "U")]
    first: u64,
    u: u64,
    b: Vec<(Decimal, Decimal)>,
    a: Vec<(Decimal, Decimal)>,
    #[serde(rename = "E")]
    time: u64,
}

/// One `books` subscription: the connection's copy of the book and the last update id sent.
struct BookSub {
    inst: String,
    bids: BTreeMap<Decimal, Decimal>,
    asks: BTreeMap<Decimal, Decimal>,
    /// The snapshot's update id: diffs up to it were queued before and are not sent.
    snap_u: u64,
    /// The highest update id sent.
    last_u: u64,
}

/// The checksum text of a book: top 25 interleaved `bid:size:ask:size`.
pub fn checksum_of(bids: &[(Decimal, Decimal)], asks: &[(Decimal, Decimal)]) -> i32 {
    let mut parts = Vec::new();
    for i in 0..25 {
        for side in [bids, asks] {
            if let Some((p, q)) = side.get(i) {
                parts.push(format!("{}:{}", num(*p), num(*q)));
            }
        }
    }
    let mut crc = flate2::Crc::new();
    crc.update(parts.join(":").as_bytes());
    crc.sum() as i32
}

impl BookSub {
    fn top(&self) -> (Vec<PriceLevel>, Vec<PriceLevel>) {
        (
            self.bids
                .iter()
                .rev()
                .take(25)
                .map(|(p, q)| (*p, *q))
                .collect(),
            self.asks.iter().take(25).map(|(p, q)| (*p, *q)).collect(),
        )
    }

    fn checksum(&self, shared: &Shared) -> i32 {
        let corrupt = shared
            .corrupt_checksums
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if !corrupt && !shared.checksums.load(Ordering::SeqCst) {
            return 0;
        }
        let (b, a) = self.top();
        let c = checksum_of(&b, &a);
        if corrupt {
            // a non-zero value that does not match
            match c.wrapping_add(1) {
                0 => 2,
                w => w,
            }
        } else {
            c
        }
    }

    fn push(
        &self,
        shared: &Shared,
        action: &str,
        prev: i64,
        seq: i64,
        levels: (Vec<Value>, Vec<Value>),
        ts: u64,
    ) -> String {
        json!({
            "arg": {"channel": "books", "instId": self.inst},
            "action": action,
            "data": [{
                "asks": levels.1,
                "bids": levels.0,
                "ts": ts.to_string(),
                "checksum": self.checksum(shared),
                "prevSeqId": prev,
                "seqId": seq,
            }]
        })
        .to_string()
    }
}

fn level(p: &Decimal, q: &Decimal) -> Value {
    json!([num(*p), num(*q), "0", if q.is_zero() { "0" } else { "1" }])
}

/// Subscribes `inst`: the snapshot push and the subscription state.
fn snapshot(shared: &Shared, inst: &str) -> Option<(BookSub, String)> {
    let ex = shared.exchange();
    let book = ex.books.get(inst)?;
    let (bids, asks) = book.levels(usize::MAX);
    let sub = BookSub {
        inst: inst.to_string(),
        bids: bids.iter().copied().collect(),
        asks: asks.iter().copied().collect(),
        snap_u: book.update_id,
        last_u: book.update_id,
    };
    drop(ex);
    let seq = shared.seq_of(inst, sub.last_u);
    let levels = (
        bids.iter().map(|(p, q)| level(p, q)).collect(),
        asks.iter().map(|(p, q)| level(p, q)).collect(),
    );
    let text = sub.push(shared, "snapshot", -1, seq, levels, shared.now_ms());
    Some((sub, text))
}

fn event(op: &str, arg: &Value, conn: &str) -> String {
    json!({"event": op, "arg": arg, "connId": conn}).to_string()
}

fn error_event(code: i64, msg: &str, conn: &str) -> String {
    json!({"event": "error", "code": code.to_string(), "msg": msg, "connId": conn}).to_string()
}

/// Runs a public connection until the client leaves, a drop fault fires or the server stops.
pub async fn run(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>) {
    // Subscribe before anything: every later change reaches this connection.
    let mut rx = shared.exchange().publisher.subscribe_market();
    shared.market_connections.fetch_add(1, Ordering::SeqCst);
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut idle = shared.idle_push.subscribe();
    let conn = conn_id();
    let mut books: Vec<BookSub> = Vec::new();
    let mut trades: Vec<String> = Vec::new();
    let mut last_seen = tokio::time::Instant::now();
    loop {
        if kill.has_changed().unwrap_or(true) {
            break;
        }
        let mut out: Vec<String> = Vec::new();
        tokio::select! {
            biased;
            _ = kill.changed() => break, // dropped without a close frame
            _ = shutdown.changed() => break,
            _ = idle.changed() => {
                for b in &books {
                    let seq = shared.seq_of(&b.inst, b.last_u);
                    out.push(b.push(&shared, "update", seq, seq, (Vec::new(), Vec::new()), shared.now_ms()));
                }
            }
            msg = rx.recv() => match msg {
                Ok(MarketMsg::Event { kind: StreamKind::Depth, data, .. }) => {
                    let Ok(d) = serde_json::from_str::<Diff>(&data) else { continue };
                    for b in books.iter_mut().filter(|b| b.inst == d.s && d.u > b.snap_u) {
                        for (p, q) in &d.b {
                            if q.is_zero() { b.bids.remove(p); } else { b.bids.insert(*p, *q); }
                        }
                        for (p, q) in &d.a {
                            if q.is_zero() { b.asks.remove(p); } else { b.asks.insert(*p, *q); }
                        }
                        b.last_u = b.last_u.max(d.u);
                        let prev = shared.seq_of(&d.s, d.first.saturating_sub(1));
                        let seq = shared.seq_of(&d.s, d.u);
                        let levels = (
                            d.b.iter().map(|(p, q)| level(p, q)).collect(),
                            d.a.iter().map(|(p, q)| level(p, q)).collect(),
                        );
                        out.push(b.push(&shared, "update", prev, seq, levels, d.time));
                    }
                }
                Ok(MarketMsg::Event { kind: StreamKind::Trade, symbol, data }) => {
                    if trades.iter().any(|t| t.eq_ignore_ascii_case(&symbol)) {
                        out.push(data.to_string());
                    }
                }
                Ok(MarketMsg::Raw(text)) => out.push(text.to_string()),
                Err(RecvError::Lagged(_)) => break, // a slow consumer is dropped
                Err(RecvError::Closed) => break,
            },
            frame = ws.next() => {
                last_seen = tokio::time::Instant::now();
                let text = match frame {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Ping(p))) => {
                        let _ = ws.send(Message::Pong(p)).await;
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                };
                if text == "ping" {
                    out.push("pong".into());
                } else {
                    out.extend(answer(&shared, &text, &conn, &mut books, &mut trades));
                }
            }
            _ = tokio::time::sleep_until(last_seen + IDLE_LIMIT) => break, // the client went silent
        }
        let mut failed = false;
        for t in out {
            if ws.send(Message::text(t)).await.is_err() {
                failed = true;
                break;
            }
        }
        if failed {
            break;
        }
    }
    shared.market_connections.fetch_sub(1, Ordering::SeqCst);
}

fn answer(
    shared: &Shared,
    text: &str,
    conn: &str,
    books: &mut Vec<BookSub>,
    trades: &mut Vec<String>,
) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![error_event(
            60012,
            &format!("Invalid request: {text}"),
            conn,
        )];
    };
    let op = v.get("op").and_then(Value::as_str).unwrap_or("");
    if op != "subscribe" && op != "unsubscribe" {
        return vec![error_event(
            60012,
            &format!("Invalid request: {text}"),
            conn,
        )];
    }
    let mut out = Vec::new();
    for a in v
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let channel = a.get("channel").and_then(Value::as_str).unwrap_or("");
        let inst = a
            .get("instId")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        let listed = shared.exchange().books.contains_key(&inst);
        if !listed || !matches!(channel, "books" | "trades") {
            out.push(error_event(
                60018,
                &format!("Wrong URL or channel:{a}, doesn't exist."),
                conn,
            ));
            continue;
        }
        out.push(event(op, &a, conn));
        match (op, channel) {
            ("subscribe", "books") => {
                books.retain(|b| b.inst != inst);
                if let Some((sub, snap)) = snapshot(shared, &inst) {
                    books.push(sub);
                    out.push(snap);
                }
            }
            ("unsubscribe", "books") => books.retain(|b| b.inst != inst),
            ("subscribe", "trades") => trades.push(inst),
            _ => trades.retain(|t| *t != inst),
        }
    }
    out
}
