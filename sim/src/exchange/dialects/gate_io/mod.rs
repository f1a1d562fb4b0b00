//! A simulated Gate.io (APIv4 spot) for tests and the demo: REST and websocket servers on
//! 127.0.0.1 (random ports) speaking Gate.io's documented protocol over the venue-neutral engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::gate_io::GateMockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::gate_io::{GateConfig, MockGateIo};
//! let gate = MockGateIo::start_with(GateConfig::default()).await?;
//! gate.seed_book("BTC_USDT", dec!(100), 10, 1, dec!(1))?;
//! // [connect.gate_io] rest_url = gate.rest_url(), ws_url = gate.ws_url()
//! # Ok(()) }
//! ```
//!
//! REST (`/api/v4/spot/…`): `GET time`, `currency_pairs`, `currency_pairs/{pair}`,
//! `order_book?currency_pair&limit&with_id=true` (`id` = the book's last update id); signed:
//! `POST orders` (JSON; `text` `t-…` ≤ 28 after the prefix; `type` limit/market, `time_in_force`
//! gtc/ioc/fok/poc; a market buy's `amount` is in the quote asset), `GET`/`DELETE orders/{id}`
//! (`id` or `t-` text, `?currency_pair=`), `GET orders?currency_pair&status=open`, `GET
//! open_orders`, `GET my_trades?currency_pair&order_id`, `GET accounts`. Every private request is
//! verified by Gate.io's recipe (`KEY`, `Timestamp` within 60 s, `SIGN` = HMAC-SHA512 over
//! `METHOD\npath\nquery\nhex(SHA512(body))\nTimestamp`): `MISSING_REQUIRED_HEADER`, `INVALID_KEY`,
//! `REQUEST_EXPIRED`, `INVALID_SIGNATURE` (401). Engine refusals: `INVALID_CURRENCY_PAIR`,
//! `BALANCE_NOT_ENOUGH`, `POC_FILL_IMMEDIATELY`, `INVALID_PRECISION`, `AMOUNT_TOO_LITTLE`,
//! `ORDER_NOT_FOUND` (404), `INVALID_PARAM_VALUE`, `INVALID_REQUEST_BODY`. Rate limits per
//! endpoint in fixed windows ([`GateLimits`]: public and private 200 per 10 s, orders 10 per
//! second, cancels 200 per second): 429 `TOO_MANY_REQUESTS` with `X-Gate-RateLimit-*` headers.
//!
//! Websocket (`/ws/v4/`): `spot.ping` → `spot.pong`; `spot.order_book_update` (`[pair,
//! "100ms"]`) pushes `{U,u,b,a}` per engine change, consecutive updates `U = previous u + 1`;
//! private `spot.orders` (`put`/`update`/`finish`), `spot.usertrades`, `spot.balances`, each
//! subscription verified by its `auth` (`SIGN` over `channel=…&event=…&time=…`, error code 4 when
//! refused). Gate.io's spot book carries no checksum, so there is none to corrupt.
//!
//! Faults: depth skip / duplicate / swap, raw frames, dropped book or private connections, a
//! private-stream outage with fills during it, HTTP 429 / HTML pages / truncated JSON / huge
//! numbers / a lost acknowledgement (the order executes, the connection closes unanswered), slow
//! acks, a clock offset.

mod auth;
mod demo;
mod error;
mod handle;
mod rest;
pub mod shapes;
mod shared;
mod ws;

pub use auth::{MAX_SKEW_S, Received, verify_rest, verify_ws};
pub use error::GateError;
pub use handle::{GateBook, GateConfig, GateMockError, GateOrderView, MockGateIo, gate_symbols};
pub use shared::{GateLimits, HttpFault};
