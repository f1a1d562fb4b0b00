//! Loopring's JSON as the simulator writes it: the `orderbook` topic's updates (`startVersion`
//! and `endVersion` the engine's update ids, sizes in base token units), the depth snapshot, the
//! `resultInfo` refusal, orders, balances and trades.

use alloy::primitives::U256;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use crate::exchange::dialects::binance::shapes::BinanceEvents;
use crate::exchange::engine::account::Balance;
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::events::EventShapes;
use crate::exchange::engine::order::{Execution, Order, OrderStatus, Trade};

/// A token of the simulated exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimToken {
    pub id: u32,
    pub symbol: &'static str,
    pub decimals: u8,
    /// Decimal places of order amounts.
    pub order_precision: u32,
}

/// ETH (id 0), LRC (id 1) and USDC (id 6, 6 decimals).
pub const TOKENS: [SimToken; 3] = [
    SimToken {
        id: 0,
        symbol: "ETH",
        decimals: 18,
        order_precision: 3,
    },
    SimToken {
        id: 1,
        symbol: "LRC",
        decimals: 18,
        order_precision: 1,
    },
    SimToken {
        id: 6,
        symbol: "USDC",
        decimals: 6,
        order_precision: 2,
    },
];

pub fn token(symbol: &str) -> Option<&'static SimToken> {
    TOKENS.iter().find(|t| t.symbol == symbol)
}

pub fn token_by_id(id: u32) -> Option<&'static SimToken> {
    TOKENS.iter().find(|t| t.id == id)
}

/// `amount` in units of a token with `decimals` (the part below one unit dropped).
pub fn units(amount: Decimal, decimals: u8) -> String {
    let mut v = amount;
    for _ in 0..decimals {
        v *= Decimal::TEN;
    }
    v.trunc().normalize().to_string()
}

/// An integer amount in token units as a decimal amount; `None` if it is not one.
pub fn from_units(s: &str, decimals: u8) -> Option<Decimal> {
    let u = U256::from_str_radix(s, 10).ok()?;
    let i = i128::try_from(u).ok().filter(|i| *i < (1i128 << 96))?;
    Decimal::try_from_i128_with_scale(i, u32::from(decimals))
        .ok()
        .map(|d| d.normalize())
}

/// A refusal: HTTP status, `resultInfo` code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: i64,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn body(&self) -> String {
        json!({"resultInfo": {"code": self.code, "message": self.message}}).to_string()
    }
}

/// A depth side as `[price, size, volume, count]`, sizes in base units, volume in quote units.
pub fn depth_side(levels: &[PriceLevel], base: &SimToken, quote: &SimToken) -> Value {
    Value::Array(
        levels
            .iter()
            .map(|(p, q)| {
                json!([
                    p.normalize().to_string(),
                    units(*q, base.decimals),
                    units(*p * *q, quote.decimals),
                    if q.is_zero() { "0" } else { "1" }
                ])
            })
            .collect(),
    )
}

/// The engine's events in Loopring's shapes.
#[derive(Debug, Default)]
pub struct LoopringEvents;

fn market_tokens(symbol: &str) -> Option<(&'static SimToken, &'static SimToken)> {
    let (b, q) = symbol.split_once('-')?;
    Some((token(b)?, token(q)?))
}

impl EventShapes for LoopringEvents {
    fn depth_diff(
        &self,
        symbol: &str,
        first_update_id: u64,
        final_update_id: u64,
        bids: &[PriceLevel],
        asks: &[PriceLevel],
        event_time: u64,
    ) -> String {
        let Some((base, quote)) = market_tokens(symbol) else {
            return String::new();
        };
        json!({
            "topic": {"topic": "orderbook", "market": symbol, "level": 0},
            "ts": event_time,
            "startVersion": first_update_id,
            "endVersion": final_update_id,
            "data": {"bids": depth_side(bids, base, quote), "asks": depth_side(asks, base, quote)},
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

/// Loopring's status word of an engine order.
pub fn status(o: &Order) -> &'static str {
    match o.status {
        OrderStatus::New | OrderStatus::PartiallyFilled => "processing",
        OrderStatus::Filled => "processed",
        OrderStatus::Canceled => "cancelled",
        OrderStatus::Expired => "expired",
    }
}

/// An order document of `GET /api/v3/order(s)`.
pub fn order(o: &Order, hash: &str) -> Value {
    let (base, quote) = market_tokens(&o.symbol).unwrap_or((&TOKENS[0], &TOKENS[2]));
    json!({
        "hash": hash,
        "clientOrderId": o.client_order_id,
        "side": match o.side {
            crate::exchange::engine::order::Side::Buy => "BUY",
            crate::exchange::engine::order::Side::Sell => "SELL",
        },
        "market": o.symbol,
        "price": o.price.normalize().to_string(),
        "volumes": {
            "baseAmount": units(o.orig_qty, base.decimals),
            "quoteAmount": units(o.orig_qty * o.price, quote.decimals),
            "baseFilled": units(o.executed_qty, base.decimals),
            "quoteFilled": units(o.executed_qty * o.price, quote.decimals),
            "fee": "0",
        },
        "validity": {"start": 0, "end": 0},
        "orderType": "LIMIT_ORDER",
        "tradeChannel": "ORDER_BOOK",
        "status": status(o),
    })
}
