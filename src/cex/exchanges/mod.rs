//! Exchange connectors: each supplies only what differs (URLs, signing, message parsing, symbol
//! mapping, rules) on top of the shared framework.

pub mod binance;
pub mod binance_perpetual;
pub(crate) mod book_fuzz;
pub mod bybit_perpetual;
pub mod coinbase_advanced;
pub mod coinbase_pro;
pub mod gate_io;
pub mod htx;
pub mod keys;
pub mod kraken;
pub mod kucoin;
pub mod okx;

// The paths of Binance's rooms before they moved into `binance/`.
pub use binance::{
    api as binance_api, book as binance_book, connect as binance_connect, depth as binance_depth,
    listen_key as binance_listen_key, user as binance_user,
};
