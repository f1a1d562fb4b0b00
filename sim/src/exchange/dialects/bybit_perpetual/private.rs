//! The signed endpoints: every request authenticated as Bybit v5 does (`X-BAPI-API-KEY`,
//! `X-BAPI-TIMESTAMP` within `X-BAPI-RECV-WINDOW` of the server's clock, `X-BAPI-SIGN` = hex
//! HMAC-SHA256 of timestamp + key + window + the query string of a GET or the body of a POST;
//! 10003 unknown key, 10004 bad signature, 10002 outside the window), then orders
//! (`positionIdx` checked against the position mode, `reduceOnly` refused with 110017 when it
//! would not reduce, the initial margin checked: 110007), cancels, the order list, executions,
//! positions, leverage (110043 unchanged), position mode (110025 unchanged), the account's margin
//! mode, the unified wallet and the transaction log's funding settlements.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::server::Shared;
use super::shapes::{BybitError, num};
use crate::exchange::dialects::binance::verify_hmac_hex;
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{NewOrder, Order, OrderStatus, OrderType, Side, TimeInForce};
use crate::exchange::engine::perp::{MarginMode, OrderAsk, PerpAccount, PerpLedger, PosSide};
use crate::exchange::engine::server::lock;

use super::account::{idx_of, settlement_id, side_name, side_of, trade_mode};

/// The authentication headers of a request.
#[derive(Debug, Default)]
pub struct Auth {
    pub key: Option<String>,
    pub timestamp: Option<String>,
    pub window: Option<String>,
    pub sign: Option<String>,
}

/// The account a signed request acts for.
pub fn authenticate(
    shared: &Shared,
    auth: &Auth,
    method: &str,
    query: &str,
    body: &str,
    now: u64,
) -> Result<usize, BybitError> {
    let invalid_key = || BybitError::new(10003, "API key is invalid.");
    let key = auth.key.as_deref().ok_or_else(invalid_key)?;
    let (account, secret) = {
        let ex = shared.exchange();
        let &a = ex.keys.get(key).ok_or_else(invalid_key)?;
        match ex.accounts.get(a).map(|acct| acct.key()) {
            Some(AccountKey::Hmac(s)) => (a, Zeroizing::new(s.to_string())),
            _ => return Err(invalid_key()),
        }
    };
    let ts: u64 = auth
        .timestamp
        .as_deref()
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| BybitError::params("params error: X-BAPI-TIMESTAMP is missing"))?;
    let window_text = auth.window.clone().unwrap_or_else(|| "5000".into());
    let window: u64 = window_text
        .parse()
        .map_err(|_| BybitError::params("params error: recv_window"))?;
    if ts >= now + 1000 || now.saturating_sub(ts) > window {
        return Err(BybitError::new(
            10002,
            format!(
                "invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],server_timestamp[{now}],recv_window[{window}]"
            ),
        ));
    }
    let payload = if method == "GET" { query } else { body };
    let text = format!("{ts}{key}{window_text}{payload}");
    match auth.sign.as_deref() {
        Some(s) if verify_hmac_hex(secret.as_bytes(), text.as_bytes(), s) => Ok(account),
        _ => Err(BybitError::new(
            10004,
            "error sign! please check your signature generation algorithm.",
        )),
    }
}

type Params = HashMap<String, String>;

/// A POST's JSON document, or a GET's query, as strings.
fn params_of(method: &str, q: &Params, body: &str) -> Result<Params, BybitError> {
    if method != "POST" {
        return Ok(q.clone());
    }
    let v: Value = serde_json::from_str(body)
        .map_err(|_| BybitError::params("params error: body is not JSON"))?;
    let obj = v
        .as_object()
        .ok_or_else(|| BybitError::params("params error: body is not an object"))?;
    Ok(obj
        .iter()
        .map(|(k, v)| {
            let s = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), s)
        })
        .collect())
}

