//! One perpetual position's bookkeeping: signed size, cost basis (entry price × |size|), realized
//! PnL, fees and funding, all in the quote (margin) asset with `rust_decimal`. The entry price is
//! the cost over the size rounded to [`PRICE_DP`] places (half away from zero); a reduce keeps it
//! and realizes `(price − entry) × closed` in the position's direction; the part of a fill beyond
//! zero opens the other way at the fill price.

use rust_decimal::{Decimal, RoundingStrategy};

/// The places prices the ledger derives (entry, liquidation, bankruptcy) are rounded to.
pub const PRICE_DP: u32 = 8;

/// Rounds a derived price to [`PRICE_DP`] places, half away from zero.
pub fn round_price(p: Decimal) -> Decimal {
    p.round_dp_with_strategy(PRICE_DP, RoundingStrategy::MidpointAwayFromZero)
}

/// Which position of a symbol: the net one (one-way mode) or a hedge-mode side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PosSide {
    Both,
    Long,
    Short,
}

/// One position (a hedge-mode long is ≥ 0, a short ≤ 0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Position {
    /// Signed size in the base asset (> 0 long).
    pub size: Decimal,
    /// Entry notional: the entry price × |size|.
    pub cost: Decimal,
    /// Realized PnL before fees and funding (liquidations included).
    pub realized: Decimal,
    /// Trading fees paid.
    pub fees: Decimal,
    /// Funding booked (positive: received).
    pub funding: Decimal,
}

impl Position {
    /// The entry price (zero when flat).
    pub fn entry(&self) -> Decimal {
        if self.size.is_zero() {
            Decimal::ZERO
        } else {
            round_price(self.cost / self.size.abs())
        }
    }

    /// What the position added to the wallet: realized PnL − fees + funding.
    pub fn wallet_change(&self) -> Decimal {
        self.realized - self.fees + self.funding
    }

    /// A fill of signed `qty` at `price` paying `fee`.
    pub fn fill(&mut self, qty: Decimal, price: Decimal, fee: Decimal) {
        self.fees += fee;
        if qty.is_zero() {
            return;
        }
        if self.size.is_zero() || self.size.is_sign_positive() == qty.is_sign_positive() {
            self.cost += price * qty.abs();
            self.size += qty;
            return;
        }
        let entry = self.entry();
        let closed = qty.abs().min(self.size.abs());
        let direction = if self.size.is_sign_positive() {
            Decimal::ONE
        } else {
            Decimal::NEGATIVE_ONE
        };
        self.realized += (price - entry) * closed * direction;
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

    /// Closes the whole position at `price` (a liquidation): the PnL realized.
    pub fn close_at(&mut self, price: Decimal) -> Decimal {
        let pnl = (price - self.entry()) * self.size;
        self.realized += pnl;
        self.size = Decimal::ZERO;
        self.cost = Decimal::ZERO;
        pnl
    }

    /// Unrealized PnL at `mark` (exact from the rounded entry).
    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        (mark - self.entry()) * self.size
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn open_add_reduce_flip_and_close() {
        let mut p = Position::default();
        p.fill(dec!(2), dec!(100), dec!(0.1));
        p.fill(dec!(2), dec!(110), dec!(0.1));
        assert_eq!((p.size, p.entry()), (dec!(4), dec!(105)));
        // a reduce keeps the entry and realizes against it
        p.fill(dec!(-1), dec!(115), dec!(0));
        assert_eq!(
            (p.size, p.entry(), p.realized),
            (dec!(3), dec!(105), dec!(10))
        );
        // a flip realizes the whole long and opens the rest short at the fill price
        p.fill(dec!(-5), dec!(100), dec!(0));
        assert_eq!(
            (p.size, p.entry(), p.realized),
            (dec!(-2), dec!(100), dec!(-5))
        );
        assert_eq!(p.unrealized(dec!(90)), dec!(20));
        assert_eq!(p.fees, dec!(0.2));
        p.fill(dec!(2), dec!(95), dec!(0));
        assert_eq!(
            (p.size, p.cost, p.entry(), p.realized),
            (dec!(0), dec!(0), dec!(0), dec!(5))
        );
        assert_eq!(p.wallet_change(), dec!(4.8));
    }

    #[test]
    fn the_entry_is_rounded_to_eight_places_and_kept_on_reduce() {
        let mut p = Position::default();
        p.fill(dec!(1), dec!(100), dec!(0));
        p.fill(dec!(2), dec!(101), dec!(0));
        assert_eq!(p.entry(), dec!(100.66666667));
        p.fill(dec!(-1), dec!(102), dec!(0));
        assert_eq!(p.entry(), dec!(100.66666667));
        assert_eq!(p.realized, dec!(1.33333333));
        assert_eq!(p.close_at(dec!(90)), dec!(-21.33333334));
        assert!(p.size.is_zero());
    }
}
