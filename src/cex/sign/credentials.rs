//! An exchange account's credentials: the API key, the secret in the form its venue signs with
//! (an HMAC key, raw or base64-decoded; an Ed25519 PKCS#8 PEM key; an EC P-256 SEC1 or PKCS#8 PEM
//! key) and an optional passphrase. Everything is zeroized on drop; `Debug` shows the key's first
//! characters only, and no error quotes a secret.

use std::fmt;

use base64::Engine;
use ed25519_dalek::pkcs8::DecodePrivateKey as _;
use zeroize::Zeroizing;

use super::pem::decode_pem;

/// The form a venue's secret comes in, which decides how it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyForm {
    /// An HMAC key used as its UTF-8 bytes (Binance, OKX, KuCoin, Gate.io, Bybit, …).
    HmacRaw,
    /// An HMAC key given in base64 and used decoded (Kraken, Coinbase Exchange).
    HmacBase64,
    /// An HMAC key given in URL-safe base64 and used decoded (dYdX v3's API secrets).
    HmacBase64Url,
    /// An Ed25519 private key, PKCS#8 PEM (`BEGIN PRIVATE KEY`): Binance Ed25519 keys.
    Ed25519Pem,
    /// An EC P-256 private key, SEC1 (`BEGIN EC PRIVATE KEY`) or PKCS#8 PEM: Coinbase CDP keys.
    EcP256Pem,
    /// No secret here: the signing key is held by the venue's recipe (Loopring's L2 EdDSA key,
    /// derived from the wallet); the credentials carry only the API key, which may still be
    /// empty while the venue has not issued it. Built with [`Credentials::key_only`].
    External,
}

/// Why credentials could not be built. No variant carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    #[error("the API key is empty or has characters that cannot go in a header")]
    BadApiKey,
    #[error("the secret is empty")]
    EmptySecret,
    #[error("the secret is not base64 (this venue's secrets are base64-encoded)")]
    SecretNotBase64,
    #[error("the passphrase is empty or has characters that cannot go in a header")]
    BadPassphrase,
    #[error("the private key is not a usable PEM key: {0}")]
    BadPem(&'static str),
    #[error("the PEM key is not {0}")]
    WrongKey(&'static str),
}

enum Secret {
    None,
    Hmac(Zeroizing<Vec<u8>>),
    Ed25519(ed25519_dalek::SigningKey),
    EcP256(p256::ecdsa::SigningKey),
}

/// An API key, its secret parsed for signing, and an optional passphrase.
pub struct Credentials {
    api_key: Zeroizing<String>,
    secret: Secret,
    form: KeyForm,
    passphrase: Option<Zeroizing<String>>,
}

impl Credentials {
    /// Parses `secret` as `form` calls for. A PEM secret may come on one line with `\n` escapes.
    /// `passphrase` is the third thing some venues issue (OKX, KuCoin, Coinbase Exchange; BitMart
    /// calls it the memo).
    pub fn parse(
        form: KeyForm,
        api_key: &str,
        secret: &str,
        passphrase: Option<&str>,
    ) -> Result<Self, CredentialsError> {
        if api_key.is_empty() || !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialsError::BadApiKey);
        }
        if secret.trim().is_empty() {
            return Err(CredentialsError::EmptySecret);
        }
        let passphrase = match passphrase {
            None => None,
            Some(p) if p.is_empty() || !p.bytes().all(|b| b == b' ' || b.is_ascii_graphic()) => {
                return Err(CredentialsError::BadPassphrase);
            }
            Some(p) => Some(Zeroizing::new(p.to_string())),
        };
        let secret = match form {
            KeyForm::HmacRaw => Secret::Hmac(Zeroizing::new(secret.as_bytes().to_vec())),
            KeyForm::HmacBase64 => Secret::Hmac(Zeroizing::new(
                base64::engine::general_purpose::STANDARD
                    .decode(secret.trim())
                    .map_err(|_| CredentialsError::SecretNotBase64)?,
            )),
            KeyForm::HmacBase64Url => Secret::Hmac(Zeroizing::new(
                base64::engine::general_purpose::URL_SAFE
                    .decode(secret.trim())
                    .map_err(|_| CredentialsError::SecretNotBase64)?,
            )),
            KeyForm::Ed25519Pem => Secret::Ed25519(ed25519_from_pem(secret)?),
            KeyForm::EcP256Pem => Secret::EcP256(p256_from_pem(secret)?),
            KeyForm::External => Secret::None,
        };
        Ok(Self {
            api_key: Zeroizing::new(api_key.to_string()),
            secret,
            form,
            passphrase,
        })
    }

    /// Credentials of [`KeyForm::External`]: the API key alone (empty: not issued yet), for a
    /// recipe that holds its own signing key.
    pub fn key_only(api_key: &str) -> Result<Self, CredentialsError> {
        if !api_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(CredentialsError::BadApiKey);
        }
        Ok(Self {
            api_key: Zeroizing::new(api_key.to_string()),
            secret: Secret::None,
            form: KeyForm::External,
            passphrase: None,
        })
    }

    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    pub fn passphrase(&self) -> Option<&str> {
        self.passphrase.as_deref().map(String::as_str)
    }

    pub fn key_form(&self) -> KeyForm {
        self.form
    }

    /// The HMAC key bytes, if these are HMAC credentials.
    pub(crate) fn hmac_key(&self) -> Option<&[u8]> {
        match &self.secret {
            Secret::Hmac(k) => Some(k),
            _ => None,
        }
    }

    pub(crate) fn ed25519_key(&self) -> Option<&ed25519_dalek::SigningKey> {
        match &self.secret {
            Secret::Ed25519(k) => Some(k),
            _ => None,
        }
    }

    pub(crate) fn p256_key(&self) -> Option<&p256::ecdsa::SigningKey> {
        match &self.secret {
            Secret::EcP256(k) => Some(k),
            _ => None,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: String = self.api_key.chars().take(4).collect();
        write!(
            f,
            "Credentials {{ api_key: {shown}…, form: {:?}, secret: <redacted>, passphrase: {} }}",
            self.form,
            if self.passphrase.is_some() {
                "<redacted>"
            } else {
                "none"
            }
        )
    }
}

