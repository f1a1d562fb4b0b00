//! Errors of the AMM layer (state sync and connectors), converted to [`VenueError`] at the `Venue`
//! boundary. RPC errors never quote an RPC URL whole: providers put API keys in the path or the
//! query, so every URL in an RPC error's text is reduced to scheme, host and port, as the EVM layer
//! does ([`redact_url`]).

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
    /// An RPC failure, every URL in its text redacted.
    pub fn rpc(e: impl std::fmt::Display) -> Self {
        AmmError::Rpc(redact_urls(&e.to_string()))
    }
}

pub use crate::redact::redact_urls;

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rpc_errors_lose_the_secrets_of_their_urls() {
        let e = AmmError::rpc(
            "error sending request for url (https://mainnet.infura.io/v3/SECRETKEY?apikey=SECRET2): \
             connection refused; also wss://u:pw@node.example/ws?key=SECRET3, and ://SECRET4",
        );
        let text = e.to_string();
        for secret in ["SECRETKEY", "SECRET2", "SECRET3", "SECRET4", "pw@"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
        assert!(text.contains("(https://mainnet.infura.io/…)"), "{text}");
        assert!(text.contains("wss://node.example/…"), "{text}");
        assert!(text.contains("connection refused"), "{text}");
        // a URL without path or query, and text without URLs, stay as they are
        assert_eq!(
            redact_urls("node http://127.0.0.1:8545 is down"),
            "node http://127.0.0.1:8545 is down"
        );
        assert_eq!(redact_urls("no url here"), "no url here");
        let v: VenueError = AmmError::rpc("at http://h/k/SECRET5").into();
        assert!(!format!("{v} {v:?}").contains("SECRET5"));
    }
}
