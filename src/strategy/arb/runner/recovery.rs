//! What earlier runs left behind: a trade cut between its legs leaves one without the other.
//!
//! Once the orders of earlier runs are settled (the reconcile before trading), each run that never
//! ended is looked at by its journaled scope (see `attribution`):
//!
//! - a demo run is simulated and ignored;
//! - a manual run on one of our legs is closed once its orders are final; its position is the
//!   user's and never corrected;
//! - a foreign run (other venues or pairs, or journaled without a scope) is closed if it is
//!   provably flat (every order final, zero net exposure per canonical base asset); otherwise the
//!   start refuses to trade and names it, with its scope and exposure, until the user settles it
//!   with `sluice recover`;
//! - a strategy run on our legs has its net exposure computed per (venue, pair) from its fills, in
//!   canonical units through *its own* journaled aliases. Under `unwind` or `hedge` a non-zero
//!   exposure is closed the way a live failed leg is: one bounded corrective order, on the venue
//!   the exposure came from (unwind) or on the other one (hedge). Under `stop`, or when the bound
//!   cannot fill it all, the run stays open and the start refuses to trade.
//!
//! The corrective order is journaled under the interrupted run itself, before it is sent, and the
//! run is closed only once that order is final. If this process is killed during the correction,
//! the next restart finds the run still open, settles the corrective order with the other in-flight
//! orders, counts its fills in the run's exposure, and so never corrects twice.

use std::time::Instant;

use rust_decimal::Decimal;
use tracing::{info, warn};

use super::attribution::Standing;
use super::{ArbError, ArbEvent, ArbRunner};
use crate::core::{OrderRequest, OrderState, Side};
use crate::store::{
    LegPosition, RunId, RunKind, RunScope, StoreError, canonical_positions, describe_positions,
    describe_scope,
};
use crate::strategy::arb::config::FailurePolicy;
use crate::venue::VenueError;

/// How a correction ended.
pub(super) enum Correction {
    /// The run is flat: what was done (for its outcome).
    Closed(String),
    /// Exposure is left (or unknown): why; the run stays open.
    Open(String),
}

/// How to settle a run by hand.
fn settle_hint(run: RunId) -> String {
    format!(
        "see `sluice history --run {run}`, then settle it with `sluice recover --run {run} \
         --close|--abandon` (`--close` also needs `--config FILE`)"
    )
}

pub(super) fn overflow(run: RunId) -> StoreError {
    StoreError::Overflow(format!("run {run}: net exposure"))
}

