//! Mento v2: the Broker in front of a BiPoolManager whose exchanges price with a constant-product
//! or constant-sum module over two virtual buckets, reset from the SortedOracles median.
//!
//! - [`fixidity`], [`math`]: FixidityLib and `getAmountOut` / `getAmountIn`, pure, to the wei;
//! - [`limits`]: the Broker's trading limits L0 / L1 / LG, checked before a swap;
//! - [`state`]: exchanges, oracle feeds and limits loaded from the chain and kept current from
//!   `BucketsUpdated`, the Broker's `Swap` and SortedOracles' events;
//! - [`connector`], [`connect`]: the pool model plugged into the generic EVM AMM venue.

pub mod abi;
pub mod connect;
pub mod connector;
pub mod fixidity;
pub mod limits;
pub mod math;
pub mod state;
