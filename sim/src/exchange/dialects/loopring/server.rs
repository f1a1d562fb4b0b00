//! The simulated Loopring's servers. REST: public `/api/v3/timestamp`, `/api/v3/exchange/info`,
//! `/api/v3/exchange/tokens`, `/api/v3/exchange/markets`, `/api/v3/depth` (the book at the
//! engine's update id, its `version`) and `/api/v3/account?owner=`; the private endpoints
//! through `private.rs` once the request is authenticated: `X-API-KEY` the account's (all but
//! `GET /api/v3/apiKey`) and `X-API-SIG`, where sent and always on `GET /api/v3/apiKey` and
//! `DELETE /api/v3/order`, the account's L2 key's signature of the request (`auth` below). A
//! refusal is `{"resultInfo":{"code":…,"message":…}}`. Websocket `/v3/ws`: `sub` / `unsub` of the
//! `orderbook` topic, the engine's updates with `startVersion`/`endVersion`; `ping` → `pong`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{Value, json};
use sluice::clob::loopring::errors::code;
use sluice::clob::loopring::sign::{RequestParams, verify_request_signature};
use tokio::net::{TcpListener, TcpStream};

use super::Shared;
use super::shapes::{Refusal, TOKENS, depth_side, token};
use crate::exchange::dialects::okx::HttpFault;
use crate::exchange::engine::server::serve_market_socket;

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
        HttpFault::TooManyRequests => {
            respond(429, Refusal::new(429, 429, "Too many requests").body())
        }
        HttpFault::HtmlPage { status } => {
            respond(status, "<html><body>502 Bad Gateway</body></html>".into())
        }
        HttpFault::TruncatedJson => respond(200, answer[..answer.len() / 2].to_string()),
        HttpFault::Body { status, body } => respond(status, body),
        HttpFault::DropConnection => return None,
    })
}

/// What a private request carries.
pub struct Received<'a> {
    pub method: &'a str,
    /// `http://host/path`, as the client signed it.
    pub url: String,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: &'a str,
    pub api_key: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// Authenticates a private request against the registered account.
pub fn authenticate(shared: &Shared, r: &Received<'_>) -> Result<(), Refusal> {
    let needs_sig = matches!(
        (r.method, r.path),
        ("GET", "/api/v3/apiKey") | ("DELETE", "/api/v3/order")
    );
    if r.path != "/api/v3/apiKey" {
        match r.api_key {
            None | Some("") => {
                return Err(Refusal::new(401, code::EMPTY_API_KEY, "empty api key"));
            }
            Some(k) if k != shared.api_key => {
                return Err(Refusal::new(401, code::INVALID_API_KEY, "invalid api key"));
            }
            Some(_) => {}
        }
    }
    match r.signature {
        None if needs_sig => Err(Refusal::new(
            401,
            code::INVALID_SIGNATURE,
            "missing X-API-SIG",
        )),
        None => Ok(()),
        Some(sig) => {
            let params = if r.method == "GET" || r.method == "DELETE" {
                RequestParams::Query(r.query)
            } else {
                RequestParams::Json(r.body)
            };
            match verify_request_signature(&shared.public_key, sig, r.method, &r.url, params) {
                Ok(true) => Ok(()),
                _ => Err(Refusal::new(
                    401,
                    code::INVALID_SIGNATURE,
                    "invalid X-API-SIG signature",
                )),
            }
        }
    }
}

