//! Transactions: `TxBody` (messages, memo, timeout height), `AuthInfo` (one secp256k1 signer, its
//! sequence and sign mode, the fee and gas limit), the bytes signed in either mode, the signed
//! `TxRaw` and its hash (upper-case hex SHA-256 of the transaction bytes, as the chain shows it).
//! [`decode_tx`] and [`sign_bytes_of`] are the verifier's side: what a node rebuilds to check a
//! signature.

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::crypto::secp256k1::PubKey;
use cosmos_sdk_proto::cosmos::tx::signing::v1beta1::SignMode as ProtoSignMode;
use cosmos_sdk_proto::cosmos::tx::v1beta1::mode_info::{Single, Sum};
use cosmos_sdk_proto::cosmos::tx::v1beta1::{
    AuthInfo, Fee, ModeInfo, SignDoc, SignerInfo, TxBody, TxRaw,
};
use prost::Message;
use sha2::{Digest, Sha256};

use super::CosmosError;
use super::amino::{StdSignDocParams, std_sign_doc_bytes};
use super::coin::Coin;
use super::msgs::Msg;
use crate::wallet::CosmosSigner;

pub const SECP256K1_PUBKEY_URL: &str = "/cosmos.crypto.secp256k1.PubKey";

/// How the signer signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMode {
    /// `SIGN_MODE_DIRECT`: the protobuf `SignDoc`.
    #[default]
    Direct,
    /// `SIGN_MODE_LEGACY_AMINO_JSON`: the sorted amino JSON `StdSignDoc`.
    AminoJson,
}

impl SignMode {
    pub fn parse(s: &str) -> Result<Self, CosmosError> {
        match s {
            "direct" => Ok(Self::Direct),
            "amino-json" => Ok(Self::AminoJson),
            other => Err(CosmosError::invalid(format!(
                "sign mode {other:?}: expected direct or amino-json"
            ))),
        }
    }

    fn proto(self) -> ProtoSignMode {
        match self {
            Self::Direct => ProtoSignMode::Direct,
            Self::AminoJson => ProtoSignMode::LegacyAminoJson,
        }
    }
}

/// Everything a transaction covers besides its messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxParams {
    pub chain_id: String,
    pub account_number: u64,
    pub sequence: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub memo: String,
    /// 0 for none.
    pub timeout_height: u64,
}

/// A signed transaction, ready to broadcast.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    pub tx_bytes: Vec<u8>,
    /// Upper-case hex SHA-256 of `tx_bytes`.
    pub txhash: String,
}

impl SignedTx {
    /// The transaction bytes in standard base64 (the LCD's `tx_bytes`).
    pub fn tx_bytes_base64(&self) -> String {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(&self.tx_bytes)
    }
}

/// The chain's hash of transaction bytes.
pub fn tx_hash(tx_bytes: &[u8]) -> String {
    hex::encode_upper(Sha256::digest(tx_bytes))
}

fn body(msgs: &[Msg], p: &TxParams) -> TxBody {
    TxBody {
        messages: msgs.iter().map(Msg::to_any).collect(),
        memo: p.memo.clone(),
        timeout_height: p.timeout_height,
        extension_options: vec![],
        non_critical_extension_options: vec![],
    }
}

fn auth_info(pubkey: &[u8; 33], p: &TxParams, mode: SignMode) -> AuthInfo {
    #[allow(deprecated)] // `tip`: still a field of the SDK's AuthInfo, never set.
    AuthInfo {
        signer_infos: vec![SignerInfo {
            public_key: Some(Any {
                type_url: SECP256K1_PUBKEY_URL.into(),
                value: PubKey {
                    key: pubkey.to_vec(),
                }
                .encode_to_vec(),
            }),
            mode_info: Some(ModeInfo {
                sum: Some(Sum::Single(Single {
                    mode: mode.proto() as i32,
                })),
            }),
            sequence: p.sequence,
        }],
        fee: Some(Fee {
            amount: p.fee.iter().map(Coin::to_proto).collect(),
            gas_limit: p.gas_limit,
            payer: String::new(),
            granter: String::new(),
        }),
        tip: None,
    }
}

