//! One signing recipe per documented exchange scheme (`reference/cex-catalog.md` §2–3): each a
//! small declarative `sign` that builds the venue's pre-sign text from a [`SignRequest`] and turns
//! it into headers, query parameters or a body with the shared blocks.

use std::fmt;

use super::hmac::{Encoding, HmacHash, hmac_encoded};
use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts};

mod ascendex;
mod binance;
mod bitmart;
mod bybit;
mod coinbase_advanced;
mod coinbase_exchange;
mod dydx_v3;
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
pub use dydx_v3::DydxV3;
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

/// `time + METHOD + path(?query) + body`, the pre-sign text of OKX, KuCoin and Coinbase Exchange,
/// each writing `time` its own way.
fn time_method_path_body(time: &str, req: &SignRequest<'_>) -> Vec<u8> {
    let mut text = format!("{time}{}{}", method(req), req.path_and_query()).into_bytes();
    text.extend_from_slice(req.body);
    text
}

/// A recipe of the passphrase-HMAC family (OKX, KuCoin v2, Coinbase Exchange, BitMart): the
/// venue's secret is an HMAC-SHA256 key and it issues a passphrase (or memo) with its keys; what
/// the recipe adds is headers only. Each states its name, key form and headers; the rest of
/// [`SigningRecipe`] (credentials checked, nothing else added) is this family's.
trait PassphraseRecipe: Send + Sync + fmt::Debug {
    /// The venue, for error messages.
    const NAME: &'static str;
    /// The form the venue's secret comes in.
    const KEY_FORM: KeyForm;
    /// The headers that sign `req`, in order.
    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)>;
}

impl<T: PassphraseRecipe> SigningRecipe for T {
    fn name(&self) -> &'static str {
        T::NAME
    }

    fn key_form(&self) -> KeyForm {
        T::KEY_FORM
    }

    fn needs_passphrase(&self) -> bool {
        true
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let hm = PassphraseHmac::of(self, creds)?;
        Ok(SignedParts {
            headers: T::headers(req, &hm),
            query: Vec::new(),
            body: None,
            encoded_query: None,
        })
    }
}

/// What a passphrase-HMAC recipe signs with: the API key, the HMAC-SHA256 key and the passphrase
/// (BitMart's memo), checked against the recipe.
struct PassphraseHmac<'c> {
    api_key: &'c str,
    key: &'c [u8],
    passphrase: &'c str,
}

impl<'c> PassphraseHmac<'c> {
    fn of(recipe: &dyn SigningRecipe, creds: &'c Credentials) -> Result<Self, SignError> {
        Ok(Self {
            key: hmac_key(recipe, creds)?,
            passphrase: passphrase(recipe, creds)?,
            api_key: creds.api_key(),
        })
    }

    /// HMAC-SHA256 of `msg`, encoded.
    fn sign(&self, msg: &[u8], encoding: Encoding) -> String {
        hmac_encoded(HmacHash::Sha256, self.key, &[msg], encoding)
    }
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
