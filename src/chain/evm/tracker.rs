//! The transaction tracker: signs and sends a transaction with a nonce from the account's
//! [`NonceManager`], then follows it in a background task until it is final:
//!
//! - **mined**: receipt, status, gas used, effective gas price and cost in the native asset;
//!   **reverted** transactions carry their decoded revert reason (replayed on the parent block);
//! - **dropped** from the node's pool: re-broadcast (same signed bytes);
//! - **stuck** longer than `stuck_after`: replaced with the same nonce and bumped fees
//!   ([`super::fees::Fees::bumped`]); [`TrackedTx::cancel`] replaces it with a zero-value transfer to
//!   oneself;
//! - **reorged out** after inclusion: noticed (the receipt disappears or moves to another block), and
//!   the transaction is followed again (re-broadcast if the node forgot it).
//!
//! A tracker made with [`TxTracker::with_before_broadcast`] calls its hook with every signed
//! transaction (first send and every replacement) before the bytes leave the process, so that a
//! caller can make the transaction's identity durable first: a process killed at any point leaves no
//! broadcast transaction that its journal does not name.
//!
//! A tracker made with [`TxTracker::with_fee_currency`] (Celo) pays gas in a token: its
//! transactions are CIP-64 (type 0x7b), estimated and priced in the token
//! ([`super::fee_currency`]); fees in its events are then in the token's units.
//!
//! Everything that happens is appended to the [`TxReport`] that [`TrackedTx::watch`] streams.

use std::sync::Arc;
use std::time::Duration;

use alloy::eips::{BlockId, Encodable2718};
use alloy::network::{EthereumWallet, NetworkTransactionBuilder, NetworkWallet};
use alloy::primitives::{Address, B256, Bytes, U64, U256};
use alloy::providers::Provider;
use alloy::rpc::client::{BatchRequest, NoParams};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::transports::{RpcError, TransportError};
use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::client::EvmClient;
use super::error::EvmError;
use super::fee_currency::{FeeCurrencyInfo, sign_request_cip64};
use super::fees::{Fees, cost_wei, wei_to_native};
use super::nonce::{NonceLease, NonceManager};
use super::revert::RevertReason;

mod dry_run;
mod follow;
pub use dry_run::SignedOnly;
use follow::{Attempt, Follow};

/// How the tracker follows transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackerConfig {
    pub poll_interval: Duration,
    /// A transaction pending this long (since its last broadcast) is replaced with bumped fees.
    pub stuck_after: Duration,
    /// Blocks (the including one counts) after which a transaction is final and no longer followed.
    pub confirmations: u64,
    /// Consecutive polls in which the node does not know the transaction before it is re-broadcast.
    pub drop_after_misses: u32,
    /// Automatic replacements at most (manual `speed_up`/`cancel` are not counted).
    pub max_replacements: u32,
}

impl TrackerConfig {
    /// Defaults for a client's chain: at least 100 ms between polls, stuck after 20 blocks (30 s
    /// minimum), final after 1 block on an instant-mining local chain and 3 elsewhere.
    pub fn for_client(client: &EvmClient) -> Self {
        let block_ms = client.spec().block_time_ms;
        Self {
            poll_interval: client
                .options()
                .poll_interval
                .max(Duration::from_millis(100)),
            stuck_after: Duration::from_millis((block_ms * 20).max(30_000)),
            confirmations: if block_ms == 0 { 1 } else { 3 },
            drop_after_misses: 2,
            max_replacements: 5,
        }
    }
}

/// Where a transaction is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum TxPhase {
    /// Sent, not in a block.
    Pending,
    /// In a block (successful or reverted), not yet final.
    Included { confirmations: u64 },
    /// Enough confirmations: no longer followed.
    Final,
    /// Given up (the nonce was consumed by an unknown transaction, or a fatal node error).
    Failed { error: String },
}

