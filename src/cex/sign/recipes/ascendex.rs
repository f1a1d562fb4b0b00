//! AscendEX (catalog §2.7): headers `x-auth-key`, `x-auth-timestamp` (ms) and
//! `x-auth-signature` = base64(HMAC-SHA256(secret, `timestamp+apiPath`)), the secret used as its
//! UTF-8 bytes. apiPath is the request path after `/api/pro/`: for v1 without the `v1/` and the
//! account category (`cash/`, `margin/`); for v2 with its `v2/` (as ccxt builds it).

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe};
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};

#[derive(Debug, Clone, Copy, Default)]
pub struct AscendEx;

/// The api path AscendEX signs for a request path (`/{group}/api/pro/v1/cash/order` → `order`),
/// or `None` when the path is not under `/api/pro/`.
pub fn ascendex_api_path(path: &str) -> Option<&str> {
    let (_, rest) = path.split_once("/api/pro/")?;
    let api = match rest.strip_prefix("v1/") {
        Some(v1) => ["cash/", "margin/"]
            .iter()
            .find_map(|c| v1.strip_prefix(c))
            .unwrap_or(v1),
        None => rest,
    };
    (!api.is_empty()).then_some(api)
}

impl SigningRecipe for AscendEx {
    fn name(&self) -> &'static str {
        "ascendex"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacRaw
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        let api = ascendex_api_path(req.path).ok_or_else(|| SignError::UnsignablePath {
            recipe: self.name(),
            path: req.path.to_string(),
            reason: "not an /api/pro/ endpoint",
        })?;
        let text = format!("{}+{api}", req.time_ms);
        Ok(SignedParts {
            headers: vec![
                ("x-auth-key", creds.api_key().to_string()),
                ("x-auth-timestamp", req.time_ms.to_string()),
                (
                    "x-auth-signature",
                    hmac_encoded(HmacHash::Sha256, key, &[text.as_bytes()], Encoding::Base64),
                ),
            ],
            query: Vec::new(),
            body: None,
            encoded_query: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::Method;

    fn creds() -> Credentials {
        Credentials::parse(
            KeyForm::HmacRaw,
            "CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x",
            "hV8FgjyJtpvVeAcMAgzgAFQCN36wmbWuN7o3WPcYcYhFd8qvE43gzFGVsFcCqMNk",
            None,
        )
        .unwrap()
    }

    #[test]
    fn documented_examples() {
        for (path, time, want) in [
            (
                "/api/pro/v1/info",
                1_608_133_910_000,
                "/pwaAgWZQ1Xd/J4yZ4ReHSPQxd3ORP/YR8TvAttqqYM=",
            ),
            (
                "/api/pro/v1/user/info",
                1_562_952_827_927,
                "vBZf8OQuiTJIVbNpNHGY3zcUsK5gJpwb5lgCgarpxYI=",
            ),
        ] {
            let parts = AscendEx
                .sign(&SignRequest::new(Method::GET, path, time), &creds())
                .unwrap();
            assert_eq!(parts.header("x-auth-signature"), Some(want), "{path}");
            assert_eq!(
                parts.header("x-auth-timestamp"),
                Some(time.to_string().as_str())
            );
            assert_eq!(
                parts.header("x-auth-key"),
                Some("CEcrjGyipqt0OflgdQQSRGdrDXdDUY2x")
            );
        }
    }

    #[test]
    fn api_path_drops_group_version_and_category() {
        assert_eq!(
            ascendex_api_path("/4k2/api/pro/v1/cash/order"),
            Some("order")
        );
        assert_eq!(
            ascendex_api_path("/4k2/api/pro/v1/margin/balance"),
            Some("balance")
        );
        assert_eq!(
            ascendex_api_path("/4k2/api/pro/v2/futures/order"),
            Some("v2/futures/order")
        );
        assert_eq!(ascendex_api_path("/api/pro/v1/info"), Some("info"));
        assert_eq!(ascendex_api_path("/api/v3/order"), None);
        let e = AscendEx
            .sign(&SignRequest::new(Method::GET, "/api/v3/order", 1), &creds())
            .unwrap_err();
        assert!(matches!(e, SignError::UnsignablePath { .. }), "{e}");
    }
}
