//! KuCoin's signing room: the connector's [`Signer`] for stored keys, through the catalog recipe
//! [`KuCoinV2`]: `KC-API-SIGN` is the base64 HMAC-SHA256, keyed by the secret, of the timestamp
//! (ms), the method, the endpoint with its query and the body, concatenated; version-2 keys send
//! `KC-API-PASSPHRASE` as the base64 HMAC-SHA256 of the passphrase under the same secret, and
//! `KC-API-KEY-VERSION: 2`. The private WebSocket needs no login of its own: its token comes from
//! the signed `POST /api/v1/bullet-private`.

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::recipes::KuCoinV2;
use crate::cex::sign::{KeyForm, Signer};

/// The signer of KuCoin requests for `creds` (which must carry the passphrase).
pub fn kucoin_signer(creds: &ApiCredentials) -> Result<Signer, CexError> {
    Ok(Signer::new(
        Box::new(KuCoinV2),
        creds.to_signing(KeyForm::HmacRaw)?,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cex::http::{ApiRequest, Endpoint, RequestBody, prepare_request};
    use crate::cex::sign::NonceSource;
    use reqwest::Method;

    /// KuCoin publishes the recipe (its docs' Python/JS snippets) but no signed vector: the
    /// values below were computed independently with `openssl dgst -sha256 -hmac <secret>
    /// -binary | base64` over the documented pre-sign text, with the docs' example request
    /// (`POST /api/v1/orders` and a `GET /api/v1/deposit-addresses?currency=BTC`).
    const SECRET: &str = "kucoin-test-secret";

    fn signer() -> Signer {
        let c = ApiCredentials::new("6a0b5b1f8a1f5e0001a1b2c3", SECRET)
            .unwrap()
            .with_passphrase("my-passphrase")
            .unwrap();
        kucoin_signer(&c).unwrap()
    }

    /// `req` as the connector sends it at the vectors' time.
    fn prepared(req: &ApiRequest) -> crate::cex::http::PreparedRequest {
        prepare_request(
            &Endpoint::new("https://api.kucoin.com"),
            None,
            Some(&signer()),
            req,
            1_547_015_186_532,
            NonceSource::Derived,
        )
        .unwrap()
    }

    fn header(p: &crate::cex::http::PreparedRequest, n: &str) -> Option<String> {
        p.headers
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.clone())
    }

    /// The docs' GET example: the endpoint is signed with its query string.
    #[test]
    fn documented_get_example_signs_path_and_query() {
        let req = ApiRequest::new(Method::GET, "/api/v1/deposit-addresses")
            .param("currency", "BTC")
            .signed();
        let p = prepared(&req);
        assert_eq!(
            p.url,
            "https://api.kucoin.com/api/v1/deposit-addresses?currency=BTC"
        );
        assert_eq!(
            header(&p, "KC-API-SIGN").as_deref(),
            Some(GET_SIGN),
            "over 1547015186532GET/api/v1/deposit-addresses?currency=BTC"
        );
        assert_eq!(
            header(&p, "KC-API-TIMESTAMP").as_deref(),
            Some("1547015186532")
        );
        assert_eq!(header(&p, "KC-API-PASSPHRASE").as_deref(), Some(PASS_SIGN));
        assert_eq!(header(&p, "KC-API-KEY-VERSION").as_deref(), Some("2"));
        assert_eq!(
            header(&p, "KC-API-KEY").as_deref(),
            Some("6a0b5b1f8a1f5e0001a1b2c3")
        );
    }

    /// The docs' POST example: the JSON body is signed exactly as sent.
    #[test]
    fn documented_post_example_signs_the_body() {
        let body = r#"{"clientOid":"5c52e11203aa677f33e493fb","side":"buy","symbol":"BTC-USDT","type":"limit","price":"10000","size":"0.001"}"#;
        let req = ApiRequest::new(Method::POST, "/api/v1/orders")
            .body(RequestBody::Json(body.into()))
            .signed();
        let p = prepared(&req);
        assert_eq!(header(&p, "KC-API-SIGN").as_deref(), Some(POST_SIGN));
        assert_eq!(p.body.as_deref(), Some(body.as_bytes()));
    }

    #[test]
    fn keys_without_a_passphrase_are_refused() {
        let c = ApiCredentials::new("k", SECRET).unwrap();
        assert!(kucoin_signer(&c).is_err());
    }

    const GET_SIGN: &str = "qEp/fCvgBM9Vpo3A5pEOGTgJesdZdZp2VFFhSd2XMhg=";
    const POST_SIGN: &str = "Qk7bFjZprOWEXTLN4leXD0KihH6JGClZlrZDMoErev0=";
    const PASS_SIGN: &str = "EcJTb1CX/uRsJ9TSYHBxNI4vwK6raXJLo1YxD0wCBG4=";
}
