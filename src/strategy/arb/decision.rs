//! The decision, pure and synchronous: given both venues' quotes for the trade size, the edge in each
//! direction after fees and gas, and whether it is worth trading. Then the feasibility checks against
//! balances and market rules, and the orders to send.

use std::fmt;

use rust_decimal::Decimal;
use serde::Serialize;

use super::config::{ArbConfig, GasPricing};
use crate::core::{
    Balance, ClientOrderId, MarketRules, OrderRequest, OrderType, Quote, Rounding, RuleViolation,
    Side, TimeInForce,
};
use crate::venue::Execution;

const HUNDRED: Decimal = Decimal::ONE_HUNDRED;

/// Which venue buys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Buy on venue A, sell on venue B.
    BuyASellB,
    /// Buy on venue B, sell on venue A.
    BuyBSellA,
}

impl Direction {
    /// (buying venue, selling venue) as indexes 0 = A, 1 = B.
    pub fn legs(self) -> (usize, usize) {
        match self {
            Direction::BuyASellB => (0, 1),
            Direction::BuyBSellA => (1, 0),
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::BuyASellB => "buy A / sell B",
            Direction::BuyBSellA => "buy B / sell A",
        })
    }
}

/// The edge of one direction, in the canonical quote asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionEdge {
    pub direction: Direction,
    /// Paid on the buying venue, fees and gas included.
    pub pay: Decimal,
    /// Received on the selling venue, fees and gas deducted.
    pub receive: Decimal,
    pub gas: Decimal,
    pub profit: Decimal,
    pub profit_pct: Decimal,
}

/// Why a profitable-looking trade is not sent.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum SkipReason {
    InsufficientBalance {
        venue: String,
        asset: String,
        needed: Decimal,
        available: Decimal,
    },
    Rule {
        venue: String,
        violation: String,
    },
    Exposure {
        current: Decimal,
        limit: Decimal,
    },
    CannotPriceGas {
        venue: String,
        native_asset: String,
    },
    /// A venue's balances could not be read, so the trade cannot be checked before sending.
    BalancesUnavailable {
        venue: String,
        error: String,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::InsufficientBalance {
                venue,
                asset,
                needed,
                available,
            } => {
                // Venues print amounts with their own trailing zeros (Binance: 8 decimals).
                write!(
                    f,
                    "insufficient {asset} at {venue}: need {}, have {}",
                    needed.normalize(),
                    available.normalize()
                )
            }
            SkipReason::Rule { venue, violation } => write!(f, "{venue} rule: {violation}"),
            SkipReason::Exposure { current, limit } => {
                write!(f, "open exposure {current} would exceed the limit {limit}")
            }
            SkipReason::CannotPriceGas {
                venue,
                native_asset,
            } => {
                write!(
                    f,
                    "cannot price gas of {venue} in {native_asset}: set [gas] source = \"fixed\""
                )
            }
            SkipReason::BalancesUnavailable { venue, error } => {
                write!(f, "balances of {venue} unavailable: {error}")
            }
        }
    }
}

/// A trade worth sending: the quotes it was decided on and the edge.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Proposal {
    pub edge: DirectionEdge,
    /// Base amount on each venue (index 0 = A, 1 = B).
    pub base_amounts: [Decimal; 2],
    pub buy_quote: Quote,
    pub sell_quote: Quote,
}

/// What the evaluator says.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Trade {
        proposal: Box<Proposal>,
        edges: Vec<DirectionEdge>,
    },
    Hold {
        edges: Vec<DirectionEdge>,
    },
    Skip {
        reason: SkipReason,
        edges: Vec<DirectionEdge>,
    },
}

/// Evaluates quotes under a configuration. Cheap to call on every event.
#[derive(Debug, Clone)]
pub struct Evaluator {
    cfg: ArbConfig,
    /// Units of the canonical quote asset per unit of each venue's quote asset.
    quote_rates: [Decimal; 2],
    /// Base amount on each venue for the configured (canonical) size.
    base_amounts: [Decimal; 2],
}

impl Evaluator {
    pub fn new(cfg: ArbConfig) -> Self {
        let qa = cfg.canonical(&cfg.venue_a.pair.quote).1;
        let qb = cfg.canonical(&cfg.venue_b.pair.quote).1;
        let ba = cfg.canonical(&cfg.venue_a.pair.base).1;
        let bb = cfg.canonical(&cfg.venue_b.pair.base).1;
        let base_amounts = [cfg.order_size / ba, cfg.order_size / bb];
        Self {
            cfg,
            quote_rates: [qa, qb],
            base_amounts,
        }
    }

