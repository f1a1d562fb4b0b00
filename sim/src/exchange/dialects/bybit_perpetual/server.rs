//! The simulated Bybit's servers: REST (public `/v5/market/*`; the signed endpoints through
//! `private.rs`), each private answer with its `X-Bapi-Limit*` headers and injected HTTP faults
//! served instead of answers; the public linear websocket `/v5/public/linear` (`subscribe` /
//! `unsubscribe` of `orderbook.50.<SYMBOL>`, each subscription answered by a snapshot, then the
//! engine's deltas; `{"op":"ping"}` answered by a pong; the drop fault closes it abruptly); the
//! private stream `/v5/private` on the same port (`private_ws.rs`); and the funding clock,
//! settling every interval.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;

use super::shapes::{self, BybitError, BybitEvents, num, ok};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::perp::PerpLedger;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};
use crate::exchange::engine::server::lock;

/// Funding every 8 hours by default, as Bybit's USDT perpetuals.
pub const FUNDING_INTERVAL_MS: u64 = 8 * 3_600_000;

pub use crate::exchange::engine::perp::MarkState;

/// What the servers and the handle share.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub events: Arc<BybitEvents>,
    /// The derivatives side of the unified account (positions, settings, marks, funding,
    /// liquidations): the engine's perpetual ledger.
    pub derivatives: std::sync::Mutex<PerpLedger>,
    pub account: usize,
    pub funding_interval_ms: AtomicU64,
    /// Per endpoint: (second, requests in it).
    pub windows: std::sync::Mutex<HashMap<String, (u64, u64)>>,
    /// Requests refused with 10006 so far.
    pub rate_limited: AtomicU64,
}

impl std::ops::Deref for Shared {
    type Target = Controls<HttpFault>;
    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

impl Shared {
    /// The mark state of `symbol` now, with the engine locked.
    pub fn mark_locked(&self, ex: &Exchange, symbol: &str) -> Option<MarkState> {
        lock(&self.derivatives).mark_state(ex, symbol)
    }

    /// The ledger, with the engine's trades so far applied (the engine locked first).
    pub fn ledger(&self, ex: &Exchange) -> std::sync::MutexGuard<'_, PerpLedger> {
        crate::exchange::engine::perp::handle::synced(&self.derivatives, ex)
    }

    pub fn next_funding_ms(&self, now: u64) -> u64 {
        let every = self.funding_interval_ms.load(Ordering::Relaxed).max(1);
        (now / every + 1) * every
    }

    /// Settles funding of `symbol` now at its mark and rate; the settlements booked.
    pub fn settle_funding(&self, symbol: &str) -> usize {
        let now = self.now_ms();
        let ex = self.exchange();
        let booked = self.ledger(&ex).settle_funding(&ex, symbol, now, true);
        booked.iter().filter(|r| r.account == self.account).count()
    }

    /// Counts a private request of `path` against its per-second limit.
    fn admit(&self, path: &str, now: u64) -> Result<(u64, u64), BybitError> {
        let limit = endpoint_limit(path);
        let second = now / 1000;
        let mut w = lock(&self.windows);
        let e = w.entry(path.to_string()).or_insert((second, 0));
        if e.0 != second {
            *e = (second, 0);
        }
        if e.1 >= limit {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
            return Err(BybitError::new(10006, "Too many visits!"));
        }
        e.1 += 1;
        Ok((limit, limit - e.1))
    }
}

