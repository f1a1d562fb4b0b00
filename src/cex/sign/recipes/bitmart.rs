//! BitMart (catalog §2.6): headers `X-BM-KEY`, `X-BM-TIMESTAMP` (ms) and `X-BM-SIGN` = hex
//! HMAC-SHA256 over `timestamp#memo#payload`, the payload being the query string for GET and
//! DELETE and the JSON body otherwise. The memo is kept as the credentials' passphrase.

use reqwest::Method;

#[cfg(test)]
use super::{Credentials, SigningRecipe};
use super::{KeyForm, PassphraseHmac, PassphraseRecipe, SignRequest};
use crate::cex::sign::hmac::Encoding;

#[derive(Debug, Clone, Copy, Default)]
pub struct BitMart;

impl BitMart {
    /// The text BitMart signs.
    pub fn pre_sign_text(req: &SignRequest<'_>, memo: &str) -> Vec<u8> {
        let mut text = format!("{}#{memo}#", req.time_ms).into_bytes();
        if req.method == Method::GET || req.method == Method::DELETE {
            text.extend_from_slice(req.encoded_query().as_bytes());
        } else {
            text.extend_from_slice(req.body);
        }
        text
    }
}

impl PassphraseRecipe for BitMart {
    const NAME: &'static str = "bitmart";
    const KEY_FORM: KeyForm = KeyForm::HmacRaw;

    fn headers(req: &SignRequest<'_>, hm: &PassphraseHmac<'_>) -> Vec<(&'static str, String)> {
        vec![
            ("X-BM-KEY", hm.api_key.to_string()),
            ("X-BM-TIMESTAMP", req.time_ms.to_string()),
            (
                "X-BM-SIGN",
                hm.sign(&Self::pre_sign_text(req, hm.passphrase), Encoding::Hex),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{hmac256, pairs};
    use super::*;

    const SECRET: &str = "6c6c98544461bbe71db2bca4c6d7fd0021e0ba9efc215f9c6ad41852df9d9df9";
    const KEY: &str = "80618e45710812162b04892c7ee5ead4a3cc3e56";

    fn creds() -> Credentials {
        Credentials::parse(KeyForm::HmacRaw, KEY, SECRET, Some("test001")).unwrap()
    }

    #[test]
    fn documented_example() {
        let body = br#"{"symbol":"BTC_USDT","price":"8600","count":"100"}"#;
        let req =
            SignRequest::new(Method::POST, "/spot/v2/submit_order", 1_589_793_796_145).body(body);
        let parts = BitMart.sign(&req, &creds()).unwrap();
        assert_eq!(
            parts.header("X-BM-SIGN"),
            Some("c31dc326bf87f38bfb49a3f8494961abfa291bd549d0d98d9578e87516cee46d")
        );
        assert_eq!(parts.header("X-BM-KEY"), Some(KEY));
        assert_eq!(parts.header("X-BM-TIMESTAMP"), Some("1589793796145"));
    }

    #[test]
    fn get_signs_the_query_string() {
        let q = pairs(&[("symbol", "BTC_USDT"), ("limit", "5")]);
        let req =
            SignRequest::new(Method::GET, "/spot/quotation/v3/books", 1_589_793_796_145).query(&q);
        let text = "1589793796145#test001#symbol=BTC_USDT&limit=5";
        assert_eq!(BitMart::pre_sign_text(&req, "test001"), text.as_bytes());
        assert_eq!(
            BitMart.sign(&req, &creds()).unwrap().header("X-BM-SIGN"),
            Some(hex::encode(hmac256(SECRET.as_bytes(), text.as_bytes())).as_str())
        );
    }
}
