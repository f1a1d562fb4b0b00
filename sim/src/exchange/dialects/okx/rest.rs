//! The simulated OKX's REST API (HTTP/1.1 on 127.0.0.1): the v5 endpoints a spot connector uses,
//! per-endpoint rate limits (429 `50011`), the verification of every private request's
//! signature, OKX's envelope (`{"code":"0","msg":"","data":[…]}`; an order item's refusal is
//! `code` `"1"` with its `sCode`/`sMsg`, under HTTP 200), and injected HTTP faults.

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::auth::{RestAuth, verify_rest};
use super::error::OkxError;
use super::shapes::{account_json, instrument_json, level_json, num, order_json, side_name};
use super::shared::{HttpFault, Shared};
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};

pub use crate::exchange::engine::server::Dropped;

/// Largest request body read.
const MAX_BODY: usize = 64 * 1024;

fn ok(data: Vec<Value>) -> (u16, String) {
    (
        200,
        json!({"code": "0", "msg": "", "data": data}).to_string(),
    )
}

fn response(status: u16, body: String, content_type: &str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if let Ok(v) = HeaderValue::from_str(content_type) {
        r.headers_mut().insert(CONTENT_TYPE, v);
    }
    r
}

/// Serves one HTTP request.
pub async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |n: &str| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (key, sign, ts, pass) = (
        header("OK-ACCESS-KEY"),
        header("OK-ACCESS-SIGN"),
        header("OK-ACCESS-TIMESTAMP"),
        header("OK-ACCESS-PASSPHRASE"),
    );
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return Ok(response(
                413,
                OkxError::param("body").body(),
                "application/json",
            ));
        }
    };
    let now = shared.now_ms();
    let fault = shared.next_http_fault();
    let admitted = super::shared::lock(&shared.limits).admit(&method, &path, now);
    if !admitted || fault == Some(HttpFault::TooManyRequests) {
        let e = OkxError::rate_limited();
        return Ok(response(e.status, e.body(), "application/json"));
    }
    let path_and_query = if query.is_empty() {
        path.clone()
    } else {
        format!("{path}?{query}")
    };
    let auth = RestAuth {
        key: key.as_deref(),
        sign: sign.as_deref(),
        timestamp: ts.as_deref(),
        passphrase: pass.as_deref(),
    };
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let (status, text) = match serve(
        &shared,
        &method,
        &path,
        &params,
        &body,
        &auth,
        &path_and_query,
    ) {
        Ok(r) => r,
        Err(e) => (e.status, e.body()),
    };
    match fault {
        None | Some(HttpFault::TooManyRequests) => Ok(response(status, text, "application/json")),
        Some(HttpFault::HtmlPage { status }) => Ok(response(
            status,
            format!(
                "<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway</h1></center></body></html>"
            ),
            "text/html",
        )),
        Some(HttpFault::TruncatedJson) => {
            let cut = text.len() / 2;
            Ok(response(
                status,
                text.get(..cut).unwrap_or("").to_string(),
                "application/json",
            ))
        }
        Some(HttpFault::Body { status, body }) => Ok(response(status, body, "application/json")),
        Some(HttpFault::DropConnection) => Err(Dropped),
    }
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn serve(
    shared: &Shared,
    method: &str,
    path: &str,
    params: &[(String, String)],
    body: &[u8],
    auth: &RestAuth<'_>,
    path_and_query: &str,
) -> Result<(u16, String), OkxError> {
    let now = shared.now_ms();
    match (method, path) {
        ("GET", "/api/v5/public/time") => return Ok(ok(vec![json!({"ts": now.to_string()})])),
        ("GET", "/api/v5/public/instruments") => return instruments(shared, params),
        ("GET", "/api/v5/market/books") => return books(shared, params),
        ("POST", "/api/v5/trade/order")
        | ("POST", "/api/v5/trade/cancel-order")
        | ("GET", "/api/v5/trade/order")
        | ("GET", "/api/v5/trade/orders-pending")
        | ("GET", "/api/v5/trade/fills")
        | ("GET", "/api/v5/account/balance") => {}
        _ => return Err(OkxError::new(404, 404, "Not Found")),
    }
    let now_i = i64::try_from(now).unwrap_or(i64::MAX);
    let key = verify_rest(auth, method, path_and_query, body, now_i, |k| {
        shared.credentials(k)
    })?;
    let account = shared
        .account_of(&key)
        .ok_or_else(|| OkxError::new(401, 50111, "Invalid OK-ACCESS-KEY."))?;
    match (method, path) {
        ("POST", "/api/v5/trade/order") => place(shared, account, body),
        ("POST", "/api/v5/trade/cancel-order") => cancel(shared, account, body),
        ("GET", "/api/v5/trade/order") => {
            let inst = param(params, "instId").ok_or_else(|| OkxError::param("instId"))?;
            let ord_id = param(params, "ordId").and_then(|v| v.parse::<u64>().ok());
            let cl = param(params, "clOrdId");
            if ord_id.is_none() && cl.is_none() {
                return Err(OkxError::param("ordId"));
            }
            let ex = shared.exchange();
            match ex.query(account, inst, ord_id, cl) {
                Ok(o) => Ok(ok(vec![order_json(o)])),
                Err(e) => {
                    let e = OkxError::from(e);
                    Ok((
                        200,
                        json!({"code": e.code.to_string(), "msg": e.msg, "data": []}).to_string(),
                    ))
                }
            }
        }
        ("GET", "/api/v5/trade/orders-pending") => {
            let inst = param(params, "instId");
            let ex = shared.exchange();
            Ok(ok(ex
                .open_orders(account, inst)
                .into_iter()
                .map(order_json)
                .collect()))
        }
        ("GET", "/api/v5/trade/fills") => Ok(ok(fills(shared, account, params))),
        ("GET", "/api/v5/account/balance") => {
            let ex = shared.exchange();
            let acct = ex
                .accounts
                .get(account)
                .ok_or_else(|| OkxError::new(401, 50111, "Invalid OK-ACCESS-KEY."))?;
            let all: Vec<_> = acct
                .balances
                .iter()
                .filter(|(_, b)| !(b.free + b.locked).is_zero())
                .map(|(a, b)| (a.clone(), *b))
                .collect();
            Ok(ok(vec![account_json(&all, acct.update_time)]))
        }
        _ => Err(OkxError::new(404, 404, "Not Found")),
    }
}

