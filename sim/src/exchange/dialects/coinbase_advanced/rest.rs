//! The simulated Coinbase Advanced Trade's REST API (HTTP/1.1 on 127.0.0.1) under
//! `/api/v3/brokerage`: rate limits (public 10 per second, private 30 per second, fixed windows;
//! 429 `RESOURCE_EXHAUSTED` with `Retry-After`), the CDP JWT of every private request verified,
//! and injected HTTP faults.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::{self, Expect};
use super::error::{CbError, order_failure};
use super::shapes::{engine_id, fill_json, order_fees, order_id, order_json, product_json};
use super::shared::{HttpFault, Shared, lock};
use crate::exchange::engine::error::{EngineError, Operation};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};
use sluice::cex::sign::time::iso8601_millis;

pub use crate::exchange::engine::server::Dropped;

type Resp = Response<Full<Bytes>>;

/// The prefix of every endpoint.
pub const PREFIX: &str = "/api/v3/brokerage";

fn query_params(query: &str, name: &str) -> Vec<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
        .collect()
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query_params(query, name).into_iter().next()
}

fn respond(status: u16, body: String) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static("application/json"));
    r
}

fn error(e: CbError) -> Resp {
    respond(e.status, e.body())
}

fn is_public(method: &Method, path: &str) -> bool {
    method == Method::GET
        && (path == format!("{PREFIX}/time") || path.starts_with(&format!("{PREFIX}/market/")))
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let host = req
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let bearer = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = shared.now_ms();
    let public = is_public(&method, &path);
    let (limit, window) = if public {
        ("public", shared.limits.public)
    } else {
        ("private", shared.limits.private)
    };
    if let Err(secs) = lock(&shared.windows).admit(limit, window, now) {
        shared.rejected_429.fetch_add(1, Ordering::SeqCst);
        let mut r = error(CbError::too_many_requests());
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert("retry-after", v);
        }
        return Ok(r);
    }
    let fault = shared.next_http_fault();
    match fault {
        Some(HttpFault::TooManyRequests) => {
            let mut r = error(CbError::too_many_requests());
            r.headers_mut()
                .insert("retry-after", HeaderValue::from_static("1"));
            return Ok(r);
        }
        Some(HttpFault::HtmlPage { status }) => {
            let mut r = respond(
                status,
                format!(
                    "<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway</h1><hr>cloudflare</body></html>"
                ),
            );
            r.headers_mut()
                .insert("content-type", HeaderValue::from_static("text/html"));
            return Ok(r);
        }
        _ => {}
    }
    let account = if public {
        None
    } else {
        let expect = Expect::Rest {
            method: method.as_str(),
            host: &host,
            path: &path,
        };
        match auth::verify(&shared, bearer.as_deref(), expect, now) {
            Ok(a) => Some(a),
            Err(e) => return Ok(error(e)),
        }
    };
    let result = {
        let mut ex = shared.exchange();
        route(&mut ex, &method, &path, &query, &body, account, now)
    };
    if method == Method::POST {
        let delay = *lock(&shared.ack_delay);
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
    }
    let text = match &result {
        Ok(v) => v.to_string(),
        Err(e) => e.body(),
    };
    match fault {
        Some(HttpFault::LostAck) => return Err(Dropped),
        Some(HttpFault::TruncatedJson) => {
            return Ok(respond(200, text[..text.len() / 2].to_string()));
        }
        Some(HttpFault::HugeNumbers) => {
            let huge = text
                .replace("\"value\":\"", "\"value\":\"1e400")
                .replace("\"epochMillis\":\"", "\"epochMillis\":\"1e400")
                .replace("\"filled_size\":\"", "\"filled_size\":\"1e400")
                .replace("\"base_increment\":\"", "\"base_increment\":\"1e400");
            return Ok(respond(200, huge));
        }
        _ => {}
    }
    Ok(match result {
        Ok(v) => respond(200, v.to_string()),
        Err(e) => error(e),
    })
}

fn need(account: Option<usize>) -> Result<usize, CbError> {
    account.ok_or_else(|| CbError::unauthenticated("missing jwt"))
}

