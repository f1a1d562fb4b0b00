//! A simulated Kraken spot exchange for tests and the demo: REST and WebSocket v2 servers on
//! 127.0.0.1 (random ports) speaking Kraken's documented protocol over the venue-neutral engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::kraken::MockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::kraken::MockKraken;
//! let mock = MockKraken::start().await?;                  // or start_with(KrakenMockConfig { .. })
//! mock.seed_book("XBTUSD", dec!(30000), 20, 5, dec!(1))?;
//! let table = mock.connect_table(); // a `[connect.kraken]` table: rest_url, ws_url, ws_auth_url
//! # Ok(()) }
//! ```
//!
//! REST: `/0/public/Time`, `AssetPairs` (`pair=` by altname, REST key or ws name; unknown →
//! `EQuery:Unknown asset pair`), `Depth` (`count`); private (POST, form body with `nonce`,
//! `API-Key`, `API-Sign` = base64(HMAC-SHA512(base64-decoded secret, path + SHA256(nonce +
//! postdata))), verified with the shared block; a missing or reused nonce is `EAPI:Invalid nonce`,
//! a bad signature `EAPI:Invalid signature`, an unknown key `EAPI:Invalid key`): `Balance`,
//! `BalanceEx`, `AddOrder` (`limit`/`market`, `oflags=post`, `timeinforce` GTC/IOC, `cl_ord_id`),
//! `CancelOrder` (`txid` or `cl_ord_id`), `OpenOrders` / `ClosedOrders` (`cl_ord_id` filter,
//! `trades`), `QueryOrders`, `QueryTrades`, `GetWebSocketsToken`. Errors are Kraken's strings in
//! `{"error":[…]}` with HTTP 200 (`EOrder:Insufficient funds`, `EOrder:Post only order`,
//! `EOrder:Order minimum not met`, `EOrder:Cost minimum not met`, `EOrder:Unknown order`, …).
//!
//! Rate limits (Starter tier by default, [`KrakenLimits`]): the REST counter per key (+1 a call,
//! +2 for trade history, max 15, −0.33/s) → `EAPI:Rate limit exceeded`; the trading counter per
//! pair (+1 per AddOrder, +8…+1 per cancel by the order's age, threshold 60, −1/s) →
//! `EOrder:Rate limit exceeded`; public calls per IP → HTTP 429 `EGeneral:Too many requests`.
//!
//! WebSocket v2 (`ws_url()` public, `ws_auth_url()` private): see `ws.rs`. Faults: book updates
//! dropped / duplicated / swapped / with a corrupted checksum ([`BookFaults`]), raw messages,
//! connections dropped or refused, HTTP faults ([`HttpFault`]: HTML pages, truncated JSON, huge
//! numbers, an answer lost after the request executed).
//!
//! Fees are reported in the quote asset (a buyer's base-asset commission valued at the trade
//! price; the engine itself keeps charging the buyer in base).

mod demo;
mod handle;
pub mod names;
mod rest;
pub mod shapes;
mod shared;
mod ws;

pub use handle::{
    KrakenMockConfig, KrakenOrderView, MockError, MockKraken, altname, kraken_pair, kraken_symbols,
};
pub use shared::{BookFaults, CounterLimit, HttpFault, KrakenLimits};
