//! Bybit v5 over HTTP: the protocol (the `{"retCode","retMsg","result"}` envelope, under HTTP 200
//! as well, its codes through `errors.rs`, the server time, the `X-Bapi-Limit-*` headers), the
//! documented limits (600 requests per 5 s per IP; per-UID limits per endpoint per second), the
//! client-id rule, and the response documents of the linear category with their conversion to
//! sluice's core types. Numbers arrive as strings, some empty: [`opt_dec`] reads them.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::cex::error::CexError;
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};

pub use crate::cex::exchanges::okx::api::{decode, opt_dec};

use super::errors::{classify, code};

/// `orderLinkId`: letters, digits, `-` and `_`, at most 36 characters.
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 36,
    allowed: |c| c.is_ascii_alphanumeric() || c == '-' || c == '_',
};

/// Rate-limit counters: the IP's, then one per endpoint (Bybit limits each endpoint on its own,
/// per UID and second).
pub mod limit {
    pub const IP: &str = "bybit:ip";
    pub const MARKET: &str = "bybit:market";
    pub const CREATE: &str = "bybit:order/create";
    pub const CANCEL: &str = "bybit:order/cancel";
    pub const REALTIME: &str = "bybit:order/realtime";
    pub const EXECUTIONS: &str = "bybit:execution/list";
    pub const POSITIONS: &str = "bybit:position/list";
    pub const SETTINGS: &str = "bybit:position/settings";
    pub const WALLET: &str = "bybit:account/wallet-balance";
    pub const TRANSACTIONS: &str = "bybit:account/transaction-log";
}

/// The documented limits: 600 requests per 5 s per IP; per UID and second, 10 order creations
/// and 10 cancellations (linear, the default tier), 50 order, execution and position queries, 10
/// leverage / mode changes, 50 wallet and 30 transaction-log reads.
pub fn default_limits() -> Vec<RateLimit> {
    let s = Duration::from_secs(1);
    vec![
        RateLimit::new(limit::IP, Duration::from_secs(5), 600),
        RateLimit::new(limit::MARKET, s, 100),
        RateLimit::new(limit::CREATE, s, 10),
        RateLimit::new(limit::CANCEL, s, 10),
        RateLimit::new(limit::REALTIME, s, 50),
        RateLimit::new(limit::EXECUTIONS, s, 50),
        RateLimit::new(limit::POSITIONS, s, 50),
        RateLimit::new(limit::SETTINGS, s, 10),
        RateLimit::new(limit::WALLET, s, 50),
        RateLimit::new(limit::TRANSACTIONS, s, 30),
    ]
}

/// The HTTP side of Bybit v5.
#[derive(Debug, Clone, Copy, Default)]
pub struct BybitProtocol;

/// `(retCode, retMsg)` of an envelope, when the body is one.
fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Body {
        ret_code: i64,
        #[serde(default)]
        ret_msg: String,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    Some((b.ret_code, b.ret_msg))
}

impl HttpProtocol for BybitProtocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(&self, status: u16, code: i64, msg: &str) -> crate::cex::error::ApiErrorKind {
        classify(status, code, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/v5/market/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::IP, 1), (limit::MARKET, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            time: i64,
        }
        serde_json::from_slice::<T>(body).ok().map(|t| t.time)
    }

    /// `X-Bapi-Limit-Status` is what remains of the endpoint's limit until
    /// `X-Bapi-Limit-Reset-Timestamp`: at zero, every request waits for the reset (the header
    /// does not say which endpoint it counts, so waiting is the safe reading).
    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if num("x-bapi-limit-status") != Some(0) {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let wait = num("x-bapi-limit-reset-timestamp")
            .map_or(1000, |reset| reset.saturating_sub(now).min(1000));
        tracing::warn!(
            wait_ms = wait,
            "Bybit endpoint limit used up; requests wait for its reset"
        );
        limiter.block_for(Duration::from_millis(wait));
    }
}

