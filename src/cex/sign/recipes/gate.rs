//! Gate.io APIv4 (catalog §2.5): headers `KEY`, `Timestamp` (seconds) and `SIGN` = hex
//! HMAC-SHA512 over `METHOD\npath\nquery\nhex(SHA512(body))\ntimestamp`.

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe, method};
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded, sha512_hex};

#[derive(Debug, Clone, Copy, Default)]
pub struct GateV4;

impl GateV4 {
    /// The text Gate.io signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> String {
        format!(
            "{}\n{}\n{}\n{}\n{}",
            method(req),
            req.path,
            req.encoded_query(),
            sha512_hex(req.body),
            req.time_s()
        )
    }
}

impl SigningRecipe for GateV4 {
    fn name(&self) -> &'static str {
        "gate"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacRaw
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        let text = Self::pre_sign_text(req);
        Ok(SignedParts {
            headers: vec![
                ("KEY", creds.api_key().to_string()),
                ("Timestamp", req.time_s().to_string()),
                (
                    "SIGN",
                    hmac_encoded(HmacHash::Sha512, key, &[text.as_bytes()], Encoding::Hex),
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
    use super::super::test_support::pairs;
    use super::*;
    use reqwest::Method;

    fn creds() -> Credentials {
        Credentials::parse(KeyForm::HmacRaw, "key", "secret", None).unwrap()
    }

    #[test]
    fn documented_get_example() {
        let q = pairs(&[
            ("contract", "BTC_USD"),
            ("status", "finished"),
            ("limit", "50"),
        ]);
        let req =
            SignRequest::new(Method::GET, "/api/v4/futures/orders", 1_541_993_715_000).query(&q);
        assert_eq!(
            GateV4::pre_sign_text(&req),
            "GET\n/api/v4/futures/orders\ncontract=BTC_USD&status=finished&limit=50\n\
             cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e\n\
             1541993715"
        );
        let parts = GateV4.sign(&req, &creds()).unwrap();
        assert_eq!(
            parts.header("SIGN"),
            Some(
                "55f84ea195d6fe57ce62464daaa7c3c02fa9d1dde954e4c898289c9a2407a3d6fb3faf24deff16790d726b66ac9f74526668b13bd01029199cc4fcc522418b8a"
            )
        );
        assert_eq!(parts.header("KEY"), Some("key"));
        assert_eq!(parts.header("Timestamp"), Some("1541993715"));
    }

    #[test]
    fn documented_post_example() {
        let body = br#"{"contract":"BTC_USD","type":"limit","size":100,"price":6800,"time_in_force":"gtc"}"#;
        let req =
            SignRequest::new(Method::POST, "/api/v4/futures/orders", 1_541_993_715_999).body(body);
        assert_eq!(
            GateV4::pre_sign_text(&req),
            "POST\n/api/v4/futures/orders\n\n\
             ad3c169203dc3026558f01b4df307641fa1fa361f086b2306658886d5708767b1854797c68d9e62fef2f991645aa82673622ebf417e091d0bd22bafe5d956cca\n\
             1541993715"
        );
        assert_eq!(
            GateV4.sign(&req, &creds()).unwrap().header("SIGN"),
            Some(
                "eae42da914a590ddf727473aff25fc87d50b64783941061f47a3fdb92742541fc4c2c14017581b4199a1418d54471c269c03a38d788d802e2c306c37636389f0"
            )
        );
    }
}
