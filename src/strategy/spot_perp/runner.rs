//! The event loop: re-evaluates on every book event of either leg, opens (spot leg + opposite
//! perpetual leg) and closes (both reversed, the perpetual reduce-only), follows each pair of
//! orders to the end, settles a leg that filled alone by the configured policy, and journals
//! everything: each order intent before it is sent, every state change, fill, position change and
//! funding payment after. What is held is always derived from the journal's fills, so a restart
//! (see `recovery`) knows it exactly and never closes a position twice.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::decision::{Carry, Holding, LegQuotes, SpotPerpDecision, SpotPerpEvaluator};
use super::report::{SpotPerpError, SpotPerpEvent, SpotPerpSummary};
use crate::core::{
    ClientOrderId, OrderRequest, OrderState, Position, PositionMode, PositionSide, QuoteRequest,
    VenueEvent,
};
use crate::store::{Journal, RunId};
use crate::strategy::arb::RunOutcome;
use crate::venue::{Venue, VenueError};

/// Index of the spot leg in the runner's arrays; the perpetual is 1.
pub(super) const SPOT: usize = 0;
pub(super) const PERP: usize = 1;

pub(super) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs the spot–perpetual strategy on a spot venue and a perpetual venue.
pub struct SpotPerpRunner {
    pub(super) venues: [Arc<dyn Venue>; 2],
    pub(super) names: [String; 2],
    pub(super) eval: SpotPerpEvaluator,
    pub(super) journal: Journal,
    pub(super) run_id: RunId,
    pub(super) resumed: bool,
    pub(super) run_started_ms: u64,
    pub(super) events: mpsc::UnboundedSender<SpotPerpEvent>,
    pub(super) holding: Holding,
    pub(super) opens: u32,
    pub(super) closes: u32,
    pub(super) failures: u32,
    pub(super) outcome: Option<RunOutcome>,
    pub(super) poll_every: Duration,
    /// How long an order may stay unresolved before the runner gives up waiting on it.
    pub(super) order_timeout: Duration,
    pub(super) cooldown_until: Option<Instant>,
    pub(super) stale: [bool; 2],
    pub(super) last_skip: Option<String>,
    pub(super) quote_requests: [QuoteRequest; 4],
    /// The perpetual's funding figures and when they were read: re-read once they are
    /// [`FUNDING_MAX_AGE`] old or their settlement time has passed, not on every book event.
    pub(super) funding: Option<(Instant, crate::core::FundingInfo)>,
    /// When the funding history was last read (monotonic, and Unix milliseconds).
    pub(super) funding_polled: Option<(Instant, u64)>,
}

/// How long the funding rate and next funding time read from the venue are used.
const FUNDING_MAX_AGE: Duration = Duration::from_secs(30);

impl SpotPerpRunner {
    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    pub fn holding(&self) -> Holding {
        self.holding
    }

    /// How often unresolved orders and funding payments are polled.
    pub fn set_poll_interval(&mut self, every: Duration) {
        self.poll_every = every;
    }

    pub(super) fn emit(&self, e: SpotPerpEvent) {
        let _ = self.events.send(e);
    }

    pub(super) fn venue_err(&self, i: usize, source: VenueError) -> SpotPerpError {
        SpotPerpError::Venue {
            venue: self.names[i].clone(),
            source: Box::new(source),
        }
    }

