//! KuCoin REST messages: the HTTP protocol (error bodies `{"code","msg"}`, server time, the
//! `gw-ratelimit-*` headers), the documented resource-pool rate limits, the response envelope
//! (`code` `"200000"` or an error, HTTP 200 included), response types and their conversion to
//! sluice's core types (market rules from `/api/v2/symbols`, order states, fills, balances).
//! Numbers arrive as strings: [`dec_str`] reads them and refuses anything not a plain decimal.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};

use crate::cex::error::CexError;
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, Pair,
    Side, TimeInForce,
};

use super::errors::{classify, code};

/// KuCoin's `clientOid`: at most 40 characters; letters, digits, `-` and `_`.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 40,
    allowed: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
};

/// Rate-limit counters: KuCoin's resource pools (each a quota of weight per 30 s).
pub mod limit {
    pub const PUBLIC: &str = "kucoin:public";
    pub const SPOT: &str = "kucoin:spot";
    pub const MANAGEMENT: &str = "kucoin:management";

    /// Documented weights (spot, VIP 0).
    pub const W_TIME: u32 = 3;
    pub const W_SYMBOLS: u32 = 4;
    pub const W_BOOK: u32 = 4;
    pub const W_BULLET: u32 = 10;
    pub const W_PLACE: u32 = 2;
    pub const W_CANCEL: u32 = 5;
    pub const W_ORDER: u32 = 3;
    pub const W_ORDERS: u32 = 2;
    pub const W_FILLS: u32 = 10;
    pub const W_ACCOUNTS: u32 = 5;
}

/// The pool quotas (VIP 0): public 2000, spot 4000, management 2000 weight per 30 s.
pub fn default_limits() -> Vec<RateLimit> {
    let w = Duration::from_secs(30);
    vec![
        RateLimit::new(limit::PUBLIC, w, 2000),
        RateLimit::new(limit::SPOT, w, 4000),
        RateLimit::new(limit::MANAGEMENT, w, 2000),
    ]
}

/// The HTTP side of KuCoin.
#[derive(Debug, Clone, Default)]
pub struct KuCoinProtocol;

/// An error body: `code` (a numeric string) and `msg`.
fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Body {
        code: String,
        #[serde(default)]
        msg: String,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    Some((b.code.trim().parse().ok()?, b.msg))
}

impl HttpProtocol for KuCoinProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(&self, status: u16, code: i64, msg: &str) -> crate::cex::error::ApiErrorKind {
        classify(status, code, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v1/timestamp"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::PUBLIC, limit::W_TIME)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        decode_data::<i64>("server time", body).ok()
    }

    /// `gw-ratelimit-remaining` 0 means the pool is spent until `gw-ratelimit-reset` (ms): the
    /// limiter waits that long rather than earn a 429.
    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        let num = |n: &str| {
            headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if let (Some(0), Some(reset)) = (num("gw-ratelimit-remaining"), num("gw-ratelimit-reset")) {
            limiter.block_for(Duration::from_millis(reset.min(30_000)));
        }
    }
}

/// Parses a JSON body into `T`, with an error that names what was expected and shows the start of
/// the body (an HTML page, say).
pub fn decode<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, CexError> {
    serde_json::from_slice(body).map_err(|e| CexError::Decode {
        what: what.to_string(),
        detail: format!("{e}; body starts {:?}", CexError::snippet(body)),
    })
}

/// The `data` of a successful response (`code` `"200000"`) as `T`; any other `code` is the
/// exchange's error, even under HTTP 200.
pub fn decode_data<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, CexError> {
    #[derive(Deserialize)]
    struct Envelope {
        code: String,
        #[serde(default)]
        msg: String,
        #[serde(default)]
        data: serde_json::Value,
    }
    let env: Envelope = decode(what, body)?;
    let top: i64 = env
        .code
        .trim()
        .parse()
        .map_err(|_| CexError::decode(what, format!("code {:?} is not a number", env.code)))?;
    if top != code::OK {
        return Err(CexError::Api {
            status: 200,
            code: top,
            kind: classify(200, top, &env.msg),
            msg: env.msg,
        });
    }
    serde_json::from_value(env.data).map_err(|e| CexError::decode(what, e))
}

