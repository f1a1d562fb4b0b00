//! The decision, pure and synchronous: from both legs' executable quotes for the position size and
//! the perpetual's funding figures, the basis of each carry net of fees and expected funding, and
//! whether to open, close or hold; then the orders, on each market's grid.
//!
//! The forward carry buys spot and sells the perpetual (the perpetual trades above spot); the
//! reverse carry sells spot and buys the perpetual. Amounts are in the (common) quote asset; a
//! percentage is of the spot leg's notional.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

use super::config::SpotPerpConfig;
use crate::core::{
    ClientOrderId, FundingInfo, MarketRules, OrderRequest, OrderType, PerpOrder, PositionMode,
    PositionSide, Quote, Rounding, RuleViolation, Side, TimeInForce,
};

const HOUR_MS: u64 = 3_600_000;
/// Places of a reported percentage.
const PCT_DP: u32 = 6;

/// Which way round the position is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Carry {
    /// Long spot, short perpetual.
    Forward,
    /// Short spot, long perpetual.
    Reverse,
}

impl Carry {
    /// The spot leg's side when opening.
    pub fn spot_open_side(self) -> Side {
        match self {
            Carry::Forward => Side::Buy,
            Carry::Reverse => Side::Sell,
        }
    }

    /// The perpetual position side the carry holds in hedge mode: SHORT (forward), LONG (reverse).
    pub fn perp_position_side(self) -> PositionSide {
        match self {
            Carry::Forward => PositionSide::Short,
            Carry::Reverse => PositionSide::Long,
        }
    }

    /// The carry a signed spot position (positive: long) belongs to.
    pub fn of_spot_position(spot: Decimal) -> Option<Self> {
        if spot > Decimal::ZERO {
            Some(Carry::Forward)
        } else if spot < Decimal::ZERO {
            Some(Carry::Reverse)
        } else {
            None
        }
    }
}

impl fmt::Display for Carry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Carry::Forward => "long spot / short perp",
            Carry::Reverse => "short spot / long perp",
        })
    }
}

/// The four quotes of the size: spot buy and sell, perpetual buy and sell (fees included). A
/// missing quote rules out what needs it.
#[derive(Debug, Clone, Copy, Default)]
pub struct LegQuotes<'a> {
    pub spot_buy: Option<&'a Quote>,
    pub spot_sell: Option<&'a Quote>,
    pub perp_buy: Option<&'a Quote>,
    pub perp_sell: Option<&'a Quote>,
}

/// What opening one carry now would earn, in the quote asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpenEdge {
    pub carry: Carry,
    /// Paid for the leg bought, its fee included.
    pub pay: Decimal,
    /// Received for the leg sold, its fee deducted.
    pub receive: Decimal,
    /// The taker fees of closing both legs later, at today's notional.
    pub close_fees: Decimal,
    /// Funding the perpetual leg is expected to receive (negative: pay) until the horizon.
    pub expected_funding: Decimal,
    /// `receive − pay − close_fees + expected_funding`.
    pub net: Decimal,
    pub net_pct: Decimal,
}

/// What the held position's basis still is, were it closed now (closing fees included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CloseBasis {
    pub carry: Carry,
    /// Paid to buy back the leg that was sold, fee included.
    pub pay: Decimal,
    /// Received for the leg that was bought, fee deducted.
    pub receive: Decimal,
    /// `(pay − receive) / receive`, in percent: the premium left to capture by holding on.
    pub basis_pct: Decimal,
}

/// What the account holds of this strategy now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "holding", rename_all = "snake_case")]
pub enum Holding {
    Flat,
    /// Both legs open for `size` base units each.
    Open {
        carry: Carry,
        size: Decimal,
    },
}

/// What the evaluator says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum SpotPerpDecision {
    Open {
        edge: OpenEdge,
    },
    Close {
        basis: CloseBasis,
    },
    Hold {
        edges: Vec<OpenEdge>,
        basis: Option<CloseBasis>,
    },
}

/// Why the strategy cannot trade these markets at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    #[error("order size {size} is below what {venue} trades ({rule})")]
    TooSmall {
        venue: String,
        size: Decimal,
        rule: String,
    },
    #[error(
        "order size {size} fits no common step of {spot_step} (spot) and {perp_step} (perpetual)"
    )]
    NoCommonStep {
        size: Decimal,
        spot_step: Decimal,
        perp_step: Decimal,
    },
}

