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
pub mod request;
pub mod time;

pub use credentials::{Credentials, CredentialsError, KeyForm};
pub use pem::looks_like_pem;
pub use request::{NonceSource, SignRequest, SignedParts, encode_pairs};

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
