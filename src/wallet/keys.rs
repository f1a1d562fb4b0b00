//! A secp256k1 private key and what is derived from it: EVM and Cosmos (bech32) addresses, an alloy
//! signer for EVM transactions / EIP-191 / EIP-712, and a Cosmos signer.
//!
//! The key is zeroized on drop (k256's `SigningKey` wipes its scalar) and never printed: `Debug`
//! shows only `[redacted]`, and the only way to read the bytes is [`PrivateKey::to_bytes`], which
//! returns a zeroizing buffer.

use std::fmt;

use alloy::primitives::Address;
use alloy::signers::local::PrivateKeySigner;
use k256::ecdsa::SigningKey;
use ripemd::Ripemd160;
use sha2::{Digest, Sha256};
use thiserror::Error;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::cosmos_signer::CosmosSigner;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// The input is not 32 bytes of hex (the message never includes the input).
    #[error("a private key is 32 bytes written as 64 hex digits (optionally 0x-prefixed)")]
    Format,
    #[error("the private key is zero or not below the secp256k1 group order")]
    OutOfRange,
    #[error("invalid bech32 prefix {0:?}")]
    Bech32Prefix(String),
}

/// A secp256k1 private key.
#[derive(Clone)]
pub struct PrivateKey(SigningKey);

impl PrivateKey {
    pub fn from_signing_key(key: SigningKey) -> Self {
        Self(key)
    }

    /// From 32 big-endian bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, KeyError> {
        if bytes.len() != 32 {
            return Err(KeyError::Format);
        }
        SigningKey::from_slice(bytes)
            .map(Self)
            .map_err(|_| KeyError::OutOfRange)
    }

    /// From 64 hex digits, optionally `0x`-prefixed, surrounding whitespace ignored.
    pub fn from_hex(text: &str) -> Result<Self, KeyError> {
        let t = text.trim();
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.len() != 64 {
            return Err(KeyError::Format);
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(t, &mut bytes[..]).map_err(|_| KeyError::Format)?;
        Self::from_bytes(&bytes[..])
    }

    /// The 32 secret bytes, in a buffer wiped on drop.
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.0.to_bytes().into())
    }

    pub fn signing_key(&self) -> &SigningKey {
        &self.0
    }

    /// SEC1 compressed public key (33 bytes).
    pub fn public_key_compressed(&self) -> [u8; 33] {
        let point = self.0.verifying_key().to_encoded_point(true);
        let mut out = [0u8; 33];
        out.copy_from_slice(point.as_bytes());
        out
    }

    /// The EVM address (Keccak-256 of the uncompressed public key, last 20 bytes).
    pub fn evm_address(&self) -> Address {
        alloy::signers::utils::public_key_to_address(self.0.verifying_key())
    }

    /// The Cosmos address with `hrp` (e.g. `terra`): bech32 of RIPEMD-160(SHA-256(compressed key)).
    pub fn cosmos_address(&self, hrp: &str) -> Result<String, KeyError> {
        cosmos_address(&self.public_key_compressed(), hrp)
    }

    /// An alloy signer (transactions, EIP-191 messages, EIP-712 typed data) for this key.
    pub fn evm_signer(&self) -> PrivateKeySigner {
        PrivateKeySigner::from_signing_key(self.0.clone())
    }

    /// A Cosmos SDK signer for this key.
    pub fn cosmos_signer(&self) -> CosmosSigner {
        CosmosSigner::new(self.clone())
    }
}

/// Bech32 address of a compressed secp256k1 public key.
pub fn cosmos_address(compressed_pubkey: &[u8; 33], hrp: &str) -> Result<String, KeyError> {
    let hash = Ripemd160::digest(Sha256::digest(compressed_pubkey));
    let hrp = bech32::Hrp::parse(hrp).map_err(|_| KeyError::Bech32Prefix(hrp.to_string()))?;
    bech32::encode::<bech32::Bech32>(hrp, &hash)
        .map_err(|_| KeyError::Bech32Prefix(hrp.to_string()))
}

// k256's `SigningKey` wipes its scalar on drop.
impl ZeroizeOnDrop for PrivateKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";

    #[test]
    fn hex_and_address() {
        let k = PrivateKey::from_hex(&format!("0x{KEY}\n")).unwrap();
        assert_eq!(
            k.evm_address().to_checksum(None),
            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
        );
        assert_eq!(hex::encode(*k.to_bytes()), KEY);
        assert_eq!(format!("{k:?}"), "PrivateKey([redacted])");
        assert_eq!(k.evm_signer().address(), k.evm_address());
    }

    #[test]
    fn rejects_bad_keys_without_echoing_them() {
        for bad in [
            "",
            "12",
            &KEY[..63],
            &format!("{KEY}00"),
            &KEY.replace('a', "g"),
        ] {
            let err = PrivateKey::from_hex(bad).unwrap_err();
            assert_eq!(err, KeyError::Format);
            assert!(!err.to_string().contains("ac0974"));
        }
        assert_eq!(
            PrivateKey::from_hex(&"00".repeat(32)).unwrap_err(),
            KeyError::OutOfRange
        );
        assert_eq!(
            PrivateKey::from_hex(&"ff".repeat(32)).unwrap_err(),
            KeyError::OutOfRange
        );
    }

    #[test]
    fn cosmos_address_is_bech32_of_hash160() {
        // The address decodes back to RIPEMD160(SHA256(compressed key)) under the given prefix
        // (a fixed Terra vector is checked in tests/it/wallet_vectors.rs).
        let k = PrivateKey::from_hex(KEY).unwrap();
        let pk = k.public_key_compressed();
        let hash = Ripemd160::digest(Sha256::digest(pk));
        let addr = k.cosmos_address("terra").unwrap();
        assert!(addr.starts_with("terra1"), "{addr}");
        let (hrp, data) = bech32::decode(&addr).unwrap();
        assert_eq!(hrp.as_str(), "terra");
        assert_eq!(data, hash.to_vec());
        assert!(k.cosmos_address("Not Valid").is_err());
    }
}
