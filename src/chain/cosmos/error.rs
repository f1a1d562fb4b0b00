//! The Cosmos layer's errors: what failed and with which input, never a secret (URLs are redacted).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum CosmosError {
    /// A message, coin or messages file that does not parse or is not allowed.
    #[error("invalid input: {0}")]
    Invalid(String),
    /// Protobuf that does not decode (a transaction from outside, an account from the node).
    #[error("cannot decode {what}: {detail}")]
    Decode { what: &'static str, detail: String },
    /// The node at `url` serves another chain.
    #[error("LCD {url} serves chain {got:?}, expected {expected:?}")]
    WrongChain {
        url: String,
        expected: String,
        got: String,
    },
    /// The LCD could not be reached or answered garbage, after the retries (retryable later).
    #[error("LCD {url}: {path}: {detail}")]
    Lcd {
        url: String,
        path: String,
        detail: String,
    },
    /// The account does not exist on chain (never funded).
    #[error("account {0} not found on chain")]
    AccountNotFound(String),
    /// The node refused the transaction in CheckTx (`code` from `codespace`).
    #[error("transaction {txhash} refused: code {code} ({codespace}): {log}")]
    Refused {
        txhash: String,
        code: u32,
        codespace: String,
        log: String,
    },
    /// The transaction was included and failed (its fee is spent).
    #[error("transaction {txhash} failed in block {height}: code {code} ({codespace}): {log}")]
    Failed {
        txhash: String,
        height: u64,
        code: u32,
        codespace: String,
        log: String,
    },
    /// The transaction was not in a block when the chain passed its timeout height: it can never
    /// be included, so its sequence is free again.
    #[error("transaction {txhash} expired: not included by height {timeout_height}")]
    Expired { txhash: String, timeout_height: u64 },
    /// Not seen in a block within the wait, and the chain (stalled?) is not past the timeout
    /// height: the transaction may still be included, so its sequence must not be reused yet.
    #[error(
        "transaction {txhash} not in a block after {waited_secs} s and the chain is not past its timeout height {timeout_height}; it may still be included"
    )]
    Unconfirmed {
        txhash: String,
        waited_secs: u64,
        timeout_height: u64,
    },
    /// Simulation failed (the transaction would fail).
    #[error("simulation failed: {0}")]
    Simulation(String),
    /// The wallet key could not give an address.
    #[error("key: {0}")]
    Key(String),
    /// The signed transaction could not be recorded before its broadcast: it was not sent.
    #[error("transaction {txhash} not recorded, so not sent: {detail}")]
    NotRecorded { txhash: String, detail: String },
}

impl CosmosError {
    pub(crate) fn invalid(msg: impl Into<String>) -> Self {
        Self::Invalid(msg.into())
    }
}
