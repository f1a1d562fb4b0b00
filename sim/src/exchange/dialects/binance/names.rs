//! Binance's names of the engine's enums (`BUY`, `LIMIT_MAKER`, `IOC`, `PARTIALLY_FILLED`, ...) and
//! the order-response detail a new order asks for (`newOrderRespType`).

use crate::exchange::engine::order::{OrderStatus, OrderType, Side, TimeInForce};

/// Response detail requested by `newOrderRespType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RespType {
    /// ACK.
    Ack,
    /// RESULT.
    Result,
    /// FULL.
    Full,
}

/// Binance's name of an engine value.
pub trait BinanceName {
    /// The name Binance prints.
    fn binance_name(self) -> &'static str;
}

impl BinanceName for Side {
    fn binance_name(self) -> &'static str {
        match self {
            Side::Buy => "BUY",
            Side::Sell => "SELL",
        }
    }
}

impl BinanceName for OrderType {
    fn binance_name(self) -> &'static str {
        match self {
            OrderType::Limit => "LIMIT",
            OrderType::LimitMaker => "LIMIT_MAKER",
            OrderType::Market => "MARKET",
        }
    }
}

impl BinanceName for TimeInForce {
    fn binance_name(self) -> &'static str {
        match self {
            TimeInForce::Gtc => "GTC",
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
        }
    }
}

impl BinanceName for OrderStatus {
    fn binance_name(self) -> &'static str {
        match self {
            OrderStatus::New => "NEW",
            OrderStatus::PartiallyFilled => "PARTIALLY_FILLED",
            OrderStatus::Filled => "FILLED",
            OrderStatus::Canceled => "CANCELED",
            OrderStatus::Expired => "EXPIRED",
        }
    }
}

/// A side from Binance's name.
pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "BUY" => Some(Side::Buy),
        "SELL" => Some(Side::Sell),
        _ => None,
    }
}

/// A time in force from Binance's name.
pub fn parse_time_in_force(s: &str) -> Option<TimeInForce> {
    match s {
        "GTC" => Some(TimeInForce::Gtc),
        "IOC" => Some(TimeInForce::Ioc),
        "FOK" => Some(TimeInForce::Fok),
        _ => None,
    }
}
