//! The venue-neutral engine of the exchange simulator: accounts and balances (`account`), order books
//! with price-time priority (`book`), the exchange state and order lifecycle (`exchange`,
//! `matching`, `order`), listed symbols with their filters and fees (`spec`), rate limits
//! (`rate_limit`), liquidity for tests (`random`), the state and test controls every dialect's
//! servers and handle share (`controls`), the servers' plumbing every dialect shares (`server`), fixed-window request counts and HTTP faults (`windows`), and the fan-out of market and user events
//! (`publish`, through the dialect's [`events::EventShapes`]). A dialect (`super::dialects`) serves it in one exchange's protocol.

pub mod account;
pub mod book;
pub mod controls;
pub mod error;
pub mod events;
pub mod exchange;
pub mod matching;
pub mod order;
pub mod perp;
pub mod publish;
pub mod random;
pub mod rate_limit;
pub mod server;
pub mod spec;
pub mod windows;

#[cfg(test)]
mod tests;
