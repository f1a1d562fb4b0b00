//! The simulated dYdX v3's servers: REST (public `/v3/time`, `/v3/markets`,
//! `/v3/orderbook/{market}` with each level's offset; the private endpoints through `auth.rs` and
//! `private.rs`; injected HTTP faults served instead of answers) and the websocket `/v3/ws`
//! (`connected` on connect; `subscribe` / `unsubscribe` of `v3_orderbook`, answered by
//! `subscribed` with the book and the market's current `message_id`, then the engine's updates as
//! `channel_data`; the drop fault closes it abruptly).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;
use tokio::net::{TcpListener, TcpStream};

use super::auth::{Received, Registered, verify_request};
use super::shapes::{self, DydxError, DydxEvents, num};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::server::{lock, serve_market_socket};

/// One funding payment booked on the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FundingRecord {
    pub market: String,
    pub payment: Decimal,
    pub rate: Decimal,
    pub position_size: Decimal,
    pub price: Decimal,
    pub time: u64,
}

/// What the servers and the handle share.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<HttpFault>,
    pub events: Arc<DydxEvents>,
    pub keys: Registered,
    pub account: usize,
    pub account_id: String,
    pub network_id: u64,
    /// The USDC deposit, before PnL, fees and funding.
    pub deposit: Decimal,
    /// Oracle prices set by the test (else the book's mid).
    pub oracle: std::sync::Mutex<HashMap<String, Decimal>>,
    pub funding: std::sync::Mutex<Vec<FundingRecord>>,
    /// Private requests refused for their signature so far.
    pub refused: std::sync::atomic::AtomicU64,
}

impl std::ops::Deref for Shared {
    type Target = Controls<HttpFault>;
    fn deref(&self) -> &Controls<HttpFault> {
        &self.controls
    }
}

impl Shared {
    /// The oracle price of `market` (with the engine locked).
    pub fn mark(&self, ex: &Exchange, market: &str) -> Option<Decimal> {
        if let Some(p) = lock(&self.oracle).get(market) {
            return Some(*p);
        }
        let book = ex.books.get(market)?;
        let (bid, ask) = (book.best_bid()?, book.best_ask()?);
        Some((book.price(bid) + book.price(ask)) / Decimal::TWO)
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, body: String) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or(hyper::StatusCode::OK);
    r.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    r
}

