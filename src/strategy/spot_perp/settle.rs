//! A trade whose legs ended unbalanced (one filled, the other not, or not whole), settled by the
//! configured policy: `unwind` trades the excess back at market where it is (reduce-only on the
//! perpetual), `hedge` completes the leg behind, `stop` stops with what is there recorded.

use rust_decimal::Decimal;

use super::decision::Carry;
use super::report::SpotPerpError;
use super::runner::{PERP, SPOT, SpotPerpRunner};
use crate::core::{OrderRequest, OrderType, PerpOrder, PositionSide, Side, TimeInForce};
use crate::strategy::arb::{FailurePolicy, RunOutcome};

impl SpotPerpRunner {
    /// Legs that do not offset each other: by policy, trade back the excess of the leg ahead
    /// (unwind) or complete the leg behind (hedge) at market, or stop holding what is there.
    pub(super) async fn settle_unbalanced(&mut self, detail: String) -> Result<(), SpotPerpError> {
        let policy = self.eval.config().on_leg_failure;
        let legs = self.leg_positions()?;
        let gap = legs[SPOT] + legs[PERP];
        if gap.is_zero() {
            self.holding = self.holding_from(legs);
            self.fail(detail);
            return Ok(());
        }
        if policy == FailurePolicy::Stop {
            self.failures += 1;
            self.holding = self.holding_from(legs);
            self.outcome = Some(RunOutcome::PolicyStop(detail.clone()));
            return Err(SpotPerpError::Unbalanced {
                run: self.run_id,
                spot: legs[SPOT],
                perp: legs[PERP],
                detail,
            });
        }
        // Which leg trades, and which way: unwinding takes the excess back where it is; hedging
        // adds the missing amount on the other leg. `gap > 0`: long base overall.
        let side = if gap > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let excess_on_spot = legs[SPOT].abs() > legs[PERP].abs();
        let leg = match (policy, excess_on_spot) {
            (FailurePolicy::Unwind, true) | (FailurePolicy::Hedge, false) => SPOT,
            _ => PERP,
        };
        let id = self.venues[leg]
            .new_client_id()
            .map_err(|e| self.venue_err(leg, e))?;
        let pair = [&self.eval.config().spot.pair, &self.eval.config().perp.pair][leg].clone();
        let rules = [self.eval.spot_rules(), self.eval.perp_rules()][leg];
        let amount = rules.quantize_size(gap.abs(), crate::core::Rounding::Nearest);
        let order = OrderRequest {
            client_id: id,
            pair,
            side,
            order_type: OrderType::Market,
            amount,
            price: None,
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        };
        // On the perpetual, unwinding only ever reduces the position it opened; in hedge mode the
        // order acts on the carry's side (the one the perpetual leg holds, else the one the spot
        // leg calls for).
        let carry = Carry::of_spot_position(-legs[PERP]).or(Carry::of_spot_position(legs[SPOT]));
        let unwind = leg == PERP && policy == FailurePolicy::Unwind;
        let (position_side, reduce_only) = carry.map_or((PositionSide::Net, unwind), |c| {
            self.eval.perp_order_options(c, unwind)
        });
        self.journal
            .record_intent(self.run_id, &self.names[leg], &order)?;
        self.emit_sent(leg, &order, reduce_only);
        let r = if leg == SPOT {
            self.venues[SPOT].submit(order.clone()).await
        } else {
            self.venues[PERP]
                .submit_perp(PerpOrder {
                    order: order.clone(),
                    position_side,
                    reduce_only,
                })
                .await
        };
        self.after_submit(leg, &order, r);
        self.follow(leg, &order).await?;
        self.record_perp_position().await;
        let legs = self.leg_positions()?;
        self.holding = self.holding_from(legs);
        if (legs[SPOT] + legs[PERP]).is_zero() {
            self.fail(format!("{detail}; settled by {policy:?}"));
            Ok(())
        } else {
            self.failures += 1;
            let detail = format!("{detail}; the {policy:?} order left the legs unbalanced");
            self.outcome = Some(RunOutcome::PolicyStop(detail.clone()));
            Err(SpotPerpError::Unbalanced {
                run: self.run_id,
                spot: legs[SPOT],
                perp: legs[PERP],
                detail,
            })
        }
    }
}
