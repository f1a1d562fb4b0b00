//! The private endpoints of the simulated dYdX v3, each request verified first (`auth.rs`):
//! `POST /v3/orders` (the STARK signature, the expiry, `limitFee` at least the fee it may pay,
//! `reduceOnly` only reducing), `DELETE /v3/orders/:id`, `GET /v3/orders` (by status and market),
//! `/v3/orders/:id`, `/v3/orders/client/:id`, `/v3/active-orders`, `/v3/fills`, `/v3/accounts`,
//! `/v3/accounts/:id` (equity, free collateral, open positions) and `/v3/funding`.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;

use super::account::positions;
use super::auth::verify_order;
use super::server::Shared;
use super::shapes::{self, DydxError, num};
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};
use crate::exchange::engine::server::lock;

type Params = HashMap<String, String>;

/// The initial margin fraction every market asks.
pub const INITIAL_MARGIN: Decimal = rust_decimal_macros::dec!(0.05);

/// A private request's answer.
pub fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    q: &Params,
    body: &str,
    now: u64,
) -> Result<Value, DydxError> {
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, parts.as_slice()) {
        ("POST", ["v3", "orders"]) => create(shared, body, now),
        ("DELETE", ["v3", "orders", id]) => {
            let id: u64 = id
                .parse()
                .map_err(|_| DydxError::new(404, "Order not found"))?;
            let mut ex = shared.exchange();
            let symbol = ex
                .orders
                .get(&id)
                .filter(|o| o.account == shared.account)
                .map(|o| o.symbol.clone())
                .ok_or_else(|| DydxError::new(404, "Order not found"))?;
            ex.cancel(shared.account, &symbol, Some(id), None, None, now)?;
            let o = ex.query(shared.account, &symbol, Some(id), None)?;
            Ok(json!({"cancelOrder": shapes::order(o, &shared.account_id)}))
        }
        ("GET", ["v3", "orders", "client", cid]) => {
            let ex = shared.exchange();
            let o = ex
                .orders
                .values()
                .filter(|o| o.account == shared.account && o.client_order_id == *cid)
                .max_by_key(|o| o.id)
                .ok_or_else(|| DydxError::new(404, "Order not found"))?;
            Ok(json!({"order": shapes::order(o, &shared.account_id)}))
        }
        ("GET", ["v3", "orders", id]) => {
            let ex = shared.exchange();
            let o = id
                .parse::<u64>()
                .ok()
                .and_then(|id| ex.orders.get(&id))
                .filter(|o| o.account == shared.account)
                .ok_or_else(|| DydxError::new(404, "Order not found"))?;
            Ok(json!({"order": shapes::order(o, &shared.account_id)}))
        }
        ("GET", ["v3", "orders"]) => {
            let ex = shared.exchange();
            let status = q.get("status").map(String::as_str);
            let orders: Vec<Value> = ex
                .orders
                .values()
                .filter(|o| o.account == shared.account)
                .filter(|o| q.get("market").is_none_or(|m| *m == o.symbol))
                .map(|o| shapes::order(o, &shared.account_id))
                .filter(|v| status.is_none_or(|s| v["status"] == s))
                .collect();
            Ok(json!({"orders": orders}))
        }
        ("GET", ["v3", "active-orders"]) => {
            let market = q
                .get("market")
                .ok_or_else(|| DydxError::bad("Invalid value (market)"))?;
            let ex = shared.exchange();
            let orders: Vec<Value> = ex
                .open_orders(shared.account, Some(market))
                .into_iter()
                .map(|o| {
                    json!({"id": o.id.to_string(), "accountId": shared.account_id, "market": o.symbol,
                        "side": if o.side == Side::Buy { "BUY" } else { "SELL" },
                        "price": num(o.price), "remainingSize": num(o.remaining()),
                        "createdAt": iso8601_millis(o.time)})
                })
                .collect();
            Ok(json!({"orders": orders}))
        }
        ("GET", ["v3", "fills"]) => Ok(fills(shared, q)),
        ("GET", ["v3", "accounts"]) => Ok(json!({"accounts": [account(shared)]})),
        ("GET", ["v3", "accounts", id]) if *id == shared.account_id => {
            Ok(json!({"account": account(shared)}))
        }
        ("GET", ["v3", "accounts", _]) => Err(DydxError::new(404, "Account not found")),
        ("GET", ["v3", "funding"]) => {
            let payments: Vec<Value> = lock(&shared.funding)
                .iter()
                .filter(|p| q.get("market").is_none_or(|m| *m == p.market))
                .map(|p| {
                    json!({"market": p.market, "payment": num(p.payment), "rate": num(p.rate),
                        "positionSize": num(p.position_size), "price": num(p.price),
                        "effectiveAt": iso8601_millis(p.time)})
                })
                .collect();
            Ok(json!({"fundingPayments": payments}))
        }
        _ => Err(DydxError::new(404, format!("Cannot {method} {path}"))),
    }
}

