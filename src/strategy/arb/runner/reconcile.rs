//! The start's reconcile: what an earlier process left in flight (orders at our legs, pending
//! transactions of our accounts) brought up to date with the venues before any trade.

use super::*;

impl ArbRunner {
    /// Brings what an earlier process left in flight up to date with the venues before trading:
    /// every in-flight order at our (venue, pair) legs of a run this start may act on (see
    /// `recovery`; fills journaled once each, by trade id; the final state) and every pending
    /// transaction of our chain accounts. Orders and transactions still moving (a swap in the
    /// node's pool) are polled until they settle, up to the reconcile timeout; past it the start
    /// fails with what is still in flight, and trades nothing.
    pub(super) async fn reconcile(&mut self) -> Result<(), ArbError> {
        let reconciled = match self.settle_in_flight(None).await? {
            InFlight::Settled { reconciled } => reconciled,
            InFlight::Moving { pass, pending } => {
                let runs = if pass.runs.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<String> = pass.runs.iter().map(|r| r.to_string()).collect();
                    format!(" (orders of run {})", ids.join(", "))
                };
                let e = ArbError::InFlight {
                    orders: pass.moving,
                    transactions: pending,
                    runs,
                };
                warn!("{e}");
                return Err(e);
            }
        };
        if reconciled > 0 {
            self.emit(ArbEvent::Reconciled { orders: reconciled });
        }
        self.close_interrupted_runs().await
    }

    /// Reconcile passes over the in-flight orders (those of `only`, or of every run this start
    /// may act on; see `reconcile_orders`) and our chain accounts' pending transactions, polled
    /// until nothing is moving or the reconcile timeout has passed.
    pub(super) async fn settle_in_flight(
        &mut self,
        only: Option<RunId>,
    ) -> Result<InFlight, ArbError> {
        let deadline = Instant::now() + self.reconcile_timeout;
        let mut reconciled = 0;
        loop {
            let pass = self.reconcile_orders(only).await?;
            reconciled = reconciled.max(pass.seen);
            let mut pending = 0;
            for i in 0..2 {
                pending += self.venues[i]
                    .reconcile_transactions()
                    .await
                    .map_err(|e| self.venue_err(i, e))?;
            }
            if pass.moving == 0 && pending == 0 {
                return Ok(InFlight::Settled { reconciled });
            }
            if Instant::now() >= deadline {
                return Ok(InFlight::Moving { pass, pending });
            }
            info!(
                orders = pass.moving,
                transactions = pending,
                "waiting for an earlier run's orders to settle"
            );
            tokio::time::sleep(self.poll_every.min(Duration::from_millis(500))).await;
        }
    }

    /// One pass over the journal's in-flight orders at our (venue, pair) legs: those of `only`,
    /// or (`None`) those of every run this start may act on.
    pub(super) async fn reconcile_orders(
        &mut self,
        only: Option<RunId>,
    ) -> Result<ReconcilePass, ArbError> {
        let in_flight = self.journal.in_flight_orders()?;
        let mut pass = ReconcilePass::default();
        let mut standing = std::collections::HashMap::new();
        for jo in in_flight {
            let Some(i) = self.leg_index(&jo.venue, &jo.request.pair) else {
                continue;
            };
            let counts = match only {
                Some(run) if run != jo.run_id => continue,
                Some(_) => true,
                None => {
                    let st = match standing.get(&jo.run_id) {
                        Some(st) => *st,
                        None => {
                            let st = self.standing(self.journal.run_scope(jo.run_id)?.as_ref());
                            standing.insert(jo.run_id, st);
                            st
                        }
                    };
                    match st {
                        Standing::Ours => true,
                        // reconciled, but a resting manual order is the user's: never waited for
                        Standing::Manual => false,
                        Standing::Foreign | Standing::Demo => continue,
                    }
                }
            };
            let id = jo.request.client_id.clone();
            match self.venues[i].order_status(&jo.request).await {
                Ok(order) => {
                    for f in self.venues[i]
                        .order_fills(&jo.request)
                        .await
                        .map_err(|e| self.venue_err(i, e))?
                    {
                        self.journal.record_fill(jo.run_id, &f)?;
                    }
                    let now = self.journal.order(&id)?.map(|o| o.state);
                    if now != Some(order.state) {
                        self.record_state_lenient(
                            &id,
                            order.state,
                            order.venue_order_id.as_deref(),
                            order.reason.as_deref(),
                        );
                    }
                    if counts && !order.state.is_terminal() && order.state != OrderState::Unknown {
                        pass.moving += 1;
                        pass.runs.insert(jo.run_id);
                    }
                }
                // Never reached the venue (killed between the intent and the send): it failed.
                Err(VenueError::UnknownOrder(_)) if jo.state == OrderState::PendingSubmit => {
                    self.record_state_lenient(
                        &id,
                        OrderState::Failed,
                        None,
                        Some("never reached the venue"),
                    );
                }
                Err(VenueError::UnknownOrder(_)) => {
                    self.record_state_lenient(
                        &id,
                        OrderState::Unknown,
                        None,
                        Some("the venue does not know it"),
                    );
                }
                Err(e) => return Err(self.venue_err(i, e)),
            }
            pass.seen += 1;
        }
        Ok(pass)
    }
}
