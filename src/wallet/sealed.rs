//! Password-sealed secrets: any secret bytes encrypted under a password, as a small versioned JSON
//! document that is safe to store on disk (with [`super::secure_file`]).
//!
//! Key derivation is scrypt (parameters and a random 32-byte salt stored in the document); encryption
//! is AES-256-GCM with a random 96-bit nonce. The format name, version, KDF parameters and cipher are
//! authenticated as associated data, so no field can be altered without `open` failing.
//!
//! ```json
//! {"format":"sluice-sealed","version":1,
//!  "kdf":{"name":"scrypt","log_n":17,"r":8,"p":1,"salt":"<64 hex>"},
//!  "cipher":{"name":"aes-256-gcm","nonce":"<24 hex>"},
//!  "ciphertext":"<hex: encrypted secret followed by the 16-byte tag>"}
//! ```
//!
//! ```
//! use sluice::wallet::{SealedBox, ScryptParams};
//! let params = ScryptParams::new(10, 8, 1).unwrap(); // cheap, for the example only
//! let sealed = SealedBox::seal_with(b"password", b"api secret", params).unwrap();
//! let json = sealed.to_json();
//! let opened = SealedBox::from_json(&json).unwrap().open(b"password").unwrap();
//! assert_eq!(&opened[..], b"api secret");
//! assert!(SealedBox::from_json(&json).unwrap().open(b"wrong").is_err());
//! ```

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use super::kdf::{self, KdfError, ScryptParams};