/// A percentage of `base`, rounded toward zero to [`PCT_DP`] places; zero for a zero base.
fn pct(part: Decimal, base: Decimal) -> Decimal {
    part.checked_mul(Decimal::ONE_HUNDRED)
        .and_then(|p| p.checked_div(base))
        .map_or(Decimal::ZERO, |p| {
            p.round_dp_with_strategy(PCT_DP, RoundingStrategy::ToZero)
        })
}

/// How many funding settlements fall within `horizon_ms` from `now_ms`, the next being at
/// `next_ms` and the others every `interval_ms` after it.
pub fn settlements_within(next_ms: u64, now_ms: u64, horizon_ms: u64, interval_ms: u64) -> u64 {
    let end = now_ms.saturating_add(horizon_ms);
    if horizon_ms == 0 || next_ms > end || interval_ms == 0 {
        return 0;
    }
    1 + (end - next_ms.max(now_ms)) / interval_ms
}

/// Evaluates quotes under a configuration and both markets' rules. Cheap to call on every event.
#[derive(Debug, Clone)]
pub struct SpotPerpEvaluator {
    cfg: SpotPerpConfig,
    rules: [MarketRules; 2],
    size: Decimal,
    /// The perpetual account's position mode (one-way until told otherwise).
    position_mode: PositionMode,
}

impl SpotPerpEvaluator {
    /// `spot` and `perp` are the legs' market rules. The size is the configured one moved down
    /// onto both markets' steps; a size that fits none is an error.
    pub fn new(
        cfg: SpotPerpConfig,
        spot: MarketRules,
        perp: MarketRules,
    ) -> Result<Self, SizeError> {
        // Each market's step in turn, each leg checked on what its own step left.
        let mut size = cfg.order_size;
        for (leg, rules) in [(&cfg.spot, &spot), (&cfg.perp, &perp)] {
            size = rules.quantize_size(size, Rounding::Down);
            if size <= Decimal::ZERO || size < rules.min_size {
                return Err(SizeError::TooSmall {
                    venue: leg.venue.to_string(),
                    size: cfg.order_size,
                    rule: format!("step {}, minimum {}", rules.step_size, rules.min_size),
                });
            }
        }
        if spot.quantize_size(size, Rounding::Down) != size {
            return Err(SizeError::NoCommonStep {
                size: cfg.order_size,
                spot_step: spot.step_size,
                perp_step: perp.step_size,
            });
        }
        Ok(Self {
            cfg,
            rules: [spot, perp],
            size,
            position_mode: PositionMode::OneWay,
        })
    }

    /// The perpetual account's position mode, as the venue reported it when the run started.
    pub fn set_position_mode(&mut self, mode: PositionMode) {
        self.position_mode = mode;
    }

    pub fn position_mode(&self) -> PositionMode {
        self.position_mode
    }

    /// How a perpetual order of `carry` acts on the position: (position side, reduce-only). In
    /// one-way mode the net position, reduce-only when `reduce`; in hedge mode the carry's own
    /// side (SHORT forward, LONG reverse) for the open and the close alike, never reduce-only:
    /// the opposite side's order on that position only ever reduces it (Binance refuses
    /// `reduceOnly` in hedge mode).
    pub fn perp_order_options(&self, carry: Carry, reduce: bool) -> (PositionSide, bool) {
        match self.position_mode {
            PositionMode::OneWay => (PositionSide::Net, reduce),
            PositionMode::Hedge => (carry.perp_position_side(), false),
        }
    }

    pub fn config(&self) -> &SpotPerpConfig {
        &self.cfg
    }

    /// The base amount of one open (both legs), on both markets' grids.
    pub fn size(&self) -> Decimal {
        self.size
    }

    pub fn spot_rules(&self) -> &MarketRules {
        &self.rules[0]
    }

    pub fn perp_rules(&self) -> &MarketRules {
        &self.rules[1]
    }

