//! The Kraken dialect's REST API (HTTP/1.1 on 127.0.0.1): `/0/public/{Time,AssetPairs,Depth}` and
//! `/0/private/{Balance,BalanceEx,AddOrder,CancelOrder,OpenOrders,ClosedOrders,QueryOrders,
//! QueryTrades,GetWebSocketsToken}`. Private calls are POSTs with a form body starting with a
//! `nonce` above the key's last one, `API-Key` and `API-Sign` verified by Kraken's documented
//! recipe (the shared `kraken_api_sign` block); every answer is `{"error":[…],"result":…}` with
//! HTTP 200 — Kraken's own error strings — except the public throttle (HTTP 429). Rate counters
//! as [`super::shared`] documents; injected HTTP faults replace or cut the next answer.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};
use sluice::cex::sign::kraken::kraken_api_sign;

use super::names;
use super::shapes;
use super::shared::{HttpFault, Shared, lock};
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::error::{EngineError, Filter};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};

type Resp = Response<Full<Bytes>>;

pub use crate::exchange::engine::server::Dropped;

fn respond(status: StatusCode, content_type: &str, body: String) -> Resp {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}

fn ok(result: Value) -> String {
    json!({"error": [], "result": result}).to_string()
}

fn err(e: &str) -> String {
    json!({"error": [e]}).to_string()
}

/// Kraken's error string for an engine refusal.
pub fn engine_error(e: EngineError) -> &'static str {
    match e {
        EngineError::UnknownSymbol => "EQuery:Unknown asset pair",
        EngineError::UnknownAccount => "EAPI:Invalid key",
        EngineError::Filter(Filter::Price) => "EOrder:Invalid price",
        EngineError::Filter(Filter::Quantity) => "EOrder:Order minimum not met",
        EngineError::Filter(Filter::Notional(_)) => "EOrder:Cost minimum not met",
        EngineError::DuplicateClientId => "EOrder:Duplicate order",
        EngineError::WouldTake => "EOrder:Post only order",
        EngineError::NoQuantity => "EGeneral:Invalid arguments:volume",
        EngineError::InsufficientBalance => "EOrder:Insufficient funds",
        EngineError::NoLiquidity | EngineError::LiquidityBelowMinQuantity => {
            "EOrder:Insufficient liquidity"
        }
        EngineError::UnknownOrder(_) => "EOrder:Unknown order",
        EngineError::BadTickSize => "EGeneral:Invalid arguments",
    }
}

/// Every decimal string and number of a document made absurdly large (the huge-numbers fault).
fn huge(v: Value) -> Value {
    match v {
        Value::String(s) if s.parse::<Decimal>().is_ok() => Value::String("9".repeat(40)),
        Value::Number(_) => Value::from(u64::MAX),
        Value::Array(a) => Value::Array(a.into_iter().map(huge).collect()),
        Value::Object(o) => Value::Object(o.into_iter().map(|(k, v)| (k, huge(v))).collect()),
        other => other,
    }
}

/// Serves one request.
pub async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Resp, Dropped> {
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let headers = req.headers().clone();
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => Bytes::new(),
    };
    let fault = lock(&shared.http_faults).pop_front();
    if let Some(HttpFault::HtmlPage { status }) = fault {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
        let page =
            format!("<html><head><title>{status}</title></head><body>cloudflare</body></html>");
        return Ok(respond(status, "text/html", page));
    }
    let (status, text) = route(&shared, &path, &query, &headers, &body);
    match fault {
        Some(HttpFault::DropAfterExecuting) => Err(Dropped),
        Some(HttpFault::TruncatedJson) => {
            let cut = text.len() / 2;
            Ok(respond(status, "application/json", text[..cut].to_string()))
        }
        Some(HttpFault::HugeNumbers) => {
            let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
            Ok(respond(status, "application/json", huge(v).to_string()))
        }
        _ => Ok(respond(status, "application/json", text)),
    }
}

fn route(
    shared: &Shared,
    path: &str,
    query: &str,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> (StatusCode, String) {
    let form = |b: &[u8]| -> HashMap<String, String> {
        url::form_urlencoded::parse(b).into_owned().collect()
    };
    if let Some(method) = path.strip_prefix("/0/public/") {
        if !shared.charge_public() {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                err("EGeneral:Too many requests"),
            );
        }
        let mut p = form(query.as_bytes());
        p.extend(form(body));
        return (StatusCode::OK, public(shared, method, &p));
    }
    let Some(method) = path.strip_prefix("/0/private/") else {
        return (StatusCode::NOT_FOUND, err("EGeneral:Unknown method"));
    };
    let account = match authenticate(shared, path, headers, body) {
        Ok(a) => a,
        Err(e) => return (StatusCode::OK, err(e)),
    };
    let cost = match method {
        "AddOrder" | "CancelOrder" => 0,
        "QueryTrades" | "TradesHistory" | "Ledgers" | "QueryLedgers" => 2,
        _ => 1,
    };
    if cost > 0 && !shared.charge_api(account, cost) {
        return (StatusCode::OK, err("EAPI:Rate limit exceeded"));
    }
    let p = form(body);
    (StatusCode::OK, private(shared, account, method, &p))
}

