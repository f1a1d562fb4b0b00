//! The tokens an AMM connector knows: from the chain spec, from a deployment manifest, or read from
//! the chain for an address given directly. The native asset (ETH) trades as its wrapped token.

use std::collections::BTreeMap;

use alloy::primitives::Address;
use alloy::providers::DynProvider;

use super::rpc::{ReadCall, batch_read};
use crate::amm::AmmError;
use crate::chain::deployment::Manifest;
use crate::chain::spec::ChainSpec;
use crate::core::{Asset, Token, TokenId};

use super::abi::IERC20 as IErc20Metadata;

/// Symbol ↔ token for one chain.
#[derive(Debug, Clone, Default)]
pub struct TokenBook {
    chain: String,
    by_symbol: BTreeMap<String, Token>,
    native_symbol: Option<String>,
}

impl TokenBook {
    pub fn new(chain: &str) -> Self {
        Self {
            chain: chain.to_string(),
            ..Self::default()
        }
    }

    /// The spec's EVM tokens; the native asset resolves to `W<native>` when the spec lists it.
    pub fn from_chain_spec(spec: &ChainSpec) -> Self {
        let mut book = Self::new(&spec.name);
        // Pools hold ERC-20s only: the native coin and anything else are not inserted.
        for t in &spec.tokens {
            if let Ok(token) = spec.token_of(t) {
                book.insert(token);
            }
        }
        book.native_symbol = Some(spec.native.symbol.to_ascii_uppercase());
        book
    }

    /// Adds the tokens of a local deployment manifest (`sluice anvil`, the test environment).
    pub fn add_manifest(&mut self, manifest: &Manifest) {
        for t in manifest.tokens.values() {
            if let Ok(symbol) = Asset::new(&t.symbol) {
                self.insert(Token {
                    symbol,
                    decimals: t.decimals,
                    chain: self.chain.clone(),
                    id: TokenId::Erc20(t.address),
                });
            }
        }
    }

    /// Sets the chain's native asset symbol (it then resolves to `W<symbol>`).
    pub fn set_native(&mut self, symbol: &str) {
        self.native_symbol = Some(symbol.to_ascii_uppercase());
    }

    pub fn chain(&self) -> &str {
        &self.chain
    }

    /// The chain's native asset symbol (upper case), if set.
    pub fn native_symbol(&self) -> Option<&str> {
        self.native_symbol.as_deref()
    }

    /// Whether `symbol` names the native asset itself (ETH), which trades as its wrapped token
    /// but is paid and received as native coin: the router wraps and unwraps it.
    pub fn is_native(&self, symbol: &str) -> bool {
        let upper = symbol.to_ascii_uppercase();
        self.native_symbol.as_deref() == Some(upper.as_str())
            && !self.by_symbol.contains_key(&upper)
            && self.wrapped_native().is_some()
    }

    /// Adds or replaces a token (by symbol). Tokens without an address are ignored: pools hold
    /// ERC-20s only.
    pub fn insert(&mut self, token: Token) {
        if token.erc20().is_some() {
            self.by_symbol
                .insert(token.symbol.as_str().to_string(), token);
        }
    }

    /// The token traded for a symbol; the native asset maps to its wrapped token.
    pub fn by_symbol(&self, symbol: &str) -> Option<&Token> {
        let upper = symbol.to_ascii_uppercase();
        if let Some(t) = self.by_symbol.get(&upper) {
            return Some(t);
        }
        if self.native_symbol.as_deref() == Some(upper.as_str()) {
            return self.by_symbol.get(&format!("W{upper}"));
        }
        None
    }

    pub fn by_address(&self, address: Address) -> Option<&Token> {
        self.by_symbol.values().find(|t| t.erc20() == Some(address))
    }

    /// The wrapped native token, if known.
    pub fn wrapped_native(&self) -> Option<&Token> {
        let native = self.native_symbol.as_deref()?;
        self.by_symbol.get(&format!("W{native}"))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Token> {
        self.by_symbol.values()
    }

    /// Resolves a symbol or a `0x` address; an unknown address is read from the chain (ERC-20
    /// `symbol` and `decimals`) and remembered.
    pub async fn resolve(&mut self, provider: &DynProvider, text: &str) -> Result<Token, AmmError> {
        let text = text.trim();
        if text.starts_with("0x") || text.starts_with("0X") {
            let address: Address = text
                .parse()
                .map_err(|_| AmmError::UnknownToken(text.to_string()))?;
            if let Some(t) = self.by_address(address) {
                return Ok(t.clone());
            }
            let token = fetch_token(provider, &self.chain, address).await?;
            self.insert(token.clone());
            return Ok(token);
        }
        self.by_symbol(text)
            .cloned()
            .ok_or_else(|| AmmError::UnknownToken(text.to_string()))
    }
}

/// Reads an ERC-20's symbol and decimals (one batched round trip).
pub async fn fetch_token(
    provider: &DynProvider,
    chain: &str,
    address: Address,
) -> Result<Token, AmmError> {
    let block = super::head(provider).await?.number;
    let calls = [
        ReadCall::new(address, &IErc20Metadata::symbolCall {}),
        ReadCall::new(address, &IErc20Metadata::decimalsCall {}),
    ];
    let mut r = batch_read(provider, &calls, block).await?;
    let unknown = |_| AmmError::UnknownToken(address.to_string());
    let symbol = r
        .next_decoded::<IErc20Metadata::symbolCall>(address, "symbol")
        .map_err(unknown)?;
    let decimals = r
        .next_decoded::<IErc20Metadata::decimalsCall>(address, "decimals")
        .map_err(unknown)?;
    // A symbol that is not a valid asset name is replaced by the address's first bytes.
    let symbol = Asset::new(&symbol)
        .or_else(|_| Asset::new(&format!("T{}", &hex::encode(address.as_slice())[..8])))
        .map_err(|_| AmmError::UnknownToken(address.to_string()))?;
    Ok(Token {
        symbol,
        decimals,
        chain: chain.to_string(),
        id: TokenId::Erc20(address),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(symbol: &str, byte: u8) -> Token {
        Token {
            symbol: Asset::new(symbol).unwrap(),
            decimals: 18,
            chain: "anvil".into(),
            id: TokenId::Erc20(Address::repeat_byte(byte)),
        }
    }

    #[test]
    fn native_resolves_to_wrapped() {
        let mut book = TokenBook::new("anvil");
        book.native_symbol = Some("ETH".into());
        book.insert(token("WETH", 1));
        book.insert(token("USDC", 2));
        assert_eq!(book.by_symbol("eth").unwrap().symbol.as_str(), "WETH");
        assert_eq!(
            book.by_symbol("usdc").unwrap().erc20(),
            Some(Address::repeat_byte(2))
        );
        assert!(book.by_symbol("DAI").is_none());
        assert_eq!(
            book.by_address(Address::repeat_byte(2))
                .unwrap()
                .symbol
                .as_str(),
            "USDC"
        );
        assert_eq!(book.wrapped_native().unwrap().symbol.as_str(), "WETH");
        assert!(book.is_native("eth") && book.is_native("ETH"));
        assert!(!book.is_native("WETH") && !book.is_native("USDC"));
        assert_eq!(book.native_symbol(), Some("ETH"));
        // Without its wrapped token the native asset cannot trade.
        let mut bare = TokenBook::new("anvil");
        bare.set_native("ETH");
        assert!(!bare.is_native("ETH"));
    }
}