fn flag(doc: &Value, name: &str) -> Result<bool, DydxError> {
    match doc.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(DydxError::bad(format!("Invalid value ({name})"))),
    }
}

fn decimal(doc: &Value, name: &str) -> Result<Decimal, DydxError> {
    doc.get(name)
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| DydxError::bad(format!("Invalid value ({name})")))
}

fn create(shared: &Shared, body: &str, now: u64) -> Result<Value, DydxError> {
    let doc: Value = serde_json::from_str(body).map_err(|_| DydxError::bad("Invalid JSON body"))?;
    let expiration = verify_order(&shared.keys, &doc, shared.network_id)?;
    if expiration <= now {
        return Err(DydxError::bad("Order expiration must be in the future"));
    }
    let market = doc["market"].as_str().unwrap_or_default().to_string();
    let side = if doc["side"] == "BUY" {
        Side::Buy
    } else {
        Side::Sell
    };
    let size = decimal(&doc, "size")?;
    let price = decimal(&doc, "price")?;
    let limit_fee = decimal(&doc, "limitFee")?;
    let post_only = flag(&doc, "postOnly")?;
    let reduce_only = flag(&doc, "reduceOnly")?;
    let (order_type, tif) = match (doc["type"].as_str(), doc["timeInForce"].as_str()) {
        (Some("LIMIT"), Some("GTT")) if post_only => (OrderType::LimitMaker, TimeInForce::Gtc),
        (Some("LIMIT"), Some("GTT")) => (OrderType::Limit, TimeInForce::Gtc),
        (Some("LIMIT" | "MARKET"), Some("IOC")) if !post_only => {
            (OrderType::Limit, TimeInForce::Ioc)
        }
        (Some("LIMIT" | "MARKET"), Some("FOK")) if !post_only => {
            (OrderType::Limit, TimeInForce::Fok)
        }
        _ => {
            return Err(DydxError::bad(
                "Invalid value (type, timeInForce or postOnly)",
            ));
        }
    };
    let mut ex = shared.exchange();
    let spec = ex.spec(&market)?.clone();
    let fee = if post_only {
        spec.maker_fee
    } else {
        spec.taker_fee
    };
    if limit_fee < fee {
        return Err(DydxError::bad(format!(
            "Order limitFee {limit_fee} is below the account's fee rate {fee}"
        )));
    }
    let held = positions(&ex, shared.account)
        .get(&market)
        .map_or(Decimal::ZERO, |b| b.size);
    if reduce_only {
        let reduces = match side {
            Side::Buy => held < Decimal::ZERO && size <= -held,
            Side::Sell => held > Decimal::ZERO && size <= held,
        };
        if !reduces {
            return Err(DydxError::bad(
                "Reduce-only order would increase the position size",
            ));
        }
    } else if size * price * INITIAL_MARGIN > free_collateral(shared, &ex) {
        return Err(DydxError::bad("Insufficient collateral for the order"));
    }
    let client_id = doc["clientId"].as_str().map(str::to_string);
    let placed = ex.place(
        shared.account,
        NewOrder {
            symbol: market.clone(),
            side,
            order_type,
            tif,
            quantity: Some(size),
            quote_order_qty: None,
            price: Some(price),
            client_order_id: client_id,
        },
        now,
        true,
    )?;
    let o = ex.query(shared.account, &market, Some(placed.id), None)?;
    Ok(json!({"order": shapes::order(o, &shared.account_id)}))
}

