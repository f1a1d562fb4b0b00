//! Uniswap v3: concentrated-liquidity pools, one per (token pair, fee tier).
//!
//! - [`math`] and [`pool`]: the core contracts' arithmetic and swap loop, exact to the wei;
//! - [`ticks`]: initialized ticks and the bitmap-word stepping the swap loop depends on.

pub mod abi;
pub mod connect;
pub mod connector;
pub mod math;
pub mod pool;
pub mod route;
pub mod router;
pub mod state;
pub mod ticks;

pub use pool::{FEE_TIERS, PoolState, SwapAmount, SwapError, SwapOutcome, tick_spacing_for_fee};
pub use ticks::{TickInfo, TickSet};