fn need<'a>(p: &'a Params, name: &str) -> Result<&'a str, BybitError> {
    p.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| BybitError::params(format!("params error: {name} is required")))
}

fn decimal(p: &Params, name: &str) -> Result<Option<Decimal>, BybitError> {
    p.get(name)
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<Decimal>()
                .map_err(|_| BybitError::params(format!("params error: {name} invalid")))
        })
        .transpose()
}

/// A signed request's `result`.
pub fn route(
    shared: &Shared,
    account: usize,
    method: &str,
    path: &str,
    q: &Params,
    body: &str,
    now: u64,
) -> Result<Value, BybitError> {
    let p = params_of(method, q, body)?;
    if path != "/v5/account/wallet-balance"
        && path != "/v5/account/set-margin-mode"
        && p.get("category").map(String::as_str) != Some("linear")
    {
        return Err(BybitError::params(
            "params error: category only support linear",
        ));
    }
    match (method, path) {
        ("POST", "/v5/order/create") => create(shared, account, &p, now),
        ("POST", "/v5/order/cancel") => {
            let symbol = need(&p, "symbol")?;
            let mut ex = shared.exchange();
            let id = p.get("orderId").and_then(|i| i.parse().ok());
            let c = ex.cancel(
                account,
                symbol,
                id,
                p.get("orderLinkId").map(String::as_str),
                None,
                now,
            )?;
            let o = ex.query(account, symbol, Some(c.id), None)?;
            Ok(json!({"orderId": o.id.to_string(), "orderLinkId": o.client_order_id}))
        }
        ("GET", "/v5/order/realtime") => realtime(shared, account, &p),
        ("GET", "/v5/execution/list") => executions(shared, account, &p),
        ("GET", "/v5/position/list") => positions(shared, account, &p),
        ("POST", "/v5/position/set-leverage") => {
            let symbol = need(&p, "symbol")?;
            shared.exchange().spec(symbol)?;
            let (buy, sell) = (need(&p, "buyLeverage")?, need(&p, "sellLeverage")?);
            let n: u32 = buy
                .parse()
                .ok()
                .filter(|n| (1..=100).contains(n) && buy == sell)
                .ok_or_else(|| BybitError::new(10001, "params error: leverage invalid"))?;
            let ex = shared.exchange();
            let mut d = shared.ledger(&ex);
            if d.leverage(account, symbol) == n {
                return Err(BybitError::new(110043, "Set leverage not modified"));
            }
            settings(&mut d, account)
                .leverage
                .insert(symbol.to_string(), n);
            Ok(json!({}))
        }
        ("POST", "/v5/position/switch-mode") => {
            let hedge = match need(&p, "mode")? {
                "0" => false,
                "3" => true,
                _ => return Err(BybitError::params("params error: mode invalid")),
            };
            let ex = shared.exchange();
            let mut d = shared.ledger(&ex);
            let a = settings(&mut d, account);
            if a.hedge == hedge {
                return Err(BybitError::new(110025, "Position mode is not modified"));
            }
            a.hedge = hedge;
            Ok(json!({}))
        }
        ("POST", "/v5/account/set-margin-mode") => {
            let isolated = match need(&p, "setMarginMode")? {
                "ISOLATED_MARGIN" => true,
                "REGULAR_MARGIN" => false,
                _ => return Err(BybitError::params("params error: setMarginMode invalid")),
            };
            let ex = shared.exchange();
            let mut d = shared.ledger(&ex);
            let a = settings(&mut d, account);
            a.default_margin = if isolated {
                MarginMode::Isolated
            } else {
                MarginMode::Cross
            };
            a.margin.clear();
            Ok(json!({"reasons": []}))
        }
        ("GET", "/v5/account/wallet-balance") => wallet(shared, account, &p),
        ("GET", "/v5/account/transaction-log") => transactions(shared, account, &p),
        _ => Err(BybitError::new(10001, "Not found")),
    }
}

