//! Market rules (tick size, step size, minimum size and notional, fees), quantization of prices and
//! sizes with an explicit rounding direction, and validation that names the rule an order breaks.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::{OrderRequest, OrderType, Pair};

/// Which way a value that is not on the grid is moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rounding {
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// To the nearest, ties to even (banker's rounding).
    Nearest,
}

impl Rounding {
    pub(crate) fn strategy(self) -> RoundingStrategy {
        match self {
            Rounding::Down => RoundingStrategy::ToZero,
            Rounding::Up => RoundingStrategy::AwayFromZero,
            Rounding::Nearest => RoundingStrategy::MidpointNearestEven,
        }
    }
}

/// A rule an order breaks, with the values involved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    #[error("price {price} is not a multiple of the tick size {tick_size}")]
    PriceNotOnTick { price: Decimal, tick_size: Decimal },
    #[error("size {size} is not a multiple of the step size {step_size}")]
    SizeNotOnStep { size: Decimal, step_size: Decimal },
    #[error("size {size} is below the minimum size {min_size}")]
    BelowMinSize { size: Decimal, min_size: Decimal },
    #[error("size {size} is above the maximum size {max_size}")]
    AboveMaxSize { size: Decimal, max_size: Decimal },
    #[error("notional {notional} is below the minimum notional {min_notional}")]
    BelowMinNotional {
        notional: Decimal,
        min_notional: Decimal,
    },
    #[error("price {price} must be positive")]
    NonPositivePrice { price: Decimal },
    #[error("size {size} must be positive")]
    NonPositiveSize { size: Decimal },
    #[error("order is for {order} but these rules are for {rules}")]
    WrongPair { order: Pair, rules: Pair },
    #[error("{0}")]
    Invalid(String),
}

/// The trading rules of one market at one venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketRules {
    pub pair: Pair,
    /// The venue's own symbol for the market (`ETHUSDT`, `ETH/USD`, a pool address, …).
    pub venue_symbol: String,
    /// Price increment; zero means any price (an AMM).
    pub tick_size: Decimal,
    /// Size increment in the base asset; zero means any size.
    pub step_size: Decimal,
    pub min_size: Decimal,
    pub max_size: Option<Decimal>,
    /// Minimum price × size in the quote asset.
    pub min_notional: Decimal,
    /// Fee rates as fractions (0.001 = 0.1 %).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
}

/// `value` moved onto the multiples of `step`. Rules come from the venue: a step so small that
/// `value / step` does not fit a `Decimal` (finer than the value's own precision) leaves the value
/// as it is rather than panicking; [`MarketRules::check`] still refuses it if it is off the grid.
fn quantize(value: Decimal, step: Decimal, rounding: Rounding) -> Decimal {
    if step.is_zero() {
        return value;
    }
    value
        .checked_div(step)
        .map(|steps| steps.round_dp_with_strategy(0, rounding.strategy()))
        .and_then(|steps| steps.checked_mul(step))
        .map_or(value, |v| v.normalize())
}

fn on_grid(value: Decimal, step: Decimal) -> bool {
    step.is_zero() || value.checked_rem(step).is_some_and(|r| r.is_zero())
}

impl MarketRules {
    /// Rules that accept anything (for a venue that has none, e.g. an AMM pool).
    pub fn unrestricted(pair: Pair, venue_symbol: impl Into<String>, fee: Decimal) -> Self {
        Self {
            pair,
            venue_symbol: venue_symbol.into(),
            tick_size: Decimal::ZERO,
            step_size: Decimal::ZERO,
            min_size: Decimal::ZERO,
            max_size: None,
            min_notional: Decimal::ZERO,
            maker_fee: fee,
            taker_fee: fee,
        }
    }

    /// Moves a price onto the tick grid.
    pub fn quantize_price(&self, price: Decimal, rounding: Rounding) -> Decimal {
        quantize(price, self.tick_size, rounding)
    }

    /// Moves a size onto the step grid.
    pub fn quantize_size(&self, size: Decimal, rounding: Rounding) -> Decimal {
        quantize(size, self.step_size, rounding)
    }

