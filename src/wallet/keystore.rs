//! Ethereum keystore v3 files (Web3 Secret Storage): import with scrypt or PBKDF2 (the `crypto` or
//! `Crypto` key; unknown fields ignored) and export with scrypt, readable by geth, foundry, MetaMask.
//!
//! Decryption: derived key DK = KDF(password); MAC = Keccak-256(DK[16..32] ‖ ciphertext) must match
//! (compared in constant time) before AES-128-CTR with key DK[0..16] and the file's IV decrypts.

use aes::cipher::{KeyIvInit, StreamCipher};
use alloy::primitives::keccak256;
use rand::RngCore;
use serde_json::{Value, json};
use thiserror::Error;
use zeroize::Zeroizing;

use super::kdf::{self, KdfError, ScryptParams};
use super::keys::{KeyError, PrivateKey};

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;

/// Parameters geth calls "standard": N=2^18, r=8, p=1.
pub const EXPORT_SCRYPT: ScryptParams = ScryptParams::GETH_STANDARD;

#[derive(Debug, Error)]
pub enum KeystoreError {
    #[error("not a keystore v3 file: {0}")]
    Malformed(String),
    #[error("unsupported keystore: {0}")]
    Unsupported(String),
    #[error("wrong password, or the keystore is corrupted or tampered with (MAC mismatch)")]
    MacMismatch,
    #[error("key derivation: {0}")]
    Kdf(#[from] KdfError),
    #[error("the decrypted key is invalid: {0}")]
    Key(#[from] KeyError),
    #[error("operating system random number generator failed: {0}")]
    Rng(String),
}

fn malformed(what: impl Into<String>) -> KeystoreError {
    KeystoreError::Malformed(what.into())
}

fn field<'a>(v: &'a Value, name: &str) -> Result<&'a Value, KeystoreError> {
    v.get(name)
        .ok_or_else(|| malformed(format!("missing {name:?}")))
}

fn str_field<'a>(v: &'a Value, name: &str) -> Result<&'a str, KeystoreError> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| malformed(format!("{name:?} is not a string")))
}

fn u64_field(v: &Value, name: &str) -> Result<u64, KeystoreError> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| malformed(format!("{name:?} is not a non-negative integer")))
}

fn u32_field(v: &Value, name: &str) -> Result<u32, KeystoreError> {
    u32::try_from(u64_field(v, name)?).map_err(|_| malformed(format!("{name:?} is too large")))
}

fn hex_field(v: &Value, name: &str) -> Result<Vec<u8>, KeystoreError> {
    let s = str_field(v, name)?;
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .map_err(|_| malformed(format!("{name:?} is not hex")))
}

/// Decrypts a keystore v3 JSON document with `password`.
pub fn decrypt_keystore(json: &str, password: &[u8]) -> Result<PrivateKey, KeystoreError> {
    let doc: Value =
        serde_json::from_str(json).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
    match doc.get("version").and_then(Value::as_u64) {
        Some(3) => {}
        Some(v) => return Err(KeystoreError::Unsupported(format!("version {v}"))),
        None => return Err(malformed("missing numeric \"version\"")),
    }
    let crypto = doc
        .get("crypto")
        .or_else(|| doc.get("Crypto"))
        .ok_or_else(|| malformed("missing \"crypto\""))?;
    let cipher = str_field(crypto, "cipher")?;
    if cipher != "aes-128-ctr" {
        return Err(KeystoreError::Unsupported(format!("cipher {cipher:?}")));
    }
    let iv = hex_field(field(crypto, "cipherparams")?, "iv")?;
    if iv.len() != 16 {
        return Err(malformed("cipherparams.iv must be 16 bytes"));
    }
    let ciphertext = hex_field(crypto, "ciphertext")?;
    let mac = hex_field(crypto, "mac")?;
    if mac.len() != 32 {
        return Err(malformed("mac must be 32 bytes"));
    }
    let params = field(crypto, "kdfparams")?;
    let dklen = usize::try_from(u64_field(params, "dklen")?)
        .map_err(|_| malformed("dklen is too large"))?;
    if dklen < 32 {
        return Err(malformed("kdfparams.dklen must be at least 32"));
    }
    let salt = hex_field(params, "salt")?;
    let kdf_name = str_field(crypto, "kdf")?;
    tracing::trace!(kdf = kdf_name, dklen, "decrypting keystore v3");
    let derived = match kdf_name {
        "scrypt" => {
            let sp = ScryptParams::from_n(
                u64_field(params, "n")?,
                u32_field(params, "r")?,
                u32_field(params, "p")?,
            )?;
            kdf::scrypt(password, &salt, sp, dklen)?
        }
        "pbkdf2" => {
            let prf = str_field(params, "prf")?;
            if prf != "hmac-sha256" {
                return Err(KeystoreError::Unsupported(format!("pbkdf2 prf {prf:?}")));
            }
            kdf::pbkdf2_sha256(password, &salt, u32_field(params, "c")?, dklen)?
        }
        other => return Err(KeystoreError::Unsupported(format!("kdf {other:?}"))),
    };
    // Holds the MAC half of the derived key: wiped on drop.
    let mut mac_body = Zeroizing::new(Vec::with_capacity(16 + ciphertext.len()));
    mac_body.extend_from_slice(&derived[16..32]);
    mac_body.extend_from_slice(&ciphertext);
    if !constant_time_eq(keccak256(&mac_body[..]).as_slice(), &mac) {
        return Err(KeystoreError::MacMismatch);
    }
    let mut plain = Zeroizing::new(ciphertext);
    let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], &iv)
        .map_err(|_| malformed("bad cipher key or iv length"))?;
    cipher.apply_keystream(&mut plain);
    Ok(PrivateKey::from_bytes(&plain)?)
}

