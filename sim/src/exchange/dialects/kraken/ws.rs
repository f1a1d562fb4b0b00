//! The Kraken dialect's WebSocket v2 server (one listener): `/v2` is the public endpoint (`book`
//! channel at depth 10/25/100/500/1000: a snapshot, then updates with the changed levels — a level
//! deleted within scope sent with `qty` 0 and the next one coming into scope sent, a level pushed
//! out of scope not sent — each with the CRC32 checksum of the true top 10), `/auth/v2` the
//! private one (`executions` and `balances`, subscribed with a token from `GetWebSocketsToken`).
//! Both answer `ping` with `pong`, send `{"channel":"heartbeat"}` every second on a subscribed
//! connection, and apply the faults: book updates dropped, duplicated, swapped or sent with a
//! corrupted checksum, connections dropped or refused (503).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;

use super::names::{self, asset_names};
use super::shapes::{self, SymbolNames};
use super::shared::{BookFault, Shared, lock};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};

/// Depths the `book` channel offers.
const DEPTHS: [usize; 5] = [10, 25, 100, 500, 1000];
/// How long an update held for a swap waits for the next one.
const HELD_MAX_AGE: Duration = Duration::from_millis(50);
/// How long a token stays valid before it is used.
const TOKEN_VALIDITY_MS: u64 = 15 * 60 * 1000;

type Ws = WebSocketStream<TcpStream>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    Public,
    Private,
}

/// Accepts connections until shutdown.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
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

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut chosen = None;
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let (route, down) = match req.uri().path() {
            "/v2" => (
                Route::Public,
                shared.market_streams_down.load(Ordering::SeqCst),
            ),
            "/auth/v2" => (
                Route::Private,
                shared.user_streams_down.load(Ordering::SeqCst),
            ),
            _ => {
                let mut e = ErrorResponse::new(Some("not found".into()));
                *e.status_mut() = StatusCode::NOT_FOUND;
                return Err(e);
            }
        };
        if down {
            let mut e = ErrorResponse::new(Some("service unavailable".into()));
            *e.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(e);
        }
        chosen = Some(route);
        Ok(resp)
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    match chosen {
        Some(Route::Public) => {
            shared.market_connections.fetch_add(1, Ordering::SeqCst);
            public(ws, &shared).await;
            shared.market_connections.fetch_sub(1, Ordering::SeqCst);
        }
        Some(Route::Private) => {
            shared.user_connections.fetch_add(1, Ordering::SeqCst);
            private(ws, &shared).await;
            shared.user_connections.fetch_sub(1, Ordering::SeqCst);
        }
        None => {}
    }
}

fn stamp(shared: &Shared) -> String {
    names::rfc3339(shared.now_ms())
}

fn reply(shared: &Shared, method: &str, req_id: &Value, result: Result<Value, String>) -> String {
    let mut v = json!({"method": method, "time_in": stamp(shared), "time_out": stamp(shared)});
    match result {
        Ok(r) => {
            v["result"] = r;
            v["success"] = json!(true);
        }
        Err(e) => {
            v["error"] = json!(e);
            v["success"] = json!(false);
        }
    }
    if !req_id.is_null() {
        v["req_id"] = req_id.clone();
    }
    v.to_string()
}

/// One subscribed book: what the client was last sent.
struct BookSub {
    names: SymbolNames,
    depth: usize,
    bids: Vec<PriceLevel>,
    asks: Vec<PriceLevel>,
}

/// The true book's top `depth` (and the levels just below, to tell a deletion from a push-out).
fn top(shared: &Shared, symbol: &str, n: usize) -> (Vec<PriceLevel>, Vec<PriceLevel>) {
    shared
        .exchange()
        .books
        .get(symbol)
        .map(|b| b.levels(n))
        .unwrap_or_default()
}

/// The changes from `old` to `new` (top `depth`), given the deeper book `deep`: changed and new
/// levels, and levels deleted from the book (qty 0); levels only pushed out of scope are not sent.
fn side_diff(old: &[PriceLevel], new: &[PriceLevel], deep: &[PriceLevel]) -> Vec<PriceLevel> {
    let mut out = Vec::new();
    for l in new {
        if !old.contains(l) {
            out.push(*l);
        }
    }
    for (p, _) in old {
        if !new.iter().any(|(q, _)| q == p) && !deep.iter().any(|(q, _)| q == p) {
            out.push((*p, rust_decimal::Decimal::ZERO));
        }
    }
    out
}

async fn send(ws: &mut Ws, text: String) -> bool {
    ws.send(Message::text(text)).await.is_ok()
}

