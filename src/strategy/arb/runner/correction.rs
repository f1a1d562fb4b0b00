//! A failed leg corrected by policy: the trade's net exposure, the corrective order (an IOC limit
//! bounded by the quote plus the leg's slippage on a book, a swap with a minimum out on an AMM),
//! sent and followed like any leg.

use super::*;

impl ArbRunner {
    pub(super) fn exposure(&self, t: &ActiveTrade) -> Decimal {
        let cfg = self.eval.config();
        let rates = [
            cfg.canonical(&cfg.venue_a.pair.base).1,
            cfg.canonical(&cfg.venue_b.pair.base).1,
        ];
        t.legs
            .iter()
            .map(|l| l.order.side.position_sign() * l.filled * rates[l.venue])
            .sum()
    }

    /// Sends the corrective order: unwind trades back on the venue that filled; hedge completes the
    /// missing side on the venue that failed.
    pub(super) async fn correct(
        &mut self,
        exposure: Decimal,
        policy: FailurePolicy,
    ) -> Result<(), ArbError> {
        let Some(t) = &self.active else { return Ok(()) };
        // exposure > 0: long base, so sell; < 0: short, so buy.
        let side = if exposure > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let long_leg_side = side.opposite();
        // The leg that filled is the one on the exposure's side.
        let filled_venue = t
            .legs
            .iter()
            .find(|l| l.order.side == long_leg_side && !l.filled.is_zero())
            .map(|l| l.venue);
        let venue = match (policy, filled_venue) {
            (FailurePolicy::Unwind, Some(v)) => v,
            (FailurePolicy::Unwind, None) => t.legs.first().map_or(0, |l| l.venue),
            (_, Some(v)) => 1 - v,
            (_, None) => t.legs.first().map_or(0, |l| l.venue),
        };
        let rate = {
            let cfg = self.eval.config();
            let leg = if venue == 0 {
                &cfg.venue_a
            } else {
                &cfg.venue_b
            };
            cfg.canonical(&leg.pair.base).1
        };
        let order = match self
            .corrective_order(venue, side, exposure.abs(), rate)
            .await
        {
            Ok(o) => o,
            Err(ArbError::Venue { venue, source }) => {
                // Nothing unbounded is ever sent: the exposure is reported and the run stops.
                let detail = format!(
                    "exposure of {exposure} remains: no bounded corrective order could be priced on {venue} ({source})"
                );
                self.emit(ArbEvent::LegFailed {
                    trade: number_of(&self.active),
                    detail: detail.clone(),
                });
                self.failures += 1;
                self.outcome = Some(RunOutcome::PolicyStop(detail));
                self.active = None;
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let amount = order.amount;
        info!(venue = %self.names[venue], %side, %amount, ?policy, "correcting a failed leg");
        if let Some(t) = self.active.as_mut() {
            t.corrected = true;
            t.legs.push(Leg {
                venue,
                order,
                state: OrderState::PendingSubmit,
                filled: Decimal::ZERO,
                sent: false,
                last_poll: Instant::now(),
            });
        }
        let k = self.active.as_ref().map_or(0, |t| t.legs.len() - 1);
        self.send_leg(k).await?;
        Box::pin(self.progress()).await
    }

    /// The order that trades `exposure` (base, canonical units; positive; `rate` canonical units
    /// per unit of the venue's base) on `venue` in the direction `side`, never unbounded: on an
    /// exchange an IOC limit at the venue's executable quote for that size (its deepest level)
    /// plus the leg's slippage; on an AMM a swap bounded by twice the leg's slippage (at least
    /// 1 %) around the quote. What the bound cannot fill stays as reported exposure.
    pub(super) async fn corrective_order(
        &self,
        venue: usize,
        side: Side,
        exposure: Decimal,
        rate: Decimal,
    ) -> Result<OrderRequest, ArbError> {
        let cfg = self.eval.config();
        let leg_cfg = if venue == 0 {
            &cfg.venue_a
        } else {
            &cfg.venue_b
        };
        let base = exposure.checked_div(rate).ok_or_else(|| {
            ArbError::Journal(StoreError::Overflow(format!(
                "corrective amount {exposure} at rate {rate}"
            )))
        })?;
        let amount = self.rules[venue].quantize_size(base, Rounding::Nearest);
        let q = self.venues[venue]
            .quote(&QuoteRequest {
                pair: leg_cfg.pair.clone(),
                side,
                base_amount: amount,
            })
            .await
            .map_err(|e| self.venue_err(venue, e))?;
        let id = ClientOrderId::generate("slx");
        // `new` refused position-change venues: a leg is a swap or an IOC limit order.
        let order = if self.executions[venue] == Execution::SwapMinOut {
            let slip =
                (leg_cfg.slippage_pct * Decimal::TWO).max(Decimal::ONE) / Decimal::ONE_HUNDRED;
            let bound = match side {
                Side::Buy => q.average_price * (Decimal::ONE + slip),
                Side::Sell => q.average_price * (Decimal::ONE - slip),
            };
            OrderRequest {
                client_id: id,
                pair: leg_cfg.pair.clone(),
                side,
                order_type: OrderType::Swap,
                amount,
                price: Some(bound),
                time_in_force: TimeInForce::Gtc,
                deadline: Some(now_unix() + cfg.swap_deadline_secs),
            }
        } else {
            let slip = leg_cfg.slippage_pct / Decimal::ONE_HUNDRED;
            // Rounded onto the tick grid toward the quote, so the bound is never exceeded.
            let (raw, rounding) = match side {
                Side::Buy => (q.worst_price * (Decimal::ONE + slip), Rounding::Down),
                Side::Sell => (q.worst_price * (Decimal::ONE - slip), Rounding::Up),
            };
            OrderRequest {
                client_id: id,
                pair: leg_cfg.pair.clone(),
                side,
                order_type: OrderType::Limit,
                amount,
                price: Some(self.rules[venue].quantize_price(raw, rounding)),
                time_in_force: TimeInForce::Ioc,
                deadline: None,
            }
        };
        Ok(order)
    }
}
