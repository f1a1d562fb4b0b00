//! Uniswap v2: constant-product pairs, one per token pair, and paths through several of them.
//!
//! - [`math`]: `getAmountOut` / `getAmountIn` of the Router02 library, single pair and multi-hop;
//! - [`state`]: pairs discovered through the factory, reserves kept current from `Sync` logs.

pub mod abi;
pub mod connect;
pub mod connector;
pub mod math;
pub mod state;