fn ed25519_from_pem(text: &str) -> Result<ed25519_dalek::SigningKey, CredentialsError> {
    let pem = decode_pem(text)?;
    if pem.label != "PRIVATE KEY" {
        return Err(CredentialsError::WrongKey(
            "an Ed25519 PKCS#8 key (BEGIN PRIVATE KEY)",
        ));
    }
    ed25519_dalek::SigningKey::from_pkcs8_der(&pem.der)
        .map_err(|_| CredentialsError::WrongKey("an Ed25519 PKCS#8 key (BEGIN PRIVATE KEY)"))
}

fn p256_from_pem(text: &str) -> Result<p256::ecdsa::SigningKey, CredentialsError> {
    const WANT: &str = "an EC P-256 key (BEGIN EC PRIVATE KEY or BEGIN PRIVATE KEY)";
    let pem = decode_pem(text)?;
    let key = match pem.label.as_str() {
        "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&pem.der),
        "PRIVATE KEY" => {
            use p256::pkcs8::DecodePrivateKey as _;
            p256::SecretKey::from_pkcs8_der(&pem.der).map_err(|_| p256::elliptic_curve::Error)
        }
        _ => return Err(CredentialsError::WrongKey(WANT)),
    }
    .map_err(|_| CredentialsError::WrongKey(WANT))?;
    Ok(p256::ecdsa::SigningKey::from(key))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A PKCS#8 v1 PEM of the Ed25519 key with this 32-byte seed.
    pub(crate) fn ed25519_pem(seed: [u8; 32]) -> String {
        let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
        der.extend_from_slice(&seed);
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n")
    }

    /// A SEC1 PEM (`BEGIN EC PRIVATE KEY`) of the P-256 key with this scalar, one line with `\n`
    /// escapes as Coinbase's key file carries it.
    pub(crate) fn p256_sec1_escaped(scalar: [u8; 32]) -> String {
        let key = p256::SecretKey::from_slice(&scalar).unwrap();
        let der = key.to_sec1_der().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_slice());
        format!("-----BEGIN EC PRIVATE KEY-----\\n{b64}\\n-----END EC PRIVATE KEY-----\\n")
    }

    #[test]
    fn key_only_credentials_hold_no_secret() {
        let c = Credentials::key_only("abc").unwrap();
        assert_eq!((c.api_key(), c.key_form()), ("abc", KeyForm::External));
        assert!(c.hmac_key().is_none() && c.ed25519_key().is_none() && c.p256_key().is_none());
        assert_eq!(Credentials::key_only("").unwrap().api_key(), "");
        assert_eq!(
            Credentials::key_only("a b").unwrap_err(),
            CredentialsError::BadApiKey
        );
    }

    #[test]
    fn hmac_secrets_raw_or_base64() {
        let raw = Credentials::parse(KeyForm::HmacRaw, "k", "s3cr3t", None).unwrap();
        assert_eq!(raw.hmac_key(), Some(&b"s3cr3t"[..]));
        let b64 = Credentials::parse(KeyForm::HmacBase64, "k", " czNjcjN0 \n", None).unwrap();
        assert_eq!(b64.hmac_key(), Some(&b"s3cr3t"[..]));
        // URL-safe: `-` and `_` where standard base64 has `+` and `/`
        let url = Credentials::parse(KeyForm::HmacBase64Url, "k", "-_-_", None).unwrap();
        assert_eq!(url.hmac_key(), Some(&[0xfb, 0xff, 0xbf][..]));
        assert_eq!(
            Credentials::parse(KeyForm::HmacBase64Url, "k", "+/+/", None).unwrap_err(),
            CredentialsError::SecretNotBase64
        );
        assert_eq!(
            Credentials::parse(KeyForm::HmacBase64, "k", "s3cr3t!", None).unwrap_err(),
            CredentialsError::SecretNotBase64
        );
    }

    #[test]
    fn ed25519_pem_parses_and_other_keys_are_refused() {
        let c = Credentials::parse(KeyForm::Ed25519Pem, "k", &ed25519_pem([7; 32]), None).unwrap();
        assert_eq!(
            c.ed25519_key().unwrap().to_bytes(),
            ed25519_dalek::SigningKey::from_bytes(&[7; 32]).to_bytes()
        );
        assert!(c.hmac_key().is_none() && c.p256_key().is_none());
        let ec = p256_sec1_escaped([9; 32]);
        assert!(matches!(
            Credentials::parse(KeyForm::Ed25519Pem, "k", &ec, None),
            Err(CredentialsError::WrongKey(_))
        ));
    }

    #[test]
    fn p256_pem_in_sec1_and_pkcs8_forms() {
        use p256::pkcs8::EncodePrivateKey as _;
        let want = p256::ecdsa::SigningKey::from_slice(&[9; 32]).unwrap();
        let sec1 =
            Credentials::parse(KeyForm::EcP256Pem, "k", &p256_sec1_escaped([9; 32]), None).unwrap();
        assert_eq!(sec1.p256_key(), Some(&want));
        let der = p256::SecretKey::from_slice(&[9; 32])
            .unwrap()
            .to_pkcs8_der()
            .unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_bytes());
        let pkcs8 = format!("-----BEGIN PRIVATE KEY-----\n{b64}\n-----END PRIVATE KEY-----\n");
        let c = Credentials::parse(KeyForm::EcP256Pem, "k", &pkcs8, None).unwrap();
        assert_eq!(c.p256_key(), Some(&want));
        // An Ed25519 PKCS#8 key is not a P-256 key.
        assert!(matches!(
            Credentials::parse(KeyForm::EcP256Pem, "k", &ed25519_pem([7; 32]), None),
            Err(CredentialsError::WrongKey(_))
        ));
    }

    #[test]
    fn inputs_are_checked() {
        let p = |k: &str, s: &str, pp: Option<&str>| Credentials::parse(KeyForm::HmacRaw, k, s, pp);
        assert_eq!(p("", "s", None).unwrap_err(), CredentialsError::BadApiKey);
        assert_eq!(
            p("a b", "s", None).unwrap_err(),
            CredentialsError::BadApiKey
        );
        assert_eq!(
            p("k", " ", None).unwrap_err(),
            CredentialsError::EmptySecret
        );
        assert_eq!(
            p("k", "s", Some("")).unwrap_err(),
            CredentialsError::BadPassphrase
        );
        assert_eq!(
            p("k", "s", Some("a\nb")).unwrap_err(),
            CredentialsError::BadPassphrase
        );
        assert_eq!(
            p("k", "s", Some("two words!")).unwrap().passphrase(),
            Some("two words!")
        );
    }

    #[test]
    fn debug_and_errors_never_show_secrets() {
        let c =
            Credentials::parse(KeyForm::HmacRaw, "abcdefgh", "topsecret", Some("hunter2")).unwrap();
        let shown = format!("{c:?}");
        assert!(shown.starts_with("Credentials { api_key: abcd…"), "{shown}");
        for s in ["topsecret", "hunter2", "efgh"] {
            assert!(!shown.contains(s), "{shown}");
        }
        let pem = ed25519_pem([7; 32]);
        let body = pem.lines().nth(1).unwrap();
        let broken = pem.replace(body, &format!("{body}!"));
        let e = Credentials::parse(KeyForm::Ed25519Pem, "k", &broken, None).unwrap_err();
        assert!(!e.to_string().contains(&body[..12]), "{e}");
        let e = Credentials::parse(KeyForm::HmacBase64, "k", "topsecret!", None).unwrap_err();
        assert!(!e.to_string().contains("topsecret"), "{e}");
    }

    #[test]
    fn every_secret_form_is_zeroized_on_drop() {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroized_on_drop::<Zeroizing<Vec<u8>>>();
        zeroized_on_drop::<Zeroizing<String>>();
        zeroized_on_drop::<ed25519_dalek::SigningKey>();
        zeroized_on_drop::<p256::ecdsa::SigningKey>();
    }
}
