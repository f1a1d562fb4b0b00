//! Errors of the EVM chain layer. Each says what failed and with which input (never a secret: RPC URLs
//! are shown without path or query, where providers put API keys). Every error is either retryable
//! (a transient network or node condition: try again later) or fatal (retrying the same thing fails
//! the same way).

use alloy::primitives::{Address, B256, U256};
use alloy::transports::TransportError;

use super::revert::RevertReason;
use crate::core::CoreError;

/// An error of the EVM layer.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// A JSON-RPC call failed (after the transport's own retries). `detail` is the transport's
    /// message with the full URL scrubbed out (see [`EvmError::rpc`]).
    #[error("{method} on {endpoint} failed: {detail}")]
    Rpc {
        method: String,
        endpoint: String,
        detail: String,
        retryable: bool,
    },
    /// The node serves another chain than the spec describes.
    #[error(
        "chain id mismatch: the spec {chain:?} says chain id {expected}, but the node at {endpoint} reports {actual}"
    )]
    ChainIdMismatch {
        chain: String,
        endpoint: String,
        expected: u64,
        actual: u64,
    },
    /// The chain spec is not usable by the EVM layer (not an EVM chain, bad URL, ...).
    #[error("chain {chain:?}: {problem}")]
    BadSpec { chain: String, problem: String },
    /// A call or a transaction reverted; the reason is decoded when the node returned revert data.
    #[error("{context} reverted: {reason}")]
    Reverted {
        context: String,
        reason: RevertReason,
    },
    /// The fee the market asks exceeds the configured cap.
    #[error("fee cap exceeded: {needed} wei per gas needed, cap is {cap} wei per gas")]
    FeeCapExceeded { needed: u128, cap: u128 },
    /// The node refused a transaction (underpriced, nonce too low, insufficient funds, ...).
    #[error("transaction with nonce {nonce} from {from} rejected by the node: {message}")]
    Rejected {
        from: Address,
        nonce: u64,
        message: String,
    },
    /// The transaction could not be built or signed.
    #[error("cannot sign the transaction from {from}: {reason}")]
    Signing { from: Address, reason: String },
    /// A node answer that does not make sense (missing field, undecodable return data).
    #[error("unexpected answer to {what}: {problem}")]
    BadResponse { what: String, problem: String },
    /// A token call answered `false` or broke the ERC-20 rules.
    #[error("token {token}: {problem}")]
    Token { token: Address, problem: String },
    /// A nonce was consumed by a transaction this process does not know.
    #[error("nonce {nonce} of {from} was consumed by another transaction")]
    NonceConsumed { from: Address, nonce: u64 },
    /// The tracker of a transaction stopped (its task ended or the runtime shut down).
    #[error("transaction {hash} is no longer tracked: {reason}")]
    TrackerStopped { hash: B256, reason: String },
    /// Converting between on-chain units and a decimal amount failed.
    #[error("amount conversion: {0}")]
    Units(#[from] CoreError),
    /// An amount does not fit the type the node or the contract needs.
    #[error("amount {value} does not fit: {what}")]
    Overflow { value: U256, what: String },
    /// The signed transaction could not be recorded before its broadcast, so it was not sent.
    #[error("transaction {hash} (nonce {nonce}) not sent: recording it failed: {reason}")]
    NotRecorded {
        hash: B256,
        nonce: u64,
        reason: String,
    },
}

impl EvmError {
    /// An RPC failure of `method` against `url`. The HTTP client quotes the URL it failed on, and
    /// URLs may carry API keys: every form of it is replaced by its redacted form.
    pub fn rpc(method: &str, url: &str, source: &TransportError) -> Self {
        let endpoint = redact_url(url);
        let detail = crate::redact::scrub_url(&source.to_string(), url);
        EvmError::Rpc {
            method: method.to_string(),
            endpoint,
            detail,
            retryable: is_transient(source),
        }
    }

    /// True when the same request may succeed later (network trouble, rate limits, a node that is
    /// briefly behind); false when it would fail the same way again.
    pub fn is_retryable(&self) -> bool {
        match self {
            EvmError::Rpc { retryable, .. } => *retryable,
            EvmError::TrackerStopped { .. } => false,
            EvmError::Rejected { message, .. } => {
                let m = message.to_ascii_lowercase();
                m.contains("underpriced")
                    || m.contains("already known")
                    || m.contains("nonce too low")
            }
            EvmError::FeeCapExceeded { .. } => true,
            _ => false,
        }
    }

