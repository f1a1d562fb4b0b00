//! Starting a run: both markets' rules, then the journal. A spot–perpetual run that did not end (a
//! process killed, or stopped while holding a position) on the same legs is resumed under its own
//! id: every order it journaled and did not see to the end is asked of its venue by client id and
//! adopted (its fills journaled once each) or failed when the venue never received it; then what
//! it holds is read from its fills. Legs left unbalanced are settled by the configured policy
//! before any new trade; a close that was sent is counted from its fills, so it is never sent again.

use std::sync::Arc;
use std::time::Duration;

use rust_decimal::Decimal;
use tokio::sync::mpsc;

use super::config::SpotPerpConfig;
use super::decision::{Holding, SpotPerpEvaluator};
use super::report::{SpotPerpError, SpotPerpEvent};
use super::runner::{PERP, SPOT, SpotPerpRunner};
use crate::core::{MarketRules, Pair, PositionMode, QuoteRequest, Side};
use crate::store::{Journal, RunId, RunKind, RunLeg, RunScope};
use crate::venue::{Venue, VenueError};

async fn rules_of(venue: &dyn Venue, pair: &Pair) -> Result<MarketRules, SpotPerpError> {
    let name = venue.id().to_string();
    venue
        .markets()
        .await
        .map_err(|source| SpotPerpError::Venue {
            venue: name.clone(),
            source: Box::new(source),
        })?
        .into_iter()
        .find(|m| &m.pair == pair)
        .ok_or_else(|| SpotPerpError::NoMarket {
            venue: name,
            pair: pair.to_string(),
        })
}

/// The perpetual account's position mode, read once when a run starts: the orders' position side
/// follows it. A venue without modes (one net position per market) is one-way.
async fn position_mode_of(venue: &dyn Venue) -> Result<PositionMode, SpotPerpError> {
    match venue.position_mode().await {
        Ok(mode) => Ok(mode),
        Err(VenueError::NotSupported(_)) => Ok(PositionMode::OneWay),
        Err(source) => Err(SpotPerpError::Venue {
            venue: venue.id().to_string(),
            source: Box::new(source),
        }),
    }
}

/// The unfinished spot–perpetual run on exactly these legs, newest first.
fn unfinished_on(journal: &Journal, scope: &RunScope) -> Result<Vec<RunId>, SpotPerpError> {
    let mut out = Vec::new();
    for run in journal.unfinished_runs()? {
        if let Some(s) = journal.run_scope(run)?
            && s.kind == RunKind::SpotPerp
            && s.legs == scope.legs
        {
            out.push(run);
        }
    }
    out.sort_unstable_by(|a, b| b.cmp(a));
    Ok(out)
}

impl SpotPerpRunner {
    /// Prepares a run: loads both legs' rules, sizes the trade, then resumes the unfinished run
    /// of these legs (adopting its orders, settling unbalanced legs by policy) or starts a new one.
    pub async fn new(
        venues: [Arc<dyn Venue>; 2],
        cfg: SpotPerpConfig,
        journal: Journal,
        label: &str,
        config_text: &str,
        events: mpsc::UnboundedSender<SpotPerpEvent>,
    ) -> Result<Self, SpotPerpError> {
        let names = [venues[SPOT].id().to_string(), venues[PERP].id().to_string()];
        let spot_rules = rules_of(venues[SPOT].as_ref(), &cfg.spot.pair).await?;
        let perp_rules = rules_of(venues[PERP].as_ref(), &cfg.perp.pair).await?;
        let mut eval = SpotPerpEvaluator::new(cfg, spot_rules, perp_rules)?;
        eval.set_position_mode(position_mode_of(venues[PERP].as_ref()).await?);
        let c = eval.config();
        let size = eval.size();
        let req = |pair: &Pair, side| QuoteRequest {
            pair: pair.clone(),
            side,
            base_amount: size,
        };
        let quote_requests = [
            req(&c.spot.pair, Side::Buy),
            req(&c.spot.pair, Side::Sell),
            req(&c.perp.pair, Side::Buy),
            req(&c.perp.pair, Side::Sell),
        ];
        let scope = RunScope::new(
            RunKind::SpotPerp,
            vec![
                RunLeg {
                    venue: names[SPOT].clone(),
                    pair: c.spot.pair.clone(),
                },
                RunLeg {
                    venue: names[PERP].clone(),
                    pair: c.perp.pair.clone(),
                },
            ],
            Vec::new(),
        );
        let earlier = unfinished_on(&journal, &scope)?;
        let (run_id, resumed) = match earlier.first() {
            Some(run) => (*run, true),
            None => (journal.start_scoped_run(label, config_text, &scope)?, false),
        };
        let run_started_ms = journal
            .history(Some(run_id))?
            .runs
            .first()
            .map_or(0, |r| u64::try_from(r.started_ms).unwrap_or(0));
        let mut runner = Self {
            venues,
            names,
            eval,
            journal,
            run_id,
            resumed,
            run_started_ms,
            events,
            holding: Holding::Flat,
            opens: 0,
            closes: 0,
            failures: 0,
            outcome: None,
            poll_every: Duration::from_millis(500),
            order_timeout: Duration::from_secs(30),
            cooldown_until: None,
            stale: [false; 2],
            last_skip: None,
            quote_requests,
            funding: None,
            funding_polled: None,
        };
        // Older unfinished runs of the same legs: settled the same way, one after the other.
        for run in earlier.iter().skip(1).rev() {
            runner.recover_run(*run).await?;
        }
        if resumed {
            runner.recover_run(run_id).await?;
        }
        Ok(runner)
    }

    /// Follows `run`'s unfinished orders to the end, then settles its legs: ended when flat and
    /// not this runner's run; held as this run's position otherwise (the policy first balances
    /// legs that do not offset).
    async fn recover_run(&mut self, run: RunId) -> Result<(), SpotPerpError> {
        let own = self.run_id;
        self.run_id = run;
        for o in self.journal.orders_of_run(run)? {
            if o.state.is_terminal() {
                continue;
            }
            let Some(i) = self.names.iter().position(|n| *n == o.venue) else {
                return Err(SpotPerpError::Unresolved {
                    run,
                    venue: o.venue.clone(),
                    client_id: o.request.client_id.to_string(),
                    source: Box::new(crate::venue::VenueError::InvalidRequest(
                        "not a venue of this configuration".into(),
                    )),
                });
            };
            self.follow(i, &o.request).await?;
        }
        self.record_perp_position().await;
        let legs = self.leg_positions()?;
        if (legs[SPOT] + legs[PERP]) != Decimal::ZERO {
            self.emit(SpotPerpEvent::LegFailed {
                detail: format!(
                    "run {run} was interrupted with unbalanced legs: spot {}, perpetual {}",
                    legs[SPOT], legs[PERP]
                ),
            });
            self.settle_unbalanced(format!("run {run} interrupted between its legs"))
                .await?;
        }
        let legs = self.leg_positions()?;
        let holding = self.holding_from(legs);
        self.run_id = own;
        if run == own {
            self.holding = holding;
        } else if holding == Holding::Flat {
            self.journal
                .end_run(run, &format!("interrupted; settled by run {own}"))?;
        } else {
            return Err(SpotPerpError::Unbalanced {
                run,
                spot: legs[SPOT],
                perp: legs[PERP],
                detail: format!(
                    "an older interrupted run holds a position beside run {own}: close it by \
                     hand (its orders and fills: `sluice history --run {run}`)"
                ),
            });
        }
        Ok(())
    }
}