    /// A price as an integer number of ticks (for keying book levels). `None` without a tick size,
    /// off the grid, or out of `i64` range.
    pub fn price_to_ticks(&self, price: Decimal) -> Option<i64> {
        if self.tick_size.is_zero() || !on_grid(price, self.tick_size) {
            return None;
        }
        i64::try_from(price.checked_div(self.tick_size)?.trunc().mantissa()).ok()
    }

    /// Checks price and size of a prospective order against every rule; `price` is the limit price,
    /// or for a market order the expected execution price (used for the notional check).
    pub fn check(
        &self,
        price: Decimal,
        size: Decimal,
        price_is_limit: bool,
    ) -> Result<(), RuleViolation> {
        if size <= Decimal::ZERO {
            return Err(RuleViolation::NonPositiveSize { size });
        }
        if price <= Decimal::ZERO {
            return Err(RuleViolation::NonPositivePrice { price });
        }
        if price_is_limit && !on_grid(price, self.tick_size) {
            return Err(RuleViolation::PriceNotOnTick {
                price,
                tick_size: self.tick_size,
            });
        }
        if !on_grid(size, self.step_size) {
            return Err(RuleViolation::SizeNotOnStep {
                size,
                step_size: self.step_size,
            });
        }
        if size < self.min_size {
            return Err(RuleViolation::BelowMinSize {
                size,
                min_size: self.min_size,
            });
        }
        if let Some(max_size) = self.max_size
            && size > max_size
        {
            return Err(RuleViolation::AboveMaxSize { size, max_size });
        }
        // a product beyond `Decimal`'s range is above any minimum
        let notional = price.checked_mul(size).unwrap_or(Decimal::MAX);
        if notional < self.min_notional {
            return Err(RuleViolation::BelowMinNotional {
                notional,
                min_notional: self.min_notional,
            });
        }
        Ok(())
    }

