//! Binance spot and USDⓈ-M futures (catalog §2.1, §2.2: one scheme). Header `X-MBX-APIKEY`;
//! `recvWindow` (when configured) and `timestamp` appended to the query unless the request
//! already carries them; `signature` over totalParams = query string followed directly by the
//! body (no `&` between), appended last: hex HMAC-SHA256 for HMAC keys, base64 Ed25519 for
//! Ed25519 keys.

use super::{Credentials, KeyForm, SignError, SignRequest, SignedParts, SigningRecipe, wrong_form};
use crate::cex::sign::ed25519::ed25519_base64;
use crate::cex::sign::hmac::{Encoding, HmacHash, hmac_encoded};
use crate::cex::sign::{append_pair, encode_pairs};

/// Binance with an HMAC key.
#[derive(Debug, Clone, Copy, Default)]
pub struct BinanceHmac {
    /// Sent as `recvWindow` when set (Binance's default is 5000 ms).
    pub recv_window_ms: Option<u32>,
}

/// Binance with an Ed25519 key (PKCS#8 PEM).
#[derive(Debug, Clone, Copy, Default)]
pub struct BinanceEd25519 {
    pub recv_window_ms: Option<u32>,
}

/// The parameters Binance needs that the request lacks: `recvWindow`, then `timestamp`.
fn added_params(req: &SignRequest<'_>, recv_window_ms: Option<u32>) -> Vec<(String, String)> {
    let mut added = Vec::new();
    if let Some(w) = recv_window_ms
        && !req.has_param("recvWindow")
    {
        added.push(("recvWindow".to_string(), w.to_string()));
    }
    if !req.has_param("timestamp") {
        added.push(("timestamp".to_string(), req.time_ms.to_string()));
    }
    added
}

/// totalParams: the query (the request's pairs, then `added`) as sent, then the body bytes.
pub fn binance_total_params(req: &SignRequest<'_>, added: &[(String, String)]) -> Vec<u8> {
    total_params(&req.encoded_query(), &encode_pairs(added), req.body)
}

/// `query`, `&` and `added` (either may be empty), then `body`: totalParams from the encoded parts.
fn total_params(query: &str, added: &str, body: &[u8]) -> Vec<u8> {
    let mut total = Vec::with_capacity(query.len() + 1 + added.len() + body.len());
    total.extend_from_slice(query.as_bytes());
    if !query.is_empty() && !added.is_empty() {
        total.push(b'&');
    }
    total.extend_from_slice(added.as_bytes());
    total.extend_from_slice(body);
    total
}

/// Signs for every signed order, so each part is encoded once: the request's query as the caller
/// encoded it, the added parameters once, and the signature (hex or base64, whose `+`, `/` and
/// `=` are percent-encoded) appended to that encoding for the caller to send.
fn signed(
    req: &SignRequest<'_>,
    creds: &Credentials,
    recv_window_ms: Option<u32>,
    sign: impl FnOnce(&[u8]) -> String,
) -> SignedParts {
    let mut query = added_params(req, recv_window_ms);
    // Room for the signature too (`signature=` and 64 hex digits, or base64 escaped).
    let mut encoded = String::with_capacity(160);
    for (k, v) in &query {
        append_pair(&mut encoded, k, v);
    }
    let signature = sign(&total_params(&req.encoded_query(), &encoded, req.body));
    append_pair(&mut encoded, "signature", &signature);
    query.push(("signature".to_string(), signature));
    SignedParts {
        headers: vec![("X-MBX-APIKEY", creds.api_key().to_string())],
        query,
        body: None,
        encoded_query: Some(encoded),
    }
}

impl SigningRecipe for BinanceHmac {
    fn name(&self) -> &'static str {
        "binance"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::HmacRaw
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = super::hmac_key(self, creds)?;
        Ok(signed(req, creds, self.recv_window_ms, |total| {
            hmac_encoded(HmacHash::Sha256, key, &[total], Encoding::Hex)
        }))
    }
}

impl SigningRecipe for BinanceEd25519 {
    fn name(&self) -> &'static str {
        "binance (Ed25519)"
    }

    fn key_form(&self) -> KeyForm {
        KeyForm::Ed25519Pem
    }

    fn sign(&self, req: &SignRequest<'_>, creds: &Credentials) -> Result<SignedParts, SignError> {
        let key = creds.ed25519_key().ok_or_else(|| wrong_form(self, creds))?;
        Ok(signed(req, creds, self.recv_window_ms, |total| {
            ed25519_base64(key, total)
        }))
    }
}

