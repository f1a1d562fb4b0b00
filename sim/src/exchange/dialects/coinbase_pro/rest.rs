//! The simulated Coinbase Exchange's REST API (HTTP/1.1 on 127.0.0.1): `/time`, `/products`,
//! `/products/{id}`, `/products/{id}/book?level=2` (with the product's `sequence`), and, signed,
//! `/fees`, `POST /orders`, `GET /orders?status=open`, `GET`/`DELETE /orders/{id}` and
//! `/orders/client:{client_oid}`, `/fills?order_id=`, `/accounts`; the documented rate limits
//! (429 `Public`/`Private rate limit exceeded`), signature verification of every private request,
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

use super::auth::{self, Received};
use super::error::CbError;
use super::shapes::{
    account_uuid, d, fill_json, iso, order_fee, order_id_of, order_json, order_uuid, product_json,
};
use super::shared::{HttpFault, Shared, lock};
use crate::exchange::engine::error::{EngineError, Operation};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};

pub use crate::exchange::engine::server::Dropped;

type Resp = Response<Full<Bytes>>;

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn respond(status: u16, body: String, content_type: &'static str) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut()
        .insert("content-type", HeaderValue::from_static(content_type));
    r
}

fn error(e: CbError) -> Resp {
    respond(e.status, e.body(), "application/json")
}

fn is_public(method: &Method, path: &str) -> bool {
    method == Method::GET && (path == "/time" || path.starts_with("/products"))
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
    let (key, sign, ts, pass) = (
        header("CB-ACCESS-KEY"),
        header("CB-ACCESS-SIGN"),
        header("CB-ACCESS-TIMESTAMP"),
        header("CB-ACCESS-PASSPHRASE"),
    );
    let body = req
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let now = shared.now_ms();
    let public = is_public(&method, &path);
    let (bucket, name, text) = match (public, path.as_str()) {
        (true, _) => (shared.limits.public, "public", "Public rate limit exceeded"),
        (false, "/fills") => (shared.limits.fills, "fills", "Private rate limit exceeded"),
        (false, _) => (
            shared.limits.private,
            "private",
            "Private rate limit exceeded",
        ),
    };
    if !lock(&shared.buckets).admit(name, bucket, now) {
        shared.rejected_429.fetch_add(1, Ordering::SeqCst);
        return Ok(error(CbError::new(429, text)));
    }
    let fault = shared.next_http_fault();
    match fault {
        Some(HttpFault::TooManyRequests) => {
            return Ok(error(CbError::new(429, "Private rate limit exceeded")));
        }
        Some(HttpFault::HtmlPage { status }) => {
            return Ok(respond(
                status,
                format!(
                    "<html><head><title>{status}</title></head><body><h1>{status} Bad Gateway</h1><hr>cloudflare</body></html>"
                ),
                "text/html",
            ));
        }
        _ => {}
    }
    let result = {
        let passphrases = lock(&shared.passphrases).clone();
        let mut ex = shared.exchange();
        let account = if public {
            None
        } else {
            let r = Received {
                method: method.as_str(),
                path: &path,
                query: &query,
                body: &body,
                key: key.as_deref(),
                sign: sign.as_deref(),
                timestamp: ts.as_deref(),
                passphrase: pass.as_deref(),
            };
            match auth::verify(&ex, &passphrases, &r, now) {
                Ok(a) => Some(a),
                Err(e) => return Ok(error(e)),
            }
        };
        let ctx = Ctx {
            shared: &shared,
            account,
            query: &query,
            now,
        };
        route(&mut ex, &ctx, &method, &path, &body)
    };
    if matches!(method, Method::POST | Method::DELETE) {
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
            let cut = text.len() / 2;
            return Ok(respond(200, text[..cut].to_string(), "application/json"));
        }
        Some(HttpFault::HugeNumbers) => {
            let huge = text
                .replace("\"available\":\"", "\"available\":\"1e400")
                .replace("\"epoch\":", "\"epoch\":1e400");
            return Ok(respond(200, huge, "application/json"));
        }
        _ => {}
    }
    Ok(match result {
        Ok(_) => respond(200, text, "application/json"),
        Err(e) => error(e),
    })
}

struct Ctx<'a> {
    shared: &'a Shared,
    account: Option<usize>,
    query: &'a str,
    now: u64,
}

impl Ctx<'_> {
    fn account(&self) -> Result<usize, CbError> {
        self.account
            .ok_or_else(|| CbError::new(401, "Invalid API Key"))
    }
}