/// One REST request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, std::io::Error> {
    let now = shared.now_ms();
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    let raw_query = req.uri().query().unwrap_or("").to_string();
    let header = |k: &str| {
        req.headers()
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (api_key, signature, host) = (header("x-api-key"), header("x-api-sig"), header("host"));
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let body = String::from_utf8_lossy(&body).to_string();
    let query: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .into_owned()
        .collect();
    let q: HashMap<String, String> = query.iter().cloned().collect();
    let answer = match public(&shared, &method, &path, &q, now) {
        Some(a) => a,
        None => {
            let received = Received {
                method: &method,
                url: format!("http://{}{path}", host.unwrap_or_default()),
                path: &path,
                query: &query,
                body: &body,
                api_key: api_key.as_deref(),
                signature: signature.as_deref(),
            };
            authenticate(&shared, &received)
                .and_then(|()| super::private::route(&shared, &method, &path, &q, &body, now))
                .inspect_err(|e| {
                    if e.code == code::INVALID_SIGNATURE || e.code == code::INVALID_ORDER_SIGNATURE
                    {
                        shared.refused.fetch_add(1, Ordering::Relaxed);
                    }
                })
        }
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

/// A public answer, or `None` for a private path.
fn public(
    shared: &Shared,
    method: &str,
    path: &str,
    q: &HashMap<String, String>,
    now: u64,
) -> Option<Result<Value, Refusal>> {
    if method != "GET" {
        return None;
    }
    Some(match path {
        "/api/v3/timestamp" => Ok(json!({"timestamp": now})),
        "/api/v3/exchange/info" => Ok(json!({
            "chainId": 1, "exchangeAddress": shared.exchange.to_checksum(None),
        })),
        "/api/v3/exchange/tokens" => Ok(Value::Array(
            TOKENS
                .iter()
                .map(|t| {
                    json!({"type": "ERC20", "tokenId": t.id, "symbol": t.symbol, "name": t.symbol,
                        "address": format!("0x{:040x}", t.id), "decimals": t.decimals,
                        "precision": t.order_precision, "precisionForOrder": t.order_precision,
                        "orderAmounts": {"minimum": "1", "maximum": "1000000000000000000000000000", "dust": "1"},
                        "enabled": true})
                })
                .collect(),
        )),
        "/api/v3/exchange/markets" => {
            let ex = shared.exchange();
            let markets: Vec<Value> = ex
                .books
                .keys()
                .filter_map(|m| {
                    let spec = ex.spec(m).ok()?;
                    let (b, qt) = (token(&spec.base)?, token(&spec.quote)?);
                    Some(json!({"market": m, "baseTokenId": b.id, "quoteTokenId": qt.id,
                        "precisionForPrice": spec.tick_size.normalize().scale(),
                        "orderbookAggLevels": 5, "enabled": true}))
                })
                .collect();
            Ok(json!({"markets": markets}))
        }
        "/api/v3/depth" => depth(shared, q, now),
        "/api/v3/account" => match q.get("owner") {
            Some(o) if o.eq_ignore_ascii_case(&shared.owner.to_checksum(None)) => {
                let (x, y) = shared.public_key_hex.clone();
                Ok(json!({"accountId": shared.account_id, "owner": shared.owner.to_checksum(None),
                    "frozen": false, "publicKey": {"x": x, "y": y}, "tags": "",
                    "nonce": 0, "keyNonce": 0, "keySeed": ""}))
            }
            _ => Err(Refusal::new(400, code::NO_ACCOUNT, "account does not exist")),
        },
        _ => return None,
    })
}

fn depth(shared: &Shared, q: &HashMap<String, String>, now: u64) -> Result<Value, Refusal> {
    let market = q.get("market").map(String::as_str).unwrap_or("");
    let limit: usize = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50);
    let ex = shared.exchange();
    let unknown = || {
        Refusal::new(
            400,
            code::UNKNOWN_MARKET,
            format!("market {market} does not exist"),
        )
    };
    let book = ex.books.get(market).ok_or_else(unknown)?;
    let spec = ex.spec(market).map_err(|_| unknown())?;
    let (base, quote) = (
        token(&spec.base).ok_or_else(unknown)?,
        token(&spec.quote).ok_or_else(unknown)?,
    );
    let (bids, asks) = book.levels(limit);
    Ok(
        json!({"market": market, "version": book.update_id, "timestamp": now,
        "bids": depth_side(&bids, base, quote), "asks": depth_side(&asks, base, quote)}),
    )
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

fn on_client(shared: &Shared, text: &str, markets: &mut HashSet<String>) -> Vec<String> {
    if text == "ping" {
        return vec!["pong".into()];
    }
    let error = |code: i64, msg: &str| {
        json!({"op": "sub", "result": {"status": "failed", "error": {"code": code, "message": msg}}})
            .to_string()
    };
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![error(104_109, "not JSON")];
    };
    let op = v.get("op").and_then(Value::as_str).unwrap_or("");
    let topics = v
        .get("topics")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let ex = shared.exchange();
    for t in &topics {
        let market = t.get("market").and_then(Value::as_str).unwrap_or("");
        if t.get("topic").and_then(Value::as_str) != Some("orderbook") {
            return vec![error(104_112, "unknown topic")];
        }
        if !ex.books.contains_key(market) {
            return vec![error(104_112, &format!("unknown market {market}"))];
        }
        match op {
            "sub" => markets.insert(market.to_string()),
            "unsub" => markets.remove(market),
            _ => return vec![error(104_109, "unknown op")],
        };
    }
    vec![json!({"op": op, "sequence": 0, "topics": topics, "result": {"status": "OK"}}).to_string()]
}

async fn connection(stream: TcpStream, shared: Arc<Shared>) {
    serve_market_socket(stream, &shared.controls, None, |text, markets| {
        on_client(&shared, text, markets)
    })
    .await;
}
