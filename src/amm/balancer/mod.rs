//! Balancer V2: one Vault holding every pool's tokens; weighted pools (2–8 tokens, the 2021
//! build) and stable pools (StablePool v2, 2022), each reproduced bit for bit.
//!
//! - [`fixed_point`], [`log_exp`]: `FixedPoint` and `LogExpMath`, the rounding and the power
//!   (on `u128` words where the values fit: `fixed_words`, `log_exp_fast`, `words`; the power's
//!   `ln` of bases near one bracketed and decided exactly: `log_bracket`);
//! - [`weighted_math`], [`stable_math`]: the pools' swap formulas (on `u128` words where the
//!   values fit: `weighted_words`, `stable_words`; the stable Newton iteration's end found and
//!   proven directly: `stable_root`);
//! - [`pool`]: a pool's `onSwap` as the Vault calls it (fee, scaling, the Vault's checks), on
//!   words first;
//! - [`route`]: one pool or two joined by a shared token, priced as the Vault's batch computes;
//! - [`state`]: pools discovered from the Vault's `TokensRegistered` logs, loaded in batches and
//!   kept current from `Swap`, `PoolBalanceChanged` and the pools' fee/amp/pause events;
//! - [`connector`], [`connect`]: the pool model of the generic EVM AMM venue, and its registry entry.

pub mod abi;
pub mod connect;
pub mod connector;
pub mod error;
pub mod fixed_point;
mod fixed_words;
mod log_bracket;
pub mod log_exp;
mod log_exp_fast;
pub mod pool;
pub mod route;
pub mod stable_math;
mod stable_root;
mod stable_words;
pub mod state;
pub mod weighted_math;
mod weighted_words;
mod words;

pub use error::BalancerMathError;