fn route(
    ex: &mut Exchange,
    c: &Ctx<'_>,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<Value, CbError> {
    match (method.as_str(), path) {
        // `epoch`: seconds with milliseconds, a JSON number as Coinbase writes it
        ("GET", "/time") => {
            let epoch: Value =
                serde_json::from_str(&format!("{}.{:03}", c.now / 1000, c.now % 1000))
                    .unwrap_or(Value::Null);
            Ok(json!({"iso": iso(c.now), "epoch": epoch}))
        }
        ("GET", "/products") => Ok(Value::Array(
            ex.specs
                .keys()
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|s| product_json(&s))
                .collect(),
        )),
        ("GET", p) if p.starts_with("/products/") => {
            let rest = &p["/products/".len()..];
            match rest.split_once('/') {
                None => Ok(product_json(
                    &ex.listed_spec(rest).map_err(|_| CbError::not_found())?,
                )),
                Some((id, "book")) => book(ex, c, id),
                Some(_) => Err(CbError::not_found()),
            }
        }
        ("GET", "/fees") => {
            c.account()?;
            let (m, t) = c.shared.fee_rates;
            Ok(json!({"maker_fee_rate": d(m), "taker_fee_rate": d(t), "usd_volume": "0"}))
        }
        ("POST", "/orders") => place(ex, c.account()?, body, c.now),
        ("GET", "/orders") => {
            let acct = c.account()?;
            let product = query_param(c.query, "product_id");
            if let Some(p) = &product {
                ex.spec(p)?;
            }
            Ok(Value::Array(
                ex.open_orders(acct, product.as_deref())
                    .into_iter()
                    .map(|o| order_json(o, order_fee(ex, o)))
                    .collect(),
            ))
        }
        ("GET" | "DELETE", p) if p.starts_with("/orders/") => {
            let acct = c.account()?;
            let id = find_order(ex, acct, &p["/orders/".len()..])?;
            if method == Method::DELETE {
                let symbol = ex
                    .orders
                    .get(&id)
                    .map(|o| o.symbol.clone())
                    .unwrap_or_default();
                ex.cancel(acct, &symbol, Some(id), None, None, c.now)
                    .map_err(|e| match e {
                        EngineError::UnknownOrder(_) => CbError::bad_request("Order already done"),
                        other => other.into(),
                    })?;
                return Ok(json!(order_uuid(id)));
            }
            let o = ex.orders.get(&id).ok_or_else(CbError::not_found)?;
            Ok(order_json(o, order_fee(ex, o)))
        }
        ("GET", "/fills") => {
            let acct = c.account()?;
            let order = query_param(c.query, "order_id").and_then(|o| order_id_of(&o));
            let product = query_param(c.query, "product_id");
            if order.is_none() && product.is_none() {
                return Err(CbError::bad_request("order_id or product_id is required"));
            }
            Ok(Value::Array(
                ex.trades
                    .iter()
                    .filter(|(s, _)| product.as_deref().is_none_or(|p| p == s.as_str()))
                    .flat_map(|(_, ts)| ts.iter())
                    .filter(|t| order.is_none_or(|o| t.buyer == (o, acct) || t.seller == (o, acct)))
                    .filter_map(|t| fill_json(t, acct))
                    .collect(),
            ))
        }
        ("GET", "/accounts") => {
            let acct = c.account()?;
            let a = ex.accounts.get(acct).ok_or(EngineError::UnknownAccount)?;
            Ok(Value::Array(
                a.balances
                    .iter()
                    .map(|(cur, b)| {
                        json!({"id": account_uuid(acct, cur), "currency": cur,
                               "balance": d(b.free + b.locked), "available": d(b.free),
                               "hold": d(b.locked), "profile_id": format!("{acct}"),
                               "trading_enabled": true})
                    })
                    .collect(),
            ))
        }
        _ => Err(CbError::not_found()),
    }
}

fn book(ex: &Exchange, c: &Ctx<'_>, product: &str) -> Result<Value, CbError> {
    let b = ex
        .books
        .get(product)
        .ok_or_else(|| CbError::bad_request("Product not found"))?;
    let (bids, asks) = b.levels(usize::MAX);
    let lv = |l: &[(Decimal, Decimal)]| -> Value {
        l.iter().map(|(p, q)| json!([d(*p), d(*q), 1])).collect()
    };
    Ok(json!({"bids": lv(&bids), "asks": lv(&asks),
              "sequence": c.shared.sequences.current(product),
              "auction_mode": false, "auction": null, "time": iso(c.now)}))
}

