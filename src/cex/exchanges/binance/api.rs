//! Binance spot REST and user-stream messages: the HTTP protocol (signing with `timestamp`,
//! `recvWindow` and `signature`, error bodies `{"code":…,"msg":…}`, usage headers), the documented
//! rate limits and request weights, response types, and their conversion to sluice's core types
//! (market rules from `exchangeInfo` filters, order states, fills, balances).

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::Signer;
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, Pair,
    Side, TimeInForce,
};

/// Rate-limit counters Binance documents.
pub const REQUEST_WEIGHT: &str = "REQUEST_WEIGHT";
pub const ORDERS: &str = "ORDERS";
pub const RAW_REQUESTS: &str = "RAW_REQUESTS";

pub use super::errors::code;

/// Binance's client order ids: `^[.A-Z:/a-z0-9_-]{1,36}$` (`newClientOrderId`).
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 36,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-'),
};

/// Binance spot's documented limits (spot API docs, 2026), used until `exchangeInfo` publishes
/// the account's own.
pub fn default_limits() -> Vec<RateLimit> {
    vec![
        RateLimit::new(REQUEST_WEIGHT, Duration::from_secs(60), 6000),
        RateLimit::new(ORDERS, Duration::from_secs(10), 50),
        RateLimit::new(ORDERS, Duration::from_secs(86_400), 160_000),
        RateLimit::new(RAW_REQUESTS, Duration::from_secs(300), 300_000),
    ]
}

/// Weight of `GET /api/v3/depth` for a `limit`.
pub fn depth_weight(limit: u32) -> u32 {
    match limit {
        0..=100 => 5,
        101..=500 => 25,
        501..=1000 => 50,
        _ => 250,
    }
}

/// The HTTP side of Binance spot (and Binance US).
#[derive(Debug, Clone)]
pub struct BinanceProtocol {
    /// The `recvWindow` the connector's signing recipe sends (`BinanceConfig::recv_window_ms`).
    pub recv_window_ms: u64,
}

impl HttpProtocol for BinanceProtocol {
    fn identify(&self, signer: &Signer, headers: &mut Vec<(&'static str, String)>) {
        headers.push(("X-MBX-APIKEY", signer.api_key().to_string()));
    }

    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        #[derive(Deserialize)]
        struct ErrBody {
            code: i64,
            msg: String,
        }
        serde_json::from_slice::<ErrBody>(body)
            .ok()
            .map(|e| (e.code, e.msg))
    }

