//! The ledger's risk side: each position's margin (an isolated wallet of entry notional over the
//! leverage, or cross initial margin of mark notional over the leverage), maintenance margin, the
//! liquidation and bankruptcy prices (`margin.rs`'s formulas with the account's figures), the
//! initial-margin check of an order, and liquidation: every position whose mark crossed its
//! liquidation price is closed at its bankruptcy price (the margin is lost) and recorded.

use rust_decimal::Decimal;

use super::margin::{
    Leg, bybit_isolated_bankruptcy, bybit_isolated_liquidation, maintenance_margin, solve_price,
    tier_of, without_maintenance,
};
use super::position::round_price;
use super::{Liquidation, MONEY_DP, MarginMode, PerpLedger, PosSide, Venue};
use crate::exchange::engine::exchange::Exchange;

/// An order's initial margin exceeds what the account has available.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("margin is insufficient: {needed} needed, {available} available")]
pub struct MarginShortfall {
    pub needed: Decimal,
    pub available: Decimal,
}

/// One position as the venue would report it: what a connector's reading is checked against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionRisk {
    pub symbol: String,
    pub side: PosSide,
    /// Signed.
    pub size: Decimal,
    pub entry: Decimal,
    pub mark: Decimal,
    pub unrealized: Decimal,
    /// The isolated wallet, or the cross initial margin.
    pub margin: Decimal,
    pub maintenance: Decimal,
    pub leverage: u32,
    pub mode: MarginMode,
    pub liquidation_price: Option<Decimal>,
    pub bankruptcy_price: Option<Decimal>,
    pub realized: Decimal,
    pub fees: Decimal,
    pub funding: Decimal,
}

/// What an order asks of the account.
#[derive(Debug, Clone, Copy)]
pub struct OrderAsk<'a> {
    pub symbol: &'a str,
    pub buy: bool,
    pub side: PosSide,
    pub qty: Decimal,
    /// The limit price, else the mark is used.
    pub price: Option<Decimal>,
}

impl PerpLedger {
    /// The leverage as a divisor (at least 1).
    fn leverage_factor(&self, account: usize, symbol: &str) -> Decimal {
        Decimal::from(self.leverage(account, symbol).max(1))
    }

    /// A position's signed notional at the mark.
    fn notional(&self, ex: &Exchange, account: usize, symbol: &str, side: PosSide) -> Decimal {
        self.position(account, symbol, side).size * self.mark(ex, symbol)
    }

    /// An isolated position's wallet: its entry notional over the leverage (8 places).
    pub fn isolated_wallet(&self, account: usize, symbol: &str, side: PosSide) -> Decimal {
        if self.margin_mode(account, symbol) != MarginMode::Isolated {
            return Decimal::ZERO;
        }
        let p = self.position(account, symbol, side);
        (p.cost / self.leverage_factor(account, symbol)).round_dp(MONEY_DP)
    }

    /// The margin a position holds: its isolated wallet, or in cross its mark notional over the
    /// leverage (8 places).
    pub fn position_margin(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        side: PosSide,
    ) -> Decimal {
        if self.margin_mode(account, symbol) == MarginMode::Isolated {
            return self.isolated_wallet(account, symbol, side);
        }
        let notional = self.notional(ex, account, symbol, side).abs();
        (notional / self.leverage_factor(account, symbol)).round_dp(MONEY_DP)
    }

    /// A position's maintenance margin at the mark.
    pub fn maintenance(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        side: PosSide,
    ) -> Decimal {
        maintenance_margin(&self.tiers, self.notional(ex, account, symbol, side))
    }

    fn leg(&self, ex: &Exchange, account: usize, symbol: &str, side: PosSide) -> Option<Leg> {
        let p = self.position(account, symbol, side);
        if p.size.is_zero() {
            return None;
        }
        let tier = tier_of(&self.tiers, self.notional(ex, account, symbol, side))?;
        Some(Leg {
            size: p.size,
            entry: p.entry(),
            mmr: tier.mmr,
            maint_amount: tier.maint_amount,
        })
    }

