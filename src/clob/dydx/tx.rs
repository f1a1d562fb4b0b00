//! dYdX v4 transactions, built and signed as the official TypeScript client builds them
//! (`v4-client-js` `TransactionSigner.signTransaction` and `Post.signTransaction`):
//!
//! - the body: the messages, the memo (the client's configured memo, empty by default), no timeout
//!   height, and one **non-critical extension option**, `/dydxprotocol.accountplus.TxExtension`
//!   with the selected authenticators (none for a transaction signed by the account's own key, so
//!   an empty value);
//! - one secp256k1 signer in `SIGN_MODE_DIRECT` (the `SignDoc` of body bytes, auth info bytes,
//!   chain id and account number);
//! - gas and fee: a place or cancel of an order goes **without a fee** at a gas limit of 1 000 000
//!   (the client's `zeroFee`); any other message is simulated and sent with a gas limit of
//!   `floor(gas_used × 1.6)` and a fee of `ceil(gas_limit × gas_price)` (cosmjs `calculateFee`), the
//!   gas price 0.025 USDC (`uusdc` quoted, paid in the chain's IBC USDC denom) or 25 000 000 000
//!   `adydx` ([`fee_and_gas`]);
//! - the sequence: the account's sequence. For short-term orders and their cancels the chain does
//!   not check it (they are not in state), so the client signs them with the sequence it has
//!   cached, without reading the account again, and they do not advance it
//!   ([`sequence_checked`]).

use cosmos_sdk_proto::Any;
use cosmos_sdk_proto::cosmos::tx::v1beta1::TxRaw;
use prost::Message;
use rust_decimal::{Decimal, RoundingStrategy};

use super::DydxError;
use super::msgs::DydxMsg;
use super::proto::{TX_EXTENSION_URL, TxExtension};
use crate::chain::cosmos::Coin;
use crate::chain::cosmos::fees::GasPrice;
use crate::chain::cosmos::tx::{
    EnvelopeError, SignMode, SignedTx, TxParams, decode_envelope, direct_sign_bytes,
    sign_direct_any, single_signer,
};
use crate::wallet::CosmosSigner;

/// dYdX's bech32 address prefix.
pub const BECH32_PREFIX: &str = "dydx";
/// The gas limit of a fee-less order transaction (place or cancel).
pub const ORDER_GAS_LIMIT: u64 = 1_000_000;
/// The simulated gas is multiplied by this (`GAS_MULTIPLIER` of the TypeScript and Python clients).
pub const GAS_MULTIPLIER: Decimal = Decimal::from_parts(16, 0, 0, false, 1);

/// The body's `TxExtension` option selecting `authenticators` (empty: the account's own key).
pub fn tx_extension(authenticators: &[u64]) -> Any {
    Any {
        type_url: TX_EXTENSION_URL.to_string(),
        value: TxExtension {
            selected_authenticators: authenticators.to_vec(),
        }
        .encode_to_vec(),
    }
}

/// The fee and gas limit the client uses for `msgs`: none and [`ORDER_GAS_LIMIT`] when every
/// message places or cancels an order; otherwise `floor(gas_used × 1.6)` and
/// `ceil(gas_limit × gas_price)`, which needs the simulated `gas_used`.
pub fn fee_and_gas(
    msgs: &[DydxMsg],
    gas_used: Option<u64>,
    gas_price: &GasPrice,
) -> Result<(Vec<Coin>, u64), DydxError> {
    if !msgs.is_empty() && msgs.iter().all(DydxMsg::is_order_message) {
        return Ok((vec![], ORDER_GAS_LIMIT));
    }
    let gas_used = gas_used.ok_or_else(|| {
        DydxError::message("a transaction other than orders needs its simulated gas")
    })?;
    let limit = (Decimal::from(gas_used) * GAS_MULTIPLIER)
        .round_dp_with_strategy(0, RoundingStrategy::ToZero);
    let gas_limit = u64::try_from(limit)
        .map_err(|_| DydxError::message(format!("gas limit {limit} does not fit 64 bits")))?;
    Ok((vec![gas_price.fee(gas_limit)?], gas_limit))
}

/// Whether the chain checks this transaction's sequence: not when every message is a short-term
/// place or cancel (sign those at any sequence, e.g. the cached one, and do not advance it).
pub fn sequence_checked(msgs: &[DydxMsg]) -> bool {
    !msgs.iter().all(DydxMsg::is_short_term)
}

