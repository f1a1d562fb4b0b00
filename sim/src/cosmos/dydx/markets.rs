//! The local dYdX's perpetual markets (CLOB pairs): id, ticker, atomic resolution, quantum
//! conversion exponent, step base quantums, subticks per tick; and the exact conversions between
//! the chain's integers and the engine's decimals. USDC (asset 0) has atomic resolution −6, so
//! one quote quantum is 10⁻⁶ USDC (`QUOTE_ATOMIC_RESOLUTION`).
//!
//! - size = quantums × 10^atomic_resolution;
//! - price = subticks × 10^(quantum_conversion_exponent − atomic_resolution + QUOTE_ATOMIC_RESOLUTION)
//!   (the inverse of the v4 clients' `subticks = price × 10^(atomic_resolution −
//!   quantum_conversion_exponent − QUOTE_ATOMIC_RESOLUTION)`).
//!
//! Both are exact (a decimal shift); a value that does not fit a `Decimal` is an error.

use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use crate::exchange::engine::spec::{NotionalFilter, SymbolSpec};

/// USDC's atomic resolution: quote quantums are micro-USDC.
pub const QUOTE_ATOMIC_RESOLUTION: i32 = -6;

/// One CLOB pair of a perpetual.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketParams {
    pub clob_pair_id: u32,
    pub ticker: String,
    pub atomic_resolution: i32,
    pub quantum_conversion_exponent: i32,
    pub step_base_quantums: u64,
    pub subticks_per_tick: u32,
    /// Maker and taker fee rates (the engine's perpetual ledger charges them).
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConversionError {
    #[error("{what} {value} × 10^{exp} does not fit a decimal")]
    Overflow {
        what: &'static str,
        value: u64,
        exp: i32,
    },
}

/// `value × 10^exp`, exactly.
fn shift(what: &'static str, value: u64, exp: i32) -> Result<Decimal, ConversionError> {
    let err = ConversionError::Overflow { what, value, exp };
    if exp <= 0 {
        let scale = u32::try_from(-exp).map_err(|_| err.clone())?;
        Decimal::try_from_i128_with_scale(i128::from(value), scale).map_err(|_| err)
    } else {
        let factor = 10i128
            .checked_pow(u32::try_from(exp).map_err(|_| err.clone())?)
            .ok_or(err.clone())?;
        let v = i128::from(value).checked_mul(factor).ok_or(err.clone())?;
        Decimal::try_from_i128_with_scale(v, 0).map_err(|_| err)
    }
}

impl MarketParams {
    /// BTC-USD as on mainnet (`dydx-mainnet-1`) and in `v4-chain`'s local genesis: CLOB pair 0,
    /// atomic resolution −10, quantum conversion exponent −9, step 1,000,000 base quantums
    /// (0.0001 BTC), 100,000 subticks per tick ($1). Fees: the first tier's 1 bp maker, 5 bp taker.
    pub fn btc_usd() -> Self {
        Self {
            clob_pair_id: 0,
            ticker: "BTC-USD".into(),
            atomic_resolution: -10,
            quantum_conversion_exponent: -9,
            step_base_quantums: 1_000_000,
            subticks_per_tick: 100_000,
            maker_fee: dec!(0.0001),
            taker_fee: dec!(0.0005),
        }
    }

    /// ETH-USD: CLOB pair 1, atomic resolution −9, quantum conversion exponent −9, step 1,000,000
    /// base quantums (0.001 ETH), 100,000 subticks per tick ($0.1).
    pub fn eth_usd() -> Self {
        Self {
            clob_pair_id: 1,
            ticker: "ETH-USD".into(),
            atomic_resolution: -9,
            quantum_conversion_exponent: -9,
            step_base_quantums: 1_000_000,
            subticks_per_tick: 100_000,
            maker_fee: dec!(0.0001),
            taker_fee: dec!(0.0005),
        }
    }

    /// The two default markets.
    pub fn defaults() -> Vec<Self> {
        vec![Self::btc_usd(), Self::eth_usd()]
    }

    fn price_exp(&self) -> i32 {
        self.quantum_conversion_exponent - self.atomic_resolution + QUOTE_ATOMIC_RESOLUTION
    }

    /// The size of `quantums` base quantums.
    pub fn size(&self, quantums: u64) -> Result<Decimal, ConversionError> {
        shift("quantums", quantums, self.atomic_resolution)
    }

    /// The price (USDC per unit) of `subticks`.
    pub fn price(&self, subticks: u64) -> Result<Decimal, ConversionError> {
        shift("subticks", subticks, self.price_exp())
    }

    /// The engine's spec of this market: tick and step from the params, no notional minimum.
    pub fn symbol_spec(&self) -> Result<SymbolSpec, ConversionError> {
        let (base, quote) = self
            .ticker
            .split_once('-')
            .unwrap_or((self.ticker.as_str(), "USD"));
        let tick = self.price(u64::from(self.subticks_per_tick))?;
        let step = self.size(self.step_base_quantums)?;
        Ok(SymbolSpec {
            symbol: self.ticker.clone(),
            base: base.to_string(),
            quote: quote.to_string(),
            tick_size: tick,
            min_price: tick,
            max_price: Decimal::MAX,
            step_size: step,
            min_qty: step,
            max_qty: Decimal::MAX,
            min_notional: Decimal::ZERO,
            max_notional: Decimal::MAX,
            notional_filter: NotionalFilter::MinNotional,
            maker_fee: self.maker_fee,
            taker_fee: self.taker_fee,
        })
    }
}

/// The configurable table of markets, by CLOB pair id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markets(Vec<MarketParams>);

impl Markets {
    pub fn new(markets: Vec<MarketParams>) -> Self {
        Self(markets)
    }

    pub fn get(&self, clob_pair_id: u32) -> Option<&MarketParams> {
        self.0.iter().find(|m| m.clob_pair_id == clob_pair_id)
    }

    pub fn by_ticker(&self, ticker: &str) -> Option<&MarketParams> {
        self.0.iter().find(|m| m.ticker == ticker)
    }

    pub fn all(&self) -> &[MarketParams] {
        &self.0
    }
}

impl Default for Markets {
    fn default() -> Self {
        Self(MarketParams::defaults())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions_are_exact_decimal_shifts() {
        let btc = MarketParams::btc_usd();
        assert_eq!(btc.size(1_000_000).unwrap(), dec!(0.0001));
        assert_eq!(btc.size(10_000_000_000).unwrap(), dec!(1));
        // $50,000 = 5,000,000,000 subticks; a tick (100,000 subticks) is $1
        assert_eq!(btc.price(5_000_000_000).unwrap(), dec!(50000));
        assert_eq!(btc.price(100_000).unwrap(), dec!(1));
        let eth = MarketParams::eth_usd();
        assert_eq!(eth.size(1_000_000).unwrap(), dec!(0.001));
        assert_eq!(eth.price(3_000_000_000).unwrap(), dec!(3000));
        assert_eq!(eth.price(100_000).unwrap(), dec!(0.1));
        let spec = btc.symbol_spec().unwrap();
        assert_eq!(
            (spec.tick_size, spec.step_size, spec.symbol.as_str()),
            (dec!(1), dec!(0.0001), "BTC-USD")
        );
        let huge = MarketParams {
            quantum_conversion_exponent: 20,
            ..btc
        };
        assert!(huge.price(u64::MAX).is_err());
    }
}
