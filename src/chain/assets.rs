//! A chain spec's assets as chain-neutral [`Token`]s: each identified in its chain family's own form
//! (the EVM native coin, an ERC-20 address, a Cosmos bank denom, a CW20 contract).

use thiserror::Error;

use super::{ChainFamily, ChainSpec, TokenSpec};
use crate::core::{Asset, CoreError, Token, TokenId};

/// A spec entry that does not make a token (the spec's loader checks addresses, so this names a
/// symbol or id a hand-built spec got wrong).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("chain {chain}: asset {symbol:?}: {reason}")]
pub struct AssetError {
    pub chain: String,
    pub symbol: String,
    pub reason: String,
}

impl ChainSpec {
    /// The chain's native coin as a token: [`TokenId::EvmNative`] on an EVM chain, its bank denom on
    /// a Cosmos chain.
    pub fn native_token(&self) -> Result<Token, AssetError> {
        let err = |e: CoreError| AssetError {
            chain: self.name.clone(),
            symbol: self.native.symbol.clone(),
            reason: e.to_string(),
        };
        let id = match (self.family, &self.native.denom) {
            (ChainFamily::Evm, _) => TokenId::EvmNative,
            (ChainFamily::Cosmos, Some(denom)) => TokenId::denom(denom).map_err(err)?,
            (ChainFamily::Cosmos, None) => {
                return Err(err(CoreError::InvalidTokenId(
                    "a Cosmos chain's native asset needs its bank denom".into(),
                )));
            }
        };
        Ok(Token {
            symbol: Asset::new(&self.native.symbol).map_err(err)?,
            decimals: self.native.decimals,
            chain: self.name.clone(),
            id,
        })
    }

    /// One listed token in its family's form: an ERC-20 on an EVM chain; a bank denom or a CW20
    /// contract (with the chain's bech32 prefix) on a Cosmos chain.
    pub fn token_of(&self, spec: &TokenSpec) -> Result<Token, AssetError> {
        let err = |e: CoreError| AssetError {
            chain: self.name.clone(),
            symbol: spec.symbol.clone(),
            reason: e.to_string(),
        };
        let bad = |what: &str| err(CoreError::InvalidTokenId(what.to_string()));
        let id = match (self.family, &spec.address, &spec.denom) {
            (ChainFamily::Evm, Some(a), None) => TokenId::Erc20(
                a.parse()
                    .map_err(|e| bad(&format!("{a:?} is not an EVM address: {e}")))?,
            ),
            (ChainFamily::Cosmos, Some(a), None) => {
                let prefix = self.bech32_prefix.as_deref().unwrap_or_default();
                TokenId::cw20(a, prefix).map_err(err)?
            }
            (ChainFamily::Cosmos, None, Some(d)) => TokenId::denom(d).map_err(err)?,
            (ChainFamily::Evm, None, Some(_)) => {
                return Err(bad("an EVM token needs an address, not a denom"));
            }
            _ => return Err(bad("needs exactly one of an address or a denom")),
        };
        Ok(Token {
            symbol: Asset::new(&spec.symbol).map_err(err)?,
            decimals: spec.decimals,
            chain: self.name.clone(),
            id,
        })
    }

    /// Every asset the spec names: the native coin first, then the listed tokens in order (a listed
    /// token with the native coin's id, such as a Cosmos chain listing its own denom, appears once).
    pub fn assets(&self) -> Result<Vec<Token>, AssetError> {
        let mut out = vec![self.native_token()?];
        for spec in &self.tokens {
            let token = self.token_of(spec)?;
            if !out.iter().any(|t| t.id == token.id) {
                out.push(token);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;

    fn spec(name: &str) -> ChainSpec {
        ChainSpecs::builtin()
            .expect("builtin specs")
            .get(name)
            .expect("spec")
            .clone()
    }

    #[test]
    fn evm_chains_name_assets_by_contract_and_the_native_coin_apart() {
        let eth = spec("ethereum").assets().unwrap();
        assert_eq!(eth[0].id, TokenId::EvmNative);
        assert_eq!(eth[0].symbol.as_str(), "ETH");
        let usdc = eth.iter().find(|t| t.symbol.as_str() == "USDC").unwrap();
        assert_eq!(
            usdc.id,
            TokenId::Erc20(
                "0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"
                    .parse()
                    .unwrap()
            )
        );
        assert_eq!(usdc.decimals, 6);
        assert!(eth[1..].iter().all(|t| t.erc20().is_some()));
    }

    #[test]
    fn cosmos_chains_name_coins_by_denom() {
        for name in ["terra", "terra_classic"] {
            let s = spec(name);
            let assets = s.assets().unwrap();
            let native = &assets[0];
            assert_eq!(native.id, TokenId::Denom("uluna".into()), "{name}");
            assert!(native.is_native() && native.erc20().is_none());
            // The native denom listed again among the tokens is not a second asset.
            assert_eq!(
                assets.iter().filter(|t| t.id == native.id).count(),
                1,
                "{name}"
            );
            for t in &assets {
                assert!(
                    matches!(t.id, TokenId::Denom(_) | TokenId::Cw20(_)),
                    "{name}: {t:?}"
                );
            }
        }
        let classic = spec("terra_classic").assets().unwrap();
        assert!(
            classic
                .iter()
                .any(|t| t.id == TokenId::Denom("uusd".into()))
        );
    }

    #[test]
    fn a_cw20_entry_must_carry_the_chains_prefix() {
        let mut s = spec("terra");
        s.tokens.push(TokenSpec {
            symbol: "ASTRO".into(),
            decimals: 6,
            address: Some(
                "terra1nsuqsk6kh58ulczatwev87ttq2z6r3pusulg9r24mfj2fvtzd4uq3exn26".into(),
            ),
            denom: None,
        });
        let astro = s.assets().unwrap().pop().unwrap();
        assert!(matches!(astro.id, TokenId::Cw20(_)) && !astro.is_native());
        s.bech32_prefix = Some("cosmos".into());
        let e = s.assets().unwrap_err();
        assert_eq!(e.symbol, "ASTRO");
        assert!(e.to_string().contains("prefix"), "{e}");
    }

    #[test]
    fn a_denom_on_an_evm_chain_is_refused() {
        let mut s = spec("ethereum");
        s.tokens.push(TokenSpec {
            symbol: "LUNA".into(),
            decimals: 6,
            address: None,
            denom: Some("uluna".into()),
        });
        let e = s.assets().unwrap_err();
        assert!(e.to_string().contains("needs an address"), "{e}");
    }
}