async fn public(mut ws: Ws, shared: &Shared) {
    let mut market = shared.exchange().publisher.subscribe_market();
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut heartbeat = tokio::time::interval(shared.heartbeat);
    let mut subs: HashMap<String, BookSub> = HashMap::new();
    let mut held: Option<(String, Instant)> = None;
    loop {
        let hold_wait = held.as_ref().map_or(Duration::from_secs(3600), |(_, at)| {
            HELD_MAX_AGE.saturating_sub(at.elapsed())
        });
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                for out in public_request(shared, &text, &mut subs) {
                    if !send(&mut ws, out).await {
                        return;
                    }
                }
            }
            ev = market.recv() => {
                let (symbol, raw) = match ev {
                    Ok(MarketMsg::Event { kind: StreamKind::Depth, data, .. }) => (data.to_string(), None),
                    Ok(MarketMsg::Event { .. }) => continue,
                    Ok(MarketMsg::Raw(t)) => (String::new(), Some(t.to_string())),
                    Err(broadcast::error::RecvError::Lagged(_)) => return, // a slow consumer is dropped
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if let Some(t) = raw {
                    if !send(&mut ws, t).await {
                        return;
                    }
                    continue;
                }
                let Some(sub) = subs.get_mut(&symbol) else { continue };
                let Some(update) = book_update(shared, &symbol, sub) else { continue };
                let mut outgoing = Vec::new();
                match shared.take_book_fault() {
                    Some(BookFault::Drop) => {}
                    Some(BookFault::Duplicate) => outgoing.extend([update.0.clone(), update.0]),
                    Some(BookFault::Corrupt) => outgoing.push(update.1),
                    Some(BookFault::Swap) => match held.take() {
                        Some((h, _)) => outgoing.extend([update.0, h]),
                        None => held = Some((update.0, Instant::now())),
                    },
                    None => {
                        outgoing.push(update.0);
                        if let Some((h, _)) = held.take() {
                            outgoing.push(h);
                        }
                    }
                }
                for t in outgoing {
                    if !send(&mut ws, t).await {
                        return;
                    }
                }
            }
            _ = tokio::time::sleep(hold_wait), if held.is_some() => {
                if let Some((h, _)) = held.take()
                    && !send(&mut ws, h).await
                {
                    return;
                }
            }
            _ = heartbeat.tick() => {
                if !subs.is_empty() && !send(&mut ws, json!({"channel": "heartbeat"}).to_string()).await {
                    return;
                }
            }
            _ = kill.changed() => return, // dropped without a close frame
            _ = shutdown.changed() => return,
        }
    }
}

/// The update a subscription gets after a change of the engine's book: (as sent, with a corrupted
/// checksum), or `None` when its top did not change.
fn book_update(shared: &Shared, symbol: &str, sub: &mut BookSub) -> Option<(String, String)> {
    let (deep_bids, deep_asks) = top(shared, symbol, sub.depth + 64);
    let cut = |v: &[PriceLevel]| v[..v.len().min(sub.depth)].to_vec();
    let (bids, asks) = (cut(&deep_bids), cut(&deep_asks));
    let db = side_diff(&sub.bids, &bids, &deep_bids);
    let da = side_diff(&sub.asks, &asks, &deep_asks);
    if db.is_empty() && da.is_empty() {
        return None;
    }
    let sum = shapes::checksum(&bids, &asks, &sub.names);
    let now = shared.now_ms();
    let good = shapes::book_message("update", &sub.names, &db, &da, sum, now);
    let bad = shapes::book_message("update", &sub.names, &db, &da, sum ^ 0x5a5a_5a5a, now);
    sub.bids = bids;
    sub.asks = asks;
    Some((good, bad))
}