fn route(
    ex: &mut Exchange,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    account: Option<usize>,
    now: u64,
) -> Result<Value, CbError> {
    let Some(p) = path.strip_prefix(PREFIX) else {
        return Err(CbError::not_found("Not Found"));
    };
    match (method.as_str(), p) {
        ("GET", "/time") => Ok(
            json!({"iso": iso8601_millis(now), "epochSeconds": (now / 1000).to_string(),
                                     "epochMillis": now.to_string()}),
        ),
        ("GET", "/market/products") => {
            let products: Vec<Value> = ex
                .specs
                .keys()
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|s| product_json(&s))
                .collect();
            Ok(json!({"num_products": products.len(), "products": products}))
        }
        ("GET", p) if p.starts_with("/market/products/") => {
            let id = &p["/market/products/".len()..];
            Ok(product_json(&ex.listed_spec(id)?))
        }
        ("GET", "/market/product_book") => {
            let product = query_param(query, "product_id")
                .ok_or_else(|| CbError::invalid("product_id is required"))?;
            let limit: usize = query_param(query, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(250)
                .min(5000);
            let book = ex.books.get(&product).ok_or(EngineError::UnknownSymbol)?;
            let (bids, asks) = book.levels(limit);
            let lv = |l: &[(Decimal, Decimal)]| -> Value {
                l.iter()
                    .map(|(p, q)| json!({"price": p.normalize().to_string(), "size": q.normalize().to_string()}))
                    .collect()
            };
            Ok(
                json!({"pricebook": {"product_id": product, "bids": lv(&bids), "asks": lv(&asks),
                       "time": iso8601_millis(now)}}),
            )
        }
        ("GET", "/transaction_summary") => {
            need(account)?;
            let (maker, taker) = ex
                .specs
                .values()
                .next()
                .map_or((Decimal::ZERO, Decimal::ZERO), |s| {
                    (s.maker_fee, s.taker_fee)
                });
            Ok(
                json!({"total_volume": 0, "total_fees": 0, "fee_tier": {"pricing_tier": "Advanced 1",
                "usd_from": "0", "usd_to": "1000", "taker_fee_rate": taker.normalize().to_string(),
                "maker_fee_rate": maker.normalize().to_string()}}),
            )
        }
        ("POST", "/orders") => Ok(create(ex, need(account)?, body, now)),
        ("POST", "/orders/batch_cancel") => cancel(ex, need(account)?, body, now),
        ("GET", "/orders/historical/batch") => {
            let acct = need(account)?;
            let products = query_params(query, "product_ids");
            let open_only = query_param(query, "order_status").as_deref() == Some("OPEN");
            let mut orders: Vec<Value> = ex
                .orders
                .values()
                .rev()
                .filter(|o| o.account == acct)
                .filter(|o| products.is_empty() || products.contains(&o.symbol))
                .filter(|o| !open_only || o.status.is_open())
                .map(|o| {
                    let (fee, n) = order_fees(ex, o);
                    order_json(o, fee, n)
                })
                .collect();
            let limit: usize = query_param(query, "limit")
                .and_then(|l| l.parse().ok())
                .unwrap_or(1000);
            orders.truncate(limit);
            Ok(json!({"orders": orders, "sequence": "0", "has_next": false, "cursor": ""}))
        }
        ("GET", p) if p.starts_with("/orders/historical/") && p != "/orders/historical/fills" => {
            let acct = need(account)?;
            let named = &p["/orders/historical/".len()..];
            let o = engine_id(named)
                .and_then(|id| ex.orders.get(&id))
                .filter(|o| o.account == acct)
                .ok_or(EngineError::UnknownOrder(Operation::Query))?;
            let (fee, n) = order_fees(ex, o);
            Ok(json!({"order": order_json(o, fee, n)}))
        }
        ("GET", "/orders/historical/fills") => {
            let acct = need(account)?;
            let mut ids: Vec<u64> = query_params(query, "order_ids")
                .iter()
                .chain(query_params(query, "order_id").iter())
                .filter_map(|o| engine_id(o))
                .collect();
            ids.sort_unstable();
            let fills: Vec<Value> = ex
                .trades
                .values()
                .flatten()
                .filter(|t| {
                    let mine = if t.buyer.1 == acct {
                        t.buyer.0
                    } else {
                        t.seller.0
                    };
                    ids.is_empty() || ids.binary_search(&mine).is_ok()
                })
                .filter_map(|t| fill_json(t, acct))
                .collect();
            Ok(json!({"fills": fills, "cursor": ""}))
        }
        ("GET", "/accounts") => {
            let acct = need(account)?;
            let a = ex.accounts.get(acct).ok_or(EngineError::UnknownAccount)?;
            let accounts: Vec<Value> = a
                .balances
                .iter()
                .map(|(c, b)| {
                    json!({"uuid": format!("sim-{c}"), "name": format!("{c} Wallet"), "currency": c,
                           "available_balance": {"value": b.free.normalize().to_string(), "currency": c},
                           "default": false, "active": true, "type": "ACCOUNT_TYPE_CRYPTO", "ready": true,
                           "hold": {"value": b.locked.normalize().to_string(), "currency": c},
                           "retail_portfolio_id": "sim-portfolio"})
                })
                .collect();
            Ok(
                json!({"accounts": accounts, "has_next": false, "cursor": "", "size": a.balances.len()}),
            )
        }
        _ => Err(CbError::not_found("Not Found")),
    }
}

fn failure(error: &str, preview: &str, message: &str) -> Value {
    json!({"success": false, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": "",
           "error_response": {"error": error, "message": message, "error_details": message,
                              "preview_failure_reason": preview,
                              "new_order_failure_reason": "UNKNOWN_FAILURE_REASON"}})
}

