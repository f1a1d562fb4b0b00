//! Request signing behind one trait. Credentials are zeroized on drop and never printed; each
//! exchange picks the signer its keys call for (Binance: hex HMAC-SHA256, or base64 Ed25519).

use std::fmt;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// Why a signer could not be built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the API key is empty or has characters that cannot go in a header")]
    BadApiKey,
    #[error("the secret is empty")]
    EmptySecret,
    #[error("the Ed25519 private key is not a PKCS#8 PEM key: {0}")]
    BadEd25519Key(String),
}

/// An API key and its secret. `Debug` shows only the first characters of the key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiCredentials {
    api_key: String,
    secret: String,
}

impl ApiCredentials {
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Result<Self, AuthError> {
        let api_key = api_key.into();
        let secret = secret.into();
        if api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::BadApiKey);
        }
        if secret.is_empty() {
            return Err(AuthError::EmptySecret);
        }
        Ok(Self { api_key, secret })
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The secret, for a signer or for sealing it in the key store.
    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.api_key.chars().take(4).collect();
        write!(
            f,
            "ApiCredentials {{ api_key: {shown}…, secret: <redacted> }}"
        )
    }
}

/// Signs request payloads for one exchange account.
pub trait RequestSigner: Send + Sync + fmt::Debug {
    /// The key sent alongside the signature (e.g. Binance's `X-MBX-APIKEY` header).
    fn api_key(&self) -> &str;
    /// The signature of `payload`, in the exchange's text encoding.
    fn sign(&self, payload: &[u8]) -> String;
}

/// Hex-encoded HMAC-SHA256 (Binance HMAC keys).
#[derive(Clone)]
pub struct HmacSha256Signer {
    creds: ApiCredentials,
}

impl HmacSha256Signer {
    pub fn new(creds: ApiCredentials) -> Self {
        Self { creds }
    }
}

impl fmt::Debug for HmacSha256Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HmacSha256Signer")
            .field("creds", &self.creds)
            .finish()
    }
}

/// The raw HMAC-SHA256 of `payload` under `secret`, hex encoded.
pub fn hmac_sha256_hex(secret: &[u8], payload: &[u8]) -> String {
    #[allow(clippy::expect_used)]
    let mut mac = Hmac::<Sha256>::new_from_slice(secret)
        .expect("HMAC accepts keys of any length; new_from_slice never fails for it");
    mac.update(payload);
    hex::encode(mac.finalize().into_bytes())
}

impl RequestSigner for HmacSha256Signer {
    fn api_key(&self) -> &str {
        self.creds.api_key()
    }

    fn sign(&self, payload: &[u8]) -> String {
        hmac_sha256_hex(self.creds.secret().as_bytes(), payload)
    }
}

/// Base64 Ed25519 signatures (Binance Ed25519 keys; the secret is the PKCS#8 PEM private key).
pub struct Ed25519Signer {
    api_key: String,
    key: ed25519_dalek::SigningKey,
}

impl Ed25519Signer {
    pub fn new(creds: &ApiCredentials) -> Result<Self, AuthError> {
        use ed25519_dalek::pkcs8::DecodePrivateKey;
        // PEM is base64 DER between the BEGIN/END lines.
        let body: Zeroizing<String> = Zeroizing::new(
            creds
                .secret()
                .lines()
                .filter(|l| !l.starts_with("-----"))
                .map(str::trim)
                .collect(),
        );
        let der = Zeroizing::new(
            base64::engine::general_purpose::STANDARD
                .decode(body.as_bytes())
                .map_err(|_| AuthError::BadEd25519Key("not base64".into()))?,
        );
        let key = ed25519_dalek::SigningKey::from_pkcs8_der(&der)
            .map_err(|e| AuthError::BadEd25519Key(e.to_string()))?;
        Ok(Self {
            api_key: creds.api_key().to_string(),
            key,
        })
    }
}

impl fmt::Debug for Ed25519Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Ed25519Signer {{ key: <redacted> }}")
    }
}

impl RequestSigner for Ed25519Signer {
    fn api_key(&self) -> &str {
        &self.api_key
    }

    fn sign(&self, payload: &[u8]) -> String {
        use ed25519_dalek::Signer;
        base64::engine::general_purpose::STANDARD.encode(self.key.sign(payload).to_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_redacted() {
        let c = ApiCredentials::new("abcdefgh", "topsecret").unwrap();
        let shown = format!("{:?}", HmacSha256Signer::new(c.clone()));
        assert!(
            !shown.contains("topsecret") && !shown.contains("abcdefgh"),
            "{shown}"
        );
        assert!(ApiCredentials::new("", "x").is_err());
        assert!(ApiCredentials::new("a b", "x").is_err());
        assert!(ApiCredentials::new("ab", "").is_err());
    }

    #[test]
    fn hmac_known_answer() {
        // RFC 4231 test case 2
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn ed25519_signs_and_rejects_garbage() {
        use ed25519_dalek::{Signature, Verifier};
        let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
        // PKCS#8 v1 DER of an Ed25519 key: fixed 16-byte prefix, then the 32-byte seed.
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
        der.extend_from_slice(&[7u8; 32]);
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(&der)
        );
        let s = Ed25519Signer::new(&ApiCredentials::new("k", pem.as_str()).unwrap()).unwrap();
        let sig = s.sign(b"symbol=BTCUSDT&timestamp=1");
        let raw = base64::engine::general_purpose::STANDARD
            .decode(sig)
            .unwrap();
        let sig = Signature::from_slice(&raw).unwrap();
        assert!(
            key.verifying_key()
                .verify(b"symbol=BTCUSDT&timestamp=1", &sig)
                .is_ok()
        );
        assert!(Ed25519Signer::new(&ApiCredentials::new("k", "nope").unwrap()).is_err());
    }
}
