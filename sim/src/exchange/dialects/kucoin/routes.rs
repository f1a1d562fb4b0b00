//! The simulated KuCoin's REST routes and what each weighs: `GET /api/v1/timestamp`,
//! `/api/v2/symbols`, `/api/v2/symbols/{symbol}`, `/api/v1/market/orderbook/level2_20|_100`,
//! `POST /api/v1/bullet-public`; signed: `POST /api/v1/bullet-private`, `POST /api/v1/orders`,
//! `GET`/`DELETE /api/v1/order/client-order/{clientOid}`, `GET /api/v1/orders?status=active`,
//! `GET /api/v1/fills?orderId=`, `GET /api/v1/accounts?type=trade`.

use hyper::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::error::KuCoinError;
use super::shapes::{account_json, fill_json, ok, order_json, symbol_json};
use super::shared::{Pool, Shared, lock};
use crate::exchange::engine::error::{EngineError, Operation};
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, Order, OrderType, Side, TimeInForce};
use crate::exchange::engine::server::random_token;

/// Longest `clientOid` KuCoin takes.
pub const MAX_CLIENT_OID: usize = 40;

const CLIENT_ORDER: &str = "/api/v1/order/client-order/";

/// The pool an endpoint draws on, its weight (KuCoin's table, VIP 0), and whether it is signed.
pub fn weight(method: &Method, path: &str) -> (Pool, u64, bool) {
    match (method.as_str(), path) {
        ("GET", "/api/v1/timestamp") => (Pool::Public, 3, false),
        ("GET", "/api/v1/market/orderbook/level2_20") => (Pool::Public, 2, false),
        ("GET", "/api/v1/market/orderbook/level2_100") => (Pool::Public, 4, false),
        ("POST", "/api/v1/bullet-public") => (Pool::Public, 10, false),
        ("GET", p) if p.starts_with("/api/v2/symbols") => (Pool::Public, 4, false),
        ("POST", "/api/v1/bullet-private") => (Pool::Spot, 10, true),
        ("POST", "/api/v1/orders") => (Pool::Spot, 2, true),
        ("DELETE", p) if p.starts_with(CLIENT_ORDER) => (Pool::Spot, 5, true),
        ("GET", p) if p.starts_with(CLIENT_ORDER) => (Pool::Spot, 3, true),
        ("GET", "/api/v1/orders") => (Pool::Spot, 2, true),
        ("GET", "/api/v1/fills") => (Pool::Spot, 10, true),
        ("GET", "/api/v1/accounts") => (Pool::Management, 5, true),
        _ => (Pool::Public, 1, false),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn need(account: Option<usize>) -> Result<usize, KuCoinError> {
    account.ok_or_else(|| KuCoinError::new(401, super::error::code::KEY_MISSING, "Unauthorized"))
}

fn symbol_param(query: &str) -> Result<String, KuCoinError> {
    query_param(query, "symbol").ok_or_else(|| KuCoinError::invalid_param("symbol is required"))
}

/// `currentPage`/`pageSize` of a listing as KuCoin pages it.
fn page(query: &str, items: Vec<Value>) -> Value {
    let size: usize = query_param(query, "pageSize")
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
        .clamp(10, 500);
    let current: usize = query_param(query, "currentPage")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1);
    let total = items.len();
    let pages = total.div_ceil(size).max(1);
    let shown: Vec<Value> = items
        .into_iter()
        .skip((current - 1) * size)
        .take(size)
        .collect();
    json!({"currentPage": current, "pageSize": size, "totalNum": total, "totalPage": pages, "items": shown})
}

/// The account's most recent order with this client id.
fn by_client_oid<'a>(ex: &'a Exchange, account: usize, oid: &str) -> Option<&'a Order> {
    ex.orders
        .values()
        .rev()
        .find(|o| o.account == account && o.client_order_id == oid)
}

fn bullet(shared: &Shared, account: Option<usize>) -> Value {
    let token = random_token(48);
    lock(&shared.tokens).insert(token.clone(), account);
    ok(json!({
        "token": token,
        "instanceServers": [{
            "endpoint": shared.ws_endpoint,
            "encrypt": false,
            "protocol": "websocket",
            "pingInterval": shared.ping_interval_ms,
            "pingTimeout": shared.ping_timeout_ms
        }]
    }))
}

