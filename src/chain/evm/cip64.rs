//! Celo fee-currency transactions: CIP-64, EIP-2718 type `0x7b`.
//!
//! A CIP-64 transaction is an EIP-1559 transaction with one more field, `feeCurrency`: the ERC-20
//! (or adapter) in which gas is paid; `maxFeePerGas` and `maxPriorityFeePerGas` are then
//! denominated in that currency. Fields, in Celo's documented order
//! (celo-proposals `CIPs/cip-0064.md`):
//!
//! `0x7b || rlp([chainId, nonce, maxPriorityFeePerGas, maxFeePerGas, gas, to, value, data,
//! accessList, feeCurrency, signatureYParity, signatureR, signatureS])`
//!
//! The signing hash is `keccak256(0x7b || rlp([chainId, …, feeCurrency]))` (the unsigned fields),
//! and the transaction hash is `keccak256` of the whole signed encoding. The first nine fields are
//! exactly EIP-1559's, so they are encoded and decoded by alloy's own [`TxEip1559`]; this module
//! only adds the fee currency and the type byte.

use alloy::consensus::TxEip1559;
use alloy::consensus::transaction::{RlpEcdsaDecodableTx, RlpEcdsaEncodableTx};
use alloy::eips::eip2930::AccessList;
use alloy::network::{TxSigner, TxSignerSync};
use alloy::primitives::{Address, B256, Bytes, Signature, TxKind, U256, keccak256};
use alloy::rlp::{BufMut, Decodable, Encodable, Header};
use alloy::signers::local::PrivateKeySigner;

/// The EIP-2718 type byte of a CIP-64 transaction (123).
pub const CIP64_TX_TYPE: u8 = 0x7b;

/// A CIP-64 transaction could not be built, signed or decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Cip64Error {
    #[error("not a CIP-64 transaction: {0}")]
    NotCip64(String),
    #[error("malformed CIP-64 transaction: {0}")]
    Rlp(String),
    #[error("the CIP-64 transaction is not signed")]
    Unsigned,
    #[error("bad CIP-64 signature: {0}")]
    Signature(String),
    #[error("maxPriorityFeePerGas {tip} is above maxFeePerGas {max}")]
    TipAboveMax { tip: u128, max: u128 },
    #[error("the fee currency must be a token address, not the zero address")]
    ZeroFeeCurrency,
}

/// An unsigned CIP-64 transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxCip64 {
    pub chain_id: u64,
    pub nonce: u64,
    pub max_priority_fee_per_gas: u128,
    pub max_fee_per_gas: u128,
    pub gas_limit: u64,
    /// `Create` for a contract creation.
    pub to: TxKind,
    pub value: U256,
    pub input: Bytes,
    pub access_list: AccessList,
    /// The token (or adapter) paying for gas; fees are denominated in it.
    pub fee_currency: Address,
}

/// A signed CIP-64 transaction, with its raw EIP-2718 bytes and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedCip64 {
    pub tx: TxCip64,
    pub signature: Signature,
    /// `0x7b || rlp(fields ++ [yParity, r, s])`: what `eth_sendRawTransaction` takes.
    pub raw: Bytes,
    /// `keccak256(raw)`.
    pub hash: B256,
}

impl TxCip64 {
    /// Checks what a node would refuse without looking at state: a tip above the max fee, a zero
    /// fee currency.
    pub fn validate(&self) -> Result<(), Cip64Error> {
        if self.max_priority_fee_per_gas > self.max_fee_per_gas {
            return Err(Cip64Error::TipAboveMax {
                tip: self.max_priority_fee_per_gas,
                max: self.max_fee_per_gas,
            });
        }
        if self.fee_currency == Address::ZERO {
            return Err(Cip64Error::ZeroFeeCurrency);
        }
        Ok(())
    }

    /// The EIP-1559 part of the fields (everything but the fee currency).
    fn as_eip1559(&self) -> TxEip1559 {
        TxEip1559 {
            chain_id: self.chain_id,
            nonce: self.nonce,
            gas_limit: self.gas_limit,
            max_fee_per_gas: self.max_fee_per_gas,
            max_priority_fee_per_gas: self.max_priority_fee_per_gas,
            to: self.to,
            value: self.value,
            access_list: self.access_list.clone(),
            input: self.input.clone(),
        }
    }

    pub(super) fn fields_length(&self) -> usize {
        self.as_eip1559().rlp_encoded_fields_length() + self.fee_currency.length()
    }

    pub(super) fn encode_fields(&self, out: &mut dyn BufMut) {
        self.as_eip1559().rlp_encode_fields(out);
        self.fee_currency.encode(out);
    }

