//! alloy's transaction traits for [`TxCip64`], so that any alloy signer (a local key, the signer an
//! `EthereumWallet` holds) signs a CIP-64 transaction the way it signs an EIP-1559 one: the signer
//! asks for [`SignableTransaction::encode_for_signing`], which is `0x7b || rlp(unsigned fields)`.

use alloy::consensus::{SignableTransaction, Transaction};
use alloy::eips::Typed2718;
use alloy::eips::eip2930::AccessList;
use alloy::eips::eip7702::SignedAuthorization;
use alloy::primitives::{B256, Bytes, ChainId, Signature, TxKind, U256};
use alloy::rlp::{BufMut, Header};

use super::{CIP64_TX_TYPE, TxCip64};

impl Typed2718 for TxCip64 {
    fn ty(&self) -> u8 {
        CIP64_TX_TYPE
    }
}

impl Transaction for TxCip64 {
    fn chain_id(&self) -> Option<ChainId> {
        Some(self.chain_id)
    }
    fn nonce(&self) -> u64 {
        self.nonce
    }
    fn gas_limit(&self) -> u64 {
        self.gas_limit
    }
    fn gas_price(&self) -> Option<u128> {
        None
    }
    fn max_fee_per_gas(&self) -> u128 {
        self.max_fee_per_gas
    }
    fn max_priority_fee_per_gas(&self) -> Option<u128> {
        Some(self.max_priority_fee_per_gas)
    }
    fn max_fee_per_blob_gas(&self) -> Option<u128> {
        None
    }
    fn priority_fee_or_price(&self) -> u128 {
        self.max_priority_fee_per_gas
    }
    /// In the fee currency's units (CIP-64 fees are denominated in it).
    fn effective_gas_price(&self, base_fee: Option<u64>) -> u128 {
        alloy::eips::eip1559::calc_effective_gas_price(
            self.max_fee_per_gas,
            self.max_priority_fee_per_gas,
            base_fee,
        )
    }
    fn is_dynamic_fee(&self) -> bool {
        true
    }
    fn kind(&self) -> TxKind {
        self.to
    }
    fn is_create(&self) -> bool {
        self.to.is_create()
    }
    fn value(&self) -> U256 {
        self.value
    }
    fn input(&self) -> &Bytes {
        &self.input
    }
    fn access_list(&self) -> Option<&AccessList> {
        Some(&self.access_list)
    }
    fn blob_versioned_hashes(&self) -> Option<&[B256]> {
        None
    }
    fn authorization_list(&self) -> Option<&[SignedAuthorization]> {
        None
    }
}

impl SignableTransaction<Signature> for TxCip64 {
    fn set_chain_id(&mut self, chain_id: ChainId) {
        self.chain_id = chain_id;
    }

    fn encode_for_signing(&self, out: &mut dyn BufMut) {
        self.write_signing_payload(out);
    }

    fn payload_len_for_signature(&self) -> usize {
        1 + Header {
            list: true,
            payload_length: self.fields_length(),
        }
        .length_with_payload()
    }
}
