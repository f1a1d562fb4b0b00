//! Assets (a symbol such as `ETH`) and tokens (an asset on a chain with its decimals and address).

use std::fmt;
use std::str::FromStr;

use alloy::primitives::Address;
use serde::{Deserialize, Serialize};

use super::CoreError;

/// An asset symbol, upper-cased (`ETH`, `USDT`, `WETH`). Venues map their own spellings onto it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Asset(String);

impl Asset {
    /// Parses a symbol: 1 to 20 characters of letters, digits, `.`, `_` or `/`; stored upper-case.
    pub fn new(symbol: &str) -> Result<Self, CoreError> {
        let ok = !symbol.is_empty()
            && symbol.len() <= 20
            && symbol
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '/'));
        if ok {
            Ok(Self(symbol.to_ascii_uppercase()))
        } else {
            Err(CoreError::InvalidAsset(symbol.to_string()))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Asset {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl TryFrom<String> for Asset {
    type Error = CoreError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::new(&s)
    }
}

impl From<Asset> for String {
    fn from(a: Asset) -> String {
        a.0
    }
}

impl fmt::Display for Asset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An asset as it exists on one chain: its decimals and, for contract tokens, its address
/// (`None` for the chain's native asset).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Token {
    pub symbol: Asset,
    pub decimals: u8,
    pub chain: String,
    pub address: Option<Address>,
}

impl Token {
    pub fn is_native(&self) -> bool {
        self.address.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_uppercased_and_checked() {
        assert_eq!(Asset::new("eth").unwrap().as_str(), "ETH");
        assert!(Asset::new("").is_err());
        assert!(Asset::new("ETH-USDT").is_err());
        assert!(Asset::new("A".repeat(21).as_str()).is_err());
        assert!(Asset::new("USDC.e").is_ok());
    }
}
