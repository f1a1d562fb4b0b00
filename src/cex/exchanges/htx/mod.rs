//! HTX (Huobi) spot (v1 REST): markets and rules from `/v1/common/symbols`, signature
//! version 2 (`sign.rs`), limit / post-only / IOC / FOK / market orders, cancels, order queries,
//! fills and balances over signed REST (`rest.rs`, `api.rs`), the error codes (`errors.rs`) and
//! the MBP book with its `seqNum`/`prevSeqNum` continuity rule (`book.rs`).
//! Not yet wired to the framework's [`ExchangeVenue`](crate::cex::venue::ExchangeVenue): the
//! live (gzip WebSocket) book feed and the private stream are still to come, so the connector is
//! not registered.

pub mod api;
pub mod book;
pub mod errors;
pub mod rest;
pub mod sign;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

/// Where an HTX deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct HtxConfig {
    /// Venue name (`htx`).
    pub name: String,
    pub rest_url: String,
    /// WebSocket base: `/ws` (market, gzip) and `/ws/v2` (private) are appended.
    pub ws_url: String,
    /// Regular-tier spot fees (0.2 % maker and taker).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids.
    pub client_id_prefix: String,
}

impl HtxConfig {
    pub fn htx() -> Self {
        Self {
            name: "htx".into(),
            rest_url: "https://api.huobi.pro".into(),
            ws_url: "wss://api.huobi.pro".into(),
            maker_fee: dec!(0.002),
            taker_fee: dec!(0.002),
            client_id_prefix: "sluice".into(),
        }
    }

    pub fn ws_market_url(&self) -> String {
        format!("{}/ws", self.ws_url.trim_end_matches('/'))
    }

    pub fn ws_private_url(&self) -> String {
        format!("{}/ws/v2", self.ws_url.trim_end_matches('/'))
    }
}
