//! The futures side of the trading account, kept by the dialect over the engine's spot matching:
//! leverage and margin type per symbol, the position mode, the position side of each order, and
//! positions replayed from the engine's trades (so maker fills count as taker fills do): size,
//! average entry, realized PnL and fees in the quote asset, unrealized PnL at the mark.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;

use crate::exchange::engine::exchange::Exchange;

/// A position side as Binance names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    Both,
    Long,
    Short,
}

impl Side {
    pub fn name(self) -> &'static str {
        match self {
            Side::Both => "BOTH",
            Side::Long => "LONG",
            Side::Short => "SHORT",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "BOTH" => Some(Side::Both),
            "LONG" => Some(Side::Long),
            "SHORT" => Some(Side::Short),
            _ => None,
        }
    }
}

/// One position: signed size (hedge LONG ≥ 0, SHORT ≤ 0), average entry, realized PnL and fees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pos {
    pub size: Decimal,
    pub entry: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
}

impl Pos {
    /// Applies a fill of signed `qty` at `price`: growing moves the average entry, reducing
    /// realizes PnL, crossing zero opens the rest at `price`.
    pub fn apply(&mut self, qty: Decimal, price: Decimal, fee: Decimal) {
        self.fees += fee;
        if self.size.is_zero() || self.size.is_sign_positive() == qty.is_sign_positive() {
            let total = self.size + qty;
            self.entry = (self.entry * self.size.abs() + price * qty.abs()) / total.abs();
            self.size = total;
            return;
        }
        let closed = qty.abs().min(self.size.abs());
        let sign = if self.size.is_sign_positive() {
            Decimal::ONE
        } else {
            -Decimal::ONE
        };
        self.realized += (price - self.entry) * closed * sign;
        let rest = self.size + qty;
        if rest.is_zero() {
            self.size = Decimal::ZERO;
            self.entry = Decimal::ZERO;
        } else if rest.is_sign_positive() == self.size.is_sign_positive() {
            self.size = rest;
        } else {
            self.size = rest;
            self.entry = price;
        }
    }

    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        (mark - self.entry) * self.size
    }
}

/// The account's futures settings and the position side of its orders.
#[derive(Debug, Default)]
pub struct Futures {
    pub hedge: bool,
    pub leverage: HashMap<String, u32>,
    pub isolated: HashMap<String, bool>,
    pub order_sides: HashMap<u64, Side>,
    /// Funding booked on the positions.
    pub funding: super::funding::Ledger,
}

/// The leverage a symbol starts at.
pub const DEFAULT_LEVERAGE: u32 = 20;

impl Futures {
    pub fn leverage_of(&self, symbol: &str) -> u32 {
        self.leverage
            .get(symbol)
            .copied()
            .unwrap_or(DEFAULT_LEVERAGE)
    }

    pub fn is_isolated(&self, symbol: &str) -> bool {
        self.isolated.get(symbol).copied().unwrap_or(false)
    }

    /// Every position of `account`, by (symbol, side), replayed from the engine's trades; fees at
    /// the symbol's maker or taker rate on the notional, in the quote asset.
    pub fn positions(&self, ex: &Exchange, account: usize) -> BTreeMap<(String, Side), Pos> {
        let mut out: BTreeMap<(String, Side), Pos> = BTreeMap::new();
        for (symbol, trades) in &ex.trades {
            let Ok(spec) = ex.spec(symbol) else { continue };
            for t in trades {
                for (order, acct, buy, maker) in [
                    (t.buyer.0, t.buyer.1, true, t.buyer_is_maker),
                    (t.seller.0, t.seller.1, false, !t.buyer_is_maker),
                ] {
                    if acct != account {
                        continue;
                    }
                    let side = self.order_sides.get(&order).copied().unwrap_or(Side::Both);
                    let qty = if buy { t.qty } else { -t.qty };
                    let rate = if maker {
                        spec.maker_fee
                    } else {
                        spec.taker_fee
                    };
                    let fee = (t.price * t.qty * rate).round_dp(8);
                    out.entry((symbol.clone(), side))
                        .or_default()
                        .apply(qty, t.price, fee);
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn average_entry_realized_pnl_and_flips() {
        let mut p = Pos::default();
        p.apply(dec!(1), dec!(100), dec!(0));
        p.apply(dec!(1), dec!(110), dec!(0));
        assert_eq!((p.size, p.entry), (dec!(2), dec!(105)));
        p.apply(dec!(-0.5), dec!(120), dec!(0.1));
        assert_eq!(
            (p.size, p.entry, p.realized),
            (dec!(1.5), dec!(105), dec!(7.5))
        );
        p.apply(dec!(-2.5), dec!(100), dec!(0));
        assert_eq!((p.size, p.entry), (dec!(-1), dec!(100)));
        assert_eq!(p.realized, dec!(0));
        assert_eq!(p.unrealized(dec!(90)), dec!(10));
    }
}
