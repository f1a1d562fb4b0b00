//! ES256 JSON Web Tokens (RFC 7515/7518): `base64url(header).base64url(claims).base64url(r||s)`,
//! the signature ECDSA P-256 over SHA-256 in JOSE form (r and s, 32 bytes each), base64url
//! without padding. Coinbase Advanced Trade's CDP keys authenticate with these.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use serde::Serialize;

use super::SignError;

/// The JOSE header of a CDP JWT: `{"alg":"ES256","kid":…,"nonce":…,"typ":"JWT"}`.
#[derive(Debug, Clone, Serialize)]
pub struct Es256Header<'a> {
    pub alg: &'static str,
    pub kid: &'a str,
    pub nonce: &'a str,
    pub typ: &'static str,
}

impl<'a> Es256Header<'a> {
    pub fn new(kid: &'a str, nonce: &'a str) -> Self {
        Self {
            alg: "ES256",
            kid,
            nonce,
            typ: "JWT",
        }
    }
}

/// A signed ES256 JWT over `header` and `claims` (any JSON objects).
pub fn es256_jwt(
    key: &p256::ecdsa::SigningKey,
    header: &impl Serialize,
    claims: &impl Serialize,
) -> Result<String, SignError> {
    let header = serde_json::to_vec(header).map_err(|e| SignError::Jwt(e.to_string()))?;
    let claims = serde_json::to_vec(claims).map_err(|e| SignError::Jwt(e.to_string()))?;
    let mut token = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(claims)
    );
    let sig: p256::ecdsa::Signature = key.sign(token.as_bytes());
    token.push('.');
    token.push_str(&URL_SAFE_NO_PAD.encode(sig.to_bytes()));
    Ok(token)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;

    /// Splits a JWT, checks its signature with `public`, and returns (header, claims) as JSON.
    pub(crate) fn verify_jwt(
        token: &str,
        public: &p256::ecdsa::VerifyingKey,
    ) -> (serde_json::Value, serde_json::Value) {
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3, "{token}");
        let sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
        assert_eq!(sig.len(), 64, "JOSE r||s");
        let sig = p256::ecdsa::Signature::from_slice(&sig).unwrap();
        let signing_input = format!("{}.{}", parts[0], parts[1]);
        public
            .verify(signing_input.as_bytes(), &sig)
            .expect("the JWT signature verifies with the public key");
        let json = |p: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).unwrap()).unwrap();
        (json(parts[0]), json(parts[1]))
    }

    #[test]
    fn token_verifies_and_carries_its_parts() {
        let key = p256::ecdsa::SigningKey::from_slice(&[5; 32]).unwrap();
        let claims = serde_json::json!({"sub": "k", "n": 1});
        let t = es256_jwt(&key, &Es256Header::new("k", "abc"), &claims).unwrap();
        assert!(!t.contains('=') && !t.contains('+') && !t.contains('/'));
        let (h, c) = verify_jwt(&t, key.verifying_key());
        assert_eq!(
            h,
            serde_json::json!({"alg": "ES256", "kid": "k", "nonce": "abc", "typ": "JWT"})
        );
        assert_eq!(c, claims);
        // The header is serialized in the documented field order.
        let first = t.split('.').next().unwrap();
        assert_eq!(
            URL_SAFE_NO_PAD.decode(first).unwrap(),
            br#"{"alg":"ES256","kid":"k","nonce":"abc","typ":"JWT"}"#
        );
        // Another key's public half does not verify it.
        let other = p256::ecdsa::SigningKey::from_slice(&[6; 32]).unwrap();
        let parts: Vec<&str> = t.rsplitn(2, '.').collect();
        let sig =
            p256::ecdsa::Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        assert!(
            other
                .verifying_key()
                .verify(parts[1].as_bytes(), &sig)
                .is_err()
        );
    }
}
