//! `uniswap_v2@<chain>` builds itself through the shared EVM AMM connector
//! ([`crate::amm::evm::evm_connect::EvmAmmConnector`]): only where the v2 contracts are is its own.

use super::connector::{V2Contracts, V2Model};
use crate::amm::AmmError;
use crate::amm::evm::evm_connect::{EvmAmmConnector, ModelFromChain};
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;

/// The Uniswap v2 connector (its line in `src/connectors.rs`).
pub static UNISWAP_V2: EvmAmmConnector<V2Model> = EvmAmmConnector::new();

impl ModelFromChain for V2Model {
    fn from_chain(manifest: Option<&Manifest>, chain: &ChainSpec) -> Result<Self, AmmError> {
        let contracts = match manifest {
            Some(m) => V2Contracts::from(m),
            None => V2Contracts::from_chain_spec(chain)?,
        };
        Ok(Self::new(contracts))
    }
}