/// A paginated `data` (`items` with `currentPage`/`totalPage`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    #[serde(default)]
    pub current_page: u32,
    #[serde(default)]
    pub total_page: u32,
    pub items: Vec<T>,
}

/// A decimal sent as a string (or `null`/`""` → `None`). Anything that is not a plain decimal
/// (an exponent, a number too large for a `Decimal`) is an error.
pub fn dec_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<Decimal>()
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("{t:?}: {e}"))),
    }
}

// ---- symbols ----

/// `GET /api/v2/symbols` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Symbol {
    pub symbol: String,
    pub base_currency: String,
    pub quote_currency: String,
    #[serde(default, deserialize_with = "dec_str")]
    pub base_min_size: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub base_max_size: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub base_increment: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub price_increment: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub min_funds: Option<Decimal>,
    pub enable_trading: bool,
}

impl Symbol {
    /// The market rules of a symbol open for trading with a usable tick and step.
    pub fn rules(&self, maker_fee: Decimal, taker_fee: Decimal) -> Option<MarketRules> {
        if !self.enable_trading {
            return None;
        }
        let pair = Pair::new(
            Asset::new(&self.base_currency).ok()?,
            Asset::new(&self.quote_currency).ok()?,
        );
        let mut r = MarketRules::unrestricted(pair, self.symbol.clone(), taker_fee);
        r.maker_fee = maker_fee;
        r.tick_size = self
            .price_increment
            .filter(|t| *t > Decimal::ZERO)?
            .normalize();
        r.step_size = self
            .base_increment
            .filter(|t| *t > Decimal::ZERO)?
            .normalize();
        r.min_size = self.base_min_size.unwrap_or_default().normalize();
        r.max_size = self.base_max_size.filter(|m| !m.is_zero());
        r.min_notional = self.min_funds.unwrap_or_default().normalize();
        Some(r)
    }
}

// ---- orders ----

/// The `POST /api/v1/orders` body, fields in the order they are sent (and signed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
    pub client_oid: String,
    pub side: &'static str,
    pub symbol: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    pub size: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_in_force: Option<&'static str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub post_only: bool,
}

impl PlaceOrder {
    /// The body for `order` on `symbol` (market orders sized in the base asset).
    pub fn of(order: &OrderRequest, symbol: &str) -> Self {
        let market = order.order_type == OrderType::Market;
        let tif = match order.time_in_force {
            TimeInForce::Ioc => "IOC",
            TimeInForce::Fok => "FOK",
            _ => "GTC",
        };
        Self {
            client_oid: order.client_id.to_string(),
            side: side_word(order.side),
            symbol: symbol.to_string(),
            kind: if market { "market" } else { "limit" },
            price: order
                .price
                .filter(|_| !market)
                .map(|p| p.normalize().to_string()),
            size: order.amount.normalize().to_string(),
            time_in_force: (!market).then_some(tif),
            post_only: order.order_type == OrderType::LimitMaker,
        }
    }
}

/// `buy` / `sell`.
pub fn side_word(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

/// The state of an order KuCoin describes by `isActive`, `cancelExist` and what it dealt.
pub fn order_state(active: bool, cancelled: bool, dealt: Decimal, size: Decimal) -> OrderState {
    match (active, cancelled) {
        (true, _) if dealt.is_zero() => OrderState::Open,
        (true, _) => OrderState::PartiallyFilled,
        (false, true) => OrderState::Cancelled,
        (false, false) if dealt >= size && !size.is_zero() => OrderState::Filled,
        (false, false) if dealt.is_zero() => OrderState::Cancelled,
        (false, false) => OrderState::Filled,
    }
}

/// An order: `GET /api/v1/order/client-order/{clientOid}` and the items of `GET /api/v1/orders`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    pub id: String,
    pub symbol: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub side: String,
    #[serde(default, deserialize_with = "dec_str")]
    pub price: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub size: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub deal_size: Option<Decimal>,
    #[serde(default)]
    pub time_in_force: String,
    #[serde(default)]
    pub post_only: bool,
    pub is_active: bool,
    #[serde(default)]
    pub cancel_exist: bool,
    #[serde(default)]
    pub client_oid: String,
}

