//! Settling a run by hand (`sluice recover --run ID --close|--abandon`): the runs a start refused to
//! act on. `--close` reconciles the run's orders with the venues of a configuration whose legs
//! include the run's, flattens its net exposure with one bounded corrective order (unwind,
//! journaled under the run before it is sent) and ends it; `--abandon` ends it with nothing sent,
//! its exposure recorded in its outcome as the user's.

use super::attribution::{InFlight, config_scope};
use super::recovery::{Correction, overflow};
use super::{ArbError, ArbRunner};
use crate::store::{Journal, RunId, RunKind, StoreError, describe_positions, describe_scope};
use crate::strategy::arb::config::FailurePolicy;

impl ArbRunner {
    /// `sluice recover --run RUN --close`: reconciles `run`'s orders, flattens its net exposure
    /// with one bounded corrective order (unwind, journaled under `run` before it is sent) and
    /// ends it; this runner's own run records what was done. The outcome written for `run`.
    pub async fn close_run(mut self, run: RunId) -> Result<String, ArbError> {
        let result = self.close_run_inner(run).await;
        let own = match &result {
            Ok(o) => format!("recover: run {run} {o}"),
            Err(e) => format!("recover of run {run} failed: {e}"),
        };
        self.journal.end_run(self.run_id, &own)?;
        result
    }

    async fn close_run_inner(&mut self, run: RunId) -> Result<String, ArbError> {
        let cannot = |problem: String| ArbError::CannotRecover { run, problem };
        if let Some(outcome) = self.journal.run_end(run)? {
            return Err(cannot(format!("it has already ended ({outcome})")));
        }
        let scope = self.journal.run_scope(run)?;
        if scope.as_ref().map(|s| s.kind) == Some(RunKind::Demo) {
            return Err(cannot(
                "a simulated (demo) run: there is nothing real to close; `--abandon` ends it"
                    .into(),
            ));
        }
        let positions = self.journal.run_positions(run)?;
        let outside: Vec<String> = positions
            .iter()
            .filter(|p| self.leg_index(&p.venue, &p.pair).is_none())
            .map(|p| format!("{} {}", p.venue, p.pair))
            .chain(
                self.journal
                    .orders_of_run(run)?
                    .iter()
                    .filter(|o| !o.state.is_terminal())
                    .filter(|o| self.leg_index(&o.venue, &o.request.pair).is_none())
                    .map(|o| format!("{} {}", o.venue, o.request.pair)),
            )
            .collect();
        if !outside.is_empty() {
            return Err(cannot(format!(
                "it traded {} , which this configuration does not connect: give a --config whose \
                 two legs are the run's ({})",
                outside.join(", "),
                describe_scope(scope.as_ref())
            )));
        }
        // The run's orders first: what is still moving must settle before anything is sent.
        if let InFlight::Moving { pass, pending } = self.settle_in_flight(Some(run)).await? {
            return Err(ArbError::InFlight {
                orders: pass.moving,
                transactions: pending,
                runs: format!(" (orders of run {run})"),
            });
        }
        // Without a journaled scope, this configuration's aliases stand in for the run's.
        let scope = match scope {
            Some(s) => s,
            None => config_scope(RunKind::Arb, self.our_legs().to_vec(), self.eval.config()),
        };
        let positions = self.journal.run_positions(run)?;
        let per_leg = self
            .leg_exposure(&positions, &scope, run)?
            .ok_or_else(|| cannot("it has fills outside this configuration's legs".into()))?;
        let exposure = per_leg[0]
            .checked_add(per_leg[1])
            .ok_or_else(|| overflow(run))?;
        if exposure.is_zero() {
            let outcome = "closed by the user: flat, nothing sent".to_string();
            self.journal.end_run(run, &outcome)?;
            return Ok(outcome);
        }
        let rates = self.run_rates(&scope);
        match self
            .recover(run, per_leg, FailurePolicy::Unwind, rates)
            .await?
        {
            Correction::Closed(done) => {
                let outcome = format!("closed by the user: {done}");
                self.journal.end_run(run, &outcome)?;
                Ok(outcome)
            }
            Correction::Open(why) => Err(ArbError::Unresolved {
                runs: vec![run],
                detail: why,
            }),
        }
    }
}

/// `sluice recover --run RUN --abandon`: ends an unfinished run as abandoned by the user. Nothing
/// is sent; the run's exposure becomes the user's and is written into its outcome. Its orders stay
/// as the journal has them (a later start still reconciles those at its legs).
pub fn abandon_run(journal: &Journal, run: RunId) -> Result<String, StoreError> {
    if let Some(outcome) = journal.run_end(run)? {
        return Err(StoreError::RunEnded { run, outcome });
    }
    let positions = journal.run_positions(run)?;
    let outcome = format!(
        "abandoned by the user: the net exposure per (venue, pair) is theirs: {}",
        describe_positions(&positions)
    );
    journal.end_run(run, &outcome)?;
    Ok(outcome)
}