/// Answers one verified request.
pub fn route(
    shared: &Shared,
    method: &Method,
    path: &str,
    query: &str,
    body: &[u8],
    account: Option<usize>,
    now: u64,
) -> Result<Value, KuCoinError> {
    match (method.as_str(), path) {
        ("POST", "/api/v1/bullet-public") => return Ok(bullet(shared, None)),
        ("POST", "/api/v1/bullet-private") => return Ok(bullet(shared, Some(need(account)?))),
        _ => {}
    }
    let mut ex = shared.exchange();
    match (method.as_str(), path) {
        ("GET", "/api/v1/timestamp") => Ok(ok(json!(now))),
        ("GET", "/api/v2/symbols") => Ok(ok(Value::Array(
            ex.specs
                .keys()
                .filter_map(|s| ex.listed_spec(s).ok())
                .map(|s| symbol_json(&s))
                .collect(),
        ))),
        ("GET", p) if p.starts_with("/api/v2/symbols/") => Ok(ok(symbol_json(
            &ex.listed_spec(&p["/api/v2/symbols/".len()..])?,
        ))),
        ("GET", p) if p.starts_with("/api/v1/market/orderbook/level2_") => {
            let depth = if p.ends_with("_20") { 20 } else { 100 };
            let symbol = symbol_param(query)?;
            let book = ex.books.get(&symbol).ok_or(EngineError::UnknownSymbol)?;
            let (bids, asks) = book.levels(depth);
            let lv = |l: &[(Decimal, Decimal)]| -> Value {
                l.iter()
                    .map(|(p, q)| json!([p.normalize().to_string(), q.normalize().to_string()]))
                    .collect()
            };
            Ok(ok(
                json!({"time": now, "sequence": book.update_id.to_string(),
                         "bids": lv(&bids), "asks": lv(&asks)}),
            ))
        }
        ("POST", "/api/v1/orders") => place(&mut ex, need(account)?, body, now),
        ("DELETE", p) if p.starts_with(CLIENT_ORDER) => {
            let acct = need(account)?;
            let oid = &p[CLIENT_ORDER.len()..];
            let (id, symbol) = by_client_oid(&ex, acct, oid)
                .filter(|o| o.status.is_open())
                .map(|o| (o.id, o.symbol.clone()))
                .ok_or(EngineError::UnknownOrder(Operation::Cancel))?;
            ex.cancel(acct, &symbol, Some(id), None, None, now)?;
            Ok(ok(
                json!({"cancelledOrderId": id.to_string(), "clientOid": oid}),
            ))
        }
        ("GET", p) if p.starts_with(CLIENT_ORDER) => {
            let acct = need(account)?;
            let o = by_client_oid(&ex, acct, &p[CLIENT_ORDER.len()..])
                .ok_or_else(KuCoinError::order_not_exist)?;
            let (fee, cur) = ex.fee_paid(o);
            Ok(ok(order_json(o, fee, &cur)))
        }
        ("GET", "/api/v1/orders") => {
            let acct = need(account)?;
            if query_param(query, "status").as_deref() != Some("active") {
                return Err(KuCoinError::invalid_param(
                    "the simulator lists active orders only",
                ));
            }
            let symbol = query_param(query, "symbol");
            if let Some(s) = &symbol {
                ex.spec(s)?;
            }
            let items = ex
                .open_orders(acct, symbol.as_deref())
                .into_iter()
                .rev()
                .map(|o| {
                    let (fee, cur) = ex.fee_paid(o);
                    order_json(o, fee, &cur)
                })
                .collect();
            Ok(ok(page(query, items)))
        }
        ("GET", "/api/v1/fills") => {
            let acct = need(account)?;
            let order: Option<u64> = match query_param(query, "orderId") {
                Some(o) => Some(
                    o.parse()
                        .map_err(|_| KuCoinError::invalid_param("orderId"))?,
                ),
                None => None,
            };
            let symbol = query_param(query, "symbol");
            let mut items = Vec::new();
            for (sym, trades) in &ex.trades {
                if symbol.as_ref().is_some_and(|s| s != sym) {
                    continue;
                }
                let spec = ex.spec(sym)?;
                for t in trades.iter().rev() {
                    let mine = |(o, a): (u64, usize)| a == acct && order.is_none_or(|id| id == o);
                    let maker = (t.buyer_is_maker && mine(t.buyer))
                        || (!t.buyer_is_maker && mine(t.seller));
                    let rate = if maker {
                        spec.maker_fee
                    } else {
                        spec.taker_fee
                    };
                    if mine(t.buyer) || mine(t.seller) {
                        items.extend(fill_json(t, acct, rate));
                    }
                }
            }
            Ok(ok(page(query, items)))
        }
        ("GET", "/api/v1/accounts") => {
            let acct = need(account)?;
            let a = ex.accounts.get(acct).ok_or(EngineError::UnknownAccount)?;
            if query_param(query, "type").is_some_and(|t| t != "trade") {
                return Ok(ok(json!([])));
            }
            Ok(ok(Value::Array(
                a.balances
                    .iter()
                    .filter(|(c, _)| query_param(query, "currency").is_none_or(|w| &w == *c))
                    .map(|(c, b)| account_json(c, b))
                    .collect(),
            )))
        }
        _ => Err(KuCoinError::not_found()),
    }
}

