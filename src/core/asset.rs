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

/// Where an asset lives on its chain, in that chain family's own form.
///
/// EVM chains name a token by its contract address and have one native coin; Cosmos SDK chains name
/// coins by bank denom (the native coin included) and CW20 tokens by their bech32 contract address.
/// JSON form, externally tagged: `"evm_native"`, `{"erc20":"0x…"}`,
/// `{"denom":"uluna"}`, `{"cw20":"terra1…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenId {
    /// The native coin of an EVM chain (ETH, xDAI, CELO), paid as `value`.
    EvmNative,
    /// An ERC-20 contract.
    Erc20(Address),
    /// A Cosmos SDK bank denom (`uluna`, `uusd`, `ibc/…`, `factory/…`).
    Denom(String),
    /// A CW20 contract on a Cosmos chain, bech32 (`terra1…`).
    Cw20(String),
}

impl TokenId {
    /// A bank denom, checked against the Cosmos SDK's rule: a letter, then 2 to 127 of letters,
    /// digits, `/`, `:`, `.`, `_` or `-`.
    pub fn denom(denom: &str) -> Result<Self, CoreError> {
        let mut chars = denom.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
        let rest_ok =
            chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | ':' | '.' | '_' | '-'));
        if first_ok && rest_ok && (3..=128).contains(&denom.len()) {
            Ok(Self::Denom(denom.to_string()))
        } else {
            Err(CoreError::InvalidTokenId(format!(
                "{denom:?} is not a bank denom (a letter, then 2-127 of letters, digits, '/', ':', '.', '_', '-')"
            )))
        }
    }

    /// A CW20 contract address: valid bech32 (checksum included) with the chain's prefix.
    pub fn cw20(address: &str, prefix: &str) -> Result<Self, CoreError> {
        let (hrp, data) = bech32::decode(address).map_err(|e| {
            CoreError::InvalidTokenId(format!("{address:?} is not a bech32 address: {e}"))
        })?;
        if hrp.as_str() != prefix {
            return Err(CoreError::InvalidTokenId(format!(
                "{address:?} has prefix {:?}, the chain's is {prefix:?}",
                hrp.as_str()
            )));
        }
        if data.len() != 20 && data.len() != 32 {
            return Err(CoreError::InvalidTokenId(format!(
                "{address:?} holds {} bytes: an account or contract address holds 20 or 32",
                data.len()
            )));
        }
        Ok(Self::Cw20(address.to_ascii_lowercase()))
    }

    /// The ERC-20 contract, if this is one.
    pub fn erc20(&self) -> Option<Address> {
        match self {
            Self::Erc20(a) => Some(*a),
            _ => None,
        }
    }

    /// The chain's native coin, or a bank denom: nothing to approve, held by the account itself.
    pub fn is_native(&self) -> bool {
        matches!(self, Self::EvmNative | Self::Denom(_))
    }
}

impl fmt::Display for TokenId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EvmNative => f.write_str("native"),
            Self::Erc20(a) => write!(f, "{a}"),
            Self::Denom(d) => f.write_str(d),
            Self::Cw20(c) => f.write_str(c),
        }
    }
}

/// An asset as it exists on one chain: its symbol, decimals and the chain's own id of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Token {
    pub symbol: Asset,
    pub decimals: u8,
    pub chain: String,
    pub id: TokenId,
}

impl Token {
    /// The chain's native coin or a bank denom (see [`TokenId::is_native`]).
    pub fn is_native(&self) -> bool {
        self.id.is_native()
    }

    /// The ERC-20 contract of an EVM token; `None` for a native coin and for Cosmos assets.
    pub fn erc20(&self) -> Option<Address> {
        self.id.erc20()
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

    #[test]
    fn denoms_follow_the_sdk_rule() {
        assert_eq!(
            TokenId::denom("uluna").unwrap(),
            TokenId::Denom("uluna".into())
        );
        assert!(
            TokenId::denom("ibc/27394FB092D2ECCD56123C74F36E4C1F926001CEADA9CA97EA622B25F41E5EB2")
                .is_ok()
        );
        assert!(TokenId::denom("factory/terra1abc/x.y-z_1:2").is_ok());
        for bad in ["", "ul", "1uluna", "u luna", "uluna!", &"u".repeat(129)] {
            assert!(TokenId::denom(bad).is_err(), "{bad:?} accepted");
        }
        assert!(TokenId::denom(&"u".repeat(128)).is_ok());
    }

    #[test]
    fn cw20_addresses_are_checked_bech32_with_the_chains_prefix() {
        // Astroport's ASTRO token on phoenix-1 (32-byte contract address).
        let astro = "terra1nsuqsk6kh58ulczatwev87ttq2z6r3pusulg9r24mfj2fvtzd4uq3exn26";
        assert_eq!(
            TokenId::cw20(astro, "terra").unwrap(),
            TokenId::Cw20(astro.into())
        );
        // A 20-byte account-style address is accepted too.
        let acct = "terra1x46rqay4d3cssq8gxxvqz8xt6nwlz4td20k38v";
        assert!(TokenId::cw20(acct, "terra").is_ok());
        // Wrong prefix, broken checksum, not bech32.
        assert!(TokenId::cw20(astro, "cosmos").is_err());
        let mut broken = astro.to_string();
        broken.replace_range(20..21, if &astro[20..21] == "q" { "p" } else { "q" });
        assert!(TokenId::cw20(&broken, "terra").is_err());
        assert!(TokenId::cw20("0x6B175474E89094C44Da98b954EedeAC495271d0F", "terra").is_err());
    }

    #[test]
    fn ids_serialize_tagged_by_family() {
        let dai: Address = "0x6B175474E89094C44Da98b954EedeAC495271d0F"
            .parse()
            .unwrap();
        let cases = [
            (TokenId::EvmNative, r#""evm_native""#.to_string()),
            (TokenId::Erc20(dai), format!(r#"{{"erc20":"{dai:#x}"}}"#)),
            (
                TokenId::Denom("uluna".into()),
                r#"{"denom":"uluna"}"#.to_string(),
            ),
        ];
        for (id, json) in cases {
            assert_eq!(serde_json::to_string(&id).unwrap(), json);
            assert_eq!(serde_json::from_str::<TokenId>(&json).unwrap(), id);
        }
        assert!(TokenId::EvmNative.is_native() && TokenId::Denom("uluna".into()).is_native());
        assert!(!TokenId::Erc20(dai).is_native() && !TokenId::Cw20("terra1x".into()).is_native());
        assert_eq!(TokenId::Erc20(dai).erc20(), Some(dai));
        assert_eq!(TokenId::Cw20("terra1x".into()).erc20(), None);
    }
}
