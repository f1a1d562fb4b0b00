//! What a run trades: its kind, its (venue, pair) legs and the asset aliases it counts with.
//!
//! Every run journals its scope when it starts, so that a later process can tell whether an
//! interrupted run is its own business (the same venues and pairs) before it acts on it. A run
//! journaled without a scope (by a version of sluice that did not record one) cannot be
//! attributed, and recovery treats it as such.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::core::{Asset, Pair};

/// Who started a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A strategy (`sluice arb`): its legs may be corrected by a later start.
    Arb,
    /// A command a user typed (`sluice order place`, `sluice swap`): its orders are reconciled
    /// like any other, but its position is the user's intent and never corrected.
    Manual,
    /// `sluice demo` on simulated venues: nothing real to recover, ever.
    Demo,
    /// The spot–perpetual strategy: its run stays open while it holds a position, and only a
    /// later spot–perpetual start on the same legs resumes it.
    SpotPerp,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Arb => "arb",
            RunKind::Manual => "manual",
            RunKind::Demo => "demo",
            RunKind::SpotPerp => "spot_perp",
        }
    }
}

impl std::fmt::Display for RunKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One market a run trades on: a venue id (as the journal names venues) and a pair.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RunLeg {
    pub venue: String,
    pub pair: Pair,
}

/// An asset the run counts as another one at a rate (WETH = 1 ETH, USDC = 1 USDT).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunAlias {
    pub asset: Asset,
    pub canonical: Asset,
    pub rate: Decimal,
}

/// What a run trades; stored as JSON in the run's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunScope {
    pub kind: RunKind,
    pub legs: Vec<RunLeg>,
    #[serde(default)]
    pub aliases: Vec<RunAlias>,
}

impl RunScope {
    pub fn new(kind: RunKind, legs: Vec<RunLeg>, aliases: Vec<RunAlias>) -> Self {
        Self {
            kind,
            legs,
            aliases,
        }
    }

    /// Whether the run trades `pair` at `venue`.
    pub fn trades(&self, venue: &str, pair: &Pair) -> bool {
        self.legs
            .iter()
            .any(|l| l.venue == venue && &l.pair == pair)
    }

    /// `asset` in the run's canonical units: (canonical asset, rate); itself at 1 when no alias.
    pub fn canonical(&self, asset: &Asset) -> (Asset, Decimal) {
        self.aliases
            .iter()
            .find(|a| &a.asset == asset)
            .map(|a| (a.canonical.clone(), a.rate))
            .unwrap_or_else(|| (asset.clone(), Decimal::ONE))
    }
}