    /// The cross wallet less what `symbol`'s price does not move: WB − Σ isolated wallets −
    /// TMM1 (only when `with_maintenance`) + UPNL1 over the other symbols' cross positions.
    fn cross_collateral(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        with_maintenance: bool,
    ) -> Decimal {
        let Some(acct) = self.account(account) else {
            return Decimal::ZERO;
        };
        let mut c = self.wallet(account);
        for ((s, side), p) in &acct.positions {
            if p.size.is_zero() {
                continue;
            }
            if self.margin_mode(account, s) == MarginMode::Isolated {
                c -= self.isolated_wallet(account, s, *side);
            } else if s != symbol {
                let mark = self.mark(ex, s);
                c += p.unrealized(mark);
                if with_maintenance {
                    c -= maintenance_margin(&self.tiers, p.size * mark);
                }
            }
        }
        c
    }

    /// The legs a position's price is solved over, with the collateral behind them.
    fn legs_of(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        side: PosSide,
        with_maintenance: bool,
    ) -> (Decimal, Vec<Leg>) {
        if self.margin_mode(account, symbol) == MarginMode::Isolated {
            let legs = self.leg(ex, account, symbol, side).into_iter().collect();
            return (self.isolated_wallet(account, symbol, side), legs);
        }
        let legs = self
            .sides(account)
            .iter()
            .filter_map(|s| self.leg(ex, account, symbol, *s))
            .collect();
        (
            self.cross_collateral(ex, account, symbol, with_maintenance),
            legs,
        )
    }

    /// The mark price at which the position is liquidated (`None`: flat, or no positive price).
    pub fn liquidation_price(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        side: PosSide,
    ) -> Option<Decimal> {
        if self.position(account, symbol, side).size.is_zero() {
            return None;
        }
        let isolated = self.margin_mode(account, symbol) == MarginMode::Isolated;
        if isolated && self.venue == Venue::Bybit {
            let leg = self.leg(ex, account, symbol, side)?;
            return bybit_isolated_liquidation(&leg, self.leverage(account, symbol));
        }
        let (collateral, legs) = self.legs_of(ex, account, symbol, side, true);
        solve_price(collateral, &legs)
    }

    /// The price where the position's margin is spent, the one a liquidation closes it at.
    pub fn bankruptcy_price(
        &self,
        ex: &Exchange,
        account: usize,
        symbol: &str,
        side: PosSide,
    ) -> Option<Decimal> {
        let isolated = self.margin_mode(account, symbol) == MarginMode::Isolated;
        if isolated && self.venue == Venue::Bybit {
            let leg = self.leg(ex, account, symbol, side)?;
            return bybit_isolated_bankruptcy(&leg, self.leverage(account, symbol));
        }
        let (collateral, legs) = self.legs_of(ex, account, symbol, side, false);
        solve_price(collateral, &without_maintenance(&legs))
    }

    /// Every open position of `account`, as the venue would report it.
    pub fn position_risks(&self, ex: &Exchange, account: usize) -> Vec<PositionRisk> {
        let Some(acct) = self.account(account) else {
            return Vec::new();
        };
        acct.positions
            .iter()
            .filter(|(_, p)| !p.size.is_zero())
            .map(|((symbol, side), p)| {
                let mark = self.mark(ex, symbol);
                PositionRisk {
                    symbol: symbol.clone(),
                    side: *side,
                    size: p.size,
                    entry: p.entry(),
                    mark,
                    unrealized: p.unrealized(mark),
                    margin: self.position_margin(ex, account, symbol, *side),
                    maintenance: self.maintenance(ex, account, symbol, *side),
                    leverage: self.leverage(account, symbol),
                    mode: self.margin_mode(account, symbol),
                    liquidation_price: self.liquidation_price(ex, account, symbol, *side),
                    bankruptcy_price: self.bankruptcy_price(ex, account, symbol, *side),
                    realized: p.realized,
                    fees: p.fees,
                    funding: p.funding,
                }
            })
            .collect()
    }

