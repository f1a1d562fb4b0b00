//! The signed futures endpoints: every request authenticated as Binance does (`X-MBX-APIKEY`,
//! `timestamp` within `recvWindow`, hex HMAC-SHA256 `signature` over query + body), then
//! `POST`/`GET`/`DELETE /fapi/v1/order` (`positionSide` checked against the position mode,
//! `reduceOnly` refused when it would grow the position: -2022), `GET /fapi/v1/openOrders`,
//! `GET /fapi/v1/userTrades`, `GET /fapi/v2/balance` (wallet = deposit + realized PnL − fees),
//! `GET /fapi/v2/positionRisk`, `POST /fapi/v1/leverage` (1..=125), `POST /fapi/v1/marginType`
//! (-4046 when unchanged), `GET`/`POST /fapi/v1/positionSide/dual` (-4059 when unchanged),
//! `GET /fapi/v1/income` (the funding records, `funding.rs`); orders checked for initial margin
//! (`margin.rs`, -2019).

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::account::{margin_name, parse_side, side_name};
use super::server::Shared;
use crate::exchange::dialects::binance::ApiError;
use crate::exchange::dialects::binance::shapes::{OrderJson, fmt8};
use crate::exchange::dialects::binance::{split_signature, verify_hmac_hex};
use zeroize::Zeroizing;

use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};
use crate::exchange::engine::perp::{MarginMode, OrderAsk, PerpAccount, PerpLedger, PosSide};

/// The parameters of a request, query and body together (the query's value wins).
pub type Params = HashMap<String, String>;

/// Authenticates a signed request: the account it acts for.
pub fn authenticate(
    shared: &Shared,
    api_key: Option<&str>,
    query: &str,
    body: &str,
    params: &Params,
) -> Result<usize, ApiError> {
    let key = api_key.ok_or_else(ApiError::bad_api_key_format)?;
    let (account, secret) = {
        let ex = shared.exchange();
        let &a = ex.keys.get(key).ok_or_else(ApiError::rejected_api_key)?;
        match ex.accounts.get(a).map(|acct| acct.key()) {
            Some(AccountKey::Hmac(s)) => (a, Zeroizing::new(s.to_string())),
            _ => return Err(ApiError::rejected_api_key()),
        }
    };
    let now = shared.now_ms();
    let ts: u64 = params
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| ApiError::mandatory("timestamp"))?;
    let window: u64 = params
        .get("recvWindow")
        .and_then(|w| w.parse().ok())
        .unwrap_or(5000);
    if ts >= now + 1000 || now.saturating_sub(ts) > window {
        return Err(ApiError::outside_recv_window());
    }
    let (payload, sig) = split_signature(query, body);
    match sig {
        Some(s) if verify_hmac_hex(secret.as_bytes(), payload.as_bytes(), &s) => Ok(account),
        _ => Err(ApiError::bad_signature()),
    }
}

fn need<'a>(p: &'a Params, name: &str) -> Result<&'a str, ApiError> {
    p.get(name)
        .map(String::as_str)
        .ok_or_else(|| ApiError::mandatory(name))
}

fn decimal(p: &Params, name: &str) -> Result<Option<Decimal>, ApiError> {
    p.get(name)
        .map(|v| {
            v.parse::<Decimal>().map_err(|_| {
                ApiError::new(
                    400,
                    -1100,
                    format!("Illegal characters found in parameter '{name}'"),
                )
            })
        })
        .transpose()
}

