//! The simulated futures exchange's servers: REST (`/fapi/v1/time`, `exchangeInfo`, `depth`,
//! `premiumIndex`; anything else answers Binance's `-1000`-style error body with 404) and the
//! market websocket (`/ws/<symbol>@depth@100ms`, several streams joined by `/`), dropped abruptly
//! by the drop fault; raw fault frames go to every depth subscriber.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    ErrorResponse, Request as WsRequest, Response as WsResponse,
};

use super::shapes;
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::engine::controls::Controls;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::perp::PerpLedger;
use crate::exchange::engine::publish::{MarketMsg, StreamKind};
use crate::exchange::engine::server::lock;

/// Funding every 8 hours, as Binance's USDⓈ-M perpetuals by default.
pub const FUNDING_INTERVAL_MS: u64 = 8 * 3_600_000;

pub use crate::exchange::engine::perp::MarkState;

/// What the servers and the handle share.
#[derive(Debug)]
pub struct Shared {
    pub controls: Controls<Infallible>,
    /// The futures side of the trading account (positions, settings, marks, funding,
    /// liquidations): the engine's perpetual ledger.
    pub ledger: std::sync::Mutex<PerpLedger>,
    /// The last funding slot settled (`None` until the first request notes one).
    pub funding_slot: std::sync::Mutex<Option<u64>>,
    /// The trading account (the one whose positions, funding and margin the dialect keeps).
    pub trader: usize,
    /// The listenKeys of the user data stream.
    pub listen_keys: std::sync::Mutex<crate::exchange::dialects::binance::ListenKeys>,
}

