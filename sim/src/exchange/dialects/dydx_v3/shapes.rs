//! dYdX v3's JSON of what the engine publishes and of the REST documents: `v3_orderbook`
//! `channel_data` messages (`message_id` counting each market's messages, `offset` the engine's
//! update id; the offset of each level's last change is kept for the REST snapshot), the
//! `{"errors":[{"msg":…}]}` error body, markets, orders and fills.

use std::collections::HashMap;
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::{Value, json};
use sluice::cex::sign::time::iso8601_millis;

use crate::exchange::dialects::binance::shapes::BinanceEvents;
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{
    Execution, Order, OrderStatus, OrderType, Side, TimeInForce, Trade,
};
use crate::exchange::engine::server::lock;
use crate::exchange::engine::spec::SymbolSpec;

/// A plain decimal string (no trailing zeros).
pub fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

/// One market's stream state.
#[derive(Debug, Default)]
pub struct MarketStream {
    /// The `message_id` of its last message.
    pub message_id: u64,
    /// (bid, price) → the offset of the level's last change.
    pub offsets: HashMap<(bool, Decimal), u64>,
}

/// The engine's events in dYdX v3's shapes.
#[derive(Debug, Default)]
pub struct DydxEvents {
    pub markets: Mutex<HashMap<String, MarketStream>>,
}

impl DydxEvents {
    /// The `message_id` a subscription answered now carries (called with the engine locked).
    pub fn current_message_id(&self, market: &str) -> u64 {
        lock(&self.markets).get(market).map_or(0, |m| m.message_id)
    }

    /// A level's offset (0 if it never changed on the stream: seeded before it).
    pub fn offset_of(&self, market: &str, bid: bool, price: Decimal) -> u64 {
        lock(&self.markets)
            .get(market)
            .and_then(|m| m.offsets.get(&(bid, price.normalize())).copied())
            .unwrap_or(0)
    }
}

fn pairs(levels: &[PriceLevel]) -> Value {
    Value::Array(
        levels
            .iter()
            .map(|(p, q)| json!([num(*p), num(*q)]))
            .collect(),
    )
}

impl EventShapes for DydxEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        _first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        _event_time: u64,
    ) -> String {
        let id = {
            let mut all = lock(&self.markets);
            let m = all.entry(symbol.to_string()).or_default();
            m.message_id += 1;
            for (bid, side) in [(true, bids), (false, asks)] {
                for (p, _) in side {
                    m.offsets.insert((bid, p.normalize()), final_update_id);
                }
            }
            m.message_id
        };
        json!({
            "type": "channel_data", "id": symbol, "connection_id": "sim", "channel": "v3_orderbook",
            "message_id": id,
            "contents": {"offset": final_update_id.to_string(), "bids": pairs(bids), "asks": pairs(asks)},
        })
        .to_string()
    }

    // the account events are not served on a stream: Binance's shapes, never sent
    fn trade(&self, trade: &Trade, event_time: u64) -> String {
        BinanceEvents.trade(trade, event_time)
    }

    fn execution(&self, order: &Order, execution: &Execution) -> String {
        BinanceEvents.execution(order, execution)
    }

    fn account_position(&self, changed: &[(String, Balance)], event_time: u64) -> String {
        BinanceEvents.account_position(changed, event_time)
    }

    fn balance_delta(&self, asset: &str, delta: Decimal, event_time: u64) -> String {
        BinanceEvents.balance_delta(asset, delta, event_time)
    }
}

/// A refused request: HTTP status and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DydxError {
    pub status: u16,
    pub msg: String,
}

impl DydxError {
    pub fn new(status: u16, msg: impl Into<String>) -> Self {
        Self {
            status,
            msg: msg.into(),
        }
    }

    pub fn bad(msg: impl Into<String>) -> Self {
        Self::new(400, msg)
    }

    pub fn body(&self) -> String {
        json!({"errors": [{"msg": self.msg}]}).to_string()
    }
}

impl From<EngineError> for DydxError {
    fn from(e: EngineError) -> Self {
        use crate::exchange::engine::error::Filter;
        match e {
            EngineError::UnknownSymbol => Self::bad("Market not found"),
            EngineError::UnknownOrder(_) => Self::new(404, "Order not found"),
            EngineError::InsufficientBalance => Self::bad("Insufficient collateral for the order"),
            EngineError::Filter(Filter::Price) => {
                Self::bad("Price must be a multiple of the tick size")
            }
            EngineError::Filter(_) => Self::bad(
                "Size must be a multiple of the step size and at least the minimum order size",
            ),
            EngineError::DuplicateClientId => Self::bad("Order with this clientId already exists"),
            EngineError::WouldTake => Self::bad("Order would cross with post-only"),
            other => Self::bad(other.to_string()),
        }
    }
}

/// One market of `GET /v3/markets`.
pub fn market(s: &SymbolSpec, oracle: Option<Decimal>, next_funding_at: u64) -> Value {
    let price = oracle.map(num).unwrap_or_default();
    json!({
        "market": s.symbol, "status": "ONLINE", "baseAsset": s.base, "quoteAsset": s.quote,
        "stepSize": num(s.step_size), "tickSize": num(s.tick_size),
        "indexPrice": price, "oraclePrice": price, "nextFundingRate": "0",
        "nextFundingAt": iso8601_millis(next_funding_at), "minOrderSize": num(s.min_qty),
        "type": "PERPETUAL", "initialMarginFraction": "0.05", "maintenanceMarginFraction": "0.03",
    })
}

/// An order's status word and cancel reason.
fn status(o: &Order) -> (&'static str, Option<&'static str>) {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => ("OPEN", None),
        OrderStatus::Filled => ("FILLED", None),
        OrderStatus::Canceled => ("CANCELED", Some("USER_CANCELED")),
        OrderStatus::Expired => ("CANCELED", Some("EXPIRED")),
    }
}

/// An order document.
pub fn order(o: &Order, account_id: &str) -> Value {
    let (status, reason) = status(o);
    let tif = match o.tif {
        TimeInForce::Ioc => "IOC",
        TimeInForce::Fok => "FOK",
        TimeInForce::Gtc => "GTT",
    };
    json!({
        "id": o.id.to_string(), "clientId": o.client_order_id, "accountId": account_id,
        "market": o.symbol, "side": if o.side == Side::Buy { "BUY" } else { "SELL" },
        "price": num(o.price), "triggerPrice": null, "trailingPercent": null,
        "size": num(o.orig_qty), "remainingSize": num(o.remaining()),
        "type": "LIMIT", "createdAt": iso8601_millis(o.time), "unfillableAt": null,
        "expiresAt": null, "status": status, "timeInForce": tif,
        "postOnly": o.order_type == OrderType::LimitMaker, "reduceOnly": false,
        "cancelReason": reason,
    })
}
