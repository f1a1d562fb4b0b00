//! Arbitrage between two venues of any kind (first of all a centralized exchange and an AMM): compare
//! the executable `quote` of both for the configured size, net fees and gas, and trade the gap when it
//! beats a threshold. See DESIGN.md §7.

mod config;
mod decision;
mod runner;

pub use config::{
    ArbConfig, AssetAlias, ConfigError, ExecutionMode, FailurePolicy, GasPricing, LegConfig,
};
pub use decision::{Decision, Direction, DirectionEdge, Evaluator, Proposal, SkipReason};
pub use runner::{ArbError, ArbEvent, ArbRunner, RunOutcome, RunSummary, abandon_run};

#[cfg(test)]
mod tests;
