//! Exchange connectors: each supplies only what differs (URLs, signing, message parsing, symbol
//! mapping, rules) on top of the shared framework.

pub mod binance;
pub mod binance_api;
pub mod binance_book;
pub mod binance_connect;
pub mod binance_depth;
pub mod binance_listen_key;
pub mod binance_user;
pub mod keys;
