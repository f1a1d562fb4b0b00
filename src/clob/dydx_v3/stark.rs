//! STARK keys and signatures of dYdX v3 (StarkEx perpetuals): a private key on StarkWare's
//! curve, its public key (the point's x coordinate), ECDSA signatures over a message hash with
//! the deterministic nonce StarkWare's reference signer uses (RFC 6979 over SHA-256, retried
//! with seeds 1, 2, … when a nonce gives no signature), and the Pedersen hash the StarkEx
//! messages are built from. The curve arithmetic is `starknet-crypto`'s.

use std::fmt;

use alloy::primitives::{U256, keccak256};
pub use starknet_crypto::Felt;
use zeroize::Zeroizing;

/// A message hash or field element that StarkWare's signer would refuse, or a key out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StarkError {
    #[error("STARK message hash {0} is not below 2^251: not signable")]
    MessageOutOfRange(String),
    #[error("STARK private key is not in the curve's range (0 < key < the curve order)")]
    KeyOutOfRange,
    #[error("STARK value {0:?} is not a field element (hex, below the field prime)")]
    BadFelt(String),
    #[error("STARK signature {0:?} is not 128 hex digits (r then s)")]
    BadSignature(String),
    #[error("no STARK signature after {0} nonces")]
    NoSignature(u32),
}

/// 2^251: StarkWare's signer signs only hashes below it.
fn bound_251() -> Felt {
    Felt::from_hex_unchecked("0x800000000000000000000000000000000000000000000000000000000000000")
}

/// The order of the STARK curve's generator.
fn curve_order() -> Felt {
    Felt::from_hex_unchecked("0x800000000000010ffffffffffffffffb781126dcae7b2321e66a241adc64d2f")
}

/// A field element from its big-endian bytes (at most 32; below the prime).
pub fn felt_from_u256(v: U256) -> Result<Felt, StarkError> {
    let f = Felt::from_bytes_be(&v.to_be_bytes::<32>());
    if U256::from_be_bytes(f.to_bytes_be()) == v {
        Ok(f)
    } else {
        Err(StarkError::BadFelt(format!("{v:#x}")))
    }
}

/// A field element from hex (`0x` optional).
pub fn felt_from_hex(s: &str) -> Result<Felt, StarkError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let v = U256::from_str_radix(digits, 16).map_err(|_| StarkError::BadFelt(s.into()))?;
    felt_from_u256(v).map_err(|_| StarkError::BadFelt(s.into()))
}

/// The Pedersen hash of two field elements (StarkWare's `pedersen_hash(a, b)`).
pub fn pedersen(a: &Felt, b: &Felt) -> Felt {
    starknet_crypto::pedersen_hash(a, b)
}

/// A STARK private key: zeroized on drop, never printed.
pub struct StarkKey {
    secret: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for StarkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StarkKey")
            .field("public_key", &self.public_key_hex())
            .finish_non_exhaustive()
    }
}

impl StarkKey {
    /// A key from its integer (below the curve order, not zero).
    pub fn from_u256(v: U256) -> Result<Self, StarkError> {
        let f = felt_from_u256(v).map_err(|_| StarkError::KeyOutOfRange)?;
        if f == Felt::ZERO || f >= curve_order() {
            return Err(StarkError::KeyOutOfRange);
        }
        Ok(Self {
            secret: Zeroizing::new(v.to_be_bytes::<32>()),
        })
    }

    /// A key from hex (`0x` optional), as the SDKs print private keys.
    pub fn from_hex(s: &str) -> Result<Self, StarkError> {
        let digits = s.strip_prefix("0x").unwrap_or(s);
        let v = U256::from_str_radix(digits, 16).map_err(|_| StarkError::KeyOutOfRange)?;
        Self::from_u256(v)
    }

    /// The key derived from arbitrary bytes the way dYdX's clients derive it (`keyPairFromData`):
    /// Keccak-256 of the bytes, shifted right by 5 bits so that it is below 2^251.
    pub fn from_data(data: &[u8]) -> Result<Self, StarkError> {
        let h = U256::from_be_bytes(keccak256(data).0) >> 5;
        Self::from_u256(h)
    }

    fn felt(&self) -> Felt {
        Felt::from_bytes_be(&self.secret)
    }

    /// The public key: the x coordinate of key × G.
    pub fn public_key(&self) -> Felt {
        starknet_crypto::get_public_key(&self.felt())
    }

    /// The public key as the SDKs print it: `0x` and the hex digits without leading zeros.
    pub fn public_key_hex(&self) -> String {
        format!("{:#x}", self.public_key())
    }