/// A signed request, answered as (status, body).
pub fn route(
    shared: &Shared,
    account: usize,
    method: &str,
    path: &str,
    p: &Params,
) -> Result<Value, ApiError> {
    let now = shared.now_ms();
    match (method, path) {
        ("POST", "/fapi/v1/order") => place(shared, account, p, now),
        ("GET" | "DELETE", "/fapi/v1/order") => {
            let symbol = need(p, "symbol")?;
            let id = p.get("orderId").and_then(|i| i.parse().ok());
            let cid = p.get("origClientOrderId").map(String::as_str);
            let mut ex = shared.exchange();
            if method == "DELETE" {
                let c = ex.cancel(account, symbol, id, cid, None, now)?;
                return Ok(ex.query(account, symbol, Some(c.id), None)?.query_json());
            }
            Ok(ex.query(account, symbol, id, cid)?.query_json())
        }
        ("GET", "/fapi/v1/openOrders") => {
            let ex = shared.exchange();
            let open = ex.open_orders(account, p.get("symbol").map(String::as_str));
            Ok(Value::Array(open.iter().map(|o| o.query_json()).collect()))
        }
        ("GET", "/fapi/v1/userTrades") => user_trades(shared, account, p),
        ("GET", "/fapi/v2/balance") => {
            let ex = shared.exchange();
            let wallet = shared.ledger(&ex).wallet(account);
            Ok(
                json!([{ "accountAlias": "sim", "asset": "USDT", "balance": fmt8(wallet),
                        "crossWalletBalance": fmt8(wallet), "availableBalance": fmt8(wallet),
                        "updateTime": now }]),
            )
        }
        ("GET", "/fapi/v2/positionRisk") => position_risk(shared, account, p),
        ("GET", "/fapi/v1/income") if account == shared.trader => {
            super::funding::income(shared, p, now)
        }
        ("GET", "/fapi/v1/income") => Ok(Value::Array(Vec::new())),
        ("GET", "/fapi/v1/leverageBracket") => {
            super::margin::leverage_brackets(shared, p.get("symbol").map(String::as_str))
        }
        ("POST", "/fapi/v1/leverage") => {
            let symbol = need(p, "symbol")?;
            shared.exchange().spec(symbol)?;
            let n: u32 = need(p, "leverage")?
                .parse()
                .ok()
                .filter(|n| (1..=125).contains(n))
                .ok_or_else(|| ApiError::new(400, -4028, "Leverage is not valid"))?;
            let ex = shared.exchange();
            settings(&mut shared.ledger(&ex), account)
                .leverage
                .insert(symbol.to_string(), n);
            Ok(json!({ "leverage": n, "maxNotionalValue": "1000000", "symbol": symbol }))
        }
        ("POST", "/fapi/v1/marginType") => {
            let symbol = need(p, "symbol")?;
            shared.exchange().spec(symbol)?;
            let isolated = match need(p, "marginType")? {
                "ISOLATED" => true,
                "CROSSED" => false,
                _ => return Err(ApiError::new(400, -1116, "Invalid marginType.")),
            };
            let mode = if isolated {
                MarginMode::Isolated
            } else {
                MarginMode::Cross
            };
            let ex = shared.exchange();
            let mut l = shared.ledger(&ex);
            if l.margin_mode(account, symbol) == mode {
                return Err(ApiError::new(400, -4046, "No need to change margin type."));
            }
            settings(&mut l, account)
                .margin
                .insert(symbol.to_string(), mode);
            Ok(json!({ "code": 200, "msg": "success" }))
        }
        ("GET", "/fapi/v1/positionSide/dual") => {
            let ex = shared.exchange();
            let hedge = shared.ledger(&ex).account(account).is_some_and(|a| a.hedge);
            Ok(json!({ "dualSidePosition": hedge }))
        }
        ("POST", "/fapi/v1/positionSide/dual") => {
            let hedge = match need(p, "dualSidePosition")? {
                "true" => true,
                "false" => false,
                _ => {
                    return Err(ApiError::new(
                        400,
                        -1102,
                        "Mandatory parameter 'dualSidePosition' was not sent, was empty/null, or malformed.",
                    ));
                }
            };
            let ex = shared.exchange();
            let mut l = shared.ledger(&ex);
            let f = settings(&mut l, account);
            if f.hedge == hedge {
                return Err(ApiError::new(
                    400,
                    -4059,
                    "No need to change position side.",
                ));
            }
            f.hedge = hedge;
            Ok(json!({ "code": 200, "msg": "success" }))
        }
        _ => Err(ApiError::new(404, -1000, "Not found.")),
    }
}

fn place(shared: &Shared, account: usize, p: &Params, now: u64) -> Result<Value, ApiError> {
    let symbol = need(p, "symbol")?.to_string();
    let side = match need(p, "side")? {
        "BUY" => Side::Buy,
        "SELL" => Side::Sell,
        _ => return Err(ApiError::invalid_side()),
    };
    let pos_side = parse_side(p.get("positionSide").map_or("BOTH", String::as_str))
        .ok_or_else(|| ApiError::new(400, -4003, "Invalid positionSide."))?;
    let reduce_only = p.get("reduceOnly").map(String::as_str) == Some("true");
    let (order_type, tif) = match (need(p, "type")?, p.get("timeInForce").map(String::as_str)) {
        ("MARKET", _) => (OrderType::Market, TimeInForce::Gtc),
        ("LIMIT", Some("GTX")) => (OrderType::LimitMaker, TimeInForce::Gtc),
        ("LIMIT", Some("IOC")) => (OrderType::Limit, TimeInForce::Ioc),
        ("LIMIT", Some("FOK")) => (OrderType::Limit, TimeInForce::Fok),
        ("LIMIT", Some("GTC")) => (OrderType::Limit, TimeInForce::Gtc),
        ("LIMIT", _) => return Err(ApiError::mandatory("timeInForce")),
        _ => return Err(ApiError::invalid_order_type()),
    };
    let qty = decimal(p, "quantity")?.ok_or_else(|| ApiError::mandatory("quantity"))?;
    let mut ex = shared.exchange();
    let hedge = shared.ledger(&ex).account(account).is_some_and(|a| a.hedge);
    if hedge == (pos_side == PosSide::Both) {
        return Err(ApiError::new(
            400,
            -4061,
            "Order's position side does not match user's setting.",
        ));
    }
    if reduce_only {
        if hedge {
            return Err(ApiError::new(
                400,
                -1106,
                "Parameter 'reduceonly' sent when not required.",
            ));
        }
        let size = shared
            .ledger(&ex)
            .position(account, &symbol, PosSide::Both)
            .size;
        let reduces = match side {
            Side::Buy => size < Decimal::ZERO && qty <= -size,
            Side::Sell => size > Decimal::ZERO && qty <= size,
        };
        if !reduces {
            return Err(ApiError::new(400, -2022, "ReduceOnly Order is rejected."));
        }
    } else {
        let ask = OrderAsk {
            symbol: &symbol,
            buy: side == Side::Buy,
            side: pos_side,
            qty,
            price: decimal(p, "price")?,
        };
        super::margin::check_initial_margin(shared, &ex, account, &ask)?;
    }
    let order = NewOrder {
        symbol,
        side,
        order_type,
        tif,
        quantity: Some(qty),
        quote_order_qty: None,
        price: decimal(p, "price")?,
        client_order_id: p.get("newClientOrderId").cloned(),
    };
    // the order's side is noted before it can fill, so its trades land on that side
    let placed = {
        let mut l = lock_ledger(shared);
        let placed = ex.place(account, order, now, true)?;
        settings(&mut l, account)
            .order_sides
            .insert(placed.id, pos_side);
        placed
    };
    if account == shared.trader {
        shared.push_account_update(&ex, &symbol_of(p)?, "ORDER", now);
    }
    let mut doc = ex
        .query(account, &symbol_of(p)?, Some(placed.id), None)?
        .query_json();
    if let Some(m) = doc.as_object_mut() {
        m.insert("positionSide".into(), json!(side_name(pos_side)));
        m.insert("reduceOnly".into(), json!(reduce_only));
    }
    Ok(doc)
}