fn dec_field(v: &Value, name: &str) -> Result<Option<Decimal>, String> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| format!("{name} is not a number")),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// The engine order of an `order_configuration`, or why it is refused.
fn new_order(v: &Value, product: String, side: Side, client: String) -> Result<NewOrder, String> {
    let cfg = v
        .get("order_configuration")
        .and_then(Value::as_object)
        .filter(|m| m.len() == 1)
        .ok_or("order_configuration must hold one configuration")?;
    let (name, c) = cfg.iter().next().ok_or("empty order_configuration")?;
    let base = dec_field(c, "base_size")?;
    let quote = dec_field(c, "quote_size")?;
    let price = dec_field(c, "limit_price")?;
    let post_only = c.get("post_only").and_then(Value::as_bool).unwrap_or(false);
    let (order_type, tif) = match name.as_str() {
        "market_market_ioc" => (OrderType::Market, TimeInForce::Ioc),
        "limit_limit_gtc" if post_only => (OrderType::LimitMaker, TimeInForce::Gtc),
        "limit_limit_gtc" => (OrderType::Limit, TimeInForce::Gtc),
        "sor_limit_ioc" => (OrderType::Limit, TimeInForce::Ioc),
        "limit_limit_fok" => (OrderType::Limit, TimeInForce::Fok),
        _ => return Err(format!("unsupported order configuration {name}")),
    };
    if order_type != OrderType::Market && price.is_none() {
        return Err("limit_price is required".into());
    }
    if base.is_none() && (order_type != OrderType::Market || quote.is_none()) {
        return Err("base_size is required".into());
    }
    Ok(NewOrder {
        symbol: product,
        side,
        order_type,
        tif,
        quantity: base,
        quote_order_qty: if base.is_none() { quote } else { None },
        price: if order_type == OrderType::Market {
            None
        } else {
            price
        },
        client_order_id: Some(client),
    })
}

/// `POST /orders`: refusals are a 200 with `success: false`; a `client_order_id` already used
/// by the account answers with that order, placing nothing.
fn create(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Value {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return failure(
            "INVALID_REQUEST",
            "UNKNOWN_PREVIEW_FAILURE_REASON",
            "invalid JSON body",
        );
    };
    let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let (Some(client), Some(product)) = (s("client_order_id"), s("product_id")) else {
        return failure(
            "INVALID_REQUEST",
            "UNKNOWN_PREVIEW_FAILURE_REASON",
            "client_order_id and product_id are required",
        );
    };
    let side = match s("side").as_deref() {
        Some("BUY") => Side::Buy,
        Some("SELL") => Side::Sell,
        _ => {
            return failure(
                "INVALID_SIDE",
                "UNKNOWN_PREVIEW_FAILURE_REASON",
                "side must be BUY or SELL",
            );
        }
    };
    let success = |id: u64, ex: &Exchange| {
        json!({"success": true, "failure_reason": "UNKNOWN_FAILURE_REASON", "order_id": order_id(id),
               "success_response": {"order_id": order_id(id), "product_id": product, "side": side_word(side),
                                    "client_order_id": client},
               "order_configuration": ex.orders.get(&id).map(super::shapes::configuration)})
    };
    if let Some(existing) = ex
        .orders
        .values()
        .find(|o| o.account == account && o.client_order_id == client)
    {
        return success(existing.id, ex);
    }
    let order = match new_order(&v, product.clone(), side, client.clone()) {
        Ok(o) => o,
        Err(why) => return failure("INVALID_REQUEST", "UNKNOWN_PREVIEW_FAILURE_REASON", &why),
    };
    match ex.place(account, order, now, false) {
        Ok(placed) => success(placed.id, ex),
        Err(e) => {
            let (error, preview, message) = order_failure(&e);
            failure(error, preview, &message)
        }
    }
}

fn side_word(s: Side) -> &'static str {
    super::shapes::side(s)
}

/// `POST /orders/batch_cancel`: one result per order id.
fn cancel(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Result<Value, CbError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| CbError::invalid("invalid JSON body"))?;
    let ids = v
        .get("order_ids")
        .and_then(Value::as_array)
        .ok_or_else(|| CbError::invalid("order_ids is required"))?;
    if ids.len() > 100 {
        return Err(CbError::invalid("at most 100 order_ids"));
    }
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let text = id.as_str().unwrap_or_default();
        let target = engine_id(text)
            .and_then(|e| ex.orders.get(&e))
            .filter(|o| o.account == account)
            .map(|o| (o.id, o.symbol.clone(), o.status.is_open()));
        let (ok, reason) = match target {
            None => (false, "UNKNOWN_CANCEL_ORDER"),
            Some((_, _, false)) => (false, "UNKNOWN_CANCEL_ORDER"),
            Some((eid, symbol, true)) => {
                match ex.cancel(account, &symbol, Some(eid), None, None, now) {
                    Ok(_) => (true, "UNKNOWN_CANCEL_FAILURE_REASON"),
                    Err(_) => (false, "UNKNOWN_CANCEL_ORDER"),
                }
            }
        };
        results.push(json!({"success": ok, "failure_reason": reason, "order_id": text}));
    }
    Ok(json!({"results": results}))
}
