//! dYdX v4's indexer, read side: the public order book of a market over the `v4_orderbook`
//! channel (`book.rs`: the parser and the indexer's ordering and uncrossing rules; `live.rs`: the
//! live book on the framework's stream-snapshot machinery, [`IndexerBook::connect`]) and a small
//! typed REST client (`rest.rs`: perpetual markets, the book snapshot, the time).

pub mod book;
pub mod live;
pub mod rest;

pub use book::{BookOutcome, IndexerBook, IndexerBookError};
pub use live::{LiveBook, spawn_live_book};
pub use rest::{IndexerRest, MAINNET_REST, MAINNET_WS};
