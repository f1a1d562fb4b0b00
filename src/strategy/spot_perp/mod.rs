//! Spot–perpetual arbitrage (`strategy = "spot_perp"` in a `sluice arb` file): holds a spot leg and
//! the opposite perpetual leg while the perpetual's basis over spot, net of both legs' fees and of
//! the funding expected until a horizon, pays more than a threshold, and closes both when the basis
//! converges. See DESIGN.md §7.

mod config;
mod decision;
mod funding;
mod recovery;
mod report;
mod runner;
mod settle;

pub use config::{SpotPerpConfig, SpotPerpLeg, StrategyKind};
pub use decision::{
    Carry, CloseBasis, Holding, LegOrderError, LegQuotes, OpenEdge, SizeError, SpotPerpDecision,
    SpotPerpEvaluator, settlements_within,
};
pub use report::{SpotPerpError, SpotPerpEvent, SpotPerpSummary};
pub use runner::SpotPerpRunner;

#[cfg(test)]
mod tests;