/// Something that happened to a transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum TxEvent {
    Sent {
        hash: B256,
        fees: Fees,
    },
    /// The node no longer knows the transaction.
    Dropped {
        hash: B256,
    },
    Rebroadcast {
        hash: B256,
    },
    /// Same nonce, bumped fees (automatic when stuck, or [`TrackedTx::speed_up`]).
    Replaced {
        old: B256,
        new: B256,
        fees: Fees,
    },
    /// Same nonce, a zero-value transfer to oneself with bumped fees.
    CancelSent {
        old: B256,
        new: B256,
        fees: Fees,
    },
    /// A replacement was not sent (fee cap reached, or the node refused it).
    ReplacementSkipped {
        reason: String,
    },
    Included {
        hash: B256,
        block_number: u64,
        success: bool,
    },
    /// The block that held the transaction is no longer canonical.
    RemovedByReorg {
        hash: B256,
        block_number: u64,
        block_hash: B256,
    },
    Final {
        hash: B256,
        block_number: u64,
    },
}

/// The result of a mined transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxOutcome {
    /// The hash that was mined (a replacement's, if one won).
    pub hash: B256,
    pub nonce: u64,
    pub block_number: u64,
    pub block_hash: B256,
    pub success: bool,
    pub gas_used: u64,
    pub effective_gas_price: u128,
    pub cost_wei: U256,
    /// The cost in the native asset (exact).
    pub cost_native: Decimal,
    pub revert: Option<RevertReason>,
    /// A replacement (speed-up or cancel) was mined instead of the original.
    pub replaced: bool,
    /// The zero-value cancel transfer was mined.
    pub cancelled: bool,
}

/// Everything known about one transaction; streamed by [`TrackedTx::watch`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TxReport {
    pub nonce: u64,
    /// The hash of the latest broadcast (original or replacement).
    pub hash: B256,
    pub phase: TxPhase,
    pub events: Vec<TxEvent>,
    pub outcome: Option<TxOutcome>,
}

/// A signed transaction about to be broadcast: what [`BeforeBroadcast`] receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTx {
    pub hash: B256,
    pub nonce: u64,
    pub from: Address,
    pub to: Option<Address>,
    /// A replacement (speed-up or cancel) of an earlier transaction with the same nonce.
    pub replacement: bool,
}

/// Called synchronously with each signed transaction before it is broadcast; an error stops the
/// broadcast (the transaction is then never sent).
pub type BeforeBroadcast = Arc<dyn Fn(&SignedTx) -> Result<(), String> + Send + Sync>;

enum Command {
    SpeedUp(oneshot::Sender<Result<B256, EvmError>>),
    Cancel(oneshot::Sender<Result<B256, EvmError>>),
}

/// Sends transactions of one account and follows them. Cheap to clone.
#[derive(Clone)]
pub struct TxTracker {
    inner: Arc<Inner>,
}

struct Inner {
    client: EvmClient,
    wallet: EthereumWallet,
    account: Address,
    nonces: Arc<NonceManager>,
    config: TrackerConfig,
    before_broadcast: Option<BeforeBroadcast>,
    /// Pay gas in this token (CIP-64) instead of the native coin.
    fee_currency: Option<FeeCurrencyInfo>,
}

impl Inner {
    /// Runs the hook, if any, on a signed transaction before its broadcast.
    fn before_broadcast(
        &self,
        hash: B256,
        nonce: u64,
        tx: &TransactionRequest,
        replacement: bool,
    ) -> Result<(), EvmError> {
        let Some(hook) = &self.before_broadcast else {
            return Ok(());
        };
        let signed = SignedTx {
            hash,
            nonce,
            from: self.account,
            to: tx.to.and_then(|k| k.to().copied()),
            replacement,
        };
        hook(&signed).map_err(|reason| EvmError::NotRecorded {
            hash,
            nonce,
            reason,
        })
    }
}

