//! A simulated OKX (v5 API, spot) for tests and the demo: REST and WebSocket servers on
//! 127.0.0.1 (random ports) speaking OKX's documented protocol over the venue-neutral engine.
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::okx::MockOkxError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::okx::MockOkx;
//! let okx = MockOkx::start().await?;      // or MockOkx::start_with(OkxMockConfig { .. })
//! okx.seed_book("BTC-USDT", dec!(100), 10, 1, dec!(1))?;
//! let (rest, ws) = (okx.rest_url(), okx.ws_url()); // [connect.okx] rest_url / ws_url
//! let (key, secret, pass) = (okx.api_key(), okx.api_secret(), okx.passphrase());
//! # Ok(()) }
//! ```
//!
//! REST: `GET /api/v5/public/time`, `public/instruments` (`instType=SPOT`, `instId`),
//! `market/books` (`instId`, `sz` ≤ 400); private, signed: `POST /api/v5/trade/order` (limit,
//! post_only, ioc, fok, market; `tdMode` cash; `tgtCcy`), `POST trade/cancel-order`,
//! `GET trade/order`, `trade/orders-pending`, `trade/fills`, `account/balance`. Envelope
//! `{"code":"0","msg":"","data":[…]}`; an order item's refusal is `code` `"1"` with its
//! `sCode`/`sMsg` under HTTP 200 (51008 insufficient balance, 51001 instrument, 51006 price,
//! 51121 lot size, 51020 minimum, 51016 duplicate `clOrdId`, 51019 post-only would take, 51400
//! cancel failed, 51603 no such order). Authentication as documented (`auth.rs`), errors 50102-
//! 50113 under HTTP 401. Rate limits per endpoint per 2 s (`shared::endpoint_limit`): 429 50011.
//!
//! WebSocket `/ws/v5/public`: `books` (snapshot, then updates with `seqId`/`prevSeqId` and a
//! `checksum`, 0 unless switched on) and `trades`; `/ws/v5/private`: `login`, then `orders`
//! (SPOT) and `account`. Text `ping` → `pong`; a connection silent for 30 s is closed.
//!
//! Controls on [`MockOkx`]: liquidity (`seed_book`, `random_book_updates_paced`), inspection
//! (`book`, `orders_of`, `order_by_client_id`, `balance`, `rate_limited_count`, `logins`),
//! accounts and balances, books faults (`skip_next_diff`, `duplicate_next_diff`,
//! `swap_next_diffs`, `corrupt_next_checksum`, `push_idle_updates`, `reset_seq_ids`,
//! `push_raw_market_message`), connection faults (`drop_market_streams`, `drop_user_streams`,
//! `set_*_streams_down`, `fill_order_while_user_streams_down`), HTTP faults
//! (`inject_http_fault`: 429, HTML page, truncated JSON, any body, a dropped answer), the clock,
//! `stop` / `restart`.

pub mod auth;
mod demo;
pub mod error;
mod handle;
mod rest;
pub mod shapes;
mod shared;
mod ws;
mod ws_private;
mod ws_public;

pub use error::OkxError;
pub use handle::{
    MockOkx, MockOkxError, OkxAccount, OkxBookSnapshot, OkxMockConfig, OkxOrderView, okx_symbol,
    okx_symbols,
};
pub use shared::{HttpFault, endpoint_limit};
pub use ws_public::checksum_of;