fn create(shared: &Shared, account: usize, p: &Params, now: u64) -> Result<Value, BybitError> {
    let symbol = need(p, "symbol")?.to_string();
    let side = match need(p, "side")? {
        "Buy" => Side::Buy,
        "Sell" => Side::Sell,
        _ => return Err(BybitError::params("params error: side invalid")),
    };
    let (order_type, tif) = match (
        need(p, "orderType")?,
        p.get("timeInForce").map(String::as_str),
    ) {
        ("Market", _) => (OrderType::Market, TimeInForce::Ioc),
        ("Limit", Some("PostOnly")) => (OrderType::LimitMaker, TimeInForce::Gtc),
        ("Limit", Some("IOC")) => (OrderType::Limit, TimeInForce::Ioc),
        ("Limit", Some("FOK")) => (OrderType::Limit, TimeInForce::Fok),
        ("Limit", None | Some("GTC")) => (OrderType::Limit, TimeInForce::Gtc),
        _ => {
            return Err(BybitError::params(
                "params error: orderType or timeInForce invalid",
            ));
        }
    };
    let qty =
        decimal(p, "qty")?.ok_or_else(|| BybitError::params("params error: qty is required"))?;
    let price = decimal(p, "price")?;
    let idx: u8 = p.get("positionIdx").map_or(Ok(0), |i| {
        i.parse()
            .map_err(|_| BybitError::params("params error: positionIdx invalid"))
    })?;
    let reduce_only = p.get("reduceOnly").map(String::as_str) == Some("true");
    let side_idx =
        side_of(idx).ok_or_else(|| BybitError::params("position idx not match position mode"))?;
    let mut ex = shared.exchange();
    let mut d = shared.ledger(&ex);
    let hedge = d.account(account).is_some_and(|a| a.hedge);
    if hedge == (idx == 0) {
        return Err(BybitError::params("position idx not match position mode"));
    }
    if reduce_only {
        let size = d.position(account, &symbol, side_idx).size;
        let reduces = match side {
            Side::Buy => size < Decimal::ZERO && qty <= -size,
            Side::Sell => size > Decimal::ZERO && qty <= size,
        };
        if !reduces {
            return Err(BybitError::new(110017, "Reduce-only rule not satisfied"));
        }
    } else {
        let ask = OrderAsk {
            symbol: &symbol,
            buy: side == Side::Buy,
            side: side_idx,
            qty,
            price,
        };
        d.check_open(&ex, account, &ask)
            .map_err(|_| BybitError::new(110007, "ab not enough for new order"))?;
    }
    let order = NewOrder {
        symbol: symbol.clone(),
        side,
        order_type,
        tif,
        quantity: Some(qty),
        quote_order_qty: None,
        price: if order_type == OrderType::Market {
            None
        } else {
            price
        },
        client_order_id: p.get("orderLinkId").cloned(),
    };
    // the order's side is noted before the ledger next applies the engine's trades
    let placed = ex.place(account, order, now, true)?;
    settings(&mut d, account)
        .order_sides
        .insert(placed.id, side_idx);
    let o = ex.query(account, &symbol, Some(placed.id), None)?;
    Ok(json!({"orderId": o.id.to_string(), "orderLinkId": o.client_order_id}))
}

fn status_name(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New => "New",
        OrderStatus::PartiallyFilled => "PartiallyFilled",
        OrderStatus::Filled => "Filled",
        OrderStatus::Canceled | OrderStatus::Expired if o.executed_qty.is_zero() => "Cancelled",
        OrderStatus::Canceled | OrderStatus::Expired => "PartiallyFilledCanceled",
    }
}