/// The per-UID limits per second of the private endpoints.
pub fn endpoint_limit(path: &str) -> u64 {
    match path {
        "/v5/order/create" | "/v5/order/cancel" => 10,
        "/v5/position/set-leverage"
        | "/v5/position/switch-mode"
        | "/v5/account/set-margin-mode" => 10,
        "/v5/account/transaction-log" => 30,
        _ => 50,
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, body: String, limits: Option<(u64, u64, u64)>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    let h = r.headers_mut();
    h.insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if let Some((limit, left, reset)) = limits {
        for (k, v) in [
            ("x-bapi-limit", limit),
            ("x-bapi-limit-status", left),
            ("x-bapi-limit-reset-timestamp", reset),
        ] {
            if let Ok(v) = hyper::header::HeaderValue::from_str(&v.to_string()) {
                h.insert(k, v);
            }
        }
    }
    r
}

fn query_params(query: &str) -> HashMap<String, String> {
    url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect()
}

/// An injected fault instead of `answer`; `None` for a dropped connection.
fn faulted(fault: HttpFault, answer: String) -> Option<Resp> {
    Some(match fault {
        HttpFault::TooManyRequests => respond(
            200,
            BybitError::new(10006, "Too many visits!").body(0),
            Some((10, 0, 0)),
        ),
        HttpFault::HtmlPage { status } => respond(
            status,
            "<html><body>502 Bad Gateway</body></html>".into(),
            None,
        ),
        HttpFault::TruncatedJson => respond(200, answer[..answer.len() / 2].to_string(), None),
        HttpFault::Body { status, body } => respond(status, body, None),
        HttpFault::DropConnection => return None,
    })
}

/// One REST request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, std::io::Error> {
    let now = shared.now_ms();
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |k: &str| {
        req.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let auth = super::private::Auth {
        key: header("x-bapi-api-key"),
        timestamp: header("x-bapi-timestamp"),
        window: header("x-bapi-recv-window"),
        sign: header("x-bapi-sign"),
    };
    let body = match req.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let q = query_params(&query);
    let (answer, limits) = if path.starts_with("/v5/market/") {
        (public(&shared, &path, &q, now), None)
    } else {
        let counted = shared.admit(&path, now);
        let limits = counted
            .as_ref()
            .ok()
            .map(|&(l, left)| (l, left, (now / 1000 + 1) * 1000));
        let answer = counted.and_then(|_| {
            let account =
                super::private::authenticate(&shared, &auth, &method, &query, &body, now)?;
            super::private::route(&shared, account, &method, &path, &q, &body, now)
        });
        (
            answer,
            limits.or(Some((endpoint_limit(&path), 0, (now / 1000 + 1) * 1000))),
        )
    };
    let text = match answer {
        Ok(v) => ok(v, now),
        Err(e) => e.body(now),
    };
    if let Some(fault) = shared.next_http_fault() {
        return faulted(fault, text)
            .ok_or_else(|| std::io::Error::other("answer dropped by the fault"));
    }
    Ok(respond(200, text, limits))
}

fn public(
    shared: &Shared,
    path: &str,
    q: &HashMap<String, String>,
    now: u64,
) -> Result<Value, BybitError> {
    if path == "/v5/market/time" {
        return Ok(
            json!({"timeSecond": (now / 1000).to_string(), "timeNano": (u128::from(now) * 1_000_000).to_string()}),
        );
    }
    if q.get("category").map(String::as_str) != Some("linear") {
        return Err(BybitError::params(
            "params error: category only support linear",
        ));
    }
    let symbol = q.get("symbol").map(String::as_str);
    let ex = shared.exchange();
    match path {
        "/v5/market/instruments-info" => {
            let list: Vec<Value> = ex
                .books
                .keys()
                .filter(|s| symbol.is_none_or(|want| want == s.as_str()))
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|spec| shapes::instrument(&spec))
                .collect();
            Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
        }
        "/v5/market/tickers" => {
            let s = symbol.ok_or_else(|| BybitError::params("params error: symbol is required"))?;
            let m = shared
                .mark_locked(&ex, s)
                .ok_or_else(|| BybitError::params("params error: symbol invalid"))?;
            let next = shared.next_funding_ms(now);
            Ok(json!({"category": "linear", "list": [{
                "symbol": s, "lastPrice": num(m.mark), "markPrice": num(m.mark),
                "indexPrice": num(m.index), "fundingRate": num(m.funding_rate),
                "nextFundingTime": next.to_string(),
            }]}))
        }
        "/v5/market/orderbook" => {
            let s = symbol.ok_or_else(|| BybitError::params("params error: symbol is required"))?;
            let book = ex
                .books
                .get(s)
                .ok_or_else(|| BybitError::params("params error: symbol invalid"))?;
            let limit = q
                .get("limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(25)
                .min(500);
            let (b, a) = book.levels(limit);
            let lv = |v: &[(Decimal, Decimal)]| -> Vec<Value> {
                v.iter().map(|(p, q)| json!([num(*p), num(*q)])).collect()
            };
            Ok(
                json!({"s": s, "b": lv(&b), "a": lv(&a), "ts": now, "u": shared.events.current_u(s), "seq": book.update_id}),
            )
        }
        "/v5/market/risk-limit" => super::risk::risk_limit(shared, &ex, symbol),
        _ => Err(BybitError::new(10001, "Not found")),
    }
}

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

/// The snapshot of `symbol` a subscription is answered with; `None` when it is not listed.
fn snapshot(shared: &Shared, symbol: &str) -> Option<String> {
    let ex = shared.exchange();
    let book = ex.books.get(symbol)?;
    let (bids, asks) = book.levels(usize::MAX);
    let u = shared.events.current_u(symbol);
    Some(shapes::book_message(
        "snapshot",
        symbol,
        &bids,
        &asks,
        u,
        book.update_id,
        shared.now_ms(),
    ))
}

/// The answer to one client message, and the snapshots it asks for.
fn on_client(shared: &Shared, text: &str, topics: &mut HashSet<String>) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![
            json!({"success": false, "ret_msg": "error:invalid json", "op": ""}).to_string(),
        ];
    };
    let op = v
        .get("op")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let args: Vec<String> = v
        .get("args")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let reply = |success: bool, msg: &str| {
        json!({"success": success, "ret_msg": msg, "conn_id": "sim", "req_id": "", "op": op})
            .to_string()
    };
    match op.as_str() {
        "ping" => vec![reply(true, "pong")],
        "unsubscribe" => {
            for a in &args {
                topics.remove(a.strip_prefix("orderbook.50.").unwrap_or(a));
            }
            vec![reply(true, "")]
        }
        "subscribe" => {
            let mut out = Vec::new();
            let mut snaps = Vec::new();
            for a in &args {
                match a
                    .strip_prefix("orderbook.50.")
                    .and_then(|s| snapshot(shared, s).map(|m| (s, m)))
                {
                    Some((s, snap)) => {
                        topics.insert(s.to_string());
                        snaps.push(snap);
                    }
                    None => {
                        return vec![reply(false, &format!("error:handler not found,topic:{a}"))];
                    }
                }
            }
            out.push(reply(true, ""));
            out.extend(snaps);
            out
        }
        _ => vec![reply(false, "error:unknown op")],
    }
}

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
    let _ = stream.set_nodelay(true);
    let mut private = false;
    let route = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        private = req.uri().path() == super::private_ws::PRIVATE_PATH;
        if private && shared.user_streams_down.load(Ordering::SeqCst) {
            let mut err = ErrorResponse::new(Some("Service Unavailable".into()));
            *err.status_mut() =
                tokio_tungstenite::tungstenite::http::StatusCode::SERVICE_UNAVAILABLE;
            return Err(err);
        }
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(stream, route).await else {
        return;
    };
    if private {
        return super::private_ws::run(ws, shared).await;
    }
    // subscribed before any snapshot is taken: a delta published meanwhile is queued here, and
    // the client finds it stale after the snapshot
    let mut market = shared.exchange().publisher.subscribe_market();
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    let mut topics: HashSet<String> = HashSet::new();
    shared.market_connections.fetch_add(1, Ordering::SeqCst);
    loop {
        tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => {
                    let mut failed = false;
                    for m in on_client(&shared, t.as_str(), &mut topics) {
                        failed |= ws.send(Message::text(m)).await.is_err();
                    }
                    if failed {
                        break;
                    }
                }
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            msg = market.recv() => {
                let text = match msg {
                    Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                        topics.contains(&symbol.to_ascii_uppercase()).then(|| data.to_string())
                    }
                    Ok(MarketMsg::Event { .. }) => None,
                    Ok(MarketMsg::Raw(t)) => (!topics.is_empty()).then(|| t.to_string()),
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
    shared.market_connections.fetch_sub(1, Ordering::SeqCst);
}

/// Settles funding of every symbol at each interval boundary, until shutdown.
pub async fn funding_clock(shared: Arc<Shared>) {
    let mut shutdown = shared.shutdown.subscribe();
    let mut settled: HashMap<String, u64> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = shutdown.changed() => return,
        }
        let every = shared.funding_interval_ms.load(Ordering::Relaxed).max(1);
        let period = shared.now_ms() / every;
        let symbols: Vec<String> = shared.exchange().books.keys().cloned().collect();
        for s in symbols {
            let last = settled.entry(s.clone()).or_insert(period);
            if period > *last {
                *last = period;
                shared.settle_funding(&s);
            }
        }
    }
}