impl std::fmt::Debug for TxTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxTracker")
            .field("account", &self.inner.account)
            .field("client", &self.inner.client)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl TxTracker {
    /// A tracker for the wallet's default account, with the process's shared nonce manager of
    /// (chain, account).
    pub fn new(client: EvmClient, wallet: EthereumWallet, config: TrackerConfig) -> Self {
        let account = NetworkWallet::<alloy::network::Ethereum>::default_signer_address(&wallet);
        let nonces = NonceManager::shared(&client, account);
        Self::with_nonce_manager(client, wallet, nonces, config)
    }

    /// A tracker with a given nonce manager (which must be for the wallet's default account).
    pub fn with_nonce_manager(
        client: EvmClient,
        wallet: EthereumWallet,
        nonces: Arc<NonceManager>,
        config: TrackerConfig,
    ) -> Self {
        let account = nonces.account();
        Self {
            inner: Arc::new(Inner {
                client,
                wallet,
                account,
                nonces,
                config,
                before_broadcast: None,
                fee_currency: None,
            }),
        }
    }

    /// The same account, nonce manager and settings, with `hook` called on every signed
    /// transaction (and every replacement) before it is broadcast.
    pub fn with_before_broadcast(&self, hook: BeforeBroadcast) -> Self {
        let i = &self.inner;
        Self {
            inner: Arc::new(Inner {
                client: i.client.clone(),
                wallet: i.wallet.clone(),
                account: i.account,
                nonces: Arc::clone(&i.nonces),
                config: i.config,
                before_broadcast: Some(hook),
                fee_currency: i.fee_currency,
            }),
        }
    }

    /// The same account, nonce manager, settings and hook, paying gas in a fee currency (Celo's
    /// CIP-64; `info` from [`EvmClient::fee_currency_info`]). Refused on a chain whose fee model
    /// is not Celo's.
    pub fn with_fee_currency(&self, info: FeeCurrencyInfo) -> Result<Self, EvmError> {
        let i = &self.inner;
        let spec = i.client.spec();
        if spec.fee_model != crate::chain::FeeModel::Celo {
            return Err(EvmError::BadSpec {
                chain: spec.name.clone(),
                problem: format!(
                    "a fee currency needs Celo's fee model (CIP-64), not {:?}",
                    spec.fee_model
                ),
            });
        }
        Ok(Self {
            inner: Arc::new(Inner {
                client: i.client.clone(),
                wallet: i.wallet.clone(),
                account: i.account,
                nonces: Arc::clone(&i.nonces),
                config: i.config,
                before_broadcast: i.before_broadcast.clone(),
                fee_currency: Some(info),
            }),
        })
    }

    /// The fee currency this tracker pays gas in, if not the native coin.
    pub fn fee_currency(&self) -> Option<FeeCurrencyInfo> {
        self.inner.fee_currency
    }

    pub fn account(&self) -> Address {
        self.inner.account
    }

    pub fn client(&self) -> &EvmClient {
        &self.inner.client
    }

    pub fn nonces(&self) -> &Arc<NonceManager> {
        &self.inner.nonces
    }

    /// Fills in what is missing (sender, gas limit with margin, fees, chain id, nonce), signs,
    /// sends, and starts following. A transaction that would revert fails here with its reason
    /// (unless the caller set the gas limit, which skips the estimate).
    pub async fn send(&self, tx: TransactionRequest) -> Result<TrackedTx, EvmError> {
        let inner = &self.inner;
        let (mut tx, fees) = complete(inner, tx).await?;
        let turn = inner.nonces.send_turn().await;
        let (lease, hash, raw) = sign_with_next_nonce(inner, &mut tx, fees).await?;
        let nonce = lease.nonce();
        if let Err(e) = inner.before_broadcast(hash, nonce, &tx, false) {
            lease.release();
            return Err(e);
        }
        if let Err(e) = broadcast(inner, &raw, nonce).await {
            // The node may or may not have it: give the nonce back and learn the truth next time.
            lease.release();
            inner.nonces.invalidate();
            return Err(e);
        }
        lease.sent();
        drop(turn);
        tracing::debug!(%hash, nonce, "transaction sent");

        let report = TxReport {
            nonce,
            hash,
            phase: TxPhase::Pending,
            events: vec![TxEvent::Sent { hash, fees }],
            outcome: None,
        };
        let (report_tx, report_rx) = watch::channel(report);
        let (cmd_tx, cmd_rx) = mpsc::channel(4);
        let follow = Follow {
            inner: Arc::clone(inner),
            nonce,
            request: tx,
            attempts: vec![Attempt {
                hash,
                raw,
                fees,
                cancel: false,
            }],
            report: report_tx,
            last_broadcast: Instant::now(),
            misses: 0,
            consumed_polls: 0,
            replacements: 0,
            included: None,
        };
        tokio::spawn(follow.run(cmd_rx));
        Ok(TrackedTx {
            nonce,
            first_hash: hash,
            report: report_rx,
            commands: cmd_tx,
        })
    }
}

