//! Whose business an earlier run is. A start acts on a run (reconciles its orders, corrects its
//! exposure by policy) only if every (venue, pair) the run journaled in its scope is one of this
//! configuration's two legs; a demo run is simulated and never touched; a manual run's orders are
//! reconciled but its position is the user's. Anything else is foreign: it is reported, and blocks
//! trading unless it is provably flat.

use std::collections::BTreeSet;

use crate::core::Pair;
use crate::store::{RunAlias, RunId, RunKind, RunLeg, RunScope};

use super::ArbRunner;
use crate::strategy::arb::config::ArbConfig;

/// The scope a run of `kind` on `legs` journals: the legs and `cfg`'s asset aliases.
pub(super) fn config_scope(kind: RunKind, legs: Vec<RunLeg>, cfg: &ArbConfig) -> RunScope {
    RunScope::new(
        kind,
        legs,
        cfg.assets
            .iter()
            .map(|a| RunAlias {
                asset: a.asset.clone(),
                canonical: a.same_as.clone(),
                rate: a.rate,
            })
            .collect(),
    )
}

/// How this start may treat an earlier run. (A demo runner, itself simulated, treats the demo runs
/// of its legs as its own and ignores every other run.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Standing {
    /// A strategy run on our legs: reconciled and corrected by policy.
    Ours,
    /// A manual command on one of our legs: reconciled, never corrected.
    Manual,
    /// Other venues or pairs, or no journaled scope: never acted on.
    Foreign,
    /// A simulated run: ignored.
    Demo,
}

/// Where reconciling what is in flight ended.
#[derive(Debug)]
pub(super) enum InFlight {
    /// Nothing moving any more; the most orders one pass looked at.
    Settled { reconciled: usize },
    /// Still moving at the reconcile timeout: the last pass and the pending transactions.
    Moving { pass: ReconcilePass, pending: usize },
}

/// One reconcile pass: orders looked at, orders still moving and the runs they belong to.
#[derive(Debug, Default)]
pub(super) struct ReconcilePass {
    pub seen: usize,
    pub moving: usize,
    pub runs: BTreeSet<RunId>,
}

impl ArbRunner {
    /// This configuration's two (venue, pair) legs, as runs journal them.
    pub(super) fn our_legs(&self) -> [RunLeg; 2] {
        let cfg = self.eval.config();
        [
            RunLeg {
                venue: self.names[0].clone(),
                pair: cfg.venue_a.pair.clone(),
            },
            RunLeg {
                venue: self.names[1].clone(),
                pair: cfg.venue_b.pair.clone(),
            },
        ]
    }

    /// Which of our legs trades `pair` at `venue`.
    pub(super) fn leg_index(&self, venue: &str, pair: &Pair) -> Option<usize> {
        self.our_legs()
            .iter()
            .position(|l| l.venue == venue && &l.pair == pair)
    }

    /// How a run with this journaled scope stands for this start.
    pub(super) fn standing(&self, scope: Option<&RunScope>) -> Standing {
        let Some(scope) = scope else {
            return Standing::Foreign;
        };
        let ours = !scope.legs.is_empty()
            && scope
                .legs
                .iter()
                .all(|l| self.leg_index(&l.venue, &l.pair).is_some());
        if self.kind == RunKind::Demo {
            // a demo acts on its own simulated runs only
            return match (scope.kind, ours) {
                (RunKind::Demo, true) => Standing::Ours,
                _ => Standing::Demo,
            };
        }
        match (scope.kind, ours) {
            (RunKind::Demo, _) | (RunKind::SpotPerp, _) => Standing::Demo,
            (_, false) => Standing::Foreign,
            (RunKind::Arb, true) => Standing::Ours,
            (RunKind::Manual, true) => Standing::Manual,
        }
    }
}
