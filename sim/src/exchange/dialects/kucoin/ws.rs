//! The simulated KuCoin's websocket server: a connection is `/?token=…&connectId=…` with a token
//! from a bullet endpoint (unknown token: an `error` and the socket closes), greeted by `welcome`;
//! `ping` → `pong`; `subscribe` / `unsubscribe` of `/market/level2:{symbols}` and, with a private
//! token, `/spotMarket/tradeOrdersV2` and `/account/balance`, acknowledged by `ack` when asked;
//! the engine's depth pushes (with the publisher's faults) and the account's pushes. A client
//! silent for `pingInterval + pingTimeout` is disconnected, as KuCoin does; the drop faults close
//! connections abruptly.

use std::collections::HashSet;
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
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};

use super::shapes::{BALANCE_TOPIC, FRAME_SEPARATOR, ORDERS_TOPIC};
use super::shared::{Shared, lock};
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

const LEVEL2: &str = "/market/level2:";
/// The private topics a private token may subscribe to.
const PRIVATE: [&str; 2] = [ORDERS_TOPIC, BALANCE_TOPIC];

/// Accepts websocket connections until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(connection(stream, shared));
            }
            _ = shutdown.changed() => break,
        }
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut query = String::new();
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        query = req.uri().query().unwrap_or("").to_string();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    let connect_id = query_param(&query, "connectId").unwrap_or_default();
    let token = query_param(&query, "token").unwrap_or_default();
    let Some(account) = lock(&shared.tokens).get(&token).copied() else {
        let e = json!({"id": connect_id, "type": "error", "code": 401, "data": "token is invalid"});
        let _ = ws.send(Message::text(e.to_string())).await;
        let _ = ws.close(None).await;
        return;
    };
    let welcome = json!({"id": connect_id, "type": "welcome"}).to_string();
    if ws.send(Message::text(welcome)).await.is_err() {
        return;
    }
    Session::new(shared, account).run(ws).await;
}

struct Session {
    shared: Arc<Shared>,
    /// The token's account (a private token), `None` for a public one.
    account: Option<usize>,
    books: HashSet<String>,
    private: HashSet<String>,
    user_rx: Option<broadcast::Receiver<Arc<str>>>,
    counted_market: bool,
    counted_user: bool,
    /// Set when the answer is the last thing the connection sends.
    close_after: bool,
}

fn error(id: &str, code: u16, data: &str) -> String {
    json!({"id": id, "type": "error", "code": code, "data": data}).to_string()
}

async fn user_recv(rx: &mut Option<broadcast::Receiver<Arc<str>>>) -> Result<Arc<str>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// The topic of a push the engine rendered.
fn topic_of(frame: &str) -> Option<String> {
    serde_json::from_str::<Value>(frame)
        .ok()?
        .get("topic")?
        .as_str()
        .map(str::to_string)
}