/// The `result` of a successful envelope (`retCode` 0) as `T`; any other `retCode` is the
/// exchange's error, even under HTTP 200.
pub fn decode_result<T: DeserializeOwned>(what: &str, body: &[u8]) -> Result<T, CexError> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Envelope {
        ret_code: i64,
        #[serde(default)]
        ret_msg: String,
        #[serde(default)]
        result: Option<serde_json::Value>,
    }
    let env: Envelope = decode(what, body)?;
    if env.ret_code != code::OK {
        return Err(CexError::Api {
            status: 200,
            code: env.ret_code,
            kind: classify(200, env.ret_code, &env.ret_msg),
            msg: env.ret_msg,
        });
    }
    let result = env
        .result
        .ok_or_else(|| CexError::decode(what, "no result in a successful answer"))?;
    serde_json::from_value(result).map_err(|e| CexError::decode(what, e))
}

/// A `result` holding a `list` (and a cursor for the next page).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub list: Vec<T>,
    #[serde(default)]
    pub next_page_cursor: Option<String>,
}

/// A millisecond timestamp sent as a string.
pub fn ms<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let s = String::deserialize(d)?;
    s.trim()
        .parse()
        .map_err(|e| serde::de::Error::custom(format!("timestamp {s:?}: {e}")))
}

/// A decimal that must be present.
pub fn dec<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    opt_dec(d)?.ok_or_else(|| serde::de::Error::custom("empty number"))
}

// ---- public documents ----

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PriceFilter {
    #[serde(deserialize_with = "dec")]
    pub tick_size: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotSizeFilter {
    #[serde(deserialize_with = "dec")]
    pub qty_step: Decimal,
    #[serde(deserialize_with = "dec")]
    pub min_order_qty: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub max_order_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub min_notional_value: Option<Decimal>,
}

/// One item of `GET /v5/market/instruments-info?category=linear`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Instrument {
    pub symbol: String,
    #[serde(default)]
    pub contract_type: String,
    pub status: String,
    pub base_coin: String,
    pub quote_coin: String,
    pub price_filter: PriceFilter,
    pub lot_size_filter: LotSizeFilter,
}

/// One item of `GET /v5/market/tickers?category=linear`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticker {
    pub symbol: String,
    #[serde(deserialize_with = "dec")]
    pub mark_price: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub index_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub funding_rate: Option<Decimal>,
    #[serde(deserialize_with = "ms")]
    pub next_funding_time: u64,
}

// ---- private documents ----

/// The answer of `POST /v5/order/create` and `/v5/order/cancel`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderIds {
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
}

/// One item of `GET /v5/order/realtime`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderItem {
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub symbol: String,
    pub side: String,
    pub order_type: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub price: Option<Decimal>,
    #[serde(deserialize_with = "dec")]
    pub qty: Decimal,
    #[serde(default)]
    pub time_in_force: String,
    pub order_status: String,
    #[serde(default, deserialize_with = "opt_dec")]
    pub cum_exec_qty: Option<Decimal>,
    #[serde(default)]
    pub position_idx: u8,
    #[serde(default)]
    pub reduce_only: bool,
    /// Why the order was refused or ended (`EC_NoError` when it was not); the private stream's
    /// `order` topic carries it.
    #[serde(default)]
    pub reject_reason: String,
    /// `linear`, `spot`, … (the private stream's all-category topics carry it).
    #[serde(default)]
    pub category: String,
}

/// One item of `GET /v5/execution/list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionItem {
    pub symbol: String,
    pub order_id: String,
    #[serde(default)]
    pub order_link_id: String,
    pub side: String,
    #[serde(deserialize_with = "dec")]
    pub exec_price: Decimal,
    #[serde(deserialize_with = "dec")]
    pub exec_qty: Decimal,
    #[serde(deserialize_with = "dec")]
    pub exec_fee: Decimal,
    pub exec_id: String,
    #[serde(deserialize_with = "ms")]
    pub exec_time: u64,
    #[serde(default)]
    pub exec_type: String,
    pub is_maker: bool,
    /// The order's quantity and what it has left after this execution (the private stream's
    /// `execution` topic carries them).
    #[serde(default, deserialize_with = "opt_dec")]
    pub order_qty: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub leaves_qty: Option<Decimal>,
    /// The fee's coin when Bybit names it (empty for contracts: the settle coin).
    #[serde(default)]
    pub fee_currency: String,
    /// `linear`, `spot`, … (the private stream's all-category topics carry it).
    #[serde(default)]
    pub category: String,
}