    /// `0x7b || rlp([chainId, …, accessList, feeCurrency])`: the bytes whose hash is signed.
    pub fn signing_payload(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.fields_length() + 8);
        self.write_signing_payload(&mut out);
        out
    }

    pub(super) fn write_signing_payload(&self, out: &mut dyn BufMut) {
        out.put_u8(CIP64_TX_TYPE);
        Header {
            list: true,
            payload_length: self.fields_length(),
        }
        .encode(out);
        self.encode_fields(out);
    }

    /// `keccak256(0x7b || rlp(unsigned fields))`.
    pub fn signature_hash(&self) -> B256 {
        keccak256(self.signing_payload())
    }

    /// The signed EIP-2718 encoding with a given signature.
    pub fn encode_signed(&self, signature: &Signature) -> Bytes {
        let payload_length = self.fields_length() + signature.v().length() + signature.rlp_rs_len();
        let mut out = Vec::with_capacity(payload_length + 8);
        out.push(CIP64_TX_TYPE);
        Header {
            list: true,
            payload_length,
        }
        .encode(&mut out);
        self.encode_fields(&mut out);
        signature.write_rlp_vrs(&mut out, signature.v());
        Bytes::from(out)
    }

    /// Attaches a signature: the raw bytes and the hash.
    pub fn into_signed_cip64(self, signature: Signature) -> SignedCip64 {
        let raw = self.encode_signed(&signature);
        let hash = keccak256(&raw);
        SignedCip64 {
            tx: self,
            signature,
            raw,
            hash,
        }
    }

    /// Validates and signs with a local EVM key.
    pub fn sign(mut self, signer: &PrivateKeySigner) -> Result<SignedCip64, Cip64Error> {
        self.validate()?;
        let signature = signer
            .sign_transaction_sync(&mut self)
            .map_err(|e| Cip64Error::Signature(e.to_string()))?;
        Ok(self.into_signed_cip64(signature))
    }

    /// Validates and signs with any alloy transaction signer (what an `EthereumWallet` holds).
    pub async fn sign_with(
        mut self,
        signer: &(dyn TxSigner<Signature> + Send + Sync),
    ) -> Result<SignedCip64, Cip64Error> {
        self.validate()?;
        let signature = signer
            .sign_transaction(&mut self)
            .await
            .map_err(|e| Cip64Error::Signature(e.to_string()))?;
        Ok(self.into_signed_cip64(signature))
    }

    /// Decodes the unsigned form (`0x7b || rlp(unsigned fields)`), as [`Self::signing_payload`]
    /// writes it.
    pub fn decode_unsigned(bytes: &[u8]) -> Result<Self, Cip64Error> {
        let (tx, sig) = decode(bytes)?;
        match sig {
            None => Ok(tx),
            Some(_) => Err(Cip64Error::Rlp(
                "a signature follows the fields of an unsigned transaction".into(),
            )),
        }
    }
}

impl SignedCip64 {
    /// Decodes a signed transaction (raw EIP-2718 bytes).
    pub fn decode(raw: &[u8]) -> Result<Self, Cip64Error> {
        let (tx, sig) = decode(raw)?;
        let signature = sig.ok_or(Cip64Error::Unsigned)?;
        Ok(SignedCip64 {
            tx,
            signature,
            raw: Bytes::copy_from_slice(raw),
            hash: keccak256(raw),
        })
    }

    /// The sender recovered from the signature.
    pub fn recover_signer(&self) -> Result<Address, Cip64Error> {
        self.signature
            .recover_address_from_prehash(&self.tx.signature_hash())
            .map_err(|e| Cip64Error::Signature(e.to_string()))
    }
}

/// Decodes `0x7b || rlp(fields [++ yParity, r, s])`.
fn decode(bytes: &[u8]) -> Result<(TxCip64, Option<Signature>), Cip64Error> {
    let rlp_err = |e: alloy::rlp::Error| Cip64Error::Rlp(e.to_string());
    let (ty, mut buf) = bytes
        .split_first()
        .ok_or_else(|| Cip64Error::NotCip64("empty input".into()))?;
    if *ty != CIP64_TX_TYPE {
        return Err(Cip64Error::NotCip64(format!(
            "type byte 0x{ty:02x}, expected 0x7b"
        )));
    }
    let header = Header::decode(&mut buf).map_err(rlp_err)?;
    if !header.list {
        return Err(Cip64Error::Rlp("expected a list".into()));
    }
    if buf.len() != header.payload_length {
        return Err(Cip64Error::Rlp(format!(
            "the list says {} bytes, {} follow",
            header.payload_length,
            buf.len()
        )));
    }
    let base = TxEip1559::rlp_decode_fields(&mut buf).map_err(rlp_err)?;
    let fee_currency = Address::decode(&mut buf).map_err(rlp_err)?;
    let tx = TxCip64 {
        chain_id: base.chain_id,
        nonce: base.nonce,
        max_priority_fee_per_gas: base.max_priority_fee_per_gas,
        max_fee_per_gas: base.max_fee_per_gas,
        gas_limit: base.gas_limit,
        to: base.to,
        value: base.value,
        input: base.input,
        access_list: base.access_list,
        fee_currency,
    };
    if buf.is_empty() {
        return Ok((tx, None));
    }
    let signature = Signature::decode_rlp_vrs(&mut buf, bool::decode).map_err(rlp_err)?;
    if !buf.is_empty() {
        return Err(Cip64Error::Rlp(format!(
            "{} bytes after the signature",
            buf.len()
        )));
    }
    Ok((tx, Some(signature)))
}

#[path = "cip64_alloy.rs"]
mod alloy_traits;

#[cfg(test)]
#[path = "cip64_tests.rs"]
mod tests;
