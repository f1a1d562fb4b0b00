//! An in-process mock of the Binance spot exchange for tests and the demo: REST and websocket
//! servers on 127.0.0.1 (random ports) speaking Binance's documented protocol, backed by an
//! in-memory matching engine, with the controls a test needs (liquidity, balances, faults).
//!
//! # Starting it
//!
//! ```no_run
//! # async fn demo() -> Result<(), sluice_sim::exchange::dialects::binance::MockError> {
//! use rust_decimal_macros::dec;
//! use sluice_sim::exchange::dialects::binance::MockBinance;
//!
//! let mock = MockBinance::start().await?;            // or MockBinance::start_with(MockConfig { .. })
//! mock.seed_book("BTCUSDT", dec!(100), 10, 1, dec!(1))?; // market-maker liquidity
//! let rest = mock.rest_url();       // "http://127.0.0.1:<port>"  → GET {rest}/api/v3/depth?symbol=BTCUSDT
//! let ws = mock.ws_url();           // "ws://127.0.0.1:<port>"    → {ws}/ws/btcusdt@depth@100ms
//!                                   //                              {ws}/stream?streams=btcusdt@depth/btcusdt@trade
//! let ws_api = mock.ws_api_url();   // "ws://127.0.0.1:<port>/ws-api/v3"
//! let (key, secret) = (mock.api_key(), mock.api_secret()); // the default trading account
//! mock.stop();
//! # Ok(()) }
//! ```
//!
//! The default trading account holds 10 000 of every quote asset and 100 of every base asset
//! (see [`MockConfig::balances`]); more accounts come from [`MockBinance::add_account`].
//!
//! # Protocol served
//!
//! REST (weights as Binance documents them): `GET /api/v3/ping` (1), `/api/v3/time` (1),
//! `/api/v3/exchangeInfo` (20; `symbol` / `symbols`; filters PRICE_FILTER, LOT_SIZE, NOTIONAL or
//! MIN_NOTIONAL, MAX_NUM_ORDERS; `rateLimits`), `/api/v3/depth` (5/25/50/250 by `limit`;
//! `lastUpdateId`), `/api/v3/trades` (25); signed: `POST /api/v3/order` (LIMIT GTC/IOC/FOK,
//! LIMIT_MAKER, MARKET by `quantity` or `quoteOrderQty`; ACK/RESULT/FULL), `DELETE /api/v3/order`
//! (weight 0 when they succeed, 1 when they fail, as since 2026-04-02), `GET /api/v3/order` (4),
//! `GET /api/v3/openOrders` (6, or 80 without `symbol`), `DELETE /api/v3/openOrders` (0/1),
//! `GET /api/v3/account` (20), `GET /api/v3/myTrades` (20, or 5 with `orderId`),
//! `GET /api/v3/rateLimit/order` (40).
//!
//! Signed requests are authenticated as Binance does: `X-MBX-APIKEY` (missing → 401 -2014,
//! unknown → 401 -2015); `timestamp` in ms or µs and `recvWindow` (default 5000, max 60000,
//! three decimals; above → -1102) under the rule `timestamp < serverTime + 1 s && serverTime -
//! timestamp <= recvWindow` (else 400 -1021); then the hex HMAC-SHA256 `signature` over
//! `totalParams` = query string + body concatenated with no separator, the `signature` pair
//! removed (else 400 -1022; hex case ignored), or for Ed25519 accounts the base64 Ed25519
//! signature of the same payload, percent-encoded. Parameters may be split between query and
//! body; the query's value wins for a name in both.
//!
//! Matching is price-time priority at the maker's price; fees (0.1 % maker and taker by default,
//! [`SymbolSpec::maker_fee`]) are taken from the asset received and rounded up to 8 decimals;
//! IOC/FOK/MARKET remainders end `EXPIRED`; every amount prints with 8 decimals.
//!
//! Errors carry Binance's codes and messages: -1013 `Filter failure: PRICE_FILTER | LOT_SIZE |
//! NOTIONAL | MIN_NOTIONAL`, -1121 `Invalid symbol.`, -2010 (insufficient balance, `Order would
//! immediately match and take.` for a crossing LIMIT_MAKER, duplicate client id), -2011 `Unknown
//! order sent.` for a cancel of an unknown or closed order, -2013 `Order does not exist.`, -1102,
//! -1106, -1111, -1115/-1116/-1117, -1101, -1100.
//!
//! Market streams: `<symbol>@depth`, `<symbol>@depth@100ms`, `<symbol>@depth@1000ms` (all three
//! carry the same events: `depthUpdate` with `e,E,s,U,u,b,a`, pushed on every book change, or
//! batched every [`MockConfig::depth_batch_interval`]; consecutive diffs have `U = previous u + 1`, and
//! `GET /api/v3/depth`'s `lastUpdateId` is the update id of the book it shows), and
//! `<symbol>@trade`; raw on `/ws/<stream>[/<stream>..]`,
//! combined (`{"stream":..,"data":..}`) on `/stream?streams=a/b`; live `SUBSCRIBE`,
//! `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`/`GET_PROPERTY combined`. The server pings
//! every [`MockConfig::ping_interval`]. Market events go through a channel of 65 536 messages; a
//! connection that falls further behind is closed, as Binance drops slow consumers.
//!
//! WebSocket API (`/ws-api/v3`): `userDataStream.subscribe.signature` {apiKey, timestamp,
//! [recvWindow], signature}, signed as Binance's WebSocket API: HMAC over the parameters sorted
//! by name, `k=v&...`. Then `executionReport`, `outboundAccountPosition` and `balanceUpdate`
//! events arrive as `{"subscriptionId":N,"event":{..}}`. Also `userDataStream.unsubscribe`,
//! `session.status`, `session.subscriptions`, `ping`, `time`, and for Ed25519 accounts
//! `session.logon` / `session.logout` with `userDataStream.subscribe` (no parameters) on the
//! logged-on session; `session.logon` with an HMAC key is refused (-1002), as Binance accepts
//! only Ed25519 keys there.
//!
//! User-data-stream mechanisms ([`MockConfig::user_streams`], module `listen_key`): by default
//! Binance.com's since 2026-02-20, the WebSocket API only, with `/api/v3/userDataStream`
//! answering `410 Gone` from the gateway (an nginx HTML page). [`UserStreams::listen_key_only`]
//! is a server that kept the legacy stream: `userDataStream.*` on the WebSocket API answered as an
//! unknown method (400, -1020; or [`WsApiUserStream::UpgradeRefused`]: `/ws-api/v3` refuses the
//! upgrade with 404), and `POST` / `PUT` / `DELETE /api/v3/userDataStream` (weight 2; API key in
//! `X-MBX-APIKEY`, no signature: missing → 401 -2014, unknown → 401 -2015; unknown or lapsed key
//! → -1125) with `/ws/<listenKey>` on the market-stream server carrying the account's events as
//! bare objects. A key lapses after [`UserStreams::listen_key_validity`] without a keepalive:
//! its sockets get `listenKeyExpired` and are closed.
//!
//! # Rate limits (Binance spot, as documented in binance-spot-api-docs, July 2026)
//!
//! REQUEST_WEIGHT 6000 per minute per IP (shared by REST and the WebSocket API); RAW_REQUESTS
//! 300 000 per 5 minutes; ORDERS (unfilled order count) 50 per 10 s and 160 000 per day per
//! account, an order's slot given back on its first fill. Windows are fixed and aligned to the
//! interval. A breach is HTTP 429 with `Retry-After` (seconds to the window's end) and -1003 or
//! -1015; after [`RateLimits::ban_after_429s`] rejections in one minute the IP is banned: 418
//! with `Retry-After` for [`RateLimits::ban_seconds`]. Every REST response carries
//! `X-MBX-USED-WEIGHT-1M`; successful orders carry `X-MBX-ORDER-COUNT-10S` and
//! `X-MBX-ORDER-COUNT-1D`. Limits are configurable through [`MockConfig::limits`].
//!
//! # Controls
//!
//! - liquidity: [`MockBinance::seed_book`], [`MockBinance::random_book_updates`] (deterministic
//!   from a seed), [`MockBinance::random_book_updates_paced`];
//! - inspection: [`MockBinance::book`] (the mock's own book, level by level, with its
//!   `lastUpdateId`), [`MockBinance::order`], [`MockBinance::balance`],
//!   [`MockBinance::used_weight`], [`MockBinance::market_connections`],
//!   [`MockBinance::user_connections`], [`MockBinance::listen_key_counts`],
//!   [`MockBinance::active_listen_keys`];
//! - accounts: [`MockBinance::add_account`] (HMAC), [`MockBinance::add_ed25519_account`] (Ed25519:
//!   base64 signatures, percent-encoded on REST; enables `session.logon`), [`MockBinance::set_balance`];
//! - depth-stream faults: [`MockBinance::skip_next_diff`] (gap), [`MockBinance::duplicate_next_diff`],
//!   [`MockBinance::swap_next_diffs`] (out of order), [`MockBinance::flush_depth_batches`] (in
//!   batched mode), [`MockBinance::push_raw_market_message`]
//!   (malformed JSON, unknown event types);
//! - rule changes: [`MockBinance::set_tick_size`] (a finer tick size mid-stream, resting orders
//!   kept), [`MockBinance::set_listed_tick_size`] (`exchangeInfo` lists another tick size than
//!   the one enforced);
//! - connection faults: [`MockBinance::drop_market_streams`], [`MockBinance::drop_user_streams`],
//!   [`MockBinance::set_market_streams_down`], [`MockBinance::set_user_streams_down`],
//!   [`MockBinance::announce_server_shutdown`] (`serverShutdown` events),
//!   [`MockBinance::expire_listen_keys`] (`listenKeyExpired` now);
//! - HTTP faults: [`MockBinance::inject_http_fault`] (429 / 418 with `Retry-After`, HTML error page,
//!   malformed JSON), [`MockBinance::set_ack_delay`] (slow order/cancel acks: the order executes
//!   at once, the response waits);
//! - fills behind the client's back: [`MockBinance::fill_order`],
//!   [`MockBinance::fill_order_while_user_streams_down`] (drops the user-data sockets, refuses new
//!   ones, fills; the client must reconcile by polling; [`MockBinance::set_user_streams_down`]
//!   `(false)` ends the outage);
//! - clock: [`MockBinance::set_clock_offset_ms`], [`MockBinance::server_time_ms`];
//! - lifecycle: [`MockBinance::stop`], [`MockBinance::restart`] (same ports, same state).

pub(crate) mod auth;
pub(crate) mod error;
mod listen_key;
mod market_ws;
pub mod names;
mod params;
mod rest;
pub mod shapes;
mod shared;
mod ws;
mod ws_api;

pub mod handle;

pub use crate::exchange::engine::account::Balance;
pub use crate::exchange::engine::book::PriceLevel;
pub use crate::exchange::engine::spec::{NotionalFilter, RateLimits, SymbolSpec, default_symbols};
pub use auth::{hmac_sha256_hex, split_signature, verify_hmac_hex, ws_api_payload};
pub use error::ApiError;
pub use handle::{
    AccountId, BookSnapshot, MockBinance, MockConfig, MockError, OrderView, TradeView,
};
pub use listen_key::{KeyStatus, ListenKeyCounts, ListenKeys, UserStreams, WsApiUserStream};
pub use shared::HttpFault;
