//! Exchange API credentials as stored and entered: the API key, the secret as text (an HMAC key,
//! or a PEM private key) and, for venues that issue one, a passphrase. Zeroized on drop and never
//! printed. A venue turns them into signing [`Credentials`](super::sign::Credentials) in the form
//! its recipe declares (`cex::exchanges::keys`); signing itself lives in [`super::sign`].

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop};

use super::sign::{Credentials, CredentialsError, KeyForm};

/// Why credentials could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the API key is empty or has characters that cannot go in a header")]
    BadApiKey,
    #[error("the secret is empty")]
    EmptySecret,
    #[error("the passphrase is empty or has characters that cannot go in a header")]
    BadPassphrase,
    #[error(transparent)]
    Credentials(#[from] CredentialsError),
}

/// An API key, its secret and an optional passphrase. `Debug` shows only the first characters of
/// the key.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct ApiCredentials {
    api_key: String,
    secret: String,
    passphrase: Option<String>,
}

impl ApiCredentials {
    pub fn new(api_key: impl Into<String>, secret: impl Into<String>) -> Result<Self, AuthError> {
        let api_key = api_key.into();
        let secret = secret.into();
        if api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(AuthError::BadApiKey);
        }
        if secret.trim().is_empty() {
            return Err(AuthError::EmptySecret);
        }
        Ok(Self {
            api_key,
            secret,
            passphrase: None,
        })
    }

    /// The same credentials with the passphrase (OKX, KuCoin, Coinbase Exchange; BitMart's memo).
    pub fn with_passphrase(mut self, passphrase: impl Into<String>) -> Result<Self, AuthError> {
        let p = passphrase.into();
        if p.is_empty() || !p.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) {
            return Err(AuthError::BadPassphrase);
        }
        self.passphrase = Some(p);
        Ok(self)
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// The secret, for parsing into signing credentials or sealing it in the key store.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    pub fn passphrase(&self) -> Option<&str> {
        self.passphrase.as_deref()
    }

    /// Signing credentials with the secret parsed as `form` (a PEM secret may come on one line
    /// with `\n` escapes).
    pub fn to_signing(&self, form: KeyForm) -> Result<Credentials, AuthError> {
        Ok(Credentials::parse(
            form,
            &self.api_key,
            &self.secret,
            self.passphrase.as_deref(),
        )?)
    }
}

impl fmt::Debug for ApiCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.api_key.chars().take(4).collect();
        write!(
            f,
            "ApiCredentials {{ api_key: {shown}…, secret: <redacted>, passphrase: {} }}",
            if self.passphrase.is_some() {
                "<redacted>"
            } else {
                "none"
            }
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked_and_secrets_redacted() {
        let c = ApiCredentials::new("abcdefgh", "topsecret")
            .unwrap()
            .with_passphrase("hunter2")
            .unwrap();
        assert_eq!(c.passphrase(), Some("hunter2"));
        let shown = format!("{c:?}");
        for s in ["topsecret", "abcdefgh", "hunter2"] {
            assert!(!shown.contains(s), "{shown}");
        }
        assert!(ApiCredentials::new("", "x").is_err());
        assert!(ApiCredentials::new("a b", "x").is_err());
        assert!(ApiCredentials::new("ab", "").is_err());
        assert_eq!(
            ApiCredentials::new("ab", "x")
                .unwrap()
                .with_passphrase("a\nb")
                .unwrap_err(),
            AuthError::BadPassphrase
        );
    }

    #[test]
    fn signing_credentials_keep_the_passphrase_and_parse_the_form() {
        let c = ApiCredentials::new("k", "s3cr3t")
            .unwrap()
            .with_passphrase("pp")
            .unwrap();
        let s = c.to_signing(KeyForm::HmacRaw).unwrap();
        assert_eq!((s.api_key(), s.passphrase()), ("k", Some("pp")));
        assert!(matches!(
            c.to_signing(KeyForm::Ed25519Pem),
            Err(AuthError::Credentials(_))
        ));
    }
}