/// The engine id of `/orders/{id}` or `/orders/client:{client_oid}` of `acct`.
fn find_order(ex: &Exchange, acct: usize, named: &str) -> Result<u64, CbError> {
    let found = match named.strip_prefix("client:") {
        Some(oid) => ex
            .orders
            .values()
            .rev()
            .find(|o| o.account == acct && o.client_order_id.eq_ignore_ascii_case(oid))
            .map(|o| o.id),
        None => {
            order_id_of(named).filter(|id| ex.orders.get(id).is_some_and(|o| o.account == acct))
        }
    };
    found.ok_or_else(CbError::not_found)
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

fn dec_field(v: &Value, name: &str) -> Result<Option<Decimal>, CbError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| CbError::bad_request(format!("Invalid {name}"))),
        Some(_) => Err(CbError::bad_request(format!("Invalid {name}"))),
    }
}

/// `POST /orders`: the JSON body checked, the order placed in the engine. A post-only order that
/// would take is answered as Coinbase does: a `rejected` order (`reject_reason: post only`).
fn place(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Result<Value, CbError> {
    let v: Value =
        serde_json::from_slice(body).map_err(|_| CbError::bad_request("invalid request body"))?;
    let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let product = s("product_id").ok_or_else(|| CbError::bad_request("product_id is required"))?;
    let client_oid = match s("client_oid") {
        Some(o) if is_uuid(&o) => Some(o.to_ascii_lowercase()),
        Some(_) => return Err(CbError::bad_request("Invalid client_oid")),
        None => None,
    };
    if let Some(oid) = &client_oid
        && ex
            .orders
            .values()
            .any(|o| o.account == account && &o.client_order_id == oid)
    {
        return Err(CbError::bad_request("duplicate client_oid"));
    }
    let side = match s("side").as_deref() {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err(CbError::bad_request("Invalid side")),
    };
    let size = dec_field(&v, "size")?;
    let funds = dec_field(&v, "funds")?;
    let price = dec_field(&v, "price")?;
    let post_only = v.get("post_only").and_then(Value::as_bool).unwrap_or(false);
    let market = match s("type").as_deref() {
        Some("market") => true,
        Some("limit") | None => false,
        _ => return Err(CbError::bad_request("Invalid type")),
    };
    let (order_type, tif) = match (market, s("time_in_force").as_deref(), post_only) {
        (true, _, _) => (OrderType::Market, TimeInForce::Ioc),
        (false, None | Some("GTC" | "GTT"), true) => (OrderType::LimitMaker, TimeInForce::Gtc),
        (false, None | Some("GTC" | "GTT"), false) => (OrderType::Limit, TimeInForce::Gtc),
        (false, Some("IOC"), false) => (OrderType::Limit, TimeInForce::Ioc),
        (false, Some("FOK"), false) => (OrderType::Limit, TimeInForce::Fok),
        _ => return Err(CbError::bad_request("Invalid time_in_force")),
    };
    if !market && (price.is_none() || size.is_none()) {
        return Err(CbError::bad_request("price and size are required"));
    }
    if market && size.is_none() && funds.is_none() {
        return Err(CbError::bad_request("size or funds is required"));
    }
    let placed = ex.place(
        account,
        NewOrder {
            symbol: product.clone(),
            side,
            order_type,
            tif,
            quantity: size,
            quote_order_qty: if size.is_none() { funds } else { None },
            price: if market { None } else { price },
            client_order_id: client_oid.clone(),
        },
        now,
        false,
    );
    let placed = match placed {
        Err(EngineError::WouldTake) => {
            return Ok(json!({
                "id": order_uuid(u64::MAX >> 16), "client_oid": client_oid, "product_id": product,
                "side": if side == Side::Buy { "buy" } else { "sell" }, "type": "limit",
                "price": price.map(d), "size": size.map(d), "post_only": true,
                "time_in_force": "GTC", "created_at": iso(now), "fill_fees": "0",
                "filled_size": "0", "executed_value": "0", "status": "rejected",
                "reject_reason": "post only", "settled": true,
            }));
        }
        other => other?,
    };
    let o = ex
        .orders
        .get(&placed.id)
        .ok_or(EngineError::UnknownOrder(Operation::Place))?;
    let mut doc = order_json(o, Decimal::ZERO);
    // a new order's answer is `pending` until the matching engine reports it
    doc["status"] = json!("pending");
    if let Some(m) = doc.as_object_mut() {
        m.remove("done_reason");
    }
    Ok(doc)
}