    /// Runs until the outcome is decided or `stop` turns true. A run still holding a position
    /// stays open in the journal (the next start resumes it); a flat one is ended.
    pub async fn run(
        mut self,
        mut stop: watch::Receiver<bool>,
    ) -> Result<SpotPerpSummary, SpotPerpError> {
        let (mut rx_s, mut rx_p) = (self.venues[SPOT].events(), self.venues[PERP].events());
        self.emit(SpotPerpEvent::Started {
            run_id: self.run_id,
            resumed: self.resumed,
            holding: self.holding,
        });
        let mut stopping = *stop.borrow();
        if !stopping {
            self.evaluate().await?;
        }
        let mut tick = tokio::time::interval(self.poll_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !stopping && self.outcome.is_none() {
            tokio::select! {
                changed = stop.changed() => {
                    if changed.is_err() || *stop.borrow() {
                        info!("stop requested: no new orders");
                        stopping = true;
                    }
                }
                ev = rx_s.recv() => self.on_event(SPOT, ev).await?,
                ev = rx_p.recv() => self.on_event(PERP, ev).await?,
                _ = tick.tick() => {
                    if self.funding_poll_due() {
                        self.poll_funding().await?;
                    }
                    if self.cooldown_until.is_some_and(|t| Instant::now() >= t) {
                        self.cooldown_until = None;
                        self.evaluate().await?;
                    }
                }
            }
        }
        self.finish().await
    }

    async fn finish(mut self) -> Result<SpotPerpSummary, SpotPerpError> {
        self.poll_funding().await?;
        let outcome = self.outcome.clone().unwrap_or(RunOutcome::Stopped);
        if self.holding == Holding::Flat {
            self.journal
                .end_run(self.run_id, &crate::strategy::outcome_label(&outcome))?;
        } else {
            info!(run = self.run_id, holding = ?self.holding, "position held: the run stays open for the next start");
        }
        self.emit(SpotPerpEvent::Stopped {
            outcome: outcome.clone(),
            holding: self.holding,
        });
        let pnl = self.journal.run_pnl(self.run_id)?;
        Ok(SpotPerpSummary {
            run_id: self.run_id,
            opens: self.opens,
            closes: self.closes,
            failures: self.failures,
            outcome,
            holding: self.holding,
            pnl,
        })
    }

    async fn on_event(&mut self, i: usize, ev: Option<VenueEvent>) -> Result<(), SpotPerpError> {
        let Some(ev) = ev else {
            self.outcome
                .get_or_insert(RunOutcome::VenueGone(self.names[i].clone()));
            return Ok(());
        };
        match ev {
            VenueEvent::BookChanged { .. } => self.evaluate().await?,
            VenueEvent::Resynced { .. } => {
                self.stale[i] = false;
                self.evaluate().await?;
            }
            VenueEvent::ConnectionLost { reason } => {
                warn!(venue = %self.names[i], %reason, "connection lost: not trading until resynced");
                self.stale[i] = true;
            }
            VenueEvent::Fill(f) => {
                // Fills of our orders arrive here too, after the trade that waited on them journaled
                // them: counted once by trade id.
                let ours = match &f.client_id {
                    Some(id) => self
                        .journal
                        .order(id)?
                        .is_some_and(|o| o.run_id == self.run_id),
                    None => false,
                };
                if ours && self.journal.record_fill(self.run_id, &f)? {
                    self.emit(SpotPerpEvent::Fill { fill: f });
                }
            }
            VenueEvent::Funding(p) => self.record_funding(&p)?,
            VenueEvent::Position(p) if i == PERP && p.pair == self.eval.config().perp.pair => {
                self.journal
                    .record_position(self.run_id, &self.names[PERP], &p)?;
            }
            VenueEvent::Order { .. }
            | VenueEvent::Balance(_)
            | VenueEvent::Position(_)
            | VenueEvent::Transaction(_)
            | VenueEvent::PoolChanged { .. } => {}
        }
        Ok(())
    }

    fn skip(&mut self, reason: String) {
        if self.last_skip.as_deref() != Some(reason.as_str()) {
            info!(%reason, "spot-perp trade skipped");
            self.last_skip = Some(reason.clone());
        }
        self.emit(SpotPerpEvent::Skipped { reason });
    }

    /// Quotes both legs, decides, and opens or closes.
    async fn evaluate(&mut self) -> Result<(), SpotPerpError> {
        if self.outcome.is_some() || self.stale.iter().any(|s| *s) {
            return Ok(());
        }
        if self.cooldown_until.is_some_and(|t| Instant::now() < t) {
            return Ok(());
        }
        let r = &self.quote_requests;
        let pair = &self.eval.config().perp.pair;
        let fresh = self.funding.as_ref().is_some_and(|(at, f)| {
            at.elapsed() < FUNDING_MAX_AGE && now_ms() < f.next_funding_time_ms
        });
        let read_funding = async {
            match fresh {
                true => None,
                false => Some(self.venues[PERP].funding(pair).await),
            }
        };
        let (sb, ss, pb, ps, read) = tokio::join!(
            self.venues[SPOT].quote(&r[0]),
            self.venues[SPOT].quote(&r[1]),
            self.venues[PERP].quote(&r[2]),
            self.venues[PERP].quote(&r[3]),
            read_funding,
        );
        let q = LegQuotes {
            spot_buy: sb.as_ref().ok(),
            spot_sell: ss.as_ref().ok(),
            perp_buy: pb.as_ref().ok(),
            perp_sell: ps.as_ref().ok(),
        };
        match read {
            Some(Ok(f)) => self.funding = Some((Instant::now(), f)),
            // an unreadable rate is not used (the decision counts no funding), and asked again
            Some(Err(_)) => self.funding = None,
            None => {}
        }
        let funding = self.funding.as_ref().map(|(_, f)| f.clone());
        let decision = self
            .eval
            .decide(&q, funding.as_ref(), now_ms(), self.holding);
        match decision {
            SpotPerpDecision::Hold { edges, basis } => {
                self.emit(SpotPerpEvent::Basis { edges, basis });
                Ok(())
            }
            SpotPerpDecision::Open { edge } => {
                let (carry, net) = (edge.carry, edge.net);
                self.emit(SpotPerpEvent::Basis {
                    edges: vec![edge],
                    basis: None,
                });
                let size = self.eval.size();
                match self.trade(carry, true, size, &q).await? {
                    true => {
                        self.opens += 1;
                        self.emit(SpotPerpEvent::Opened {
                            carry,
                            size,
                            expected_net: net,
                        });
                        Ok(())
                    }
                    false => Ok(()),
                }
            }
            SpotPerpDecision::Close { basis } => {
                let carry = basis.carry;
                self.emit(SpotPerpEvent::Basis {
                    edges: Vec::new(),
                    basis: Some(basis),
                });
                let Holding::Open { size, .. } = self.holding else {
                    return Ok(());
                };
                if self.trade(carry, false, size, &q).await? {
                    self.closes += 1;
                    self.emit(SpotPerpEvent::Closed { carry, size });
                    let cfg = self.eval.config();
                    self.cooldown_until =
                        Some(Instant::now() + Duration::from_millis(cfg.cooldown_ms));
                    if cfg.max_trades.is_some_and(|m| self.closes >= m) {
                        self.outcome.get_or_insert(RunOutcome::MaxTrades);
                    }
                }
                Ok(())
            }
        }
    }

    /// Sends both legs of an open (`open`) or a close of `carry` for `size`, follows them to the
    /// end and settles by policy a leg that filled alone. Returns whether both legs filled whole.
    async fn trade(
        &mut self,
        carry: Carry,
        open: bool,
        size: Decimal,
        q: &LegQuotes<'_>,
    ) -> Result<bool, SpotPerpError> {
        let ids = match (
            self.venues[SPOT].new_client_id(),
            self.venues[PERP].new_client_id(),
        ) {
            (Ok(a), Ok(b)) => [a, b],
            (Err(e), _) | (_, Err(e)) => {
                self.skip(format!("no client order id: {e}"));
                return Ok(false);
            }
        };
        let (spot, perp) = match self.eval.orders(carry, open, size, q, ids) {
            Ok(o) => o,
            Err(e) => {
                self.skip(e.to_string());
                return Ok(false);
            }
        };
        self.last_skip = None;
        let before = self.leg_positions()?;
        // Both intents are journaled before either order leaves.
        self.journal
            .record_intent(self.run_id, &self.names[SPOT], &spot)?;
        self.journal
            .record_intent(self.run_id, &self.names[PERP], &perp.order)?;
        self.emit_sent(SPOT, &spot, false);
        self.emit_sent(PERP, &perp.order, perp.reduce_only);
        let (rs, rp) = tokio::join!(
            self.venues[SPOT].submit(spot.clone()),
            self.venues[PERP].submit_perp(perp.clone()),
        );
        self.after_submit(SPOT, &spot, rs);
        self.after_submit(PERP, &perp.order, rp);
        let (a, b) = tokio::join!(self.follow(SPOT, &spot), self.follow(PERP, &perp.order));
        a?;
        b?;
        self.record_perp_position().await;
        let after = self.leg_positions()?;
        let moved = [after[SPOT] - before[SPOT], after[PERP] - before[PERP]];
        let done = moved[SPOT].abs() == size && moved[PERP].abs() == size;
        if done {
            self.holding = self.holding_from(after);
            return Ok(true);
        }
        let what = if open { "open" } else { "close" };
        if moved.iter().all(|m| m.is_zero()) {
            self.fail(format!("no leg of the {what} executed"));
            self.holding = self.holding_from(after);
            return Ok(false);
        }
        let detail = format!(
            "{what} of {size} ended unbalanced: spot moved {}, perpetual {}",
            moved[SPOT], moved[PERP]
        );
        self.emit(SpotPerpEvent::LegFailed {
            detail: detail.clone(),
        });
        self.settle_unbalanced(detail).await?;
        Ok(false)
    }

    pub(super) fn emit_sent(&self, i: usize, order: &OrderRequest, reduce_only: bool) {
        self.emit(SpotPerpEvent::OrderSent {
            venue: self.names[i].clone(),
            order: order.clone(),
            reduce_only,
        });
    }

    /// A submit the venue refused is failed in the journal; a timeout is unknown (it may have
    /// reached the venue) and resolved by polling.
    pub(super) fn after_submit(
        &mut self,
        i: usize,
        order: &OrderRequest,
        r: Result<ClientOrderId, VenueError>,
    ) {
        let Err(e) = r else { return };
        let reason = e.to_string();
        warn!(venue = %self.names[i], order = %order.client_id, error = %reason, "order not accepted");
        let state = if matches!(e, VenueError::Timeout(_) | VenueError::Network(_)) {
            OrderState::Unknown
        } else {
            OrderState::Failed
        };
        self.record_state(&order.client_id, state, None, Some(&reason));
        self.emit(SpotPerpEvent::OrderUpdate {
            venue: self.names[i].clone(),
            client_id: order.client_id.to_string(),
            state,
            reason: Some(reason),
        });
    }

    pub(super) fn record_state(
        &self,
        id: &ClientOrderId,
        to: OrderState,
        vid: Option<&str>,
        reason: Option<&str>,
    ) {
        if let Err(e) = self.journal.record_state(id, to, vid, reason) {
            warn!(order = %id, error = %e, "journal refused a state change");
        }
    }

    /// Polls an order until it is final (or the timeout passes), then journals its fills (each
    /// once by trade id) and its final state.
    pub(super) async fn follow(&self, i: usize, order: &OrderRequest) -> Result<(), SpotPerpError> {
        let deadline = Instant::now() + self.order_timeout;
        loop {
            let journaled = self.journal.order(&order.client_id)?;
            if journaled
                .as_ref()
                .is_some_and(|o| o.state == OrderState::Failed)
            {
                return Ok(());
            }
            match self.venues[i].order_status(order).await {
                Ok(o) if o.state.is_terminal() => {
                    let fills = self.venues[i]
                        .order_fills(order)
                        .await
                        .map_err(|e| self.venue_err(i, e))?;
                    for f in fills {
                        if self.journal.record_fill(self.run_id, &f)? {
                            self.emit(SpotPerpEvent::Fill { fill: f });
                        }
                    }
                    self.record_state(
                        &order.client_id,
                        o.state,
                        o.venue_order_id.as_deref(),
                        o.reason.as_deref(),
                    );
                    self.emit(SpotPerpEvent::OrderUpdate {
                        venue: self.names[i].clone(),
                        client_id: order.client_id.to_string(),
                        state: o.state,
                        reason: o.reason,
                    });
                    return Ok(());
                }
                Ok(_) => {}
                Err(VenueError::UnknownOrder(_)) if Instant::now() >= deadline => {
                    // Never reached the venue: nothing executed.
                    self.record_state(
                        &order.client_id,
                        OrderState::Failed,
                        None,
                        Some("the venue does not know the order"),
                    );
                    return Ok(());
                }
                Err(e) if !e.is_retryable() && !matches!(e, VenueError::UnknownOrder(_)) => {
                    return Err(self.venue_err(i, e));
                }
                Err(e) => {
                    info!(venue = %self.names[i], order = %order.client_id, error = %e, "poll failed")
                }
            }
            if Instant::now() >= deadline {
                return Err(SpotPerpError::Unresolved {
                    run: self.run_id,
                    venue: self.names[i].clone(),
                    client_id: order.client_id.to_string(),
                    source: Box::new(VenueError::Timeout("order not final".into())),
                });
            }
            tokio::time::sleep(self.poll_every).await;
        }
    }

    /// The perpetual venue's position on the pair, journaled when it changed.
    pub(super) async fn record_perp_position(&self) {
        let pair = &self.eval.config().perp.pair;
        match self.venues[PERP].positions(Some(pair)).await {
            Ok(ps) => {
                let mut ours: Vec<Position> = ps.into_iter().filter(|p| &p.pair == pair).collect();
                // Venues list open positions only: a side of the mode not listed is flat.
                let sides: &[PositionSide] = match self.eval.position_mode() {
                    PositionMode::OneWay => &[PositionSide::Net],
                    PositionMode::Hedge => &[PositionSide::Long, PositionSide::Short],
                };
                for side in sides {
                    if !ours.iter().any(|p| p.position_side == *side) {
                        ours.push(Position::flat(pair.clone(), *side));
                    }
                }
                for p in &ours {
                    if let Err(e) = self
                        .journal
                        .record_position(self.run_id, &self.names[PERP], p)
                    {
                        warn!(error = %e, "position not journaled");
                    }
                }
            }
            Err(e) => info!(venue = %self.names[PERP], error = %e, "positions not read"),
        }
    }

    /// The run's net base position on each leg, from its journaled fills.
    pub(super) fn leg_positions(&self) -> Result<[Decimal; 2], SpotPerpError> {
        let mut out = [Decimal::ZERO; 2];
        let cfg = self.eval.config();
        for p in self.journal.run_positions(self.run_id)? {
            if p.venue == self.names[SPOT] && p.pair == cfg.spot.pair {
                out[SPOT] = p.base;
            } else if p.venue == self.names[PERP] && p.pair == cfg.perp.pair {
                out[PERP] = p.base;
            }
        }
        Ok(out)
    }

    /// What balanced legs hold; `Flat` for none. (Unbalanced legs are settled before this is asked.)
    pub(super) fn holding_from(&self, legs: [Decimal; 2]) -> Holding {
        match Carry::of_spot_position(legs[SPOT]) {
            Some(carry) if legs[SPOT] == -legs[PERP] => Holding::Open {
                carry,
                size: legs[SPOT].abs(),
            },
            _ => Holding::Flat,
        }
    }

    pub(super) fn fail(&mut self, detail: String) {
        self.failures += 1;
        self.emit(SpotPerpEvent::LegFailed {
            detail: detail.clone(),
        });
        let max = self.eval.config().max_failures;
        if self.failures >= max {
            self.outcome
                .get_or_insert(RunOutcome::TooManyFailures(format!(
                    "{} failures (limit {max}); last: {detail}",
                    self.failures
                )));
        }
    }
}
