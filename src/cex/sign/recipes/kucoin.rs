//! KuCoin with version-2 keys: headers `KC-API-KEY`, `KC-API-SIGN` = base64(HMAC-SHA256(secret,
//! timestamp + METHOD + path(+?query) + body)), `KC-API-TIMESTAMP` (ms), `KC-API-PASSPHRASE` =
//! base64(HMAC-SHA256(secret, passphrase)) (the passphrase is signed too) and
//! `KC-API-KEY-VERSION: 2`. No signed example is published.

#[cfg(test)]
use super::{Credentials, SigningRecipe};
use super::{KeyForm, PassphraseHmac, PassphraseRecipe, SignRequest, time_method_path_body};
use crate::cex::sign::hmac::Encoding;

#[derive(Debug, Clone, Copy, Default)]
pub struct KuCoinV2;

impl KuCoinV2 {
    /// The text KuCoin signs.
    pub fn pre_sign_text(req: &SignRequest<'_>) -> Vec<u8> {
        time_method_path_body(&req.time_ms.to_string(), req)
    }
}

impl PassphraseRecipe for KuCoinV2 {
    const NAME: &'static str = "kucoin";
    const KEY_FORM: KeyForm = KeyForm::HmacRaw;

    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)> {
        let b64 = |m: &[u8]| hm.sign(m, Encoding::Base64);
        vec![
            ("KC-API-KEY", hm.api_key.to_string()),
            ("KC-API-SIGN", b64(&Self::pre_sign_text(req))),
            ("KC-API-TIMESTAMP", req.time_ms.to_string()),
            ("KC-API-PASSPHRASE", b64(hm.passphrase.as_bytes())),
            ("KC-API-KEY-VERSION", "2".to_string()),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{b64, hmac256, pairs};
    use super::*;
    use reqwest::Method;

    #[test]
    fn signs_request_and_passphrase() {
        let creds =
            Credentials::parse(KeyForm::HmacRaw, "kc-key", "kc-secret", Some("kc-pass")).unwrap();
        let q = pairs(&[("symbol", "BTC-USDT")]);
        let body = br#"{"clientOid":"a1","side":"buy"}"#;
        let req = SignRequest::new(Method::POST, "/api/v1/orders", 1_547_015_186_532)
            .query(&q)
            .body(body);
        let mut text = b"1547015186532POST/api/v1/orders?symbol=BTC-USDT".to_vec();
        text.extend_from_slice(body);
        assert_eq!(KuCoinV2::pre_sign_text(&req), text);
        let parts = KuCoinV2.sign(&req, &creds).unwrap();
        assert_eq!(
            parts.headers,
            vec![
                ("KC-API-KEY", "kc-key".to_string()),
                ("KC-API-SIGN", b64(&hmac256(b"kc-secret", &text))),
                ("KC-API-TIMESTAMP", "1547015186532".to_string()),
                ("KC-API-PASSPHRASE", b64(&hmac256(b"kc-secret", b"kc-pass"))),
                ("KC-API-KEY-VERSION", "2".to_string()),
            ]
        );
    }
}
