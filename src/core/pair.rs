//! Trading pairs (`BASE-QUOTE`) and sides.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{Asset, CoreError};

/// A trading pair. Amounts of an order are in the base asset, prices in quote per base.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Pair {
    pub base: Asset,
    pub quote: Asset,
}

impl Pair {
    pub fn new(base: Asset, quote: Asset) -> Self {
        Self { base, quote }
    }

    /// The same market seen the other way round (`USDT-ETH` for `ETH-USDT`).
    pub fn inverse(&self) -> Self {
        Self::new(self.quote.clone(), self.base.clone())
    }
}

impl FromStr for Pair {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (b, q) = s
            .split_once('-')
            .ok_or_else(|| CoreError::InvalidPair(s.to_string()))?;
        if q.contains('-') {
            return Err(CoreError::InvalidPair(s.to_string()));
        }
        let base = Asset::new(b).map_err(|_| CoreError::InvalidPair(s.to_string()))?;
        let quote = Asset::new(q).map_err(|_| CoreError::InvalidPair(s.to_string()))?;
        if base == quote {
            return Err(CoreError::InvalidPair(s.to_string()));
        }
        Ok(Self { base, quote })
    }
}

impl TryFrom<String> for Pair {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Pair> for String {
    fn from(p: Pair) -> String {
        p.to_string()
    }
}

impl fmt::Display for Pair {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.base, self.quote)
    }
}

/// Buy or sell the base asset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    pub fn opposite(self) -> Self {
        match self {
            Side::Buy => Side::Sell,
            Side::Sell => Side::Buy,
        }
    }

    /// +1 for a buy, -1 for a sell: the sign of the base amount a fill of this side adds to a
    /// position.
    pub fn position_sign(self) -> rust_decimal::Decimal {
        match self {
            Side::Buy => rust_decimal::Decimal::ONE,
            Side::Sell => rust_decimal::Decimal::NEGATIVE_ONE,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Buy => "buy",
            Side::Sell => "sell",
        }
    }
}

impl FromStr for Side {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "buy" | "bid" | "b" => Ok(Side::Buy),
            "sell" | "ask" | "s" => Ok(Side::Sell),
            _ => Err(CoreError::InvalidSide(s.to_string())),
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_parse_and_print() {
        let p: Pair = "eth-usdt".parse().unwrap();
        assert_eq!(p.to_string(), "ETH-USDT");
        assert_eq!(p.inverse().to_string(), "USDT-ETH");
        for bad in ["ETHUSDT", "ETH-", "-USDT", "ETH-USDT-X", "ETH-ETH", ""] {
            assert!(bad.parse::<Pair>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sides_parse() {
        assert_eq!("BUY".parse::<Side>().unwrap(), Side::Buy);
        assert_eq!("sell".parse::<Side>().unwrap().opposite(), Side::Buy);
        assert!("hold".parse::<Side>().is_err());
    }
}
