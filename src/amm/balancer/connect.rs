//! `balancer@<chain>` builds itself through the shared EVM AMM connector
//! ([`crate::amm::evm::evm_connect::EvmAmmConnector`]): only where the Vault is is its own (the
//! manifest's deployment, else the chain spec's `[protocols.balancer_v2]`).

use super::connector::{BalancerContracts, BalancerModel};
use crate::amm::AmmError;
use crate::amm::evm::evm_connect::{EvmAmmConnector, ModelFromChain};
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;

/// The Balancer V2 connector (its line in `src/connectors.rs`).
pub static BALANCER: EvmAmmConnector<BalancerModel> = EvmAmmConnector::new();

impl ModelFromChain for BalancerModel {
    fn from_chain(manifest: Option<&Manifest>, chain: &ChainSpec) -> Result<Self, AmmError> {
        let contracts = match manifest.and_then(BalancerContracts::from_manifest) {
            Some(c) => c,
            None => BalancerContracts::from_chain_spec(chain)?,
        };
        Ok(Self::new(contracts))
    }
}
