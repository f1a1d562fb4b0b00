//! The EVM chain layer, built on alloy. Every AMM connector stands on it.
//!
//! - [`EvmClient::connect`]: a provider from a chain spec and an RPC URL (HTTP or websocket), with
//!   retries and backoff on transient errors ([`retry`]), JSON-RPC batching
//!   ([`EvmClient::call_many`]), and a clear [`EvmError::ChainIdMismatch`] when the node serves
//!   another chain;
//! - [`fees`]: EIP-1559 from `eth_feeHistory` or a legacy gas price, capped; gas with a margin;
//!   costs in the native asset;
//! - [`NonceManager`]: one per (chain, account) in the process; consecutive nonces; resync and gaps;
//! - [`TxTracker`]: `send(tx) -> TrackedTx`, followed to mined / reverted (with the reason) /
//!   dropped (re-broadcast) / stuck (replaced) / reorged out (followed again);
//! - [`Erc20`] and [`Weth`]: balances, allowances, approvals by [`ApprovalPolicy`], transfers,
//!   wrap/unwrap, cached [`TokenMetadata`].
//!
//! - [`fee_currency`]: gas priced in a Celo fee currency (node price and tip, directory's
//!   intrinsic gas and rate);
//! - [`offline`]: a fully specified transaction signed without a node (`sluice tx sign`);
//! - [`cip64`]: Celo fee-currency transactions (CIP-64, type 0x7b): encoding, signing, decoding.
//!
//! Errors are one type, [`EvmError`], with [`EvmError::is_retryable`].

pub mod cip64;
pub mod client;
pub mod erc20;
pub mod error;
pub mod fee_currency;
pub mod fees;
pub mod nonce;
pub mod offline;
pub mod retry;
pub mod revert;
pub mod tracker;

pub use cip64::{CIP64_TX_TYPE, Cip64Error, SignedCip64, TxCip64};
pub use client::{ClientOptions, EvmClient};
pub use erc20::{ApprovalPolicy, Erc20, TokenMetadata, Weth};
pub use error::EvmError;
pub use fee_currency::FeeCurrencyInfo;
pub use fees::{FeePolicy, Fees, PriorityFee};
pub use nonce::{NonceLease, NonceManager, NonceSource, SyncReport};
pub use offline::{OfflineSignError, OfflineTx, SignedRaw, sign_offline};
pub use retry::Backoff;
pub use revert::RevertReason;
pub use tracker::{
    BeforeBroadcast, SignedTx, TrackedTx, TrackerConfig, TxEvent, TxOutcome, TxPhase, TxReport,
    TxTracker,
};