fn symbol_of(p: &Params) -> Result<String, ApiError> {
    need(p, "symbol").map(str::to_string)
}

fn user_trades(shared: &Shared, account: usize, p: &Params) -> Result<Value, ApiError> {
    let symbol = need(p, "symbol")?;
    let order_id: Option<u64> = p.get("orderId").and_then(|i| i.parse().ok());
    let ex = shared.exchange();
    let spec = ex.spec(symbol)?;
    let mut out = Vec::new();
    for t in ex.trades.get(symbol).into_iter().flatten() {
        for (order, acct, buy, maker) in [
            (t.buyer.0, t.buyer.1, true, t.buyer_is_maker),
            (t.seller.0, t.seller.1, false, !t.buyer_is_maker),
        ] {
            if acct != account || order_id.is_some_and(|o| o != order) {
                continue;
            }
            let rate = if maker {
                spec.maker_fee
            } else {
                spec.taker_fee
            };
            out.push(json!({
                "symbol": symbol, "id": t.id, "orderId": order,
                "side": if buy { "BUY" } else { "SELL" },
                "price": fmt8(t.price), "qty": fmt8(t.qty), "quoteQty": fmt8(t.price * t.qty),
                "commission": fmt8((t.price * t.qty * rate).round_dp(8)),
                "commissionAsset": spec.quote, "maker": maker, "buyer": buy, "time": t.time,
            }));
        }
    }
    Ok(Value::Array(out))
}

fn position_risk(shared: &Shared, account: usize, p: &Params) -> Result<Value, ApiError> {
    let ex = shared.exchange();
    let l = shared.ledger(&ex);
    let mut out = Vec::new();
    for symbol in ex.books.keys() {
        if p.get("symbol").is_some_and(|s| s != symbol) {
            continue;
        }
        let mark = l.mark(&ex, symbol);
        let leverage = l.leverage(account, symbol);
        let mode = l.margin_mode(account, symbol);
        for &side in l.sides(account) {
            let pos = l.position(account, symbol, side);
            let wallet = l.isolated_wallet(account, symbol, side);
            let isolated_margin = if mode == MarginMode::Isolated {
                wallet + pos.unrealized(mark)
            } else {
                Decimal::ZERO
            };
            let liq = l.liquidation_price(&ex, account, symbol, side);
            out.push(json!({
                "symbol": symbol, "positionAmt": fmt8(pos.size), "entryPrice": fmt8(pos.entry()),
                "markPrice": fmt8(mark), "unRealizedProfit": fmt8(pos.unrealized(mark)),
                "liquidationPrice": liq.map_or_else(|| "0".to_string(), fmt8),
                "leverage": leverage.to_string(), "maxNotionalValue": "1000000",
                "marginType": margin_name(mode), "isolatedMargin": fmt8(isolated_margin),
                "isolatedWallet": fmt8(wallet), "isAutoAddMargin": "false",
                "positionSide": side_name(side), "notional": fmt8(pos.size * mark),
                "updateTime": 0,
            }));
        }
    }
    Ok(Value::Array(out))
}

/// The futures settings of `account` (registered at the first change).
fn settings(l: &mut PerpLedger, account: usize) -> &mut PerpAccount {
    l.accounts.entry(account).or_default()
}

fn lock_ledger(shared: &Shared) -> std::sync::MutexGuard<'_, PerpLedger> {
    crate::exchange::engine::server::lock(&shared.ledger)
}
