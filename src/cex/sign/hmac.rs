//! HMAC-SHA256/384/512 over a message given in parts, with hex or base64 output, and the plain
//! digests some venues put inside their pre-sign text (Gate.io's SHA-512 of the body).

use base64::Engine;
use hmac::digest::core_api::BlockSizeUser;
use hmac::digest::{Digest, FixedOutputReset};
use hmac::{Mac, SimpleHmac};
use sha2::{Sha256, Sha384, Sha512};

/// The hash under the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HmacHash {
    Sha256,
    Sha384,
    Sha512,
}

/// How a signature is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// Lowercase hex.
    Hex,
    /// Standard base64 with padding.
    Base64,
    /// URL-safe base64 with padding (dYdX v3).
    Base64Url,
}

impl Encoding {
    pub fn encode(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Hex => hex::encode(bytes),
            Encoding::Base64 => base64::engine::general_purpose::STANDARD.encode(bytes),
            Encoding::Base64Url => base64::engine::general_purpose::URL_SAFE.encode(bytes),
        }
    }
}

/// The HMAC of the concatenation of `parts` under `key` (raw bytes).
pub fn hmac(hash: HmacHash, key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    match hash {
        HmacHash::Sha256 => mac::<Sha256>(key, parts),
        HmacHash::Sha384 => mac::<Sha384>(key, parts),
        HmacHash::Sha512 => mac::<Sha512>(key, parts),
    }
}

/// The HMAC of the concatenation of `parts` under `key`, encoded.
pub fn hmac_encoded(hash: HmacHash, key: &[u8], parts: &[&[u8]], out: Encoding) -> String {
    out.encode(&hmac(hash, key, parts))
}

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// Lowercase hex SHA-512 of `data`.
pub fn sha512_hex(data: &[u8]) -> String {
    hex::encode(Sha512::digest(data))
}

/// `SimpleHmac::new_from_slice` accepts keys of every length (longer keys are hashed, shorter
/// ones padded), so the error arm is unreachable; it yields an empty MAC rather than a panic.
fn mac<D>(key: &[u8], parts: &[&[u8]]) -> Vec<u8>
where
    D: Digest + BlockSizeUser + FixedOutputReset + Clone,
{
    let Ok(mut m) = <SimpleHmac<D> as Mac>::new_from_slice(key) else {
        return Vec::new();
    };
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
    const KEY: &[u8] = b"Jefe";
    const DATA: &[u8] = b"what do ya want for nothing?";

    #[test]
    fn rfc4231_case_2_for_each_hash() {
        assert_eq!(
            hmac_encoded(HmacHash::Sha256, KEY, &[DATA], Encoding::Hex),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            hmac_encoded(HmacHash::Sha384, KEY, &[DATA], Encoding::Hex),
            "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e\
             8e2240ca5e69e2c78b3239ecfab21649"
        );
        assert_eq!(
            hmac_encoded(HmacHash::Sha512, KEY, &[DATA], Encoding::Hex),
            "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554\
             9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"
        );
    }

    #[test]
    fn parts_are_concatenated_and_base64_is_standard() {
        let whole = hmac(HmacHash::Sha256, KEY, &[DATA]);
        let split = hmac(
            HmacHash::Sha256,
            KEY,
            &[b"what do ya ", b"", b"want for nothing?"],
        );
        assert_eq!(whole, split);
        assert_eq!(
            hmac_encoded(HmacHash::Sha256, KEY, &[DATA], Encoding::Base64),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
    }

    #[test]
    fn long_keys_are_hashed_like_the_rfc_says() {
        // RFC 4231 test case 6: a 131-byte key of 0xaa.
        let key = [0xaau8; 131];
        assert_eq!(
            hmac_encoded(
                HmacHash::Sha256,
                &key,
                &[b"Test Using Larger Than Block-Size Key - Hash Key First"],
                Encoding::Hex
            ),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
        );
    }

    #[test]
    fn digests() {
        assert_eq!(
            sha512_hex(b""),
            "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce\
             47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e"
        );
        assert_eq!(
            hex::encode(sha256(&[b"a", b"bc"])),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
