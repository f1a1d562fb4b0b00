//! Loopring v3 (zkRollup; the exchange shut on 2026-06-28, the catalog's `loopring`, closed):
//! built to its last documented protocol so that its cryptography is exact. The Poseidon
//! permutation with the exchange's parameter sets ([`poseidon`]), Poseidon EdDSA on Baby Jubjub
//! ([`eddsa`]), the L2 key derived from the Ethereum key ([`keys`]) and what that key signs:
//! orders and `X-API-SIG` ([`sign`]); each equal to the official SDKs' vectors ([`vectors`]).
//! The REST messages ([`api`]) and signed limit orders in token units ([`order`]).
//!
//! The venue: the framework's generic exchange venue over [`venue::Loopring`] — markets, the
//! depth book and `orderbook` topic ([`book`], [`live`]), balances, signed orders under storage
//! ids, cancels, order status and trades ([`rest`]), requests carrying `X-API-KEY` and `X-API-SIG`
//! ([`recipe`]), `resultInfo` codes typed in [`errors`]. It connects only to the URLs its table
//! gives ([`connect`]).

pub mod api;
pub mod book;
pub mod connect;
pub mod eddsa;
pub mod errors;
pub mod keys;
pub mod live;
pub mod order;
pub mod poseidon;
pub mod recipe;
pub mod rest;
pub mod sign;
pub mod venue;

#[cfg(test)]
mod vectors;

use std::sync::Arc;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::venue::ExchangeVenue;
use crate::venue::{ConnectorDescriptor, ImplState};

/// Loopring in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "loopring",
    module: "clob::loopring",
    state: ImplState::Partial(
        "closed venue, to a URL the user gives: markets, the depth book (version rule), balances, EdDSA-signed limit orders under storage ids, cancels (X-API-SIG), order status and trades; orders followed by polling (no private websocket)",
    ),
};

/// The venue: the framework's exchange venue over [`venue::Loopring`].
pub type LoopringVenue = ExchangeVenue<venue::Loopring>;

/// The venue `cfg.name` at `cfg`'s URLs: public data only without an account; with one (and its
/// API key), trading.
pub fn loopring_venue(
    cfg: venue::LoopringConfig,
    account: Option<(venue::LoopringAccount, &str)>,
) -> Result<LoopringVenue, CexError> {
    let id: crate::venue::VenueId = cfg
        .name
        .parse()
        .map_err(|e: crate::venue::VenueError| CexError::Invalid(e.to_string()))?;
    let (signer, account) = match account {
        Some((a, api_key)) => (
            Some(Arc::new(connect::loopring_signer(
                a.key.clone(),
                &cfg.rest_url,
                api_key,
            )?)),
            Some(a),
        ),
        None => (None, None),
    };
    let rest = rest_client(&cfg.rest_url, signer)?;
    Ok(ExchangeVenue::from_parts(
        id,
        venue::Loopring::new(cfg, account),
        rest,
    ))
}

/// A REST client for Loopring's API at `base_url`.
pub fn rest_client(base_url: &str, signer: Option<Arc<Signer>>) -> Result<RestClient, CexError> {
    RestClient::new(
        base_url,
        Arc::new(errors::LoopringProtocol),
        signer,
        Arc::new(RateLimiter::new(&errors::default_limits())),
    )
}