/// Binance's recipe for these credentials: Ed25519 for an Ed25519 PEM key, else HMAC.
pub fn binance_recipe(form: KeyForm, recv_window_ms: Option<u32>) -> Box<dyn SigningRecipe> {
    match form {
        KeyForm::Ed25519Pem => Box::new(BinanceEd25519 { recv_window_ms }),
        _ => Box::new(BinanceHmac { recv_window_ms }),
    }
}

/// The form of a Binance secret: a PEM private key is an Ed25519 key, anything else an HMAC key.
pub fn binance_key_form(secret: &str) -> KeyForm {
    if crate::cex::sign::looks_like_pem(secret) {
        KeyForm::Ed25519Pem
    } else {
        KeyForm::HmacRaw
    }
}

/// The signature of a WebSocket API request: its parameters sorted by name, joined `k=v&…`
/// without encoding, signed as REST requests are (hex HMAC-SHA256 or base64 Ed25519).
pub fn binance_ws_signature(
    creds: &Credentials,
    params: &[(&str, String)],
) -> Result<String, SignError> {
    let mut sorted: Vec<&(&str, String)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    let payload = sorted
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&");
    match (creds.hmac_key(), creds.ed25519_key()) {
        (Some(key), _) => Ok(hmac_encoded(
            HmacHash::Sha256,
            key,
            &[payload.as_bytes()],
            Encoding::Hex,
        )),
        (None, Some(key)) => Ok(ed25519_base64(key, payload.as_bytes())),
        _ => Err(SignError::WrongKeyForm {
            recipe: "binance (WebSocket API)",
            need: KeyForm::HmacRaw,
            have: creds.key_form(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{hmac256, pairs};
    use super::*;
    use reqwest::Method;

    // §2.1: Binance's documented example key (not a real account).
    const SPOT_KEY: &str = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A";
    const SPOT_SECRET: &str = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    // §2.2: Binance USDⓈ-M futures' documented example key.
    const FUT_KEY: &str = "dbefbc809e3e83c283a984c3a1459732ea7db1360ca80c5c2c8867408d28cc83";
    const FUT_SECRET: &str = "2b5eb11e18796d12d88f13dc27dbbd02c2cc51ff7059765ed9821957d82bb4d9";

    fn creds(key: &str, secret: &str) -> Credentials {
        Credentials::parse(KeyForm::HmacRaw, key, secret, None).unwrap()
    }

    fn order(symbol: &str) -> Vec<(String, String)> {
        pairs(&[
            ("symbol", symbol),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", "0.1"),
            ("recvWindow", "5000"),
            ("timestamp", "1499827319559"),
        ])
    }

    fn sign(req: &SignRequest<'_>, key: &str, secret: &str) -> SignedParts {
        BinanceHmac::default()
            .sign(req, &creds(key, secret))
            .unwrap()
    }

    #[test]
    fn spot_examples_1_and_2_query_or_body() {
        let want = "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71";
        let q = order("LTCBTC");
        let in_query = SignRequest::new(Method::POST, "/api/v3/order", 1_499_827_319_559).query(&q);
        let parts = sign(&in_query, SPOT_KEY, SPOT_SECRET);
        assert_eq!(
            parts.query,
            pairs(&[("signature", want)]),
            "timestamp is not added twice"
        );
        assert_eq!(parts.header("X-MBX-APIKEY"), Some(SPOT_KEY));
        let body = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559";
        let in_body = SignRequest::new(Method::POST, "/api/v3/order", 1_499_827_319_559).body(body);
        assert_eq!(
            sign(&in_body, SPOT_KEY, SPOT_SECRET).query_param("signature"),
            Some(want)
        );
    }

    #[test]
    fn spot_example_3_mixed_query_and_body() {
        let q = pairs(&[
            ("symbol", "LTCBTC"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
        ]);
        let req = SignRequest::new(Method::POST, "/api/v3/order", 1_499_827_319_559)
            .query(&q)
            .body(b"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559");
        assert_eq!(
            sign(&req, SPOT_KEY, SPOT_SECRET).query_param("signature"),
            Some("0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77")
        );
    }

    #[test]
    fn spot_unicode_example_signs_the_percent_encoded_symbol() {
        let q = order("１２３４５６");
        let req = SignRequest::new(Method::POST, "/api/v3/order", 1).query(&q);
        assert!(
            String::from_utf8(binance_total_params(&req, &[]))
                .unwrap()
                .starts_with(
                    "symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY"
                )
        );
        assert_eq!(
            sign(&req, SPOT_KEY, SPOT_SECRET).query_param("signature"),
            Some("e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3")
        );
    }

    #[test]
    fn futures_examples() {
        let q = pairs(&[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("quantity", "1"),
            ("price", "9000"),
            ("timeInForce", "GTC"),
            ("recvWindow", "5000"),
            ("timestamp", "1591702613943"),
        ]);
        let req = SignRequest::new(Method::POST, "/fapi/v1/order", 1_591_702_613_943).query(&q);
        assert_eq!(
            sign(&req, FUT_KEY, FUT_SECRET).query_param("signature"),
            Some("3c661234138461fcc7a7d8746c6558c9842d4e10870d2ecbedf7777cad694af9")
        );
        // Example 3 as printed, with the docs' stray space after `timestamp=`: the body is
        // signed byte for byte as sent.
        let q = pairs(&[
            ("symbol", "BTCUSDT"),
            ("side", "BUY"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
        ]);
        let req = SignRequest::new(Method::POST, "/fapi/v1/order", 1_591_702_613_943)
            .query(&q)
            .body(b"quantity=1&price=9000&recvWindow=5000&timestamp= 1591702613943");
        assert_eq!(
            sign(&req, FUT_KEY, FUT_SECRET).query_param("signature"),
            Some("f9d0ae5e813ef6ccf15c2b5a434047a0181cb5a342b903b367ca6d27a66e36f2")
        );
    }

    #[test]
    fn missing_timestamp_and_recv_window_are_added_from_the_request_time() {
        let q = pairs(&[("symbol", "LTCBTC")]);
        let req = SignRequest::new(Method::GET, "/api/v3/openOrders", 1_499_827_319_559).query(&q);
        let recipe = BinanceHmac {
            recv_window_ms: Some(5000),
        };
        let parts = recipe.sign(&req, &creds(SPOT_KEY, SPOT_SECRET)).unwrap();
        let text = "symbol=LTCBTC&recvWindow=5000&timestamp=1499827319559";
        let sig = hex::encode(hmac256(SPOT_SECRET.as_bytes(), text.as_bytes()));
        assert_eq!(
            parts.query,
            pairs(&[
                ("recvWindow", "5000"),
                ("timestamp", "1499827319559"),
                ("signature", &sig)
            ])
        );
    }

    #[test]
    fn ws_params_are_signed_sorted_and_unencoded() {
        let c = creds("KEY", "SECRET");
        let sig = binance_ws_signature(&c, &[("timestamp", "1".into()), ("apiKey", "KEY".into())])
            .unwrap();
        assert_eq!(
            sig,
            hex::encode(hmac256(b"SECRET", b"apiKey=KEY&timestamp=1"))
        );
        assert_eq!(binance_key_form("abc"), KeyForm::HmacRaw);
        let pem = crate::cex::sign::credentials::tests::ed25519_pem([7; 32]);
        assert_eq!(binance_key_form(&pem), KeyForm::Ed25519Pem);
        assert_eq!(
            binance_recipe(KeyForm::Ed25519Pem, None).key_form(),
            KeyForm::Ed25519Pem
        );
    }

    #[test]
    fn ed25519_signs_the_same_total_params() {
        use ed25519_dalek::{Signature, Verifier};
        let pem = crate::cex::sign::credentials::tests::ed25519_pem([7; 32]);
        let ed = Credentials::parse(KeyForm::Ed25519Pem, SPOT_KEY, &pem, None).unwrap();
        let q = pairs(&[
            ("symbol", "BTCUSDT"),
            ("side", "SELL"),
            ("type", "LIMIT"),
            ("timeInForce", "GTC"),
            ("quantity", "1"),
            ("price", "0.2"),
        ]);
        let req = SignRequest::new(Method::POST, "/api/v3/order", 1_668_481_559_918).query(&q);
        let parts = BinanceEd25519::default().sign(&req, &ed).unwrap();
        assert_eq!(parts.header("X-MBX-APIKEY"), Some(SPOT_KEY));
        assert_eq!(
            parts.query[0],
            ("timestamp".to_string(), "1668481559918".to_string())
        );
        use base64::Engine;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(parts.query_param("signature").unwrap())
            .unwrap();
        let text = "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTC&quantity=1&price=0.2&timestamp=1668481559918";
        let public = ed25519_dalek::SigningKey::from_bytes(&[7; 32]).verifying_key();
        assert!(
            public
                .verify(text.as_bytes(), &Signature::from_slice(&raw).unwrap())
                .is_ok()
        );
        // An HMAC recipe refuses Ed25519 credentials and the other way round.
        assert!(BinanceHmac::default().sign(&req, &ed).is_err());
        assert!(
            BinanceEd25519::default()
                .sign(&req, &creds("k", "s"))
                .is_err()
        );
    }
}