fn faulted(fault: HttpFault, answer: &str) -> Option<Resp> {
    Some(match fault {
        HttpFault::TooManyRequests => respond(429, DydxError::new(429, "Too many requests").body()),
        HttpFault::HtmlPage { status } => {
            respond(status, "<html><body>502 Bad Gateway</body></html>".into())
        }
        HttpFault::TruncatedJson => respond(200, answer[..answer.len() / 2].to_string()),
        HttpFault::Body { status, body } => respond(status, body),
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
    let (key, signature, timestamp, passphrase) = (
        header("dydx-api-key"),
        header("dydx-signature"),
        header("dydx-timestamp"),
        header("dydx-passphrase"),
    );
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let answer = if method == "GET" && is_public(&path) {
        public(&shared, &path, &q, now)
    } else {
        let received = Received {
            method: &method,
            path: &path,
            query: &query,
            body: &body,
            key: key.as_deref(),
            signature: signature.as_deref(),
            timestamp: timestamp.as_deref(),
            passphrase: passphrase.as_deref(),
        };
        verify_request(&shared.keys, &received, now)
            .and_then(|()| {
                super::private::route(
                    &shared,
                    &method,
                    &path,
                    &q,
                    &String::from_utf8_lossy(&body),
                    now,
                )
            })
            .inspect_err(|e| {
                if e.msg.contains("signature") {
                    shared.refused.fetch_add(1, Ordering::Relaxed);
                }
            })
    };
    let (status, text) = match answer {
        Ok(v) => (200, v.to_string()),
        Err(e) => (e.status, e.body()),
    };
    if let Some(fault) = shared.next_http_fault() {
        return faulted(fault, &text)
            .ok_or_else(|| std::io::Error::other("answer dropped by the fault"));
    }
    Ok(respond(status, text))
}

fn is_public(path: &str) -> bool {
    path == "/v3/time" || path == "/v3/markets" || path.starts_with("/v3/orderbook/")
}

/// Funding settles every hour on the hour.
pub fn next_funding_ms(now: u64) -> u64 {
    (now / 3_600_000 + 1) * 3_600_000
}

fn public(
    shared: &Shared,
    path: &str,
    q: &HashMap<String, String>,
    now: u64,
) -> Result<Value, DydxError> {
    if path == "/v3/time" {
        return Ok(json!({"iso": iso8601_millis(now), "epoch": now as f64 / 1000.0}));
    }
    let ex = shared.exchange();
    if let Some(market) = path.strip_prefix("/v3/orderbook/") {
        let book = ex
            .books
            .get(market)
            .ok_or_else(|| DydxError::bad("Market not found"))?;
        let (bids, asks) = book.levels(usize::MAX);
        let side = |bid: bool, levels: &[(Decimal, Decimal)]| -> Vec<Value> {
            levels
                .iter()
                .map(|(p, s)| {
                    json!({"price": num(*p), "size": num(*s),
                        "offset": shared.events.offset_of(market, bid, *p).to_string()})
                })
                .collect()
        };
        return Ok(json!({"bids": side(true, &bids), "asks": side(false, &asks)}));
    }
    let want = q.get("market");
    let mut markets = serde_json::Map::new();
    for symbol in ex.books.keys() {
        if want.is_some_and(|w| w != symbol) {
            continue;
        }
        let spec = ex.listed_spec(symbol)?;
        let doc = shapes::market(&spec, shared.mark(&ex, symbol), next_funding_ms(now));
        markets.insert(symbol.clone(), doc);
    }
    if want.is_some() && markets.is_empty() {
        return Err(DydxError::bad("Market not found"));
    }
    Ok(json!({"markets": markets}))
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

/// The `subscribed` answer for `market` (its book with offsets, the current message id).
fn subscribed(shared: &Shared, market: &str) -> Option<String> {
    let ex = shared.exchange();
    let book = ex.books.get(market)?;
    let (bids, asks) = book.levels(usize::MAX);
    let side = |bid: bool, levels: &[(Decimal, Decimal)]| -> Vec<Value> {
        levels
            .iter()
            .map(|(p, s)| {
                json!({"price": num(*p), "size": num(*s),
                    "offset": shared.events.offset_of(market, bid, *p).to_string()})
            })
            .collect()
    };
    Some(
        json!({"type": "subscribed", "connection_id": "sim", "channel": "v3_orderbook", "id": market,
            "message_id": shared.events.current_message_id(market),
            "contents": {"bids": side(true, &bids), "asks": side(false, &asks)}})
        .to_string(),
    )
}

fn on_client(shared: &Shared, text: &str, markets: &mut HashSet<String>) -> Vec<String> {
    let error =
        |msg: &str| json!({"type": "error", "connection_id": "sim", "message": msg}).to_string();
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![error("Invalid message: not JSON")];
    };
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let channel = v.get("channel").and_then(Value::as_str).unwrap_or("");
    let id = v
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    match (kind, channel) {
        ("ping", _) => vec![json!({"type": "pong", "connection_id": "sim"}).to_string()],
        ("subscribe", "v3_orderbook") => match subscribed(shared, &id) {
            Some(m) => {
                markets.insert(id);
                vec![m]
            }
            None => vec![error(&format!(
                "Invalid subscription id for channel: ({channel}, {id})"
            ))],
        },
        ("unsubscribe", "v3_orderbook") => {
            markets.remove(&id);
            vec![json!({"type": "unsubscribed", "connection_id": "sim", "channel": channel, "id": id}).to_string()]
        }
        _ => vec![error(&format!("Invalid channel: {channel:?}"))],
    }
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let hello = json!({"type": "connected", "connection_id": "sim", "message_id": 0}).to_string();
    serve_market_socket(stream, &shared.controls, Some(hello), |text, markets| {
        on_client(&shared, text, markets)
    })
    .await;
}
