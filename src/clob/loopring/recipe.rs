//! Loopring's request authentication as a framework signing recipe: every private request
//! carries the API key in `X-API-KEY` (left out while the key is not issued yet: the request
//! that asks for it, `GET /api/v3/apiKey`, is authenticated by its signature alone) and its
//! `X-API-SIG`, the L2 key's EdDSA signature of `METHOD&urlencode(url)&urlencode(params)`
//! (`sign.rs`). The URL signed is the scheme, the host as sent and the path; the recipe holds the
//! L2 key, the credentials only the API key ([`KeyForm::External`]).

use std::sync::Arc;

use crate::cex::sign::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe};

use super::eddsa::EddsaKey;
use super::sign::{RequestParams, request_signature};

/// Signs Loopring requests with an L2 key, for a REST host reached by `scheme`.
pub struct LoopringRecipe {
    key: Arc<EddsaKey>,
    scheme: &'static str,
}

impl std::fmt::Debug for LoopringRecipe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopringRecipe")
            .field("key", &self.key)
            .field("scheme", &self.scheme)
            .finish()
    }
}

impl LoopringRecipe {
    /// A recipe for requests to `base_url` (its scheme is part of what is signed).
    pub fn new(key: Arc<EddsaKey>, base_url: &str) -> Self {
        let scheme = if base_url.starts_with("http://") {
            "http"
        } else {
            "https"
        };
        Self { key, scheme }
    }

    /// The URL signed for `req`: scheme, host and path, no query.
    pub fn signed_url(&self, req: &SignRequest<'_>) -> String {
        format!("{}://{}{}", self.scheme, req.host, req.path)
    }
}

/// The `X-API-SIG` of a request described by its method, signed URL, query and body.
pub fn request_sig(
    key: &EddsaKey,
    method: &str,
    url: &str,
    query: &[(String, String)],
    body: &[u8],
) -> Result<String, SignError> {
    let params = if body.is_empty() {
        RequestParams::Query(query)
    } else {
        RequestParams::Json(
            std::str::from_utf8(body).map_err(|_| SignError::UnsupportedBody {
                recipe: "loopring",
                reason: "the body is not UTF-8 JSON",
            })?,
        )
    };
    Ok(request_signature(key, method, url, params))
}

impl SigningRecipe for LoopringRecipe {
    fn name(&self) -> &'static str {
        "loopring"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::External
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        if req.host.is_empty() {
            return Err(SignError::MissingHost { recipe: "loopring" });
        }
        let sig = request_sig(
            &self.key,
            req.method.as_str(),
            &self.signed_url(req),
            req.query,
            req.body,
        )?;
        let mut parts = SignedParts::default();
        if !creds.api_key().is_empty() {
            parts
                .headers
                .push(("X-API-KEY", creds.api_key().to_string()));
        }
        parts.headers.push(("X-API-SIG", sig));
        Ok(parts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::sign::Signer;
    use crate::clob::loopring::sign::verify_request_signature;
    use alloy::primitives::U256;
    use reqwest::Method;

    #[test]
    fn headers_carry_the_key_and_a_signature_the_public_key_verifies() {
        let key = Arc::new(EddsaKey::from_scalar(U256::from(123_456_789u64)).unwrap());
        let recipe = LoopringRecipe::new(key.clone(), "http://127.0.0.1:9");
        let signer = Signer::new(
            Box::new(recipe),
            Credentials::key_only("api-key-1").unwrap(),
        )
        .unwrap();
        let query = vec![
            ("clientOrderId".to_string(), "sl-1".to_string()),
            ("accountId".to_string(), "10004".to_string()),
        ];
        let req = SignRequest::new(Method::DELETE, "/api/v3/order", 0)
            .host("127.0.0.1:9")
            .query(&query);
        let parts = signer.sign(&req).unwrap();
        assert_eq!(parts.header("X-API-KEY"), Some("api-key-1"));
        let sig = parts.header("X-API-SIG").unwrap();
        let url = "http://127.0.0.1:9/api/v3/order";
        let public = key.public_key();
        assert!(
            verify_request_signature(&public, sig, "DELETE", url, RequestParams::Query(&query))
                .unwrap()
        );
        assert!(
            !verify_request_signature(&public, sig, "GET", url, RequestParams::Query(&query))
                .unwrap()
        );
        // before the API key is issued, only the signature goes
        let bare = Signer::new(
            Box::new(LoopringRecipe::new(key, "https://x")),
            Credentials::key_only("").unwrap(),
        )
        .unwrap();
        let parts = bare.sign(&req).unwrap();
        assert!(parts.header("X-API-KEY").is_none() && parts.header("X-API-SIG").is_some());
    }
}
