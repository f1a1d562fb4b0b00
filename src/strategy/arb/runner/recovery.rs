//! What a killed run left behind: a trade cut between its legs leaves one without the other.
//!
//! Once the orders of earlier runs are settled (the reconcile before trading), each run that never
//! ended is closed with the net base exposure its fills left at our venues. Under the `unwind` or
//! `hedge` policy a non-zero exposure is closed the way a live failed leg is: one corrective order,
//! on the venue the exposure came from (unwind) or on the other one (hedge).
//!
//! The corrective order is journaled under the interrupted run itself, before it is sent, and the
//! run is closed only once that order is final. If this process is killed during the correction,
//! the next restart finds the run still open, settles the corrective order with the other in-flight
//! orders, counts its fills in the run's exposure, and so never corrects twice.

use std::time::Instant;

use rust_decimal::Decimal;
use tracing::{info, warn};

use super::{ArbError, ArbEvent, ArbRunner};
use crate::core::{OrderRequest, OrderState, Side};
use crate::store::{RunId, StoreError};
use crate::strategy::arb::config::FailurePolicy;
use crate::venue::VenueError;

impl ArbRunner {
    /// Closes the runs of earlier processes that never ended (see the module docs).
    pub(super) async fn close_interrupted_runs(&mut self) -> Result<(), ArbError> {
        for run in self.journal.unfinished_runs()? {
            if run == self.run_id {
                continue;
            }
            let per_venue = self.run_exposure(run)?;
            let exposure = per_venue[0] + per_venue[1];
            let policy = self.eval.config().on_leg_failure;
            let outcome = if exposure.is_zero() {
                Some("interrupted".to_string())
            } else if policy == FailurePolicy::Stop {
                let detail = format!(
                    "run {run} was interrupted and left a net base exposure of {exposure} (not closed: the failure policy is stop)"
                );
                warn!("{detail}");
                self.emit(ArbEvent::LegFailed { trade: 0, detail });
                Some(format!("interrupted: net base exposure {exposure}"))
            } else {
                self.recover(run, per_venue, policy).await?
            };
            // `None`: the corrective order is still moving; the next restart settles it.
            if let Some(outcome) = outcome {
                self.journal.end_run(run, &outcome)?;
            }
        }
        Ok(())
    }

    /// The net base position (buys minus sells, canonical base units) that `run`'s fills left at
    /// each of our venues.
    fn run_exposure(&self, run: RunId) -> Result<[Decimal; 2], StoreError> {
        let cfg = self.eval.config();
        let mut per_venue = [Decimal::ZERO; 2];
        for f in self.journal.fills_of_run(run)? {
            let Some(v) = self.names.iter().position(|n| n == &f.venue) else {
                continue;
            };
            per_venue[v] += f.side.position_sign() * f.amount * cfg.canonical(&f.pair.base).1;
        }
        Ok(per_venue)
    }

    /// Sends the corrective order for the exposure `run` left and follows it to its end; the
    /// run's outcome, or `None` if the order was still moving after the reconcile timeout.
    async fn recover(
        &mut self,
        run: RunId,
        per_venue: [Decimal; 2],
        policy: FailurePolicy,
    ) -> Result<Option<String>, ArbError> {
        let exposure = per_venue[0] + per_venue[1];
        // long base: sell; short: buy
        let side = if exposure > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        // the venue the exposure came from: the one whose own position leans the same way most
        let leaning = |v: usize| match side {
            Side::Sell => per_venue[v],
            Side::Buy => -per_venue[v],
        };
        let from = if leaning(0) >= leaning(1) { 0 } else { 1 };
        let (venue, how) = match policy {
            FailurePolicy::Hedge => (1 - from, "hedge"),
            _ => (from, "unwind"),
        };
        let order = self.corrective_order(venue, side, exposure.abs()).await?;
        let id = order.client_id.clone();
        let detail = format!(
            "run {run} was interrupted and left a net base exposure of {exposure}: {how} with {side} {} on {}",
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
                warn!(order = %id, error = %reason, "the corrective order was refused");
                return Ok(Some(format!(
                    "interrupted: net base exposure {exposure} (the corrective order {id} was refused: {reason})"
                )));
            }
            // it may have reached the venue: found out by polling below
            self.record_state_lenient(&id, OrderState::Unknown, None, Some(&reason));
        }
        if !self.follow(run, venue, &order).await? {
            warn!(order = %id, "the corrective order is still open; the next start settles it");
            return Ok(None);
        }
        let left: Decimal = self.run_exposure(run)?.iter().sum();
        Ok(Some(if left.is_zero() {
            info!(%run, order = %id, "the exposure of the interrupted run is closed");
            format!("interrupted: net base exposure {exposure} closed by {how} ({id})")
        } else {
            format!("interrupted: net base exposure {left} left after the corrective order ({id})")
        }))
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
