//! The L2 (EdDSA) key Loopring's clients derive from the Ethereum key: the Ethereum key signs the
//! key seed `Sign this message to access Loopring Exchange: {exchange} with key nonce: {nonce}`
//! as a personal message (EIP-191); the 65-byte signature r ‖ s ‖ v (v = 27/28) is hashed with
//! SHA-256 and the digest, read as a little-endian integer reduced mod L, is the private key
//! (the JS SDK's `generatePrivateKey` → `EDDSAUtil.generateKeyPair`).

use alloy::signers::SignerSync;
use alloy::signers::local::PrivateKeySigner;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use super::eddsa::{EddsaError, EddsaKey};

/// Loopring v3's exchange contract on Ethereum mainnet (the `exchange` every mainnet key seed and
/// order names; the address community tools and L2BEAT list for the Loopring exchange — the SDK
/// reads it from `GET /api/v3/exchange/info`).
pub const MAINNET_EXCHANGE: &str = "0x0BABA1Ad5bE3a5C0a66E7ac838a129Bf948f1eA4";

/// Why the L2 key could not be derived.
#[derive(Debug, thiserror::Error)]
pub enum KeyDerivationError {
    #[error("Loopring: the Ethereum key could not sign the key seed: {0}")]
    Sign(String),
    #[error(transparent)]
    Eddsa(#[from] EddsaError),
}

/// The key seed message for `exchange` (checksummed, as the exchange reports it) and `nonce`.
pub fn key_seed(exchange: &str, nonce: u64) -> String {
    format!("Sign this message to access Loopring Exchange: {exchange} with key nonce: {nonce}")
}

/// The L2 key from the Ethereum signature of the key seed (65 bytes, v = 27/28).
pub fn key_from_l1_signature(signature: &[u8]) -> Result<EddsaKey, EddsaError> {
    let digest = Zeroizing::new(<[u8; 32]>::from(Sha256::digest(signature)));
    EddsaKey::from_seed_le(&digest)
}

/// The Ethereum key's personal-message signature of `message`: r ‖ s ‖ v with v = 27/28.
pub fn personal_signature(
    signer: &PrivateKeySigner,
    message: &str,
) -> Result<Zeroizing<[u8; 65]>, KeyDerivationError> {
    let sig = signer
        .sign_message_sync(message.as_bytes())
        .map_err(|e| KeyDerivationError::Sign(e.to_string()))?;
    let mut out = Zeroizing::new([0u8; 65]);
    out[..32].copy_from_slice(&sig.r().to_be_bytes::<32>());
    out[32..64].copy_from_slice(&sig.s().to_be_bytes::<32>());
    out[64] = 27 + u8::from(sig.v());
    Ok(out)
}

/// The L2 key of `signer`'s account on `exchange` with key nonce `nonce`.
pub fn derive_l2_key(
    signer: &PrivateKeySigner,
    exchange: &str,
    nonce: u64,
) -> Result<EddsaKey, KeyDerivationError> {
    let sig = personal_signature(signer, &key_seed(exchange, nonce))?;
    Ok(key_from_l1_signature(sig.as_slice())?)
}
