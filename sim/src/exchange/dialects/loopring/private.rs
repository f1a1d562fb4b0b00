//! The simulated Loopring's private endpoints: the API key, storage ids (the next even id per
//! sell token, advancing by 2 with each order), orders — every `eddsaSignature` verified against
//! the account's L2 key over the order's own fields, the storage id checked, the volumes turned
//! into a limit order the engine matches (partial fills and all) — cancels, order queries,
//! balances and trades.

use std::collections::HashMap;

use alloy::primitives::Address;
use rust_decimal::RoundingStrategy;
use serde_json::{Value, json};
use sluice::clob::loopring::eddsa::{Signature, field_to_u256, hex64};
use sluice::clob::loopring::errors::code;
use sluice::clob::loopring::sign::OrderFields;

use super::Shared;
use super::shapes::{self, Refusal, from_units, token, token_by_id, units};
use crate::exchange::engine::order::{NewOrder, OrderType, Side, TimeInForce};
use crate::exchange::engine::server::lock;

type Params = HashMap<String, String>;

fn bad(msg: impl Into<String>) -> Refusal {
    Refusal::new(400, code::INVALID_ARGUMENT, msg)
}

fn account_of(shared: &Shared, q: &Params) -> Result<(), Refusal> {
    match q.get("accountId").and_then(|a| a.parse::<u32>().ok()) {
        Some(a) if a == shared.account_id => Ok(()),
        Some(_) => Err(Refusal::new(
            400,
            code::NO_ACCOUNT,
            "account does not exist",
        )),
        None => Err(bad("accountId is required")),
    }
}

pub fn route(
    shared: &Shared,
    method: &str,
    path: &str,
    q: &Params,
    body: &str,
    now: u64,
) -> Result<Value, Refusal> {
    if method == "POST" && path == "/api/v3/order" {
        return place(shared, body, now);
    }
    account_of(shared, q)?;
    match (method, path) {
        ("GET", "/api/v3/apiKey") => Ok(json!({"apiKey": shared.api_key})),
        ("GET", "/api/v3/storageId") => {
            let t: u32 = q
                .get("sellTokenId")
                .and_then(|t| t.parse().ok())
                .filter(|t| token_by_id(*t).is_some())
                .ok_or_else(|| Refusal::new(400, code::UNKNOWN_TOKEN, "unknown sellTokenId"))?;
            let next = *lock(&shared.storage).get(&t).unwrap_or(&0);
            Ok(json!({"orderId": next, "offchainId": next + 1}))
        }
        ("DELETE", "/api/v3/order") => cancel(shared, q, now),
        ("GET", "/api/v3/order") => {
            let hash = q
                .get("orderHash")
                .ok_or_else(|| bad("orderHash is required"))?;
            let (id, _) = lock(&shared.hashes)
                .get(hash)
                .cloned()
                .ok_or_else(|| Refusal::new(400, code::ORDER_NOT_FOUND, "order does not exist"))?;
            let ex = shared.exchange();
            let o = ex
                .orders
                .get(&id)
                .ok_or_else(|| Refusal::new(400, code::ORDER_NOT_FOUND, "order does not exist"))?;
            Ok(shapes::order(o, hash))
        }
        ("GET", "/api/v3/orders") => Ok(orders(shared, q)),
        ("GET", "/api/v3/user/balances") => Ok(balances(shared)),
        ("GET", "/api/v3/user/trades") => Ok(trades(shared, q)),
        _ => Err(Refusal::new(
            404,
            code::INVALID_ARGUMENT,
            format!("no route {method} {path}"),
        )),
    }
}

fn str_field<'a>(v: &'a Value, k: &str) -> Result<&'a str, Refusal> {
    v.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{k} is required")))
}

fn u64_field(v: &Value, k: &str) -> Result<u64, Refusal> {
    v.get(k)
        .and_then(Value::as_u64)
        .ok_or_else(|| bad(format!("{k} is required")))
}

fn u32_field(v: &Value, k: &str) -> Result<u32, Refusal> {
    u32::try_from(u64_field(v, k)?).map_err(|_| bad(format!("{k} out of range")))
}

fn volume(v: &Value, k: &str) -> Result<(u32, String), Refusal> {
    let t = v.get(k).ok_or_else(|| bad(format!("{k} is required")))?;
    Ok((
        u32_field(t, "tokenId")?,
        str_field(t, "volume")?.to_string(),
    ))
}

