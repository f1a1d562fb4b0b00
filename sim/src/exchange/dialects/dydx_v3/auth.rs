//! Verification of dYdX v3's signatures as the exchange does it: a private request carries
//! `DYDX-API-KEY`, `DYDX-PASSPHRASE`, `DYDX-TIMESTAMP` (ISO 8601, within 30 s of the server's
//! clock) and `DYDX-SIGNATURE`, recomputed with the documented recipe (the library's
//! [`DydxV3`]: URL-safe base64 HMAC-SHA256, keyed with the secret's URL-safe base64 decoded, over
//! timestamp + method + path and query + body) over the request as received; an order's
//! `signature` is the STARK signature of its StarkEx order (the library's [`StarkOrder`] hash of
//! the document's own values and the account's position id) under the account's registered STARK
//! public key, checked with `starknet-crypto`'s verify.

use serde_json::Value;
use sluice::cex::sign::recipes::DydxV3;
use sluice::cex::sign::time::rfc3339_ms;
use sluice::cex::sign::{Credentials, KeyForm, SignRequest, SigningRecipe};
use sluice::clob::dydx_v3::stark::{Felt, StarkSignature};
use sluice::clob::dydx_v3::starkex::{OrderParams, OrderSide, StarkOrder};

use super::shapes::DydxError;

/// Largest gap between a request's timestamp and the server's clock.
pub const MAX_SKEW_MS: u64 = 30_000;

/// One signed request as received.
pub struct Received<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a str,
    pub body: &'a [u8],
    pub key: Option<&'a str>,
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub passphrase: Option<&'a str>,
}

/// The keys an account registered.
#[derive(Debug, Clone)]
pub struct Registered {
    pub api_key: String,
    pub secret: zeroize::Zeroizing<String>,
    pub passphrase: zeroize::Zeroizing<String>,
    pub stark_public_key: Felt,
    pub position_id: u64,
}

fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks a private request's API-key signature.
pub fn verify_request(keys: &Registered, r: &Received<'_>, now_ms: u64) -> Result<(), DydxError> {
    let unauthorized = |why: &str| DydxError::new(401, why.to_string());
    let (Some(key), Some(sig), Some(ts), Some(pass)) =
        (r.key, r.signature, r.timestamp, r.passphrase)
    else {
        return Err(unauthorized(
            "Unauthorized: DYDX-API-KEY, DYDX-SIGNATURE, DYDX-TIMESTAMP and DYDX-PASSPHRASE are required",
        ));
    };
    if key != keys.api_key {
        return Err(unauthorized("Unauthorized: invalid api key"));
    }
    if !same(pass.as_bytes(), keys.passphrase.as_bytes()) {
        return Err(unauthorized("Unauthorized: invalid passphrase"));
    }
    let ts_ms = rfc3339_ms(ts).ok_or_else(|| DydxError::bad("Invalid timestamp"))?;
    if ts_ms.abs_diff(now_ms) > MAX_SKEW_MS {
        return Err(unauthorized(
            "Unauthorized: timestamp is outside the allowed window",
        ));
    }
    let creds = Credentials::parse(KeyForm::HmacBase64Url, key, &keys.secret, Some(pass))
        .map_err(|_| unauthorized("Unauthorized: invalid api key"))?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(r.query.as_bytes())
        .into_owned()
        .collect();
    let method = hyper::Method::from_bytes(r.method.as_bytes()).unwrap_or(hyper::Method::GET);
    let req = SignRequest::new(method, r.path, ts_ms)
        .query(&pairs)
        .body(r.body);
    let expected = DydxV3
        .sign(&req, &creds)
        .map_err(|_| unauthorized("Unauthorized: invalid api key"))?;
    let want = expected
        .headers
        .iter()
        .find(|(k, _)| *k == "DYDX-SIGNATURE")
        .map(|(_, v)| v.as_str())
        .unwrap_or_default();
    if same(want.as_bytes(), sig.as_bytes()) {
        Ok(())
    } else {
        Err(unauthorized("Unauthorized: invalid signature"))
    }
}

fn text<'a>(doc: &'a Value, name: &str) -> Result<&'a str, DydxError> {
    doc.get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| DydxError::bad(format!("Invalid value ({name})")))
}

/// Checks an order document's STARK signature on `network_id`; its expiry (Unix ms).
pub fn verify_order(keys: &Registered, doc: &Value, network_id: u64) -> Result<u64, DydxError> {
    let expiration_ms = rfc3339_ms(text(doc, "expiration")?)
        .ok_or_else(|| DydxError::bad("Invalid value (expiration)"))?;
    let params = OrderParams {
        network_id,
        market: text(doc, "market")?,
        side: match text(doc, "side")? {
            "BUY" => OrderSide::Buy,
            "SELL" => OrderSide::Sell,
            _ => return Err(DydxError::bad("Invalid value (side)")),
        },
        position_id: keys.position_id,
        size: text(doc, "size")?,
        price: text(doc, "price")?,
        limit_fee: text(doc, "limitFee")?,
        client_id: text(doc, "clientId")?,
        expiration_ms,
    };
    let invalid = || DydxError::bad("Invalid signature for order");
    let hash = StarkOrder::new(&params)
        .and_then(|o| o.hash())
        .map_err(|e| DydxError::bad(format!("Invalid order: {e}")))?;
    let sig = StarkSignature::from_hex(text(doc, "signature")?).map_err(|_| invalid())?;
    if sig.verify(&keys.stark_public_key, &hash) {
        Ok(expiration_ms)
    } else {
        Err(invalid())
    }
}
