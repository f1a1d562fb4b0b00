//! Binance USDⓈ-M futures over HTTP: the protocol (spot's error bodies, error table, API-key
//! header and signing, with the futures server time and usage headers), the documented limits and
//! weights, and the futures-only response documents (mark price and funding, positions, leverage,
//! balances, trades) with their conversion to sluice's core types.

use std::time::Duration;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::cex::error::{ApiErrorKind, CexError};
use crate::cex::exchanges::binance::api::BinanceProtocol;
use crate::cex::http::HttpProtocol;
use crate::cex::rate_limit::{RateLimit, RateLimiter};
use crate::cex::sign::Signer;
use crate::core::{Asset, FundingInfo, MarginMode, Pair, Position, PositionSide};

pub use crate::cex::exchanges::binance::api::{CLIENT_ID_RULE, ORDERS, REQUEST_WEIGHT, decode};

/// The documented limits (USDⓈ-M futures general info): 2400 weight per minute per IP, 1200
/// orders per minute and 300 per 10 s per account.
pub fn default_limits() -> Vec<RateLimit> {
    vec![
        RateLimit::new(REQUEST_WEIGHT, Duration::from_secs(60), 2400),
        RateLimit::new(ORDERS, Duration::from_secs(60), 1200),
        RateLimit::new(ORDERS, Duration::from_secs(10), 300),
    ]
}

/// Weight of `GET /fapi/v1/depth` for a `limit`.
pub fn depth_weight(limit: u32) -> u32 {
    match limit {
        0..=50 => 2,
        51..=100 => 5,
        101..=500 => 10,
        _ => 20,
    }
}

/// The HTTP side of the futures API: spot's protocol for what the two share.
#[derive(Debug, Clone)]
pub struct FuturesProtocol {
    pub spot: BinanceProtocol,
}

impl HttpProtocol for FuturesProtocol {
    fn identify(&self, signer: &Signer, headers: &mut Vec<(&'static str, String)>) {
        self.spot.identify(signer, headers);
    }

    fn parse_error(&self, body: &[u8]) -> Option<(i64, String)> {
        self.spot.parse_error(body)
    }

    fn classify_error(&self, status: u16, code: i64, msg: &str) -> ApiErrorKind {
        super::errors::classify(status, code, msg)
    }

    fn server_time_path(&self) -> &'static str {
        "/fapi/v1/time"
    }

    fn server_time_cost(&self) -> Vec<(&'static str, u32)> {
        vec![(REQUEST_WEIGHT, 1)]
    }

    fn parse_server_time(&self, body: &[u8]) -> Option<i64> {
        self.spot.parse_server_time(body)
    }

    fn observe_headers(&self, headers: &reqwest::header::HeaderMap, limiter: &RateLimiter) {
        // spot's headers (weight per minute, orders per 10 s), then the futures' orders per minute
        self.spot.observe_headers(headers, limiter);
        if let Some(o) = headers
            .get("x-mbx-order-count-1m")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u32>().ok())
        {
            limiter.observe_used(ORDERS, Duration::from_secs(60), o);
        }
    }
}

/// Binance's name of a position side.
pub fn position_side_name(side: PositionSide) -> &'static str {
    match side {
        PositionSide::Net => "BOTH",
        PositionSide::Long => "LONG",
        PositionSide::Short => "SHORT",
    }
}

/// A position side from Binance's name.
pub fn position_side_of(name: &str) -> Result<PositionSide, CexError> {
    match name {
        "BOTH" => Ok(PositionSide::Net),
        "LONG" => Ok(PositionSide::Long),
        "SHORT" => Ok(PositionSide::Short),
        other => Err(CexError::decode(
            "position side",
            format!("unknown positionSide {other:?}"),
        )),
    }
}

/// Binance's name of a margin mode (`marginType`).
pub fn margin_type_name(mode: MarginMode) -> &'static str {
    match mode {
        MarginMode::Cross => "CROSSED",
        MarginMode::Isolated => "ISOLATED",
    }
}

