//! The account endpoints of the indexer's REST API (`comlink`), as a function from a path and
//! query to a status and a JSON body: what the loopback server answers, and what the public
//! indexer's simulator can mount under the same `/v4` base. Errors are the indexer's
//! `{"errors":[{"msg":…}]}` bodies.

use std::collections::HashMap;

use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;

use super::super::engine::DydxEngine;
use super::super::proto::SubaccountId;
use super::views::{self, SubaccountView};

/// An indexer error body with its status.
fn error(status: u16, msg: &str) -> (u16, String) {
    (status, json!({"errors": [{"msg": msg}]}).to_string())
}

/// What the handler needs besides the engine: the node's height and the clock.
pub struct Context<'a> {
    pub engine: &'a DydxEngine,
    pub height: u64,
    pub now_ms: u64,
}

fn subaccount_of(q: &HashMap<String, String>) -> Result<SubaccountId, (u16, String)> {
    let address = q
        .get("address")
        .filter(|a| !a.is_empty())
        .ok_or_else(|| error(400, "address is required"))?;
    let number = q
        .get("subaccountNumber")
        .ok_or_else(|| error(400, "subaccountNumber is required"))?
        .parse::<u32>()
        .map_err(|_| error(400, "subaccountNumber must be a non-negative integer"))?;
    Ok(SubaccountId {
        owner: address.clone(),
        number,
    })
}

fn limit_of(q: &HashMap<String, String>) -> Result<usize, (u16, String)> {
    q.get("limit").map_or(Ok(1000), |l| {
        l.parse::<usize>()
            .map_err(|_| error(400, "limit must be a positive integer"))
    })
}

/// Answers an account endpoint under `/v4` (`path` with or without the `/v4` prefix; `query`
/// undecoded); `None` when `path` is not one of them.
pub fn route(cx: &Context<'_>, path: &str, query: &str) -> Option<(u16, String)> {
    let path = path.strip_prefix("/v4").unwrap_or(path);
    let q: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let ok = |v: Value| (200, v.to_string());
    let answer = |r: Result<Value, (u16, String)>| Some(r.map_or_else(|e| e, ok));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match parts.as_slice() {
        ["height"] => Some(ok(json!({"height": cx.height.to_string(),
            "time": iso8601_millis(cx.now_ms)}))),
        ["time"] => Some(ok(json!({"iso": iso8601_millis(cx.now_ms),
            "epoch": cx.now_ms as f64 / 1000.0}))),
        ["addresses", address, "subaccountNumber", n] => {
            let Ok(number) = n.parse::<u32>() else {
                return Some(error(400, "subaccountNumber must be a non-negative integer"));
            };
            let sub = SubaccountId {
                owner: (*address).to_string(),
                number,
            };
            if !cx.engine.registry().accounts.contains_key(&sub) {
                return Some(error(
                    404,
                    &format!("No subaccount found with address {address} and subaccountNumber {number}"),
                ));
            }
            let v = views::view(cx.engine, &sub);
            Some(ok(json!({"subaccount": views::subaccount_json(&v, cx.height)})))
        }
        ["orders"] => answer(orders(cx, &q)),
        ["orders", id] => {
            let found = cx.engine.registry().by_id.keys().find(|k| views::uuid_of(k) == *id).cloned();
            let Some(order_id) = found else {
                return Some(error(404, &format!("Unable to find order with id: {id}")));
            };
            let v = views::view(cx.engine, &order_id.subaccount_id.clone().unwrap_or_default());
            let row = v.orders.iter().find(|o| o.uuid == *id)?;
            Some(ok(views::order_json(row)))
        }
        ["fills"] => answer(subaccount_of(&q).and_then(|sub| {
            let v = views::view(cx.engine, &sub);
            let limit = limit_of(&q)?;
            let market = q.get("market");
            let fills: Vec<Value> = v
                .fills
                .iter()
                .rev()
                .filter(|f| market.is_none_or(|m| *m == f.ticker))
                .take(limit)
                .map(|f| views::fill_json(f, sub.number))
                .collect();
            Ok(json!({"fills": fills}))
        })),
        ["perpetualPositions"] => answer(subaccount_of(&q).and_then(|sub| {
            let v = views::view(cx.engine, &sub);
            let want: Vec<&str> = q.get("status").map_or(vec![], |s| s.split(',').collect());
            let positions: Vec<Value> = v
                .positions
                .iter()
                .rev()
                .map(|p| views::position_json(p, &sub))
                .filter(|p| want.is_empty() || want.contains(&p["status"].as_str().unwrap_or("")))
                .take(limit_of(&q)?)
                .collect();
            Ok(json!({"positions": positions}))
        })),
        ["fundingPayments"] => answer(subaccount_of(&q).and_then(|sub| {
            let v = views::view(cx.engine, &sub);
            let ticker = q.get("ticker");
            let payments: Vec<Value> = v
                .funding
                .iter()
                .rev()
                .filter(|f| ticker.is_none_or(|t| *t == f.0))
                .take(limit_of(&q)?)
                .map(|(t, time, amount, rate, mark, size)| {
                    let id = cx.engine.markets.by_ticker(t).map_or(0, |m| m.clob_pair_id);
                    json!({"createdAt": iso8601_millis(*time), "createdAtHeight": cx.height.to_string(),
                        "perpetualId": id.to_string(), "ticker": t, "oraclePrice": mark.normalize().to_string(),
                        "size": size.normalize().to_string(), "side": if size.is_sign_negative() { "SHORT" } else { "LONG" },
                        "rate": rate.normalize().to_string(), "payment": amount.normalize().to_string(),
                        "subaccountNumber": sub.number.to_string(), "fundingIndex": "0"})
                })
                .collect();
            Ok(json!({"fundingPayments": payments}))
        })),
        _ => None,
    }
}

fn orders(cx: &Context<'_>, q: &HashMap<String, String>) -> Result<Value, (u16, String)> {
    let sub = subaccount_of(q)?;
    let v: SubaccountView = views::view(cx.engine, &sub);
    let want: Vec<&str> = q.get("status").map_or(vec![], |s| s.split(',').collect());
    let ticker = q.get("ticker");
    let limit = limit_of(q)?;
    Ok(Value::Array(
        v.orders
            .iter()
            .filter(|o| ticker.is_none_or(|t| *t == o.ticker))
            .filter(|o| want.is_empty() || want.contains(&views::status_of(o)))
            .take(limit)
            .map(views::order_json)
            .collect(),
    ))
}
