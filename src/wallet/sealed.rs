//! Password-sealed secrets: any secret bytes encrypted under a password, as a small versioned JSON
//! document that is safe to store on disk (with [`super::secure_file`]).
//!
//! Key derivation is scrypt (parameters and a random 32-byte salt stored in the document); encryption
//! is AES-256-GCM with a random 96-bit nonce. The format name, version, KDF parameters and cipher are
//! authenticated as associated data, so no field can be altered without `open` failing.
//!
//! Version 2 (written since wallets bind their names) also authenticates a caller's *binding*: the
//! public facts of the file the secret lives in (a wallet's name, kind and address; an API key's
//! venue), so a sealed secret copied or renamed to another file, or with those facts edited, fails to
//! open. scrypt yields 64 bytes: the AES key and a key for `password_check`, an HMAC that tells a
//! wrong password ([`SealError::WrongPassword`]) from a right password on a secret sealed for other
//! facts ([`SealError::Mismatch`]). Version 1 documents (no binding, 32-byte key, no check) still
//! open; [`SealedBox::is_legacy`] tells them apart.
//!
//! ```json
//! {"format":"sluice-sealed","version":2,
//!  "kdf":{"name":"scrypt","log_n":17,"r":8,"p":1,"salt":"<64 hex>"},
//!  "cipher":{"name":"aes-256-gcm","nonce":"<24 hex>"},
//!  "password_check":"<64 hex>",
//!  "ciphertext":"<hex: encrypted secret followed by the 16-byte tag>"}
//! ```
//!
//! ```
//! use sluice::wallet::{SealedBox, ScryptParams};
//! let params = ScryptParams::new(10, 8, 1).unwrap(); // cheap, for the example only
//! let sealed = SealedBox::seal_bound(b"password", b"api secret", params, b"venue=binance").unwrap();
//! let json = sealed.to_json();
//! let opened = SealedBox::from_json(&json).unwrap().open_bound(b"password", b"venue=binance").unwrap();
//! assert_eq!(&opened[..], b"api secret");
//! assert!(SealedBox::from_json(&json).unwrap().open_bound(b"wrong", b"venue=binance").is_err());
//! assert!(SealedBox::from_json(&json).unwrap().open_bound(b"password", b"venue=okx").is_err());
//! ```

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::Zeroizing;

use super::kdf::{self, KdfError, ScryptParams};

/// Value of the `format` field.
pub const SEALED_FORMAT: &str = "sluice-sealed";
/// The version this code writes: with a binding and a password check.
pub const SEALED_VERSION: u32 = 2;
/// The first version (no binding, no password check): still read.
pub const LEGACY_SEALED_VERSION: u32 = 1;
const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "aes-256-gcm";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;
/// Version 2 derives the AES key and the password-check key in one scrypt run.
const KEYS_LEN: usize = 2 * KEY_LEN;
const CHECK_LABEL: &[u8] = b"sluice-sealed password check";

