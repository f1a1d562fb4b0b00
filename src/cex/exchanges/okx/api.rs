//! OKX v5 REST messages: the HTTP protocol (error bodies `{"code","msg","data"}` with per-item
//! `sCode`/`sMsg`, server time), the documented per-endpoint rate limits, the response envelope
//! (`code` `"0"` or an error, HTTP 200 included), response types and their conversion to
//! sluice's core types (market rules from `public/instruments`, order states, fills, balances).
//! Numbers arrive as strings, some empty (`"px":""` on a market order): [`opt_dec`] reads them.

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

/// OKX's `clOrdId`: letters and digits, 1 to 32 characters.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 32,
    allowed: |c| c.is_ascii_alphanumeric(),
};

/// Rate-limit counters, one per endpoint (OKX limits each endpoint on its own, per 2 s).
pub mod limit {
    pub const TIME: &str = "okx:public/time";
    pub const INSTRUMENTS: &str = "okx:public/instruments";
    pub const BOOKS: &str = "okx:market/books";
    pub const PLACE: &str = "okx:trade/order";
    pub const CANCEL: &str = "okx:trade/cancel-order";
    pub const ORDER: &str = "okx:trade/order(get)";
    pub const PENDING: &str = "okx:trade/orders-pending";
    pub const FILLS: &str = "okx:trade/fills";
    pub const BALANCE: &str = "okx:account/balance";
}

/// The documented limits (OKX v5 docs: requests per 2 seconds per endpoint; placing and
/// cancelling are limited per instrument, counted here over all instruments, which is stricter).
pub fn default_limits() -> Vec<RateLimit> {
    let w = Duration::from_secs(2);
    vec![
        RateLimit::new(limit::TIME, w, 10),
        RateLimit::new(limit::INSTRUMENTS, w, 20),
        RateLimit::new(limit::BOOKS, w, 40),
        RateLimit::new(limit::PLACE, w, 60),
        RateLimit::new(limit::CANCEL, w, 60),
        RateLimit::new(limit::ORDER, w, 60),
        RateLimit::new(limit::PENDING, w, 60),
        RateLimit::new(limit::FILLS, w, 60),
        RateLimit::new(limit::BALANCE, w, 10),
    ]
}

/// The HTTP side of OKX.
#[derive(Debug, Clone, Default)]
pub struct OkxProtocol;

/// An error body: `code` (a numeric string) and `msg`, and the first item's `sCode`/`sMsg` when
/// the error is an order item's.
fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Item {
        #[serde(rename = "sCode", default)]
        s_code: String,
        #[serde(rename = "sMsg", default)]
        s_msg: String,
    }
    #[derive(Deserialize)]
    struct Body {
        code: String,
        #[serde(default)]
        msg: String,
        #[serde(default)]
        data: Option<Vec<serde_json::Value>>,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    let top: i64 = b.code.trim().parse().ok()?;
    let item = b
        .data
        .as_ref()
        .and_then(|d| d.first())
        .and_then(|v| serde_json::from_value::<Item>(v.clone()).ok())
        .and_then(|i| Some((i.s_code.trim().parse::<i64>().ok()?, i.s_msg)))
        .filter(|(c, _)| *c != code::OK);
    Some(item.unwrap_or((top, b.msg)))
}