    /// Refuses an order whose opening part's initial margin (at its limit price, else the mark,
    /// over the leverage) exceeds the wallet less the margin of the positions and of the resting
    /// orders. The part that only reduces a position needs none.
    pub fn check_open(
        &self,
        ex: &Exchange,
        account: usize,
        ask: &OrderAsk<'_>,
    ) -> Result<(), MarginShortfall> {
        let held = self.position(account, ask.symbol, ask.side).size;
        let opening = match (ask.side, ask.buy) {
            (PosSide::Long, false) | (PosSide::Short, true) => Decimal::ZERO,
            (PosSide::Both, false) if held > Decimal::ZERO => (ask.qty - held).max(Decimal::ZERO),
            (PosSide::Both, true) if held < Decimal::ZERO => (ask.qty + held).max(Decimal::ZERO),
            _ => ask.qty,
        };
        if opening.is_zero() {
            return Ok(());
        }
        let price = ask.price.unwrap_or_else(|| self.mark(ex, ask.symbol));
        let lev = |s: &str| self.leverage_factor(account, s);
        let needed = (opening * price / lev(ask.symbol)).round_dp(MONEY_DP);
        let mut used = Decimal::ZERO;
        if let Some(acct) = self.account(account) {
            for ((s, side), p) in &acct.positions {
                if !p.size.is_zero() {
                    used += self.position_margin(ex, account, s, *side);
                }
            }
        }
        for o in ex.open_orders(account, None) {
            used += (o.orig_qty - o.executed_qty) * o.price / lev(&o.symbol);
        }
        let available = self.wallet(account) - used;
        if needed > available {
            return Err(MarginShortfall {
                needed,
                available: available.round_dp(MONEY_DP),
            });
        }
        Ok(())
    }

    /// Closes every position whose mark crossed its liquidation price (a long at or below it, a
    /// short at or above; cross hedge sides of a symbol together, by their net side) at its
    /// bankruptcy price; the liquidations booked.
    pub fn liquidate(&mut self, ex: &Exchange, now: u64) -> Vec<Liquidation> {
        self.sync(ex);
        let mut due: Vec<(usize, String, PosSide, Decimal, Decimal, Decimal)> = Vec::new();
        for (&account, acct) in &self.accounts {
            for ((symbol, side), p) in &acct.positions {
                if p.size.is_zero() {
                    continue;
                }
                let Some(lp) = self.liquidation_price(ex, account, symbol, *side) else {
                    continue;
                };
                let mark = self.mark(ex, symbol);
                let net: Decimal = if self.margin_mode(account, symbol) == MarginMode::Isolated {
                    p.size
                } else {
                    self.sides(account)
                        .iter()
                        .map(|s| self.position(account, symbol, *s).size)
                        .sum()
                };
                let crossed =
                    (net > Decimal::ZERO && mark <= lp) || (net < Decimal::ZERO && mark >= lp);
                if !crossed {
                    continue;
                }
                let price = self
                    .bankruptcy_price(ex, account, symbol, *side)
                    .unwrap_or(mark);
                due.push((account, symbol.clone(), *side, lp, mark, price));
            }
        }
        let mut booked = Vec::new();
        for (account, symbol, side, lp, mark, price) in due {
            let Some(p) = self
                .accounts
                .get_mut(&account)
                .and_then(|a| a.positions.get_mut(&(symbol.clone(), side)))
            else {
                continue;
            };
            let (size, entry) = (p.size, p.entry());
            let pnl = p.close_at(round_price(price));
            let liq = Liquidation {
                seq: self.liquidations.len() as u64 + 1,
                account,
                symbol,
                side,
                size,
                entry,
                price: round_price(price),
                mark,
                liquidation_price: lp,
                pnl,
                time: now,
            };
            self.liquidations.push(liq.clone());
            booked.push(liq);
        }
        booked
    }
}