/// Encrypts `key` as a keystore v3 JSON document (scrypt with `params`, AES-128-CTR).
pub fn encrypt_keystore(
    key: &PrivateKey,
    password: &[u8],
    params: ScryptParams,
) -> Result<String, KeystoreError> {
    let mut salt = [0u8; 32];
    let mut iv = [0u8; 16];
    let mut rng = rand::rngs::OsRng;
    rng.try_fill_bytes(&mut salt)
        .and_then(|()| rng.try_fill_bytes(&mut iv))
        .map_err(|e| KeystoreError::Rng(e.to_string()))?;
    let derived = kdf::scrypt(password, &salt, params, 32)?;
    // The plain key until the keystream is applied: wiped if anything fails before.
    let mut ciphertext = Zeroizing::new(key.to_bytes().to_vec());
    let mut cipher = Aes128Ctr::new_from_slices(&derived[..16], &iv)
        .map_err(|_| malformed("bad cipher key or iv length"))?;
    cipher.apply_keystream(&mut ciphertext);
    let mut mac_body = Zeroizing::new(Vec::with_capacity(48));
    mac_body.extend_from_slice(&derived[16..32]);
    mac_body.extend_from_slice(&ciphertext);
    let mac = keccak256(&mac_body[..]);
    let doc = json!({
        "address": hex::encode(key.evm_address()),
        "crypto": {
            "cipher": "aes-128-ctr",
            "cipherparams": { "iv": hex::encode(iv) },
            "ciphertext": hex::encode(&ciphertext[..]),
            "kdf": "scrypt",
            "kdfparams": {
                "dklen": 32,
                "n": params.n(),
                "p": params.p(),
                "r": params.r(),
                "salt": hex::encode(salt),
            },
            "mac": hex::encode(mac),
        },
        "id": uuid::Uuid::new_v4().to_string(),
        "version": 3,
    });
    serde_json::to_string_pretty(&doc).map_err(|e| malformed(e.to_string()))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Compiles only if the AES key schedule and the CTR state wipe themselves on drop (the
    /// `zeroize` features of `aes` and `ctr`).
    #[test]
    fn cipher_state_is_wiped_on_drop() {
        fn wiped_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        wiped_on_drop::<aes::Aes128>();
        wiped_on_drop::<aes::Aes256>();
        wiped_on_drop::<Aes128Ctr>();
    }

    #[test]
    fn round_trip_with_cheap_params() {
        let key = PrivateKey::from_hex(
            "7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d",
        )
        .unwrap();
        let params = ScryptParams::new(10, 8, 1).unwrap();
        let json = encrypt_keystore(&key, b"pw", params).unwrap();
        assert!(!json.contains("7a28b5ba"));
        let back = decrypt_keystore(&json, b"pw").unwrap();
        assert_eq!(*back.to_bytes(), *key.to_bytes());
        assert!(matches!(
            decrypt_keystore(&json, b"nope"),
            Err(KeystoreError::MacMismatch)
        ));
    }
}