/// `GET /fapi/v1/premiumIndex?symbol=`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PremiumIndex {
    pub symbol: String,
    pub mark_price: Decimal,
    #[serde(default)]
    pub index_price: Option<Decimal>,
    pub last_funding_rate: Decimal,
    pub next_funding_time: u64,
}

impl PremiumIndex {
    pub fn to_funding(&self, pair: &Pair) -> Result<FundingInfo, CexError> {
        if self.mark_price <= Decimal::ZERO {
            return Err(CexError::decode(
                "premiumIndex",
                format!("mark price {} is not positive", self.mark_price),
            ));
        }
        Ok(FundingInfo {
            pair: pair.clone(),
            mark_price: self.mark_price,
            index_price: self.index_price.filter(|p| !p.is_zero()),
            funding_rate: self.last_funding_rate,
            next_funding_time_ms: self.next_funding_time,
        })
    }
}

/// One entry of `GET /fapi/v2/positionRisk`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PositionRisk {
    pub symbol: String,
    pub position_amt: Decimal,
    pub entry_price: Decimal,
    pub mark_price: Decimal,
    pub un_realized_profit: Decimal,
    #[serde(default)]
    pub liquidation_price: Option<Decimal>,
    pub leverage: Decimal,
    pub margin_type: String,
    #[serde(default)]
    pub isolated_wallet: Option<Decimal>,
    #[serde(default)]
    pub notional: Option<Decimal>,
    pub position_side: String,
}

impl PositionRisk {
    /// The shared form; margin is the isolated wallet, or for cross margin the notional over the
    /// leverage (the initial margin the position holds).
    pub fn to_position(&self, pair: &Pair) -> Result<Position, CexError> {
        let margin_mode: MarginMode = self
            .margin_type
            .parse()
            .map_err(|e| CexError::decode("positionRisk", e))?;
        if self.leverage <= Decimal::ZERO {
            return Err(CexError::decode(
                "positionRisk",
                format!("leverage {} is not positive", self.leverage),
            ));
        }
        let size = self.position_amt;
        let notional = self
            .notional
            .unwrap_or_else(|| size * self.mark_price)
            .abs();
        let margin = match margin_mode {
            MarginMode::Isolated => self.isolated_wallet.unwrap_or_default(),
            MarginMode::Cross => (notional / self.leverage).round_dp(8),
        };
        let entry_notional = self.entry_price * size.abs();
        Ok(Position {
            pair: pair.clone(),
            size,
            entry_notional,
            entry_price: (!size.is_zero()).then_some(self.entry_price),
            mark_notional: Some(notional),
            margin,
            margin_asset: pair.quote.clone(),
            unrealized_pnl: self.un_realized_profit,
            margin_ratio: None,
            liquidation_price: self.liquidation_price.filter(|p| !p.is_zero()),
            funding_paid: None,
            position_side: position_side_of(&self.position_side)?,
            mark_price: Some(self.mark_price),
            leverage: Some(self.leverage),
            margin_mode: Some(margin_mode),
        })
    }
}

/// `POST /fapi/v1/leverage`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeverageAnswer {
    pub leverage: u32,
    #[serde(default)]
    pub max_notional_value: Option<Decimal>,
}

/// `GET /fapi/v1/positionSide/dual`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DualSide {
    pub dual_side_position: bool,
}

/// One entry of `GET /fapi/v2/balance`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FuturesBalance {
    pub asset: String,
    pub balance: Decimal,
    pub available_balance: Decimal,
}

impl FuturesBalance {
    pub fn to_balance(&self) -> Result<crate::core::Balance, CexError> {
        Ok(crate::core::Balance {
            asset: Asset::new(&self.asset)?,
            total: self.balance,
            available: self.available_balance.min(self.balance),
        })
    }
}

/// One entry of `GET /fapi/v1/userTrades`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserTrade {
    pub id: i64,
    pub order_id: i64,
    pub price: Decimal,
    pub qty: Decimal,
    pub commission: Decimal,
    pub commission_asset: String,
    pub side: String,
    pub maker: bool,
    pub time: u64,
}