/// Builds and signs a transaction with one signer. Every message must name the signer's address
/// (`hrp` is the chain's bech32 prefix).
pub fn sign_tx(
    signer: &CosmosSigner,
    hrp: &str,
    msgs: &[Msg],
    p: &TxParams,
    mode: SignMode,
) -> Result<SignedTx, CosmosError> {
    if msgs.is_empty() {
        return Err(CosmosError::invalid("a transaction needs a message"));
    }
    let address = signer
        .address(hrp)
        .map_err(|e| CosmosError::Key(e.to_string()))?;
    if let Some(m) = msgs.iter().find(|m| m.signer() != address) {
        return Err(CosmosError::invalid(format!(
            "message {} is signed by {}, the wallet's address is {address}",
            m.type_url(),
            m.signer()
        )));
    }
    let body_bytes = body(msgs, p).encode_to_vec();
    let auth_info_bytes = auth_info(&signer.public_key(), p, mode).encode_to_vec();
    let doc = match mode {
        SignMode::Direct => direct_sign_bytes(&body_bytes, &auth_info_bytes, p),
        SignMode::AminoJson => amino_sign_bytes(msgs, p)?,
    };
    let signature = signer.sign(&doc).to_vec();
    let tx_bytes = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec();
    Ok(SignedTx {
        txhash: tx_hash(&tx_bytes),
        tx_bytes,
    })
}

/// Builds and signs in `SIGN_MODE_DIRECT` a transaction whose messages are already packed in
/// `Any` (a chain's own modules, e.g. dYdX's), with the body's non-critical extension options (in
/// the order given). The caller checks that the messages are the signer's.
pub fn sign_direct_any(
    signer: &CosmosSigner,
    messages: Vec<Any>,
    non_critical_extension_options: Vec<Any>,
    p: &TxParams,
) -> SignedTx {
    let body_bytes = TxBody {
        messages,
        memo: p.memo.clone(),
        timeout_height: p.timeout_height,
        extension_options: vec![],
        non_critical_extension_options,
    }
    .encode_to_vec();
    let auth_info_bytes = auth_info(&signer.public_key(), p, SignMode::Direct).encode_to_vec();
    let doc = direct_sign_bytes(&body_bytes, &auth_info_bytes, p);
    let signature = signer.sign(&doc).to_vec();
    let tx_bytes = TxRaw {
        body_bytes,
        auth_info_bytes,
        signatures: vec![signature],
    }
    .encode_to_vec();
    SignedTx {
        txhash: tx_hash(&tx_bytes),
        tx_bytes,
    }
}

/// The `SIGN_MODE_DIRECT` sign bytes: the protobuf `SignDoc` of the body and auth info bytes.
pub fn direct_sign_bytes(body_bytes: &[u8], auth_info_bytes: &[u8], p: &TxParams) -> Vec<u8> {
    SignDoc {
        body_bytes: body_bytes.to_vec(),
        auth_info_bytes: auth_info_bytes.to_vec(),
        chain_id: p.chain_id.clone(),
        account_number: p.account_number,
    }
    .encode_to_vec()
}

fn amino_sign_bytes(msgs: &[Msg], p: &TxParams) -> Result<Vec<u8>, CosmosError> {
    std_sign_doc_bytes(
        &StdSignDocParams {
            chain_id: &p.chain_id,
            account_number: p.account_number,
            sequence: p.sequence,
            fee: &p.fee,
            gas_limit: p.gas_limit,
            memo: &p.memo,
            timeout_height: p.timeout_height,
        },
        msgs,
    )
}

/// A transaction taken apart, as a node sees it.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    pub raw: TxRaw,
    pub msgs: Vec<Msg>,
    pub memo: String,
    pub timeout_height: u64,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    /// The one signer's compressed public key, sequence and sign mode.
    pub pubkey: Vec<u8>,
    pub sequence: u64,
    pub mode: SignMode,
    pub signature: Vec<u8>,
}

