//! `mento@<chain>` builds itself through the shared EVM AMM connector
//! ([`crate::amm::evm::evm_connect::EvmAmmConnector`]): only where the Mento contracts are is its
//! own (a deployment manifest's, else the chain spec's `[protocols.mento]`).

use super::connector::{MentoContracts, MentoModel};
use crate::amm::AmmError;
use crate::amm::evm::evm_connect::{EvmAmmConnector, ModelFromChain};
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;

/// The Mento connector (its line in `src/connectors.rs`).
pub static MENTO: EvmAmmConnector<MentoModel> = EvmAmmConnector::new();

impl ModelFromChain for MentoModel {
    fn from_chain(manifest: Option<&Manifest>, chain: &ChainSpec) -> Result<Self, AmmError> {
        let contracts = match manifest.and_then(MentoContracts::from_manifest) {
            Some(c) => c,
            None => MentoContracts::from_chain_spec(chain)?,
        };
        Ok(Self::new(contracts))
    }
}
