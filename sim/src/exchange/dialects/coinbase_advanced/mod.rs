//! A simulated Coinbase Advanced Trade for tests and the demo: REST and websocket servers on
//! 127.0.0.1 (random ports) speaking Advanced Trade's documented protocol over the venue-neutral
//! engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::coinbase_advanced::CoinbaseMockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::coinbase_advanced::MockCoinbaseAdvanced;
//! let cb = MockCoinbaseAdvanced::start().await?;
//! cb.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))?;
//! // [connect.coinbase_advanced] rest_url = cb.rest_url(), ws_url = cb.ws_url(),
//! // user_ws_url = cb.user_ws_url(); the key: cb.api_key(), cb.api_secret()
//! # Ok(()) }
//! ```
//!
//! REST (`/api/v3/brokerage/…`): public `GET time`, `market/products`, `market/products/{id}`,
//! `market/product_book?product_id&limit`; private (a CDP JWT verified with the key's public
//! part: ES256, `kid`/`sub` the key name, `iss` `cdp`, `nbf`/`exp` around the server's clock,
//! `uri` = `METHOD host path`; else 401 `UNAUTHENTICATED`): `GET transaction_summary`,
//! `POST orders` (`limit_limit_gtc` with `post_only`, `sor_limit_ioc`, `limit_limit_fok`,
//! `market_market_ioc`; refusals are 200 `success:false` with `INSUFFICIENT_FUND`,
//! `INVALID_PRODUCT_ID`, `INVALID_LIMIT_PRICE_POST_ONLY`, …; a `client_order_id` used before
//! answers with that order), `POST orders/batch_cancel` (`UNKNOWN_CANCEL_ORDER`),
//! `GET orders/historical/{id}` (404 `NOT_FOUND`), `orders/historical/batch`,
//! `orders/historical/fills`, `accounts`. Rate limits: public 10 and private 30 per second
//! ([`CoinbaseLimits`]): 429 `RESOURCE_EXHAUSTED` with `Retry-After`.
//!
//! Websocket (`/` market, `/user` user): `heartbeats`, `level2` (snapshot then updates), `user`
//! (JWT without `uri`); every message numbered per connection (`sequence_num`); the engine's depth
//! faults become lost, repeated and late numbers (see `ws.rs`). Advanced Trade's level2 carries no
//! checksum, so there is none to corrupt.
//!
//! Faults: depth skip / duplicate / swap, raw frames, dropped market or user connections, a user
//! outage with fills during it, lost user messages, HTTP 429 / HTML pages / truncated JSON / huge
//! numbers / a lost acknowledgement, slow acks, a clock offset.

mod auth;
mod demo;
mod error;
mod handle;
mod rest;
pub mod shapes;
mod shared;
mod ws;

pub use auth::{Expect, LEEWAY_S, MAX_LIFETIME_S};
pub use error::CbError;
pub use handle::{
    CoinbaseBook, CoinbaseConfig, CoinbaseMockError, CoinbaseOrderView, MockCoinbaseAdvanced,
    coinbase_products, new_cdp_key, product_spec,
};
pub use shared::{CoinbaseLimits, HttpFault};
