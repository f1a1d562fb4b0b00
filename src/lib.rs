//! sluice: one interface over on-chain AMMs, L2 order books and centralized exchanges, so that one
//! strategy can trade between them. See `DESIGN.md` in the shared folder for the architecture.

pub mod amm;
pub mod cex;
pub mod chain;
pub mod clob;
pub mod connectors;
pub mod core;
pub mod logging;
pub mod redact;
pub mod store;
pub mod strategy;
pub mod venue;
pub mod wallet;

pub use venue::{Venue, VenueError, VenueId, VenueKind};
