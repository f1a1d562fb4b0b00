//! Request signing for every exchange scheme in `reference/cex-catalog.md`, built from shared
//! blocks: [`hmac`] (HMAC-SHA256/384/512, hex or base64), [`ed25519`], [`jwt`] (ES256) and
//! [`kraken`] (nonce + SHA-256 under HMAC-SHA512), and one small recipe per venue in
//! [`recipes`], each tested against the venue's documented example where one exists.
//!
//! How a connector uses it:
//! 1. at start-up, parse the stored key with [`Credentials::parse`] in the form its recipe
//!    declares ([`SigningRecipe::key_form`]; a passphrase when [`SigningRecipe::needs_passphrase`])
//!    and pair them in a [`Signer`] (which refuses a mismatch then, not on the first order);
//! 2. per private request, describe it as sent — [`SignRequest`]: method, host, path, the query
//!    pairs in order, the body bytes, the time in ms (local clock plus server offset) and the
//!    nonce source — and call [`Signer::sign`];
//! 3. put the returned [`SignedParts`] on the wire unchanged: its headers, its query parameters
//!    after the request's own (the whole query encoded with [`encode_pairs`]), and its body
//!    instead of the request's when it has one.
//!
//! The simulator's dialects verify with the same recipes, and `sluice keys sign` prints what
//! [`Signer::sign`] produced, so a documented example can be replayed through the live path.

pub mod credentials;
pub mod ed25519;
pub mod hmac;
pub mod jwt;
pub mod kraken;
mod pem;
pub mod recipes;
pub mod request;
pub mod time;

pub use credentials::{Credentials, CredentialsError, KeyForm};
pub use pem::looks_like_pem;
pub use recipes::SigningRecipe;
pub use request::{NonceSource, SignRequest, SignedParts, append_pair, encode_pairs};

/// Why a request could not be signed. Never carries secret material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("{recipe} signs with {need:?} keys, these credentials hold {have:?}")]
    WrongKeyForm {
        recipe: &'static str,
        need: KeyForm,
        have: KeyForm,
    },
    #[error("{recipe} needs a passphrase and the credentials have none")]
    MissingPassphrase { recipe: &'static str },
    #[error("{recipe} signs the host and the request has none")]
    MissingHost { recipe: &'static str },
    #[error("{recipe} cannot sign the path {path:?}: {reason}")]
    UnsignablePath {
        recipe: &'static str,
        path: String,
        reason: &'static str,
    },
    #[error("{recipe}: the body's nonce {in_body:?} differs from the given nonce {given:?}")]
    NonceMismatch {
        recipe: &'static str,
        in_body: String,
        given: String,
    },
    #[error("{recipe} cannot sign this body: {reason}")]
    UnsupportedBody {
        recipe: &'static str,
        reason: &'static str,
    },
    #[error("the JWT could not be encoded: {0}")]
    Jwt(String),
}

/// A recipe paired with credentials of the form it signs with.
#[derive(Debug)]
pub struct Signer {
    recipe: Box<dyn SigningRecipe>,
    creds: Credentials,
}

impl Signer {
    /// Checks that `creds` hold the key form `recipe` signs with, and a passphrase if it needs one.
    pub fn new(recipe: Box<dyn SigningRecipe>, creds: Credentials) -> Result<Self, SignError> {
        if creds.key_form() != recipe.key_form() {
            return Err(SignError::WrongKeyForm {
                recipe: recipe.name(),
                need: recipe.key_form(),
                have: creds.key_form(),
            });
        }
        if recipe.needs_passphrase() && creds.passphrase().is_none() {
            return Err(SignError::MissingPassphrase {
                recipe: recipe.name(),
            });
        }
        Ok(Self { recipe, creds })
    }

    /// What to add to `req` so the exchange accepts it.
    pub fn sign(&self, req: &SignRequest<'_>) -> Result<SignedParts, SignError> {
        self.recipe.sign(req, &self.creds)
    }

    pub fn api_key(&self) -> &str {
        self.creds.api_key()
    }

    pub fn recipe(&self) -> &dyn SigningRecipe {
        self.recipe.as_ref()
    }

    /// The credentials, for a venue's non-HTTP signing (Binance's WebSocket API).
    pub fn credentials(&self) -> &Credentials {
        &self.creds
    }
}

#[cfg(test)]
mod tests {
    use super::recipes::{BinanceHmac, Okx};
    use super::*;
    use reqwest::Method;

    #[test]
    fn signer_refuses_mismatched_credentials_up_front() {
        let pem = credentials::tests::ed25519_pem([7; 32]);
        let ed = Credentials::parse(KeyForm::Ed25519Pem, "k", &pem, None).unwrap();
        let e = Signer::new(Box::new(BinanceHmac::default()), ed).unwrap_err();
        assert!(
            matches!(
                e,
                SignError::WrongKeyForm {
                    recipe: "binance",
                    ..
                }
            ),
            "{e}"
        );
        let no_pass = Credentials::parse(KeyForm::HmacRaw, "k", "s", None).unwrap();
        assert_eq!(
            Signer::new(Box::new(Okx), no_pass).unwrap_err(),
            SignError::MissingPassphrase { recipe: "okx" }
        );
    }

    #[test]
    fn signer_signs_through_its_recipe_and_hides_secrets() {
        let creds =
            Credentials::parse(KeyForm::HmacRaw, "key12345", "topsecret", Some("pp")).unwrap();
        let s = Signer::new(Box::new(Okx), creds).unwrap();
        let req = SignRequest::new(Method::GET, "/api/v5/account/balance", 1_607_418_537_715);
        let parts = s.sign(&req).unwrap();
        assert_eq!(parts.header("OK-ACCESS-KEY"), Some("key12345"));
        assert_eq!(s.api_key(), "key12345");
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("topsecret") && !shown.contains("key12345"),
            "{shown}"
        );
    }
}