/// Why sealing or opening failed. Never contains the password or the secret.
#[derive(Debug, Error)]
pub enum SealError {
    /// The password is wrong, or the document was modified (AES-GCM cannot tell the two apart).
    #[error("wrong password (or the sealed data was modified)")]
    WrongPassword,
    /// The password is right, but the secret was sealed for other public facts (another file name,
    /// address or venue), or the ciphertext was modified.
    #[error(
        "the password is right, but the sealed secret does not belong to this file: it was \
         renamed or copied from another one, or its public fields were edited"
    )]
    Mismatch,
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
    /// Version 2: HMAC-SHA256 of a fixed label under the second half of the scrypt output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    password_check: Option<String>,
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
    /// Seals `secret` under `password` with [`ScryptParams::DEFAULT`] and no binding.
    pub fn seal(password: &[u8], secret: &[u8]) -> Result<Self, SealError> {
        Self::seal_bound(password, secret, ScryptParams::DEFAULT, b"")
    }

    /// Seals with explicit scrypt parameters (tests use cheap ones) and no binding.
    pub fn seal_with(
        password: &[u8],
        secret: &[u8],
        params: ScryptParams,
    ) -> Result<Self, SealError> {
        Self::seal_bound(password, secret, params, b"")
    }

    /// Seals `secret` bound to `binding` (public facts of where it is stored): it opens only with
    /// the same binding ([`SealedBox::open_bound`]).
    pub fn seal_bound(
        password: &[u8],
        secret: &[u8],
        params: ScryptParams,
        binding: &[u8],
    ) -> Result<Self, SealError> {
        let mut salt = [0u8; SALT_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        fill_random(&mut salt)?;
        fill_random(&mut nonce)?;
        let keys = kdf::scrypt(password, &salt, params, KEYS_LEN)?;
        let (key, check_key) = keys.split_at(KEY_LEN);
        let aad = associated_data(SEALED_VERSION, params, binding);
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::Encrypt)?;
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: &aad,
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
            password_check: Some(hex::encode(
                password_check(check_key)?.finalize().into_bytes(),
            )),
            ciphertext: hex::encode(ciphertext),
        })
    }

    /// Decrypts a secret sealed without a binding.
    pub fn open(&self, password: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        self.open_bound(password, b"")
    }

    /// Decrypts with `password`, checking that the secret was sealed with `binding` (a legacy
    /// version 1 box has no binding: any `binding` is accepted, see [`SealedBox::is_legacy`]).
    /// A wrong password gives [`SealError::WrongPassword`], a right one with another binding
    /// [`SealError::Mismatch`].
    pub fn open_bound(
        &self,
        password: &[u8],
        binding: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, SealError> {
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
        let (keys, check, aad) = match &self.password_check {
            None => (
                kdf::scrypt(password, &salt, params, KEY_LEN)?,
                None,
                associated_data(self.version, params, b""),
            ),
            Some(hex_check) => (
                kdf::scrypt(password, &salt, params, KEYS_LEN)?,
                Some(decode_hex("password_check", hex_check)?),
                associated_data(self.version, params, binding),
            ),
        };
        let (key, check_key) = keys.split_at(KEY_LEN);
        if let Some(expected) = &check {
            password_check(check_key)?
                .verify_slice(expected)
                .map_err(|_| SealError::WrongPassword)?;
        }
        let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| SealError::Encrypt)?;
        let plain = cipher
            .decrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: &ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| match check {
                // The check proved the password right: the binding or the ciphertext differs.
                Some(_) => SealError::Mismatch,
                None => SealError::WrongPassword,
            })?;
        Ok(Zeroizing::new(plain))
    }

    /// True for a version 1 box: sealed before bindings existed, so opening it checks no binding.
    pub fn is_legacy(&self) -> bool {
        self.version == LEGACY_SEALED_VERSION
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
        match (self.version, &self.password_check) {
            (LEGACY_SEALED_VERSION, None) | (SEALED_VERSION, Some(_)) => {}
            (LEGACY_SEALED_VERSION | SEALED_VERSION, _) => {
                return Err(SealError::Malformed(format!(
                    "version {} {} a password_check",
                    self.version,
                    if self.version == SEALED_VERSION {
                        "needs"
                    } else {
                        "has no"
                    }
                )));
            }
            (v, _) => return Err(SealError::Unsupported(format!("version {v}"))),
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

/// The authenticated data: the document's fixed fields, then (version 2) a newline and the binding.
/// The fixed part has no newline, so no two (fields, binding) pairs give the same bytes.
fn associated_data(version: u32, params: ScryptParams, binding: &[u8]) -> Vec<u8> {
    let mut aad = format!(
        "{SEALED_FORMAT}/{version}/{KDF_NAME}/{}/{}/{}/{CIPHER_NAME}",
        params.log_n(),
        params.r(),
        params.p()
    )
    .into_bytes();
    if version != LEGACY_SEALED_VERSION {
        aad.push(b'\n');
        aad.extend_from_slice(binding);
    }
    aad
}

/// The HMAC whose output is stored as `password_check` (its key is secret: zeroized by the caller).
fn password_check(check_key: &[u8]) -> Result<Hmac<sha2::Sha256>, SealError> {
    let mut mac =
        <Hmac<sha2::Sha256> as Mac>::new_from_slice(check_key).map_err(|_| SealError::Encrypt)?;
    mac.update(CHECK_LABEL);
    Ok(mac)
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
        // The password check passes: the modified ciphertext is reported as such.
        assert!(matches!(ct.open(b"pw"), Err(SealError::Mismatch)));
        assert!(matches!(ct.open(b"pX"), Err(SealError::WrongPassword)));

        let mut truncated = sealed.clone();
        truncated
            .ciphertext
            .truncate(truncated.ciphertext.len() - 2);
        assert!(matches!(truncated.open(b"pw"), Err(SealError::Mismatch)));

        let mut check = sealed.clone();
        check.password_check = Some("00".repeat(32));
        assert!(matches!(check.open(b"pw"), Err(SealError::WrongPassword)));

        let mut short = sealed.clone();
        short.ciphertext = "00".into();
        assert!(matches!(short.open(b"pw"), Err(SealError::Malformed(_))));

        let mut params = sealed.clone();
        params.kdf.log_n = 11;
        assert!(matches!(params.open(b"pw"), Err(SealError::WrongPassword)));

        let mut version = sealed.clone();
        version.version = 3;
        assert!(matches!(
            version.open(b"pw"),
            Err(SealError::Unsupported(_))
        ));
        assert!(SealedBox::from_json("{\"format\":1}").is_err());

        // Claiming version 1 (no binding) for a version 2 box is refused, as is dropping its check.
        let mut downgraded = sealed.clone();
        downgraded.version = LEGACY_SEALED_VERSION;
        assert!(matches!(
            downgraded.open(b"pw"),
            Err(SealError::Malformed(_))
        ));
        downgraded.password_check = None;
        assert!(matches!(
            downgraded.open(b"pw"),
            Err(SealError::WrongPassword)
        ));
    }

    /// A secret sealed for one binding opens only with it; a wrong password is still told apart.
    #[test]
    fn binding_is_authenticated() {
        let sealed = SealedBox::seal_bound(b"pw", b"secret", cheap(), b"name=a").unwrap();
        assert!(!sealed.is_legacy());
        assert!(sealed.to_json().contains("\"version\": 2"));
        assert_eq!(&sealed.open_bound(b"pw", b"name=a").unwrap()[..], b"secret");
        for other in [&b"name=b"[..], b"", b"name=a ", b"name=A"] {
            let err = sealed.open_bound(b"pw", other).unwrap_err();
            assert!(matches!(err, SealError::Mismatch), "{err}");
            assert!(err.to_string().contains("password is right"), "{err}");
        }
        assert!(matches!(
            sealed.open_bound(b"wrong", b"name=a"),
            Err(SealError::WrongPassword)
        ));
        // An unbound box is bound to the empty binding.
        let unbound = SealedBox::seal_with(b"pw", b"secret", cheap()).unwrap();
        assert!(matches!(
            unbound.open_bound(b"pw", b"name=a"),
            Err(SealError::Mismatch)
        ));
    }

    /// A version 1 document written by the code before bindings existed (an API key file's
    /// `sealed` part) still opens, with any binding, and says it is legacy.
    #[test]
    fn legacy_version_1_still_opens() {
        let ciphertext = concat!(
            "dafaa2b21ae3170fa6b0ee99394652933964c19cd19530c0b644556650e1fbc6d3efb0ca538447d28804e0",
            "d649472cae15b3cf0a4c4e2857958d1ef1772972c2ca1aacd60a39c3308002"
        );
        let v1 = format!(
            r#"{{"format": "sluice-sealed", "version": 1, "kdf": {{"name": "scrypt", "log_n": 17,
            "r": 8, "p": 1, "salt": "17e31f3cd91fffc592342356d575c407e853d255e7997ebfa44d874acdcd5731"}},
            "cipher": {{"name": "aes-256-gcm", "nonce": "e9ef0057fdd1b7ab7468e98f"}},
            "ciphertext": "{ciphertext}"}}"#
        );
        let sealed = SealedBox::from_json(&v1).unwrap();
        assert!(sealed.is_legacy());
        let want = br#"{"api_key":"k3yLegacyApiKey","secret":"legacy-api-secret"}"#;
        assert_eq!(&sealed.open(b"legacy-pw").unwrap()[..], want);
        assert_eq!(
            &sealed.open_bound(b"legacy-pw", b"venue=x").unwrap()[..],
            want
        );
        assert!(matches!(
            sealed.open(b"other"),
            Err(SealError::WrongPassword)
        ));
    }
}
