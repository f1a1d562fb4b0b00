//! HTX v1 REST messages: the HTTP protocol (error bodies `{"status":"error","err-code",
//! "err-msg"}`, v2's `{"code","message"}`, server time), the documented rate limits, the response
//! envelope (`status` `"ok"` or an error, HTTP 200 included), response types and their conversion
//! to sluice's core types (market rules from `/v1/common/symbols`, order states, fills,
//! balances). HTX sends numbers as JSON numbers or strings; [`num`] reads either from the
//! number's own text, never through a float.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::cex::error::CexError;
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::core::{
    Asset, MarketRules, OrderRequest, OrderState, OrderType, Pair, Side, TimeInForce,
};

use super::errors::{V2_BASE, classify, code_of, v2};

/// HTX's `client-order-id`: at most 64 characters; letters, digits, `-` and `_`.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 64,
    allowed: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
};

/// Rate-limit counters (HTX limits per UID for trading, per IP for market data).
pub mod limit {
    pub const PUBLIC: &str = "htx:public";
    pub const PLACE: &str = "htx:order/place";
    pub const CANCEL: &str = "htx:order/cancel";
    pub const QUERY: &str = "htx:order/query";
    pub const ACCOUNT: &str = "htx:account";
}

/// The documented limits: market data 10 per second per IP (counted as 100 per 10 s); place and
/// cancel 100 per 2 s per UID; order queries 50 per 2 s; account endpoints 100 per 2 s.
pub fn default_limits() -> Vec<RateLimit> {
    let w = Duration::from_secs(2);
    vec![
        RateLimit::new(limit::PUBLIC, Duration::from_secs(1), 10),
        RateLimit::new(limit::PLACE, w, 100),
        RateLimit::new(limit::CANCEL, w, 100),
        RateLimit::new(limit::QUERY, w, 50),
        RateLimit::new(limit::ACCOUNT, w, 100),
    ]
}

/// The HTTP side of HTX.
#[derive(Debug, Clone, Default)]
pub struct HtxProtocol;

/// An error body's (code, message): v1's `err-code` (by [`code_of`], message prefixed with the
/// code) or v2's numeric `code` other than 200 (offset by [`V2_BASE`]).
pub fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Body {
        #[serde(default)]
        status: Option<String>,
        #[serde(rename = "err-code", default)]
        err_code: Option<String>,
        #[serde(rename = "err-msg", default)]
        err_msg: Option<String>,
        #[serde(default)]
        code: Option<i64>,
        #[serde(default)]
        message: Option<String>,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    if b.status.as_deref() == Some("error") || b.err_code.is_some() {
        let label = b.err_code.unwrap_or_default();
        let msg = format!("{label}: {}", b.err_msg.unwrap_or_default());
        return Some((code_of(&label), msg));
    }
    match b.code {
        Some(c) if c != v2::OK => Some((V2_BASE + c, b.message.unwrap_or_default())),
        _ => None,
    }
}

impl HttpProtocol for HtxProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(
        &self,
        status: u16,
        code: i64,
        _msg: &str,
    ) -> crate::cex::error::ApiErrorKind {
        classify(status, code)
    }

    fn server_time_path(&self) -> &'static str {
        "/v1/common/timestamp"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::PUBLIC, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        decode_data::<i64>("server time", body).ok()
    }

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

/// The `data` of a successful v1 response (`status` `"ok"`); an error body is the exchange's
/// error, even under HTTP 200.
pub fn decode_data<'a, T: Deserialize<'a>>(what: &str, body: &'a [u8]) -> Result<T, CexError> {
    #[derive(Deserialize)]
    struct Envelope<'b> {
        #[serde(default)]
        status: Option<String>,
        #[serde(borrow, default)]
        data: Option<&'b RawValue>,
    }
    let env: Envelope<'a> = decode(what, body)?;
    if env.status.as_deref() != Some("ok") {
        let (code, msg) = error_of(body).unwrap_or((0, format!("status {:?}", env.status)));
        return Err(CexError::Api {
            status: 200,
            code,
            kind: classify(200, code),
            msg,
        });
    }
    let raw = env
        .data
        .ok_or_else(|| CexError::decode(what, "an ok answer without data"))?;
    serde_json::from_str(raw.get()).map_err(|e| CexError::decode(what, e))
}

