//! The event loop: re-evaluates on every book update and every pool event, sends both legs by the
//! configured mode, follows them to the end, handles a failed leg by policy, and journals everything —
//! each order intent before it is sent. On start it reconciles what the journal has in flight.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use super::config::{ExecutionMode, FailurePolicy};

mod attribution;
mod correction;
mod reconcile;
mod recovery;
mod report;
use super::decision::{Decision, DirectionEdge, Evaluator, Proposal, SkipReason};
use crate::core::{
    ClientOrderId, Fill, MarketRules, OrderRequest, OrderState, OrderType, QuoteRequest, Rounding,
    Side, TimeInForce, VenueEvent,
};
use crate::store::{AssetFlow, Journal, RunId, RunKind, RunLeg, RunTxJournal, StoreError};
use crate::venue::{Execution, Venue, VenueError};
use attribution::{InFlight, ReconcilePass, Standing, config_scope};
pub use report::{ArbError, ArbEvent, RunOutcome, RunSummary};
mod settle;
pub use settle::abandon_run;

#[derive(Debug, Clone)]
struct Leg {
    venue: usize,
    order: OrderRequest,
    state: OrderState,
    filled: Decimal,
    sent: bool,
    last_poll: Instant,
}

impl Leg {
    fn terminal(&self) -> bool {
        self.state.is_terminal()
    }
}

#[derive(Debug)]
struct ActiveTrade {
    number: u32,
    proposal: Proposal,
    legs: Vec<Leg>,
    /// Corrective orders (unwind or hedge) already sent.
    corrected: bool,
}

/// Runs the arbitrage between two venues.
pub struct ArbRunner {
    /// How this runner's own run is journaled.
    kind: RunKind,
    venues: [Arc<dyn Venue>; 2],
    names: [String; 2],
    eval: Evaluator,
    journal: Journal,
    run_id: RunId,
    rules: [MarketRules; 2],
    /// How each venue executes (`Venue::execution`): the shape of its orders.
    executions: [Execution; 2],
    events: mpsc::UnboundedSender<ArbEvent>,
    active: Option<ActiveTrade>,
    trades: u32,
    failures: u32,
    outcome: Option<RunOutcome>,
    cooldown_until: Option<Instant>,
    stale: [bool; 2],
    last_skip: Option<String>,
    poll_every: Duration,
    /// How long the start waits for orders and transactions of an earlier process to settle.
    reconcile_timeout: Duration,
    /// A trade just ended: evaluate again once the cooldown is over (our own trade moved the market).
    reevaluate: bool,
    /// Buy and sell quotes of the trade size at venue A, then B: fixed for the run, built once.
    quote_requests: [QuoteRequest; 4],
}

fn number_of(active: &Option<ActiveTrade>) -> u32 {
    active.as_ref().map_or(0, |t| t.number)
}

async fn sleep_until_opt(t: Option<Instant>) {
    if let Some(t) = t {
        tokio::time::sleep_until(t.into()).await;
    }
}

/// Both legs' results, or the first failing leg's index and error.
fn both<T, E>(a: Result<T, E>, b: Result<T, E>) -> Result<[T; 2], (usize, E)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok([a, b]),
        (Err(e), _) => Err((0, e)),
        (_, Err(e)) => Err((1, e)),
    }
}

fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl ArbRunner {
    /// Prepares a run: loads both venues' rules, quantizes the size, opens a journal run.
    pub async fn new(
        venues: [Arc<dyn Venue>; 2],
        eval: Evaluator,
        journal: Journal,
        label: &str,
        config_text: &str,
        events: mpsc::UnboundedSender<ArbEvent>,
    ) -> Result<Self, ArbError> {
        Self::new_of_kind(
            venues,
            eval,
            journal,
            label,
            config_text,
            RunKind::Arb,
            events,
        )
        .await
    }

    /// As [`ArbRunner::new`], journaling the run as `kind`: `RunKind::Demo` for `sluice demo` on
    /// simulated venues (a demo runner acts only on interrupted demo runs of its own legs and
    /// ignores every other run).
    pub async fn new_of_kind(
        venues: [Arc<dyn Venue>; 2],
        eval: Evaluator,
        journal: Journal,
        label: &str,
        config_text: &str,
        kind: RunKind,
        events: mpsc::UnboundedSender<ArbEvent>,
    ) -> Result<Self, ArbError> {
        let names = [venues[0].id().to_string(), venues[1].id().to_string()];
        for (i, v) in venues.iter().enumerate() {
            let execution = v.execution();
            if execution == Execution::PositionChange {
                return Err(ArbError::UnsupportedExecution {
                    venue: names[i].clone(),
                    execution,
                });
            }
        }
        let pairs = [
            eval.config().venue_a.pair.clone(),
            eval.config().venue_b.pair.clone(),
        ];
        let mut rules = Vec::with_capacity(2);
        for i in 0..2 {
            let markets = venues[i]
                .markets()
                .await
                .map_err(|source| ArbError::Venue {
                    venue: names[i].clone(),
                    source,
                })?;
            let r = markets
                .into_iter()
                .find(|m| m.pair == pairs[i])
                .ok_or_else(|| ArbError::NoMarket {
                    venue: names[i].clone(),
                    pair: pairs[i].to_string(),
                })?;
            rules.push(r);
        }
        let rules: [MarketRules; 2] = [rules[0].clone(), rules[1].clone()];
        let mut eval = eval;
        let mut amounts = eval.base_amounts();
        for i in 0..2 {
            let q = rules[i].quantize_size(amounts[i], Rounding::Down);
            if q <= Decimal::ZERO || q < rules[i].min_size {
                return Err(ArbError::SizeTooSmall {
                    venue: names[i].clone(),
                    size: amounts[i],
                });
            }
            amounts[i] = q;
        }
        eval.set_base_amounts(amounts);
        let req = |i: usize, side: Side| QuoteRequest {
            pair: pairs[i].clone(),
            side,
            base_amount: amounts[i],
        };
        let quote_requests = [
            req(0, Side::Buy),
            req(0, Side::Sell),
            req(1, Side::Buy),
            req(1, Side::Sell),
        ];
        let executions = [venues[0].execution(), venues[1].execution()];
        let legs = (0..2)
            .map(|i| RunLeg {
                venue: names[i].clone(),
                pair: pairs[i].clone(),
            })
            .collect();
        let scope = config_scope(kind, legs, eval.config());
        let run_id = journal.start_scoped_run(label, config_text, &scope)?;
        // Chain venues record each transaction here before broadcasting it, and adopt the orders of
        // an earlier process from these records (see `reconcile`).
        for v in &venues {
            v.attach_tx_journal(Arc::new(RunTxJournal::new(journal.clone(), run_id)));
        }
        Ok(Self {
            kind,
            venues,
            names,
            eval,
            journal,
            run_id,
            rules,
            executions,
            events,
            active: None,
            trades: 0,
            failures: 0,
            outcome: None,
            cooldown_until: None,
            stale: [false; 2],
            last_skip: None,
            poll_every: Duration::from_secs(2),
            reconcile_timeout: Duration::from_secs(120),
            reevaluate: false,
            quote_requests,
        })
    }

    pub fn run_id(&self) -> RunId {
        self.run_id
    }

    /// How often a leg that has not reached a final state is polled.
    pub fn set_poll_interval(&mut self, every: Duration) {
        self.poll_every = every;
    }

    /// How long the start waits for what an earlier process left in flight to settle.
    pub fn set_reconcile_timeout(&mut self, timeout: Duration) {
        self.reconcile_timeout = timeout;
    }

    fn emit(&self, e: ArbEvent) {
        let _ = self.events.send(e);
    }

    fn venue_err(&self, i: usize, source: VenueError) -> ArbError {
        ArbError::Venue {
            venue: self.names[i].clone(),
            source,
        }
    }

    /// Runs until the outcome is decided or `stop` turns true; then follows in-flight orders to the end.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<RunSummary, ArbError> {
        let (mut rx_a, mut rx_b) = (self.venues[0].events(), self.venues[1].events());
        if let Err(e) = self.reconcile().await {
            // This run traded nothing: end it, so that it is not taken for an interrupted one.
            let _ = self
                .journal
                .end_run(self.run_id, &format!("not started: {e}"));
            return Err(e);
        }
        self.evaluate().await?;
        let mut stopping = *stop.borrow();
        let mut tick = tokio::time::interval(self.poll_every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            if (stopping || self.outcome.is_some()) && self.active.is_none() {
                break;
            }
            tokio::select! {
                changed = stop.changed(), if !stopping => {
                    // A dropped sender also means stop.
                    if changed.is_err() || *stop.borrow() {
                        info!("stop requested: no new orders; following in-flight ones to the end");
                        stopping = true;
                    }
                }
                ev = rx_a.recv() => self.on_event(0, ev, stopping).await?,
                ev = rx_b.recv() => self.on_event(1, ev, stopping).await?,
                _ = tick.tick(), if self.active.is_some() => self.poll_active().await?,
                _ = sleep_until_opt(self.cooldown_until), if self.reevaluate && self.active.is_none() && !stopping => {
                    self.reevaluate = false;
                    self.evaluate().await?;
                }
            }
        }
        let outcome = self.outcome.clone().unwrap_or(RunOutcome::Stopped);
        let label = crate::strategy::outcome_label(&outcome);
        self.journal.end_run(self.run_id, &label)?;
        self.emit(ArbEvent::Stopped {
            outcome: outcome.clone(),
        });
        let pnl = self.journal.run_pnl(self.run_id)?;
        Ok(RunSummary {
            run_id: self.run_id,
            trades: self.trades,
            failures: self.failures,
            outcome,
            pnl_net: self.eval.config().merge_aliases(&pnl),
            pnl,
        })
    }

    fn record_state_lenient(
        &mut self,
        id: &ClientOrderId,
        to: OrderState,
        vid: Option<&str>,
        reason: Option<&str>,
    ) {
        if let Err(e) = self.journal.record_state(id, to, vid, reason) {
            warn!(order = %id, error = %e, "journal refused a state change");
        }
    }

    async fn on_event(
        &mut self,
        i: usize,
        ev: Option<VenueEvent>,
        stopping: bool,
    ) -> Result<(), ArbError> {
        let Some(ev) = ev else {
            self.outcome
                .get_or_insert(RunOutcome::VenueGone(self.names[i].clone()));
            // Nothing more will arrive for the active legs of this venue.
            if let Some(t) = &mut self.active {
                for leg in t.legs.iter_mut().filter(|l| l.venue == i && !l.terminal()) {
                    leg.state = OrderState::Unknown;
                }
                if t.legs
                    .iter()
                    .all(|l| l.terminal() || l.state == OrderState::Unknown)
                {
                    self.active = None;
                }
            }
            return Ok(());
        };
        match ev {
            VenueEvent::Order {
                client_id,
                venue_order_id,
                state,
                reason,
            } => {
                if self.journal.order(&client_id)?.is_some() {
                    self.record_state_lenient(
                        &client_id,
                        state,
                        venue_order_id.as_deref(),
                        reason.as_deref(),
                    );
                }
                let mut ended = None;
                if let Some(leg) = self.leg_mut(&client_id) {
                    leg.state = state;
                    if state.is_terminal() && leg.filled < leg.order.amount {
                        ended = Some(leg.order.clone());
                    }
                }
                self.emit(ArbEvent::OrderUpdate {
                    venue: self.names[i].clone(),
                    client_id,
                    state,
                    reason,
                });
                if let Some(order) = ended {
                    self.catch_up_fills(i, &order).await?;
                }
                self.progress().await?;
            }
            VenueEvent::Fill(f) => {
                if self.journal.record_fill(self.run_id, &f)? {
                    if let Some(cid) = f.client_id.clone()
                        && let Some(leg) = self.leg_mut(&cid)
                    {
                        leg.filled += f.amount;
                        if leg.filled >= leg.order.amount {
                            leg.state = OrderState::Filled;
                        } else if !leg.state.is_terminal() {
                            leg.state = OrderState::PartiallyFilled;
                        }
                    }
                    self.emit(ArbEvent::Fill { fill: f });
                    self.progress().await?;
                }
            }
            VenueEvent::ConnectionLost { reason } => {
                warn!(venue = %self.names[i], %reason, "connection lost: not trading until resynced");
                self.stale[i] = true;
            }
            VenueEvent::Resynced { .. } => {
                self.stale[i] = false;
                if !stopping {
                    self.evaluate().await?;
                }
            }
            VenueEvent::BookChanged { .. } | VenueEvent::PoolChanged { .. } => {
                if !stopping {
                    self.evaluate().await?;
                }
            }
            VenueEvent::Transaction(tx) => self.journal.record_tx(self.run_id, &tx)?,
            // Neither leg of the CEX/AMM arbitrage holds positions.
            VenueEvent::Balance(_) | VenueEvent::Funding(_) | VenueEvent::Position(_) => {}
        }
        Ok(())
    }

    /// A leg's final state can arrive before all its fills (an exchange report carries the final
    /// state with the first of several fills): before the trade is settled on the leg's amounts, the
    /// venue's fills are fetched and the missing ones journaled (each once, by trade id).
    async fn catch_up_fills(&mut self, i: usize, order: &OrderRequest) -> Result<(), ArbError> {
        let fills = match self.venues[i].order_fills(order).await {
            Ok(f) => f,
            Err(e) => {
                warn!(venue = %self.names[i], order = %order.client_id, error = %e, "fills not fetched");
                return Ok(());
            }
        };
        for f in fills {
            if self.journal.record_fill(self.run_id, &f)? {
                if let Some(leg) = self.leg_mut(&order.client_id) {
                    leg.filled += f.amount;
                }
                self.emit(ArbEvent::Fill { fill: f });
            }
        }
        Ok(())
    }

    fn leg_mut(&mut self, id: &ClientOrderId) -> Option<&mut Leg> {
        self.active
            .as_mut()?
            .legs
            .iter_mut()
            .find(|l| &l.order.client_id == id)
    }

    /// Re-evaluates both directions and trades if it pays.
    async fn evaluate(&mut self) -> Result<(), ArbError> {
        if self.active.is_some() || self.outcome.is_some() || self.stale.iter().any(|s| *s) {
            return Ok(());
        }
        if self.cooldown_until.is_some_and(|t| Instant::now() < t) {
            return Ok(());
        }
        let reqs = &self.quote_requests;
        let (ba, sa, bb, sb) = tokio::join!(
            self.venues[0].quote(&reqs[0]),
            self.venues[0].quote(&reqs[1]),
            self.venues[1].quote(&reqs[2]),
            self.venues[1].quote(&reqs[3]),
        );
        for (i, r) in [(0, &ba), (0, &sa), (1, &bb), (1, &sb)] {
            if let Err(e) = r {
                info!(venue = %self.names[i], error = %e, "no quote");
            }
        }
        let decision = self.eval.decide(
            [ba.as_ref().ok(), bb.as_ref().ok()],
            [sa.as_ref().ok(), sb.as_ref().ok()],
        );
        match decision {
            Decision::Hold { edges } => {
                self.emit(ArbEvent::Edges { edges });
                Ok(())
            }
            Decision::Skip { reason, edges } => {
                self.emit(ArbEvent::Edges { edges });
                self.skip(reason);
                Ok(())
            }
            Decision::Trade { proposal, edges } => {
                self.emit(ArbEvent::Edges { edges });
                self.try_trade(*proposal).await
            }
        }
    }

    fn skip(&mut self, reason: SkipReason) {
        let text = reason.to_string();
        if self.last_skip.as_deref() != Some(text.as_str()) {
            info!(reason = %text, "profitable edge skipped");
            self.last_skip = Some(text.clone());
        }
        self.emit(ArbEvent::Skipped { reason: text });
    }

    async fn try_trade(&mut self, proposal: Proposal) -> Result<(), ArbError> {
        // One trade is in flight at a time, so the open exposure is at most one order size, which
        // the config's validation keeps within `max_open_exposure`.
        let execution = self.eval.config().execution;
        let (ba, bb) = tokio::join!(self.venues[0].balances(), self.venues[1].balances());
        // Balances that cannot be read now (an exchange error page, a node hiccup) skip this
        // evaluation; the next event evaluates again. They never end the run.
        let [ba, bb] = match both(ba, bb) {
            Ok(v) => v,
            Err((i, e)) => {
                self.skip(SkipReason::BalancesUnavailable {
                    venue: self.names[i].clone(),
                    error: e.to_string(),
                });
                return Ok(());
            }
        };
        if let Err(r) = self.eval.check_balances(&proposal, [&ba, &bb]) {
            self.skip(r);
            return Ok(());
        }
        // each leg's id from its own venue, so that it fits that venue's id rules (length,
        // characters, a UUID-borne id)
        let ids = match both(
            self.venues[0].new_client_id(),
            self.venues[1].new_client_id(),
        ) {
            Ok(ids) => ids,
            Err((i, e)) => {
                self.skip(SkipReason::Rule {
                    venue: self.names[i].clone(),
                    violation: format!("no client order id: {e}"),
                });
                return Ok(());
            }
        };
        let orders = match self.eval.orders(
            &proposal,
            self.executions,
            [&self.rules[0], &self.rules[1]],
            ids,
            now_unix(),
        ) {
            Ok(o) => o,
            Err(r) => {
                self.skip(r);
                return Ok(());
            }
        };
        self.last_skip = None;
        let number = self.trades + self.failures + 1;
        let legs: Vec<Leg> = orders
            .into_iter()
            .enumerate()
            .map(|(i, order)| Leg {
                venue: i,
                order,
                state: OrderState::PendingSubmit,
                filled: Decimal::ZERO,
                sent: false,
                last_poll: Instant::now(),
            })
            .collect();
        self.active = Some(ActiveTrade {
            number,
            proposal,
            legs,
            corrected: false,
        });
        let first: Vec<usize> = match execution {
            ExecutionMode::Concurrent => vec![0, 1],
            ExecutionMode::AmmFirst => match self
                .executions
                .iter()
                .position(|e| *e == Execution::SwapMinOut)
            {
                Some(amm) => vec![amm],
                None => vec![0, 1],
            },
        };
        for i in first {
            self.send_leg(i).await?;
        }
        self.progress().await
    }

    /// Journals the intent of leg `i` of the active trade, then sends it.
    async fn send_leg(&mut self, i: usize) -> Result<(), ArbError> {
        let Some(t) = &self.active else { return Ok(()) };
        let Some(leg) = t.legs.get(i).cloned() else {
            return Ok(());
        };
        self.journal
            .record_intent(self.run_id, &self.names[leg.venue], &leg.order)?;
        if let Some(l) = self.active.as_mut().and_then(|t| t.legs.get_mut(i)) {
            l.sent = true;
        }
        self.emit(ArbEvent::OrderSent {
            venue: self.names[leg.venue].clone(),
            order: leg.order.clone(),
        });
        match self.venues[leg.venue].submit(leg.order.clone()).await {
            Ok(_) => {}
            Err(e) => {
                let reason = e.to_string();
                warn!(venue = %self.names[leg.venue], order = %leg.order.client_id, error = %reason, "order not accepted");
                // A timeout means it may have reached the venue: unknown, resolved by polling.
                let state = if matches!(e, VenueError::Timeout(_) | VenueError::Network(_)) {
                    OrderState::Unknown
                } else {
                    OrderState::Failed
                };
                self.record_state_lenient(&leg.order.client_id, state, None, Some(&reason));
                if let Some(l) = self.active.as_mut().and_then(|t| t.legs.get_mut(i)) {
                    l.state = state;
                }
                self.emit(ArbEvent::OrderUpdate {
                    venue: self.names[leg.venue].clone(),
                    client_id: leg.order.client_id.clone(),
                    state,
                    reason: Some(reason),
                });
            }
        }
        Ok(())
    }

    /// Polls legs that have not reached a final state (a stream may have missed their updates).
    async fn poll_active(&mut self) -> Result<(), ArbError> {
        let Some(t) = &self.active else { return Ok(()) };
        let due: Vec<(usize, usize, OrderRequest)> = t
            .legs
            .iter()
            .enumerate()
            .filter(|(_, l)| l.sent && !l.terminal() && l.last_poll.elapsed() >= self.poll_every)
            .map(|(k, l)| (k, l.venue, l.order.clone()))
            .collect();
        for (k, v, req) in due {
            let id = req.client_id.clone();
            if let Some(l) = self.active.as_mut().and_then(|t| t.legs.get_mut(k)) {
                l.last_poll = Instant::now();
            }
            match self.venues[v].order_status(&req).await {
                Ok(o) => {
                    if o.state.is_terminal() {
                        // Fills missed here still arrive as events or at the next reconcile.
                        let fills = match self.venues[v].order_fills(&req).await {
                            Ok(f) => f,
                            Err(e) => {
                                warn!(venue = %self.names[v], order = %id, error = %e, "fills not fetched");
                                Vec::new()
                            }
                        };
                        for f in fills {
                            if self.journal.record_fill(self.run_id, &f)? {
                                self.emit(ArbEvent::Fill { fill: f });
                            }
                        }
                        self.record_state_lenient(
                            &id,
                            o.state,
                            o.venue_order_id.as_deref(),
                            o.reason.as_deref(),
                        );
                        if let Some(l) = self.active.as_mut().and_then(|t| t.legs.get_mut(k)) {
                            l.state = o.state;
                            l.filled = o.filled;
                        }
                    }
                }
                Err(e) => info!(venue = %self.names[v], order = %id, error = %e, "poll failed"),
            }
        }
        self.progress().await
    }

    /// Moves the active trade on: sends the second leg in AMM-first mode, then settles.
    async fn progress(&mut self) -> Result<(), ArbError> {
        // Runs on every order event: copy the two settings it needs, not the whole config.
        let (execution, on_leg_failure) = {
            let c = self.eval.config();
            (c.execution, c.on_leg_failure)
        };
        let Some(t) = &self.active else { return Ok(()) };
        let number = t.number;
        // AMM first: the exchange leg goes only once the AMM leg is filled (mined).
        if execution == ExecutionMode::AmmFirst && !t.corrected {
            let unsent: Vec<usize> = t
                .legs
                .iter()
                .enumerate()
                .filter(|(_, l)| !l.sent)
                .map(|(k, _)| k)
                .collect();
            if !unsent.is_empty() {
                let amm_done = t.legs.iter().filter(|l| l.sent).all(|l| l.terminal());
                let amm_filled = t
                    .legs
                    .iter()
                    .filter(|l| l.sent)
                    .all(|l| l.state == OrderState::Filled);
                if amm_done && amm_filled {
                    for k in unsent {
                        self.send_leg(k).await?;
                    }
                    return Ok(());
                }
                if amm_done {
                    let detail = "AMM leg did not fill: the exchange leg was not sent".to_string();
                    self.emit(ArbEvent::LegFailed {
                        trade: number,
                        detail: detail.clone(),
                    });
                    self.finish_failure(detail);
                    return Ok(());
                }
                return Ok(());
            }
        }
        if !t
            .legs
            .iter()
            .all(|l| l.terminal() || (!l.sent && t.corrected))
        {
            return Ok(());
        }
        // Net base exposure in canonical units: bought minus sold.
        let exposure = self.exposure(t);
        if exposure.is_zero() {
            if t.corrected {
                self.finish_failure("a leg failed; the exposure was closed by policy".into());
            } else if t.legs.iter().all(|l| l.filled.is_zero()) {
                // Balanced because nothing executed (in concurrent mode both legs can fail).
                let detail = "no leg executed: every order of the trade failed".to_string();
                self.emit(ArbEvent::LegFailed {
                    trade: number,
                    detail: detail.clone(),
                });
                self.finish_failure(detail);
            } else {
                self.trades += 1;
                let profit = t.proposal.edge.profit;
                self.emit(ArbEvent::TradeDone {
                    trade: number,
                    expected_profit: profit,
                });
                self.active = None;
                self.after_trade();
            }
            return Ok(());
        }
        if t.corrected {
            let detail = format!("exposure of {exposure} remains after the corrective order");
            self.emit(ArbEvent::LegFailed {
                trade: number,
                detail: detail.clone(),
            });
            // A failed trade like any other: it counts in the summary and the limit.
            self.failures += 1;
            self.outcome = Some(RunOutcome::PolicyStop(detail));
            self.active = None;
            return Ok(());
        }
        let detail = format!("legs ended unbalanced: net base exposure {exposure}");
        self.emit(ArbEvent::LegFailed {
            trade: number,
            detail: detail.clone(),
        });
        match on_leg_failure {
            FailurePolicy::Stop => {
                self.failures += 1;
                self.outcome = Some(RunOutcome::PolicyStop(detail));
                self.active = None;
                Ok(())
            }
            FailurePolicy::Unwind | FailurePolicy::Hedge => {
                self.correct(exposure, on_leg_failure).await
            }
        }
    }

    fn finish_failure(&mut self, detail: String) {
        self.failures += 1;
        self.active = None;
        let max = self.eval.config().max_failures;
        if self.failures >= max {
            let msg = format!(
                "{} failed trades (limit {max}); last: {detail}",
                self.failures
            );
            warn!("{msg}");
            self.outcome = Some(RunOutcome::TooManyFailures(msg));
        }
        self.after_trade();
    }

    fn after_trade(&mut self) {
        self.reevaluate = true;
        let cfg = self.eval.config();
        self.cooldown_until = Some(Instant::now() + Duration::from_millis(cfg.cooldown_ms));
        if cfg.max_trades.is_some_and(|m| self.trades >= m) {
            self.outcome.get_or_insert(RunOutcome::MaxTrades);
        }
    }
}