impl HttpProtocol for OkxProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(&self, status: u16, code: i64, msg: &str) -> crate::cex::error::ApiErrorKind {
        classify(status, code, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v5/public/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::TIME, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            ts: String,
        }
        decode_data::<T>("server time", body)
            .ok()?
            .first()?
            .ts
            .parse()
            .ok()
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

/// The `data` items of a successful response (`code` `"0"`), each parsed as `T`; a non-zero
/// `code` is the exchange's error (an order item's `sCode` when it has one), even under HTTP 200.
pub fn decode_data<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<Vec<T>, CexError> {
    decode_items(what, body)?
        .into_iter()
        .map(|v| item(what, v))
        .collect()
}

/// The raw `data` items of a successful response (see [`decode_data`]).
pub fn decode_items(what: &str, body: &[u8]) -> Result<Vec<serde_json::Value>, CexError> {
    #[derive(Deserialize)]
    struct Envelope {
        code: String,
        #[serde(default)]
        data: Option<Vec<serde_json::Value>>,
    }
    let env: Envelope = decode(what, body)?;
    let top: i64 = env
        .code
        .trim()
        .parse()
        .map_err(|_| CexError::decode(what, format!("code {:?} is not a number", env.code)))?;
    if top != code::OK {
        let (code, msg) = error_of(body).unwrap_or((top, String::new()));
        return Err(CexError::Api {
            status: 200,
            code,
            kind: classify(200, code, &msg),
            msg,
        });
    }
    Ok(env.data.unwrap_or_default())
}

/// One `data` item as `T`.
pub fn item<T: DeserializeOwned>(what: &str, v: serde_json::Value) -> Result<T, CexError> {
    serde_json::from_value(v).map_err(|e| CexError::decode(what, e))
}

/// A decimal sent as a string, possibly empty (`""` → `None`). Anything else that is not a plain
/// decimal (an exponent, a number too large for a `Decimal`) is an error.
pub fn opt_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(t) => t
            .parse::<Decimal>()
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("{t:?}: {e}"))),
    }
}

/// A millisecond timestamp sent as a string (`""` or junk → 0).
fn ms(s: &str) -> u64 {
    s.trim().parse().unwrap_or(0)
}

// ---- instruments ----

/// `GET /api/v5/public/instruments?instType=SPOT` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    pub inst_id: String,
    pub base_ccy: String,
    pub quote_ccy: String,
    #[serde(deserialize_with = "opt_dec")]
    pub tick_sz: Option<Decimal>,
    #[serde(deserialize_with = "opt_dec")]
    pub lot_sz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub min_sz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub max_lmt_sz: Option<Decimal>,
    /// `live`, `suspend`, `preopen`, `test`.
    pub state: String,
}

impl Instrument {
    /// The market rules of a `live` instrument with a usable tick and lot size. OKX publishes no
    /// minimum notional for spot: it is zero.
    pub fn rules(&self, maker_fee: Decimal, taker_fee: Decimal) -> Option<MarketRules> {
        if self.state != "live" {
            return None;
        }
        let pair = Pair::new(
            Asset::new(&self.base_ccy).ok()?,
            Asset::new(&self.quote_ccy).ok()?,
        );
        let mut r = MarketRules::unrestricted(pair, self.inst_id.clone(), taker_fee);
        r.maker_fee = maker_fee;
        r.tick_size = self.tick_sz.filter(|t| *t > Decimal::ZERO)?.normalize();
        r.step_size = self.lot_sz.filter(|t| *t > Decimal::ZERO)?.normalize();
        r.min_size = self.min_sz.unwrap_or_default().normalize();
        r.max_size = self.max_lmt_sz.filter(|m| !m.is_zero());
        Some(r)
    }
}

// ---- orders ----

/// OKX's order state mapped onto the shared state machine.
pub fn order_state(state: &str) -> Option<OrderState> {
    Some(match state {
        "live" => OrderState::Open,
        "partially_filled" => OrderState::PartiallyFilled,
        "filled" => OrderState::Filled,
        "canceled" | "mmp_canceled" => OrderState::Cancelled,
        _ => return None,
    })
}

/// The `POST /api/v5/trade/order` body, fields in the order they are sent (and signed).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlaceOrder {
    pub inst_id: String,
    pub td_mode: &'static str,
    pub cl_ord_id: String,
    pub side: &'static str,
    pub ord_type: &'static str,
    pub sz: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub px: Option<String>,
    /// `base_ccy` on market orders: `sz` is in the base asset for both sides.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tgt_ccy: Option<&'static str>,
}