/// A decimal from a JSON number or a numeric string, read from its text (an exponent allowed);
/// `null` or `""` is `None`. A number too large for a `Decimal` is an error.
pub fn opt_num<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw: Option<&RawValue> = Option::deserialize(d)?;
    let Some(raw) = raw else { return Ok(None) };
    let t = raw.get().trim().trim_matches('"').trim();
    if t.is_empty() || t == "null" {
        return Ok(None);
    }
    parse_dec(t)
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom(format!("{t:?} is not a decimal that fits")))
}

/// A decimal (see [`opt_num`]) that must be present.
pub fn num<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    opt_num(d)?.ok_or_else(|| serde::de::Error::custom("a number is missing"))
}

/// `t` as a decimal, plain or with an exponent.
pub fn parse_dec(t: &str) -> Option<Decimal> {
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        t.parse().ok()
    }
}

/// An id sent as a JSON number or a string, as text.
pub fn id_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let raw: &RawValue = Deserialize::deserialize(d)?;
    Ok(raw.get().trim().trim_matches('"').to_string())
}

// ---- symbols ----

/// `GET /v1/common/symbols` item.
#[derive(Debug, Clone, Deserialize)]
pub struct Symbol {
    pub symbol: String,
    #[serde(rename = "base-currency")]
    pub base: String,
    #[serde(rename = "quote-currency")]
    pub quote: String,
    #[serde(rename = "price-precision")]
    pub price_precision: u32,
    #[serde(rename = "amount-precision")]
    pub amount_precision: u32,
    #[serde(rename = "min-order-amt", default, deserialize_with = "opt_num")]
    pub min_order_amt: Option<Decimal>,
    #[serde(
        rename = "limit-order-min-order-amt",
        default,
        deserialize_with = "opt_num"
    )]
    pub limit_min_amt: Option<Decimal>,
    #[serde(rename = "max-order-amt", default, deserialize_with = "opt_num")]
    pub max_order_amt: Option<Decimal>,
    #[serde(
        rename = "limit-order-max-order-amt",
        default,
        deserialize_with = "opt_num"
    )]
    pub limit_max_amt: Option<Decimal>,
    #[serde(rename = "min-order-value", default, deserialize_with = "opt_num")]
    pub min_order_value: Option<Decimal>,
    /// `online`, `offline`, `suspend`, `pre-online`.
    pub state: String,
    /// `enabled` / `disabled` (absent: enabled).
    #[serde(rename = "api-trading", default)]
    pub api_trading: Option<String>,
}

/// `10^-places`, or `None` beyond what a `Decimal` holds.
fn step(places: u32) -> Option<Decimal> {
    (places <= 20).then(|| Decimal::new(1, places))
}

impl Symbol {
    /// The market rules of an `online`, API-tradable symbol: tick and step from the precisions,
    /// minimum size and notional from the limits.
    pub fn rules(&self, maker_fee: Decimal, taker_fee: Decimal) -> Option<MarketRules> {
        if self.state != "online" || self.api_trading.as_deref().is_some_and(|a| a != "enabled") {
            return None;
        }
        let pair = Pair::new(
            Asset::new(&self.base.to_ascii_uppercase()).ok()?,
            Asset::new(&self.quote.to_ascii_uppercase()).ok()?,
        );
        let mut r = MarketRules::unrestricted(pair, self.symbol.clone(), taker_fee);
        r.maker_fee = maker_fee;
        r.tick_size = step(self.price_precision)?;
        r.step_size = step(self.amount_precision)?;
        r.min_size = self
            .limit_min_amt
            .or(self.min_order_amt)
            .unwrap_or_default()
            .normalize();
        r.max_size = self
            .limit_max_amt
            .or(self.max_order_amt)
            .filter(|m| !m.is_zero());
        r.min_notional = self.min_order_value.unwrap_or_default().normalize();
        Some(r)
    }
}

// ---- orders ----

