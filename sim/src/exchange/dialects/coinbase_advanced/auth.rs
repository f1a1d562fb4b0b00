//! Verification of Coinbase Advanced Trade's CDP JWTs as the exchange does it, written from the
//! documented recipe (not the library's signer): `Authorization: Bearer <jwt>`, the JWT
//! `base64url(header).base64url(claims).base64url(r||s)`; header `alg` `ES256`, `kid` the key
//! name, a `nonce`; claims `iss` `cdp`, `sub` the key name, `nbf` no later than now, `exp` after
//! now and at most 120 s after `nbf`, and for REST `uri` = `METHOD host path` of the request as
//! received; the signature ECDSA P-256 / SHA-256 over `header.claims`, checked with the public
//! part of the account's key. The websocket `user` subscription's JWT has no `uri`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Verifier;
use serde::Deserialize;

use super::error::CbError;
use super::shared::{Shared, lock};

/// Tolerance on `nbf` and `exp` for clocks a little apart, in seconds.
pub const LEEWAY_S: u64 = 5;
/// The longest lifetime Coinbase accepts (`exp - nbf`), in seconds.
pub const MAX_LIFETIME_S: u64 = 120;

#[derive(Deserialize)]
struct Header {
    alg: String,
    kid: String,
    #[serde(default)]
    nonce: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    nbf: u64,
    exp: u64,
    #[serde(default)]
    uri: Option<String>,
}

/// What a JWT must say beyond its signature: the `uri` of a REST request, none for a websocket.
pub enum Expect<'a> {
    Rest {
        method: &'a str,
        host: &'a str,
        path: &'a str,
    },
    Websocket,
}

/// The account of a JWT, or why it is refused.
pub fn verify(
    shared: &Shared,
    token: Option<&str>,
    expect: Expect<'_>,
    now_ms: u64,
) -> Result<usize, CbError> {
    let token = token.ok_or_else(|| CbError::unauthenticated("missing jwt"))?;
    let bad = |why: &str| CbError::unauthenticated(why.to_string());
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad("malformed jwt"));
    };
    let json = |p: &str| URL_SAFE_NO_PAD.decode(p).map_err(|_| bad("malformed jwt"));
    let header: Header =
        serde_json::from_slice(&json(h)?).map_err(|_| bad("malformed jwt header"))?;
    let claims: Claims =
        serde_json::from_slice(&json(c)?).map_err(|_| bad("malformed jwt claims"))?;
    if header.alg != "ES256" {
        return Err(bad("jwt algorithm must be ES256"));
    }
    if header.nonce.as_deref().is_none_or(str::is_empty) {
        return Err(bad("jwt header needs a nonce"));
    }
    let key = lock(&shared.public_keys)
        .get(&header.kid)
        .copied()
        .ok_or_else(|| bad("unknown key"))?;
    let sig =
        p256::ecdsa::Signature::from_slice(&json(s)?).map_err(|_| bad("malformed signature"))?;
    let signed = &token[..h.len() + 1 + c.len()];
    key.verify(signed.as_bytes(), &sig)
        .map_err(|_| bad("invalid signature"))?;
    if claims.iss != "cdp" || claims.sub != header.kid {
        return Err(bad("jwt issuer or subject refused"));
    }
    let now = now_ms / 1000;
    if claims.nbf > now + LEEWAY_S {
        return Err(bad("jwt not yet valid (nbf)"));
    }
    if claims.exp + LEEWAY_S <= now {
        return Err(bad("jwt expired"));
    }
    if claims.exp < claims.nbf || claims.exp - claims.nbf > MAX_LIFETIME_S {
        return Err(bad("jwt lifetime over 120 s"));
    }
    match expect {
        Expect::Rest { method, host, path } => {
            let want = format!("{method} {host}{path}");
            if claims.uri.as_deref() != Some(want.as_str()) {
                return Err(bad("jwt uri does not match the request"));
            }
        }
        Expect::Websocket => {}
    }
    let ex = shared.exchange();
    ex.keys
        .get(&header.kid)
        .copied()
        .ok_or_else(|| bad("unknown key"))
}