impl PlaceOrder {
    /// The body for `order` on instrument `inst_id`.
    pub fn of(order: &OrderRequest, inst_id: &str) -> Self {
        let ord_type = match (order.order_type, order.time_in_force) {
            (OrderType::Market, _) => "market",
            (OrderType::LimitMaker, _) => "post_only",
            (_, TimeInForce::Ioc) => "ioc",
            (_, TimeInForce::Fok) => "fok",
            _ => "limit",
        };
        let market = order.order_type == OrderType::Market;
        Self {
            inst_id: inst_id.to_string(),
            td_mode: "cash",
            cl_ord_id: order.client_id.to_string(),
            side: side_word(order.side),
            ord_type,
            sz: order.amount.normalize().to_string(),
            px: order
                .price
                .filter(|_| !market)
                .map(|p| p.normalize().to_string()),
            tgt_ccy: market.then_some("base_ccy"),
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

fn parse_side(s: &str) -> Option<Side> {
    match s {
        "buy" => Some(Side::Buy),
        "sell" => Some(Side::Sell),
        _ => None,
    }
}

/// The answer item of place and cancel: ids and the item's own result.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResult {
    #[serde(default)]
    pub ord_id: String,
    #[serde(default)]
    pub cl_ord_id: String,
    #[serde(default)]
    pub s_code: String,
    #[serde(default)]
    pub s_msg: String,
}

impl OrderResult {
    /// The item's refusal, if `sCode` is not `"0"`.
    pub fn check(&self) -> Result<(), CexError> {
        let code: i64 =
            self.s_code.trim().parse().map_err(|_| {
                CexError::decode("order result", format!("sCode {:?}", self.s_code))
            })?;
        if code == code::OK {
            return Ok(());
        }
        Err(CexError::Api {
            status: 200,
            code,
            kind: classify(200, code, &self.s_msg),
            msg: self.s_msg.clone(),
        })
    }
}

/// An order: `GET /api/v5/trade/order`, `orders-pending`, and the `orders` channel's items (which
/// add the last fill's fields).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDetail {
    pub inst_id: String,
    pub ord_id: String,
    #[serde(default)]
    pub cl_ord_id: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub px: Option<Decimal>,
    #[serde(deserialize_with = "opt_dec")]
    pub sz: Option<Decimal>,
    pub ord_type: String,
    pub side: String,
    pub state: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub acc_fill_sz: Option<Decimal>,
    #[serde(default)]
    pub tgt_ccy: String,
    #[serde(default)]
    pub trade_id: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub fill_px: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub fill_sz: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub fill_fee: Option<Decimal>,
    #[serde(default)]
    pub fill_fee_ccy: String,
    #[serde(default)]
    pub fill_time: String,
    /// `T` taker, `M` maker.
    #[serde(default)]
    pub exec_type: String,
    #[serde(default)]
    pub u_time: String,
}

impl OrderDetail {
    pub fn state(&self) -> Result<OrderState, CexError> {
        order_state(&self.state)
            .ok_or_else(|| CexError::decode("order", format!("unknown state {:?}", self.state)))
    }

    /// The request this order answers, rebuilt from OKX's record (to adopt an order an earlier
    /// process sent).
    pub fn to_request(&self, pair: &Pair) -> Result<OrderRequest, CexError> {
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = parse_side(&self.side).ok_or_else(|| bad("side"))?;
        let (order_type, time_in_force) = match self.ord_type.as_str() {
            "limit" => (OrderType::Limit, TimeInForce::Gtc),
            "post_only" => (OrderType::LimitMaker, TimeInForce::Gtc),
            "ioc" => (OrderType::Limit, TimeInForce::Ioc),
            "fok" => (OrderType::Limit, TimeInForce::Fok),
            "market" => (OrderType::Market, TimeInForce::Gtc),
            _ => return Err(bad("ordType")),
        };
        Ok(OrderRequest {
            client_id: ClientOrderId::new(&self.cl_ord_id)?,
            pair: pair.clone(),
            side,
            order_type,
            amount: self.sz.ok_or_else(|| bad("sz"))?,
            price: (order_type != OrderType::Market)
                .then_some(self.px)
                .flatten(),
            time_in_force,
            deadline: None,
        })
    }