/// HTX's order state mapped onto the shared state machine.
pub fn order_state(state: &str, filled: Decimal) -> Option<OrderState> {
    Some(match state {
        "created" | "submitted" | "pre-submitted" | "canceling" => {
            if filled.is_zero() {
                OrderState::Open
            } else {
                OrderState::PartiallyFilled
            }
        }
        "partial-filled" => OrderState::PartiallyFilled,
        "filled" => OrderState::Filled,
        "partial-canceled" | "canceled" => OrderState::Cancelled,
        "rejected" => OrderState::Failed,
        _ => return None,
    })
}

/// The order `type` of a request: `buy-limit`, `sell-limit-maker`, `buy-ioc`, `buy-limit-fok`,
/// `sell-market`.
pub fn order_type(order: &OrderRequest) -> String {
    let kind = match (order.order_type, order.time_in_force) {
        (OrderType::Market, _) => "market",
        (OrderType::LimitMaker, _) => "limit-maker",
        (_, TimeInForce::Ioc) => "ioc",
        (_, TimeInForce::Fok) => "limit-fok",
        _ => "limit",
    };
    format!("{}-{kind}", side_word(order.side))
}

/// The request `type` names, back to the request's shape.
pub fn parse_type(t: &str) -> Option<(Side, OrderType, TimeInForce)> {
    let (side, kind) = t.split_once('-')?;
    let side = match side {
        "buy" => Side::Buy,
        "sell" => Side::Sell,
        _ => return None,
    };
    let (ot, tif) = match kind {
        "limit" => (OrderType::Limit, TimeInForce::Gtc),
        "limit-maker" => (OrderType::LimitMaker, TimeInForce::Gtc),
        "ioc" => (OrderType::Limit, TimeInForce::Ioc),
        "limit-fok" => (OrderType::Limit, TimeInForce::Fok),
        "market" => (OrderType::Market, TimeInForce::Gtc),
        _ => return None,
    };
    Some((side, ot, tif))
}

/// `buy` / `sell`.
pub fn side_word(side: Side) -> &'static str {
    match side {
        Side::Buy => "buy",
        Side::Sell => "sell",
    }
}

/// The `POST /v1/order/orders/place` body.
#[derive(Debug, Clone, Serialize)]
pub struct PlaceOrder {
    #[serde(rename = "account-id")]
    pub account_id: String,
    pub symbol: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub amount: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<String>,
    pub source: &'static str,
    #[serde(rename = "client-order-id")]
    pub client_order_id: String,
}

impl PlaceOrder {
    /// The body for `order` on `symbol` from spot account `account_id`. A market buy's `amount`
    /// is in the quote asset on HTX: `quote_amount` (what the base amount costs on the book,
    /// priced by the caller) is required for it; every other order is sized in the base asset.
    pub fn of(
        order: &OrderRequest,
        symbol: &str,
        account_id: &str,
        quote_amount: Option<Decimal>,
    ) -> Result<Self, CexError> {
        let market = order.order_type == OrderType::Market;
        let amount = if market && order.side == Side::Buy {
            quote_amount.ok_or_else(|| {
                CexError::Invalid("an HTX market buy needs its quote amount".into())
            })?
        } else {
            order.amount
        };
        Ok(Self {
            account_id: account_id.to_string(),
            symbol: symbol.to_string(),
            kind: order_type(order),
            amount: amount.normalize().to_string(),
            price: order
                .price
                .filter(|_| !market)
                .map(|p| p.normalize().to_string()),
            source: "spot-api",
            client_order_id: order.client_id.to_string(),
        })
    }
}

/// An order: `getClientOrder`, `/v1/order/orders/{id}`, `openOrders`.
#[derive(Debug, Clone, Deserialize)]
pub struct OrderDetail {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    pub symbol: String,
    #[serde(rename = "client-order-id", default)]
    pub client_order_id: String,
    #[serde(deserialize_with = "num")]
    pub amount: Decimal,
    #[serde(default, deserialize_with = "opt_num")]
    pub price: Option<Decimal>,
    #[serde(rename = "type")]
    pub kind: String,
    pub state: String,
    #[serde(
        rename = "field-amount",
        alias = "filled-amount",
        default,
        deserialize_with = "opt_num"
    )]
    pub filled: Option<Decimal>,
}

impl OrderDetail {
    pub fn filled(&self) -> Decimal {
        self.filled.unwrap_or_default()
    }