/// Why a transaction's envelope (raw bytes, body, auth info, its one signer) was refused; each
/// chain family's decoder turns it into its own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("cannot decode {what}: {detail}")]
    Decode { what: &'static str, detail: String },
    #[error("{0}")]
    Invalid(&'static str),
}

impl From<EnvelopeError> for CosmosError {
    fn from(e: EnvelopeError) -> Self {
        match e {
            EnvelopeError::Decode { what, detail } => CosmosError::Decode { what, detail },
            EnvelopeError::Invalid(m) => CosmosError::invalid(m),
        }
    }
}

fn envelope_decode(what: &'static str) -> impl Fn(prost::DecodeError) -> EnvelopeError {
    move |e| EnvelopeError::Decode {
        what,
        detail: e.to_string(),
    }
}

/// `TxRaw`, its `TxBody` and its `AuthInfo`, decoded.
pub fn decode_envelope(tx_bytes: &[u8]) -> Result<(TxRaw, TxBody, AuthInfo), EnvelopeError> {
    let raw = TxRaw::decode(tx_bytes).map_err(envelope_decode("TxRaw"))?;
    let body = TxBody::decode(raw.body_bytes.as_slice()).map_err(envelope_decode("TxBody"))?;
    let auth =
        AuthInfo::decode(raw.auth_info_bytes.as_slice()).map_err(envelope_decode("AuthInfo"))?;
    Ok((raw, body, auth))
}

/// The one signer of a transaction, as its auth info and signatures give it.
#[derive(Debug, Clone)]
pub struct SingleSigner {
    /// The compressed secp256k1 public key.
    pub pubkey: Vec<u8>,
    pub sequence: u64,
    /// `None` for a sign mode sluice does not produce.
    pub mode: Option<SignMode>,
    pub signature: Vec<u8>,
    /// Checked by the caller after the sign mode, in that order.
    pub fee: Option<Fee>,
}

/// Checks that `auth` has exactly one secp256k1 signer and `raw` exactly one signature.
pub fn single_signer(raw: &TxRaw, auth: &AuthInfo) -> Result<SingleSigner, EnvelopeError> {
    let [si] = auth.signer_infos.as_slice() else {
        return Err(EnvelopeError::Invalid("exactly one signer is supported"));
    };
    let [signature] = raw.signatures.as_slice() else {
        return Err(EnvelopeError::Invalid("exactly one signature is expected"));
    };
    let pk = si
        .public_key
        .as_ref()
        .filter(|a| a.type_url == SECP256K1_PUBKEY_URL)
        .ok_or(EnvelopeError::Invalid("the signer's key is not secp256k1"))?;
    let pubkey = PubKey::decode(pk.value.as_slice())
        .map_err(envelope_decode("PubKey"))?
        .key;
    let mode = match si.mode_info.as_ref().and_then(|m| m.sum.as_ref()) {
        Some(Sum::Single(s)) if s.mode == ProtoSignMode::Direct as i32 => Some(SignMode::Direct),
        Some(Sum::Single(s)) if s.mode == ProtoSignMode::LegacyAminoJson as i32 => {
            Some(SignMode::AminoJson)
        }
        _ => None,
    };
    Ok(SingleSigner {
        pubkey,
        sequence: si.sequence,
        mode,
        signature: signature.clone(),
        fee: auth.fee.clone(),
    })
}

/// Decodes transaction bytes with exactly one secp256k1 signer in a supported sign mode.
pub fn decode_tx(tx_bytes: &[u8]) -> Result<DecodedTx, CosmosError> {
    let (raw, body, auth) = decode_envelope(tx_bytes)?;
    let signer = single_signer(&raw, &auth)?;
    let mode = signer
        .mode
        .ok_or_else(|| CosmosError::invalid("unsupported sign mode"))?;
    let fee = signer.fee.ok_or_else(|| CosmosError::invalid("no fee"))?;
    Ok(DecodedTx {
        msgs: body
            .messages
            .iter()
            .map(Msg::from_any)
            .collect::<Result<_, _>>()?,
        memo: body.memo,
        timeout_height: body.timeout_height,
        fee: fee
            .amount
            .iter()
            .map(Coin::from_proto)
            .collect::<Result<_, _>>()?,
        gas_limit: fee.gas_limit,
        pubkey: signer.pubkey,
        sequence: signer.sequence,
        mode,
        signature: signer.signature,
        raw,
    })
}

/// The bytes the signer of `tx` signed, rebuilt with the chain id and account number the
/// verifier knows.
pub fn sign_bytes_of(
    tx: &DecodedTx,
    chain_id: &str,
    account_number: u64,
) -> Result<Vec<u8>, CosmosError> {
    let p = TxParams {
        chain_id: chain_id.to_string(),
        account_number,
        sequence: tx.sequence,
        fee: tx.fee.clone(),
        gas_limit: tx.gas_limit,
        memo: tx.memo.clone(),
        timeout_height: tx.timeout_height,
    };
    match tx.mode {
        SignMode::Direct => Ok(direct_sign_bytes(
            &tx.raw.body_bytes,
            &tx.raw.auth_info_bytes,
            &p,
        )),
        SignMode::AminoJson => amino_sign_bytes(&tx.msgs, &p),
    }
}

#[cfg(test)]
#[path = "tx_tests.rs"]
mod tests;
