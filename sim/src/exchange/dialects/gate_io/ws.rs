//! The simulated Gate.io's websocket server (`/ws/v4/`): `spot.ping` → `spot.pong`; subscribe /
//! unsubscribe to `spot.order_book_update` (`[pair, interval]`) and to the private channels
//! `spot.orders`, `spot.usertrades`, `spot.balances`, each private request verified by its `auth`
//! (`api_key`, `SIGN` over `channel=…&event=…&time=…`); the engine's depth updates (with the
//! publisher's faults) and the account's events; connections dropped abruptly on the drop faults.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::auth;
use super::shapes::FRAME_SEPARATOR;
use super::shared::Shared;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

const BOOK: &str = "spot.order_book_update";
const PRIVATE: [&str; 3] = ["spot.orders", "spot.usertrades", "spot.balances"];

/// Accepts websocket connections until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let shared = shared.clone();
                tokio::spawn(async move { connection(stream, shared).await });
            }
            _ = shutdown.changed() => break,
        }
    }
}

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        if req.uri().path().trim_end_matches('/') == "/ws/v4" {
            Ok(resp)
        } else {
            let mut err = ErrorResponse::new(Some("Not Found".into()));
            *err.status_mut() = StatusCode::NOT_FOUND;
            Err(err)
        }
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    Session::new(shared).run(ws).await;
}

struct Session {
    shared: Arc<Shared>,
    books: HashSet<String>,
    private: HashSet<String>,
    account: Option<usize>,
    user_rx: Option<broadcast::Receiver<Arc<str>>>,
    counted_market: bool,
    counted_user: bool,
    /// Set when the answer is the last thing the connection sends (a private subscription
    /// during an outage: the server closes, the client reconnects later).
    close_after: bool,
}

fn reply(channel: &str, event: &str, now: u64, error: Option<(i64, &str)>) -> String {
    match error {
        Some((code, message)) => json!({"time": now / 1000, "time_ms": now, "channel": channel, "event": event,
                                        "error": {"code": code, "message": message}, "result": null}),
        None => json!({"time": now / 1000, "time_ms": now, "channel": channel, "event": event,
                       "result": {"status": "success"}}),
    }
    .to_string()
}

async fn user_recv(rx: &mut Option<broadcast::Receiver<Arc<str>>>) -> Result<Arc<str>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

impl Session {
    fn new(shared: Arc<Shared>) -> Self {
        Self {
            shared,
            books: HashSet::new(),
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
        loop {
            tokio::select! {
                biased;
                _ = market_kill.changed() => if self.counted_market { break },
                _ = user_kill.changed() => if self.counted_user { break },
                _ = shutdown.changed() => break,
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
                    let mut failed = false;
                    for frame in ev.split(FRAME_SEPARATOR).filter(|f| !f.is_empty()) {
                        let wanted = self.private.iter().any(|c| frame.contains(&format!("\"channel\":\"{c}\"")));
                        if wanted && ws.send(Message::text(frame.to_string())).await.is_err() {
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
                        for r in self.request(&text) {
                            if ws.send(Message::text(r)).await.is_err() {
                                break;
                            }
                        }
                        if self.close_after {
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

    /// The answers to one client request.
    fn request(&mut self, text: &str) -> Vec<String> {
        let now = self.shared.now_ms();
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![reply("", "", now, Some((1, "invalid request body format")))];
        };
        let channel = v["channel"].as_str().unwrap_or_default().to_string();
        let event = v["event"].as_str().unwrap_or_default().to_string();
        if channel == "spot.ping" {
            return vec![json!({"time": now / 1000, "time_ms": now, "channel": "spot.pong", "event": "", "result": null}).to_string()];
        }
        match (channel.as_str(), event.as_str()) {
            (BOOK, "subscribe" | "unsubscribe") => {
                let Some(pair) = v["payload"].get(0).and_then(Value::as_str) else {
                    return vec![reply(
                        &channel,
                        &event,
                        now,
                        Some((2, "invalid argument provided")),
                    )];
                };
                if self.shared.exchange().spec(pair).is_err() {
                    return vec![reply(
                        &channel,
                        &event,
                        now,
                        Some((2, "unknown currency pair")),
                    )];
                }
                let key = pair.to_ascii_lowercase();
                if event == "subscribe" {
                    self.books.insert(key);
                    if !self.counted_market {
                        self.counted_market = true;
                        self.shared
                            .market_connections
                            .fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    self.books.remove(&key);
                }
                vec![reply(&channel, &event, now, None)]
            }
            (c, "subscribe" | "unsubscribe") if PRIVATE.contains(&c) => {
                if self.shared.user_streams_down.load(Ordering::SeqCst) {
                    self.close_after = true;
                    return vec![reply(c, &event, now, Some((5, "service unavailable")))];
                }
                let key = v["auth"]["KEY"].as_str().unwrap_or_default();
                let sign = v["auth"]["SIGN"].as_str().unwrap_or_default();
                let time = v["time"].as_u64().unwrap_or_default();
                if v["auth"]["method"].as_str() != Some("api_key") {
                    return vec![reply(c, &event, now, Some((4, "authentication required")))];
                }
                let account = {
                    let ex = self.shared.exchange();
                    match auth::verify_ws(&ex, key, sign, c, &event, time, now) {
                        Ok(a) => a,
                        Err(why) => return vec![reply(c, &event, now, Some((4, why)))],
                    }
                };
                if self.account.is_some_and(|a| a != account) {
                    return vec![reply(
                        c,
                        &event,
                        now,
                        Some((4, "another account is subscribed")),
                    )];
                }
                if event == "subscribe" {
                    if self.user_rx.is_none() {
                        let ex = self.shared.exchange();
                        self.user_rx = ex.accounts.get(account).map(|a| a.user_tx.subscribe());
                    }
                    self.account = Some(account);
                    self.private.insert(c.to_string());
                    if !self.counted_user {
                        self.counted_user = true;
                        self.shared.user_connections.fetch_add(1, Ordering::SeqCst);
                    }
                } else {
                    self.private.remove(c);
                }
                vec![reply(c, &event, now, None)]
            }
            _ => vec![reply(
                &channel,
                &event,
                now,
                Some((2, "unknown channel or event")),
            )],
        }
    }
}
