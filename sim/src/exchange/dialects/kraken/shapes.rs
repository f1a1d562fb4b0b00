//! Kraken's message shapes on the exchange side: the `executions` and `balances` events of the
//! private WebSocket (the engine's [`EventShapes`]), REST order and trade documents, `AssetPairs`
//! entries, and the `book` channel's messages with their CRC32 checksum computed the documented
//! way (the decimal strings with the point and leading zeros removed — a string implementation,
//! independent of the connector's integer one).
//!
//! Fees: the engine charges a buyer in the base asset; Kraken reports (and by default charges)
//! fees in the quote asset, so a buyer's fee is reported as its value at the trade price.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::names::{self, asset_names, fixed};
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{ExecType, Execution, Order, OrderType, Trade};
use crate::exchange::engine::spec::SymbolSpec;

/// What the shapes need of a symbol.
#[derive(Debug, Clone)]
pub struct SymbolNames {
    pub ws_symbol: String,
    pub base: String,
    pub quote: String,
    pub price_dp: u32,
    pub lot_dp: u32,
}

impl SymbolNames {
    pub fn of(spec: &SymbolSpec) -> Self {
        Self {
            ws_symbol: names::ws_symbol(spec),
            base: spec.base.clone(),
            quote: spec.quote.clone(),
            price_dp: names::decimals(spec.tick_size),
            lot_dp: names::decimals(spec.step_size),
        }
    }
}

/// Kraken's rendering of the engine's events.
#[derive(Debug)]
pub struct KrakenEvents {
    pub symbols: HashMap<String, SymbolNames>,
}

/// A fee in the quote asset: a base-asset commission valued at `price`.
pub fn quote_fee(commission: Decimal, asset: &str, base: &str, price: Decimal) -> Decimal {
    if asset == base {
        commission
            .checked_mul(price)
            .map(|v| v.round_dp(8))
            .unwrap_or_default()
    } else {
        commission
    }
}

impl EventShapes for KrakenEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        _: u64,
        _: u64,
        _: &[PriceLevel],
        _: &[PriceLevel],
        _: u64,
    ) -> String {
        // a notification only: each connection renders its own book view (see `book_feed`)
        symbol.to_string()
    }

    fn trade(&self, trade: &Trade, _event_time: u64) -> String {
        trade.symbol.clone()
    }

    fn execution(&self, o: &Order, e: &Execution) -> String {
        let Some(n) = self.symbols.get(&o.symbol) else {
            return String::new();
        };
        let exec_type = match e.exec_type {
            ExecType::New => "new",
            ExecType::Trade => "trade",
            ExecType::Canceled => "canceled",
            ExecType::Expired => "expired",
        };
        let mut d = Obj::new()
            .str("order_id", &names::order_txid(o.id))
            .str("cl_ord_id", &o.client_order_id)
            .str("symbol", &n.ws_symbol)
            .str("side", names::side(o.side))
            .str("order_type", names::order_type(o.order_type))
            .raw("order_qty", &fixed(o.orig_qty, n.lot_dp))
            .str("exec_type", exec_type)
            .str("order_status", names::ws_status(o))
            .raw("cum_qty", &fixed(o.executed_qty, n.lot_dp))
            .str("timestamp", &names::rfc3339(e.time));
        if o.order_type != OrderType::Market {
            d = d.raw("limit_price", &fixed(o.price, n.price_dp));
        }
        match &e.last_fill {
            Some((qty, price, commission, asset, trade_id, maker)) => {
                let fee = quote_fee(*commission, asset, &n.base, *price);
                let fees = Obj::new()
                    .str("asset", asset_names(&n.quote).1)
                    .raw("qty", &fee.normalize().to_string())
                    .end();
                d = d
                    .str("exec_id", &names::trade_txid(*trade_id))
                    .raw("trade_id", &trade_id.to_string())
                    .raw("last_qty", &fixed(*qty, n.lot_dp))
                    .raw("last_price", &fixed(*price, n.price_dp))
                    .str("liquidity_ind", if *maker { "m" } else { "t" })
                    .raw("fees", &format!("[{fees}]"));
            }
            None => d = d.str("exec_id", &format!("E{:015}", e.execution_id)),
        }
        format!(
            "{{\"channel\":\"executions\",\"type\":\"update\",\"data\":[{}]}}",
            d.end()
        )
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        let data: Vec<String> = changed
            .iter()
            .map(|(asset, b)| {
                Obj::new()
                    .str("asset", asset_names(asset).1)
                    .str("asset_class", "currency")
                    .raw("balance", &(b.free + b.locked).normalize().to_string())
                    .str("type", "trade")
                    .str("timestamp", &names::rfc3339(event_time))
                    .end()
            })
            .collect();
        format!(
            "{{\"channel\":\"balances\",\"type\":\"update\",\"data\":[{}]}}",
            data.join(",")
        )
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        let d = Obj::new()
            .str("asset", asset_names(asset).1)
            .str("asset_class", "currency")
            .str("type", "deposit")
            .raw("amount", &delta.normalize().to_string())
            .str("timestamp", &names::rfc3339(event_time))
            .end();
        format!("{{\"channel\":\"balances\",\"type\":\"update\",\"data\":[{d}]}}")
    }
}

