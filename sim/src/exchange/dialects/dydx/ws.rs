//! The simulated indexer's websocket (socks), `/v4/ws`: `connected` (`message_id` 0), then each
//! message the connection sends raises its counter by one — `subscribed` (the market's whole book
//! and, from then on, its updates), `unsubscribed`, `channel_data` —, an `error` carries the
//! counter unchanged. Only `v4_orderbook` is served. The engine's diffs of a market are numbered
//! ([`IndexerEvents`](super::shapes::IndexerEvents)); a connection advances its counter by the
//! numbers it did not see, so a diff lost to the skip fault is a `message_id` gap, a duplicated
//! one repeats its id and a swapped pair arrives with its ids swapped. Heartbeat: a ping control
//! frame every 30 s (settable), the connection closed if no pong comes within 10 s. The drop fault
//! closes every connection abruptly.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;

use super::server::Shared;
use super::shapes;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};
use crate::exchange::engine::server::{lock, random_token};

/// The one channel served.
const CHANNEL: &str = "v4_orderbook";
/// The channels socks knows (subscribing to the others is answered with an error here).
const CHANNELS: &[&str] = &[
    "v4_orderbook",
    "v4_subaccounts",
    "v4_trades",
    "v4_markets",
    "v4_candles",
    "v4_parent_subaccounts",
    "v4_block_height",
];

/// Accepts websocket connections until shutdown.
pub async fn serve_ws(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                tokio::spawn(connection(stream, shared.clone()));
            }
            _ = shutdown.changed() => break,
        }
    }
}

/// One market subscription of a connection.
#[derive(Debug)]
struct Sub {
    ticker: String,
    /// The market's diff number the `subscribed` book included.
    base_seq: u64,
    /// The newest diff number sent, and the message id it went with.
    last_seq: u64,
    last_id: u64,
}

/// One connection's state.
#[derive(Debug)]
struct Conn {
    id: String,
    /// The counter of the messages sent.
    counter: u64,
    /// Lower-case ticker → subscription.
    subs: HashMap<String, Sub>,
}

impl Conn {
    fn error(&self, msg: &str) -> String {
        json!({"type": "error", "message": msg, "connection_id": self.id, "message_id": self.counter})
            .to_string()
    }