impl OrderDetail {
    pub fn state(&self) -> OrderState {
        order_state(
            self.is_active,
            self.cancel_exist,
            self.deal_size.unwrap_or_default(),
            self.size.unwrap_or_default(),
        )
    }

    /// KuCoin's words for the state (kept for messages).
    pub fn status_word(&self) -> &'static str {
        if self.is_active { "active" } else { "done" }
    }

    /// The request this order answers, rebuilt from KuCoin's record (to adopt an order an
    /// earlier process sent).
    pub fn to_request(&self, pair: &Pair) -> Result<OrderRequest, CexError> {
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = parse_side(&self.side).ok_or_else(|| bad("side"))?;
        let tif = match self.time_in_force.as_str() {
            "IOC" => TimeInForce::Ioc,
            "FOK" => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        };
        let order_type = match (self.kind.as_str(), self.post_only) {
            ("market", _) => OrderType::Market,
            ("limit", true) => OrderType::LimitMaker,
            ("limit", false) => OrderType::Limit,
            _ => return Err(bad("type")),
        };
        Ok(OrderRequest {
            client_id: ClientOrderId::new(&self.client_oid)?,
            pair: pair.clone(),
            side,
            order_type,
            amount: self.size.ok_or_else(|| bad("size"))?,
            price: (order_type != OrderType::Market)
                .then_some(self.price)
                .flatten(),
            time_in_force: tif,
            deadline: None,
        })
    }
}

/// The venue-wide identity of a KuCoin trade: trades are numbered per symbol, so the pair makes
/// the id unique across pairs.
pub fn fill_trade_id(pair: &Pair, trade_id: &str) -> String {
    format!("{pair}:{trade_id}")
}

/// `GET /api/v1/fills` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeFill {
    pub symbol: String,
    pub trade_id: String,
    pub order_id: String,
    pub side: String,
    /// `maker` or `taker`.
    #[serde(default)]
    pub liquidity: String,
    #[serde(deserialize_with = "dec_str")]
    pub price: Option<Decimal>,
    #[serde(deserialize_with = "dec_str")]
    pub size: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub fee: Option<Decimal>,
    #[serde(default)]
    pub fee_currency: String,
    #[serde(default)]
    pub created_at: u64,
}

impl TradeFill {
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let bad = |what: &str| CexError::decode("fill", format!("missing or unknown {what}"));
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side: parse_side(&self.side).ok_or_else(|| bad("side"))?,
            price: self.price.ok_or_else(|| bad("price"))?,
            amount: self.size.ok_or_else(|| bad("size"))?,
            fee_asset: Asset::new(if self.fee_currency.is_empty() {
                pair.quote.as_str()
            } else {
                &self.fee_currency
            })?,
            fee_amount: self.fee.unwrap_or_default(),
            is_maker: self.liquidity == "maker",
            timestamp_ms: self.created_at,
        })
    }
}

// ---- balances ----

/// `GET /api/v1/accounts` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    pub currency: String,
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default, deserialize_with = "dec_str")]
    pub balance: Option<Decimal>,
    #[serde(default, deserialize_with = "dec_str")]
    pub available: Option<Decimal>,
}

impl Account {
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        let total = self.balance.unwrap_or_default();
        let free = self.available.unwrap_or_default();
        Ok(Balance::new(Asset::new(&self.currency)?, total, free))
    }
}

#[cfg(test)]
mod tests;