impl ArbRunner {
    /// Settles or reports the runs of earlier processes that never ended (see the module docs);
    /// an error when any of them leaves exposure this start may not or could not close.
    pub(super) async fn close_interrupted_runs(&mut self) -> Result<(), ArbError> {
        let mut blocking: Vec<(RunId, String)> = Vec::new();
        let mut ours = Vec::new();
        for run in self.journal.unfinished_runs()? {
            if run == self.run_id {
                continue;
            }
            let scope = self.journal.run_scope(run)?;
            match self.standing(scope.as_ref()) {
                Standing::Demo => {}
                Standing::Manual => {
                    let orders = self.journal.orders_of_run(run)?;
                    if orders.iter().all(|o| o.state.is_terminal()) {
                        self.journal.end_run(
                            run,
                            "interrupted: a manual command (its position is the user's)",
                        )?;
                    }
                }
                Standing::Foreign => {
                    let positions = self.journal.run_positions(run)?;
                    let in_flight = self
                        .journal
                        .orders_of_run(run)?
                        .iter()
                        .filter(|o| !o.state.is_terminal())
                        .count();
                    let flat = canonical_positions(scope.as_ref(), &positions)?
                        .iter()
                        .all(|p| p.net.is_zero());
                    if flat && in_flight == 0 {
                        self.journal.end_run(run, "interrupted")?;
                    } else if scope.as_ref().map(|s| s.kind) != Some(RunKind::Manual) {
                        let orders = if in_flight == 0 {
                            String::new()
                        } else {
                            format!(", {in_flight} order(s) not final")
                        };
                        let detail = format!(
                            "run {run} ({}) was interrupted and is not one of this configuration's \
                             runs: net exposure per (venue, pair): {}{orders}; {}",
                            describe_scope(scope.as_ref()),
                            describe_positions(&positions),
                            settle_hint(run)
                        );
                        blocking.push((run, detail));
                    }
                }
                Standing::Ours => {
                    if let Some(scope) = scope {
                        ours.push((run, scope));
                    }
                }
            }
        }
        if !blocking.is_empty() {
            return Err(self.unresolved(blocking));
        }
        let policy = self.eval.config().on_leg_failure;
        let mut unresolved = Vec::new();
        for (run, scope) in ours {
            let positions = self.journal.run_positions(run)?;
            let Some(per_leg) = self.leg_exposure(&positions, &scope, run)? else {
                unresolved.push((
                    run,
                    format!(
                        "run {run} has fills outside this configuration's legs: {}; {}",
                        describe_positions(&positions),
                        settle_hint(run)
                    ),
                ));
                continue;
            };
            let exposure = per_leg[0]
                .checked_add(per_leg[1])
                .ok_or_else(|| overflow(run))?;
            if exposure.is_zero() {
                self.journal.end_run(run, "interrupted")?;
                continue;
            }
            let rates = self.run_rates(&scope);
            let correction = if policy == FailurePolicy::Stop {
                Correction::Open(format!(
                    "run {run} was interrupted and left a net base exposure of {exposure} ({}); \
                     not closed: the failure policy is stop",
                    describe_positions(&positions)
                ))
            } else {
                self.recover(run, per_leg, policy, rates).await?
            };
            match correction {
                Correction::Closed(done) => {
                    self.journal.end_run(run, &format!("interrupted: {done}"))?;
                }
                Correction::Open(why) => {
                    warn!("{why}");
                    self.emit(ArbEvent::LegFailed {
                        trade: 0,
                        detail: why.clone(),
                    });
                    unresolved.push((run, format!("{why}; {}", settle_hint(run))));
                }
            }
        }
        if unresolved.is_empty() {
            Ok(())
        } else {
            Err(self.unresolved(unresolved))
        }
    }

    fn unresolved(&self, runs: Vec<(RunId, String)>) -> ArbError {
        let detail = runs
            .iter()
            .map(|(_, d)| d.as_str())
            .collect::<Vec<_>>()
            .join("; ");
        warn!("{detail}");
        self.emit(ArbEvent::LegFailed {
            trade: 0,
            detail: detail.clone(),
        });
        ArbError::Unresolved {
            runs: runs.into_iter().map(|(r, _)| r).collect(),
            detail,
        }
    }

    /// Units of the canonical base per unit of each leg's base, by the run's own aliases.
    pub(super) fn run_rates(&self, scope: &RunScope) -> [Decimal; 2] {
        let legs = self.our_legs();
        [
            scope.canonical(&legs[0].pair.base).1,
            scope.canonical(&legs[1].pair.base).1,
        ]
    }

    /// The net base position (canonical units, by the run's aliases) the run's fills left at each
    /// of our legs; `None` if it has a non-zero position somewhere else.
    pub(super) fn leg_exposure(
        &self,
        positions: &[LegPosition],
        scope: &RunScope,
        run: RunId,
    ) -> Result<Option<[Decimal; 2]>, StoreError> {
        let mut per_leg = [Decimal::ZERO; 2];
        for p in positions {
            let Some(i) = self.leg_index(&p.venue, &p.pair) else {
                if p.base.is_zero() {
                    continue;
                }
                return Ok(None);
            };
            let v = p
                .base
                .checked_mul(scope.canonical(&p.pair.base).1)
                .ok_or_else(|| overflow(run))?;
            per_leg[i] = per_leg[i].checked_add(v).ok_or_else(|| overflow(run))?;
        }
        Ok(Some(per_leg))
    }