    /// The revert reason, if this error is a revert.
    pub fn revert_reason(&self) -> Option<&RevertReason> {
        match self {
            EvmError::Reverted { reason, .. } => Some(reason),
            _ => None,
        }
    }
}

/// Whether a transport error is transient: rate limits, 5xx answers, refused or reset connections,
/// timeouts, a dropped websocket. JSON-RPC error answers (reverts, bad params) are not.
pub fn is_transient(err: &TransportError) -> bool {
    use alloy::transports::layers::{RateLimitRetryPolicy, RetryPolicy};
    use alloy::transports::{RpcError, TransportErrorKind};
    if RateLimitRetryPolicy::default().should_retry(err) {
        return true;
    }
    match err {
        RpcError::Transport(kind) => match kind {
            TransportErrorKind::BackendGone | TransportErrorKind::PubsubUnavailable => true,
            TransportErrorKind::HttpError(h) => {
                matches!(h.status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            TransportErrorKind::Custom(inner) => is_transient_io(inner.as_ref()),
            _ => false,
        },
        RpcError::ErrorResp(payload) => {
            // -32005: limit exceeded (EIP-1474); 429 used as a code by some providers.
            matches!(payload.code, -32005 | 429)
        }
        _ => false,
    }
}

/// Walks an error's source chain looking for an I/O failure of the connection, or the HTTP client's
/// own words for one (its error types are private to the transport crate).
fn is_transient_io(err: &(dyn std::error::Error + 'static)) -> bool {
    use std::io::ErrorKind;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                ErrorKind::ConnectionRefused
                    | ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::TimedOut
                    | ErrorKind::UnexpectedEof
                    | ErrorKind::NotConnected
            )
        {
            return true;
        }
        let text = e.to_string().to_ascii_lowercase();
        if text.contains("error sending request")
            || text.contains("connection refused")
            || text.contains("connection reset")
            || text.contains("operation timed out")
            || text.contains("connection closed")
        {
            return true;
        }
        cur = e.source();
    }
    false
}

pub use crate::redact::redact_url;

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::transports::TransportErrorKind;

    #[test]
    fn urls_lose_their_secrets() {
        assert_eq!(
            redact_url("https://mainnet.infura.io/v3/SECRETKEY"),
            "https://mainnet.infura.io/…"
        );
        assert_eq!(redact_url("http://127.0.0.1:8545"), "http://127.0.0.1:8545");
        assert_eq!(
            redact_url("wss://u:p@node.example/ws?key=abc"),
            "wss://node.example/…"
        );
        assert_eq!(redact_url("not a url"), "<invalid url>");
    }

    #[test]
    fn rpc_errors_never_quote_the_url() {
        let url = "https://node.example/v3/SECRETKEY?apikey=OTHER";
        let inner = std::io::Error::new(
            std::io::ErrorKind::ConnectionRefused,
            format!("error sending request for url ({url}) and /v3/SECRETKEY"),
        );
        let e = EvmError::rpc("eth_call", url, &TransportErrorKind::custom(inner));
        let text = e.to_string();
        assert!(
            !text.contains("SECRETKEY") && !text.contains("OTHER"),
            "{text}"
        );
        assert!(text.contains("https://node.example/…"), "{text}");
        assert!(e.is_retryable());
    }

    #[test]
    fn transient_errors_are_told_apart() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        assert!(is_transient(&TransportErrorKind::custom(refused)));
        assert!(is_transient(&TransportErrorKind::backend_gone()));
        let http = TransportErrorKind::http_error(503, "busy".into());
        assert!(is_transient(&http));
        let http = TransportErrorKind::http_error(400, "bad".into());
        assert!(!is_transient(&http));
        let resp: TransportError =
            alloy::transports::RpcError::ErrorResp(alloy::rpc::json_rpc::ErrorPayload {
                code: 3,
                message: "execution reverted".into(),
                data: None,
            });
        assert!(!is_transient(&resp));
        let limited: TransportError =
            alloy::transports::RpcError::ErrorResp(alloy::rpc::json_rpc::ErrorPayload {
                code: -32005,
                message: "limit exceeded".into(),
                data: None,
            });
        assert!(is_transient(&limited));
    }
}
