//! A simulated KuCoin (spot) for tests and the demo: REST and websocket servers on 127.0.0.1
//! (random ports) speaking KuCoin's documented protocol over the venue-neutral engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::kucoin::KuCoinMockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::kucoin::{KuCoinConfig, MockKuCoin};
//! let kucoin = MockKuCoin::start_with(KuCoinConfig::default()).await?;
//! kucoin.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))?;
//! // [connect.kucoin] rest_url = kucoin.rest_url() (the websocket comes from the bullet answers)
//! # Ok(()) }
//! ```
//!
//! REST, every answer `{"code":"200000","data":…}` or `{"code","msg"}`: `GET /api/v1/timestamp`,
//! `/api/v2/symbols`, `/api/v2/symbols/{symbol}`, `/api/v1/market/orderbook/level2_20|_100`
//! (`sequence` = the book's last change), `POST /api/v1/bullet-public`; signed: `POST
//! /api/v1/bullet-private`, `POST /api/v1/orders` (`clientOid` ≤ 40, `type` limit/market,
//! `timeInForce` GTC/IOC/FOK, `postOnly`, market by `size` or `funds`), `GET`/`DELETE
//! /api/v1/order/client-order/{clientOid}`, `GET /api/v1/orders?status=active` (paged), `GET
//! /api/v1/fills?orderId=` (paged), `GET /api/v1/accounts?type=trade`. Every private request is
//! verified by KuCoin's v2 recipe (`auth.rs`): `400001` missing header, `400002` timestamp over 5 s
//! off, `400003` unknown key, `400004` passphrase, `400005` signature (HTTP 401). Engine refusals:
//! `900001` unknown symbol, `200004` balance insufficient, `400350` post-only would take, `400500`
//! size/price rules, `400100` parameters and unknown orders. Resource pools (public 2000, spot
//! 4000, management 2000 weight per 30 s, [`KuCoinLimits`]) with `gw-ratelimit-limit|remaining|
//! reset` on every answer: 429 `429000` when spent.
//!
//! Websocket (`/?token=…&connectId=…`, tokens from the bullet endpoints): `welcome`, `ping` →
//! `pong`, `subscribe`/`unsubscribe` with `ack`; `/market/level2:{symbol}` pushes
//! `trade.l2update` (`sequenceStart`/`sequenceEnd`, each change `[price, size, sequence]`,
//! consecutive pushes `sequenceStart = previous sequenceEnd + 1`); private
//! `/spotMarket/tradeOrdersV2` (`open`/`match`/`filled`/`canceled`) and `/account/balance`. A
//! client that does not ping within `pingInterval + pingTimeout` is disconnected. KuCoin's level2
//! carries no checksum, so there is none to corrupt.
//!
//! Faults: depth skip / duplicate / swap, raw frames, dropped book or private connections, a
//! private-stream outage with fills during it, HTTP 429 / HTML pages / truncated JSON / huge
//! numbers / unknown fields / a lost acknowledgement (the order executes, the connection closes
//! unanswered), slow acks, a clock offset.

mod auth;
mod demo;
mod error;
mod handle;
mod rest;
mod routes;
pub mod shapes;
mod shared;
mod ws;

pub use auth::{KeyRecord, MAX_SKEW_MS, Received, pre_sign_text, verify_rest};
pub use error::{KuCoinError, code};
pub use handle::{
    KuCoinBook, KuCoinConfig, KuCoinMockError, KuCoinOrderView, MockKuCoin, kucoin_symbols,
};
pub use shared::{HttpFault, KuCoinLimits};