pub(super) fn order_json(o: &Order, idx: u8) -> Value {
    let (kind, tif) = match (o.order_type, o.tif) {
        (OrderType::Market, _) => ("Market", "IOC"),
        (OrderType::LimitMaker, _) => ("Limit", "PostOnly"),
        (_, TimeInForce::Ioc) => ("Limit", "IOC"),
        (_, TimeInForce::Fok) => ("Limit", "FOK"),
        _ => ("Limit", "GTC"),
    };
    json!({
        "orderId": o.id.to_string(), "orderLinkId": o.client_order_id, "symbol": o.symbol,
        "side": if o.side == Side::Buy { "Buy" } else { "Sell" }, "orderType": kind,
        "price": num(o.price), "qty": num(o.orig_qty), "timeInForce": tif,
        "orderStatus": status_name(o), "cumExecQty": num(o.executed_qty),
        "cumExecValue": num(o.cum_quote), "positionIdx": idx,
        "createdTime": o.time.to_string(), "updatedTime": o.update_time.to_string(),
    })
}

fn realtime(shared: &Shared, account: usize, p: &Params) -> Result<Value, BybitError> {
    let ex = shared.exchange();
    let d = shared.ledger(&ex);
    let sides = d.account(account).map(|a| &a.order_sides);
    let symbol = p.get("symbol").map(String::as_str);
    let link = p.get("orderLinkId").map(String::as_str);
    let list: Vec<Value> = ex
        .orders
        .values()
        .filter(|o| o.account == account && symbol.is_none_or(|s| s == o.symbol))
        .filter(|o| link.is_none_or(|l| l == o.client_order_id))
        .filter(|o| {
            link.is_some() || matches!(o.status, OrderStatus::New | OrderStatus::PartiallyFilled)
        })
        .map(|o| {
            let side = sides.and_then(|s| s.get(&o.id)).copied();
            order_json(o, side.map_or(0, idx_of))
        })
        .collect();
    Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
}

fn executions(shared: &Shared, account: usize, p: &Params) -> Result<Value, BybitError> {
    let symbol = need(p, "symbol")?;
    let order_id: Option<u64> = p.get("orderId").and_then(|i| i.parse().ok());
    let ex = shared.exchange();
    let spec = ex.spec(symbol)?;
    let mut list = Vec::new();
    for t in ex.trades.get(symbol).into_iter().flatten() {
        for ((order, owner), buy, maker) in [
            (t.buyer, true, t.buyer_is_maker),
            (t.seller, false, !t.buyer_is_maker),
        ] {
            if owner != account || order_id.is_some_and(|o| o != order) {
                continue;
            }
            let rate = if maker {
                spec.maker_fee
            } else {
                spec.taker_fee
            };
            let link = ex
                .orders
                .get(&order)
                .map(|o| o.client_order_id.clone())
                .unwrap_or_default();
            list.push(json!({
                "symbol": symbol, "orderId": order.to_string(), "orderLinkId": link,
                "side": if buy { "Buy" } else { "Sell" }, "execPrice": num(t.price),
                "execQty": num(t.qty), "execFee": num((t.price * t.qty * rate).round_dp(8)),
                "execId": t.id.to_string(), "execTime": t.time.to_string(), "execType": "Trade",
                "isMaker": maker, "feeRate": num(rate),
            }));
        }
    }
    // the venue's liquidations of the account's positions: bust trades of the venue's orders
    let d = shared.ledger(&ex);
    list.extend(
        d.liquidations
            .iter()
            .filter(|l| l.account == account && l.symbol == symbol)
            .filter(|l| order_id.is_none_or(|o| o == super::risk::liquidation_order_id(l)))
            .map(super::risk::bust_execution),
    );
    Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
}

fn positions(shared: &Shared, account: usize, p: &Params) -> Result<Value, BybitError> {
    let ex = shared.exchange();
    let d = shared.ledger(&ex);
    let mut list = Vec::new();
    for symbol in ex.books.keys() {
        if p.get("symbol").is_some_and(|s| s != symbol) {
            continue;
        }
        for &side in d.sides(account) {
            list.push(position_item(&d, &ex, account, symbol, side));
        }
    }
    Ok(json!({"category": "linear", "list": list, "nextPageCursor": ""}))
}