fn instruments(shared: &Shared, params: &[(String, String)]) -> Result<(u16, String), OkxError> {
    match param(params, "instType") {
        Some("SPOT") => {}
        Some("MARGIN" | "SWAP" | "FUTURES" | "OPTION") => return Ok(ok(Vec::new())),
        _ => return Err(OkxError::param("instType")),
    }
    let ex = shared.exchange();
    match param(params, "instId") {
        Some(id) => {
            let spec = ex.listed_spec(id).map_err(|_| OkxError::instrument())?;
            Ok(ok(vec![instrument_json(&spec)]))
        }
        None => Ok(ok(ex
            .specs
            .keys()
            .filter_map(|s| ex.listed_spec(s).ok())
            .map(|s| instrument_json(&s))
            .collect())),
    }
}

fn books(shared: &Shared, params: &[(String, String)]) -> Result<(u16, String), OkxError> {
    let inst = param(params, "instId").ok_or_else(|| OkxError::param("instId"))?;
    let sz = match param(params, "sz") {
        None => 1,
        Some(s) => s
            .parse::<usize>()
            .map_err(|_| OkxError::param("sz"))?
            .clamp(1, 400),
    };
    let ex = shared.exchange();
    let book = ex.books.get(inst).ok_or_else(OkxError::instrument)?;
    let (bids, asks) = book.levels(sz);
    Ok(ok(vec![json!({
        "asks": asks.iter().map(level_json).collect::<Vec<_>>(),
        "bids": bids.iter().map(level_json).collect::<Vec<_>>(),
        "ts": shared.now_ms().to_string(),
    })]))
}

/// The body of a place or cancel request.
fn body_json(body: &[u8]) -> Result<Value, OkxError> {
    serde_json::from_slice(body).map_err(|_| OkxError::new(400, 50002, "Invalid JSON format"))
}

fn s<'a>(v: &'a Value, name: &str) -> Option<&'a str> {
    v.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

fn dec(v: &Value, name: &str) -> Result<Option<Decimal>, OkxError> {
    match s(v, name) {
        None => Ok(None),
        Some(t) => t
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| OkxError::param(name)),
    }
}

/// An order item's answer (`code` `"0"`, or `"1"` with the item's `sCode`).
fn item_answer(cl: &str, ord_id: Option<u64>, err: Option<OkxError>, now: u64) -> (u16, String) {
    let (code, s_code, s_msg, msg) = match &err {
        None => ("0", "0".to_string(), "Order placed".to_string(), ""),
        Some(e) => (
            "1",
            e.code.to_string(),
            e.msg.clone(),
            "All operations failed",
        ),
    };
    let body = json!({
        "code": code,
        "msg": msg,
        "data": [{
            "clOrdId": cl,
            "ordId": ord_id.map(|i| i.to_string()).unwrap_or_default(),
            "tag": "",
            "ts": now.to_string(),
            "sCode": s_code,
            "sMsg": s_msg,
        }],
        "inTime": (now * 1000).to_string(),
        "outTime": (now * 1000).to_string(),
    });
    (200, body.to_string())
}

fn place(shared: &Shared, account: usize, body: &[u8]) -> Result<(u16, String), OkxError> {
    let v = body_json(body)?;
    let now = shared.now_ms();
    let cl = s(&v, "clOrdId").unwrap_or("");
    if cl.len() > 32 || !cl.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Ok(item_answer(
            cl,
            None,
            Some(OkxError::new(200, 51000, "Parameter clOrdId error")),
            now,
        ));
    }
    let req = match new_order(&v) {
        Ok(r) => r,
        Err(e) => return Ok(item_answer(cl, None, Some(e), now)),
    };
    if s(&v, "tdMode") != Some("cash") {
        return Ok(item_answer(
            cl,
            None,
            Some(OkxError::new(200, 51000, "Parameter tdMode error")),
            now,
        ));
    }
    let mut ex = shared.exchange();
    let r = ex.place(account, req, now, false);
    ex.first_fills.clear();
    Ok(match r {
        Ok(p) => item_answer(cl, Some(p.id), None, now),
        Err(e) => item_answer(cl, None, Some(e.into()), now),
    })
}