/// Checks `API-Key`, the nonce and `API-Sign`; the account or Kraken's error.
fn authenticate(
    shared: &Shared,
    path: &str,
    headers: &hyper::HeaderMap,
    body: &[u8],
) -> Result<usize, &'static str> {
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let key = header("API-Key").ok_or("EAPI:Invalid key")?;
    let sign = header("API-Sign").ok_or("EAPI:Invalid signature")?;
    let (account, secret) = {
        let ex = shared.exchange();
        let account = *ex.keys.get(key).ok_or("EAPI:Invalid key")?;
        let secret = match ex.accounts.get(account).map(|a| a.key()) {
            Some(AccountKey::Hmac(s)) => s.clone(),
            _ => return Err("EAPI:Invalid key"),
        };
        (account, secret)
    };
    let nonce = url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "nonce")
        .map(|(_, v)| v.into_owned())
        .ok_or("EAPI:Invalid nonce")?;
    let secret = base64::engine::general_purpose::STANDARD
        .decode(secret.as_bytes())
        .map_err(|_| "EAPI:Invalid key")?;
    let expected = kraken_api_sign(&secret, path.as_bytes(), nonce.as_bytes(), body);
    if !constant_time_eq(expected.as_bytes(), sign.as_bytes()) {
        return Err("EAPI:Invalid signature");
    }
    let n: u64 = nonce.parse().map_err(|_| "EAPI:Invalid nonce")?;
    if !shared.accept_nonce(account, n) {
        return Err("EAPI:Invalid nonce");
    }
    Ok(account)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The engine symbol a request names (altname `XBTUSD`, REST key `XXBTZUSD`, `XBT/USD`, `BTC/USD`).
fn symbol_of(ex: &Exchange, pair: &str) -> Option<String> {
    ex.specs
        .values()
        .find(|s| {
            s.symbol == pair
                || names::rest_key(s) == pair
                || names::wsname(s) == pair
                || names::ws_symbol(s) == pair
        })
        .map(|s| s.symbol.clone())
}

