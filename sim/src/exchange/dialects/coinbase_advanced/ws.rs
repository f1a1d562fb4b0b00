//! The simulated Coinbase Advanced Trade's websockets (one listener; `/` is the market feed,
//! `/user` the user feed; both speak the same protocol): `subscribe` / `unsubscribe` one channel
//! per message — `heartbeats` (one message a second), `level2` (a `snapshot` event, then the
//! engine's changes as `update` events), `user` (its JWT verified; a `snapshot` of the open
//! orders, then each order change); answers on the `subscriptions` channel; errors as
//! `{"type":"error","message"}`.
//!
//! Every message a connection sends carries its own `sequence_num`, counted per connection. The
//! engine's depth faults reach the client as the venue's own would: a change the publisher skips
//! still takes its number (the client sees a gap), a duplicate is sent again under the number it
//! had, and of two swapped changes the later is numbered after a number kept for the earlier, which
//! then comes late under it. User messages can be lost the same way ([`Shared::user_skips`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::auth::{self, Expect};
use super::shapes::{IDS_SEPARATOR, l2_events, message, order_fees, updates, user_order_json};
use super::shared::Shared;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

/// How many numbers per product a connection remembers (for duplicates and late changes).
const REMEMBERED: usize = 256;

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

/// A product's level2 subscription on one connection.
#[derive(Default)]
struct Level2 {
    /// The engine's update id the client's book is at.
    engine: u64,
    /// The number each change (by its first engine id) went, or will go, out under.
    numbers: BTreeMap<u64, u64>,
}

impl Level2 {
    fn remember(&mut self, first: u64, number: u64) {
        self.numbers.insert(first, number);
        while self.numbers.len() > REMEMBERED {
            self.numbers.pop_first();
        }
    }
}

struct Session {
    shared: Arc<Shared>,
    next: u64,
    heartbeats: bool,
    heartbeat_counter: u64,
    level2: HashMap<String, Level2>,
    account: Option<usize>,
    user_rx: Option<broadcast::Receiver<Arc<str>>>,
    counted_market: bool,
    counted_user: bool,
    close_after: bool,
}

async fn user_recv(rx: &mut Option<broadcast::Receiver<Arc<str>>>) -> Result<Arc<str>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn error_message(text: &str) -> String {
    json!({"type": "error", "message": text}).to_string()
}