/// One position of `account` as `position/list` lists it (the `position` topic adds its own
/// fields to the same item).
pub(super) fn position_item(
    d: &PerpLedger,
    ex: &Exchange,
    account: usize,
    symbol: &str,
    side: PosSide,
) -> Value {
    let mark = d.mark(ex, symbol);
    let mode = d.margin_mode(account, symbol);
    let l = d.position(account, symbol, side);
    let price = |p: Option<Decimal>| p.map_or_else(String::new, num);
    json!({
        "positionIdx": idx_of(side), "symbol": symbol, "side": side_name(l.size),
        "size": num(l.size.abs()), "avgPrice": num(l.entry()),
        "positionValue": num(l.size.abs() * mark), "tradeMode": trade_mode(mode),
        "leverage": d.leverage(account, symbol).to_string(), "markPrice": num(mark),
        "liqPrice": price(d.liquidation_price(ex, account, symbol, side)),
        "bustPrice": price(d.bankruptcy_price(ex, account, symbol, side)),
        "positionIM": num(d.position_margin(ex, account, symbol, side)),
        "positionMM": num(d.maintenance(ex, account, symbol, side)),
        "unrealisedPnl": num(l.unrealized(mark)), "cumRealisedPnl": num(l.realized - l.fees),
    })
}

fn wallet(shared: &Shared, account: usize, p: &Params) -> Result<Value, BybitError> {
    if p.get("accountType").map(String::as_str) != Some("UNIFIED") {
        return Err(BybitError::params(
            "params error: accountType only support UNIFIED",
        ));
    }
    let ex = shared.exchange();
    let d = shared.ledger(&ex);
    Ok(json!({"list": [wallet_item(&d, &ex, account)]}))
}

/// The unified wallet of `account` as `wallet-balance` lists it and the `wallet` topic pushes it.
pub(super) fn wallet_item(d: &PerpLedger, ex: &Exchange, account: usize) -> Value {
    let wallet = d.wallet(account);
    let (mut im, mut mm) = (Decimal::ZERO, Decimal::ZERO);
    if let Some(a) = d.account(account) {
        for (s, side) in a.positions.keys() {
            im += d.position_margin(ex, account, s, *side);
            mm += d.maintenance(ex, account, s, *side);
        }
    }
    json!({"accountType": "UNIFIED", "totalWalletBalance": num(wallet), "coin": [{
        "coin": "USDT", "walletBalance": num(wallet), "equity": num(wallet), "locked": "0",
        "totalOrderIM": "0", "totalPositionIM": num(im), "totalPositionMM": num(mm),
    }]})
}

fn transactions(shared: &Shared, account: usize, p: &Params) -> Result<Value, BybitError> {
    let since: u64 = p.get("startTime").and_then(|t| t.parse().ok()).unwrap_or(0);
    let kind = p.get("type").map(String::as_str);
    let d = lock(&shared.derivatives);
    let list: Vec<Value> = d
        .funding
        .iter()
        .filter(|s| s.account == account)
        .filter(|s| s.time >= since && kind.is_none_or(|k| k == "SETTLEMENT"))
        .filter(|s| p.get("symbol").is_none_or(|want| *want == s.symbol))
        .map(|s| {
            let side = match idx_of(s.side) {
                1 => "Buy",
                2 => "Sell",
                _ => "None",
            };
            json!({"id": settlement_id(s), "symbol": s.symbol, "category": "linear", "side": side,
                "transactionTime": s.time.to_string(), "type": "SETTLEMENT", "currency": "USDT",
                "change": num(s.amount), "funding": num(-s.amount), "cashFlow": "0", "fee": "0"})
        })
        .collect();
    Ok(json!({"list": list, "nextPageCursor": ""}))
}

/// The derivatives settings of `account` (registered at the first change).
fn settings(l: &mut PerpLedger, account: usize) -> &mut PerpAccount {
    l.accounts.entry(account).or_default()
}
