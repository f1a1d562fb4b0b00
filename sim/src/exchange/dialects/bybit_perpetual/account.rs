//! The derivatives side of the simulated unified account, kept by the dialect over the engine's
//! spot matching: the position mode (one-way, or hedge with `positionIdx` 1 long / 2 short), the
//! leverage per symbol, the account's margin mode, the `positionIdx` of each order, the funding
//! settlements booked, and the positions replayed from the engine's trades: signed size, entry
//! price from the cost basis, realized PnL and fees in the quote; unrealized PnL at the mark.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::exchange::engine::exchange::Exchange;

/// One position's ledger.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ledger {
    /// Signed size (a long is positive).
    pub size: Decimal,
    /// Entry price × |size|.
    pub cost: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
}

impl Ledger {
    pub fn entry(&self) -> Decimal {
        if self.size.is_zero() {
            Decimal::ZERO
        } else {
            self.cost / self.size.abs()
        }
    }

    /// A fill of signed `qty` at `price`: what adds to the position adds to its cost; what
    /// offsets it realizes PnL against the entry; the part beyond zero opens at `price`.
    pub fn fill(&mut self, qty: Decimal, price: Decimal, fee: Decimal) {
        self.fees += fee;
        let adds = self.size.is_zero() || self.size.is_sign_positive() == qty.is_sign_positive();
        if adds {
            self.cost += price * qty.abs();
            self.size += qty;
            return;
        }
        let entry = self.entry();
        let offset = qty.abs().min(self.size.abs());
        let direction = Decimal::from(if self.size.is_sign_positive() { 1 } else { -1 });
        self.realized += (price - entry) * offset * direction;
        let after = self.size + qty;
        self.cost = if after.is_zero() {
            Decimal::ZERO
        } else if after.is_sign_positive() == self.size.is_sign_positive() {
            entry * after.abs()
        } else {
            price * after.abs()
        };
        self.size = after;
    }

    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        (mark - self.entry()) * self.size
    }
}

/// One funding settlement booked on a position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settlement {
    pub id: String,
    pub symbol: String,
    pub idx: u8,
    /// The wallet's change (negative: paid).
    pub change: Decimal,
    pub time: u64,
}

/// The account's derivatives settings and records.
#[derive(Debug, Default)]
pub struct Derivatives {
    pub hedge: bool,
    pub isolated: bool,
    pub leverage: HashMap<String, u32>,
    pub order_idx: HashMap<u64, u8>,
    pub settlements: Vec<Settlement>,
    /// Symbol → when funding was last settled (ms).
    pub last_funding: HashMap<String, u64>,
}

/// The leverage a symbol starts at.
pub const DEFAULT_LEVERAGE: u32 = 10;

impl Derivatives {
    pub fn leverage_of(&self, symbol: &str) -> u32 {
        self.leverage
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LEVERAGE)
    }

    /// Every position of `account` by (symbol, positionIdx), replayed from the engine's trades;
    /// fees at the symbol's maker or taker rate on the notional.
    pub fn positions(&self, ex: &Exchange, account: usize) -> BTreeMap<(String, u8), Ledger> {
        let mut out: BTreeMap<(String, u8), Ledger> = BTreeMap::new();
        for (symbol, trades) in &ex.trades {
            let Ok(spec) = ex.spec(symbol) else { continue };
            for t in trades {
                let legs = [
                    (t.buyer, Decimal::ONE, t.buyer_is_maker),
                    (t.seller, -Decimal::ONE, !t.buyer_is_maker),
                ];
                for ((order, owner), sign, maker) in legs {
                    if owner != account {
                        continue;
                    }
                    let idx = self.order_idx.get(&order).copied().unwrap_or(0);
                    let rate = if maker {
                        spec.maker_fee
                    } else {
                        spec.taker_fee
                    };
                    let fee = (t.price * t.qty * rate).round_dp(8);
                    out.entry((symbol.clone(), idx))
                        .or_default()
                        .fill(t.qty * sign, t.price, fee);
                }
            }
        }
        out
    }

    /// Books funding on every open position of `symbol`: a long pays `size × mark × rate`
    /// (receives when the rate is negative), a short the opposite.
    pub fn settle(
        &mut self,
        positions: &BTreeMap<(String, u8), Ledger>,
        symbol: &str,
        mark: Decimal,
        rate: Decimal,
        now: u64,
    ) -> usize {
        let mut n = 0;
        for ((s, idx), p) in positions {
            if s != symbol || p.size.is_zero() {
                continue;
            }
            let change = -(p.size * mark * rate).round_dp(8);
            let id = format!("settle-{}", self.settlements.len() + 1);
            self.settlements.push(Settlement {
                id,
                symbol: s.clone(),
                idx: *idx,
                change,
                time: now,
            });
            n += 1;
        }
        self.last_funding.insert(symbol.to_string(), now);
        n
    }

    /// The wallet: `deposit` plus realized PnL, less fees, plus funding.
    pub fn wallet(&self, deposit: Decimal, positions: &BTreeMap<(String, u8), Ledger>) -> Decimal {
        let trading: Decimal = positions.values().map(|p| p.realized - p.fees).sum();
        let funding: Decimal = self.settlements.iter().map(|s| s.change).sum();
        deposit + trading + funding
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn cost_basis_entry_realized_pnl_and_flip() {
        let mut p = Ledger::default();
        p.fill(dec!(2), dec!(100), dec!(0.1));
        p.fill(dec!(2), dec!(110), dec!(0.1));
        assert_eq!((p.size, p.entry()), (dec!(4), dec!(105)));
        p.fill(dec!(-1), dec!(115), dec!(0));
        assert_eq!(
            (p.size, p.entry(), p.realized),
            (dec!(3), dec!(105), dec!(10))
        );
        p.fill(dec!(-5), dec!(100), dec!(0));
        assert_eq!(
            (p.size, p.entry(), p.realized),
            (dec!(-2), dec!(100), dec!(-5))
        );
        assert_eq!(p.unrealized(dec!(90)), dec!(20));
        assert_eq!(p.fees, dec!(0.2));
        let mut d = Derivatives::default();
        let mut book = BTreeMap::new();
        book.insert(("BTCUSDT".to_string(), 0u8), p);
        assert_eq!(d.settle(&book, "BTCUSDT", dec!(100), dec!(0.001), 7), 1);
        // a short receives a positive rate
        assert_eq!(d.settlements[0].change, dec!(0.2));
        assert_eq!(
            d.wallet(dec!(1000), &book),
            dec!(1000) - dec!(5) - dec!(0.2) + dec!(0.2)
        );
    }
}