/// Builds and signs a transaction as the official client does (see the module doc). Every
/// message must be the signer's; `authenticators` are the `TxExtension`'s (empty for the
/// account's own key).
pub fn sign_tx(
    signer: &CosmosSigner,
    msgs: &[DydxMsg],
    p: &TxParams,
    authenticators: &[u64],
) -> Result<SignedTx, DydxError> {
    if msgs.is_empty() {
        return Err(DydxError::message("a transaction needs a message"));
    }
    let address = signer
        .address(BECH32_PREFIX)
        .map_err(|e| DydxError::message(format!("key: {e}")))?;
    if let Some(m) = msgs.iter().find(|m| m.signer() != address) {
        return Err(DydxError::message(format!(
            "message {} is signed by {}, the wallet's address is {address}",
            m.type_url(),
            m.signer()
        )));
    }
    Ok(sign_direct_any(
        signer,
        msgs.iter().map(DydxMsg::to_any).collect(),
        vec![tx_extension(authenticators)],
        p,
    ))
}

/// A dYdX transaction taken apart, as a node sees it.
#[derive(Debug, Clone)]
pub struct DecodedTx {
    pub raw: TxRaw,
    pub msgs: Vec<DydxMsg>,
    pub memo: String,
    pub timeout_height: u64,
    /// The `TxExtension`'s selected authenticators; `None` without the extension.
    pub authenticators: Option<Vec<u64>>,
    pub fee: Vec<Coin>,
    pub gas_limit: u64,
    pub pubkey: Vec<u8>,
    pub sequence: u64,
    pub signature: Vec<u8>,
}

impl DecodedTx {
    /// The bytes its signer signed, with the chain id and account number the verifier knows.
    pub fn sign_bytes(&self, chain_id: &str, account_number: u64) -> Vec<u8> {
        let p = TxParams {
            chain_id: chain_id.to_string(),
            account_number,
            sequence: self.sequence,
            fee: vec![],
            gas_limit: 0,
            memo: String::new(),
            timeout_height: 0,
        };
        direct_sign_bytes(&self.raw.body_bytes, &self.raw.auth_info_bytes, &p)
    }
}

/// Decodes a transaction of dYdX (and bank) messages with one secp256k1 signer in
/// `SIGN_MODE_DIRECT`; a critical extension option or an unknown non-critical one is refused.
pub fn decode_tx(tx_bytes: &[u8]) -> Result<DecodedTx, DydxError> {
    let refused = |e: EnvelopeError| DydxError::message(e.to_string());
    let (raw, body, auth) = decode_envelope(tx_bytes).map_err(refused)?;
    if let Some(o) = body.extension_options.first() {
        return Err(DydxError::message(format!(
            "critical extension option {} is not supported",
            o.type_url
        )));
    }
    let mut authenticators = None;
    for o in &body.non_critical_extension_options {
        if o.type_url != TX_EXTENSION_URL || authenticators.is_some() {
            return Err(DydxError::message(format!(
                "unexpected non-critical extension option {}",
                o.type_url
            )));
        }
        let ext = TxExtension::decode(o.value.as_slice())
            .map_err(|e| DydxError::message(format!("cannot decode TxExtension: {e}")))?;
        authenticators = Some(ext.selected_authenticators);
    }
    let signer = single_signer(&raw, &auth).map_err(refused)?;
    if signer.mode != Some(SignMode::Direct) {
        return Err(DydxError::message("sign mode is not SIGN_MODE_DIRECT"));
    }
    let fee = signer.fee.ok_or_else(|| DydxError::message("no fee"))?;
    Ok(DecodedTx {
        msgs: body
            .messages
            .iter()
            .map(DydxMsg::from_any)
            .collect::<Result<_, _>>()?,
        memo: body.memo,
        timeout_height: body.timeout_height,
        authenticators,
        fee: fee
            .amount
            .iter()
            .map(Coin::from_proto)
            .collect::<Result<_, _>>()?,
        gas_limit: fee.gas_limit,
        pubkey: signer.pubkey,
        sequence: signer.sequence,
        signature: signer.signature,
        raw,
    })
}

#[cfg(test)]
#[path = "tx_tests.rs"]
mod tests;
