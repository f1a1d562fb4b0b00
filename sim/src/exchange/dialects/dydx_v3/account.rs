//! The perpetual account the dialect keeps over the engine's spot matching: USDC collateral
//! (deposit + realized PnL − fees + funding), and each market's position replayed from the
//! engine's trades of the account (signed size, entry from the cost basis, realized PnL, fees at
//! the market's maker or taker rate).

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::exchange::engine::exchange::Exchange;

/// One market's position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Book {
    /// Signed base size.
    pub size: Decimal,
    /// |size| × entry price.
    pub cost: Decimal,
    pub realized: Decimal,
    pub fees: Decimal,
}

impl Book {
    pub fn entry(&self) -> Decimal {
        if self.size.is_zero() {
            Decimal::ZERO
        } else {
            self.cost / self.size.abs()
        }
    }

    /// A trade of signed `qty` at `price`.
    fn trade(&mut self, qty: Decimal, price: Decimal) {
        let same_way = self.size.is_zero() || (self.size > Decimal::ZERO) == (qty > Decimal::ZERO);
        if same_way {
            self.size += qty;
            self.cost += qty.abs() * price;
            return;
        }
        let closed = qty.abs().min(self.size.abs());
        let entry = self.entry();
        let long = self.size > Decimal::ZERO;
        self.realized += if long { price - entry } else { entry - price } * closed;
        let rest = self.size + qty;
        self.cost = if rest.is_zero() {
            Decimal::ZERO
        } else if (rest > Decimal::ZERO) == long {
            rest.abs() * entry
        } else {
            rest.abs() * price
        };
        self.size = rest;
    }

    pub fn unrealized(&self, mark: Decimal) -> Decimal {
        self.size * (mark - self.entry())
    }
}

/// The positions of `account` by market.
pub fn positions(ex: &Exchange, account: usize) -> BTreeMap<String, Book> {
    let mut out: BTreeMap<String, Book> = BTreeMap::new();
    for (market, trades) in &ex.trades {
        let Ok(spec) = ex.spec(market) else { continue };
        for t in trades {
            for ((_, owner), buy, maker) in [
                (t.buyer, true, t.buyer_is_maker),
                (t.seller, false, !t.buyer_is_maker),
            ] {
                if owner != account {
                    continue;
                }
                let b = out.entry(market.clone()).or_default();
                let rate = if maker {
                    spec.maker_fee
                } else {
                    spec.taker_fee
                };
                b.fees += (t.qty * t.price * rate).round_dp(6);
                b.trade(if buy { t.qty } else { -t.qty }, t.price);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn closing_realizes_and_flipping_reopens_at_the_trade_price() {
        let mut b = Book::default();
        b.trade(dec!(2), dec!(100));
        b.trade(dec!(-3), dec!(110));
        assert_eq!(
            (b.size, b.entry(), b.realized),
            (dec!(-1), dec!(110), dec!(20))
        );
        b.trade(dec!(1), dec!(100));
        assert_eq!((b.size, b.cost, b.realized), (dec!(0), dec!(0), dec!(30)));
    }
}