/// What `send` fills in before the nonce: sender, gas limit (estimated unless given, which skips
/// the estimate), fees (given or the market's) and chain id.
async fn complete(
    inner: &Inner,
    tx: TransactionRequest,
) -> Result<(TransactionRequest, Fees), EvmError> {
    let mut tx = tx.from(inner.account);
    tx.nonce = None;
    if tx.gas.is_none() {
        let gas = match &inner.fee_currency {
            None => inner.client.estimate_gas(&tx).await?,
            Some(info) => inner.client.estimate_gas_in(&tx, info).await?,
        };
        tx.gas = Some(gas);
    }
    let fees = match (
        tx.max_fee_per_gas,
        tx.max_priority_fee_per_gas,
        tx.gas_price,
    ) {
        (Some(max), Some(tip), _) => Fees::Eip1559 {
            max_fee_per_gas: max,
            max_priority_fee_per_gas: tip,
        },
        (_, _, Some(price)) if inner.fee_currency.is_none() => Fees::Legacy { gas_price: price },
        _ => market_fees(inner).await?,
    };
    tx.chain_id = Some(inner.client.chain_id());
    Ok((tx, fees))
}

/// Takes the account's next nonce (the caller holds the send turn) and signs `tx` with it; a
/// failed signing gives the nonce back.
async fn sign_with_next_nonce(
    inner: &Inner,
    tx: &mut TransactionRequest,
    fees: Fees,
) -> Result<(NonceLease, B256, Bytes), EvmError> {
    let lease = inner.nonces.allocate().await?;
    tx.nonce = Some(lease.nonce());
    match sign(inner, tx, fees).await {
        Ok((hash, raw)) => Ok((lease, hash, raw)),
        Err(e) => {
            lease.release();
            Err(e)
        }
    }
}

/// What the market asks now, in the currency gas is paid in.
async fn market_fees(inner: &Inner) -> Result<Fees, EvmError> {
    match &inner.fee_currency {
        None => inner.client.suggest_fees().await,
        Some(info) => inner.client.suggest_fees_in(info).await,
    }
}

async fn sign(
    inner: &Inner,
    tx: &TransactionRequest,
    fees: Fees,
) -> Result<(B256, Bytes), EvmError> {
    if let Some(info) = &inner.fee_currency {
        return sign_request_cip64(
            &inner.wallet,
            inner.account,
            inner.client.chain_id(),
            tx,
            fees,
            info.token,
        )
        .await;
    }
    let mut tx = tx.clone();
    apply_fees(&mut tx, fees);
    let envelope = tx
        .build(&inner.wallet)
        .await
        .map_err(|e| EvmError::Signing {
            from: inner.account,
            reason: e.to_string(),
        })?;
    Ok((*envelope.tx_hash(), Bytes::from(envelope.encoded_2718())))
}

