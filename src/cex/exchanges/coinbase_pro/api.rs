//! Coinbase Exchange (ex-Coinbase Pro) over REST: the HTTP protocol (error bodies `{"message"}`,
//! server time from `/time`), the documented rate limits, the client-id rule and its UUID form
//! (`client_oid` must be a UUID), and the response types (`/products`, `/orders`, `/fills`,
//! `/accounts`) with their conversion to sluice's core types.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, Pair,
    Side, TimeInForce,
};

use super::errors;

/// Rate-limit counters: Coinbase Exchange limits public endpoints per IP, private endpoints per
/// profile, and `/fills` on its own.
pub const PUBLIC: &str = "public";
pub const PRIVATE: &str = "private";
pub const FILLS: &str = "private:fills";

/// The documented limits: public 10 requests per second (burst 15), private 15 per second (burst
/// 30), `/fills` 10 per second (burst 20). The client keeps to the sustained rates.
pub fn default_limits() -> Vec<RateLimit> {
    let one = Duration::from_secs(1);
    vec![
        RateLimit::new(PUBLIC, one, 10),
        RateLimit::new(PRIVATE, one, 15),
        RateLimit::new(FILLS, one, 10),
    ]
}

/// Bytes of a UUID: a sluice client id is at most this long, so that it fits a `client_oid`.
pub const CLIENT_ID_BYTES: usize = 16;

/// A sluice client id on Coinbase: at most 16 characters of `0-9 A-Z a-z _ - .`, carried in the
/// UUID `client_oid` the exchange requires (its bytes in hex, zero-padded; see [`client_oid`]).
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: CLIENT_ID_BYTES,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'),
};

/// The UUID `client_oid` of a client id: its ASCII bytes, padded with zero bytes to 16, written
/// as a UUID (`8-4-4-4-12` lower-case hex). Reversible by [`client_id_of`].
pub fn client_oid(id: &ClientOrderId) -> Result<String, CexError> {
    let b = id.as_str().as_bytes();
    if b.len() > CLIENT_ID_BYTES {
        return Err(CexError::Invalid(format!(
            "client id {id} is longer than {CLIENT_ID_BYTES} bytes"
        )));
    }
    let mut raw = [0u8; CLIENT_ID_BYTES];
    raw[..b.len()].copy_from_slice(b);
    let h = hex::encode(raw);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// The client id a `client_oid` carries; `None` for a UUID that is not a sluice id (an order
/// placed elsewhere).
pub fn client_id_of(oid: &str) -> Option<ClientOrderId> {
    let h: String = oid.chars().filter(|c| *c != '-').collect();
    if h.len() != 32 || oid.len() != 36 {
        return None;
    }
    let raw = hex::decode(h.to_ascii_lowercase()).ok()?;
    let len = raw.iter().position(|b| *b == 0).unwrap_or(raw.len());
    if len == 0 || raw[len..].iter().any(|b| *b != 0) {
        return None;
    }
    let text = std::str::from_utf8(&raw[..len]).ok()?;
    if !text.chars().all(CLIENT_ID_RULE.allowed) {
        return None;
    }
    ClientOrderId::new(text).ok()
}

/// The HTTP side of Coinbase Exchange.
#[derive(Debug, Clone, Default)]
pub struct CoinbaseProtocol;

impl HttpProtocol for CoinbaseProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        #[derive(Deserialize)]
        struct ErrBody {
            message: String,
        }
        let e: ErrBody = serde_json::from_slice(body).ok()?;
        Some((errors::code_of(&e.message), e.message))
    }

    fn classify_error(&self, status: u16, code: i64, _msg: &str) -> ApiErrorKind {
        errors::classify(status, code)
    }

    fn server_time_path(&self) -> &'static str {
        "/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(PUBLIC, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            epoch: serde_json::Number,
        }
        let t: T = serde_json::from_slice(body).ok()?;
        let s: Decimal = t.epoch.to_string().parse().ok()?;
        i64::try_from(s.checked_mul(Decimal::ONE_THOUSAND)?.trunc()).ok()
    }

    /// Coinbase Exchange sends no usage headers; the client's own counts are what it keeps to.
    fn observe_headers(&self, _headers: &reqwest::header::HeaderMap, _limiter: &RateLimiter) {}
}