    pub fn config(&self) -> &ArbConfig {
        &self.cfg
    }

    /// Base amount to quote and trade on each venue.
    pub fn base_amounts(&self) -> [Decimal; 2] {
        self.base_amounts
    }

    /// Replaces the per-venue sizes (after quantizing them to the venues' step sizes).
    pub fn set_base_amounts(&mut self, amounts: [Decimal; 2]) {
        self.base_amounts = amounts;
    }

    fn gas_in_quote(
        &self,
        venue: usize,
        q: &Quote,
        reference_price: Decimal,
    ) -> Result<Decimal, SkipReason> {
        let Some(gas) = &q.gas else {
            return Ok(Decimal::ZERO);
        };
        if let Some(in_quote) = gas.quote_amount {
            return Ok(in_quote * self.quote_rates[venue]);
        }
        match &self.cfg.gas {
            GasPricing::Fixed { native_price } => Ok(gas.native_amount * native_price),
            GasPricing::Market => {
                let (native, rate) = self.cfg.canonical(&gas.native_asset);
                let base = self.cfg.canonical(&self.cfg.venue_a.pair.base).0;
                if native == base {
                    Ok(gas.native_amount * rate * reference_price)
                } else {
                    Err(SkipReason::CannotPriceGas {
                        venue: q.venue.clone(),
                        native_asset: gas.native_asset.to_string(),
                    })
                }
            }
        }
    }

    fn edge(
        &self,
        direction: Direction,
        buy: &Quote,
        sell: &Quote,
    ) -> Result<DirectionEdge, SkipReason> {
        let (bi, si) = direction.legs();
        let size = self.cfg.order_size;
        let pay_gross = buy.quote_amount * self.quote_rates[bi];
        let receive_gross = sell.quote_amount * self.quote_rates[si];
        // Price of one canonical base unit in the canonical quote, for pricing gas.
        let reference = if size.is_zero() {
            Decimal::ZERO
        } else {
            pay_gross / size
        };
        let gas_buy = self.gas_in_quote(bi, buy, reference)?;
        let gas_sell = self.gas_in_quote(si, sell, reference)?;
        let pay = pay_gross + gas_buy;
        let receive = receive_gross - gas_sell;
        let profit = receive - pay;
        let profit_pct = if pay.is_zero() {
            Decimal::ZERO
        } else {
            (profit / pay * HUNDRED).round_dp(6)
        };
        Ok(DirectionEdge {
            direction,
            pay,
            receive,
            gas: gas_buy + gas_sell,
            profit,
            profit_pct,
        })
    }

    /// Decides on quotes: `buy[i]` and `sell[i]` are venue i's quotes to buy and to sell the size.
    /// Missing quotes (a venue that could not quote) rule their direction out.
    pub fn decide(&self, buy: [Option<&Quote>; 2], sell: [Option<&Quote>; 2]) -> Decision {
        let mut edges = Vec::with_capacity(2);
        let mut skip = None;
        for direction in [Direction::BuyASellB, Direction::BuyBSellA] {
            let (bi, si) = direction.legs();
            if let (Some(b), Some(s)) = (buy[bi], sell[si]) {
                match self.edge(direction, b, s) {
                    Ok(e) => edges.push(e),
                    Err(r) => skip = Some(r),
                }
            }
        }
        let best = edges
            .iter()
            .filter(|e| e.profit > Decimal::ZERO && e.profit_pct >= self.cfg.min_profit_pct)
            .max_by(|a, b| a.profit_pct.cmp(&b.profit_pct))
            .cloned();
        match (best, skip) {
            (Some(edge), _) => {
                let (bi, si) = edge.direction.legs();
                let (Some(b), Some(s)) = (buy[bi], sell[si]) else {
                    return Decision::Hold { edges };
                };
                let proposal = Proposal {
                    edge,
                    base_amounts: self.base_amounts,
                    buy_quote: b.clone(),
                    sell_quote: s.clone(),
                };
                Decision::Trade {
                    proposal: Box::new(proposal),
                    edges,
                }
            }
            (None, Some(reason)) => Decision::Skip { reason, edges },
            (None, None) => Decision::Hold { edges },
        }
    }