/// A JSON object written field by field, numbers as their exact decimal text.
struct Obj(String);

impl Obj {
    fn new() -> Self {
        Obj(String::from("{"))
    }

    /// A field whose value is already JSON (a number's digits, an array).
    fn raw(mut self, key: &str, value: &str) -> Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
        self.0.push_str(value);
        self
    }

    fn str(self, key: &str, value: &str) -> Self {
        let quoted = serde_json::to_string(value).unwrap_or_else(|_| "\"\"".into());
        self.raw(key, &quoted)
    }

    fn end(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The checksum string of one level: point and leading zeros removed.
fn checksum_part(s: &str, out: &mut String) {
    let digits: String = s.chars().filter(|c| *c != '.').collect();
    let trimmed = digits.trim_start_matches('0');
    out.push_str(if trimmed.is_empty() { "0" } else { trimmed });
}

/// Kraken's CRC32 over the top 10 asks (low to high) then bids (high to low).
pub fn checksum(bids: &[PriceLevel], asks: &[PriceLevel], n: &SymbolNames) -> u32 {
    let mut s = String::with_capacity(400);
    for (p, q) in asks.iter().take(10).chain(bids.iter().take(10)) {
        checksum_part(&fixed(*p, n.price_dp), &mut s);
        checksum_part(&fixed(*q, n.lot_dp), &mut s);
    }
    crc32fast::hash(s.as_bytes())
}

/// Levels as `[{"price":…,"qty":…}]` with full precision.
pub fn levels_json(levels: &[PriceLevel], n: &SymbolNames) -> String {
    let mut s = String::from("[");
    for (i, (p, q)) in levels.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&format!(
            "{{\"price\":{},\"qty\":{}}}",
            fixed(*p, n.price_dp),
            fixed(*q, n.lot_dp)
        ));
    }
    s.push(']');
    s
}

/// A `book` message.
pub fn book_message(
    kind: &str,
    n: &SymbolNames,
    bids: &[PriceLevel],
    asks: &[PriceLevel],
    checksum: u32,
    time_ms: u64,
) -> String {
    format!(
        "{{\"channel\":\"book\",\"type\":\"{kind}\",\"data\":[{{\"symbol\":\"{}\",\"bids\":{},\"asks\":{},\"checksum\":{checksum},\"timestamp\":\"{}\"}}]}}",
        n.ws_symbol,
        levels_json(bids, n),
        levels_json(asks, n),
        names::rfc3339(time_ms)
    )
}