/// Parses a JSON body into `T`, with an error that names what was expected and shows the start of
/// the body (an HTML page, say).
pub fn decode<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, CexError> {
    serde_json::from_slice(body).map_err(|e| CexError::Decode {
        what: what.to_string(),
        detail: format!("{e}; body starts {:?}", CexError::snippet(body)),
    })
}

/// An id Coinbase writes as a number (trade ids) or a string.
fn id_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        S(String),
        N(u64),
    }
    Ok(match Id::deserialize(d)? {
        Id::S(s) => s,
        Id::N(n) => n.to_string(),
    })
}

pub use crate::cex::sign::time::rfc3339_ms;

// ---- markets ----

/// `GET /products` (one element) and `/products/{id}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Product {
    pub id: String,
    pub base_currency: String,
    pub quote_currency: String,
    pub quote_increment: Decimal,
    pub base_increment: Decimal,
    /// Older documents list the minimum and maximum base size.
    #[serde(default)]
    pub base_min_size: Option<Decimal>,
    #[serde(default)]
    pub base_max_size: Option<Decimal>,
    #[serde(default)]
    pub min_market_funds: Option<Decimal>,
    /// `online`, `offline`, `internal`, `delisted`.
    pub status: String,
    #[serde(default)]
    pub trading_disabled: bool,
    #[serde(default)]
    pub cancel_only: bool,
    #[serde(default)]
    pub post_only: bool,
    #[serde(default)]
    pub limit_only: bool,
}

impl Product {
    /// The rules of a product that trades normally; `None` otherwise (offline, disabled, cancel
    /// or post only, limit only: a market order or a taker would be refused).
    pub fn rules(&self, fee: Decimal) -> Option<MarketRules> {
        if self.status != "online"
            || self.trading_disabled
            || self.cancel_only
            || self.post_only
            || self.limit_only
        {
            return None;
        }
        let pair = Pair::new(
            Asset::new(&self.base_currency).ok()?,
            Asset::new(&self.quote_currency).ok()?,
        );
        let mut rules = MarketRules::unrestricted(pair, self.id.clone(), fee);
        rules.tick_size = self.quote_increment.normalize();
        rules.step_size = self.base_increment.normalize();
        rules.min_size = self
            .base_min_size
            .unwrap_or(rules.step_size)
            .max(rules.step_size);
        rules.min_notional = self.min_market_funds.unwrap_or_default();
        rules.max_size = self.base_max_size.filter(|m| !m.is_zero());
        Some(rules)
    }
}

// ---- orders ----

/// An order document: the answer of `POST /orders`, `GET /orders/{id}`, an element of the open
/// orders.
#[derive(Debug, Clone, Deserialize)]
pub struct CbOrder {
    pub id: String,
    #[serde(default)]
    pub client_oid: Option<String>,
    pub product_id: String,
    pub side: String,
    #[serde(rename = "type", default)]
    pub order_type: Option<String>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub size: Option<Decimal>,
    #[serde(default)]
    pub funds: Option<Decimal>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub post_only: bool,
    /// `pending`, `received`, `open`, `active`, `done`, `rejected`.
    pub status: String,
    /// For a done order: `filled`, `canceled`, `rejected`.
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub reject_reason: Option<String>,
    #[serde(default)]
    pub filled_size: Option<Decimal>,
}

