//! The EVM AMM kit: everything an AMM on an EVM chain needs besides its own pool math, written
//! once over alloy. A protocol (Uniswap v2, v3, and next Balancer, Mento) supplies only a pool
//! model ([`venue::PoolModel`]) and gets the [`Venue`](crate::venue::Venue) from [`venue::EvmAmmVenue`].
//!
//! - [`venue`]: the one generic EVM AMM venue, parameterised by the protocol's pool model;
//! - [`evm_connect`]: building a venue from its `[connect."<amm>@<chain>"]` table;
//! - [`swap`]: the swap executor (approvals, sending, fills from receipts) and its plan;
//! - [`swap_logs`], [`native`], [`adoption`]: reading swaps, native-coin legs and journaled
//!   transactions back from the chain;
//! - [`quoting`]: exact integer swap results turned into venue-neutral quotes;
//! - [`tokens`], [`balances`]: the token book and an account's balances;
//! - [`rpc`], log sync ([`sync`], [`PoolSet`]): batched reads and following pools from their logs;
//! - [`follow`]: one venue following the chain, syncs one at a time, and the freshness rule (its
//!   own swap's block reached before the fill is reported and before the next quote).

pub mod abi;
pub mod adoption;
pub mod balances;
pub mod evm_connect;
pub mod follow;
mod log_sync;
pub mod native;
pub mod quoting;
pub mod report;
pub mod rpc;
pub mod swap;
pub mod swap_logs;
pub mod tokens;
pub mod venue;

pub use log_sync::{BlockCursor, PoolSet, SyncOutcome, SyncStep, Tracked, head, next_logs, sync};
