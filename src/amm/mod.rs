//! Automated market makers on chain, one module per protocol, each split into math (pure integer
//! arithmetic), state (synced from the chain) and connector (the `Venue`). See DESIGN.md §5.

pub mod adoption;
pub mod balances;
mod error;
pub mod evm_connect;
mod log_sync;
pub mod native;
pub mod quoting;
pub mod rpc;
pub mod swap;
pub mod swap_logs;
pub mod tokens;
pub mod uniswap_v2;
pub mod uniswap_v3;

pub use error::AmmError;
pub use log_sync::{BlockCursor, PoolSet, SyncOutcome, SyncStep, Tracked, head, next_logs, sync};