fn public(shared: &Shared, method: &str, p: &HashMap<String, String>) -> String {
    let ex = shared.exchange();
    match method {
        "Time" => {
            let now = shared.now_ms();
            ok(json!({"unixtime": now / 1000, "rfc1123": names::rfc3339(now)}))
        }
        "AssetPairs" => {
            let wanted: Option<Vec<String>> = match p.get("pair") {
                None => None,
                Some(list) => {
                    let mut v = Vec::new();
                    for name in list.split(',') {
                        match symbol_of(&ex, name) {
                            Some(s) => v.push(s),
                            None => return err("EQuery:Unknown asset pair"),
                        }
                    }
                    Some(v)
                }
            };
            let mut out = Map::new();
            for s in ex.specs.values() {
                if wanted.as_ref().is_none_or(|w| w.contains(&s.symbol)) {
                    out.insert(names::rest_key(s), shapes::asset_pair(s));
                }
            }
            ok(Value::Object(out))
        }
        "Depth" => {
            let Some(symbol) = p.get("pair").and_then(|n| symbol_of(&ex, n)) else {
                return err("EQuery:Unknown asset pair");
            };
            let count = p
                .get("count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(100usize);
            let (Some(spec), Some(book)) = (ex.specs.get(&symbol), ex.books.get(&symbol)) else {
                return err("EQuery:Unknown asset pair");
            };
            let n = shapes::SymbolNames::of(spec);
            let (bids, asks) = book.levels(count.clamp(1, 500));
            let now = shared.now_ms() / 1000;
            let side = |l: Vec<(Decimal, Decimal)>| -> Value {
                l.into_iter()
                    .map(|(p, q)| {
                        json!([names::fixed(p, n.price_dp), names::fixed(q, n.lot_dp), now])
                    })
                    .collect()
            };
            ok(json!({ names::rest_key(spec): {"asks": side(asks), "bids": side(bids)} }))
        }
        _ => err("EGeneral:Unknown method"),
    }
}

fn private(shared: &Shared, account: usize, method: &str, p: &HashMap<String, String>) -> String {
    let now = shared.now_ms();
    let mut ex = shared.exchange();
    let r = match method {
        "Balance" | "BalanceEx" => balances(&ex, account, method == "BalanceEx"),
        "AddOrder" => add_order(shared, &mut ex, account, p, now),
        "CancelOrder" => cancel_order(shared, &mut ex, account, p, now),
        "OpenOrders" | "ClosedOrders" => list_orders(&ex, account, method == "OpenOrders", p),
        "QueryOrders" => query_orders(&ex, account, p),
        "QueryTrades" => query_trades(&ex, account, p),
        "GetWebSocketsToken" => {
            let token: String = {
                use rand::Rng;
                rand::thread_rng()
                    .sample_iter(&rand::distributions::Alphanumeric)
                    .take(40)
                    .map(char::from)
                    .collect()
            };
            lock(&shared.tokens).insert(token.clone(), (account, now));
            Ok(json!({"token": token, "expires": 900}))
        }
        _ => Err("EGeneral:Unknown method"),
    };
    match r {
        Ok(v) => ok(v),
        Err(e) => err(e),
    }
}

type Answer = Result<Value, &'static str>;

fn balances(ex: &Exchange, account: usize, extended: bool) -> Answer {
    let acct = ex.accounts.get(account).ok_or("EAPI:Invalid key")?;
    let mut out = Map::new();
    for (asset, b) in &acct.balances {
        let total = (b.free + b.locked).round_dp(10).normalize().to_string();
        let v = if extended {
            json!({"balance": total, "hold_trade": b.locked.round_dp(10).normalize().to_string()})
        } else {
            json!(total)
        };
        out.insert(asset.clone(), v);
    }
    Ok(Value::Object(out))
}

fn add_order(
    shared: &Shared,
    ex: &mut Exchange,
    account: usize,
    p: &HashMap<String, String>,
    now: u64,
) -> Answer {
    let bad = "EGeneral:Invalid arguments";
    let symbol = symbol_of(ex, p.get("pair").ok_or(bad)?).ok_or("EQuery:Unknown asset pair")?;
    // the fixed count of AddOrder is applied even if the order then fails validation
    if !shared.charge_trading(account, &symbol, 1) {
        return Err("EOrder:Rate limit exceeded");
    }
    let side = match p.get("type").map(String::as_str) {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err("EGeneral:Invalid arguments:type"),
    };
    let post = p
        .get("oflags")
        .is_some_and(|f| f.split(',').any(|f| f == "post"));
    let num = |k: &str| -> Result<Option<Decimal>, &'static str> {
        p.get(k)
            .map(|v| {
                v.parse::<Decimal>()
                    .map_err(|_| "EGeneral:Invalid arguments")
            })
            .transpose()
    };
    let (order_type, price) = match p.get("ordertype").map(String::as_str) {
        Some("market") => (OrderType::Market, None),
        Some("limit") if post => (OrderType::LimitMaker, Some(num("price")?.ok_or(bad)?)),
        Some("limit") => (OrderType::Limit, Some(num("price")?.ok_or(bad)?)),
        _ => return Err("EGeneral:Invalid arguments:ordertype"),
    };
    let tif = match p.get("timeinforce").map(String::as_str) {
        None | Some("GTC") => TimeInForce::Gtc,
        Some("IOC") => TimeInForce::Ioc,
        _ => return Err("EGeneral:Invalid arguments:timeinforce"),
    };
    let cl = p.get("cl_ord_id").cloned();
    if let Some(c) = &cl
        && (c.is_empty() || c.len() > 36)
    {
        return Err("EGeneral:Invalid arguments:cl_ord_id");
    }
    let req = NewOrder {
        symbol: symbol.clone(),
        side,
        order_type,
        tif,
        quantity: Some(num("volume")?.ok_or("EGeneral:Invalid arguments:volume")?),
        quote_order_qty: None,
        price,
        client_order_id: cl,
    };
    let placed = ex.place(account, req, now, false).map_err(engine_error)?;
    let txid = names::order_txid(placed.id);
    let descr = ex
        .orders
        .get(&placed.id)
        .map(|o| {
            format!(
                "{} {} {symbol} @ {}",
                names::side(o.side),
                o.orig_qty.normalize(),
                names::order_type(o.order_type)
            )
        })
        .unwrap_or_default();
    Ok(json!({"descr": {"order": descr}, "txid": [txid]}))
}

