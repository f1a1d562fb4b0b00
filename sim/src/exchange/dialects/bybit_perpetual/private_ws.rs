//! The simulated private stream `/v5/private`: ops `auth` (`args: [apiKey, expires,
//! signature]`, the signature verified as hex HMAC-SHA256 of `GET/realtime{expires}` with the
//! key's secret; an `expires` not in the future is answered `Params Error`, an unknown key or a
//! bad signature `Request not authorized`, both `success: false`, the socket kept open as Bybit
//! does), `subscribe` / `unsubscribe` of `order`, `execution`, `position`, `wallet` (refused
//! before an auth), and `ping` (answered `{"op":"pong","args":[<ms>]}`).
//!
//! Pushes, in Bybit's shapes, from the engine's executions of the account's orders (rendered by
//! [`execution_event`], completed here with the order's `positionIdx` and the fee at the
//! symbol's maker or taker rate, as `execution/list` charges it): per fill its `execution`
//! (`execId` = the engine's trade id, as `execution/list` gives it), the `order`, then the
//! `position` and the `wallet`; an order event without a fill is its `order` alone. Each funding
//! settlement booked after the auth is pushed as an `execution` with `execType: Funding`, then
//! the position and the wallet. Positions, PnL and the wallet are the engine ledger's (`engine::perp`), shown as `position/list` and `wallet-balance` show them.
//!
//! Faults: the engine's controls: `set_user_streams_down(true)` refuses new private connections
//! (503) and `drop_user_streams` closes them abruptly; `user_connections` counts the
//! connections with a subscription.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::account::{idx_of, settlement_id};
use super::private::{position_item, wallet_item};
use super::server::Shared;
use super::shapes::num;
use crate::exchange::dialects::binance::verify_hmac_hex;
use crate::exchange::engine::account::AccountKey;
use crate::exchange::engine::exchange::Exchange;
use crate::exchange::engine::order::{Execution, Order};
use crate::exchange::engine::perp::PerpLedger;
use crate::exchange::engine::server::lock;

/// The private stream's path.
pub const PRIVATE_PATH: &str = "/v5/private";

/// The topics served.
pub const TOPICS: [&str; 4] = ["order", "execution", "position", "wallet"];

/// How often a socket looks for new funding settlements.
const FUNDING_CHECK: Duration = Duration::from_millis(25);

/// The engine's rendering of an execution of an order (see [`execution_event`]'s socket): the
/// order as Bybit's `order` topic reports it at that moment (its `positionIdx` filled in when
/// sent) and the fill, if the execution was one.
pub fn execution_event(order: &Order, execution: &Execution) -> String {
    let mut item = super::private::order_json(order, 0);
    if let Some(o) = item.as_object_mut() {
        o.insert("category".into(), "linear".into());
        o.insert(
            "leavesQty".into(),
            num(order.orig_qty - order.executed_qty).into(),
        );
        o.insert("rejectReason".into(), "EC_NoError".into());
    }
    let fill = execution
        .last_fill
        .as_ref()
        .map(|(qty, price, _, _, trade_id, maker)| {
            json!({"qty": num(*qty), "price": num(*price), "tradeId": trade_id, "maker": maker})
        });
    json!({"sim": "execution", "order": item, "fill": fill, "time": execution.time}).to_string()
}

/// One socket's state.
#[derive(Default)]
struct Session {
    /// The account an accepted auth named.
    account: Option<usize>,
    topics: HashSet<String>,
    events: Option<broadcast::Receiver<Arc<str>>>,
    /// Funding settlements already pushed (or booked before the auth).
    funding_seen: usize,
    /// Counted in `user_connections` (since its first subscription).
    counted: bool,
}

fn push(topic: &str, data: Vec<Value>, now: u64) -> String {
    json!({"id": format!("sim-{topic}-{now}"), "topic": topic, "creationTime": now, "data": data})
        .to_string()
}

/// The next engine event, or never without an auth.
async fn next_event(
    events: &mut Option<broadcast::Receiver<Arc<str>>>,
) -> Result<Arc<str>, RecvError> {
    match events {
        Some(rx) => rx.recv().await,
        None => std::future::pending().await,
    }
}