fn apply_fees(tx: &mut TransactionRequest, fees: Fees) {
    match fees {
        Fees::Eip1559 {
            max_fee_per_gas,
            max_priority_fee_per_gas,
        } => {
            tx.gas_price = None;
            tx.max_fee_per_gas = Some(max_fee_per_gas);
            tx.max_priority_fee_per_gas = Some(max_priority_fee_per_gas);
        }
        Fees::Legacy { gas_price } => {
            tx.gas_price = Some(gas_price);
            tx.max_fee_per_gas = None;
            tx.max_priority_fee_per_gas = None;
        }
    }
}

/// Sends signed bytes; a node refusal becomes [`EvmError::Rejected`].
async fn broadcast(inner: &Inner, raw: &Bytes, nonce: u64) -> Result<(), EvmError> {
    match inner.client.provider().send_raw_transaction(raw).await {
        Ok(_) => Ok(()),
        Err(RpcError::ErrorResp(p)) => Err(EvmError::Rejected {
            from: inner.account,
            nonce,
            message: p.message.to_string(),
        }),
        Err(e) => Err(inner.client.rpc_error("eth_sendRawTransaction", e)),
    }
}

/// A sent transaction being followed. Dropping it does not stop the following.
#[derive(Debug)]
pub struct TrackedTx {
    nonce: u64,
    first_hash: B256,
    report: watch::Receiver<TxReport>,
    commands: mpsc::Sender<Command>,
}

impl TrackedTx {
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The hash of the first broadcast.
    pub fn hash(&self) -> B256 {
        self.first_hash
    }

    /// The current report.
    pub fn report(&self) -> TxReport {
        self.report.borrow().clone()
    }

    /// A stream of reports: `changed().await`, then `borrow()`.
    pub fn watch(&self) -> watch::Receiver<TxReport> {
        self.report.clone()
    }

    /// Waits until `pred` holds for the report. Fails if the transaction failed first.
    pub async fn wait_for(
        &self,
        mut pred: impl FnMut(&TxReport) -> bool,
    ) -> Result<TxReport, EvmError> {
        let mut rx = self.report.clone();
        loop {
            {
                let r = rx.borrow_and_update();
                if pred(&r) {
                    return Ok(r.clone());
                }
                if let TxPhase::Failed { error } = &r.phase {
                    return Err(EvmError::TrackerStopped {
                        hash: r.hash,
                        reason: error.clone(),
                    });
                }
            }
            if rx.changed().await.is_err() {
                let r = rx.borrow().clone();
                if pred(&r) {
                    return Ok(r);
                }
                return Err(EvmError::TrackerStopped {
                    hash: r.hash,
                    reason: "the tracker task ended".into(),
                });
            }
        }
    }

    /// Waits for the first inclusion in a block (successful or reverted).
    pub async fn mined(&self) -> Result<TxOutcome, EvmError> {
        let r = self
            .wait_for(|r| matches!(r.phase, TxPhase::Included { .. } | TxPhase::Final))
            .await?;
        outcome_of(r)
    }

    /// Waits until the transaction has its confirmations.
    pub async fn finalized(&self) -> Result<TxOutcome, EvmError> {
        let r = self.wait_for(|r| r.phase == TxPhase::Final).await?;
        outcome_of(r)
    }

    /// Replaces the pending transaction now with bumped fees; returns the new hash.
    pub async fn speed_up(&self) -> Result<B256, EvmError> {
        self.command(Command::SpeedUp).await
    }

    /// Replaces the pending transaction with a zero-value transfer to oneself (same nonce, bumped
    /// fees); returns the cancel transaction's hash. The outcome says whether it won.
    pub async fn cancel(&self) -> Result<B256, EvmError> {
        self.command(Command::Cancel).await
    }

    async fn command(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<B256, EvmError>>) -> Command,
    ) -> Result<B256, EvmError> {
        let stopped = || EvmError::TrackerStopped {
            hash: self.first_hash,
            reason: "the transaction is no longer pending".into(),
        };
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).await.map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

fn outcome_of(r: TxReport) -> Result<TxOutcome, EvmError> {
    r.outcome.ok_or_else(|| EvmError::BadResponse {
        what: format!("transaction {}", r.hash),
        problem: "included without an outcome".into(),
    })
}