impl CbOrder {
    /// The order's state on the shared state machine; `None` for a word Coinbase does not
    /// document.
    pub fn state(&self) -> Option<OrderState> {
        let filled = self.filled_size.unwrap_or_default();
        Some(match (self.status.as_str(), self.done_reason.as_deref()) {
            ("pending" | "received" | "open" | "active", _) if filled.is_zero() => OrderState::Open,
            ("pending" | "received" | "open" | "active", _) => OrderState::PartiallyFilled,
            ("done", Some("filled")) => OrderState::Filled,
            ("done", Some("canceled" | "cancelled")) => OrderState::Cancelled,
            ("done", Some("rejected")) | ("rejected", _) => OrderState::Failed,
            _ => return None,
        })
    }

    /// The status word for messages.
    pub fn status_word(&self) -> String {
        match (&self.done_reason, &self.reject_reason) {
            (Some(d), _) => format!("{}/{d}", self.status),
            (None, Some(r)) => format!("{}/{r}", self.status),
            _ => self.status.clone(),
        }
    }

    /// The sluice client id of the order, if it has one.
    pub fn client_id(&self) -> Option<ClientOrderId> {
        client_id_of(self.client_oid.as_deref()?)
    }

    /// The request this order answers, rebuilt from the exchange's record (to adopt an order this
    /// process did not send); `None` for an order without a sluice client id.
    pub fn to_request(&self, pair: &Pair) -> Result<Option<OrderRequest>, CexError> {
        let Some(client_id) = self.client_id() else {
            return Ok(None);
        };
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = parse_side(&self.side).ok_or_else(|| bad("side"))?;
        let order_type = match (self.order_type.as_deref(), self.post_only) {
            (Some("market"), _) => OrderType::Market,
            (Some("limit") | None, true) => OrderType::LimitMaker,
            (Some("limit") | None, false) => OrderType::Limit,
            _ => return Err(bad("type")),
        };
        let time_in_force = match self.time_in_force.as_deref() {
            Some("IOC") => TimeInForce::Ioc,
            Some("FOK") => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        };
        let amount = self.size.ok_or_else(|| bad("size"))?;
        Ok(Some(OrderRequest {
            client_id,
            pair: pair.clone(),
            side,
            order_type,
            amount,
            price: (order_type != OrderType::Market)
                .then_some(self.price)
                .flatten(),
            time_in_force,
            deadline: None,
        }))
    }
}

pub fn parse_side(s: &str) -> Option<Side> {
    match s {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

/// The venue-wide identity of a Coinbase trade: trade ids count per product.
pub fn fill_trade_id(pair: &Pair, id: &str) -> String {
    format!("{pair}:{id}")
}

/// `GET /fills` (one element).
#[derive(Debug, Clone, Deserialize)]
pub struct CbFill {
    #[serde(deserialize_with = "id_string")]
    pub trade_id: String,
    pub product_id: String,
    pub order_id: String,
    /// `M` (maker) or `T` (taker).
    #[serde(default)]
    pub liquidity: Option<String>,
    pub price: Decimal,
    pub size: Decimal,
    #[serde(default)]
    pub fee: Decimal,
    pub side: String,
    #[serde(default)]
    pub created_at: Option<String>,
}

impl CbFill {
    /// The fill of this trade for order `client_id`; Coinbase charges fees in the quote asset.
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let side = parse_side(&self.side)
            .ok_or_else(|| CexError::decode("fill", format!("unknown side {:?}", self.side)))?;
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side,
            price: self.price,
            amount: self.size,
            fee_asset: pair.quote.clone(),
            fee_amount: self.fee,
            is_maker: self.liquidity.as_deref() == Some("M"),
            timestamp_ms: self.created_at.as_deref().and_then(rfc3339_ms).unwrap_or(0),
        })
    }
}

/// `GET /accounts` (one element).
#[derive(Debug, Clone, Deserialize)]
pub struct CbAccount {
    pub currency: String,
    pub balance: Decimal,
    pub available: Decimal,
}

impl CbAccount {
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        Ok(Balance::new(
            Asset::new(&self.currency)?,
            self.balance,
            self.available,
        ))
    }
}

#[cfg(test)]
mod tests;