/// Answers one request on the public endpoint (and sends snapshots).
fn public_request(shared: &Shared, text: &str, subs: &mut HashMap<String, BookSub>) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![json!({"error": "EGeneral:Invalid arguments", "success": false}).to_string()];
    };
    let method = v["method"].as_str().unwrap_or_default().to_string();
    let req_id = v["req_id"].clone();
    if method == "ping" {
        return vec![
            reply(shared, "pong", &req_id, Ok(Value::Null)).replace(",\"result\":null", ""),
        ];
    }
    let params = &v["params"];
    if params["channel"] != "book" || !matches!(method.as_str(), "subscribe" | "unsubscribe") {
        return vec![reply(
            shared,
            &method,
            &req_id,
            Err("EGeneral:Invalid arguments".into()),
        )];
    }
    let depth = params["depth"].as_u64().unwrap_or(10) as usize;
    if !DEPTHS.contains(&depth) {
        return vec![reply(
            shared,
            &method,
            &req_id,
            Err("EGeneral:Invalid arguments:depth".into()),
        )];
    }
    let mut out = Vec::new();
    for s in params["symbol"].as_array().into_iter().flatten() {
        let name = s.as_str().unwrap_or_default();
        let found = shared
            .exchange()
            .specs
            .values()
            .find(|spec| names::ws_symbol(spec) == name)
            .map(|spec| (spec.symbol.clone(), SymbolNames::of(spec)));
        let Some((symbol, sn)) = found else {
            out.push(reply(
                shared,
                &method,
                &req_id,
                Err(format!("Currency pair not supported {name}")),
            ));
            continue;
        };
        let result = json!({"channel": "book", "depth": depth, "snapshot": true, "symbol": name});
        if method == "unsubscribe" {
            subs.remove(&symbol);
            out.push(reply(shared, &method, &req_id, Ok(result)));
            continue;
        }
        out.push(reply(shared, &method, &req_id, Ok(result)));
        let (bids, asks) = top(shared, &symbol, depth);
        let sum = shapes::checksum(&bids, &asks, &sn);
        out.push(shapes::book_message(
            "snapshot",
            &sn,
            &bids,
            &asks,
            sum,
            shared.now_ms(),
        ));
        subs.insert(
            symbol,
            BookSub {
                names: sn,
                depth,
                bids,
                asks,
            },
        );
    }
    out
}

async fn private(mut ws: Ws, shared: &Shared) {
    let mut kill = shared.user_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut heartbeat = tokio::time::interval(shared.heartbeat);
    let mut events: Option<broadcast::Receiver<Arc<str>>> = None;
    let (mut executions, mut balances) = (false, false);
    loop {
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else { continue };
                let method = v["method"].as_str().unwrap_or_default().to_string();
                let req_id = v["req_id"].clone();
                if method == "ping" {
                    if !send(&mut ws, reply(shared, "pong", &req_id, Ok(Value::Null))).await { return; }
                    continue;
                }
                let channel = v["params"]["channel"].as_str().unwrap_or_default().to_string();
                let token = v["params"]["token"].as_str().unwrap_or_default();
                let account = {
                    let now = shared.now_ms();
                    let mut tokens = lock(&shared.tokens);
                    match tokens.get(token).copied() {
                        Some((a, issued)) if now.saturating_sub(issued) <= TOKEN_VALIDITY_MS => {
                            // used: no longer expires while the connection lasts
                            tokens.insert(token.to_string(), (a, now));
                            Some(a)
                        }
                        _ => None,
                    }
                };
                let Some(account) = account else {
                    if !send(&mut ws, reply(shared, &method, &req_id, Err("EAccount:Invalid token".into()))).await { return; }
                    continue;
                };
                let result = json!({"channel": channel});
                match (method.as_str(), channel.as_str()) {
                    ("subscribe", "executions" | "balances") => {
                        if events.is_none() {
                            events = shared.exchange().accounts.get(account).map(|a| a.user_tx.subscribe());
                        }
                        let first = reply(shared, &method, &req_id, Ok(result));
                        if !send(&mut ws, first).await { return; }
                        if channel == "executions" {
                            executions = true;
                        } else {
                            balances = true;
                            if !send(&mut ws, balance_snapshot(shared, account)).await { return; }
                        }
                    }
                    ("unsubscribe", "executions") => executions = false,
                    ("unsubscribe", "balances") => balances = false,
                    _ => {
                        if !send(&mut ws, reply(shared, &method, &req_id, Err("EGeneral:Invalid arguments".into()))).await { return; }
                    }
                }
            }
            ev = async {
                match events.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            } => {
                let text = match ev {
                    Ok(t) => t,
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                };
                let wanted = (executions && text.starts_with("{\"channel\":\"executions\""))
                    || (balances && text.starts_with("{\"channel\":\"balances\""));
                if wanted && !send(&mut ws, text.to_string()).await {
                    return;
                }
            }
            _ = heartbeat.tick() => {
                if (executions || balances) && !send(&mut ws, json!({"channel": "heartbeat"}).to_string()).await {
                    return;
                }
            }
            _ = kill.changed() => return,
            _ = shutdown.changed() => return,
        }
    }
}

fn balance_snapshot(shared: &Shared, account: usize) -> String {
    let ex = shared.exchange();
    let data: Vec<Value> = ex
        .accounts
        .get(account)
        .map(|a| {
            a.balances
                .iter()
                .map(|(asset, b)| {
                    json!({"asset": asset_names(asset).1, "asset_class": "currency",
                        "balance": (b.free + b.locked).normalize().to_string(),
                        "wallets": [{"type": "spot", "id": "main", "balance": (b.free + b.locked).normalize().to_string()}]})
                })
                .collect()
        })
        .unwrap_or_default();
    json!({"channel": "balances", "type": "snapshot", "data": data, "sequence": 1}).to_string()
}