    /// Closes the exposure `run` left with one bounded corrective order and follows it to its end.
    pub(super) async fn recover(
        &mut self,
        run: RunId,
        per_leg: [Decimal; 2],
        policy: FailurePolicy,
        rates: [Decimal; 2],
    ) -> Result<Correction, ArbError> {
        let exposure = per_leg[0] + per_leg[1];
        // long base: sell; short: buy
        let side = if exposure > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        // the venue the exposure came from: the one whose own position leans the same way most
        let leaning = |v: usize| match side {
            Side::Sell => per_leg[v],
            Side::Buy => -per_leg[v],
        };
        let from = if leaning(0) >= leaning(1) { 0 } else { 1 };
        let (venue, how) = match policy {
            FailurePolicy::Hedge => (1 - from, "hedge"),
            _ => (from, "unwind"),
        };
        let order = match self
            .corrective_order(venue, side, exposure.abs(), rates[venue])
            .await
        {
            Ok(o) => o,
            Err(ArbError::Venue { venue, source }) => {
                return Ok(Correction::Open(format!(
                    "run {run} left a net base exposure of {exposure}: no bounded corrective \
                     order could be priced on {venue} ({source}); nothing was sent"
                )));
            }
            Err(e) => return Err(e),
        };
        let id = order.client_id.clone();
        let bound = order
            .price
            .map_or_else(|| "none".to_string(), |p| p.to_string());
        let detail = format!(
            "run {run} was interrupted and left a net base exposure of {exposure}: {how} with {side} {} on {} (bound {bound})",
            order.amount, self.names[venue]
        );
        warn!("{detail}");
        self.emit(ArbEvent::LegFailed { trade: 0, detail });
        self.journal
            .record_intent(run, &self.names[venue], &order)?;
        self.emit(ArbEvent::OrderSent {
            venue: self.names[venue].clone(),
            order: order.clone(),
        });
        if let Err(e) = self.venues[venue].submit(order.clone()).await {
            let reason = e.to_string();
            if !matches!(e, VenueError::Timeout(_) | VenueError::Network(_)) {
                // refused: nothing was traded; the exposure stays, reported
                self.record_state_lenient(&id, OrderState::Failed, None, Some(&reason));
                return Ok(Correction::Open(format!(
                    "run {run} left a net base exposure of {exposure}: the corrective order {id} was refused ({reason})"
                )));
            }
            // it may have reached the venue: found out by polling below
            self.record_state_lenient(&id, OrderState::Unknown, None, Some(&reason));
        }
        if !self.follow(run, venue, &order).await? {
            return Ok(Correction::Open(format!(
                "run {run}: the corrective order {id} is still open after the reconcile timeout"
            )));
        }
        let scope = self
            .journal
            .run_scope(run)?
            .unwrap_or_else(|| RunScope::new(RunKind::Arb, self.our_legs().to_vec(), Vec::new()));
        let positions = self.journal.run_positions(run)?;
        let left = match self.leg_exposure(&positions, &scope, run)? {
            Some(l) => l[0] + l[1],
            None => exposure,
        };
        Ok(if left.is_zero() {
            info!(%run, order = %id, "the exposure of the interrupted run is closed");
            Correction::Closed(format!(
                "net base exposure {exposure} closed by {how} ({id})"
            ))
        } else {
            Correction::Open(format!(
                "run {run}: a net base exposure of {left} is left after the corrective order {id} \
                 (bound {bound}: the venue did not fill it all within the bound)"
            ))
        })
    }

    /// Polls `order` until it is final, journaling its fills under `run` and its state: `true`
    /// once final, `false` if it still was not at the reconcile timeout.
    async fn follow(
        &mut self,
        run: RunId,
        venue: usize,
        order: &OrderRequest,
    ) -> Result<bool, ArbError> {
        let deadline = Instant::now() + self.reconcile_timeout;
        loop {
            match self.venues[venue].order_status(order).await {
                Ok(o) if o.state.is_terminal() => {
                    let fills = self.venues[venue]
                        .order_fills(order)
                        .await
                        .map_err(|e| self.venue_err(venue, e))?;
                    for f in fills {
                        if self.journal.record_fill(run, &f)? {
                            self.emit(ArbEvent::Fill { fill: f });
                        }
                    }
                    self.record_state_lenient(
                        &order.client_id,
                        o.state,
                        o.venue_order_id.as_deref(),
                        o.reason.as_deref(),
                    );
                    self.emit(ArbEvent::OrderUpdate {
                        venue: self.names[venue].clone(),
                        client_id: order.client_id.clone(),
                        state: o.state,
                        reason: o.reason.clone(),
                    });
                    return Ok(true);
                }
                Ok(_) => {}
                Err(e) => {
                    info!(order = %order.client_id, error = %e, "corrective order not found yet")
                }
            }
            if Instant::now() >= deadline {
                return Ok(false);
            }
            tokio::time::sleep(self.poll_every.min(std::time::Duration::from_millis(500))).await;
        }
    }
}
