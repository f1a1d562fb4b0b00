//! What Loopring's L2 key signs: orders (the Poseidon t=12 hash of the order's eleven fields,
//! signed with Poseidon EdDSA into `eddsaSignature`) and private REST requests (`X-API-SIG`:
//! SHA-256 of `METHOD&urlencode(url)&urlencode(params)` reduced mod the SNARK field, signed with
//! the same EdDSA). The encodings are the JS SDK's (`getEdDSASig`): query parameters sorted by
//! name, empty values left out, a comma encoded twice (`%252C`); a JSON body as sent.

use alloy::primitives::{Address, U256};
use ark_bn254::Fr;
use ark_ff::PrimeField;
use sha2::{Digest, Sha256};

use super::eddsa::{EddsaError, EddsaKey, Point, Signature, field_element, verify};
use super::poseidon::{PoseidonSet, poseidon};

/// The signed fields of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderFields {
    pub exchange: Address,
    pub storage_id: u32,
    pub account_id: u32,
    pub sell_token_id: u32,
    pub buy_token_id: u32,
    /// Integer amounts in token units.
    pub sell_volume: U256,
    pub buy_volume: U256,
    /// Unix seconds.
    pub valid_until: u64,
    pub max_fee_bips: u32,
    /// true: the order is filled when the buy amount is reached; false: the sell amount.
    pub fill_amount_b_or_s: bool,
    /// Zero for an order anyone may take.
    pub taker: Address,
}

fn address_element(a: &Address) -> Fr {
    Fr::from_be_bytes_mod_order(a.as_slice())
}

impl OrderFields {
    /// The order hash (Poseidon t=12 over the eleven fields, in the SDK's order).
    pub fn hash(&self) -> Result<Fr, EddsaError> {
        let inputs = [
            address_element(&self.exchange),
            Fr::from(self.storage_id),
            Fr::from(self.account_id),
            Fr::from(self.sell_token_id),
            Fr::from(self.buy_token_id),
            field_element("sellToken.volume", self.sell_volume)?,
            field_element("buyToken.volume", self.buy_volume)?,
            Fr::from(self.valid_until),
            Fr::from(self.max_fee_bips),
            Fr::from(u8::from(self.fill_amount_b_or_s)),
            address_element(&self.taker),
        ];
        // Eleven inputs always fit t=12.
        Ok(poseidon(PoseidonSet::Order, &inputs).unwrap_or_default())
    }

    /// The order's `eddsaSignature`.
    pub fn sign(&self, key: &EddsaKey) -> Result<Signature, EddsaError> {
        Ok(key.sign(self.hash()?))
    }

    /// Whether `sig` is `public`'s signature of this order.
    pub fn verify(&self, public: &Point, sig: &Signature) -> Result<bool, EddsaError> {
        Ok(verify(public, self.hash()?, sig))
    }
}

/// What a request carries besides its URL.
#[derive(Debug, Clone, Copy)]
pub enum RequestParams<'a> {
    /// GET and DELETE: the query parameters.
    Query(&'a [(String, String)]),
    /// POST and PUT: the JSON body exactly as sent.
    Json(&'a str),
}

/// `encodeURIComponent`: every byte but ASCII letters, digits and `-_.!~*'()` as `%XX`.
fn push_uri_component(out: &mut String, s: &str) {
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The text whose SHA-256 is signed: `METHOD&urlencode(url)&urlencode(params)`, `url` being the
/// scheme, host and path (no query).
pub fn request_message(method: &str, url: &str, params: RequestParams<'_>) -> String {
    let method = method.trim().to_ascii_uppercase();
    let mut out = String::with_capacity(64 + url.len() * 2);
    out.push_str(&method);
    out.push('&');
    push_uri_component(&mut out, url);
    out.push('&');
    match params {
        RequestParams::Query(pairs) => {
            let mut sorted: Vec<&(String, String)> =
                pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let joined = sorted
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let mut enc = String::with_capacity(joined.len() * 2);
            push_uri_component(&mut enc, &joined);
            out.push_str(&enc.replace("%2C", "%252C"));
        }
        RequestParams::Json(body) => {
            for c in body.chars() {
                match c {
                    // The SDK escapes these four after encodeURIComponent.
                    '!' | '\'' | '(' | ')' => out.push_str(&format!("%{:02X}", c as u32)),
                    c => {
                        let mut b = [0u8; 4];
                        push_uri_component(&mut out, c.encode_utf8(&mut b));
                    }
                }
            }
        }
    }
    out
}

/// SHA-256 of the request message, as a big-endian integer reduced mod the SNARK field.
pub fn request_hash(message: &str) -> Fr {
    Fr::from_be_bytes_mod_order(&Sha256::digest(message.as_bytes()))
}

/// The `X-API-SIG` header value of a request.
pub fn request_signature(
    key: &EddsaKey,
    method: &str,
    url: &str,
    params: RequestParams<'_>,
) -> String {
    key.sign(request_hash(&request_message(method, url, params)))
        .to_hex()
}

/// Whether `header` (an `X-API-SIG` value) is `public`'s signature of the request.
pub fn verify_request_signature(
    public: &Point,
    header: &str,
    method: &str,
    url: &str,
    params: RequestParams<'_>,
) -> Result<bool, EddsaError> {
    let sig = Signature::from_hex(header)?;
    Ok(verify(
        public,
        request_hash(&request_message(method, url, params)),
        &sig,
    ))
}