impl Session {
    fn new(shared: Arc<Shared>, account: Option<usize>) -> Self {
        Self {
            shared,
            account,
            books: HashSet::new(),
            private: HashSet::new(),
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
        let silence =
            Duration::from_millis(self.shared.ping_interval_ms + self.shared.ping_timeout_ms);
        let mut deadline = tokio::time::Instant::now() + silence;
        loop {
            tokio::select! {
                biased;
                _ = market_kill.changed() => if self.counted_market { break },
                _ = user_kill.changed() => if self.counted_user { break },
                _ = shutdown.changed() => break,
                _ = tokio::time::sleep_until(deadline) => {
                    self.shared.ping_timeouts.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                msg = market.recv() => {
                    let text = match msg {
                        Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                            self.books.contains(&*symbol).then(|| data.to_string())
                        }
                        Ok(MarketMsg::Event { .. }) => None,
                        Ok(MarketMsg::Raw(t)) => (!self.books.is_empty()).then(|| t.to_string()),
                        Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                    };
                    if let Some(t) = text
                        && ws.send(Message::text(t)).await.is_err()
                    {
                        break;
                    }
                }
                ev = user_recv(&mut self.user_rx) => {
                    let Ok(ev) = ev else { break };
                    if self.shared.user_streams_down.load(Ordering::SeqCst) {
                        continue;
                    }
                    let frames: Vec<&str> = ev
                        .split(FRAME_SEPARATOR)
                        .filter(|f| topic_of(f).is_some_and(|t| self.private.contains(&t)))
                        .collect();
                    let mut failed = false;
                    for f in frames {
                        if ws.send(Message::text(f.to_string())).await.is_err() {
                            failed = true;
                            break;
                        }
                    }
                    if failed {
                        break;
                    }
                }
                incoming = ws.next() => match incoming {
                    Some(Ok(Message::Text(text))) => {
                        deadline = tokio::time::Instant::now() + silence;
                        let answers = self.request(&text);
                        let mut failed = false;
                        for a in answers {
                            if ws.send(Message::text(a)).await.is_err() {
                                failed = true;
                                break;
                            }
                        }
                        if failed || self.close_after {
                            break;
                        }
                    }
                    Some(Ok(Message::Ping(p))) => {
                        let _ = ws.send(Message::Pong(p)).await;
                    }
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                },
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

    /// The answers to one client message.
    fn request(&mut self, text: &str) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![error("", 400, "malformed message")];
        };
        let id = match &v["id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let kind = v["type"].as_str().unwrap_or_default();
        let topic = v["topic"].as_str().unwrap_or_default();
        let ack = || json!({"id": id, "type": "ack"}).to_string();
        let want_ack = v["response"].as_bool().unwrap_or(false);
        match kind {
            "ping" => {
                let now = self.shared.now_ms();
                vec![json!({"id": id, "type": "pong", "timestamp": now * 1000}).to_string()]
            }
            "subscribe" | "unsubscribe" => {
                let subscribe = kind == "subscribe";
                let result = if let Some(symbols) = topic.strip_prefix(LEVEL2) {
                    self.book_topic(symbols, subscribe)
                } else if PRIVATE.contains(&topic) {
                    self.private_topic(topic, subscribe)
                } else {
                    Err((404, format!("topic {topic} is not found")))
                };
                match result {
                    Ok(()) if want_ack => vec![ack()],
                    Ok(()) => Vec::new(),
                    Err((code, why)) => vec![error(&id, code, &why)],
                }
            }
            _ => vec![error(&id, 404, &format!("type {kind} is not supported"))],
        }
    }

    fn book_topic(&mut self, symbols: &str, subscribe: bool) -> Result<(), (u16, String)> {
        let listed: Vec<String> = symbols
            .split(',')
            .map(str::trim)
            .map(str::to_string)
            .collect();
        {
            let ex = self.shared.exchange();
            if let Some(bad) = listed.iter().find(|s| ex.spec(s).is_err()) {
                return Err((404, format!("topic {LEVEL2}{bad} is not found")));
            }
        }
        for s in listed {
            let key = s.to_ascii_lowercase();
            if subscribe {
                self.books.insert(key);
            } else {
                self.books.remove(&key);
            }
        }
        if subscribe && !self.counted_market {
            self.counted_market = true;
            self.shared
                .market_connections
                .fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn private_topic(&mut self, topic: &str, subscribe: bool) -> Result<(), (u16, String)> {
        let Some(account) = self.account else {
            return Err((401, "private topics need a private token".into()));
        };
        if self.shared.user_streams_down.load(Ordering::SeqCst) {
            self.close_after = true;
            return Err((503, "service unavailable".into()));
        }
        if !subscribe {
            self.private.remove(topic);
            return Ok(());
        }
        if self.user_rx.is_none() {
            let ex = self.shared.exchange();
            self.user_rx = ex.accounts.get(account).map(|a| a.user_tx.subscribe());
        }
        self.private.insert(topic.to_string());
        if !self.counted_user {
            self.counted_user = true;
            self.shared.user_connections.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }
}
