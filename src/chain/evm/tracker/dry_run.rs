//! Signing without broadcasting (dry runs): the transaction completed exactly as
//! [`TxTracker::send`] completes it (gas, fees, chain id), signed with the account's next nonce,
//! and returned. The nonce is leased during the send turn and released, so the nonce manager
//! gives it to the next real send; nothing is recorded, broadcast or followed.

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::rpc::types::TransactionRequest;

use super::{Fees, TxTracker, complete, sign_with_next_nonce};
use crate::chain::evm::error::EvmError;

/// A transaction signed as [`TxTracker::send`] would sign it, not sent.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedOnly {
    pub hash: B256,
    /// EIP-2718 bytes, as `eth_sendRawTransaction` takes them.
    pub raw: Bytes,
    pub chain_id: u64,
    pub from: Address,
    pub to: Option<Address>,
    pub nonce: u64,
    pub gas: u64,
    pub fees: Fees,
    pub value: U256,
    pub input: Bytes,
}

/// Hash, nonce and destination only: the raw bytes are a transaction anyone could broadcast.
impl std::fmt::Debug for SignedOnly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedOnly")
            .field("hash", &self.hash)
            .field("nonce", &self.nonce)
            .field("to", &self.to)
            .finish()
    }
}

impl TxTracker {
    /// Completes and signs `tx` with the next nonce as [`TxTracker::send`] would, without
    /// broadcasting it: the nonce is released (not consumed), no hook is called and nothing is
    /// followed.
    pub async fn sign_only(&self, tx: TransactionRequest) -> Result<SignedOnly, EvmError> {
        let inner = &self.inner;
        let (mut tx, fees) = complete(inner, tx).await?;
        let turn = inner.nonces.send_turn().await;
        let (lease, hash, raw) = sign_with_next_nonce(inner, &mut tx, fees).await?;
        let nonce = lease.nonce();
        lease.release();
        drop(turn);
        Ok(SignedOnly {
            hash,
            raw,
            chain_id: inner.client.chain_id(),
            from: inner.account,
            to: tx.to.and_then(|k| k.to().copied()),
            nonce,
            gas: tx.gas.unwrap_or_default(),
            fees,
            value: tx.value.unwrap_or_default(),
            input: tx.input.input().cloned().unwrap_or_default(),
        })
    }
}
