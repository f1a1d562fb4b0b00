//! dYdX v3 over HTTP: the protocol (errors as `{"errors":[{"msg":…}]}` under an HTTP error
//! status, classified by `errors.rs`; the server time of `GET /v3/time`), the documented limits
//! (175 GETs per 10 s; order placement and cancellation counted on their own), the client-id
//! rule, and the response documents (numbers as strings, times ISO 8601).

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::http::HttpProtocol;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::time::rfc3339_ms;

pub use crate::cex::exchanges::okx::api::{decode, opt_dec};

/// `clientId`: at most 40 characters (letters, digits, `-`, `_`, `.`, `:`).
pub const CLIENT_ID_RULE: ClientIdRule = ClientIdRule {
    max_len: 40,
    allowed: |c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'),
};

/// Rate-limit counters.
pub mod limit {
    pub const GET: &str = "dydx_v3:get";
    pub const ORDERS: &str = "dydx_v3:orders";
    pub const CANCEL: &str = "dydx_v3:cancel";
}

/// 175 GETs per 10 s; order placements and cancellations have their own per-10-s budgets.
pub fn default_limits() -> Vec<RateLimit> {
    let ten = Duration::from_secs(10);
    vec![
        RateLimit::new(limit::GET, ten, 175),
        RateLimit::new(limit::ORDERS, ten, 100),
        RateLimit::new(limit::CANCEL, ten, 100),
    ]
}

/// The HTTP side of dYdX v3.
#[derive(Debug, Clone, Copy, Default)]
pub struct DydxV3Protocol;

/// The first message of an `{"errors":[…]}` body; dYdX sends no numeric code, so the code is 0.
pub fn error_of(body: &[u8]) -> Option<(i64, String)> {
    #[derive(Deserialize)]
    struct Item {
        #[serde(default)]
        msg: String,
        #[serde(default)]
        param: Option<String>,
    }
    #[derive(Deserialize)]
    struct Body {
        errors: Vec<Item>,
    }
    let b: Body = serde_json::from_slice(body).ok()?;
    let first = b.errors.into_iter().next()?;
    let msg = match first.param {
        Some(p) if !p.is_empty() => format!("{} ({p})", first.msg),
        _ => first.msg,
    };
    Some((0, msg))
}

impl HttpProtocol for DydxV3Protocol {
    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        error_of(body)
    }

    fn classify_error(&self, status: u16, _code: i64, msg: &str) -> ApiErrorKind {
        super::errors::classify(status, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/v3/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(limit::GET, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        #[derive(Deserialize)]
        struct T {
            iso: String,
        }
        let t: T = serde_json::from_slice(body).ok()?;
        rfc3339_ms(&t.iso).and_then(|ms| i64::try_from(ms).ok())
    }

    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        // `RateLimit-Remaining` at 0: wait for `RateLimit-Reset` (Unix ms), at most 10 s
        let num = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        if num("ratelimit-remaining") != Some(0) {
            return;
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let wait = num("ratelimit-reset").map_or(1000, |r| r.saturating_sub(now).min(10_000));
        limiter.block_for(Duration::from_millis(wait));
    }
}

/// A time of the API (ISO 8601) in Unix milliseconds.
pub fn iso_ms(what: &str, t: &str) -> Result<u64, CexError> {
    rfc3339_ms(t).ok_or_else(|| CexError::decode(what, format!("bad time {t:?}")))
}

/// One market of `GET /v3/markets`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarketDoc {
    pub market: String,
    pub status: String,
    pub base_asset: String,
    pub quote_asset: String,
    pub step_size: Decimal,
    pub tick_size: Decimal,
    pub min_order_size: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub index_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub oracle_price: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub next_funding_rate: Option<Decimal>,
    #[serde(default)]
    pub next_funding_at: Option<String>,
    #[serde(rename = "type", default)]
    pub kind: String,
}

/// `GET /v3/markets`.
#[derive(Debug, Deserialize)]
pub struct MarketsDoc {
    pub markets: std::collections::BTreeMap<String, MarketDoc>,
}

