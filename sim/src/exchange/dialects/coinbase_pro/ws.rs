//! The simulated Coinbase Exchange's websocket feed: `subscribe` / `unsubscribe` messages naming
//! channels (as strings or `{name, product_ids}`) for `product_ids`; `level2_batch` (or `level2`)
//! answers with a `snapshot` of the book, then the engine's changes as `l2update`s (with the
//! publisher's faults); `heartbeat` sends each product's `sequence` after every update and every
//! second; the private `user` and `balance` channels need the subscription signed (`signature`,
//! `key`, `passphrase`, `timestamp` over `GET /users/self/verify`). Connections are dropped
//! abruptly on the drop faults.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::auth::{self, Received};
use super::shapes::{FRAME_SEPARATOR, d, heartbeat};
use super::shared::{Shared, lock};
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

const BOOK_CHANNELS: [&str; 2] = ["level2_batch", "level2"];
const HEARTBEAT: &str = "heartbeat";
const PRIVATE: [&str; 2] = ["user", "balance"];

/// Accepts websocket connections until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move {
                    let _ = stream.set_nodelay(true);
                    if let Ok(ws) = tokio_tungstenite::accept_async(stream).await {
                        Session::new(shared).run(ws).await;
                    }
                });
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// Publishes every product's heartbeat each second (through the market channel, so that it is
/// ordered with the updates).
pub async fn heartbeats(shared: Arc<Shared>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let now = shared.now_ms();
                let ex = shared.exchange();
                for symbol in ex.specs.keys() {
                    let last_trade = ex.trades.get(symbol).and_then(|t| t.last()).map_or(0, |t| t.id);
                    ex.publisher.raw(&heartbeat(symbol, shared.sequences.current(symbol), last_trade, now));
                }
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn error_msg(message: &str, reason: &str) -> String {
    json!({"type": "error", "message": message, "reason": reason}).to_string()
}

/// The `sequence` of a heartbeat frame, and its product.
fn heartbeat_of(text: &str) -> Option<(String, u64)> {
    let v: Value = serde_json::from_str(text).ok()?;
    (v["type"] == "heartbeat").then_some(())?;
    Some((
        v["product_id"].as_str()?.to_string(),
        v["sequence"].as_u64()?,
    ))
}

async fn user_recv(rx: &mut Option<broadcast::Receiver<Arc<str>>>) -> Result<Arc<str>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

struct Session {
    shared: Arc<Shared>,
    /// Products (lower case) of the book channel, with the snapshot's sequence: older frames of
    /// the product still queued are not sent after it.
    books: HashMap<String, u64>,
    heartbeats: HashSet<String>,
    private: HashSet<&'static str>,
    account: Option<usize>,
    user_rx: Option<broadcast::Receiver<Arc<str>>>,
    counted_market: bool,
    counted_user: bool,
    close_after: bool,
}

impl Session {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            books: HashMap::new(),
            heartbeats: HashSet::new(),
            private: HashSet::new(),
            account: None,
            user_rx: None,
            counted_market: false,
            counted_user: false,
            close_after: false,
        }
    }

    async fn run(mut self, mut ws: WebSocketStream<TcpStream>) {
        let mut market = self.shared.exchange().publisher.subscribe_market();
        let mut market_kill = self.shared.market_kill.subscribe();
        let mut user_kill = self.shared.user_kill.subscribe();
        let mut shutdown = self.shared.shutdown.subscribe();
        'conn: loop {
            let out: Vec<String> = tokio::select! {
                biased;
                _ = market_kill.changed() => if self.counted_market { break } else { continue },
                _ = user_kill.changed() => if self.counted_user { break } else { continue },
                _ = shutdown.changed() => break,
                msg = market.recv() => match msg {
                    Ok(m) => self.market_frames(m),
                    Err(_) => break,
                },
                ev = user_recv(&mut self.user_rx) => {
                    let Ok(ev) = ev else { break };
                    if self.shared.user_streams_down.load(Ordering::SeqCst) {
                        continue;
                    }
                    ev.split(FRAME_SEPARATOR)
                        .filter(|f| !f.is_empty())
                        .filter(|f| {
                            let channel = if f.starts_with(r#"{"type":"balance""#) { "balance" } else { "user" };
                            self.private.contains(channel)
                        })
                        .map(str::to_string)
                        .collect()
                }
                incoming = ws.next() => match incoming {
                    Some(Ok(Message::Text(text))) => self.request(&text),
                    Some(Ok(Message::Ping(p))) => {
                        let _ = ws.send(Message::Pong(p)).await;
                        continue;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => continue,
                },
            };
            for t in out {
                if ws.send(Message::text(t)).await.is_err() {
                    break 'conn;
                }
            }
            if self.close_after {
                break;
            }
        }
        if self.counted_market {
            self.shared
                .market_connections
                .fetch_sub(1, Ordering::SeqCst);
        }
        if self.counted_user {
            self.shared.user_connections.fetch_sub(1, Ordering::SeqCst);
        }
    }

    /// What the connection sends of one market message.
    fn market_frames(&self, m: MarketMsg) -> Vec<String> {
        match m {
            MarketMsg::Event {
                symbol,
                kind: StreamKind::Depth,
                data,
            } => {
                let Some(floor) = self.books.get(&*symbol) else {
                    return Vec::new();
                };
                let Some((update, hb)) = data.split_once(FRAME_SEPARATOR) else {
                    return Vec::new();
                };
                if heartbeat_of(hb).is_none_or(|(_, seq)| seq <= *floor) {
                    return Vec::new();
                }
                let mut out = vec![update.to_string()];
                if self.heartbeats.contains(&*symbol) {
                    out.push(hb.to_string());
                }
                out
            }
            MarketMsg::Event { .. } => Vec::new(),
            MarketMsg::Raw(text) => match heartbeat_of(&text) {
                Some((product, seq)) => {
                    let key = product.to_ascii_lowercase();
                    let current = self.books.get(&key).is_none_or(|floor| seq >= *floor);
                    if self.heartbeats.contains(&key) && current {
                        vec![text.to_string()]
                    } else {
                        Vec::new()
                    }
                }
                None if !self.books.is_empty() => vec![text.to_string()],
                None => Vec::new(),
            },
        }
    }

    /// The answers to one client message.
    fn request(&mut self, text: &str) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![error_msg("Failed to subscribe", "malformed JSON")];
        };
        let kind = v["type"].as_str().unwrap_or_default();
        if !matches!(kind, "subscribe" | "unsubscribe") {
            return vec![error_msg(
                "Failed to subscribe",
                &format!("unknown type {kind:?}"),
            )];
        }
        let top: Vec<String> = strings(&v["product_ids"]);
        let mut wanted: Vec<(String, Vec<String>)> = Vec::new();
        for c in v["channels"].as_array().into_iter().flatten() {
            match c {
                Value::String(name) => wanted.push((name.clone(), top.clone())),
                Value::Object(o) => {
                    let name = o.get("name").and_then(Value::as_str).unwrap_or_default();
                    let products = o.get("product_ids").map_or_else(|| top.clone(), strings);
                    wanted.push((name.to_string(), products));
                }
                _ => {}
            }
        }
        let needs_auth = wanted.iter().any(|(n, _)| PRIVATE.contains(&n.as_str()));
        if needs_auth && kind == "subscribe" {
            if self.shared.user_streams_down.load(Ordering::SeqCst) {
                self.close_after = true;
                return vec![error_msg("Failed to subscribe", "service unavailable")];
            }
            let field = |n: &str| v[n].as_str();
            let r = Received {
                method: "GET",
                path: "/users/self/verify",
                query: "",
                body: b"",
                key: field("key"),
                sign: field("signature"),
                timestamp: field("timestamp"),
                passphrase: field("passphrase"),
            };
            let passphrases = lock(&self.shared.passphrases).clone();
            let verified = {
                let ex = self.shared.exchange();
                auth::verify(&ex, &passphrases, &r, self.shared.now_ms())
            };
            match verified {
                Ok(a) if self.account.is_none_or(|b| a == b) => self.account = Some(a),
                Ok(_) => {
                    return vec![error_msg(
                        "Authentication Failed",
                        "another account is subscribed",
                    )];
                }
                Err(e) => return vec![error_msg("Authentication Failed", &e.message)],
            }
        }
        let mut out = Vec::new();
        let mut snapshots = Vec::new();
        for (name, products) in &wanted {
            for p in products {
                if self.shared.exchange().spec(p).is_err() && !PRIVATE.contains(&name.as_str()) {
                    return vec![error_msg(
                        "Failed to subscribe",
                        &format!("{p} is not a valid product"),
                    )];
                }
            }
            let subscribe = kind == "subscribe";
            match name.as_str() {
                n if BOOK_CHANNELS.contains(&n) => {
                    for p in products {
                        let key = p.to_ascii_lowercase();
                        if subscribe {
                            snapshots.push(p.clone());
                        } else {
                            self.books.remove(&key);
                        }
                    }
                }
                HEARTBEAT => {
                    for p in products {
                        let key = p.to_ascii_lowercase();
                        if subscribe {
                            self.heartbeats.insert(key);
                        } else {
                            self.heartbeats.remove(&key);
                        }
                    }
                }
                "user" | "balance" => {
                    let c = if name == "user" { "user" } else { "balance" };
                    if subscribe {
                        self.private.insert(c);
                    } else {
                        self.private.remove(c);
                    }
                }
                other => {
                    return vec![error_msg(
                        "Failed to subscribe",
                        &format!("{other} is not a valid channel"),
                    )];
                }
            }
        }
        if !snapshots.is_empty() && !self.counted_market {
            self.counted_market = true;
            self.shared
                .market_connections
                .fetch_add(1, Ordering::SeqCst);
        }
        if !self.private.is_empty() && !self.counted_user {
            self.counted_user = true;
            self.shared.user_connections.fetch_add(1, Ordering::SeqCst);
            let ex = self.shared.exchange();
            self.user_rx = self
                .account
                .and_then(|a| ex.accounts.get(a))
                .map(|a| a.user_tx.subscribe());
        }
        let channels: Vec<Value> = wanted
            .iter()
            .map(|(n, p)| json!({"name": n, "product_ids": p}))
            .collect();
        out.push(json!({"type": "subscriptions", "channels": channels}).to_string());
        for p in snapshots {
            out.extend(self.snapshot(&p));
        }
        out
    }

    /// The book of `product` now and its heartbeat, read under the engine's lock.
    fn snapshot(&mut self, product: &str) -> Vec<String> {
        let ex = self.shared.exchange();
        let Some(book) = ex.books.get(product) else {
            return Vec::new();
        };
        let (bids, asks) = book.levels(usize::MAX);
        let seq = self.shared.sequences.current(product);
        let lv = |l: &[(rust_decimal::Decimal, rust_decimal::Decimal)]| -> Value {
            l.iter().map(|(p, q)| json!([d(*p), d(*q)])).collect()
        };
        let key = product.to_ascii_lowercase();
        self.books.insert(key.clone(), seq);
        let mut out = vec![
            json!({"type": "snapshot", "product_id": product, "bids": lv(&bids), "asks": lv(&asks)})
                .to_string(),
        ];
        if self.heartbeats.contains(&key) {
            let last_trade = ex
                .trades
                .get(product)
                .and_then(|t| t.last())
                .map_or(0, |t| t.id);
            out.push(heartbeat(product, seq, last_trade, self.shared.now_ms()));
        }
        out
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}
