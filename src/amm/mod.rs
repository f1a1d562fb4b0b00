//! Automated market makers, one folder per protocol, each split into math (pure integer
//! arithmetic), state (synced from the chain) and its pool model. See DESIGN.md §5.
//!
//! - chain-neutral: [`AmmError`] (the errors of the AMM layer, converted to `VenueError` at the
//!   seam); the protocols' math modules, which know integers only;
//! - EVM: [`evm`], the kit every EVM AMM shares (the generic venue, swap executor, approvals,
//!   quoting, adoption, native-coin legs, token book, log sync, RPC helpers, connection from
//!   config). Its modules are re-exported here under their former paths (`amm::swap`,
//!   `amm::tokens`, …).
//! - protocols: [`uniswap_v2`], [`uniswap_v3`], each a pool model plugged into
//!   [`evm::venue::EvmAmmVenue`].

pub mod balancer;
mod error;
pub mod evm;
pub mod mento;
pub mod perp;
pub mod terra_swap;
pub mod uniswap_v2;
pub mod uniswap_v3;

pub use error::AmmError;
pub use evm::{BlockCursor, PoolSet, SyncOutcome, SyncStep, Tracked, head, next_logs, sync};
pub use evm::{adoption, balances, evm_connect, native, quoting, rpc, swap, swap_logs, tokens};
