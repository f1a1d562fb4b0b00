//! A wallet's accounts on a given chain: the key of account `index` under the chain's `key_path`,
//! its address in the chain's format, and ready signers (alloy for EVM chains, with the chain id
//! set; [`CosmosSigner`] for Cosmos chains). This is what connectors use to sign.

use alloy::signers::Signer;
use alloy::signers::local::PrivateKeySigner;
use thiserror::Error;

use super::cosmos_signer::CosmosSigner;
use super::derivation::{self, DerivationError, DerivationPath};
use super::keys::{KeyError, PrivateKey};
use super::store::{StoreError, UnlockedWallet};
use crate::chain::{ChainFamily, ChainSpec};

#[derive(Debug, Error)]
pub enum AccountError {
    #[error("chain {0:?} is not an EVM chain")]
    NotEvm(String),
    #[error("chain {0:?} is not a Cosmos chain")]
    NotCosmos(String),
    #[error("chain {0:?} has no bech32_prefix in its spec")]
    NoBech32Prefix(String),
    #[error(transparent)]
    Derivation(#[from] DerivationError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One account of a wallet on one chain.
#[derive(Debug)]
pub struct ChainAccount {
    /// The derivation path, or `None` for a single-key wallet.
    pub path: Option<DerivationPath>,
    pub key: PrivateKey,
    /// EIP-55 (EVM) or bech32 (Cosmos) address.
    pub address: String,
}

impl UnlockedWallet {
    /// Account `index` on `chain`: path `key_path/index` (a single-key wallet has only index 0).
    pub fn account(&self, chain: &ChainSpec, index: u64) -> Result<ChainAccount, AccountError> {
        let path = derivation::account_path(&chain.key_path, index)?;
        let path = match self {
            UnlockedWallet::Mnemonic { .. } => Some(path),
            UnlockedWallet::PrivateKey { .. } if index == 0 => None,
            UnlockedWallet::PrivateKey { name, .. } => {
                return Err(StoreError::SingleKey(name.clone()).into());
            }
        };
        self.account_at(chain, path)
    }

    /// The account at an explicit path (experts), or the single key when `path` is `None`.
    pub fn account_at(
        &self,
        chain: &ChainSpec,
        path: Option<DerivationPath>,
    ) -> Result<ChainAccount, AccountError> {
        let key = self.key_at(path.as_ref())?;
        let address = match chain.family {
            ChainFamily::Evm => key.evm_address().to_checksum(None),
            ChainFamily::Cosmos => {
                let hrp = chain
                    .bech32_prefix
                    .as_deref()
                    .ok_or_else(|| AccountError::NoBech32Prefix(chain.name.clone()))?;
                key.cosmos_address(hrp)?
            }
        };
        Ok(ChainAccount { path, key, address })
    }

    /// An alloy signer for account `index` on an EVM chain, with the chain id set (EIP-155).
    pub fn evm_signer(
        &self,
        chain: &ChainSpec,
        index: u64,
    ) -> Result<PrivateKeySigner, AccountError> {
        let chain_id = chain
            .evm_chain_id()
            .ok_or_else(|| AccountError::NotEvm(chain.name.clone()))?;
        let signer = self.account(chain, index)?.key.evm_signer();
        Ok(signer.with_chain_id(Some(chain_id)))
    }

    /// A Cosmos signer for account `index` on a Cosmos chain.
    pub fn cosmos_signer(
        &self,
        chain: &ChainSpec,
        index: u64,
    ) -> Result<CosmosSigner, AccountError> {
        if chain.family != ChainFamily::Cosmos {
            return Err(AccountError::NotCosmos(chain.name.clone()));
        }
        Ok(self.account(chain, index)?.key.cosmos_signer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use crate::wallet::{Mnemonic, SecretString};

    fn anvil_wallet() -> UnlockedWallet {
        UnlockedWallet::Mnemonic {
            name: "dev".into(),
            mnemonic: Mnemonic::parse(
                "test test test test test test test test test test test junk",
            )
            .unwrap(),
            passphrase: SecretString::default(),
        }
    }

    #[test]
    fn accounts_per_chain() {
        let specs = ChainSpecs::builtin().unwrap();
        let w = anvil_wallet();
        let eth = specs.get("ethereum").unwrap();
        let a = w.account(eth, 1).unwrap();
        assert_eq!(a.address, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
        assert_eq!(a.path.unwrap().to_string(), "m/44'/60'/0'/0/1");
        let signer = w.evm_signer(specs.get("xdai").unwrap(), 0).unwrap();
        assert_eq!(signer.chain_id(), Some(100));
        let terra = specs.get("terra").unwrap();
        assert_eq!(
            w.account(terra, 0).unwrap().address,
            "terra1a72m2f0c7dayav5ly4zkzwafkdn3fmkmvwv47f"
        );
        assert!(w.cosmos_signer(terra, 0).is_ok());
        assert!(matches!(
            w.evm_signer(terra, 0),
            Err(AccountError::NotEvm(_))
        ));
        assert!(matches!(
            w.cosmos_signer(eth, 0),
            Err(AccountError::NotCosmos(_))
        ));
        assert!(w.account(eth, 1 << 31).is_err());
    }

    #[test]
    fn single_key_wallet_has_only_index_zero() {
        let specs = ChainSpecs::builtin().unwrap();
        let eth = specs.get("ethereum").unwrap();
        let w = UnlockedWallet::PrivateKey {
            name: "k".into(),
            key: PrivateKey::from_hex(&"11".repeat(32)).unwrap(),
        };
        let a = w.account(eth, 0).unwrap();
        assert!(a.path.is_none());
        assert!(matches!(
            w.account(eth, 1),
            Err(AccountError::Store(StoreError::SingleKey(_)))
        ));
    }
}
