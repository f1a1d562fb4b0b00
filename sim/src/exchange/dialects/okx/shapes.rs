//! OKX's names and JSON shapes over the engine's objects: order states, types and sides, the
//! order document (REST and the `orders` channel), fills, balances, instruments, and the
//! [`EventShapes`] the engine renders its stream events with. A depth diff is rendered in an
//! internal form (`{"s","U","u","b","a","E"}`) that each public connection turns into OKX's
//! `books` push with its own sequence ids and checksum (`ws_public.rs`); trades, orders and
//! balances are rendered as OKX pushes directly.

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    ExecType, Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::spec::SymbolSpec;

/// A decimal as OKX prints it: plain, without trailing zeros.
pub fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

pub fn side_name(s: Side) -> &'static str {
    match s {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

pub fn state_name(s: OrderStatus) -> &'static str {
    match s {
        OrderStatus::New => "live",
        OrderStatus::PartiallyFilled => "partially_filled",
        OrderStatus::Filled => "filled",
        OrderStatus::Canceled | OrderStatus::Expired => "canceled",
    }
}

pub fn ord_type_name(t: OrderType, tif: TimeInForce) -> &'static str {
    match (t, tif) {
        (OrderType::Market, _) => "market",
        (OrderType::LimitMaker, _) => "post_only",
        (OrderType::Limit, TimeInForce::Ioc) => "ioc",
        (OrderType::Limit, TimeInForce::Fok) => "fok",
        (OrderType::Limit, TimeInForce::Gtc) => "limit",
    }
}

/// The order document of `GET /api/v5/trade/order` and `orders-pending`.
pub fn order_json(o: &Order) -> Value {
    let avg = if o.executed_qty.is_zero() {
        String::new()
    } else {
        num(o.cum_quote / o.executed_qty)
    };
    json!({
        "instType": "SPOT",
        "instId": o.symbol,
        "ordId": o.id.to_string(),
        "clOrdId": o.client_order_id,
        "px": if o.order_type == OrderType::Market { String::new() } else { num(o.price) },
        "sz": num(o.orig_qty),
        "ordType": ord_type_name(o.order_type, o.tif),
        "side": side_name(o.side),
        "tdMode": "cash",
        "tgtCcy": if o.order_type == OrderType::Market { "base_ccy" } else { "" },
        "state": state_name(o.status),
        "accFillSz": num(o.executed_qty),
        "avgPx": avg,
        "cTime": o.time.to_string(),
        "uTime": o.update_time.to_string(),
    })
}

/// A `public/instruments` item.
pub fn instrument_json(s: &SymbolSpec) -> Value {
    json!({
        "instType": "SPOT",
        "instId": s.symbol,
        "baseCcy": s.base,
        "quoteCcy": s.quote,
        "tickSz": num(s.tick_size),
        "lotSz": num(s.step_size),
        "minSz": num(s.min_qty),
        "maxLmtSz": num(s.max_qty),
        "maxMktSz": num(s.max_qty),
        "state": "live",
        "listTime": "1606468572000",
    })
}

/// A `[px, sz, "0", orders]` level.
pub fn level_json(p: &PriceLevel) -> Value {
    json!([num(p.0), num(p.1), "0", "1"])
}

/// An `account` item for these balances.
pub fn account_json(changed: &[(String, Balance)], time: u64) -> Value {
    let details: Vec<Value> = changed
        .iter()
        .map(|(ccy, b)| {
            json!({
                "ccy": ccy,
                "availBal": num(b.free),
                "frozenBal": num(b.locked),
                "cashBal": num(b.free + b.locked),
                "eq": num(b.free + b.locked),
                "uTime": time.to_string(),
            })
        })
        .collect();
    json!({"uTime": time.to_string(), "totalEq": "0", "details": details})
}

/// The engine's events as OKX renders them.
#[derive(Debug, Default)]
pub struct OkxEvents;

impl EventShapes for OkxEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) -> String {
        json!({
            "s": symbol,
            "U": first_update_id,
            "u": final_update_id,
            "b": bids.iter().map(|(p, q)| json!([p, q])).collect::<Vec<_>>(),
            "a": asks.iter().map(|(p, q)| json!([p, q])).collect::<Vec<_>>(),
            "E": event_time,
        })
        .to_string()
    }

    fn trade(&self, t: &Trade, event_time: u64) -> String {
        json!({
            "arg": {"channel": "trades", "instId": t.symbol},
            "data": [{
                "instId": t.symbol,
                "tradeId": t.id.to_string(),
                "px": num(t.price),
                "sz": num(t.qty),
                "side": if t.buyer_is_maker { "sell" } else { "buy" },
                "ts": event_time.to_string(),
            }]
        })
        .to_string()
    }

    fn execution(&self, o: &Order, ex: &Execution) -> String {
        let mut d = order_json(o);
        let (trade_id, fill_px, fill_sz, fee, fee_ccy, exec_type) = match &ex.last_fill {
            Some((qty, price, commission, asset, trade_id, maker)) => (
                trade_id.to_string(),
                num(*price),
                num(*qty),
                num(-*commission),
                asset.clone(),
                if *maker { "M" } else { "T" },
            ),
            None => (
                String::new(),
                String::new(),
                "0".into(),
                "0".into(),
                String::new(),
                "",
            ),
        };
        if let Some(m) = d.as_object_mut() {
            m.insert("tradeId".into(), json!(trade_id));
            m.insert("fillPx".into(), json!(fill_px));
            m.insert("fillSz".into(), json!(fill_sz));
            m.insert("fillFee".into(), json!(fee));
            m.insert("fillFeeCcy".into(), json!(fee_ccy));
            m.insert("fillTime".into(), json!(ex.time.to_string()));
            m.insert("execType".into(), json!(exec_type));
            m.insert(
                "cancelSource".into(),
                json!(if ex.exec_type == ExecType::Expired {
                    "ioc_fok_remainder"
                } else {
                    ""
                }),
            );
        }
        json!({"arg": {"channel": "orders", "instType": "SPOT"}, "data": [d]}).to_string()
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        json!({"arg": {"channel": "account"}, "data": [account_json(changed, event_time)]})
            .to_string()
    }

    /// OKX has no delta event: the `account` push that follows carries the new balances.
    fn balance_delta(&self, _asset: &str, _delta: Decimal, _event_time: u64) -> String {
        String::new()
    }
}
