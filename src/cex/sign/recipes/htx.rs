//! HTX (Huobi) signature version 2 (catalog §2.10): `AccessKeyId`, `SignatureMethod=HmacSHA256`,
//! `SignatureVersion=2` and `Timestamp` (UTC `YYYY-MM-DDThh:mm:ss`) join the query; all query
//! parameters, sorted by name and URL-encoded, form the pre-sign text
//! `METHOD\nhost\npath\nsortedQuery`; `Signature` = base64(HMAC-SHA256) is appended. POST
//! bodies (JSON) are not signed.

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe, method};
use crate::cex::sign::encode_pairs;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::time::iso8601_seconds;

#[derive(Debug, Clone, Copy, Default)]
pub struct HtxV2;

fn auth_params(req: &SignRequest<'_>, api_key: &str) -> Vec<(String, String)> {
    vec![
        ("AccessKeyId".to_string(), api_key.to_string()),
        ("SignatureMethod".to_string(), "HmacSHA256".to_string()),
        ("SignatureVersion".to_string(), "2".to_string()),
        ("Timestamp".to_string(), iso8601_seconds(req.time_ms)),
    ]
}

/// The text HTX signs for `req` with key `api_key`.
pub fn htx_pre_sign_text(req: &SignRequest<'_>, api_key: &str) -> String {
    let mut all = req.query.to_vec();
    all.extend(auth_params(req, api_key));
    all.sort_by(|a, b| a.0.cmp(&b.0));
    format!(
        "{}\n{}\n{}\n{}",
        method(req),
        req.host.to_ascii_lowercase(),
        req.path,
        encode_pairs(&all)
    )
}

impl SigningRecipe for HtxV2 {
    fn name(&self) -> &'static str {
        "htx"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacRaw
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        if req.host.is_empty() {
            return Err(SignError::MissingHost {
                recipe: self.name(),
            });
        }
        let text = htx_pre_sign_text(req, creds.api_key());
        let mut query = auth_params(req, creds.api_key());
        query.push((
            "Signature".to_string(),
            hmac_encoded(HmacHash::Sha256, key, &[text.as_bytes()], Encoding::Base64),
        ));
        Ok(SignedParts {
            headers: Vec::new(),
            query,
            body: None,
            encoded_query: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{b64, hmac256, pairs};
    use super::*;
    use reqwest::Method;

    // §2.10: the docs' redacted example key and secret.
    const KEY: &str = "e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx";
    const SECRET: &str = "b0xxxxxx-c6xxxxxx-94xxxxxx-dxxxx";
    const PRE_SIGN: &str = "GET\napi.huobi.pro\n/v1/order/orders\nAccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30&order-id=1234567890";

    #[test]
    fn documented_pre_sign_text() {
        let q = pairs(&[("order-id", "1234567890")]);
        let req = SignRequest::new(Method::GET, "/v1/order/orders", 1_494_515_970_000)
            .host("api.huobi.pro")
            .query(&q);
        assert_eq!(htx_pre_sign_text(&req, KEY), PRE_SIGN);
        let creds = Credentials::parse(KeyForm::HmacRaw, KEY, SECRET, None).unwrap();
        let parts = HtxV2.sign(&req, &creds).unwrap();
        let sig = b64(&hmac256(SECRET.as_bytes(), PRE_SIGN.as_bytes()));
        // The catalog's recomputation with the redacted secret (the docs' printed value is
        // illustrative only).
        assert_eq!(sig, "Nmd8AU8uAe0mkFpxNbiava0aeZzBEtYjCdie1ZYZjoM=");
        assert_eq!(
            parts.query,
            pairs(&[
                ("AccessKeyId", KEY),
                ("SignatureMethod", "HmacSHA256"),
                ("SignatureVersion", "2"),
                ("Timestamp", "2017-05-11T15:19:30"),
                ("Signature", &sig),
            ])
        );
        assert!(parts.headers.is_empty() && parts.body.is_none());
    }

    #[test]
    fn post_signs_only_the_query_and_needs_a_host() {
        let creds = Credentials::parse(KeyForm::HmacRaw, KEY, SECRET, None).unwrap();
        let with_body = SignRequest::new(Method::POST, "/v1/order/orders/place", 1_494_515_970_000)
            .host("API.huobi.pro")
            .body(br#"{"symbol":"btcusdt"}"#);
        let without = SignRequest {
            body: b"",
            ..with_body.clone()
        };
        assert_eq!(
            htx_pre_sign_text(&with_body, KEY),
            "POST\napi.huobi.pro\n/v1/order/orders/place\nAccessKeyId=e2xxxxxx-99xxxxxx-84xxxxxx-7xxxx&SignatureMethod=HmacSHA256&SignatureVersion=2&Timestamp=2017-05-11T15%3A19%3A30"
        );
        assert_eq!(HtxV2.sign(&with_body, &creds), HtxV2.sign(&without, &creds));
        let no_host = SignRequest::new(Method::GET, "/v1/order/orders", 1);
        assert_eq!(
            HtxV2.sign(&no_host, &creds).unwrap_err(),
            SignError::MissingHost { recipe: "htx" }
        );
    }
}
