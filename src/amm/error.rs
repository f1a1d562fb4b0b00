//! Errors of the AMM layer (state sync and connectors), converted to [`VenueError`] at the `Venue`
//! boundary.

use crate::venue::VenueError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmmError {
    #[error("rpc error: {0}")]
    Rpc(String),
    #[error("call to {contract} ({what}) failed: {reason}")]
    Call {
        contract: String,
        what: &'static str,
        reason: String,
    },
    #[error("cannot decode {what}: {reason}")]
    Decode { what: &'static str, reason: String },
    #[error("unknown token {0:?}: not in the chain spec, the deployment manifest, nor an address")]
    UnknownToken(String),
    #[error("no {protocol} pool for {pair}")]
    NoPool {
        protocol: &'static str,
        pair: String,
    },
    #[error("no {protocol} deployment configured on chain {chain} (missing `{role}` address)")]
    NotDeployed {
        protocol: &'static str,
        chain: String,
        role: &'static str,
    },
    #[error("invalid amount: {0}")]
    InvalidAmount(String),
    #[error("not enough liquidity: {0}")]
    InsufficientLiquidity(String),
    #[error("swap math failed: {0}")]
    Math(String),
    #[error("state of {pool} is inconsistent with its events: {reason}")]
    Inconsistent { pool: String, reason: String },
    /// The journal where transactions are recorded before they are broadcast failed.
    #[error("transaction journal: {0}")]
    Journal(String),
}

impl AmmError {
    pub(crate) fn rpc(e: impl std::fmt::Display) -> Self {
        AmmError::Rpc(e.to_string())
    }
}

impl From<AmmError> for VenueError {
    fn from(e: AmmError) -> Self {
        match e {
            AmmError::Rpc(m) => VenueError::Network(m),
            AmmError::Call { .. } | AmmError::Inconsistent { .. } | AmmError::Journal(_) => {
                VenueError::Chain(e.to_string())
            }
            AmmError::Decode { .. } => VenueError::Protocol(e.to_string()),
            AmmError::UnknownToken(_) | AmmError::InvalidAmount(_) => {
                VenueError::InvalidRequest(e.to_string())
            }
            AmmError::NoPool { .. } | AmmError::NotDeployed { .. } => {
                VenueError::NotSupported(e.to_string())
            }
            AmmError::InsufficientLiquidity(m) => VenueError::InsufficientLiquidity(m),
            AmmError::Math(m) => VenueError::InsufficientLiquidity(m),
        }
    }
}
