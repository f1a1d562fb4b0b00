//! The simulated Gate.io's REST API (HTTP/1.1 on 127.0.0.1): the APIv4 spot endpoints under
//! `/api/v4`, per-endpoint rate limits (429 `TOO_MANY_REQUESTS` with `X-Gate-RateLimit-*`
//! headers), signature verification of every private request, and injected HTTP faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::{self, Received};
use super::error::GateError;
use super::shapes::{my_trade_json, order_json, pair_json};
use super::shared::{HttpFault, Shared};
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};

pub use crate::exchange::engine::server::Dropped;

type Resp = Response<Full<Bytes>>;

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn respond(status: u16, body: String, remain: Option<(u64, u64)>) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let h = r.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Some((remain, limit)) = remain {
        if let Ok(v) = HeaderValue::from_str(&remain.to_string()) {
            h.insert("x-gate-ratelimit-requests-remain", v);
        }
        if let Ok(v) = HeaderValue::from_str(&limit.to_string()) {
            h.insert("x-gate-ratelimit-limit", v);
        }
    }
    r
}

fn error(e: GateError) -> Resp {
    respond(e.status, e.body(), None)
}

/// The endpoint group a request is limited under, and its key.
fn group(shared: &Shared, method: &Method, path: &str) -> ((u64, std::time::Duration), String) {
    let l = &shared.limits;
    let key = if path.starts_with("/api/v4/spot/orders/") {
        format!("{method} /api/v4/spot/orders/{{id}}")
    } else if path.starts_with("/api/v4/spot/currency_pairs/") {
        "GET /api/v4/spot/currency_pairs/{pair}".to_string()
    } else {
        format!("{method} {path}")
    };
    let lim = match (method.as_str(), path) {
        ("POST", "/api/v4/spot/orders") => l.order_place,
        ("DELETE", _) => l.order_cancel,
        ("GET", "/api/v4/spot/time" | "/api/v4/spot/order_book") => l.public,
        ("GET", p) if p.starts_with("/api/v4/spot/currency_pairs") => l.public,
        _ => l.private,
    };
    (lim, key)
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (key, ts, sign) = (header("KEY"), header("Timestamp"), header("SIGN"));
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = shared.now_ms();
    let (lim, group_key) = group(&shared, &method, &path);
    let remain = match super::shared::lock(&shared.windows).admit(&group_key, lim, now) {
        Ok(r) => r,
        Err(secs) => {
            shared.rejected_429.fetch_add(1, Ordering::SeqCst);
            let mut r = error(GateError::too_many_requests());
            if let Ok(v) = HeaderValue::from_str(&((now / 1000) + secs).to_string()) {
                r.headers_mut()
                    .insert("x-gate-ratelimit-reset-timestamp", v);
            }
            return Ok(r);
        }
    };
    let limit = Some((remain, lim.0));
    let fault = shared.next_http_fault();
    match fault {
        Some(HttpFault::TooManyRequests) => return Ok(error(GateError::too_many_requests())),
        Some(HttpFault::HtmlPage { status }) => {
            let mut r = respond(
                status,
                format!(
                    "<html><head><title>{status}</title></head><body><center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center></body></html>"
                ),
                None,
            );
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            return Ok(r);
        }
        _ => {}
    }
    let signed = !matches!(
        (method.as_str(), path.as_str()),
        ("GET", "/api/v4/spot/time" | "/api/v4/spot/order_book")
    ) && !path.starts_with("/api/v4/spot/currency_pairs");
    let is_order_op = matches!(method, Method::POST | Method::DELETE);
    let result = {
        let mut ex = shared.exchange();
        let account = if signed {
            let r = Received {
                method: method.as_str(),
                path: &path,
                query: &query,
                body: &body,
                key: key.as_deref(),
                timestamp: ts.as_deref(),
                sign: sign.as_deref(),
            };
            match auth::verify_rest(&ex, &r, now) {
                Ok(a) => Some(a),
                Err(e) => return Ok(error(e)),
            }
        } else {
            None
        };
        route(&mut ex, &method, &path, &query, &body, account, now)
    };
    if is_order_op {
        let delay = *super::shared::lock(&shared.ack_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    match fault {
        Some(HttpFault::LostAck) => return Err(Dropped),
        Some(HttpFault::TruncatedJson) => {
            let text = result.map(|v| v.to_string()).unwrap_or_else(|e| e.body());
            let cut = text.len() / 2;
            return Ok(respond(200, text[..cut].to_string(), limit));
        }
        Some(HttpFault::HugeNumbers) => {
            let text = result.map(|v| v.to_string()).unwrap_or_else(|e| e.body());
            let huge = text
                .replace("\"available\":\"", "\"available\":\"1e400")
                .replace("\"server_time\":", "\"server_time\":1e400");
            return Ok(respond(200, huge, limit));
        }
        _ => {}
    }
    Ok(match result {
        Ok(v) => respond(200, v.to_string(), limit),
        Err(e) => error(e),
    })
}

fn need(account: Option<usize>) -> Result<usize, GateError> {
    account.ok_or_else(|| GateError::new(401, "INVALID_KEY", "Invalid key provided"))
}

fn pair_param(query: &str) -> Result<String, GateError> {
    query_param(query, "currency_pair")
        .ok_or_else(|| GateError::invalid_param("currency_pair is required"))
}

fn route(
    ex: &mut Exchange,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    account: Option<usize>,
    now: u64,
) -> Result<Value, GateError> {
    let Some(p) = path.strip_prefix("/api/v4/spot") else {
        return Err(GateError::new(404, "INVALID_REQUEST", "Not found"));
    };
    match (method.as_str(), p) {
        ("GET", "/time") => Ok(json!({"server_time": now})),
        ("GET", "/currency_pairs") => Ok(Value::Array(
            ex.specs
                .keys()
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|s| pair_json(&s))
                .collect(),
        )),
        ("GET", p) if p.starts_with("/currency_pairs/") => {
            let id = &p["/currency_pairs/".len()..];
            Ok(pair_json(&ex.listed_spec(id)?))
        }
        ("GET", "/order_book") => {
            let pair = pair_param(query)?;
            let limit: usize = query_param(query, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(10)
                .min(1000);
            let book = ex.books.get(&pair).ok_or(EngineError::UnknownSymbol)?;
            let (bids, asks) = book.levels(limit);
            let lv = |l: &[(Decimal, Decimal)]| -> Value {
                l.iter()
                    .map(|(p, q)| json!([p.normalize().to_string(), q.normalize().to_string()]))
                    .collect()
            };
            let mut v =
                json!({"current": now, "update": now, "asks": lv(&asks), "bids": lv(&bids)});
            if query_param(query, "with_id").as_deref() == Some("true") {
                v["id"] = json!(book.update_id);
            }
            Ok(v)
        }
        ("POST", "/orders") => place(ex, need(account)?, body, now),
        ("GET", "/orders") => {
            let acct = need(account)?;
            let pair = pair_param(query)?;
            ex.spec(&pair)?;
            if query_param(query, "status").as_deref() != Some("open") {
                return Err(GateError::invalid_param("status must be open or finished"));
            }
            let list: Vec<Value> = ex
                .open_orders(acct, Some(&pair))
                .into_iter()
                .map(|o| {
                    let (fee, cur) = ex.fee_paid(o);
                    order_json(o, fee, &cur, None)
                })
                .collect();
            Ok(Value::Array(list))
        }
        ("GET", "/open_orders") => {
            let acct = need(account)?;
            let mut by_pair: std::collections::BTreeMap<String, Vec<Value>> = Default::default();
            for o in ex.open_orders(acct, None) {
                let (fee, cur) = ex.fee_paid(o);
                by_pair
                    .entry(o.symbol.clone())
                    .or_default()
                    .push(order_json(o, fee, &cur, None));
            }
            Ok(Value::Array(
                by_pair
                    .into_iter()
                    .map(|(p, orders)| json!({"currency_pair": p, "total": orders.len(), "orders": orders}))
                    .collect(),
            ))
        }
        ("GET" | "DELETE", p) if p.starts_with("/orders/") => {
            let acct = need(account)?;
            let pair = pair_param(query)?;
            let named = &p["/orders/".len()..];
            let (order_id, text) = match named.parse::<u64>() {
                Ok(id) => (Some(id), None),
                Err(_) if named.starts_with("t-") => (None, Some(named)),
                Err(_) => return Err(GateError::invalid_param("order_id")),
            };
            let id = if method == Method::DELETE {
                ex.cancel(acct, &pair, order_id, text, None, now)?.id
            } else {
                ex.query(acct, &pair, order_id, text)?.id
            };
            let o = ex.orders.get(&id).ok_or(EngineError::UnknownOrder(
                crate::exchange::engine::error::Operation::Query,
            ))?;
            let (fee, cur) = ex.fee_paid(o);
            Ok(order_json(o, fee, &cur, None))
        }
        ("GET", "/my_trades") => {
            let acct = need(account)?;
            let pair = pair_param(query)?;
            ex.spec(&pair)?;
            let order: Option<u64> = query_param(query, "order_id").and_then(|o| o.parse().ok());
            let trades: Vec<Value> = ex
                .trades
                .get(&pair)
                .into_iter()
                .flatten()
                .filter(|t| order.is_none_or(|o| (t.buyer == (o, acct)) || (t.seller == (o, acct))))
                .filter_map(|t| {
                    let oid = if t.buyer.1 == acct {
                        t.buyer.0
                    } else {
                        t.seller.0
                    };
                    let text = ex
                        .orders
                        .get(&oid)
                        .map_or("", |o| o.client_order_id.as_str());
                    my_trade_json(t, acct, text)
                })
                .collect();
            Ok(Value::Array(trades))
        }
        ("GET", "/accounts") => {
            let acct = need(account)?;
            let a = ex.accounts.get(acct).ok_or(EngineError::UnknownAccount)?;
            Ok(Value::Array(
                a.balances
                    .iter()
                    .map(|(c, b)| {
                        json!({"currency": c, "available": b.free.normalize().to_string(),
                               "locked": b.locked.normalize().to_string(), "update_id": a.update_time})
                    })
                    .collect(),
            ))
        }
        _ => Err(GateError::new(404, "INVALID_REQUEST", "Not found")),
    }
}

fn dec_field(v: &Value, name: &str) -> Result<Option<Decimal>, GateError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| GateError::invalid_param(format!("{name} is not a number"))),
        Some(_) => Err(GateError::invalid_param(format!("{name} must be a string"))),
    }
}