/// Runs one private socket until it is dropped, the fault closes it or the servers stop.
pub async fn run(mut ws: WebSocketStream<TcpStream>, shared: Arc<Shared>) {
    let mut kill = shared.user_kill.subscribe();
    kill.mark_unchanged();
    let mut shutdown = shared.shutdown.subscribe();
    let mut check = tokio::time::interval(FUNDING_CHECK);
    let mut s = Session::default();
    'socket: loop {
        let out = tokio::select! {
            biased;
            _ = kill.changed() => break,
            _ = shutdown.changed() => break,
            incoming = ws.next() => match incoming {
                Some(Ok(Message::Text(t))) => s.on_client(&shared, t.as_str()),
                Some(Ok(Message::Ping(p))) => {
                    let _ = ws.send(Message::Pong(p)).await;
                    continue;
                }
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => continue,
            },
            event = next_event(&mut s.events) => match event {
                Ok(text) => s.on_engine(&shared, &text),
                // events were lost: close, as a slow Bybit socket is, so the client resyncs
                Err(RecvError::Lagged(_)) | Err(RecvError::Closed) => break,
            },
            _ = check.tick() => s.on_funding(&shared),
        };
        for m in out {
            if ws.send(Message::text(m)).await.is_err() {
                break 'socket;
            }
        }
    }
    if s.counted {
        shared.user_connections.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Session {
    /// The answers to one client message.
    fn on_client(&mut self, shared: &Shared, text: &str) -> Vec<String> {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return vec![
                json!({"success": false, "ret_msg": "error:invalid json", "op": ""}).to_string(),
            ];
        };
        let op = v.get("op").and_then(Value::as_str).unwrap_or("");
        let req_id = v.get("req_id").cloned().unwrap_or_else(|| json!(""));
        let args = v.get("args").and_then(Value::as_array).cloned();
        let answer = |success: bool, msg: &str| {
            json!({"req_id": req_id, "success": success, "ret_msg": msg, "op": op, "conn_id": "sim-private"})
                .to_string()
        };
        match op {
            "ping" => vec![
                json!({"req_id": req_id, "op": "pong", "args": [shared.now_ms().to_string()], "conn_id": "sim-private"})
                    .to_string(),
            ],
            "auth" => match self.auth(shared, args.as_deref().unwrap_or_default()) {
                Ok(()) => vec![answer(true, "")],
                Err(msg) => vec![answer(false, msg)],
            },
            "subscribe" | "unsubscribe" if self.account.is_none() => {
                vec![answer(false, "Request not authorized")]
            }
            "subscribe" | "unsubscribe" => {
                let topics: Vec<&str> = args
                    .as_deref()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::as_str)
                    .collect();
                if let Some(bad) = topics.iter().find(|t| !TOPICS.contains(t)) {
                    return vec![answer(false, &format!("error:handler not found,topic:{bad}"))];
                }
                for t in topics {
                    if op == "subscribe" {
                        self.topics.insert(t.to_string());
                    } else {
                        self.topics.remove(t);
                    }
                }
                if op == "subscribe" && !self.counted {
                    self.counted = true;
                    shared.user_connections.fetch_add(1, Ordering::SeqCst);
                }
                vec![answer(true, "")]
            }
            _ => vec![answer(false, "error:unknown op")],
        }
    }

    /// Verifies an auth's `[apiKey, expires, signature]`; on success the account's events are
    /// followed from now on.
    fn auth(&mut self, shared: &Shared, args: &[Value]) -> Result<(), &'static str> {
        let [key, expires, sign] = args else {
            return Err("Params Error");
        };
        let expires: u64 = match expires {
            Value::Number(n) => n.as_u64(),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
        .ok_or("Params Error")?;
        if expires <= shared.now_ms() {
            return Err("Params Error");
        }
        let (Some(key), Some(sign)) = (key.as_str(), sign.as_str()) else {
            return Err("Params Error");
        };
        let ex = shared.exchange();
        let account = *ex.keys.get(key).ok_or("Request not authorized")?;
        let acct = ex.accounts.get(account).ok_or("Request not authorized")?;
        let AccountKey::Hmac(secret) = acct.key() else {
            return Err("Request not authorized");
        };
        let text = format!("GET/realtime{expires}");
        if !verify_hmac_hex(secret.as_bytes(), text.as_bytes(), sign) {
            return Err("Request not authorized");
        }
        self.events = Some(acct.user_tx.subscribe());
        self.account = Some(account);
        self.funding_seen = lock(&shared.derivatives).funding.len();
        Ok(())
    }

    /// The pushes of one engine event (an execution of ours; anything else is not Bybit's).
    fn on_engine(&mut self, shared: &Shared, text: &str) -> Vec<String> {
        let Ok(ev) = serde_json::from_str::<Value>(text) else {
            return Vec::new();
        };
        if ev.get("sim").and_then(Value::as_str) != Some("execution") || self.topics.is_empty() {
            return Vec::new();
        }
        let (Some(mut order), Some(account)) = (ev.get("order").cloned(), self.account) else {
            return Vec::new();
        };
        let now = shared.now_ms();
        let text_of = |k: &str| {
            order
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let symbol = text_of("symbol");
        let ex = shared.exchange();
        let d = shared.ledger(&ex);
        let idx = text_of("orderId")
            .parse::<u64>()
            .ok()
            .and_then(|id| d.account(account)?.order_sides.get(&id).copied())
            .map_or(0, idx_of);
        order["positionIdx"] = idx.into();
        let mut out = Vec::new();
        let fill = ev.get("fill").filter(|f| !f.is_null());
        if let (Some(f), Ok(spec)) = (fill, ex.spec(&symbol)) {
            let dec = |k: &str| {
                f.get(k)
                    .and_then(Value::as_str)
                    .and_then(|v| v.parse::<Decimal>().ok())
                    .unwrap_or_default()
            };
            let (qty, price) = (dec("qty"), dec("price"));
            let maker = f.get("maker").and_then(Value::as_bool).unwrap_or(false);
            let rate = if maker {
                spec.maker_fee
            } else {
                spec.taker_fee
            };
            let trade_id = f.get("tradeId").map_or(String::new(), Value::to_string);
            let item = json!({
                "category": "linear", "symbol": symbol, "execFee": num((price * qty * rate).round_dp(8)),
                "execId": trade_id, "execPrice": num(price), "execQty": num(qty), "execType": "Trade",
                "execValue": num(price * qty), "isMaker": maker, "feeRate": num(rate),
                "leavesQty": order["leavesQty"], "orderId": order["orderId"],
                "orderLinkId": order["orderLinkId"], "orderPrice": order["price"],
                "orderQty": order["qty"], "orderType": order["orderType"], "side": order["side"],
                "execTime": ev["time"].to_string(), "feeCurrency": "", "closedSize": "",
            });
            if self.topics.contains("execution") {
                out.push(push("execution", vec![item], now));
            }
        }
        if self.topics.contains("order") {
            out.push(push("order", vec![order], now));
        }
        if fill.is_some() {
            out.extend(self.account_pushes(&ex, &d, account, &symbol, now));
        }
        out
    }

    /// The funding settlements booked since the last look, as `Funding` executions, each with
    /// the position and the wallet after it.
    fn on_funding(&mut self, shared: &Shared) -> Vec<String> {
        let Some(account) = self.account else {
            return Vec::new();
        };
        if lock(&shared.derivatives).funding.len() <= self.funding_seen {
            return Vec::new();
        }
        // the engine before the ledger, as every other path locks them
        let ex = shared.exchange();
        let d = shared.ledger(&ex);
        let now = shared.now_ms();
        let fresh = d.funding.get(self.funding_seen..).unwrap_or_default();
        self.funding_seen = d.funding.len();
        let mut out = Vec::new();
        for r in fresh.iter().filter(|r| r.account == account) {
            let size = d.position(account, &r.symbol, r.side).size;
            if self.topics.contains("execution") {
                let item = json!({
                    "category": "linear", "symbol": r.symbol, "execFee": num(-r.amount),
                    "execId": format!("{}-exec", settlement_id(r)), "execPrice": num(r.mark),
                    "execQty": num(size.abs()), "execType": "Funding", "isMaker": false,
                    "orderId": "", "orderLinkId": "", "feeRate": num(r.rate),
                    "side": if size < Decimal::ZERO { "Sell" } else { "Buy" },
                    "execTime": r.time.to_string(), "feeCurrency": "",
                });
                out.push(push("execution", vec![item], now));
            }
            out.extend(self.account_pushes(&ex, &d, account, &r.symbol, now));
        }
        out
    }

    /// The `position` push of `symbol`'s positions and the `wallet` push, if subscribed: the
    /// same items as `position/list` and `wallet-balance`.
    fn account_pushes(
        &self,
        ex: &Exchange,
        d: &PerpLedger,
        account: usize,
        symbol: &str,
        now: u64,
    ) -> Vec<String> {
        let mut out = Vec::new();
        if self.topics.contains("position") {
            let items: Vec<Value> = d
                .sides(account)
                .iter()
                .map(|&side| {
                    let mut item = position_item(d, ex, account, symbol, side);
                    if let Some(o) = item.as_object_mut() {
                        o.insert("category".into(), "linear".into());
                        o.insert("entryPrice".into(), o["avgPrice"].clone());
                        o.insert("positionStatus".into(), "Normal".into());
                        o.insert("updatedTime".into(), now.to_string().into());
                    }
                    item
                })
                .collect();
            out.push(push("position", items, now));
        }
        if self.topics.contains("wallet") {
            out.push(push("wallet", vec![wallet_item(d, ex, account)], now));
        }
        out
    }
}