/// `POST /api/v3/order`.
fn place(shared: &Shared, body: &str, now: u64) -> Result<Value, Refusal> {
    let v: Value = serde_json::from_str(body).map_err(|_| bad("the body is not JSON"))?;
    let exchange: Address = str_field(&v, "exchange")?
        .parse()
        .map_err(|_| bad("exchange is not an address"))?;
    if exchange != shared.exchange {
        return Err(bad("exchange is not this exchange"));
    }
    if u32_field(&v, "accountId")? != shared.account_id {
        return Err(Refusal::new(
            400,
            code::NO_ACCOUNT,
            "account does not exist",
        ));
    }
    let storage_id = u32_field(&v, "storageId")?;
    let (sell_id, sell_vol) = volume(&v, "sellToken")?;
    let (buy_id, buy_vol) = volume(&v, "buyToken")?;
    let fill_b = v
        .get("fillAmountBOrS")
        .and_then(Value::as_bool)
        .ok_or_else(|| bad("fillAmountBOrS is required"))?;
    let to_u256 =
        |s: &str| alloy::primitives::U256::from_str_radix(s, 10).map_err(|_| bad("volume"));
    let fields = OrderFields {
        exchange,
        storage_id,
        account_id: shared.account_id,
        sell_token_id: sell_id,
        buy_token_id: buy_id,
        sell_volume: to_u256(&sell_vol)?,
        buy_volume: to_u256(&buy_vol)?,
        valid_until: u64_field(&v, "validUntil")?,
        max_fee_bips: u32_field(&v, "maxFeeBips")?,
        fill_amount_b_or_s: fill_b,
        taker: Address::ZERO,
    };
    let sig = Signature::from_hex(str_field(&v, "eddsaSignature")?).map_err(|_| {
        Refusal::new(
            400,
            code::INVALID_ORDER_SIGNATURE,
            "malformed eddsaSignature",
        )
    })?;
    if !fields.verify(&shared.public_key, &sig).unwrap_or(false) {
        return Err(Refusal::new(
            400,
            code::INVALID_ORDER_SIGNATURE,
            "invalid order signature",
        ));
    }
    let client_id = str_field(&v, "clientOrderId")?.to_string();
    let post_only = match v.get("orderType").and_then(Value::as_str) {
        Some("MAKER_ONLY") => true,
        None | Some("LIMIT_ORDER") => false,
        Some(other) => return Err(bad(format!("orderType {other} not offered"))),
    };
    if fields.valid_until * 1000 <= now {
        return Err(bad("validUntil has passed"));
    }
    let (sell, buy) = (
        token_by_id(sell_id)
            .ok_or_else(|| Refusal::new(400, code::UNKNOWN_TOKEN, "unknown token"))?,
        token_by_id(buy_id)
            .ok_or_else(|| Refusal::new(400, code::UNKNOWN_TOKEN, "unknown token"))?,
    );
    let mut ex = shared.exchange();
    let (market, side, base, quote) = ex
        .books
        .keys()
        .find_map(|m| {
            let spec = ex.spec(m).ok()?;
            let (b, q) = (token(&spec.base)?, token(&spec.quote)?);
            if (b.id, q.id) == (sell.id, buy.id) {
                Some((m.clone(), Side::Sell, b, q))
            } else if (b.id, q.id) == (buy.id, sell.id) {
                Some((m.clone(), Side::Buy, b, q))
            } else {
                None
            }
        })
        .ok_or_else(|| Refusal::new(400, code::UNKNOWN_MARKET, "no market of these tokens"))?;
    let (base_vol, quote_vol) = match side {
        Side::Sell => (&sell_vol, &buy_vol),
        Side::Buy => (&buy_vol, &sell_vol),
    };
    let amount = from_units(base_vol, base.decimals).filter(|a| !a.is_zero());
    let total = from_units(quote_vol, quote.decimals).filter(|a| !a.is_zero());
    let (Some(amount), Some(total)) = (amount, total) else {
        return Err(Refusal::new(
            400,
            code::AMOUNT_OUT_OF_RANGE,
            "zero or unreadable volume",
        ));
    };
    let spec = ex.spec(&market).map_err(|_| bad("market"))?.clone();
    // the limit price the volumes imply, on the tick, never worse than signed
    let ticks = total / amount / spec.tick_size;
    let ticks = match side {
        Side::Buy => ticks.round_dp_with_strategy(0, RoundingStrategy::ToZero),
        Side::Sell => ticks.round_dp_with_strategy(0, RoundingStrategy::AwayFromZero),
    };
    let price = ticks * spec.tick_size;
    {
        let mut next = lock(&shared.storage);
        let want = next.entry(sell_id).or_insert(0);
        if storage_id != *want {
            return Err(Refusal::new(
                400,
                code::INVALID_STORAGE_ID,
                format!("storageId {storage_id} is not the next one ({want})"),
            ));
        }
        *want += 2;
    }
    if ex
        .orders
        .values()
        .any(|o| o.account == shared.account && o.client_order_id == client_id)
    {
        return Err(Refusal::new(
            400,
            code::DUPLICATED_ORDER,
            "duplicated clientOrderId",
        ));
    }
    let placed = ex
        .place(
            shared.account,
            NewOrder {
                symbol: market.clone(),
                side,
                order_type: if post_only {
                    OrderType::LimitMaker
                } else {
                    OrderType::Limit
                },
                tif: TimeInForce::Gtc,
                quantity: Some(amount),
                quote_order_qty: None,
                price: Some(price),
                client_order_id: Some(client_id.clone()),
            },
            now,
            true,
        )
        .map_err(|e| {
            let m = e.to_string();
            if m.to_ascii_lowercase().contains("insufficient") {
                Refusal::new(400, code::INSUFFICIENT_BALANCE, m)
            } else {
                Refusal::new(400, code::AMOUNT_OUT_OF_RANGE, m)
            }
        })?;
    let hash = hex64(field_to_u256(
        &fields.hash().map_err(|_| bad("order fields"))?,
    ));
    lock(&shared.hashes).insert(hash.clone(), (placed.id, market.clone()));
    let status = ex
        .orders
        .get(&placed.id)
        .map_or("processing", shapes::status);
    Ok(json!({"hash": hash, "clientOrderId": client_id, "status": status, "isIdempotent": false}))
}