    /// Funding a position of `size` on the perpetual, short when `short`, is expected to receive
    /// until the horizon at the current rate (positive rate: longs pay shorts), rounded to 8
    /// places toward zero (an estimate never rounds in the strategy's favour).
    pub fn expected_funding(
        &self,
        funding: Option<&FundingInfo>,
        now_ms: u64,
        short: bool,
    ) -> Decimal {
        let Some(f) = funding else {
            return Decimal::ZERO;
        };
        let hours = u64::from(self.cfg.funding_horizon_hours);
        let interval = u64::from(self.cfg.funding_interval_hours) * HOUR_MS;
        let n = settlements_within(f.next_funding_time_ms, now_ms, hours * HOUR_MS, interval);
        let per = f
            .funding_rate
            .checked_mul(f.mark_price)
            .and_then(|v| v.checked_mul(self.size))
            .and_then(|v| v.checked_mul(Decimal::from(n)))
            .unwrap_or(Decimal::ZERO);
        let signed = if short { per } else { -per };
        signed.round_dp_with_strategy(8, RoundingStrategy::ToZero)
    }

    /// The edge of opening `carry` now, or `None` without the quotes it needs.
    pub fn open_edge(
        &self,
        carry: Carry,
        q: &LegQuotes<'_>,
        funding: Option<&FundingInfo>,
        now_ms: u64,
    ) -> Option<OpenEdge> {
        let (buy, sell, short) = match carry {
            Carry::Forward => (q.spot_buy?, q.perp_sell?, true),
            Carry::Reverse => (q.perp_buy?, q.spot_sell?, false),
        };
        let pay = buy.net_quote_amount();
        let receive = sell.net_quote_amount();
        let close_fees = (self.rules[0].taker_fee * spot_notional(carry, buy, sell)
            + self.rules[1].taker_fee * perp_notional(carry, buy, sell))
        .round_dp_with_strategy(8, RoundingStrategy::AwayFromZero);
        let expected_funding = self.expected_funding(funding, now_ms, short);
        let net = receive - pay - close_fees + expected_funding;
        let spot = spot_notional(carry, buy, sell);
        Some(OpenEdge {
            carry,
            pay,
            receive,
            close_fees,
            expected_funding,
            net,
            net_pct: pct(net, spot),
        })
    }

    /// The basis still left on a held `carry`, or `None` without the quotes it needs.
    pub fn close_basis(&self, carry: Carry, q: &LegQuotes<'_>) -> Option<CloseBasis> {
        let (buy_back, sell) = match carry {
            Carry::Forward => (q.perp_buy?, q.spot_sell?),
            Carry::Reverse => (q.spot_buy?, q.perp_sell?),
        };
        let pay = buy_back.net_quote_amount();
        let receive = sell.net_quote_amount();
        Some(CloseBasis {
            carry,
            pay,
            receive,
            basis_pct: pct(pay - receive, receive),
        })
    }

    /// Decides on the quotes of the size, the perpetual's funding figures at `now_ms` and what
    /// is held: close a held position once its basis is at most the close threshold; open (or add
    /// to the same carry, within `max_position`) when a carry's net edge reaches the open threshold.
    pub fn decide(
        &self,
        q: &LegQuotes<'_>,
        funding: Option<&FundingInfo>,
        now_ms: u64,
        holding: Holding,
    ) -> SpotPerpDecision {
        let basis = match holding {
            Holding::Open { carry, .. } => self.close_basis(carry, q),
            Holding::Flat => None,
        };
        if let Some(b) = &basis
            && b.basis_pct <= self.cfg.close_threshold_pct
        {
            return SpotPerpDecision::Close { basis: b.clone() };
        }
        let carries: &[Carry] = match holding {
            Holding::Flat if self.cfg.allow_reverse => &[Carry::Forward, Carry::Reverse],
            Holding::Flat => &[Carry::Forward],
            Holding::Open { carry, size } => {
                if size + self.size <= self.cfg.max_position {
                    match carry {
                        Carry::Forward => &[Carry::Forward],
                        Carry::Reverse => &[Carry::Reverse],
                    }
                } else {
                    &[]
                }
            }
        };
        let edges: Vec<OpenEdge> = carries
            .iter()
            .filter_map(|c| self.open_edge(*c, q, funding, now_ms))
            .collect();
        let best = edges
            .iter()
            .filter(|e| e.net > Decimal::ZERO && e.net_pct >= self.cfg.open_threshold_pct)
            .max_by(|a, b| a.net_pct.cmp(&b.net_pct));
        match best {
            Some(edge) => SpotPerpDecision::Open { edge: edge.clone() },
            None => SpotPerpDecision::Hold { edges, basis },
        }
    }