impl Session {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            next: 0,
            heartbeats: false,
            heartbeat_counter: 0,
            level2: HashMap::new(),
            account: None,
            user_rx: None,
            counted_market: false,
            counted_user: false,
            close_after: false,
        }
    }

    fn number(&mut self) -> u64 {
        let n = self.next;
        self.next += 1;
        n
    }

    fn wrap(&mut self, channel: &str, events: &str) -> String {
        let n = self.number();
        message(channel, n, self.shared.now_ms(), events)
    }

    async fn run(mut self, mut ws: WebSocketStream<TcpStream>) {
        let mut market = self.shared.exchange().publisher.subscribe_market();
        let mut market_kill = self.shared.market_kill.subscribe();
        let mut user_kill = self.shared.user_kill.subscribe();
        let mut shutdown = self.shared.shutdown.subscribe();
        let mut beat = tokio::time::interval(Duration::from_secs(1));
        loop {
            let out: Vec<String> = tokio::select! {
                biased;
                _ = market_kill.changed() => if self.counted_market { break } else { continue },
                _ = user_kill.changed() => if self.counted_user { break } else { continue },
                _ = shutdown.changed() => break,
                msg = market.recv() => match msg {
                    Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                        self.depth(&symbol, &data).into_iter().collect()
                    }
                    Ok(MarketMsg::Event { .. }) => continue,
                    Ok(MarketMsg::Raw(t)) if !self.level2.is_empty() => vec![t.to_string()],
                    Ok(MarketMsg::Raw(_)) => continue,
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                },
                ev = user_recv(&mut self.user_rx) => {
                    let Ok(ev) = ev else { break };
                    if ev.is_empty() || self.shared.user_streams_down.load(Ordering::SeqCst) {
                        continue;
                    }
                    let events = json!([{"type": "update", "orders": [serde_json::from_str::<Value>(&ev).unwrap_or_default()]}]).to_string();
                    let text = self.wrap("user", &events);
                    let lose = self.shared.user_skips.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
                    if lose { continue }
                    vec![text]
                }
                _ = beat.tick() => {
                    if !self.heartbeats { continue }
                    self.heartbeat_counter += 1;
                    let now = self.shared.now_ms();
                    let events = json!([{"current_time": sluice::cex::sign::time::iso8601_millis(now),
                                         "heartbeat_counter": self.heartbeat_counter.to_string()}]).to_string();
                    vec![self.wrap("heartbeats", &events)]
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
            let mut failed = false;
            for t in out {
                if ws.send(Message::text(t)).await.is_err() {
                    failed = true;
                    break;
                }
            }
            if failed || self.close_after {
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

    /// An engine change of `symbol` (lower case), numbered by the rule in the module doc.
    fn depth(&mut self, symbol: &str, data: &str) -> Option<String> {
        let product = self
            .level2
            .keys()
            .find(|p| p.eq_ignore_ascii_case(symbol))?
            .clone();
        let (ids, events) = data.split_once(IDS_SEPARATOR)?;
        let (first, last) = ids.split_once(' ')?;
        let (first, last): (u64, u64) = (first.parse().ok()?, last.parse().ok()?);
        let engine = self.level2.get(&product)?.engine;
        let number = if last <= engine {
            // a duplicate, or a change that comes late: under the number it had or was kept for
            *self.level2.get(&product)?.numbers.get(&first)?
        } else {
            if first > engine + 1 {
                // changes between are missing (skipped, or held back): their number is taken
                let kept = self.number();
                self.level2.get_mut(&product)?.remember(engine + 1, kept);
            }
            let n = self.number();
            let l2 = self.level2.get_mut(&product)?;
            l2.remember(first, n);
            l2.engine = last;
            n
        };
        Some(message("l2_data", number, self.shared.now_ms(), events))
    }

    fn subscriptions(&mut self) -> String {
        let mut subs = serde_json::Map::new();
        if self.heartbeats {
            subs.insert("heartbeats".into(), json!(["heartbeats"]));
        }
        if !self.level2.is_empty() {
            let mut p: Vec<&String> = self.level2.keys().collect();
            p.sort();
            subs.insert("level2".into(), json!(p));
        }
        if self.account.is_some() {
            subs.insert("user".into(), json!([]));
        }
        let events = json!([{"subscriptions": subs}]).to_string();
        self.wrap("subscriptions", &events)
    }

    /// The answers to one client message.
    fn request(&mut self, text: &str) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![error_message("malformed message")];
        };
        let kind = v["type"].as_str().unwrap_or_default();
        let channel = v["channel"].as_str().unwrap_or_default();
        let subscribe = match kind {
            "subscribe" => true,
            "unsubscribe" => false,
            _ => return vec![error_message("type must be subscribe or unsubscribe")],
        };
        let products: Vec<String> = v["product_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        match channel {
            "heartbeats" => self.heartbeats = subscribe,
            "level2" | "l2_data" => {
                if products.is_empty() {
                    return vec![error_message("level2 needs product_ids")];
                }
                for p in products {
                    if !subscribe {
                        self.level2.remove(&p);
                        continue;
                    }
                    let snapshot = {
                        let ex = self.shared.exchange();
                        ex.books.get(&p).map(|b| {
                            let (bids, asks) = b.levels(usize::MAX);
                            (b.update_id, updates(&bids, &asks, self.shared.now_ms()))
                        })
                    };
                    let Some((engine, levels)) = snapshot else {
                        return vec![error_message(&format!(
                            "failure to subscribe: unknown product {p}"
                        ))];
                    };
                    self.level2.insert(
                        p.clone(),
                        Level2 {
                            engine,
                            numbers: BTreeMap::new(),
                        },
                    );
                    if !self.counted_market {
                        self.counted_market = true;
                        self.shared
                            .market_connections
                            .fetch_add(1, Ordering::SeqCst);
                    }
                    let events = l2_events("snapshot", &p, &levels);
                    out.push(self.wrap("l2_data", &events));
                }
            }
            "user" => {
                if !subscribe {
                    self.user_rx = None;
                    self.account = None;
                } else {
                    if self.shared.user_streams_down.load(Ordering::SeqCst) {
                        self.close_after = true;
                        return vec![error_message("service unavailable")];
                    }
                    let now = self.shared.now_ms();
                    let account =
                        match auth::verify(&self.shared, v["jwt"].as_str(), Expect::Websocket, now)
                        {
                            Ok(a) => a,
                            Err(e) => {
                                return vec![error_message(&format!(
                                    "authentication failure: {}",
                                    e.message
                                ))];
                            }
                        };
                    let (rx, orders) = {
                        let ex = self.shared.exchange();
                        let rx = ex.accounts.get(account).map(|a| a.user_tx.subscribe());
                        let orders: Vec<Value> = ex
                            .open_orders(account, None)
                            .into_iter()
                            .map(|o| {
                                let (fee, n) = order_fees(&ex, o);
                                user_order_json(o, fee, n)
                            })
                            .collect();
                        (rx, orders)
                    };
                    self.user_rx = rx;
                    self.account = Some(account);
                    if !self.counted_user {
                        self.counted_user = true;
                        self.shared.user_connections.fetch_add(1, Ordering::SeqCst);
                    }
                    out.push(self.subscriptions());
                    let events = json!([{"type": "snapshot", "orders": orders}]).to_string();
                    out.push(self.wrap("user", &events));
                    return out;
                }
            }
            other => return vec![error_message(&format!("unknown channel {other:?}"))],
        }
        out.push(self.subscriptions());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_engine_ids_through_faults() {
        let mut l2 = Level2::default();
        l2.remember(1, 5);
        l2.remember(2, 6);
        assert_eq!(l2.numbers.get(&1), Some(&5));
        for i in 0..(REMEMBERED as u64 + 10) {
            l2.remember(100 + i, i);
        }
        assert_eq!(l2.numbers.len(), REMEMBERED);
        assert!(!l2.numbers.contains_key(&1));
    }

    #[test]
    fn errors_are_typed_messages() {
        let v: Value = serde_json::from_str(&error_message("x")).unwrap();
        assert_eq!(v, json!({"type": "error", "message": "x"}));
    }
}
