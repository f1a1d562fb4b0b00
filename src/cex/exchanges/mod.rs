//! Exchange connectors: each supplies only what differs (URLs, signing, message parsing, symbol
//! mapping, rules) on top of the shared framework.

pub mod binance;
pub mod gate_io;
pub mod keys;
pub mod kraken;