    /// Signs `hash` (below 2^251) as StarkWare's reference signer does: the nonce from RFC 6979
    /// (no seed first, then seeds 1, 2, …), the first nonce that gives a valid signature.
    pub fn sign(&self, hash: &Felt) -> Result<StarkSignature, StarkError> {
        if *hash >= bound_251() {
            return Err(StarkError::MessageOutOfRange(format!("{hash:#x}")));
        }
        let key = self.felt();
        let mut seed: Option<Felt> = None;
        const TRIES: u32 = 64;
        for _ in 0..TRIES {
            let k = starknet_crypto::rfc6979_generate_k(hash, &key, seed.as_ref());
            if let Ok(sig) = starknet_crypto::sign(&key, hash, &k) {
                return Ok(StarkSignature { r: sig.r, s: sig.s });
            }
            seed = Some(seed.map_or(Felt::ONE, |s| s + Felt::ONE));
        }
        Err(StarkError::NoSignature(TRIES))
    }
}

/// An ECDSA signature on the STARK curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StarkSignature {
    pub r: Felt,
    pub s: Felt,
}

impl StarkSignature {
    /// The form dYdX's API takes: `r` then `s`, 64 hex digits each, no `0x`.
    pub fn to_hex(&self) -> String {
        let mut out = String::with_capacity(128);
        for f in [self.r, self.s] {
            out.push_str(&hex::encode(f.to_bytes_be()));
        }
        out
    }

    /// The API form back into `r` and `s`.
    pub fn from_hex(s: &str) -> Result<Self, StarkError> {
        let bad = || StarkError::BadSignature(s.chars().take(140).collect());
        if s.len() != 128 || !s.is_ascii() {
            return Err(bad());
        }
        let r = felt_from_hex(&s[..64]).map_err(|_| bad())?;
        let sv = felt_from_hex(&s[64..]).map_err(|_| bad())?;
        Ok(Self { r, s: sv })
    }

    /// Whether this signs `hash` for the public key `public_key` (x coordinate).
    pub fn verify(&self, public_key: &Felt, hash: &Felt) -> bool {
        starknet_crypto::verify(public_key, hash, &self.r, &self.s).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // dydx-v3-python's tests/starkex/test_helpers.py: keys from bytes and their public keys.
    #[test]
    fn keys_from_data_equal_the_sdk() {
        let cases: [(&[u8], &str); 3] = [
            (
                b"0",
                "0x2242959533856f2a03f3c7d9431e28ef4fe5cb2a15038c37f1d76d35dc508b",
            ),
            (
                b"a",
                "0x1d61128b46faa109512e0e00fe9adf5ff52047ed61718eeeb7c0525dfcd2f8e",
            ),
            (
                b"really long input data for key generation with the keyPairFromData() function",
                "0x7c4946831bde597b73f1d5721af9c67731eafeb75c1b8e92ac457a61819a29",
            ),
        ];
        for (data, want) in cases {
            let k = StarkKey::from_data(data).unwrap();
            assert_eq!(format!("{:#x}", k.felt()), want);
        }
        let k =
            StarkKey::from_hex("0x2242959533856f2a03f3c7d9431e28ef4fe5cb2a15038c37f1d76d35dc508b")
                .unwrap();
        assert_eq!(
            k.public_key_hex(),
            "0x69a33d37101d7089b606f92e4b41553c237a474ad9d6f62eeb6708415f98f4d"
        );
    }

    #[test]
    fn out_of_range_keys_and_hashes_are_errors() {
        assert_eq!(
            StarkKey::from_u256(U256::ZERO).unwrap_err(),
            StarkError::KeyOutOfRange
        );
        assert_eq!(
            StarkKey::from_u256(U256::MAX).unwrap_err(),
            StarkError::KeyOutOfRange
        );
        assert!(StarkKey::from_hex("0xzz").is_err());
        let k = StarkKey::from_data(b"a").unwrap();
        assert!(matches!(
            k.sign(&bound_251()),
            Err(StarkError::MessageOutOfRange(_))
        ));
        assert!(StarkSignature::from_hex("00").is_err());
        assert!(StarkSignature::from_hex(&"g".repeat(128)).is_err());
    }

    #[test]
    fn debug_never_shows_the_private_key() {
        let k = StarkKey::from_data(b"a").unwrap();
        let shown = format!("{k:?}");
        assert!(!shown.contains("1d61128b46faa109512e0e00fe9adf5ff52047ed61718eeeb7c0525dfcd2f8e"));
        assert!(shown.contains(&k.public_key_hex()));
    }

    #[test]
    fn signatures_round_trip_and_verify() {
        let k = StarkKey::from_data(b"a").unwrap();
        let h = pedersen(&Felt::from(1u8), &Felt::from(2u8));
        let sig = k.sign(&h).unwrap();
        assert_eq!(StarkSignature::from_hex(&sig.to_hex()).unwrap(), sig);
        assert!(sig.verify(&k.public_key(), &h));
        assert!(!sig.verify(&k.public_key(), &(h + Felt::ONE)));
    }
}
