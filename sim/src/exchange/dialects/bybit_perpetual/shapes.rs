//! Bybit v5's JSON of what the engine publishes and of the REST documents: the
//! `orderbook.50.<SYMBOL>` snapshot and deltas (`u` counts the symbol's messages one by one, as
//! Bybit's does, while the engine numbers each changed level: the dialect renumbers; `seq` is the
//! engine's update id, a cross sequence), the `{"retCode","retMsg","result"}` envelope, the
//! error of a refused request, the instrument listing and the tickers.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::dialects::binance::shapes::{BinanceEvents, fmt8};
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{Execution, Order, Trade};
use crate::exchange::engine::server::lock;
use crate::exchange::engine::spec::SymbolSpec;

/// A plain decimal string (no trailing zeros).
pub fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

fn levels(levels: &[PriceLevel]) -> Value {
    Value::Array(
        levels
            .iter()
            .map(|(p, q)| json!([num(*p), num(*q)]))
            .collect(),
    )
}

/// `orderbook.50.<symbol>`.
pub fn topic(symbol: &str) -> String {
    format!("orderbook.50.{symbol}")
}

/// One book message.
pub fn book_message(
    kind: &str,
    symbol: &str,
    bids: &[PriceLevel],
    asks: &[PriceLevel],
    u: u64,
    seq: u64,
    ts: u64,
) -> String {
    json!({
        "topic": topic(symbol), "type": kind, "ts": ts,
        "data": {"s": symbol, "b": levels(bids), "a": levels(asks), "u": u, "seq": seq},
        "cts": ts,
    })
    .to_string()
}

/// The engine's events in Bybit's shapes; the message counter of each symbol's book stream.
#[derive(Debug, Default)]
pub struct BybitEvents {
    /// Symbol → `u` of its last book message.
    pub book_u: Mutex<HashMap<String, u64>>,
}

impl BybitEvents {
    /// The `u` a snapshot taken now carries (called with the engine locked).
    pub fn current_u(&self, symbol: &str) -> u64 {
        lock(&self.book_u).get(symbol).copied().unwrap_or(1)
    }
}

impl EventShapes for BybitEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        _first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) -> String {
        let u = {
            let mut m = lock(&self.book_u);
            let u = m.entry(symbol.to_string()).or_insert(1);
            *u += 1;
            *u
        };
        book_message("delta", symbol, bids, asks, u, final_update_id, event_time)
    }

    // no public trade stream is served, nor spot balance events: they keep Binance's shapes
    fn trade(&self, trade: &Trade, event_time: u64) -> String {
        BinanceEvents.trade(trade, event_time)
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        super::private_ws::execution_event(order, execution)
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        BinanceEvents.account_position(changed, event_time)
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        BinanceEvents.balance_delta(asset, delta, event_time)
    }
}

/// A refused request: its `retCode` and `retMsg` (HTTP 200, as Bybit answers them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BybitError {
    pub code: i64,
    pub msg: String,
}

impl BybitError {
    pub fn new(code: i64, msg: impl Into<String>) -> Self {
        Self {
            code,
            msg: msg.into(),
        }
    }

    pub fn params(msg: impl Into<String>) -> Self {
        Self::new(10001, msg)
    }

    pub fn body(&self, now: u64) -> String {
        json!({"retCode": self.code, "retMsg": self.msg, "result": {}, "retExtInfo": {}, "time": now})
            .to_string()
    }
}

impl From<EngineError> for BybitError {
    fn from(e: EngineError) -> Self {
        use crate::exchange::engine::error::Filter;
        match e {
            EngineError::UnknownSymbol => Self::new(10001, "params error: symbol invalid"),
            EngineError::UnknownOrder(_) => {
                Self::new(110001, "order not exists or too late to cancel")
            }
            EngineError::InsufficientBalance => Self::new(110007, "ab not enough for new order"),
            EngineError::Filter(Filter::Price) => {
                Self::new(110003, "Order price is out of permissible range")
            }
            EngineError::Filter(_) => Self::new(110094, "Order does not meet minimum order value"),
            EngineError::DuplicateClientId => Self::new(110072, "OrderLinkedID is duplicate"),
            EngineError::WouldTake => Self::new(110013, "Post only order will take liquidity"),
            other => Self::new(10001, format!("params error: {other}")),
        }
    }
}

/// A successful envelope around `result`.
pub fn ok(result: Value, now: u64) -> String {
    json!({"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": now})
        .to_string()
}

/// One item of `instruments-info?category=linear`.
pub fn instrument(s: &SymbolSpec) -> Value {
    json!({
        "symbol": s.symbol, "contractType": "LinearPerpetual", "status": "Trading",
        "baseCoin": s.base, "quoteCoin": s.quote, "settleCoin": s.quote,
        "priceFilter": {"minPrice": num(s.min_price), "maxPrice": num(s.max_price), "tickSize": fmt8(s.tick_size)},
        "lotSizeFilter": {"maxOrderQty": num(s.max_qty), "minOrderQty": num(s.min_qty),
            "qtyStep": num(s.step_size), "minNotionalValue": num(s.min_notional)},
        "leverageFilter": {"minLeverage": "1", "maxLeverage": "100.00", "leverageStep": "0.01"},
        "fundingInterval": 480,
    })
}