/// One item of `GET /v5/position/list`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionItem {
    pub position_idx: u8,
    pub symbol: String,
    /// `Buy`, `Sell`, or empty for no position.
    #[serde(default)]
    pub side: String,
    #[serde(deserialize_with = "dec")]
    pub size: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub avg_price: Option<Decimal>,
    /// The entry price as the private stream's `position` topic names it (`avgPrice` in REST).
    #[serde(default, deserialize_with = "opt_dec")]
    pub entry_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub position_value: Option<Decimal>,
    /// 0 cross margin, 1 isolated.
    #[serde(default)]
    pub trade_mode: u8,
    #[serde(default, deserialize_with = "opt_dec")]
    pub leverage: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub mark_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub liq_price: Option<Decimal>,
    #[serde(default, rename = "positionIM", deserialize_with = "opt_dec")]
    pub position_im: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub unrealised_pnl: Option<Decimal>,
    /// `linear`, `inverse`, … (the private stream's all-category topic carries it).
    #[serde(default)]
    pub category: String,
}

/// One coin of `GET /v5/account/wallet-balance?accountType=UNIFIED`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletCoin {
    pub coin: String,
    #[serde(deserialize_with = "dec")]
    pub wallet_balance: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub locked: Option<Decimal>,
    #[serde(default, rename = "totalOrderIM", deserialize_with = "opt_dec")]
    pub total_order_im: Option<Decimal>,
    #[serde(default, rename = "totalPositionIM", deserialize_with = "opt_dec")]
    pub total_position_im: Option<Decimal>,
}

/// One account of the wallet-balance answer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WalletAccount {
    pub coin: Vec<WalletCoin>,
}

/// One item of `GET /v5/account/transaction-log`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionItem {
    pub id: String,
    pub symbol: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub side: String,
    pub currency: String,
    #[serde(deserialize_with = "ms")]
    pub transaction_time: u64,
    /// The wallet's change: what the settlement paid (negative) or received.
    #[serde(deserialize_with = "dec")]
    pub change: Decimal,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::error::ApiErrorKind;

    #[test]
    fn the_envelope_gives_the_result_or_the_typed_error() {
        let ok = br#"{"retCode":0,"retMsg":"OK","result":{"list":[],"nextPageCursor":""},"retExtInfo":{},"time":1}"#;
        let page: Page<serde_json::Value> = decode_result("x", ok).unwrap();
        assert!(page.list.is_empty());
        let limited = br#"{"retCode":10006,"retMsg":"Too many visits!","result":{},"time":1}"#;
        match decode_result::<Page<serde_json::Value>>("x", limited) {
            Err(CexError::Api { code, kind, .. }) => {
                assert_eq!((code, kind), (10006, ApiErrorKind::RateLimited));
            }
            other => panic!("{other:?}"),
        }
        for hostile in [
            &b"<html><body>502 Bad Gateway</body></html>"[..],
            br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTC"#,
            br#"{"retCode":0,"retMsg":"OK"}"#,
            br#"{"retCode":1e999999,"retMsg":"OK"}"#,
        ] {
            assert!(
                matches!(
                    decode_result::<Page<serde_json::Value>>("x", hostile),
                    Err(CexError::Decode { .. })
                ),
                "{}",
                String::from_utf8_lossy(hostile)
            );
        }
    }

    #[test]
    fn a_ticker_with_a_huge_number_is_a_decode_error() {
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTCUSDT","markPrice":"99999999999999999999999999999999999","nextFundingTime":"1"}]}}"#;
        assert!(matches!(
            decode_result::<Page<Ticker>>("tickers", body),
            Err(CexError::Decode { .. })
        ));
        let body = br#"{"retCode":0,"retMsg":"OK","result":{"list":[{"symbol":"BTCUSDT","markPrice":"100.5","indexPrice":"","fundingRate":"0.0001","nextFundingTime":"1700000000000"}]}}"#;
        let t = &decode_result::<Page<Ticker>>("tickers", body).unwrap().list[0];
        assert_eq!(t.mark_price, Decimal::new(1005, 1));
        assert_eq!(t.index_price, None);
        assert_eq!(t.next_funding_time, 1_700_000_000_000);
    }
}
