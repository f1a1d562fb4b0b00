//! Cosmos SDK signing (Terra, dYdX chain, …): secp256k1 ECDSA over SHA-256 of the sign bytes
//! (the serialized `SignDoc`), deterministic nonces (RFC 6979), returned as the 64-byte compact
//! `r || s` with `s` normalized to the lower half of the order, as the SDK requires.

use k256::ecdsa::signature::{Signer, Verifier};
use k256::ecdsa::{Signature, VerifyingKey};

use super::keys::{KeyError, PrivateKey};

/// Signs Cosmos sign bytes with one key.
#[derive(Debug, Clone)]
pub struct CosmosSigner {
    key: PrivateKey,
}

impl CosmosSigner {
    pub fn new(key: PrivateKey) -> Self {
        Self { key }
    }

    /// The compressed public key that goes in the transaction's `SignerInfo`.
    pub fn public_key(&self) -> [u8; 33] {
        self.key.public_key_compressed()
    }

    /// The account address with prefix `hrp`.
    pub fn address(&self, hrp: &str) -> Result<String, KeyError> {
        self.key.cosmos_address(hrp)
    }

    /// 64-byte `r || s` signature of SHA-256(`sign_bytes`), low-s.
    pub fn sign(&self, sign_bytes: &[u8]) -> [u8; 64] {
        let sig: Signature = self.key.signing_key().sign(sign_bytes);
        let sig = sig.normalize_s().unwrap_or(sig);
        sig.to_bytes().into()
    }
}

/// Checks a 64-byte Cosmos signature of `sign_bytes` against a compressed public key. High-s
/// signatures are refused, as the Cosmos SDK refuses them.
pub fn verify_cosmos_signature(compressed_pubkey: &[u8], sign_bytes: &[u8], sig: &[u8]) -> bool {
    let Ok(key) = VerifyingKey::from_sec1_bytes(compressed_pubkey) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(sig) else {
        return false;
    };
    if sig.normalize_s().is_some() {
        return false;
    }
    key.verify(sign_bytes, &sig).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_are_low_s() {
        let key = PrivateKey::from_hex(
            "4646464646464646464646464646464646464646464646464646464646464646",
        )
        .unwrap();
        let signer = key.cosmos_signer();
        let pk = signer.public_key();
        for i in 0..64u8 {
            let msg = [i; 40];
            let sig = signer.sign(&msg);
            let parsed = Signature::from_slice(&sig).unwrap();
            assert!(parsed.normalize_s().is_none(), "high s for message {i}");
            assert!(verify_cosmos_signature(&pk, &msg, &sig));
            assert!(!verify_cosmos_signature(&pk, &[i ^ 1; 40], &sig));
            // Deterministic (RFC 6979).
            assert_eq!(sig, signer.sign(&msg));
        }
    }

    #[test]
    fn high_s_is_refused() {
        let key = PrivateKey::from_hex(
            "4646464646464646464646464646464646464646464646464646464646464646",
        )
        .unwrap();
        let signer = key.cosmos_signer();
        let sig = Signature::from_slice(&signer.sign(b"doc")).unwrap();
        let (r, s) = sig.split_scalars();
        let high = Signature::from_scalars(r, -*s).unwrap();
        assert!(!verify_cosmos_signature(
            &signer.public_key(),
            b"doc",
            &high.to_bytes()
        ));
    }
}