/// Value of the `format` field.
pub const SEALED_FORMAT: &str = "sluice-sealed";
/// The only version this code writes and reads.
pub const SEALED_VERSION: u32 = 1;
const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "aes-256-gcm";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// Why sealing or opening failed. Never contains the password or the secret.
#[derive(Debug, Error)]
pub enum SealError {
    /// The password is wrong, or the document was modified (AES-GCM cannot tell the two apart).
    #[error("wrong password (or the sealed data was modified)")]
    WrongPassword,
    #[error("not a sealed secret: {0}")]
    Malformed(String),
    #[error("unsupported sealed secret: {0}")]
    Unsupported(String),
    #[error("key derivation: {0}")]
    Kdf(#[from] KdfError),
    #[error("operating system random number generator failed: {0}")]
    Rng(String),
    #[error("encryption failed")]
    Encrypt,
}

/// A sealed secret. Holds only public data (parameters, salt, nonce, ciphertext); `Debug` is safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedBox {
    format: String,
    version: u32,
    kdf: KdfSection,
    cipher: CipherSection,
    ciphertext: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KdfSection {
    name: String,
    log_n: u8,
    r: u32,
    p: u32,
    salt: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CipherSection {
    name: String,
    nonce: String,
}

impl SealedBox {
    /// Seals `secret` under `password` with [`ScryptParams::DEFAULT`].
    pub fn seal(password: &[u8], secret: &[u8]) -> Result<Self, SealError> {
        Self::seal_with(password, secret, ScryptParams::DEFAULT)
    }

    /// Seals with explicit scrypt parameters (tests use cheap ones).
    pub fn seal_with(
        password: &[u8],
        secret: &[u8],
        params: ScryptParams,
    ) -> Result<Self, SealError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut salt)?;
        fill_random(&mut nonce)?;
        let key = kdf::scrypt(password, &salt, params, KEY_LEN)?;
        let aad = associated_data(params);
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::Encrypt)?;
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::Encrypt)?;
        Ok(Self {
            format: SEALED_FORMAT.to_string(),
            version: SEALED_VERSION,
            kdf: KdfSection {
                name: KDF_NAME.to_string(),
                log_n: params.log_n(),
                r: params.r(),
                p: params.p(),
                salt: hex::encode(salt),
            },
            cipher: CipherSection {
                name: CIPHER_NAME.to_string(),
                nonce: hex::encode(nonce),
            },
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// Decrypts with `password`. A wrong password gives [`SealError::WrongPassword`].
    pub fn open(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let params = self.check()?;
        let salt = decode_hex("kdf.salt", &self.kdf.salt)?;
        if !(16..=64).contains(&salt.len()) {
            return Err(SealError::Malformed(
                "kdf.salt must be 16 to 64 bytes".into(),
            ));
        }
        let nonce = decode_hex("cipher.nonce", &self.cipher.nonce)?;
        if nonce.len() != NONCE_LEN {
            return Err(SealError::Malformed("cipher.nonce must be 12 bytes".into()));
        }
        let ciphertext = decode_hex("ciphertext", &self.ciphertext)?;
        if ciphertext.len() < TAG_LEN {
            return Err(SealError::Malformed(
                "ciphertext is shorter than its tag".into(),
            ));
        }
        let key = kdf::scrypt(password, &salt, params, KEY_LEN)?;
        let cipher = Aes256Gcm::new_from_slice(&key).map_err(|_| SealError::Encrypt)?;
        let aad = associated_data(params);
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| SealError::WrongPassword)?;
        Ok(Zeroizing::new(plain))
    }

    /// The scrypt parameters this box was sealed with (e.g. to re-seal when defaults grow).
    pub fn kdf_params(&self) -> Result<ScryptParams, SealError> {
        self.check()
    }

    /// Pretty-printed JSON document.
    pub fn to_json(&self) -> String {
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses a JSON document (does not decrypt; see [`SealedBox::open`]).
    pub fn from_json(text: &str) -> Result<Self, SealError> {
        let sealed: Self = serde_json::from_str(text)
            .map_err(|e| SealError::Malformed(format!("invalid JSON document: {e}")))?;
        sealed.check()?;
        Ok(sealed)
    }

    fn check(&self) -> Result<ScryptParams, SealError> {
        if self.format != SEALED_FORMAT {
            return Err(SealError::Malformed(format!(
                "format is {:?}, expected {SEALED_FORMAT:?}",
                self.format
            )));
        }
        if self.version != SEALED_VERSION {
            return Err(SealError::Unsupported(format!("version {}", self.version)));
        }
        if self.kdf.name != KDF_NAME {
            return Err(SealError::Unsupported(format!("kdf {:?}", self.kdf.name)));
        }
        if self.cipher.name != CIPHER_NAME {
            return Err(SealError::Unsupported(format!(
                "cipher {:?}",
                self.cipher.name
            )));
        }
        Ok(ScryptParams::new(self.kdf.log_n, self.kdf.r, self.kdf.p)?)
    }
}

fn associated_data(params: ScryptParams) -> String {
    format!(
        "{SEALED_FORMAT}/{SEALED_VERSION}/{KDF_NAME}/{}/{}/{}/{CIPHER_NAME}",
        params.log_n(),
        params.r(),
        params.p()
    )
}

fn decode_hex(field: &str, value: &str) -> Result<Vec<u8>, SealError> {
    hex::decode(value).map_err(|e| SealError::Malformed(format!("{field} is not hex: {e}")))
}

fn fill_random(buf: &mut [u8]) -> Result<(), SealError> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| SealError::Rng(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cheap() -> ScryptParams {
        ScryptParams::new(10, 8, 1).unwrap()
    }

    #[test]
    fn round_trip_and_random_salt_nonce() {
        let a = SealedBox::seal_with(b"pw", b"secret bytes", cheap()).unwrap();
        let b = SealedBox::seal_with(b"pw", b"secret bytes", cheap()).unwrap();
        assert_ne!(a.kdf.salt, b.kdf.salt);
        assert_ne!(a.cipher.nonce, b.cipher.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
        let json = a.to_json();
        assert!(!json.contains("secret bytes"));
        let back = SealedBox::from_json(&json).unwrap();
        assert_eq!(&back.open(b"pw").unwrap()[..], b"secret bytes");
        assert_eq!(back.kdf_params().unwrap(), cheap());
    }

    #[test]
    fn default_params_round_trip() {
        let sealed = SealedBox::seal(b"pw", b"k").unwrap();
        assert_eq!(sealed.kdf_params().unwrap(), ScryptParams::DEFAULT);
        assert_eq!(&sealed.open(b"pw").unwrap()[..], b"k");
    }

    #[test]
    fn wrong_password_is_a_clear_error() {
        let sealed = SealedBox::seal_with(b"right", b"secret", cheap()).unwrap();
        let err = sealed.open(b"wrong").unwrap_err();
        assert!(matches!(err, SealError::WrongPassword));
        assert!(err.to_string().contains("wrong password"));
    }

    #[test]
    fn tampering_is_detected() {
        let sealed = SealedBox::seal_with(b"pw", b"secret", cheap()).unwrap();
        let mut ct = sealed.clone();
        let mut bytes = hex::decode(&ct.ciphertext).unwrap();
        bytes[0] ^= 1;
        ct.ciphertext = hex::encode(bytes);
        assert!(matches!(ct.open(b"pw"), Err(SealError::WrongPassword)));

        let mut truncated = sealed.clone();
        truncated
            .ciphertext
            .truncate(truncated.ciphertext.len() - 2);
        assert!(matches!(
            truncated.open(b"pw"),
            Err(SealError::WrongPassword)
        ));

        let mut short = sealed.clone();
        short.ciphertext = "00".into();
        assert!(matches!(short.open(b"pw"), Err(SealError::Malformed(_))));

        let mut params = sealed.clone();
        params.kdf.log_n = 11;
        assert!(matches!(params.open(b"pw"), Err(SealError::WrongPassword)));

        let mut version = sealed;
        version.version = 2;
        assert!(matches!(
            version.open(b"pw"),
            Err(SealError::Unsupported(_))
        ));
        assert!(SealedBox::from_json("{\"format\":1}").is_err());
    }
}
