//! A simulated Coinbase Exchange (the Coinbase Pro protocol) for tests and the demo: REST and
//! websocket servers on 127.0.0.1 (random ports) speaking Coinbase's documented protocol over the
//! venue-neutral engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::coinbase_pro::CbMockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::coinbase_pro::MockCoinbasePro;
//! let cb = MockCoinbasePro::start().await?;
//! cb.seed_book("BTC-USD", dec!(100), 10, 1, dec!(1))?;
//! // [connect.coinbase_pro] rest_url = cb.rest_url(), ws_url = cb.ws_url(), heartbeat_check = "count"
//! # Ok(()) }
//! ```
//!
//! REST: `GET /time`, `/products`, `/products/{id}`, `/products/{id}/book?level=2` (with the
//! product's `sequence`); signed: `GET /fees`, `POST /orders` (JSON; `client_oid` a UUID; `type`
//! limit/market, `time_in_force` GTC/IOC/FOK, `post_only`; a post-only order that would take is
//! answered `rejected`), `GET`/`DELETE /orders/{id}` and `/orders/client:{client_oid}`, `GET
//! /orders?status=open`, `GET /fills?order_id=`, `GET /accounts`. Every private request is
//! verified by Coinbase's recipe (`CB-ACCESS-KEY`, `CB-ACCESS-PASSPHRASE`, `CB-ACCESS-TIMESTAMP`
//! within 30 s, `CB-ACCESS-SIGN` = base64 HMAC-SHA256 with the decoded secret over
//! `timestamp + METHOD + path + body`). Errors are `{"message"}`: `Invalid API Key`, `Invalid
//! Passphrase`, `invalid signature`, `request timestamp expired`, `Product not found`,
//! `Insufficient funds`, `NotFound`, … Rate limits as token buckets (public 10/s burst 15, private
//! 15/s burst 30, fills 10/s burst 20): 429 `Public`/`Private rate limit exceeded`.
//!
//! Websocket: `subscribe` to `level2_batch` (a `snapshot`, then `l2update`s) and `heartbeat`
//! (each product's `sequence`, one step per book update, sent after every update and every
//! second: the connector's `heartbeat_check = "count"`); private `user` (`received`, `open`,
//! `match`, `done`) and `balance`, the subscription signed over `GET /users/self/verify`. Coinbase
//! books carry no checksum, so there is none to corrupt.
//!
//! Faults: book update skip / duplicate / swap, raw frames, dropped book or private connections,
//! a private-stream outage with fills during it, HTTP 429 / HTML pages / truncated JSON / huge
//! numbers / a lost acknowledgement, slow acks, a clock offset. The REST documents (`fee`,
//! `fill_fees`) report the engine's commission of each trade valued in the quote asset
//! ([`shapes::quote_commission`]: what the balances were charged); the `match` message carries
//! `/fees`' rate.

mod auth;
mod demo;
mod error;
mod handle;
mod rest;
pub mod shapes;
mod shared;
mod ws;

pub use auth::{MAX_SKEW_S, Received, verify};
pub use error::CbError;
pub use handle::{
    CbBook, CbConfig, CbMockError, CbOrderView, MockCoinbasePro, coinbase_symbols, product_spec,
};
pub use shared::{Bucket, CbLimits, HttpFault};