/// Collateral: deposit + realized − fees + funding (+ unrealized at the mark for equity).
fn collateral(
    shared: &Shared,
    ex: &crate::exchange::engine::exchange::Exchange,
) -> (Decimal, Decimal) {
    let books = positions(ex, shared.account);
    let funding: Decimal = lock(&shared.funding).iter().map(|p| p.payment).sum();
    let realized: Decimal = books.values().map(|b| b.realized - b.fees).sum();
    let quote = shared.deposit + realized + funding;
    let unrealized: Decimal = books
        .iter()
        .map(|(m, b)| b.unrealized(shared.mark(ex, m).unwrap_or(b.entry())))
        .sum();
    (quote, quote + unrealized)
}

fn free_collateral(shared: &Shared, ex: &crate::exchange::engine::exchange::Exchange) -> Decimal {
    let (_, equity) = collateral(shared, ex);
    let positions_im: Decimal = positions(ex, shared.account)
        .iter()
        .map(|(m, b)| b.size.abs() * shared.mark(ex, m).unwrap_or(b.entry()) * INITIAL_MARGIN)
        .sum();
    let orders_im: Decimal = ex
        .open_orders(shared.account, None)
        .iter()
        .map(|o| o.remaining() * o.price * INITIAL_MARGIN)
        .sum();
    equity - positions_im - orders_im
}

/// The account document.
pub fn account(shared: &Shared) -> Value {
    let ex = shared.exchange();
    let (quote, equity) = collateral(shared, &ex);
    let mut open = serde_json::Map::new();
    for (m, b) in positions(&ex, shared.account) {
        if b.size.is_zero() {
            continue;
        }
        let mark = shared.mark(&ex, &m).unwrap_or(b.entry());
        open.insert(
            m.clone(),
            json!({"market": m, "status": "OPEN", "side": if b.size > Decimal::ZERO { "LONG" } else { "SHORT" },
                "size": num(b.size), "maxSize": num(b.size), "entryPrice": num(b.entry()),
                "exitPrice": null, "unrealizedPnl": num(b.unrealized(mark).round_dp(6)),
                "realizedPnl": num(b.realized - b.fees), "createdAt": iso8601_millis(0),
                "closedAt": null, "netFunding": "0", "sumOpen": num(b.size.abs()), "sumClose": "0"}),
        );
    }
    json!({
        "starkKey": format!("{:#x}", shared.keys.stark_public_key),
        "positionId": shared.keys.position_id.to_string(),
        "equity": num(equity.round_dp(6)),
        "freeCollateral": num(free_collateral(shared, &ex).round_dp(6)),
        "pendingDeposits": "0", "pendingWithdrawals": "0",
        "openPositions": open,
        "accountNumber": "0", "id": shared.account_id,
        "quoteBalance": num(quote.round_dp(6)),
        "createdAt": iso8601_millis(0),
    })
}

fn fills(shared: &Shared, q: &Params) -> Value {
    let ex = shared.exchange();
    let order_id: Option<u64> = q.get("orderId").and_then(|i| i.parse().ok());
    let mut out = Vec::new();
    for (market, trades) in &ex.trades {
        if q.get("market").is_some_and(|m| m != market) {
            continue;
        }
        let Ok(spec) = ex.spec(market) else { continue };
        for t in trades {
            for ((order, owner), buy, maker) in [
                (t.buyer, true, t.buyer_is_maker),
                (t.seller, false, !t.buyer_is_maker),
            ] {
                if owner != shared.account || order_id.is_some_and(|o| o != order) {
                    continue;
                }
                let rate = if maker {
                    spec.maker_fee
                } else {
                    spec.taker_fee
                };
                out.push(json!({
                    "id": format!("{market}-{}-{}", t.id, if buy { "b" } else { "s" }),
                    "side": if buy { "BUY" } else { "SELL" },
                    "liquidity": if maker { "MAKER" } else { "TAKER" }, "type": "LIMIT",
                    "market": market, "orderId": order.to_string(), "price": num(t.price),
                    "size": num(t.qty), "fee": num((t.qty * t.price * rate).round_dp(6)),
                    "createdAt": iso8601_millis(t.time),
                }));
            }
        }
    }
    json!({"fills": out})
}