    pub fn state(&self) -> Result<OrderState, CexError> {
        order_state(&self.state, self.filled())
            .ok_or_else(|| CexError::decode("order", format!("unknown state {:?}", self.state)))
    }

    /// The request this order answers, rebuilt from HTX's record (to adopt an order an earlier
    /// process sent).
    pub fn to_request(&self, pair: &Pair) -> Result<OrderRequest, CexError> {
        let (side, order_type, time_in_force) = parse_type(&self.kind)
            .ok_or_else(|| CexError::decode("order", format!("unknown type {:?}", self.kind)))?;
        Ok(OrderRequest {
            client_id: crate::core::ClientOrderId::new(&self.client_order_id)?,
            pair: pair.clone(),
            side,
            order_type,
            amount: self.amount,
            price: (order_type != OrderType::Market)
                .then_some(self.price)
                .flatten()
                .filter(|p| !p.is_zero()),
            time_in_force,
            deadline: None,
        })
    }
}

/// `GET /v1/order/orders/{id}/matchresults` item.
#[derive(Debug, Clone, Deserialize)]
pub struct MatchResult {
    #[serde(rename = "trade-id", deserialize_with = "id_text")]
    pub trade_id: String,
    #[serde(rename = "order-id", deserialize_with = "id_text")]
    pub order_id: String,
    pub symbol: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "num")]
    pub price: Decimal,
    #[serde(rename = "filled-amount", deserialize_with = "num")]
    pub filled_amount: Decimal,
    #[serde(rename = "filled-fees", default, deserialize_with = "opt_num")]
    pub filled_fees: Option<Decimal>,
    #[serde(rename = "fee-currency", default)]
    pub fee_currency: String,
    /// `maker` / `taker`.
    #[serde(default)]
    pub role: String,
    #[serde(rename = "created-at", default)]
    pub created_at: u64,
}

impl MatchResult {
    /// The shared fill of this trade for order `client_id` (HTX trade ids are venue-wide). The
    /// fee is charged positive; its currency is lower-case on HTX.
    pub fn to_fill(
        &self,
        client_id: &crate::core::ClientOrderId,
        pair: &Pair,
    ) -> Result<crate::core::Fill, CexError> {
        let (side, _, _) = parse_type(&self.kind)
            .ok_or_else(|| CexError::decode("match result", format!("type {:?}", self.kind)))?;
        let fee_ccy = if self.fee_currency.is_empty() {
            pair.quote.as_str().to_string()
        } else {
            self.fee_currency.to_ascii_uppercase()
        };
        Ok(crate::core::Fill {
            venue: String::new(),
            trade_id: self.trade_id.clone(),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.clone()),
            pair: pair.clone(),
            side,
            price: self.price,
            amount: self.filled_amount,
            fee_asset: Asset::new(&fee_ccy)?,
            fee_amount: self.filled_fees.unwrap_or_default(),
            is_maker: self.role == "maker",
            timestamp_ms: self.created_at,
        })
    }
}

/// `GET /v1/account/accounts` item.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub state: String,
}

/// `GET /v1/account/accounts/{id}/balance` data.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountBalance {
    pub list: Vec<BalanceItem>,
}

/// One line of a balance: a currency's `trade` (free) or `frozen` amount.
#[derive(Debug, Clone, Deserialize)]
pub struct BalanceItem {
    pub currency: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(deserialize_with = "num")]
    pub balance: Decimal,
}

impl AccountBalance {
    /// One balance per currency: free is its `trade` line, total adds `frozen`; a sum that
    /// overflows is a decode error.
    pub fn to_balances(&self) -> Result<Vec<crate::core::Balance>, CexError> {
        let mut by: std::collections::BTreeMap<String, (Decimal, Decimal)> = Default::default();
        for i in &self.list {
            let e = by.entry(i.currency.to_ascii_uppercase()).or_default();
            match i.kind.as_str() {
                "trade" => e.0 = i.balance,
                "frozen" => e.1 = i.balance,
                _ => {}
            }
        }
        by.into_iter()
            .map(|(ccy, (free, frozen))| {
                let total = free.checked_add(frozen).ok_or_else(|| {
                    CexError::decode("balance", format!("{ccy}: {free} + {frozen} overflows"))
                })?;
                Ok(crate::core::Balance::new(Asset::new(&ccy)?, total, free))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