    /// Checks that both venues hold what the trade spends (with the gas of chain venues).
    pub fn check_balances(
        &self,
        p: &Proposal,
        balances: [&[Balance]; 2],
    ) -> Result<(), SkipReason> {
        let (bi, si) = p.edge.direction.legs();
        let legs = [&self.cfg.venue_a, &self.cfg.venue_b];
        let avail = |i: usize, asset: &crate::core::Asset| {
            balances[i]
                .iter()
                .find(|b| &b.asset == asset)
                .map_or(Decimal::ZERO, |b| b.available)
        };
        // The buyer spends quote; the seller spends base.
        let needs = [
            (bi, legs[bi].pair.quote.clone(), p.buy_quote.quote_amount),
            (si, legs[si].pair.base.clone(), p.base_amounts[si]),
        ];
        for (i, asset, needed) in needs {
            let available = avail(i, &asset);
            if available < needed {
                return Err(SkipReason::InsufficientBalance {
                    venue: legs[i].venue.to_string(),
                    asset: asset.to_string(),
                    needed,
                    available,
                });
            }
        }
        for (i, q) in [(bi, &p.buy_quote), (si, &p.sell_quote)] {
            if let Some(gas) = &q.gas {
                // The native asset may be the same as the base being sold there.
                let mut needed = gas.native_amount;
                if i == si && legs[i].pair.base == gas.native_asset {
                    needed += p.base_amounts[i];
                }
                let available = avail(i, &gas.native_asset);
                if available < needed {
                    return Err(SkipReason::InsufficientBalance {
                        venue: legs[i].venue.to_string(),
                        asset: gas.native_asset.to_string(),
                        needed,
                        available,
                    });
                }
            }
        }
        Ok(())
    }

    /// The two orders for a proposal, after applying slippage buffers and each venue's rules, in
    /// the shape each venue executes (`executions`, from `Venue::execution`): a swap venue gets a
    /// swap with a worst average price and a deadline; a book venue an IOC limit order at the
    /// deepest price the quote touched, widened by the slippage buffer and moved onto the tick
    /// grid. A position-change venue is not traded by this strategy (a skip naming it).
    pub fn orders(
        &self,
        p: &Proposal,
        executions: [Execution; 2],
        rules: [&MarketRules; 2],
        ids: [ClientOrderId; 2],
        now_unix: u64,
    ) -> Result<[OrderRequest; 2], SkipReason> {
        let (bi, _si) = p.edge.direction.legs();
        let legs = [&self.cfg.venue_a, &self.cfg.venue_b];
        let mut out: Vec<OrderRequest> = Vec::with_capacity(2);
        for (i, id) in ids.into_iter().enumerate() {
            let side = if i == bi { Side::Buy } else { Side::Sell };
            let quote = if i == bi { &p.buy_quote } else { &p.sell_quote };
            let slip = legs[i].slippage_pct / HUNDRED;
            let widen = match side {
                Side::Buy => Decimal::ONE + slip,
                Side::Sell => Decimal::ONE - slip,
            };
            let rule_err = |v: RuleViolation| SkipReason::Rule {
                venue: legs[i].venue.to_string(),
                violation: v.to_string(),
            };
            let amount = p.base_amounts[i];
            let order = match executions[i] {
                Execution::PositionChange => {
                    return Err(SkipReason::Rule {
                        venue: legs[i].venue.to_string(),
                        violation:
                            "it trades by position change, which the arbitrage does not send".into(),
                    });
                }
                Execution::SwapMinOut => {
                    let bound = quote.average_price * widen;
                    rules[i].check(bound, amount, false).map_err(rule_err)?;
                    OrderRequest {
                        client_id: id,
                        pair: legs[i].pair.clone(),
                        side,
                        order_type: OrderType::Swap,
                        amount,
                        price: Some(bound),
                        time_in_force: TimeInForce::Gtc,
                        deadline: Some(now_unix + self.cfg.swap_deadline_secs),
                    }
                }
                Execution::IocLimit => {
                    // Rounding toward the protected side keeps the limit within the slippage buffer.
                    let rounding = match side {
                        Side::Buy => Rounding::Down,
                        Side::Sell => Rounding::Up,
                    };
                    let limit = rules[i].quantize_price(quote.worst_price * widen, rounding);
                    rules[i].check(limit, amount, true).map_err(rule_err)?;
                    OrderRequest {
                        client_id: id,
                        pair: legs[i].pair.clone(),
                        side,
                        order_type: OrderType::Limit,
                        amount,
                        price: Some(limit),
                        time_in_force: TimeInForce::Ioc,
                        deadline: None,
                    }
                }
            };
            out.push(order);
        }
        let mut it = out.into_iter();
        match (it.next(), it.next()) {
            (Some(a), Some(b)) => Ok([a, b]),
            _ => Err(SkipReason::Rule {
                venue: "strategy".into(),
                violation: "two orders expected".into(),
            }),
        }
    }
}