    fn classify_error(&self, status: u16, code: i64, msg: &str) -> ApiErrorKind {
        super::errors::classify(status, code, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/api/v3/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(REQUEST_WEIGHT, 1), (RAW_REQUESTS, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct T {
            server_time: i64,
        }
        serde_json::from_slice::<T>(body)
            .ok()
            .map(|t| t.server_time)
    }

    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        let get = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u32>().ok())
        };
        if let Some(w) = get("x-mbx-used-weight-1m") {
            limiter.observe_used(REQUEST_WEIGHT, Duration::from_secs(60), w);
        }
        if let Some(o) = get("x-mbx-order-count-10s") {
            limiter.observe_used(ORDERS, Duration::from_secs(10), o);
        }
        if let Some(o) = get("x-mbx-order-count-1d") {
            limiter.observe_used(ORDERS, Duration::from_secs(86_400), o);
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

// ---- exchangeInfo ----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExchangeInfo {
    #[serde(default)]
    pub rate_limits: Vec<RateLimitInfo>,
    pub symbols: Vec<SymbolInfo>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RateLimitInfo {
    pub rate_limit_type: String,
    pub interval: String,
    pub interval_num: u64,
    pub limit: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SymbolInfo {
    pub symbol: String,
    pub status: String,
    pub base_asset: String,
    pub quote_asset: String,
    #[serde(default)]
    pub filters: Vec<serde_json::Value>,
}

impl ExchangeInfo {
    /// The documented limits in this response, as limiter windows.
    pub fn limits(&self) -> Vec<RateLimit> {
        self.rate_limits
            .iter()
            .filter_map(|r| {
                let unit: u64 = match r.interval.as_str() {
                    "SECOND" => 1,
                    "MINUTE" => 60,
                    "HOUR" => 3600,
                    "DAY" => 86_400,
                    _ => return None,
                };
                let counter = match r.rate_limit_type.as_str() {
                    "REQUEST_WEIGHT" => REQUEST_WEIGHT,
                    "ORDERS" => ORDERS,
                    "RAW_REQUESTS" => RAW_REQUESTS,
                    _ => return None,
                };
                // an absurd interval count is skipped, not multiplied into an overflow
                let secs = unit.checked_mul(r.interval_num)?;
                Some(RateLimit::new(counter, Duration::from_secs(secs), r.limit))
            })
            .collect()
    }
}

fn filter_decimal(f: &serde_json::Value, key: &str) -> Option<Decimal> {
    f.get(key)?.as_str()?.parse().ok()
}

/// Market rules of a symbol from its filters (`PRICE_FILTER`, `LOT_SIZE`, `NOTIONAL` or
/// `MIN_NOTIONAL`). `None` for a symbol that is not trading or has no usable tick/step.
pub fn symbol_rules(s: &SymbolInfo, maker_fee: Decimal, taker_fee: Decimal) -> Option<MarketRules> {
    if s.status != "TRADING" {
        return None;
    }
    let pair = Pair::new(
        Asset::new(&s.base_asset).ok()?,
        Asset::new(&s.quote_asset).ok()?,
    );
    let mut rules = MarketRules::unrestricted(pair, s.symbol.clone(), taker_fee);
    rules.maker_fee = maker_fee;
    for f in &s.filters {
        match f.get("filterType").and_then(|t| t.as_str()) {
            Some("PRICE_FILTER") => {
                rules.tick_size = filter_decimal(f, "tickSize").unwrap_or_default();
            }
            Some("LOT_SIZE") => {
                rules.step_size = filter_decimal(f, "stepSize").unwrap_or_default();
                rules.min_size = filter_decimal(f, "minQty").unwrap_or_default();
                rules.max_size = filter_decimal(f, "maxQty").filter(|m| !m.is_zero());
            }
            Some("NOTIONAL" | "MIN_NOTIONAL") => {
                if let Some(n) = filter_decimal(f, "minNotional") {
                    rules.min_notional = rules.min_notional.max(n);
                }
            }
            _ => {}
        }
    }
    if rules.tick_size.is_zero() || rules.step_size.is_zero() {
        return None;
    }
    rules.tick_size = rules.tick_size.normalize();
    rules.step_size = rules.step_size.normalize();
    Some(rules)
}

// ---- orders ----

/// Binance's order status mapped onto the shared state machine.
pub fn order_state(status: &str) -> Option<OrderState> {
    Some(match status {
        "NEW" | "PENDING_NEW" => OrderState::Open,
        "PARTIALLY_FILLED" => OrderState::PartiallyFilled,
        "FILLED" => OrderState::Filled,
        "PENDING_CANCEL" => OrderState::PendingCancel,
        "CANCELED" | "EXPIRED" | "EXPIRED_IN_MATCH" => OrderState::Cancelled,
        "REJECTED" => OrderState::Failed,
        _ => return None,
    })
}

/// `POST /api/v3/order` (RESULT or FULL), `GET /api/v3/order`, `DELETE /api/v3/order`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderResponse {
    pub symbol: String,
    pub order_id: i64,
    pub client_order_id: String,
    #[serde(default)]
    pub orig_client_order_id: Option<String>,
    pub status: String,
    #[serde(default)]
    pub executed_qty: Option<Decimal>,
    #[serde(default)]
    pub orig_qty: Option<Decimal>,
    #[serde(default)]
    pub price: Option<Decimal>,
    #[serde(default)]
    pub side: Option<String>,
    #[serde(default, rename = "type")]
    pub order_type: Option<String>,
    #[serde(default)]
    pub time_in_force: Option<String>,
    #[serde(default)]
    pub fills: Vec<ResponseFill>,
}

impl OrderResponse {
    /// The request this order answers, rebuilt from the exchange's record (to adopt an order this
    /// process did not send, e.g. after a restart).
    pub fn to_request(&self, pair: &Pair) -> Result<OrderRequest, CexError> {
        let bad = |what: &str| CexError::decode("order", format!("missing or unknown {what}"));
        let side = match self.side.as_deref() {
            Some("BUY") => Side::Buy,
            Some("SELL") => Side::Sell,
            _ => return Err(bad("side")),
        };
        let order_type = match self.order_type.as_deref() {
            Some("LIMIT") => OrderType::Limit,
            Some("LIMIT_MAKER") => OrderType::LimitMaker,
            Some("MARKET") => OrderType::Market,
            _ => return Err(bad("type")),
        };
        let time_in_force = match self.time_in_force.as_deref() {
            Some("IOC") => TimeInForce::Ioc,
            Some("FOK") => TimeInForce::Fok,
            _ => TimeInForce::Gtc,
        };
        Ok(OrderRequest {
            client_id: ClientOrderId::new(&self.client_order_id)?,
            pair: pair.clone(),
            side,
            order_type,
            amount: self.orig_qty.ok_or_else(|| bad("origQty"))?,
            price: (order_type != OrderType::Market)
                .then_some(self.price)
                .flatten(),
            time_in_force,
            deadline: None,
        })
    }
}

/// A fill inside a FULL order response.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseFill {
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub trade_id: i64,
}

/// The venue-wide identity of a Binance trade. Binance numbers trades per symbol, so the bare id
/// repeats across pairs: a journal keyed by (venue, trade id) would drop the second pair's fill as a
/// duplicate. The pair makes it unique.
pub fn fill_trade_id(pair: &Pair, id: i64) -> String {
    format!("{pair}:{id}")
}

/// `GET /api/v3/myTrades`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountTrade {
    pub id: i64,
    pub order_id: i64,
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub time: u64,
    pub is_buyer: bool,
    pub is_maker: bool,
}

