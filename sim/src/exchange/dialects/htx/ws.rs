//! The simulated HTX's WebSocket server. `/feed` and `/ws` (market, every frame gzip):
//! `{"sub": "market.$s.mbp.150"}` and `{"unsub": …}`, `{"req": …}` answered with the snapshot,
//! the engine's depth pushes (with the publisher's faults), `{"ping": ts}` every few seconds and
//! the connection closed when two go unanswered. `/ws/v2` (private, plain JSON): `auth` by
//! signature version 2.1, `sub` to `orders#*`, `trade.clearing#*#0`, `accounts.update#1`, the
//! account's pushes, `{"action":"ping"}`. Connections are dropped abruptly on the drop faults.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::auth::verify_ws;
use super::shapes::{FRAME_SEPARATOR, MBP_LEVELS, snapshot, topic};
use super::shared::Shared;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

/// Accepts WebSocket connections until shutdown.
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

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut path = String::new();
    let mut host = String::new();
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        path = req.uri().path().trim_end_matches('/').to_string();
        host = req
            .headers()
            .get("host")
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if matches!(path.as_str(), "/feed" | "/ws" | "/ws/v2") {
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
    if path == "/ws/v2" {
        private(ws, shared, host).await;
    } else {
        market(ws, shared).await;
    }
}

/// `text` gzip-compressed, as HTX sends every market frame.
pub fn gzip(text: &str) -> Bytes {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // writing to a Vec cannot fail
    let _ = e.write_all(text.as_bytes());
    Bytes::from(e.finish().unwrap_or_default())
}

/// The symbol of an MBP topic this simulator serves.
fn mbp_symbol(t: &str) -> Option<&str> {
    let s = t.strip_prefix("market.")?;
    let (sym, n) = s.split_once(".mbp.")?;
    matches!(n, "5" | "20" | "150" | "400").then_some(sym)
}

