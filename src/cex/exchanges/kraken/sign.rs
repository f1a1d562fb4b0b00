//! Kraken's signing: the shared recipe ([`KrakenSpot`]: `API-Key`, `API-Sign` =
//! base64(HMAC-SHA512(base64-decoded secret, path || SHA256(nonce || postdata)))) with a nonce that
//! never repeats nor goes back. Kraken requires a strictly increasing nonce per key; the recipe's
//! clock nonce is the request time in ms, which two requests signed in the same millisecond would
//! share. [`MonotonicNonce`] derives `max(time_ms, last + 1)` instead (a given nonce is used as
//! given), so the first request at time `T` is still signed with nonce `T` (what `sluice keys sign
//! --time-ms T` prints).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::recipes::KrakenSpot;
use crate::cex::sign::{
    Credentials, KeyForm, NonceSource, SignError, SignRequest, SignedParts, Signer, SigningRecipe,
};

/// Kraken's recipe with a strictly increasing derived nonce.
#[derive(Debug, Default)]
pub struct MonotonicNonce {
    last: AtomicU64,
}

impl MonotonicNonce {
    /// Moves the next nonce `ms` further on: after `EAPI:Invalid nonce` (another process with
    /// the same key, or a clock read a second behind, signed higher nonces), skipping ahead
    /// finds room above them.
    pub fn skip(&self, ms: u64) {
        let _ = self
            .last
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |l| {
                Some(l.saturating_add(ms))
            });
    }

    /// The nonce for a request signed at `time_ms`: `time_ms`, or one more than the last.
    pub fn next(&self, time_ms: u64) -> u64 {
        let mut prev = self.last.load(Ordering::Relaxed);
        loop {
            let n = time_ms.max(prev.saturating_add(1));
            match self
                .last
                .compare_exchange_weak(prev, n, Ordering::AcqRel, Ordering::Relaxed)
            {
                Ok(_) => return n,
                Err(p) => prev = p,
            }
        }
    }
}

/// The recipe as a signer holds it: a shared [`MonotonicNonce`] (the connector keeps a handle
/// to skip ahead after a refused nonce).
#[derive(Debug, Clone, Default)]
pub struct KrakenNonceRecipe(pub Arc<MonotonicNonce>);

impl SigningRecipe for KrakenNonceRecipe {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn key_form(&self) -> KeyForm {
        self.0.key_form()
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        self.0.sign(req, creds)
    }
}

impl SigningRecipe for MonotonicNonce {
    fn name(&self) -> &'static str {
        KrakenSpot.name()
    }

    fn key_form(&self) -> KeyForm {
        KrakenSpot.key_form()
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let body_has_nonce =
            url::form_urlencoded::parse(req.body).any(|(k, _)| k.as_ref() == "nonce");
        if body_has_nonce || matches!(req.nonce, NonceSource::Given(_)) {
            return KrakenSpot.sign(req, creds);
        }
        let n = self.next(req.time_ms);
        let mut fixed = req.clone();
        fixed.nonce = NonceSource::Given(n.to_string());
        KrakenSpot.sign(&fixed, creds)
    }
}

/// The signer of Kraken keys (secret: the base64 string Kraken issues).
pub fn kraken_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    kraken_signer_with(creds, Arc::default())
}

/// The signer of Kraken keys drawing its nonces from `nonce`.
pub fn kraken_signer_with(
    creds: &ApiCredentials,
    nonce: Arc<MonotonicNonce>,
) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(KrakenNonceRecipe(nonce)),
        creds.to_signing(KeyForm::HmacBase64)?,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    // reference/cex-catalog.md §2.3: Kraken's documented example.
    const SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
    const POSTDATA: &str =
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    const API_SIGN: &str =
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

    fn signer() -> Signer {
        kraken_signer(&ApiCredentials::new("KEY", SECRET).unwrap()).unwrap()
    }

    #[test]
    fn the_documented_example_through_the_connectors_signer() {
        let business = b"ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        let req =
            SignRequest::new(Method::POST, "/0/private/AddOrder", 1_616_492_376_594).body(business);
        let parts = signer().sign(&req).unwrap();
        assert_eq!(parts.body.as_deref(), Some(POSTDATA.as_bytes()));
        assert_eq!(parts.header("API-Sign"), Some(API_SIGN));
        assert_eq!(parts.header("API-Key"), Some("KEY"));
        // the body already holding the nonce is signed as given
        let req =
            SignRequest::new(Method::POST, "/0/private/AddOrder", 9).body(POSTDATA.as_bytes());
        assert_eq!(
            signer().sign(&req).unwrap().header("API-Sign"),
            Some(API_SIGN)
        );
    }

    #[test]
    fn nonces_strictly_increase_within_one_millisecond_and_backwards() {
        let s = signer();
        let nonce_of = |t: u64| {
            let req = SignRequest::new(Method::POST, "/0/private/Balance", t);
            let body = s.sign(&req).unwrap().body.unwrap();
            String::from_utf8(body).unwrap()
        };
        assert_eq!(nonce_of(1000), "nonce=1000");
        assert_eq!(nonce_of(1000), "nonce=1001");
        assert_eq!(nonce_of(999), "nonce=1002");
        assert_eq!(nonce_of(5000), "nonce=5000");
    }
}