    /// The answers to one client text.
    fn on_text(&mut self, shared: &Shared, text: &str) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![self.error("Invalid message: could not parse")];
        };
        let Some(kind) = v.get("type").and_then(Value::as_str) else {
            return vec![self.error("Invalid message: type is required")];
        };
        match kind {
            // answered by the websocket layer's own pong; nothing to send
            "ping" => return Vec::new(),
            "subscribe" | "unsubscribe" => {}
            other => return vec![self.error(&format!("Invalid message type: {other}"))],
        }
        let Some(channel) = v.get("channel").and_then(Value::as_str) else {
            return vec![self.error("Invalid subscribe message: channel is required")];
        };
        if !CHANNELS.contains(&channel) {
            return vec![self.error(&format!("Invalid channel: {channel}"))];
        }
        let Some(id) = v.get("id").and_then(Value::as_str) else {
            return vec![self.error("Invalid id: undefined")];
        };
        let key = id.to_ascii_lowercase();
        if kind == "unsubscribe" {
            if channel == CHANNEL {
                self.subs.remove(&key);
            }
            self.counter += 1;
            return vec![
                json!({"type": "unsubscribed", "connection_id": self.id, "message_id": self.counter,
                    "channel": channel, "id": id})
                .to_string(),
            ];
        }
        self.counter += 1;
        let refused = shared
            .refuse_subscriptions
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if channel != CHANNEL || refused {
            return vec![self.error(&format!(
                "Internal error, could not fetch data for subscription: {channel}."
            ))];
        }
        if shared.market(id).is_none() {
            return vec![self.error(&format!(
                "Invalid subscription id for channel: ({channel}-{id})"
            ))];
        }
        if self.subs.contains_key(&key) {
            return vec![self.error(&format!(
                "Invalid subscribe message: already subscribed ({channel}-{id})"
            ))];
        }
        // the book and its diff number read together, under the engine's lock
        let (book, seq) = {
            let ex = shared.exchange();
            let Some(b) = ex.books.get(id) else {
                return vec![self.error(&format!(
                    "Internal error, could not fetch data for subscription: {channel}."
                ))];
            };
            let (bids, asks) = b.levels(usize::MAX);
            (
                shapes::book_doc(&bids, &asks),
                shared.events.current_seq(id),
            )
        };
        self.subs.insert(
            key,
            Sub {
                ticker: id.to_string(),
                base_seq: seq,
                last_seq: seq,
                last_id: self.counter,
            },
        );
        vec![
            json!({"type": "subscribed", "connection_id": self.id, "message_id": self.counter,
                "channel": channel, "id": id, "contents": book})
            .to_string(),
        ]
    }

    /// The frame of one published diff of `symbol` (lower case), if it is subscribed and not in
    /// the book it was answered with.
    fn on_diff(&mut self, symbol: &str, data: &str) -> Option<String> {
        let sub = self.subs.get_mut(symbol)?;
        let (seq, contents) = shapes::unpublished(data)?;
        if seq <= sub.base_seq {
            return None;
        }
        let id = if seq > sub.last_seq {
            // numbers not seen here (a lost diff) still count
            self.counter += seq - sub.last_seq;
            sub.last_seq = seq;
            sub.last_id = self.counter;
            self.counter
        } else {
            // a duplicate, or the first of a swapped pair: the id it was numbered with
            sub.last_id.saturating_sub(sub.last_seq - seq)
        };
        Some(format!(
            r#"{{"type":"channel_data","connection_id":"{}","message_id":{id},"id":"{}","channel":"{CHANNEL}","version":"1.0.0","contents":{contents}}}"#,
            self.id, sub.ticker
        ))
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let mut market = lock(&shared.exchange).publisher.subscribe_market();
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let every = Duration::from_millis(shared.heartbeat_ms.load(Ordering::Relaxed).max(10));
    let timeout = Duration::from_millis(shared.heartbeat_timeout_ms.load(Ordering::Relaxed));
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    let mut ping_sent: Option<tokio::time::Instant> = None;
    let mut conn = Conn {
        id: format!("sim-{}", random_token(16)),
        counter: 0,
        subs: HashMap::new(),
    };
    shared.market_connections.fetch_add(1, Ordering::SeqCst);
    let hello = json!({"type": "connected", "connection_id": conn.id, "message_id": 0});
    if ws.send(Message::text(hello.to_string())).await.is_ok() {
        loop {
            tokio::select! {
                biased;
                _ = kill.changed() => break,
                _ = shutdown.changed() => break,
                _ = heartbeat.tick() => {
                    if ping_sent.is_some_and(|t| t.elapsed() >= timeout) {
                        // no pong in time: socks closes with 1000 "Heartbeat timeout"
                        let _ = ws.close(None).await;
                        break;
                    }
                    if ping_sent.is_none() {
                        ping_sent = Some(tokio::time::Instant::now());
                        if ws.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                            break;
                        }
                    }
                }
                incoming = ws.next() => match incoming {
                    Some(Ok(Message::Text(t))) => {
                        let mut failed = false;
                        for m in conn.on_text(&shared, t.as_str()) {
                            failed |= ws.send(Message::text(m)).await.is_err();
                        }
                        if failed {
                            break;
                        }
                    }
                    Some(Ok(Message::Ping(p))) => {
                        let _ = ws.send(Message::Pong(p)).await;
                    }
                    Some(Ok(Message::Pong(_))) => ping_sent = None,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
                msg = market.recv() => {
                    let text = match msg {
                        Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                            conn.on_diff(&symbol, &data)
                        }
                        Ok(MarketMsg::Event { .. }) => None,
                        Ok(MarketMsg::Raw(t)) => (!conn.subs.is_empty()).then(|| t.to_string()),
                        Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                    };
                    if let Some(t) = text
                        && ws.send(Message::text(t)).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
    }
    shared.market_connections.fetch_sub(1, Ordering::SeqCst);
}