/// The engine id of the account's order a request names by `txid` or `cl_ord_id`.
fn find_order(ex: &Exchange, account: usize, p: &HashMap<String, String>) -> Option<u64> {
    if let Some(t) = p.get("txid") {
        let id = names::parse_order_txid(t)?;
        return ex
            .orders
            .get(&id)
            .filter(|o| o.account == account)
            .map(|o| o.id);
    }
    let cl = p.get("cl_ord_id")?;
    // the open order with this id, else the latest one
    let mine = ex
        .orders
        .values()
        .filter(|o| o.account == account && &o.client_order_id == cl);
    let mut latest = None;
    for o in mine {
        if o.status.is_open() {
            return Some(o.id);
        }
        latest = Some(o.id);
    }
    latest
}

fn cancel_order(
    shared: &Shared,
    ex: &mut Exchange,
    account: usize,
    p: &HashMap<String, String>,
    now: u64,
) -> Answer {
    let id = find_order(ex, account, p).ok_or("EOrder:Unknown order")?;
    let (symbol, age_ms) = match ex.orders.get(&id) {
        Some(o) if o.status.is_open() => (o.symbol.clone(), now.saturating_sub(o.time)),
        _ => return Err("EOrder:Unknown order"),
    };
    // the decaying count of a cancel: the younger the order, the more it costs
    let cost = match age_ms / 1000 {
        0..5 => 8,
        5..10 => 6,
        10..15 => 5,
        15..45 => 4,
        45..90 => 2,
        90..300 => 1,
        _ => 0,
    };
    if cost > 0 && !shared.charge_trading(account, &symbol, cost) {
        return Err("EOrder:Rate limit exceeded");
    }
    ex.cancel(account, &symbol, Some(id), None, None, now)
        .map_err(engine_error)?;
    Ok(json!({"count": 1}))
}

fn trades_of(ex: &Exchange, id: u64) -> Vec<String> {
    let Some(o) = ex.orders.get(&id) else {
        return Vec::new();
    };
    ex.trades
        .get(&o.symbol)
        .map(|ts| {
            ts.iter()
                .filter(|t| t.buyer.0 == id || t.seller.0 == id)
                .map(|t| names::trade_txid(t.id))
                .collect()
        })
        .unwrap_or_default()
}

fn info(ex: &Exchange, id: u64, with_trades: bool) -> Option<Value> {
    let o = ex.orders.get(&id)?;
    let spec = ex.specs.get(&o.symbol)?;
    Some(shapes::order_info(
        o,
        spec,
        with_trades.then(|| trades_of(ex, id)),
    ))
}

fn list_orders(ex: &Exchange, account: usize, open: bool, p: &HashMap<String, String>) -> Answer {
    let trades = p.get("trades").is_some_and(|t| t == "true");
    let cl = p.get("cl_ord_id");
    let mut out = Map::new();
    for o in ex.orders.values() {
        if o.account != account || o.status.is_open() != open {
            continue;
        }
        if cl.is_some_and(|c| c != &o.client_order_id) {
            continue;
        }
        if let Some(v) = info(ex, o.id, trades) {
            out.insert(names::order_txid(o.id), v);
        }
    }
    Ok(if open {
        json!({"open": out})
    } else {
        let count = out.len();
        json!({"closed": out, "count": count})
    })
}

fn query_orders(ex: &Exchange, account: usize, p: &HashMap<String, String>) -> Answer {
    let trades = p.get("trades").is_some_and(|t| t == "true");
    let list = p.get("txid").ok_or("EGeneral:Invalid arguments:txid")?;
    let mut out = Map::new();
    for t in list.split(',') {
        let Some(id) = names::parse_order_txid(t) else {
            return Err("EOrder:Invalid order");
        };
        if ex.orders.get(&id).is_some_and(|o| o.account == account)
            && let Some(v) = info(ex, id, trades)
        {
            out.insert(t.to_string(), v);
        }
    }
    if out.is_empty() {
        return Err("EOrder:Unknown order");
    }
    Ok(Value::Object(out))
}

fn query_trades(ex: &Exchange, account: usize, p: &HashMap<String, String>) -> Answer {
    let list = p.get("txid").ok_or("EGeneral:Invalid arguments:txid")?;
    let mut out = Map::new();
    for t in list.split(',') {
        let id = names::parse_trade_txid(t).ok_or("EGeneral:Invalid arguments:txid")?;
        let found = ex.trades.values().flatten().find(|tr| tr.id == id);
        let Some(tr) = found else { continue };
        let order_id = if tr.buyer.1 == account {
            tr.buyer.0
        } else if tr.seller.1 == account {
            tr.seller.0
        } else {
            continue;
        };
        let (Some(o), Some(spec)) = (ex.orders.get(&order_id), ex.specs.get(&tr.symbol)) else {
            continue;
        };
        out.insert(t.to_string(), shapes::trade_info(tr, order_id, o, spec));
    }
    Ok(Value::Object(out))
}