    /// The fill an `orders` push carries (a `tradeId` and a non-zero `fillSz`).
    pub fn fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Option<Fill>, CexError> {
        let (Some(sz), Some(px)) = (self.fill_sz, self.fill_px) else {
            return Ok(None);
        };
        if self.trade_id.is_empty() || sz.is_zero() {
            return Ok(None);
        }
        let fee_ccy = if self.fill_fee_ccy.is_empty() {
            pair.quote.as_str()
        } else {
            &self.fill_fee_ccy
        };
        Ok(Some(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.ord_id.clone()),
            pair: pair.clone(),
            side: parse_side(&self.side)
                .ok_or_else(|| CexError::decode("order", "unknown side"))?,
            price: px,
            amount: sz,
            fee_asset: Asset::new(fee_ccy)?,
            // OKX reports a charged fee as negative, a rebate as positive
            fee_amount: -self.fill_fee.unwrap_or_default(),
            is_maker: self.exec_type == "M",
            timestamp_ms: ms(&self.fill_time),
        }))
    }
}

/// The venue-wide identity of an OKX trade: OKX numbers trades per instrument, so the pair makes
/// the id unique across pairs.
pub fn fill_trade_id(pair: &Pair, trade_id: &str) -> String {
    format!("{pair}:{trade_id}")
}

/// `GET /api/v5/trade/fills` item.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TradeFill {
    pub inst_id: String,
    pub trade_id: String,
    pub ord_id: String,
    #[serde(default)]
    pub cl_ord_id: String,
    #[serde(deserialize_with = "opt_dec")]
    pub fill_px: Option<Decimal>,
    #[serde(deserialize_with = "opt_dec")]
    pub fill_sz: Option<Decimal>,
    pub side: String,
    #[serde(default)]
    pub exec_type: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub fee: Option<Decimal>,
    #[serde(default)]
    pub fee_ccy: String,
    #[serde(default)]
    pub ts: String,
}

impl TradeFill {
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        let bad = |what: &str| CexError::decode("fill", format!("missing or unknown {what}"));
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, &self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.ord_id.clone()),
            pair: pair.clone(),
            side: parse_side(&self.side).ok_or_else(|| bad("side"))?,
            price: self.fill_px.ok_or_else(|| bad("fillPx"))?,
            amount: self.fill_sz.ok_or_else(|| bad("fillSz"))?,
            fee_asset: Asset::new(if self.fee_ccy.is_empty() {
                pair.quote.as_str()
            } else {
                &self.fee_ccy
            })?,
            fee_amount: -self.fee.unwrap_or_default(),
            is_maker: self.exec_type == "M",
            timestamp_ms: ms(&self.ts),
        })
    }
}

// ---- balances ----

/// `GET /api/v5/account/balance` item (and the `account` channel's).
#[derive(Debug, Clone, Deserialize)]
pub struct AccountBalance {
    #[serde(default)]
    pub details: Vec<BalanceDetail>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BalanceDetail {
    pub ccy: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub avail_bal: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub frozen_bal: Option<Decimal>,
}

impl BalanceDetail {
    /// Total = available + frozen; a sum that overflows is a decode error.
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        let free = self.avail_bal.unwrap_or_default();
        let frozen = self.frozen_bal.unwrap_or_default();
        let total = free.checked_add(frozen).ok_or_else(|| {
            CexError::decode(
                "balance",
                format!("{}: avail {free} + frozen {frozen} overflows", self.ccy),
            )
        })?;
        Ok(Balance::new(Asset::new(&self.ccy)?, total, free))
    }
}

#[cfg(test)]
mod tests;