/// `POST /spot/orders`: the JSON body checked, the order placed in the engine.
fn place(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Result<Value, GateError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| GateError::new(400, "INVALID_REQUEST_BODY", "Invalid request body"))?;
    let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let pair = s("currency_pair").ok_or_else(|| GateError::invalid_param("currency_pair"))?;
    let text = match s("text") {
        Some(t) if t.starts_with("t-") && t.len() <= 30 => Some(t),
        Some(_) => {
            return Err(GateError::invalid_param(
                "text must start with t- and be at most 28 characters after it",
            ));
        }
        None => None,
    };
    let side = match s("side").as_deref() {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err(GateError::invalid_param("side")),
    };
    let amount = dec_field(&v, "amount")?.ok_or_else(|| GateError::invalid_param("amount"))?;
    let price = dec_field(&v, "price")?;
    let tif = s("time_in_force").unwrap_or_else(|| "gtc".into());
    let market = s("type").as_deref() == Some("market");
    let (order_type, tif) = match (market, tif.as_str()) {
        (true, "ioc" | "fok") => (OrderType::Market, TimeInForce::Ioc),
        (true, _) => return Err(GateError::invalid_param("market orders are ioc or fok")),
        (false, "gtc") => (OrderType::Limit, TimeInForce::Gtc),
        (false, "ioc") => (OrderType::Limit, TimeInForce::Ioc),
        (false, "fok") => (OrderType::Limit, TimeInForce::Fok),
        (false, "poc") => (OrderType::LimitMaker, TimeInForce::Gtc),
        _ => return Err(GateError::invalid_param("time_in_force")),
    };
    if !market && price.is_none() {
        return Err(GateError::invalid_param("price is required"));
    }
    let (quantity, quote_order_qty) = match (market, side) {
        (true, Side::Buy) => (None, Some(amount)),
        _ => (Some(amount), None),
    };
    let placed = ex.place(
        account,
        NewOrder {
            symbol: pair,
            side,
            order_type,
            tif,
            quantity,
            quote_order_qty,
            price: if market { None } else { price },
            client_order_id: text,
        },
        now,
        false,
    )?;
    let o = ex.orders.get(&placed.id).ok_or(EngineError::UnknownOrder(
        crate::exchange::engine::error::Operation::Place,
    ))?;
    let (fee, cur) = ex.fee_paid(o);
    Ok(order_json(o, fee, &cur, None))
}