/// An `AssetPairs` entry.
pub fn asset_pair(spec: &SymbolSpec) -> Value {
    // a fee schedule's percent is not a traded value: a JSON number is what Kraken sends
    let pct = |f: Decimal| {
        serde_json::from_str::<Value>(&(f * Decimal::ONE_HUNDRED).normalize().to_string())
            .unwrap_or(Value::Null)
    };
    json!({
        "altname": spec.symbol,
        "wsname": names::wsname(spec),
        "aclass_base": "currency",
        "base": spec.base,
        "aclass_quote": "currency",
        "quote": spec.quote,
        "lot": "unit",
        "cost_decimals": 5,
        "pair_decimals": names::decimals(spec.tick_size),
        "lot_decimals": names::decimals(spec.step_size),
        "lot_multiplier": 1,
        "leverage_buy": [],
        "leverage_sell": [],
        "fees": [[0, pct(spec.taker_fee)]],
        "fees_maker": [[0, pct(spec.maker_fee)]],
        "fee_volume_currency": "ZUSD",
        "margin_call": 80,
        "margin_stop": 40,
        "ordermin": spec.min_qty.normalize().to_string(),
        "costmin": spec.min_notional.normalize().to_string(),
        "tick_size": spec.tick_size.normalize().to_string(),
        "status": "online",
    })
}

/// An order as `OpenOrders` / `ClosedOrders` / `QueryOrders` describe it.
pub fn order_info(o: &Order, spec: &SymbolSpec, trades: Option<Vec<String>>) -> Value {
    let n = SymbolNames::of(spec);
    let avg = if o.executed_qty.is_zero() {
        Decimal::ZERO
    } else {
        o.cum_quote.checked_div(o.executed_qty).unwrap_or_default()
    };
    let mut flags = vec!["fciq"];
    if o.order_type == OrderType::LimitMaker {
        flags.push("post");
    }
    let price = fixed(o.price, n.price_dp);
    let mut v = json!({
        "refid": null,
        "userref": 0,
        "cl_ord_id": o.client_order_id,
        "status": names::rest_status(o.status),
        "opentm": serde_json::from_str::<Value>(&names::secs(o.time)).unwrap_or(Value::Null),
        "starttm": 0,
        "expiretm": 0,
        "descr": {
            "pair": spec.symbol,
            "type": names::side(o.side),
            "ordertype": names::order_type(o.order_type),
            "price": price,
            "price2": "0",
            "leverage": "none",
            "order": format!("{} {} {} @ {} {}", names::side(o.side), fixed(o.orig_qty, n.lot_dp),
                spec.symbol, names::order_type(o.order_type), price),
            "close": "",
        },
        "vol": fixed(o.orig_qty, n.lot_dp),
        "vol_exec": fixed(o.executed_qty, n.lot_dp),
        "cost": fixed(o.cum_quote, 5),
        "fee": "0.00000",
        "price": fixed(avg, n.price_dp),
        "stopprice": "0.00000",
        "limitprice": "0.00000",
        "misc": "",
        "oflags": flags.join(","),
    });
    if !o.status.is_open() {
        v["closetm"] =
            serde_json::from_str::<Value>(&names::secs(o.update_time)).unwrap_or(Value::Null);
    }
    if let Some(t) = trades {
        v["trades"] = json!(t);
    }
    v
}

/// One trade of `QueryTrades`, from the side of order `order_id`.
pub fn trade_info(t: &Trade, order_id: u64, o: &Order, spec: &SymbolSpec) -> Value {
    let n = SymbolNames::of(spec);
    let buyer = t.buyer.0 == order_id;
    let maker = buyer == t.buyer_is_maker;
    let fee = if buyer {
        quote_fee(t.commissions.0, &t.assets.0, &spec.base, t.price)
    } else {
        t.commissions.1
    };
    json!({
        "ordertxid": names::order_txid(order_id),
        "postxid": format!("P{:016X}", t.id),
        "pair": names::rest_key(spec),
        "time": serde_json::from_str::<Value>(&names::secs(t.time)).unwrap_or(Value::Null),
        "type": if buyer { "buy" } else { "sell" },
        "ordertype": names::order_type(o.order_type),
        "price": fixed(t.price, n.price_dp),
        "cost": fixed(t.price * t.qty, 5),
        "fee": fixed(fee, 8),
        "vol": fixed(t.qty, n.lot_dp),
        "margin": "0.00000",
        "misc": "",
        "maker": maker,
        "trade_id": t.id,
    })
}
