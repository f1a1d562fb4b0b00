//! The simulated HTX's REST API (HTTP/1.1 on 127.0.0.1): the v1 spot endpoints, HTX's rate limits
//! per group (HTTP 429 `api-rate-limit`), signature version 2 verified on every private request,
//! and injected HTTP faults. Refusals are HTTP 200 with `status: error`, as HTX answers them.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::verify_rest;
use super::error::HtxError;
use super::shapes::{match_json, order_json, order_type, symbol_json};
use super::shared::{HttpFault, Shared, lock};
use crate::exchange::engine::error::{EngineError, Operation};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, Order, OrderType, Side, TimeInForce};

pub use crate::exchange::engine::server::Dropped;

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, body: String, content_type: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    r
}

fn error(e: &HtxError) -> Resp {
    respond(e.status, e.body(), "application/json")
}

fn ok(data: Value) -> String {
    json!({"status": "ok", "data": data}).to_string()
}

fn param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The limit group of a request, and whether it is signed.
fn group(shared: &Shared, path: &str) -> (&'static str, (u64, std::time::Duration), bool) {
    let l = &shared.limits;
    match path {
        "/v1/common/timestamp" | "/v1/common/symbols" | "/market/depth" => {
            ("public", l.public, false)
        }
        "/v1/order/orders/place" => ("place", l.place, true),
        p if p.ends_with("/submitcancel") => ("cancel", l.cancel, true),
        p if p.starts_with("/v1/account/") => ("account", l.account, true),
        _ => ("query", l.query, true),
    }
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_ascii_lowercase();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = shared.now_ms();
    let (name, limit, signed) = group(&shared, &path);
    if let Err(wait_ms) = lock(&shared.counters).count(name, limit, now) {
        shared.rejected_429.fetch_add(1, Ordering::SeqCst);
        let mut r = error(&HtxError::too_many_requests());
        if let Ok(v) = HeaderValue::from_str(&wait_ms.div_ceil(1000).to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        return Ok(r);
    }
    let fault = shared.next_http_fault();
    match fault {
        Some(HttpFault::TooManyRequests) => return Ok(error(&HtxError::too_many_requests())),
        Some(HttpFault::HtmlPage { status }) => {
            let page = format!(
                "<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway</h1></body></html>"
            );
            return Ok(respond(status, page, "text/html"));
        }
        _ => {}
    }
    let result = {
        let mut ex = shared.exchange();
        let account = if signed {
            match verify_rest(&ex, &method, &host, &path, &query, now) {
                Ok(a) => Some(a),
                Err(e) => return Ok(error(&e)),
            }
        } else {
            None
        };
        route(&mut ex, &method, &path, &query, &body, account, now)
    };
    let text = match result {
        // `/market/depth` carries `ch` and `tick` beside `status`, not `data`
        Ok(mut v) if path == "/market/depth" => {
            v["status"] = json!("ok");
            v.to_string()
        }
        Ok(v) => ok(v),
        Err(e) => return Ok(error(&e)),
    };
    Ok(match fault {
        Some(HttpFault::LostAck) => return Err(Dropped),
        Some(HttpFault::TruncatedJson) => {
            respond(200, text[..text.len() / 2].to_string(), "application/json")
        }
        Some(HttpFault::HugeNumbers) => {
            let huge = text
                .replace("\"balance\":\"", "\"balance\":\"1e400")
                .replace("\"data\":1", "\"data\":1e400");
            respond(200, huge, "application/json")
        }
        _ => respond(200, text, "application/json"),
    })
}

fn need(account: Option<usize>) -> Result<usize, HtxError> {
    account.ok_or_else(|| HtxError::auth("login required"))
}

/// The account's order of venue id `id`.
fn own_order(ex: &Exchange, account: usize, id: &str) -> Result<u64, HtxError> {
    id.parse::<u64>()
        .ok()
        .filter(|i| ex.orders.get(i).is_some_and(|o| o.account == account))
        .ok_or_else(|| EngineError::UnknownOrder(Operation::Query).into())
}

fn fees_of(ex: &Exchange, o: &Order) -> Decimal {
    ex.trades
        .get(&o.symbol)
        .into_iter()
        .flatten()
        .filter_map(|t| match o.side {
            Side::Buy if t.buyer.0 == o.id => Some(t.commissions.0),
            Side::Sell if t.seller.0 == o.id => Some(t.commissions.1),
            _ => None,
        })
        .sum()
}

fn order_doc(ex: &Exchange, id: u64) -> Result<Value, HtxError> {
    let o = ex
        .orders
        .get(&id)
        .ok_or(EngineError::UnknownOrder(Operation::Query))?;
    Ok(order_json(o, fees_of(ex, o)))
}

fn route(
    ex: &mut Exchange,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
    account: Option<usize>,
    now: u64,
) -> Result<Value, HtxError> {
    match (method, path) {
        ("GET", "/v1/common/timestamp") => Ok(json!(now)),
        ("GET", "/v1/common/symbols") => Ok(Value::Array(
            ex.specs
                .keys()
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|s| symbol_json(&s))
                .collect(),
        )),
        ("GET", "/market/depth") => {
            let symbol = param(query, "symbol").ok_or_else(|| HtxError::invalid_param("symbol"))?;
            let book = ex.books.get(&symbol).ok_or(EngineError::UnknownSymbol)?;
            let (bids, asks) = book.levels(super::shapes::MBP_LEVELS);
            let lv = |l: &[(Decimal, Decimal)]| -> Value {
                l.iter()
                    .map(|(p, q)| json!([p.normalize().to_string(), q.normalize().to_string()]))
                    .collect()
            };
            Ok(
                json!({"ch": format!("market.{symbol}.depth.step0"), "ts": now,
                      "tick": {"ts": now, "version": book.update_id, "bids": lv(&bids), "asks": lv(&asks)}}),
            )
        }
        ("GET", "/v1/account/accounts") => {
            let a = need(account)?;
            Ok(json!([{"id": a, "type": "spot", "subtype": "", "state": "working"}]))
        }
        ("GET", p) if p.starts_with("/v1/account/accounts/") && p.ends_with("/balance") => {
            let a = need(account)?;
            if p != format!("/v1/account/accounts/{a}/balance") {
                return Err(HtxError::new(
                    "account-get-accounts-inexistent-error",
                    "account for id not exist",
                ));
            }
            let acct = ex.accounts.get(a).ok_or(EngineError::UnknownAccount)?;
            let mut list = Vec::new();
            for (c, b) in &acct.balances {
                let c = c.to_ascii_lowercase();
                list.push(json!({"currency": c, "type": "trade", "balance": b.free.normalize().to_string()}));
                list.push(json!({"currency": c, "type": "frozen", "balance": b.locked.normalize().to_string()}));
            }
            Ok(json!({"id": a, "type": "spot", "state": "working", "list": list}))
        }
        ("POST", "/v1/order/orders/place") => place(ex, need(account)?, body, now),
        ("POST", p) if p.starts_with("/v1/order/orders/") && p.ends_with("/submitcancel") => {
            let a = need(account)?;
            let id = own_order(
                ex,
                a,
                &p["/v1/order/orders/".len()..p.len() - "/submitcancel".len()],
            )?;
            let symbol = ex
                .orders
                .get(&id)
                .map(|o| o.symbol.clone())
                .unwrap_or_default();
            ex.cancel(a, &symbol, Some(id), None, None, now)
                .map_err(|_| HtxError::new("order-orderstate-error", "the order state is error"))?;
            Ok(json!(id.to_string()))
        }
        ("GET", "/v1/order/orders/getClientOrder") => {
            let a = need(account)?;
            let cid = param(query, "clientOrderId")
                .ok_or_else(|| HtxError::invalid_param("clientOrderId"))?;
            let id = ex
                .orders
                .values()
                .filter(|o| o.account == a && o.client_order_id == cid)
                .map(|o| o.id)
                .max()
                .ok_or(EngineError::UnknownOrder(Operation::Query))?;
            order_doc(ex, id)
        }
        ("GET", "/v1/order/openOrders") => {
            let a = need(account)?;
            if param(query, "account-id").and_then(|i| i.parse::<usize>().ok()) != Some(a) {
                return Err(HtxError::invalid_param("account-id"));
            }
            let symbol = param(query, "symbol");
            let ids: Vec<u64> = ex
                .open_orders(a, symbol.as_deref())
                .iter()
                .map(|o| o.id)
                .collect();
            ids.into_iter()
                .map(|i| order_doc(ex, i))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ("GET", p) if p.starts_with("/v1/order/orders/") && p.ends_with("/matchresults") => {
            let a = need(account)?;
            let id = own_order(
                ex,
                a,
                &p["/v1/order/orders/".len()..p.len() - "/matchresults".len()],
            )?;
            let o = ex
                .orders
                .get(&id)
                .ok_or(EngineError::UnknownOrder(Operation::Query))?;
            let kind = order_type(o);
            Ok(Value::Array(
                ex.trades
                    .get(&o.symbol)
                    .into_iter()
                    .flatten()
                    .filter(|t| t.buyer == (id, a) || t.seller == (id, a))
                    .filter_map(|t| match_json(t, a, &kind))
                    .collect(),
            ))
        }
        _ => Err(HtxError::new(
            "bad-request",
            format!("no route {method} {path}"),
        )),
    }
}

/// `POST /v1/order/orders/place`: the JSON body checked, the order placed in the engine; the
/// answer is the new order's id.
fn place(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Result<Value, HtxError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| HtxError::invalid_param("body is not JSON"))?;
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    if s("account-id").and_then(|i| i.parse::<usize>().ok()) != Some(account) {
        return Err(HtxError::new(
            "account-frozen-account-inexistent-error",
            "account for id not exist",
        ));
    }
    let symbol = s("symbol").ok_or_else(|| HtxError::invalid_param("symbol"))?;
    let dec = |k: &str| -> Result<Option<Decimal>, HtxError> {
        s(k).map(|t| {
            t.parse::<Decimal>()
                .map_err(|_| HtxError::invalid_param(format!("{k} is not a number")))
        })
        .transpose()
    };
    let amount = dec("amount")?.ok_or_else(|| HtxError::invalid_param("amount"))?;
    let price = dec("price")?;
    let kind = s("type").unwrap_or_default();
    let (side_word, rest) = kind
        .split_once('-')
        .ok_or_else(|| HtxError::invalid_param("type"))?;
    let side = match side_word {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return Err(HtxError::invalid_param("type")),
    };
    let (order_type, tif) = match rest {
        "limit" => (OrderType::Limit, TimeInForce::Gtc),
        "limit-maker" => (OrderType::LimitMaker, TimeInForce::Gtc),
        "ioc" => (OrderType::Limit, TimeInForce::Ioc),
        "limit-fok" => (OrderType::Limit, TimeInForce::Fok),
        "market" => (OrderType::Market, TimeInForce::Ioc),
        _ => return Err(HtxError::invalid_param("type")),
    };
    let market = order_type == OrderType::Market;
    if !market && price.is_none() {
        return Err(HtxError::invalid_param("price is required"));
    }
    let client_id = match s("client-order-id") {
        Some(c)
            if c.len() > 64
                || !c
                    .chars()
                    .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_') =>
        {
            return Err(HtxError::new(
                "invalid-client-order-id",
                "client order id is invalid",
            ));
        }
        c => c,
    };
    let (quantity, quote_order_qty) = if market && side == Side::Buy {
        (None, Some(amount))
    } else {
        (Some(amount), None)
    };
    let placed = ex.place(
        account,
        NewOrder {
            symbol,
            side,
            order_type,
            tif,
            quantity,
            quote_order_qty,
            price: if market { None } else { price },
            client_order_id: client_id,
        },
        now,
        false,
    )?;
    Ok(json!(placed.id.to_string()))
}