impl std::ops::Deref for Shared {
    type Target = Controls<Infallible>;
    fn deref(&self) -> &Controls<Infallible> {
        &self.controls
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

fn error(e: &ApiError) -> Resp {
    respond(e.status, e.body().to_string())
}

fn query_params(req: &Request<Incoming>) -> HashMap<String, String> {
    req.uri()
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default()
}

impl Shared {
    /// The mark state of `symbol` now.
    pub fn mark_state(&self, symbol: &str) -> Option<MarkState> {
        let ex = self.exchange();
        self.mark_state_locked(&ex, symbol)
    }

    /// [`Shared::mark_state`] with the engine already locked.
    pub fn mark_state_locked(&self, ex: &Exchange, symbol: &str) -> Option<MarkState> {
        lock(&self.ledger).mark_state(ex, symbol)
    }

    /// The ledger, with the engine's trades so far applied (the engine locked first).
    pub fn ledger(&self, ex: &Exchange) -> std::sync::MutexGuard<'_, PerpLedger> {
        crate::exchange::engine::perp::handle::synced(&self.ledger, ex)
    }
}

/// The paths that need a signature.
fn is_signed(path: &str) -> bool {
    matches!(
        path,
        "/fapi/v1/order"
            | "/fapi/v1/openOrders"
            | "/fapi/v1/userTrades"
            | "/fapi/v2/balance"
            | "/fapi/v2/positionRisk"
            | "/fapi/v1/leverage"
            | "/fapi/v1/marginType"
            | "/fapi/v1/positionSide/dual"
            | "/fapi/v1/income"
            | "/fapi/v1/leverageBracket"
    )
}

/// One REST request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Infallible> {
    let now = shared.now_ms();
    // funding falls due on the simulator's clock, whatever the request
    shared.settle_due_funding(now);
    let mut q = query_params(&req);
    let path = req.uri().path().to_string();
    if path == "/fapi/v1/listenKey" {
        let key = req
            .headers()
            .get("x-mbx-apikey")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let method = req.method().as_str().to_string();
        return Ok(
            match super::user::listen_key(&shared, key.as_deref(), &method, &q) {
                Ok(v) => respond(200, v.to_string()),
                Err(e) => error(&e),
            },
        );
    }
    if is_signed(&path) {
        let method = req.method().as_str().to_string();
        let query = req.uri().query().unwrap_or("").to_string();
        let key = req
            .headers()
            .get("x-mbx-apikey")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = match req.into_body().collect().await {
            Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
            Err(_) => return Ok(error(&ApiError::new(400, -1000, "Unreadable body."))),
        };
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()).into_owned() {
            q.entry(k).or_insert(v);
        }
        let answer = super::private::authenticate(&shared, key.as_deref(), &query, &body, &q)
            .and_then(|account| super::private::route(&shared, account, &method, &path, &q));
        return Ok(match answer {
            Ok(v) => respond(200, v.to_string()),
            Err(e) => error(&e),
        });
    }
    let symbol = q.get("symbol").cloned();
    let unknown = || ApiError::new(400, -1121, "Invalid symbol.");
    let out = match (req.method().as_str(), path.as_str()) {
        ("GET", "/fapi/v1/ping") => respond(200, "{}".into()),
        ("GET", "/fapi/v1/time") => respond(200, format!("{{\"serverTime\":{now}}}")),
        ("GET", "/fapi/v1/exchangeInfo") => {
            let ex = shared.exchange();
            let mut specs = Vec::new();
            for s in ex.books.keys() {
                if symbol.as_deref().is_none_or(|want| want == s)
                    && let Ok(spec) = ex.listed_spec(s)
                {
                    specs.push(spec);
                }
            }
            respond(200, shapes::exchange_info(&specs, now).to_string())
        }
        ("GET", "/fapi/v1/depth") => {
            let ex = shared.exchange();
            match symbol.as_deref().and_then(|s| ex.books.get(s)) {
                Some(book) => {
                    let limit = q
                        .get("limit")
                        .and_then(|l| l.parse::<usize>().ok())
                        .unwrap_or(500);
                    let (bids, asks) = book.levels(limit);
                    respond(
                        200,
                        shapes::depth(book.update_id, &bids, &asks, now).to_string(),
                    )
                }
                None => error(&unknown()),
            }
        }
        ("GET", "/fapi/v1/premiumIndex") => match symbol.as_deref() {
            Some(s) => match shared.mark_state(s) {
                Some(m) => {
                    let next = (now / FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS;
                    let doc = shapes::premium_index(s, m.mark, m.index, m.funding_rate, next, now);
                    respond(200, doc.to_string())
                }
                None => error(&unknown()),
            },
            None => error(&ApiError::mandatory("symbol")),
        },
        _ => error(&ApiError::new(404, -1000, "Not found.")),
    };
    Ok(out)
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

/// The symbols of `/ws/<symbol>@depth@100ms[/<stream>…]` (depth streams only).
fn depth_symbols(path: &str) -> Option<HashSet<String>> {
    let streams = path.strip_prefix("/ws/")?;
    let mut out = HashSet::new();
    for s in streams.split('/') {
        let (sym, kind) = s.split_once('@')?;
        if !kind.starts_with("depth") {
            return None;
        }
        out.insert(sym.to_string());
    }
    (!out.is_empty()).then_some(out)
}

/// What a websocket connection asked for.
enum Wanted {
    Depth(HashSet<String>),
    User(String, tokio::sync::broadcast::Receiver<Arc<str>>),
}

#[allow(clippy::result_large_err)] // the callback's error type is tungstenite's
async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    let _ = stream.set_nodelay(true);
    let mut wanted = None;
    let callback = |req: &WsRequest, resp: WsResponse| -> Result<WsResponse, ErrorResponse> {
        let uri = req.uri();
        wanted = match super::user::key_of(uri.path(), uri.query()) {
            Some(key) => super::user::subscribe(&shared, &key).map(|rx| Wanted::User(key, rx)),
            None => depth_symbols(uri.path()).map(Wanted::Depth),
        };
        if wanted.is_some() {
            Ok(resp)
        } else {
            let mut err = ErrorResponse::new(Some("Not Found".into()));
            *err.status_mut() = tokio_tungstenite::tungstenite::http::StatusCode::NOT_FOUND;
            Err(err)
        }
    };
    let Ok(ws) = tokio_tungstenite::accept_hdr_async(stream, callback).await else {
        return;
    };
    match wanted {
        Some(Wanted::Depth(symbols)) => depth_connection(ws, shared, symbols).await,
        Some(Wanted::User(key, rx)) => super::user::run(ws, shared, key, rx).await,
        None => {}
    }
}

async fn depth_connection(
    mut ws: tokio_tungstenite::WebSocketStream<TcpStream>,
    shared: Arc<Shared>,
    symbols: HashSet<String>,
) {
    let mut market = shared.exchange().publisher.subscribe_market();
    let mut kill = shared.market_kill.subscribe();
    let mut shutdown = shared.shutdown.subscribe();
    shared.market_connections.fetch_add(1, Ordering::SeqCst);
    loop {
        tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            msg = market.recv() => {
                let text = match msg {
                    Ok(MarketMsg::Event { symbol, kind: StreamKind::Depth, data }) => {
                        symbols.contains(&*symbol).then(|| data.to_string())
                    }
                    Ok(MarketMsg::Event { .. }) => None,
                    Ok(MarketMsg::Raw(t)) => Some(t.to_string()),
                    Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
                };
                if let Some(t) = text
                    && ws.send(Message::text(t)).await.is_err()
                {
                    break;
                }
            }
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared.market_connections.fetch_sub(1, Ordering::SeqCst);
}
