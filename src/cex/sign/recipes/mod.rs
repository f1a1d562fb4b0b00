//! One signing recipe per documented exchange scheme (`reference/cex-catalog.md` §2–3): each a
//! small declarative `sign` that builds the venue's pre-sign text from a [`SignRequest`] and turns
//! it into headers, query parameters or a body with the shared blocks.

use std::fmt;

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts};

mod ascendex;
mod binance;
mod bitmart;
mod bybit;
mod coinbase_advanced;
mod coinbase_exchange;
mod gate;
mod htx;
mod kraken;
mod kucoin;
mod okx;

pub use ascendex::{AscendEx, ascendex_api_path};
pub use binance::{
    BinanceEd25519, BinanceHmac, binance_key_form, binance_recipe, binance_total_params,
    binance_ws_signature,
};
pub use bitmart::BitMart;
pub use bybit::BybitV5;
pub use coinbase_advanced::CoinbaseAdvanced;
pub use coinbase_exchange::CoinbaseExchange;
pub use gate::GateV4;
pub use htx::{HtxV2, htx_pre_sign_text};
pub use kraken::KrakenSpot;
pub use kucoin::KuCoinV2;
pub use okx::Okx;

/// A venue's way of signing a request.
pub trait SigningRecipe: Send + Sync + fmt::Debug {
    /// The venue, for error messages.
    fn name(&self) -> &'static str;
    /// The form the venue's secret comes in.
    fn key_form(&self) -> KeyForm;
    /// Whether the venue issues a passphrase (or memo) with its keys.
    fn needs_passphrase(&self) -> bool {
        false
    }
    /// What to add to `req` so the exchange accepts it.
    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError>;
}

/// The HMAC key of `creds`, or why `recipe` cannot use them.
fn hmac_key<'c>(recipe: &dyn SigningRecipe, creds: &'c Credentials) -> Result<&'c [u8], SignError> {
    match creds.hmac_key() {
        Some(k) if creds.key_form() == recipe.key_form() => Ok(k),
        _ => Err(wrong_form(recipe, creds)),
    }
}

/// The passphrase of `creds`, or why `recipe` cannot sign without one.
fn passphrase<'c>(
    recipe: &dyn SigningRecipe,
    creds: &'c Credentials,
) -> Result<&'c str, SignError> {
    creds.passphrase().ok_or(SignError::MissingPassphrase {
        recipe: recipe.name(),
    })
}

fn wrong_form(recipe: &dyn SigningRecipe, creds: &Credentials) -> SignError {
    SignError::WrongKeyForm {
        recipe: recipe.name(),
        need: recipe.key_form(),
        have: creds.key_form(),
    }
}

/// The request's method as the venues write it (`GET`, `POST`, …).
fn method<'r>(req: &'r SignRequest<'_>) -> &'r str {
    req.method.as_str()
}

#[cfg(test)]
mod test_support {
    //! An HMAC computed with the `hmac` crate's own `Hmac` type, independent of the blocks, to
    //! check recipes that have no documented vector.
    use hmac::{Hmac, Mac};

    pub fn hmac256(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }

    pub fn b64(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    pub fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }
}