/// An order as the API reports it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderDoc {
    pub id: String,
    #[serde(default)]
    pub client_id: Option<String>,
    pub market: String,
    pub side: String,
    pub price: Decimal,
    pub size: Decimal,
    pub remaining_size: Decimal,
    #[serde(rename = "type")]
    pub kind: String,
    pub status: String,
    #[serde(default)]
    pub time_in_force: String,
    #[serde(default)]
    pub cancel_reason: Option<String>,
}

/// `{"order": …}` (create, get by id or client id).
#[derive(Debug, Deserialize)]
pub struct OrderEnvelope {
    pub order: OrderDoc,
}

/// `{"cancelOrder": …}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelEnvelope {
    pub cancel_order: OrderDoc,
}

/// `{"orders": […]}`.
#[derive(Debug, Deserialize)]
pub struct OrdersDoc {
    pub orders: Vec<OrderDoc>,
}

/// One fill of `GET /v3/fills`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FillDoc {
    pub id: String,
    pub side: String,
    pub liquidity: String,
    pub market: String,
    pub order_id: String,
    pub price: Decimal,
    pub size: Decimal,
    pub fee: Decimal,
    pub created_at: String,
}

/// `{"fills": […]}`.
#[derive(Debug, Deserialize)]
pub struct FillsDoc {
    pub fills: Vec<FillDoc>,
}

/// One open position of an account.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionDoc {
    pub market: String,
    pub status: String,
    pub side: String,
    /// Signed (a short is negative).
    pub size: Decimal,
    pub entry_price: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub unrealized_pnl: Option<Decimal>,
    #[serde(default, deserialize_with = "opt_dec")]
    pub net_funding: Option<Decimal>,
}

/// An account (`GET /v3/accounts/:id`, and the items of `GET /v3/accounts`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountDoc {
    pub id: String,
    pub position_id: String,
    #[serde(default)]
    pub account_number: String,
    pub equity: Decimal,
    pub free_collateral: Decimal,
    #[serde(default, deserialize_with = "opt_dec")]
    pub quote_balance: Option<Decimal>,
    #[serde(default)]
    pub open_positions: std::collections::BTreeMap<String, PositionDoc>,
}

/// `{"account": …}`.
#[derive(Debug, Deserialize)]
pub struct AccountEnvelope {
    pub account: AccountDoc,
}

/// `{"accounts": […]}`.
#[derive(Debug, Deserialize)]
pub struct AccountsDoc {
    pub accounts: Vec<AccountDoc>,
}

/// One funding payment of `GET /v3/funding`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingDoc {
    pub market: String,
    pub payment: Decimal,
    pub rate: Decimal,
    pub position_size: Decimal,
    pub price: Decimal,
    pub effective_at: String,
}

/// `{"fundingPayments": […]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FundingPaymentsDoc {
    pub funding_payments: Vec<FundingDoc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_and_server_time_are_read() {
        assert_eq!(
            error_of(br#"{"errors":[{"msg":"Order not found"}]}"#),
            Some((0, "Order not found".into()))
        );
        assert_eq!(
            error_of(br#"{"errors":[{"value":"x","msg":"Invalid value","param":"size","location":"body"}]}"#),
            Some((0, "Invalid value (size)".into()))
        );
        assert_eq!(error_of(br#"{"errors":[]}"#), None);
        assert_eq!(error_of(b"<html>"), None);
        let p = DydxV3Protocol;
        assert_eq!(
            p.parse_server_time(br#"{"iso":"2021-02-02T18:35:45.000Z","epoch":1612290945}"#),
            Some(1_612_290_945_000)
        );
        assert_eq!(p.parse_server_time(br#"{"iso":"yesterday"}"#), None);
        for id in ["sluice-1a2B", "a:b.c_d-e"] {
            assert!(
                CLIENT_ID_RULE
                    .check(&crate::core::ClientOrderId::new(id).unwrap())
                    .is_ok()
            );
        }
        let long = crate::core::ClientOrderId::new(&"x".repeat(41));
        assert!(long.is_err() || CLIENT_ID_RULE.check(&long.unwrap()).is_err());
    }
}
