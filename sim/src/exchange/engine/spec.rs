//! What the mock exchange lists and enforces: symbols with their filters (PRICE_FILTER, LOT_SIZE,
//! NOTIONAL or MIN_NOTIONAL), fees, rate limits, and the `exchangeInfo` document built from them.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::error::{EngineError, Filter};

/// Which notional filter a symbol publishes (Binance lists `NOTIONAL` today; `MIN_NOTIONAL` is the
/// older form some symbols and clients still use).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotionalFilter {
    /// `NOTIONAL` with `minNotional`, `maxNotional`, `applyMinToMarket`, `applyMaxToMarket`.
    Notional,
    /// `MIN_NOTIONAL` with `minNotional`, `applyToMarket`.
    MinNotional,
}

/// One tradable symbol and its trading rules.
#[derive(Debug, Clone)]
pub struct SymbolSpec {
    /// Upper-case symbol, e.g. `BTCUSDT`.
    pub symbol: String,
    /// Base asset, e.g. `BTC`.
    pub base: String,
    /// Quote asset, e.g. `USDT`.
    pub quote: String,
    /// PRICE_FILTER `tickSize` (must be > 0: the book keys levels by integer ticks).
    pub tick_size: Decimal,
    /// PRICE_FILTER `minPrice`.
    pub min_price: Decimal,
    /// PRICE_FILTER `maxPrice`.
    pub max_price: Decimal,
    /// LOT_SIZE `stepSize`.
    pub step_size: Decimal,
    /// LOT_SIZE `minQty`.
    pub min_qty: Decimal,
    /// LOT_SIZE `maxQty`.
    pub max_qty: Decimal,
    /// Minimum notional (`price * quantity`).
    pub min_notional: Decimal,
    /// Maximum notional (NOTIONAL filter only).
    pub max_notional: Decimal,
    /// Which notional filter is published and enforced.
    pub notional_filter: NotionalFilter,
    /// Maker fee rate (0.001 = 0.1 %).
    pub maker_fee: Decimal,
    /// Taker fee rate.
    pub taker_fee: Decimal,
}

impl SymbolSpec {
    /// A symbol with Binance-like defaults for its filters (tick 0.01, step 0.00001, min notional 5).
    pub fn new(base: &str, quote: &str) -> Self {
        Self {
            symbol: format!("{base}{quote}"),
            base: base.to_string(),
            quote: quote.to_string(),
            tick_size: dec!(0.01),
            min_price: dec!(0.01),
            max_price: dec!(1000000),
            step_size: dec!(0.00001),
            min_qty: dec!(0.00001),
            max_qty: dec!(9000),
            min_notional: dec!(5),
            max_notional: dec!(9000000),
            notional_filter: NotionalFilter::Notional,
            maker_fee: dec!(0.001),
            taker_fee: dec!(0.001),
        }
    }

    /// Checks PRICE_FILTER for a limit price.
    pub fn check_price(&self, price: Decimal) -> Result<(), EngineError> {
        let bad = price <= Decimal::ZERO
            || (self.min_price > Decimal::ZERO && price < self.min_price)
            || (self.max_price > Decimal::ZERO && price > self.max_price)
            || (self.tick_size > Decimal::ZERO && !(price % self.tick_size).is_zero());
        if bad {
            Err(EngineError::Filter(Filter::Price))
        } else {
            Ok(())
        }
    }

    /// Checks LOT_SIZE for a quantity.
    pub fn check_quantity(&self, qty: Decimal) -> Result<(), EngineError> {
        let bad = qty < self.min_qty
            || qty > self.max_qty
            || (self.step_size > Decimal::ZERO && !(qty % self.step_size).is_zero());
        if bad {
            Err(EngineError::Filter(Filter::Quantity))
        } else {
            Ok(())
        }
    }

    /// Checks the notional filter for `notional = price * quantity`.
    pub fn check_notional(&self, notional: Decimal) -> Result<(), EngineError> {
        match self.notional_filter {
            NotionalFilter::Notional => {
                if notional < self.min_notional || notional > self.max_notional {
                    return Err(EngineError::Filter(Filter::Notional(
                        NotionalFilter::Notional,
                    )));
                }
            }
            NotionalFilter::MinNotional => {
                if notional < self.min_notional {
                    return Err(EngineError::Filter(Filter::Notional(
                        NotionalFilter::MinNotional,
                    )));
                }
            }
        }
        Ok(())
    }

    /// Rounds a quantity down to the step size.
    pub fn floor_to_step(&self, qty: Decimal) -> Decimal {
        if self.step_size.is_zero() {
            return qty;
        }
        (qty / self.step_size).floor() * self.step_size
    }
}

/// The rate limits the mock enforces. Defaults are Binance's documented spot limits (see the
/// module doc); tests may lower them to reach a limit with few requests.
#[derive(Debug, Clone)]
pub struct RateLimits {
    /// REQUEST_WEIGHT per minute, per IP (Binance: 6000).
    pub request_weight_per_minute: u64,
    /// RAW_REQUESTS per 5 minutes, per IP (Binance: 300000 since 2026-04-02).
    pub raw_requests_per_5m: u64,
    /// ORDERS (unfilled order count) per 10 seconds, per account (Binance: 50).
    pub orders_per_10s: u64,
    /// ORDERS per day, per account (Binance: 160000).
    pub orders_per_day: u64,
    /// After this many requests rejected with 429 in one weight window, the IP is banned (418).
    pub ban_after_429s: u64,
    /// Length of an automatic ban, in seconds (Binance: from 2 minutes up to 3 days).
    pub ban_seconds: u64,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            request_weight_per_minute: 6_000,
            raw_requests_per_5m: 300_000,
            orders_per_10s: 50,
            orders_per_day: 160_000,
            ban_after_429s: 20,
            ban_seconds: 120,
        }
    }
}

/// The symbols listed by default: BTCUSDT, ETHUSDT and ETHBTC.
pub fn default_symbols() -> Vec<SymbolSpec> {
    let btc = SymbolSpec::new("BTC", "USDT");
    let mut eth = SymbolSpec::new("ETH", "USDT");
    eth.step_size = dec!(0.0001);
    eth.min_qty = dec!(0.0001);
    let mut ethbtc = SymbolSpec::new("ETH", "BTC");
    ethbtc.tick_size = dec!(0.00001);
    ethbtc.min_price = dec!(0.00001);
    ethbtc.max_price = dec!(922327);
    ethbtc.step_size = dec!(0.0001);
    ethbtc.min_qty = dec!(0.0001);
    ethbtc.min_notional = dec!(0.0001);
    ethbtc.notional_filter = NotionalFilter::MinNotional;
    vec![btc, eth, ethbtc]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_reject_naming_the_rule() {
        let s = SymbolSpec::new("BTC", "USDT");
        assert!(s.check_price(dec!(100.01)).is_ok());
        assert_eq!(
            s.check_price(dec!(100.005)).unwrap_err(),
            EngineError::Filter(Filter::Price)
        );
        assert_eq!(
            s.check_quantity(dec!(0.000015)).unwrap_err(),
            EngineError::Filter(Filter::Quantity)
        );
        assert_eq!(
            s.check_notional(dec!(4.99)).unwrap_err(),
            EngineError::Filter(Filter::Notional(NotionalFilter::Notional))
        );
    }
}
