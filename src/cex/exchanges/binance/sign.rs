//! Binance's signing room: the connector's [`Signer`] for stored keys — the catalog recipe of
//! `cex::sign::recipes::binance` (hex HMAC-SHA256 for an HMAC secret, base64 Ed25519 for an
//! Ed25519 PEM key) with the configured `recvWindow`. REST requests sign through it in
//! `cex::http::prepare_request`; the WebSocket API signs with the same credentials
//! ([`binance_ws_signature`](crate::cex::sign::recipes::binance_ws_signature)).

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::sign::Signer;
use crate::cex::sign::recipes::{binance_key_form, binance_recipe};

/// The signer of Binance requests for `creds`, sending `recvWindow` as configured.
pub fn binance_signer(creds: &ApiCredentials, recv_window_ms: u64) -> Result<Signer, CexError> {
    let form = binance_key_form(creds.secret());
    let window = Some(u32::try_from(recv_window_ms).unwrap_or(u32::MAX));
    Ok(Signer::new(
        binance_recipe(form, window),
        creds.to_signing(form)?,
    )?)
}
