//! Kraken spot REST (catalog §2.3): a form-encoded body that starts with `nonce=…` (added from
//! the clock or the given nonce unless the body has one; JSON bodies are refused), headers
//! `API-Key` and `API-Sign` = base64(HMAC-SHA512(base64-decoded secret,
//! path || SHA256(nonce || postdata))).

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe};
use crate::cex::sign::NonceSource;
use crate::cex::sign::kraken::kraken_api_sign;

/// Kraken spot, private REST endpoints (`/0/private/*`, POST).
#[derive(Debug, Clone, Copy, Default)]
pub struct KrakenSpot;

impl SigningRecipe for KrakenSpot {
    fn name(&self) -> &'static str {
        "kraken"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacBase64
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        if req.body.trim_ascii_start().starts_with(b"{") {
            return Err(SignError::UnsupportedBody {
                recipe: self.name(),
                reason: "send form-encoded postdata, not JSON",
            });
        }
        let in_body = url::form_urlencoded::parse(req.body)
            .find(|(k, _)| k == "nonce")
            .map(|(_, v)| v.into_owned());
        let (nonce, postdata, rewritten) = match in_body {
            Some(n) => {
                if let NonceSource::Given(g) = &req.nonce
                    && *g != n
                {
                    return Err(SignError::NonceMismatch {
                        recipe: self.name(),
                        in_body: n,
                        given: g.clone(),
                    });
                }
                (n, req.body.to_vec(), false)
            }
            None => {
                let n = req.clock_nonce();
                let mut body = format!("nonce={n}").into_bytes();
                if !req.body.is_empty() {
                    body.push(b'&');
                    body.extend_from_slice(req.body);
                }
                (n, body, true)
            }
        };
        let sign = kraken_api_sign(key, req.path.as_bytes(), nonce.as_bytes(), &postdata);
        Ok(SignedParts {
            headers: vec![("API-Key", creds.api_key().to_string()), ("API-Sign", sign)],
            query: Vec::new(),
            body: rewritten.then_some(postdata),
            encoded_query: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    // §2.3: Kraken's documented example.
    const SECRET: &str =
        "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";
    const POSTDATA: &str =
        "nonce=1616492376594&ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
    const API_SIGN: &str =
        "4/dpxb3iT4tp/ZCVEwSnEsLxx0bqyhLpdfOpc6fn7OR8+UClSV5n9E6aSS8MPtnRfp32bAb0nmbRn6H8ndwLUQ==";

    fn creds() -> Credentials {
        Credentials::parse(KeyForm::HmacBase64, "KEY", SECRET, None).unwrap()
    }

    #[test]
    fn documented_example_with_the_nonce_added() {
        let business = b"ordertype=limit&pair=XBTUSD&price=37500&type=buy&volume=1.25";
        for (time, nonce) in [
            (1_616_492_376_594, NonceSource::Derived),
            (1, NonceSource::Given("1616492376594".into())),
        ] {
            let req = SignRequest::new(Method::POST, "/0/private/AddOrder", time)
                .body(business)
                .nonce(nonce);
            let parts = KrakenSpot.sign(&req, &creds()).unwrap();
            assert_eq!(parts.body.as_deref(), Some(POSTDATA.as_bytes()));
            assert_eq!(parts.header("API-Sign"), Some(API_SIGN));
            assert_eq!(parts.header("API-Key"), Some("KEY"));
        }
    }

    #[test]
    fn documented_example_with_the_nonce_in_the_body() {
        let req =
            SignRequest::new(Method::POST, "/0/private/AddOrder", 5).body(POSTDATA.as_bytes());
        let parts = KrakenSpot.sign(&req, &creds()).unwrap();
        assert_eq!(parts.body, None, "the body is sent as given");
        assert_eq!(parts.header("API-Sign"), Some(API_SIGN));
        let other = req.nonce(NonceSource::Given("7".into()));
        assert!(matches!(
            KrakenSpot.sign(&other, &creds()),
            Err(SignError::NonceMismatch { .. })
        ));
    }

    #[test]
    fn json_bodies_are_refused_rather_than_signed_wrong() {
        let req =
            SignRequest::new(Method::POST, "/0/private/AddOrder", 1).body(br#" {"pair":"XBTUSD"}"#);
        assert!(matches!(
            KrakenSpot.sign(&req, &creds()),
            Err(SignError::UnsupportedBody {
                recipe: "kraken",
                ..
            })
        ));
    }

    #[test]
    fn empty_body_gets_just_the_nonce() {
        let req = SignRequest::new(Method::POST, "/0/private/Balance", 42);
        let parts = KrakenSpot.sign(&req, &creds()).unwrap();
        assert_eq!(parts.body.as_deref(), Some(&b"nonce=42"[..]));
    }
}