async fn market(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>) {
    let mut rx = shared.exchange().publisher.subscribe_market();
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut ping = tokio::time::interval(shared.ping_every);
    ping.tick().await;
    let mut books: HashSet<String> = HashSet::new();
    let mut unanswered = 0u32;
    let mut counted = false;
    loop {
        let out: Vec<String> = tokio::select! {
            biased;
            _ = kill.changed() => if counted { break } else { continue },
            _ = shutdown.changed() => break,
            _ = ping.tick() => {
                if unanswered >= 2 {
                    break;
                }
                unanswered += 1;
                vec![json!({"ping": shared.now_ms()}).to_string()]
            }
            msg = rx.recv() => match msg {
                Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) if books.contains(&*symbol) => vec![data.to_string()],
                Ok(MarketMsg::Raw(t)) if !books.is_empty() => vec![t.to_string()],
                Ok(_) => continue,
                Err(RecvError::Lagged(_) | RecvError::Closed) => break,
            },
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    if v.get("pong").is_some() {
                        unanswered = 0;
                        continue;
                    }
                    let id = v.get("id").cloned().unwrap_or(Value::Null);
                    let now = shared.now_ms();
                    let (verb, t) = if let Some(t) = v["sub"].as_str() { ("sub", t) }
                        else if let Some(t) = v["req"].as_str() { ("req", t) }
                        else if let Some(t) = v["unsub"].as_str() { ("unsub", t) }
                        else { ("", "") };
                    let known = mbp_symbol(t).filter(|s| shared.exchange().books.contains_key(*s));
                    match (verb, known) {
                        (_, None) => vec![json!({"id": id, "status": "error", "err-code": "bad-request", "err-msg": format!("invalid topic {t}"), "ts": now}).to_string()],
                        ("sub", Some(s)) => {
                            books.insert(s.to_string());
                            if !counted {
                                counted = true;
                                shared.market_connections.fetch_add(1, Ordering::SeqCst);
                            }
                            vec![json!({"id": id, "status": "ok", "subbed": t, "ts": now}).to_string()]
                        }
                        ("unsub", Some(s)) => {
                            books.remove(s);
                            vec![json!({"id": id, "status": "ok", "unsubbed": t, "ts": now}).to_string()]
                        }
                        (_, Some(s)) => {
                            let ex = shared.exchange();
                            match ex.books.get(s) {
                                Some(b) => {
                                    let (bids, asks) = b.levels(MBP_LEVELS);
                                    vec![snapshot(&id, &topic(s), b.update_id, &bids, &asks, now)]
                                }
                                None => continue,
                            }
                        }
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                    continue;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
        };
        if !send_all(
            &mut ws,
            out.iter().map(|t| Message::Binary(gzip(t))).collect(),
        )
        .await
        {
            break;
        }
    }
    if counted {
        shared.market_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sends `frames` in order; false when the connection failed.
async fn send_all(ws: &mut WebSocketStream<TcpStream>, frames: Vec<Message>) -> bool {
    for f in frames {
        if ws.send(f).await.is_err() {
            return false;
        }
    }
    true
}

async fn user_recv(rx: &mut Option<broadcast::Receiver<Arc<str>>>) -> Result<Arc<str>, RecvError> {
    match rx {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

fn v2(action: &str, ch: &str, code: u16, message: Option<&str>) -> String {
    let mut v = json!({"action": action, "code": code, "ch": ch, "data": {}});
    if let Some(m) = message {
        v["message"] = json!(m);
    }
    v.to_string()
}

/// Whether a push on `ch` belongs to a subscribed topic.
fn wanted(topics: &HashSet<String>, ch: &str) -> bool {
    topics.iter().any(|t| {
        let family = t.split('#').next().unwrap_or_default();
        ch.split('#').next() == Some(family)
    })
}

async fn private(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>, host: String) {
    let mut kill = shared.user_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut ping = tokio::time::interval(shared.ping_every);
    ping.tick().await;
    let mut account: Option<usize> = None;
    let mut user_rx = None;
    let mut topics: HashSet<String> = HashSet::new();
    let mut counted = false;
    loop {
        let (out, close): (Vec<String>, bool) = tokio::select! {
            biased;
            _ = kill.changed() => if counted { break } else { continue },
            _ = shutdown.changed() => break,
            _ = ping.tick() => (vec![json!({"action": "ping", "data": {"ts": shared.now_ms()}}).to_string()], false),
            ev = user_recv(&mut user_rx) => {
                let Ok(ev) = ev else { break };
                if shared.user_streams_down.load(Ordering::SeqCst) {
                    continue;
                }
                (ev.split(FRAME_SEPARATOR)
                    .filter(|f| !f.is_empty())
                    .filter(|f| serde_json::from_str::<Value>(f).ok().and_then(|v| v["ch"].as_str().map(|c| wanted(&topics, c))).unwrap_or(false))
                    .map(str::to_string)
                    .collect(), false)
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).unwrap_or(Value::Null);
                    let action = v["action"].as_str().unwrap_or_default();
                    let ch = v["ch"].as_str().unwrap_or_default();
                    match (action, ch) {
                        ("pong", _) => continue,
                        ("req", "auth") => {
                            let verified = verify_ws(&shared.exchange(), &host, &v["params"], shared.now_ms());
                            match verified {
                                Ok(a) => {
                                    account = Some(a);
                                    user_rx = shared.exchange().accounts.get(a).map(|acc| acc.user_tx.subscribe());
                                    (vec![v2("req", "auth", 200, None)], false)
                                }
                                Err(e) => (vec![v2("req", "auth", 2002, Some(&e.message))], false),
                            }
                        }
                        ("sub", c) if matches!(c.split('#').next(), Some("orders" | "trade.clearing" | "accounts.update")) => {
                            if shared.user_streams_down.load(Ordering::SeqCst) {
                                (vec![v2("sub", c, 500, Some("service unavailable"))], true)
                            } else if account.is_none() {
                                (vec![v2("sub", c, 2002, Some("unauthorized"))], false)
                            } else {
                                topics.insert(c.to_string());
                                if !counted {
                                    counted = true;
                                    shared.user_connections.fetch_add(1, Ordering::SeqCst);
                                }
                                (vec![v2("sub", c, 200, None)], false)
                            }
                        }
                        _ => (vec![v2(action, ch, 2001, Some("invalid request"))], false),
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                    continue;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
        };
        if !send_all(&mut ws, out.into_iter().map(Message::text).collect()).await || close {
            break;
        }
    }
    if counted {
        shared.user_connections.fetch_sub(1, Ordering::SeqCst);
    }
}