impl AccountTrade {
    pub fn to_fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Fill, CexError> {
        Ok(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, self.id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.to_string()),
            pair: pair.clone(),
            side: if self.is_buyer { Side::Buy } else { Side::Sell },
            price: self.price,
            amount: self.qty,
            fee_asset: Asset::new(&self.commission_asset)?,
            fee_amount: self.commission,
            is_maker: self.is_maker,
            timestamp_ms: self.time,
        })
    }
}

/// `GET /api/v3/account`.
#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub balances: Vec<AccountBalance>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AccountBalance {
    pub asset: String,
    pub free: Decimal,
    pub locked: Decimal,
}

impl AccountBalance {
    pub fn to_balance(&self) -> Result<Balance, CexError> {
        Ok(Balance::new(
            Asset::new(&self.asset)?,
            balance_total(&self.asset, self.free, self.locked)?,
            self.free,
        ))
    }
}

/// `free + locked` of a balance the exchange reported; a sum that overflows is a decode error.
pub fn balance_total(asset: &str, free: Decimal, locked: Decimal) -> Result<Decimal, CexError> {
    free.checked_add(locked).ok_or_else(|| {
        CexError::decode(
            "balance",
            format!("{asset}: free {free} + locked {locked} overflows"),
        )
    })
}

// ---- user data stream (WebSocket API) ----

/// `executionReport`.
#[derive(Debug, Clone, Deserialize)]
pub struct ExecutionReport {
    #[serde(rename = "s")]
    pub symbol: String,
    /// The order's client id, or for a cancel the cancel request's id (then `C` holds the order's).
    #[serde(rename = "c")]
    pub client_order_id: String,
    #[serde(rename = "C", default)]
    pub orig_client_order_id: Option<String>,
    #[serde(rename = "S")]
    pub side: String,
    #[serde(rename = "x")]
    pub execution_type: String,
    #[serde(rename = "X")]
    pub status: String,
    #[serde(rename = "r", default)]
    pub reject_reason: Option<String>,
    #[serde(rename = "i")]
    pub order_id: i64,
    #[serde(rename = "l")]
    pub last_qty: Decimal,
    #[serde(rename = "z")]
    pub cumulative_qty: Decimal,
    #[serde(rename = "L")]
    pub last_price: Decimal,
    #[serde(rename = "n", default)]
    pub commission: Option<Decimal>,
    #[serde(rename = "N", default)]
    pub commission_asset: Option<String>,
    #[serde(rename = "T", default)]
    pub transaction_time: u64,
    #[serde(rename = "t", default)]
    pub trade_id: i64,
    #[serde(rename = "m", default)]
    pub is_maker: bool,
}

impl ExecutionReport {
    /// The id of the order this report is about.
    pub fn order_client_id(&self) -> &str {
        match &self.orig_client_order_id {
            Some(c) if !c.is_empty() => c,
            _ => &self.client_order_id,
        }
    }

    /// The fill this report carries (execution type `TRADE`).
    pub fn fill(&self, client_id: &ClientOrderId, pair: &Pair) -> Result<Option<Fill>, CexError> {
        if self.execution_type != "TRADE" || self.last_qty.is_zero() {
            return Ok(None);
        }
        Ok(Some(Fill {
            venue: String::new(),
            trade_id: fill_trade_id(pair, self.trade_id),
            client_id: Some(client_id.clone()),
            venue_order_id: Some(self.order_id.to_string()),
            pair: pair.clone(),
            side: if self.side == "BUY" {
                Side::Buy
            } else {
                Side::Sell
            },
            price: self.last_price,
            amount: self.last_qty,
            fee_asset: Asset::new(
                self.commission_asset
                    .as_deref()
                    .unwrap_or(pair.quote.as_str()),
            )?,
            fee_amount: self.commission.unwrap_or_default(),
            is_maker: self.is_maker,
            timestamp_ms: self.transaction_time,
        }))
    }
}

