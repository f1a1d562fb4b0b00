//! Sends the deployment transactions: contract creations and calls from the deployer account, each
//! checked for success, with receipts read right away (the node automines).

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::sol_types::SolCall;
use alloy::transports::TransportError;

use super::artifacts::{Artifact, ArtifactError};

/// Errors while deploying and seeding the protocols.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error(transparent)]
    Anvil(#[from] crate::anvil::AnvilError),
    #[error("{what}: RPC failed: {source}")]
    Rpc {
        what: String,
        source: TransportError,
    },
    #[error("{what}: transaction {tx} reverted")]
    Reverted { what: String, tx: String },
    #[error("{what}: {reason}")]
    Unexpected { what: String, reason: String },
    #[error("manifest or snapshot file {path}: {reason}")]
    File { path: String, reason: String },
}

impl DeployError {
    pub(crate) fn unexpected(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Unexpected {
            what: what.into(),
            reason: reason.into(),
        }
    }
}

/// Deploys and calls from one account through a provider whose wallet holds that account's key.
#[derive(Debug, Clone)]
pub struct Deployer {
    provider: DynProvider,
    from: Address,
}

impl Deployer {
    pub fn new(provider: DynProvider, from: Address) -> Self {
        Self { provider, from }
    }

    pub fn from(&self) -> Address {
        self.from
    }

    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// A deadline far in the future, for router calls.
    pub fn deadline() -> U256 {
        U256::from(u64::MAX / 2)
    }

    /// Creates a contract from `artifact` with ABI-encoded constructor `args`; returns its address.
    pub async fn deploy(
        &self,
        what: &str,
        artifact: &Artifact,
        args: &[u8],
    ) -> Result<Address, DeployError> {
        let mut code = artifact.bytecode()?.to_vec();
        code.extend_from_slice(args);
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_deploy_code(Bytes::from(code));
        let receipt = self.send(what, tx).await?;
        receipt.contract_address.ok_or_else(|| {
            DeployError::unexpected(what, "creation receipt has no contract address")
        })
    }

    /// Sends `call` to `to` (with `value` wei) and returns the successful receipt.
    pub async fn call<C: SolCall>(
        &self,
        what: &str,
        to: Address,
        call: &C,
    ) -> Result<TransactionReceipt, DeployError> {
        self.call_with_value(what, to, call, U256::ZERO).await
    }

    pub async fn call_with_value<C: SolCall>(
        &self,
        what: &str,
        to: Address,
        call: &C,
        value: U256,
    ) -> Result<TransactionReceipt, DeployError> {
        let tx = TransactionRequest::default()
            .with_from(self.from)
            .with_to(to)
            .with_value(value)
            .with_input(call.abi_encode());
        self.send(what, tx).await
    }

    /// `eth_call` of `call` on `to`, decoded.
    pub async fn read<C: SolCall>(
        &self,
        what: &str,
        to: Address,
        call: &C,
    ) -> Result<C::Return, DeployError> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        let out = self
            .provider
            .call(tx)
            .await
            .map_err(|source| DeployError::Rpc {
                what: what.to_string(),
                source,
            })?;
        C::abi_decode_returns(&out).map_err(|e| DeployError::unexpected(what, e.to_string()))
    }

    /// Sends a transaction and returns its receipt, failing when it reverted.
    pub async fn send(
        &self,
        what: &str,
        tx: TransactionRequest,
    ) -> Result<TransactionReceipt, DeployError> {
        let rpc = |source| DeployError::Rpc {
            what: what.to_string(),
            source,
        };
        // The node's estimate plus a margin, as the live EVM layer does: a v3 mint costs more when
        // the block it lands in has a later timestamp than the one it was estimated on (the oracle
        // values it writes are no longer zero), and on a loaded machine a second often passes in
        // between; without the margin such a mint ran out of gas in about one snapshot build of
        // three.
        let tx = if tx.gas.is_none() {
            let estimate = self.provider.estimate_gas(tx.clone()).await.map_err(rpc)?;
            tx.with_gas_limit(estimate + estimate / 4)
        } else {
            tx
        };
        let pending = self.provider.send_transaction(tx).await.map_err(rpc)?;
        let hash = *pending.tx_hash();
        // The node automines, so the receipt normally exists as soon as the send returns.
        let receipt = match self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(rpc)?
        {
            Some(r) => r,
            None => pending
                .get_receipt()
                .await
                .map_err(|e| DeployError::unexpected(what, e.to_string()))?,
        };
        if !receipt.status() {
            return Err(DeployError::Reverted {
                what: what.to_string(),
                tx: hash.to_string(),
            });
        }
        Ok(receipt)
    }
}