    /// The IOC limit of one leg: the quote's deepest price widened by the leg's slippage buffer,
    /// moved onto the tick grid toward the protected side, and checked against the market's rules.
    fn ioc_limit(
        &self,
        leg: usize,
        side: Side,
        worst_price: Decimal,
        size: Decimal,
    ) -> Result<Decimal, RuleViolation> {
        let slippage = [&self.cfg.spot, &self.cfg.perp][leg].slippage_pct / Decimal::ONE_HUNDRED;
        let (widen, rounding) = match side {
            Side::Buy => (Decimal::ONE + slippage, Rounding::Down),
            Side::Sell => (Decimal::ONE - slippage, Rounding::Up),
        };
        let limit = self.rules[leg].quantize_price(worst_price * widen, rounding);
        self.rules[leg].check(limit, size, true)?;
        Ok(limit)
    }

    /// The two orders of a trade on `carry` for `size`: opening (`open`: the spot leg on the
    /// carry's side, the perpetual opposite) or closing (both reversed, the perpetual reduce-only).
    /// Prices come from the quotes of the same size (`q`).
    pub fn orders(
        &self,
        carry: Carry,
        open: bool,
        size: Decimal,
        q: &LegQuotes<'_>,
        ids: [ClientOrderId; 2],
    ) -> Result<(OrderRequest, PerpOrder), LegOrderError> {
        let spot_side = if open {
            carry.spot_open_side()
        } else {
            carry.spot_open_side().opposite()
        };
        let perp_side = spot_side.opposite();
        let pick = |buy: Option<&Quote>, sell: Option<&Quote>, side: Side| match side {
            Side::Buy => buy.map(|q| q.worst_price),
            Side::Sell => sell.map(|q| q.worst_price),
        };
        let spot_worst =
            pick(q.spot_buy, q.spot_sell, spot_side).ok_or(LegOrderError::NoQuote {
                leg: "spot",
                side: spot_side,
            })?;
        let perp_worst =
            pick(q.perp_buy, q.perp_sell, perp_side).ok_or(LegOrderError::NoQuote {
                leg: "perp",
                side: perp_side,
            })?;
        let [spot_id, perp_id] = ids;
        let rule = |leg: &'static str| move |v: RuleViolation| LegOrderError::Rule { leg, v };
        let spot_limit = self
            .ioc_limit(0, spot_side, spot_worst, size)
            .map_err(rule("spot"))?;
        let perp_limit = self
            .ioc_limit(1, perp_side, perp_worst, size)
            .map_err(rule("perp"))?;
        let ioc = |client_id, pair: &crate::core::Pair, side, price| OrderRequest {
            client_id,
            pair: pair.clone(),
            side,
            order_type: OrderType::Limit,
            amount: size,
            price: Some(price),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        };
        let spot = ioc(spot_id, &self.cfg.spot.pair, spot_side, spot_limit);
        let (position_side, reduce_only) = self.perp_order_options(carry, !open);
        let perp = PerpOrder {
            order: ioc(perp_id, &self.cfg.perp.pair, perp_side, perp_limit),
            position_side,
            reduce_only,
        };
        Ok((spot, perp))
    }
}

/// Why the orders of a decision could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LegOrderError {
    #[error("no {side} quote on the {leg} leg")]
    NoQuote { leg: &'static str, side: Side },
    #[error("{leg} leg breaks a market rule: {v}")]
    Rule { leg: &'static str, v: RuleViolation },
}

/// What a quote exchanges before its fee: the fee is taken out of (buy: added to) the quote
/// amount when it is charged in the quote asset.
fn gross(q: &Quote) -> Decimal {
    if q.fee_asset != q.pair.quote {
        return q.quote_amount;
    }
    match q.side {
        Side::Buy => q.quote_amount - q.fee_amount,
        Side::Sell => q.quote_amount + q.fee_amount,
    }
}

/// The spot leg's gross notional among the two quotes of an open.
fn spot_notional(carry: Carry, buy: &Quote, sell: &Quote) -> Decimal {
    gross(match carry {
        Carry::Forward => buy,
        Carry::Reverse => sell,
    })
}

/// The perpetual leg's gross notional among the two quotes of an open.
fn perp_notional(carry: Carry, buy: &Quote, sell: &Quote) -> Decimal {
    gross(match carry {
        Carry::Forward => sell,
        Carry::Reverse => buy,
    })
}