/// `outboundAccountPosition`.
#[derive(Debug, Clone, Deserialize)]
pub struct AccountPosition {
    #[serde(rename = "B")]
    pub balances: Vec<PositionBalance>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PositionBalance {
    #[serde(rename = "a")]
    pub asset: String,
    #[serde(rename = "f")]
    pub free: Decimal,
    #[serde(rename = "l")]
    pub locked: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rules_from_filters() {
        let info: ExchangeInfo = serde_json::from_str(
            r#"{"timezone":"UTC","serverTime":1,"rateLimits":[
                {"rateLimitType":"REQUEST_WEIGHT","interval":"MINUTE","intervalNum":1,"limit":6000},
                {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100}],
               "symbols":[{"symbol":"BTCUSDT","status":"TRADING","baseAsset":"BTC","quoteAsset":"USDT",
                 "filters":[{"filterType":"PRICE_FILTER","minPrice":"0.01","maxPrice":"1000000.00","tickSize":"0.01000000"},
                            {"filterType":"LOT_SIZE","minQty":"0.00001000","maxQty":"9000.00000000","stepSize":"0.00001000"},
                            {"filterType":"NOTIONAL","minNotional":"5.00000000","applyMinToMarket":true}]},
                 {"symbol":"OLDBTC","status":"BREAK","baseAsset":"OLD","quoteAsset":"BTC","filters":[]}]}"#,
        )
        .unwrap();
        let r = symbol_rules(&info.symbols[0], dec!(0.001), dec!(0.001)).unwrap();
        assert_eq!(r.pair.to_string(), "BTC-USDT");
        assert_eq!(
            (r.tick_size, r.step_size, r.min_notional),
            (dec!(0.01), dec!(0.00001), dec!(5))
        );
        assert_eq!(r.max_size, Some(dec!(9000)));
        assert!(symbol_rules(&info.symbols[1], dec!(0), dec!(0)).is_none());
        let l = info.limits();
        assert_eq!(
            l[0],
            RateLimit::new(REQUEST_WEIGHT, Duration::from_secs(60), 6000)
        );
        assert_eq!(l[1], RateLimit::new(ORDERS, Duration::from_secs(10), 100));
    }

    #[test]
    fn execution_reports() {
        let e: ExecutionReport = serde_json::from_str(
            r#"{"e":"executionReport","E":1,"s":"BTCUSDT","c":"cancel1","C":"mine","S":"BUY","o":"LIMIT","f":"GTC",
                "q":"1.0","p":"100","x":"CANCELED","X":"CANCELED","r":"NONE","i":42,"l":"0","z":"0.5","L":"0",
                "n":"0","N":null,"T":5,"t":-1,"m":false}"#,
        )
        .unwrap();
        assert_eq!(e.order_client_id(), "mine");
        assert_eq!(order_state(&e.status), Some(OrderState::Cancelled));
        let pair: Pair = "BTC-USDT".parse().unwrap();
        let id = ClientOrderId::new("mine").unwrap();
        assert_eq!(e.fill(&id, &pair).unwrap(), None);
        let t: ExecutionReport = serde_json::from_str(
            r#"{"e":"executionReport","s":"BTCUSDT","c":"mine","C":"","S":"SELL","x":"TRADE","X":"PARTIALLY_FILLED",
                "i":42,"l":"0.25","z":"0.25","L":"101.5","n":"0.1","N":"USDT","T":6,"t":77,"m":true}"#,
        )
        .unwrap();
        let f = t.fill(&id, &pair).unwrap().unwrap();
        assert_eq!(
            (f.trade_id.as_str(), f.amount, f.price, f.side),
            ("BTC-USDT:77", dec!(0.25), dec!(101.5), Side::Sell)
        );
        assert!(f.is_maker);
    }

    /// Values no real exchange sends still parse to a typed error or are skipped, never a panic.
    #[test]
    fn absurd_numbers_are_errors_not_panics() {
        let info: ExchangeInfo = serde_json::from_str(
            r#"{"rateLimits":[{"rateLimitType":"REQUEST_WEIGHT","interval":"DAY","intervalNum":18446744073709551615,"limit":1},
                {"rateLimitType":"ORDERS","interval":"SECOND","intervalNum":10,"limit":100}],"symbols":[]}"#,
        )
        .unwrap();
        assert_eq!(
            info.limits(),
            vec![RateLimit::new(ORDERS, Duration::from_secs(10), 100)]
        );
        let b = AccountBalance {
            asset: "BTC".into(),
            free: Decimal::MAX,
            locked: dec!(1),
        };
        let e = b.to_balance().unwrap_err().to_string();
        assert!(e.contains("BTC") && e.contains("overflows"), "{e}");
    }

    #[test]
    fn errors_and_html_bodies() {
        let p = BinanceProtocol {
            recv_window_ms: 5000,
        };
        assert_eq!(
            p.parse_error(br#"{"code":-1121,"msg":"Invalid symbol."}"#),
            Some((-1121, "Invalid symbol.".to_string()))
        );
        assert_eq!(p.parse_error(b"<html><body>502</body></html>"), None);
        let e = decode::<Account>("account", b"<html>oops</html>")
            .unwrap_err()
            .to_string();
        assert!(e.contains("account") && e.contains("<html>oops"), "{e}");
    }
}