    /// Validates an order request; `reference_price` is used for the notional of orders without a
    /// limit price (market orders).
    pub fn validate(
        &self,
        order: &OrderRequest,
        reference_price: Option<Decimal>,
    ) -> Result<(), RuleViolation> {
        if order.pair != self.pair {
            return Err(RuleViolation::WrongPair {
                order: order.pair.clone(),
                rules: self.pair.clone(),
            });
        }
        order
            .check_shape()
            .map_err(|e| RuleViolation::Invalid(e.to_string()))?;
        match (order.order_type, order.price) {
            (OrderType::Limit | OrderType::LimitMaker, Some(p)) => {
                self.check(p, order.amount, true)
            }
            // A swap's price is a slippage bound, not a tick-aligned limit.
            (OrderType::Swap, Some(p)) => self.check(p, order.amount, false),
            (OrderType::Market, _) => match reference_price {
                Some(p) => self.check(p, order.amount, false),
                None => {
                    // Without a price only the size rules can be checked.
                    self.check(Decimal::ONE, order.amount, false)
                        .or_else(|e| match e {
                            RuleViolation::BelowMinNotional { .. } => Ok(()),
                            other => Err(other),
                        })
                }
            },
            (_, None) => Err(RuleViolation::Invalid(
                "a limit or swap order needs a price".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules from a venue with a tick or step far finer than any value: no panic, and the checks
    /// still hold (a value off the grid is refused, a huge notional is not below the minimum).
    #[test]
    fn extreme_rules_do_not_panic() {
        let mut r =
            MarketRules::unrestricted("BTC-USDT".parse().unwrap(), "BTCUSDT", Decimal::ZERO);
        r.tick_size = Decimal::new(1, 28);
        r.step_size = Decimal::new(3, 28);
        r.min_notional = Decimal::ONE;
        let price = Decimal::from(60_000);
        assert_eq!(r.quantize_price(price, Rounding::Down), price);
        assert_eq!(r.quantize_size(Decimal::MAX, Rounding::Up), Decimal::MAX);
        assert_eq!(r.price_to_ticks(price), None);
        assert!(r.check(price, Decimal::new(1, 28), true).is_err());
        r.tick_size = Decimal::ZERO;
        r.step_size = Decimal::ZERO;
        assert_eq!(r.check(Decimal::MAX, Decimal::MAX, true), Ok(()));
    }
    use crate::core::{ClientOrderId, Side, TimeInForce};
    use rust_decimal_macros::dec;

    fn rules() -> MarketRules {
        MarketRules {
            pair: "ETH-USDT".parse().unwrap(),
            venue_symbol: "ETHUSDT".into(),
            tick_size: dec!(0.01),
            step_size: dec!(0.0001),
            min_size: dec!(0.001),
            max_size: Some(dec!(9000)),
            min_notional: dec!(5),
            maker_fee: dec!(0.001),
            taker_fee: dec!(0.001),
        }
    }

    #[test]
    fn quantization() {
        let r = rules();
        // exact multiples are untouched in every direction
        for rd in [Rounding::Down, Rounding::Up, Rounding::Nearest] {
            assert_eq!(r.quantize_price(dec!(2000.01), rd), dec!(2000.01));
            assert_eq!(r.quantize_size(dec!(1.2345), rd), dec!(1.2345));
        }
        // just below a step
        assert_eq!(
            r.quantize_size(dec!(1.23449999), Rounding::Down),
            dec!(1.2344)
        );
        assert_eq!(
            r.quantize_size(dec!(1.23449999), Rounding::Up),
            dec!(1.2345)
        );
        assert_eq!(
            r.quantize_size(dec!(1.23449999), Rounding::Nearest),
            dec!(1.2345)
        );
        assert_eq!(
            r.quantize_price(dec!(2000.005), Rounding::Nearest),
            dec!(2000.00)
        );
        assert_eq!(
            r.quantize_price(dec!(2000.015), Rounding::Nearest),
            dec!(2000.02)
        );
        assert_eq!(r.quantize_price(dec!(0.009), Rounding::Down), dec!(0));
        // no tick: identity
        let amm = MarketRules::unrestricted("ETH-USDC".parse().unwrap(), "pool", dec!(0.003));
        assert_eq!(
            amm.quantize_price(dec!(1.23456789), Rounding::Down),
            dec!(1.23456789)
        );
        assert_eq!(r.price_to_ticks(dec!(2000.01)), Some(200001));
        assert_eq!(r.price_to_ticks(dec!(2000.015)), None);
    }

    #[test]
    fn each_rule_is_named() {
        let r = rules();
        assert_eq!(r.check(dec!(2000), dec!(0.01), true), Ok(()));
        assert!(matches!(
            r.check(dec!(2000.001), dec!(0.01), true),
            Err(RuleViolation::PriceNotOnTick { .. })
        ));
        assert!(matches!(
            r.check(dec!(2000), dec!(0.01001), true),
            Err(RuleViolation::SizeNotOnStep { .. })
        ));
        assert!(matches!(
            r.check(dec!(2000), dec!(0.0009), true),
            Err(RuleViolation::BelowMinSize { .. })
        ));
        assert!(matches!(
            r.check(dec!(2000), dec!(9000.0001), true),
            Err(RuleViolation::AboveMaxSize { .. })
        ));
        // min notional: 4.99 < 5 rejected, exactly 5 accepted
        assert!(matches!(
            r.check(dec!(499), dec!(0.01), true),
            Err(RuleViolation::BelowMinNotional { .. })
        ));
        assert_eq!(r.check(dec!(500), dec!(0.01), true), Ok(()));
        assert!(matches!(
            r.check(dec!(0), dec!(1), true),
            Err(RuleViolation::NonPositivePrice { .. })
        ));
        assert!(matches!(
            r.check(dec!(1), dec!(-1), true),
            Err(RuleViolation::NonPositiveSize { .. })
        ));
        let msg = r
            .check(dec!(499), dec!(0.01), true)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("minimum notional 5"), "{msg}");
    }

    #[test]
    fn validate_orders() {
        let r = rules();
        let mut o = OrderRequest {
            client_id: ClientOrderId::new("t1").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            amount: dec!(0.01),
            price: Some(dec!(2000)),
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        };
        assert_eq!(r.validate(&o, None), Ok(()));
        o.order_type = OrderType::Market;
        o.price = None;
        assert_eq!(r.validate(&o, None), Ok(()));
        assert!(matches!(
            r.validate(&o, Some(dec!(100))),
            Err(RuleViolation::BelowMinNotional { .. })
        ));
        o.pair = "BTC-USDT".parse().unwrap();
        assert!(matches!(
            r.validate(&o, None),
            Err(RuleViolation::WrongPair { .. })
        ));
    }
}
