//! The exchange framework (DESIGN.md §6): the pieces every centralized exchange shares, written once —
//! request signing, an HTTP client with rate limits, backoff and clock sync, websocket streams with
//! reconnects, an order book keyed by integer ticks, an order tracker, and trading rules — and the
//! exchange connectors built on them under [`exchanges`].

pub mod auth;
pub mod book;
pub mod book_side;
pub mod clock;
pub mod error;
pub mod exchanges;
pub mod grid;
pub mod http;
pub mod json_scan;
pub mod key_store;
pub mod live_book;
pub mod order_tracker;
pub mod rate_limit;
pub mod sign;
pub mod stream;
pub mod venue;

pub use auth::ApiCredentials;
pub use book::{BookQuote, Level, OrderBook};
pub use error::CexError;
pub use grid::{Grid, GridError};
pub use order_tracker::{OrderReport, OrderTracker};
pub use rate_limit::{RateLimit, RateLimiter};