fn dec_field(v: &Value, name: &str) -> Result<Option<Decimal>, KuCoinError> {
    match v.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| KuCoinError::invalid_param(format!("{name} is not a number"))),
        Some(_) => Err(KuCoinError::invalid_param(format!(
            "{name} must be a string"
        ))),
    }
}

/// `POST /api/v1/orders`: the JSON body checked, the order placed in the engine.
fn place(ex: &mut Exchange, account: usize, body: &[u8], now: u64) -> Result<Value, KuCoinError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|_| KuCoinError::invalid_param("the body is not JSON"))?;
    let s = |name: &str| v.get(name).and_then(Value::as_str).map(str::to_string);
    let oid = s("clientOid").ok_or_else(|| KuCoinError::invalid_param("clientOid is required"))?;
    if oid.is_empty()
        || oid.len() > MAX_CLIENT_OID
        || !oid
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(KuCoinError::invalid_param(
            "clientOid: at most 40 letters, digits, - or _",
        ));
    }
    if by_client_oid(ex, account, &oid).is_some() {
        return Err(KuCoinError::invalid_param("clientOid duplicated"));
    }
    let symbol = s("symbol").ok_or_else(|| KuCoinError::invalid_param("symbol is required"))?;
    let side = match s("side").as_deref() {
        Some("buy") => Side::Buy,
        Some("sell") => Side::Sell,
        _ => return Err(KuCoinError::invalid_param("side must be buy or sell")),
    };
    let size = dec_field(&v, "size")?;
    let funds = dec_field(&v, "funds")?;
    let price = dec_field(&v, "price")?;
    let post_only = v.get("postOnly").and_then(Value::as_bool).unwrap_or(false);
    let tif = s("timeInForce").unwrap_or_else(|| "GTC".into());
    let market = match s("type").as_deref() {
        Some("limit") | None => false,
        Some("market") => true,
        _ => return Err(KuCoinError::invalid_param("type must be limit or market")),
    };
    let (order_type, tif) = match (market, tif.as_str(), post_only) {
        (true, _, _) => (OrderType::Market, TimeInForce::Ioc),
        (false, "GTC", true) => (OrderType::LimitMaker, TimeInForce::Gtc),
        (false, _, true) => {
            return Err(KuCoinError::invalid_param(
                "postOnly is not allowed with IOC or FOK",
            ));
        }
        (false, "GTC", false) => (OrderType::Limit, TimeInForce::Gtc),
        (false, "IOC", false) => (OrderType::Limit, TimeInForce::Ioc),
        (false, "FOK", false) => (OrderType::Limit, TimeInForce::Fok),
        _ => {
            return Err(KuCoinError::invalid_param(
                "timeInForce must be GTC, IOC or FOK",
            ));
        }
    };
    let (quantity, quote_order_qty) = match (market, size, funds, price) {
        (false, Some(q), None, Some(_)) => (Some(q), None),
        (false, _, _, None) => return Err(KuCoinError::invalid_param("price is required")),
        (true, Some(q), None, _) => (Some(q), None),
        (true, None, Some(f), _) => (None, Some(f)),
        _ => {
            return Err(KuCoinError::invalid_param(
                "exactly one of size and funds (limit orders: size)",
            ));
        }
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
            client_order_id: Some(oid),
        },
        now,
        false,
    )?;
    Ok(ok(json!({"orderId": placed.id.to_string()})))
}
