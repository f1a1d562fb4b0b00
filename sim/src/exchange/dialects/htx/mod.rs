//! A simulated HTX (Huobi) spot for tests and the demo: REST and WebSocket servers on 127.0.0.1
//! (random ports) speaking HTX's documented protocol over the venue-neutral engine.
//!
//! REST: `GET /v1/common/timestamp`, `/v1/common/symbols`, `/market/depth?symbol&type`; signed
//! (signature version 2 in the query, verified by the documented recipe: `AccessKeyId`,
//! `SignatureMethod=HmacSHA256`, `SignatureVersion=2`, `Timestamp` within 5 minutes,
//! `Signature` = base64 HMAC-SHA256 over `METHOD\nhost\npath\nsortedQuery`):
//! `GET /v1/account/accounts`, `/v1/account/accounts/{id}/balance`, `POST
//! /v1/order/orders/place` (JSON; `type` `buy-limit`, `sell-limit-maker`, `buy-ioc`,
//! `buy-limit-fok`, `buy-market` (amount in quote) …), `POST /v1/order/orders/{id}/submitcancel`,
//! `GET /v1/order/orders/getClientOrder?clientOrderId`, `/v1/order/openOrders`,
//! `/v1/order/orders/{id}/matchresults`. Errors are `{"status":"error","err-code","err-msg"}`
//! (HTTP 200, as HTX answers); rate limits per group in fixed windows answer HTTP 429.
//!
//! WebSocket: `/feed` and `/ws` (every frame gzip): `{"sub":"market.$s.mbp.$n"}` pushes
//! `{"ch","ts","tick":{"seqNum","prevSeqNum","bids","asks"}}` per engine change, `{"req":…}`
//! answers the snapshot with its `seqNum`; the server pings `{"ping":ts}` and closes a connection
//! that leaves two unanswered. `/ws/v2` (plain JSON): `auth` (version 2.1, verified), `sub` to
//! `orders#*`, `trade.clearing#*#0`, `accounts.update#1`; `{"action":"ping"}` every few seconds.
//! HTX's MBP feed carries no checksum, so there is none to corrupt.
//!
//! Faults: depth skip / duplicate / swap, raw frames, dropped book or private connections, a
//! private-stream outage with fills during it, HTTP 429 / HTML pages / truncated JSON / huge
//! numbers / a lost acknowledgement, a clock offset.

mod auth;
mod demo;
mod error;
mod handle;
mod rest;
pub mod shapes;
mod shared;
mod ws;

pub use auth::{MAX_SKEW_MS, verify_rest, verify_ws};
pub use error::HtxError;
pub use handle::{HtxMockConfig, HtxMockError, HtxOrderView, MockHtx, htx_symbols};
pub use shared::{HttpFault, HtxLimits};
