//! `uniswap_v3@<chain>` builds itself through the shared EVM AMM connector
//! ([`crate::amm::evm::evm_connect::EvmAmmConnector`]): only where the v3 contracts are is its own.

use super::connector::{V3Contracts, V3Model};
use crate::amm::AmmError;
use crate::amm::evm::evm_connect::{EvmAmmConnector, ModelFromChain};
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;

/// The Uniswap v3 connector (its line in `src/connectors.rs`).
pub static UNISWAP_V3: EvmAmmConnector<V3Model> = EvmAmmConnector::new();

impl ModelFromChain for V3Model {
    fn from_chain(manifest: Option<&Manifest>, chain: &ChainSpec) -> Result<Self, AmmError> {
        let contracts = match manifest {
            Some(m) => V3Contracts::from(m),
            None => V3Contracts::from_chain_spec(chain)?,
        };
        Ok(Self::new(contracts))
    }
}
