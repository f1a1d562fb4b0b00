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

    /// RFC 6979 secp256k1 / SHA-256 vectors (bitcointalk topic 285142, used by libsecp256k1-based
    /// libraries), in their low-s form: the first one's raw s (dbbd31…) is high and must be
    /// normalized to 2442ce….
    #[test]
    fn rfc6979_reference_vectors_low_s() {
        let n_minus_1 = "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140";
        let cases = [
            (
                format!("{:064x}", 1),
                "Satoshi Nakamoto",
                "934b1ea10a4b3c1757e2b0c017d0b6143ce3c9a7e6a4a49860d7a6ab210ee3d8\
                 2442ce9d2b916064108014783e923ec36b49743e2ffa1c4496f01a512aafd9e5",
            ),
            (
                format!("{:064x}", 1),
                "All those moments will be lost in time, like tears in rain. Time to die...",
                "8600dbd41e348fe5c9465ab92d23e3db8b98b873beecd930736488696438cb6b\
                 547fe64427496db33bf66019dacbf0039c04199abb0122918601db38a72cfc21",
            ),
            (
                n_minus_1.to_string(),
                "Satoshi Nakamoto",
                "fd567d121db66e382991534ada77a6bd3106f0a1098c231e47993447cd6af2d0\
                 6b39cd0eb1bc8603e159ef5c20a5c8ad685a45b06ce9bebed3f153d10d93bed5",
            ),
        ];
        for (key, msg, want) in cases {
            let signer = PrivateKey::from_hex(&key).unwrap().cosmos_signer();
            let sig = signer.sign(msg.as_bytes());
            assert_eq!(hex::encode(sig), want, "{msg}");
            assert!(verify_cosmos_signature(
                &signer.public_key(),
                msg.as_bytes(),
                &sig
            ));
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