/// `DELETE /api/v3/order?clientOrderId=` (or `orderHash=`).
fn cancel(shared: &Shared, q: &Params, now: u64) -> Result<Value, Refusal> {
    let hashes = lock(&shared.hashes).clone();
    let found = match (q.get("orderHash"), q.get("clientOrderId")) {
        (Some(h), _) => hashes.get(h).map(|(id, m)| (h.clone(), *id, m.clone())),
        (None, Some(c)) => {
            let ex = shared.exchange();
            hashes.iter().find_map(|(h, (id, m))| {
                ex.orders
                    .get(id)
                    .filter(|o| o.client_order_id == *c)
                    .map(|_| (h.clone(), *id, m.clone()))
            })
        }
        (None, None) => return Err(bad("orderHash or clientOrderId is required")),
    };
    let (hash, id, market) =
        found.ok_or_else(|| Refusal::new(400, code::ORDER_NOT_FOUND, "order does not exist"))?;
    let mut ex = shared.exchange();
    ex.cancel(shared.account, &market, Some(id), None, None, now)
        .map_err(|_| Refusal::new(400, code::ORDER_NOT_OPEN, "order is not open"))?;
    let o = ex
        .orders
        .get(&id)
        .ok_or_else(|| Refusal::new(400, code::ORDER_NOT_FOUND, "order does not exist"))?;
    Ok(json!({"hash": hash, "clientOrderId": o.client_order_id,
        "status": shapes::status(o), "isIdempotent": false}))
}

fn orders(shared: &Shared, q: &Params) -> Value {
    let hashes = lock(&shared.hashes).clone();
    let ex = shared.exchange();
    let mut out: Vec<(u64, Value)> = hashes
        .iter()
        .filter_map(|(h, (id, m))| {
            let o = ex.orders.get(id)?;
            if q.get("market").is_some_and(|want| want != m)
                || q.get("status").is_some_and(|s| s != shapes::status(o))
            {
                return None;
            }
            Some((*id, shapes::order(o, h)))
        })
        .collect();
    out.sort_by_key(|(id, _)| std::cmp::Reverse(*id));
    let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(50);
    let orders: Vec<Value> = out.into_iter().take(limit).map(|(_, v)| v).collect();
    json!({"totalNum": orders.len(), "orders": orders})
}

fn balances(shared: &Shared) -> Value {
    let ex = shared.exchange();
    let Some(account) = ex.accounts.get(shared.account) else {
        return json!([]);
    };
    let out: Vec<Value> = account
        .balances
        .iter()
        .filter_map(|(asset, b)| {
            let t = token(asset)?;
            Some(json!({"accountId": shared.account_id, "tokenId": t.id,
                "total": units(b.free + b.locked, t.decimals), "locked": units(b.locked, t.decimals),
                "pending": {"withdraw": "0", "deposit": "0"}}))
        })
        .collect();
    Value::Array(out)
}

fn trades(shared: &Shared, q: &Params) -> Value {
    let hashes = lock(&shared.hashes).clone();
    let by_id: HashMap<u64, &String> = hashes.iter().map(|(h, (id, _))| (*id, h)).collect();
    let ex = shared.exchange();
    let mut out = Vec::new();
    for (market, trades) in &ex.trades {
        if q.get("market").is_some_and(|m| m != market) {
            continue;
        }
        let Ok(spec) = ex.spec(market) else { continue };
        let (Some(base), Some(quote)) = (token(&spec.base), token(&spec.quote)) else {
            continue;
        };
        for t in trades {
            for ((order, owner), buy, maker) in [
                (t.buyer, true, t.buyer_is_maker),
                (t.seller, false, !t.buyer_is_maker),
            ] {
                let Some(hash) = by_id.get(&order) else {
                    continue;
                };
                if owner != shared.account || q.get("orderHash").is_some_and(|h| h != *hash) {
                    continue;
                }
                let rate = if maker {
                    spec.maker_fee
                } else {
                    spec.taker_fee
                };
                // the fee is taken from what the order buys
                let fee = if buy {
                    units(t.qty * rate, base.decimals)
                } else {
                    units(t.qty * t.price * rate, quote.decimals)
                };
                out.push(json!({
                    "tradeId": format!("{market}-{}-{}", t.id, if buy { "b" } else { "s" }),
                    "orderHash": hash, "market": market, "side": if buy { "BUY" } else { "SELL" },
                    "price": t.price.normalize().to_string(), "volume": units(t.qty, base.decimals),
                    "fee": fee, "liquidity": if maker { "MAKER" } else { "TAKER" },
                    "createdAt": t.time,
                }));
            }
        }
    }
    json!({"totalNum": out.len(), "trades": out})
}