fn new_order(v: &Value) -> Result<NewOrder, OkxError> {
    let symbol = s(v, "instId").ok_or_else(|| OkxError::param("instId"))?;
    let side = match s(v, "side") {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err(OkxError::new(200, 51000, "Parameter side error")),
    };
    let (order_type, tif) = match s(v, "ordType") {
        Some("limit") => (OrderType::Limit, TimeInForce::Gtc),
        Some("post_only") => (OrderType::LimitMaker, TimeInForce::Gtc),
        Some("ioc") => (OrderType::Limit, TimeInForce::Ioc),
        Some("fok") => (OrderType::Limit, TimeInForce::Fok),
        Some("market") => (OrderType::Market, TimeInForce::Gtc),
        _ => return Err(OkxError::new(200, 51000, "Parameter ordType error")),
    };
    let sz = dec(v, "sz")?.ok_or_else(|| OkxError::new(200, 51000, "Parameter sz error"))?;
    let px = dec(v, "px")?;
    if order_type != OrderType::Market && px.is_none() {
        return Err(OkxError::new(200, 51000, "Parameter px error"));
    }
    // A spot market buy is sized in the quote currency unless `tgtCcy` is `base_ccy`.
    let quote_sized = order_type == OrderType::Market
        && match s(v, "tgtCcy") {
            Some("base_ccy") => false,
            Some("quote_ccy") => true,
            _ => side == Side::Buy,
        };
    Ok(NewOrder {
        symbol: symbol.to_string(),
        side,
        order_type,
        tif,
        quantity: (!quote_sized).then_some(sz),
        quote_order_qty: quote_sized.then_some(sz),
        price: px.filter(|_| order_type != OrderType::Market),
        client_order_id: s(v, "clOrdId").map(str::to_string),
    })
}

fn cancel(shared: &Shared, account: usize, body: &[u8]) -> Result<(u16, String), OkxError> {
    let v = body_json(body)?;
    let now = shared.now_ms();
    let inst = s(&v, "instId").ok_or_else(|| OkxError::param("instId"))?;
    let ord_id = s(&v, "ordId").and_then(|i| i.parse::<u64>().ok());
    let cl = s(&v, "clOrdId");
    if ord_id.is_none() && cl.is_none() {
        return Err(OkxError::param("ordId"));
    }
    let mut ex = shared.exchange();
    let r = ex.cancel(account, inst, ord_id, cl, None, now);
    let answer = |id, err: Option<OkxError>| {
        let (code, s_code, s_msg) = match &err {
            None => ("0", "0".to_string(), String::new()),
            Some(e) => ("1", e.code.to_string(), e.msg.clone()),
        };
        (200, json!({"code": code, "msg": "", "data": [{
            "clOrdId": cl.unwrap_or(""), "ordId": id, "sCode": s_code, "sMsg": s_msg, "ts": now.to_string()
        }]}).to_string())
    };
    Ok(match r {
        Ok(c) => answer(c.id.to_string(), None),
        Err(e) => answer(
            ord_id.map(|i| i.to_string()).unwrap_or_default(),
            Some(e.into()),
        ),
    })
}

fn fills(shared: &Shared, account: usize, params: &[(String, String)]) -> Vec<Value> {
    let inst = param(params, "instId");
    let ord = param(params, "ordId").and_then(|o| o.parse::<u64>().ok());
    let ex = shared.exchange();
    let mut out = Vec::new();
    for t in ex.trades.values().flatten() {
        if inst.is_some_and(|i| i != t.symbol) {
            continue;
        }
        for (mine, side) in [(t.buyer, Side::Buy), (t.seller, Side::Sell)] {
            if mine.1 != account || ord.is_some_and(|o| o != mine.0) {
                continue;
            }
            let (fee, fee_ccy) = match side {
                Side::Buy => (t.commissions.0, &t.assets.0),
                Side::Sell => (t.commissions.1, &t.assets.1),
            };
            let maker = (side == Side::Buy) == t.buyer_is_maker;
            let cl = ex
                .orders
                .get(&mine.0)
                .map(|o| o.client_order_id.clone())
                .unwrap_or_default();
            out.push(json!({
                "instType": "SPOT",
                "instId": t.symbol,
                "tradeId": t.id.to_string(),
                "ordId": mine.0.to_string(),
                "clOrdId": cl,
                "billId": t.id.to_string(),
                "fillPx": num(t.price),
                "fillSz": num(t.qty),
                "side": side_name(side),
                "execType": if maker { "M" } else { "T" },
                "fee": num(-fee),
                "feeCcy": fee_ccy,
                "ts": t.time.to_string(),
            }));
        }
    }
    out
}
