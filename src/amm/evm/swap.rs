//! Executing an AMM swap as a transaction: the order is registered, the router is approved for the
//! input token once (and the approval recorded, so it is visible), the swap is sent with its slippage
//! bound and deadline through the [`TxTracker`], and the outcome comes back as venue events: the
//! order `Open` with its transaction hash, then `Filled` with a fill decoded from the receipt's Swap
//! logs (actual amounts, actual gas), or `Failed` with the revert reason. Nothing is left pending.
//!
//! Crash safety: with a journal attached ([`SwapExecutor::attach_journal`]), every transaction is
//! recorded — hash, nonce, account, the order it serves — after it is signed and before it is
//! broadcast (approvals, swaps and replacements alike). A process killed at any point therefore
//! leaves no sent transaction unnamed, and the next process adopts the orders of the previous one
//! ([`SwapExecutor::adopt`]) from those records and the chain: filled (the fill decoded from the
//! receipt, with actual amounts and gas, under the same trade id as a live swap, native ETH legs
//! included), reverted (with the reason), still pending in the node's pool, or never sent.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, RwLock};

use alloy::primitives::{Address, B256, Bytes, U256};
use alloy::providers::Provider;
use alloy::rpc::types::{Log, TransactionRequest};
use rust_decimal::Decimal;
use serde::Serialize;

use super::adoption::{self, ChainTx};
use super::follow::ChainFollower;
use super::native::NativeLeg;
use crate::amm::AmmError;
use crate::chain::evm::{ApprovalPolicy, Erc20, SignedTx, TxEvent, TxTracker};
use crate::core::{
    Asset, ClientOrderId, Fill, Order, OrderRequest, OrderState, Pair, Side, Token, TxInfo,
    TxState, VenueEvent, from_units,
};
use crate::venue::{EventHub, TxJournal};

mod restart;
pub(crate) mod venue_parts;

/// (amount in, amount out, LP fee in the input token) of a mined swap.
pub type FillAmounts = (U256, U256, U256);

/// Reads a mined swap's amounts from its receipt's logs.
pub type FillDecoder = fn(&[Log], &SwapPlan) -> Result<FillAmounts, AmmError>;

/// Reads a mined transaction's (amount in, amount out) from its receipt's logs, the contract
/// called and the mined calldata.
pub type AmountsDecoder = dyn Fn(&[Log], Address, &Bytes) -> Result<(U256, U256), AmmError> + Sync;

/// How [`SwapExecutor::adopt`] reads the (amount in, amount out) of a mined transaction sent by
/// an earlier process.
#[derive(Clone, Copy)]
pub enum AdoptedAmounts<'a> {
    /// From the account's ERC-20 transfers, and a native leg from the router's wrapping: a swap
    /// through any router.
    Transfers(NativeLeg),
    /// By the venue, from the receipt's logs, the contract called and the mined calldata: for a
    /// venue whose trade moves no token the way a swap does (Perp: margin, not the trade).
    Decoded(&'a AmountsDecoder),
}

impl std::fmt::Debug for AdoptedAmounts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Transfers(leg) => f.debug_tuple("Transfers").field(leg).finish(),
            Self::Decoded(_) => f.write_str("Decoded"),
        }
    }
}

/// Everything needed to send one swap, computed by the connector from its local state.
#[derive(Debug, Clone)]
pub struct SwapPlan {
    pub pair: Pair,
    pub side: Side,
    pub base: Token,
    pub quote: Token,
    pub token_in: Address,
    /// The most the swap may take: what is approved for the router.
    pub max_in: U256,
    pub router: Address,
    pub calldata: Bytes,
    /// Gas limit set explicitly, so a swap that would break its bound is still sent and reverts
    /// on chain (with its reason) instead of failing in the estimate.
    pub gas_limit: u64,
    /// Decodes (amount in, amount out, LP fee in the input token) from the receipt's logs.
    pub decode_fill: FillDecoder,
    /// Pools the swap goes through, in order.
    pub pools: Vec<Address>,
    /// Fee of each pool in millionths.
    pub fees_ppm: Vec<u32>,
    /// Native coin sent with the transaction: a native (ETH) input leg that the router wraps (the
    /// plan's `max_in` is then zero: nothing is approved).
    pub value: U256,
}

impl SwapPlan {
    /// The swap transaction (router call, explicit gas limit, value), before the tracker completes
    /// and signs it: what a live swap sends and a dry run signs.
    pub fn transaction(&self) -> TransactionRequest {
        TransactionRequest::default()
            .to(self.router)
            .input(self.calldata.clone().into())
            .gas_limit(self.gas_limit)
            .value(self.value)
    }
}

/// An approval sent for a swap: shown to the user, never silent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApprovalRecord {
    pub token: Address,
    pub spender: Address,
    pub tx_hashes: Vec<B256>,
}

/// The on-chain result of a swap order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwapReceipt {
    pub client_id: ClientOrderId,
    pub tx_hash: B256,
    pub block_number: u64,
    pub success: bool,
    pub amount_in: U256,
    pub amount_out: U256,
    pub gas_used: u64,
    pub gas_cost_native: Decimal,
    pub revert_reason: Option<String>,
}

/// Sends swaps for one account and keeps their orders.
pub struct SwapExecutor {
    tracker: TxTracker,
    venue: String,
    /// The chain's native asset: gas is paid in it, and a swap's fill carries its gas as its fee.
    native: Asset,
    policy: ApprovalPolicy,
    events: Arc<EventHub>,
    orders: Mutex<HashMap<ClientOrderId, Order>>,
    approvals: Mutex<Vec<ApprovalRecord>>,
    receipts: Mutex<Vec<SwapReceipt>>,
    fills: Mutex<HashMap<ClientOrderId, Vec<Fill>>>,
    /// Where transactions are recorded before they are broadcast.
    journal: RwLock<Option<Arc<dyn TxJournal>>>,
    /// Orders sent by an earlier process and read back from the journal and the chain.
    adopted: Mutex<HashSet<ClientOrderId>>,
    /// The venue whose pools the swaps change: told each swap's block, and brought to it before
    /// the fill is reported.
    follower: Option<Arc<dyn ChainFollower>>,
}

impl std::fmt::Debug for SwapExecutor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SwapExecutor")
            .field("venue", &self.venue)
            .field("account", &self.tracker.account())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SwapExecutor {
    pub fn new(
        tracker: TxTracker,
        venue: &str,
        native: Asset,
        policy: ApprovalPolicy,
        events: Arc<EventHub>,
    ) -> Self {
        Self {
            tracker,
            venue: venue.to_string(),
            native,
            policy,
            events,
            orders: Mutex::new(HashMap::new()),
            approvals: Mutex::new(Vec::new()),
            receipts: Mutex::new(Vec::new()),
            fills: Mutex::new(HashMap::new()),
            journal: RwLock::new(None),
            adopted: Mutex::new(HashSet::new()),
            follower: None,
        }
    }

    /// Tells `follower` the block of every swap mined, and waits for its state to reach that
    /// block before reporting the fill.
    pub fn with_follower(mut self, follower: Arc<dyn ChainFollower>) -> Self {
        self.follower = Some(follower);
        self
    }

    /// A swap of this account changed the pools at `block`: the follower's state is brought to it
    /// (a failure is logged; the next quote then syncs first, by the freshness rule).
    async fn pools_changed_at(&self, block: u64) {
        let Some(f) = &self.follower else { return };
        f.changed_at(block);
        if let Err(e) = f.reach(block).await {
            tracing::warn!(venue = %self.venue, block, error = %e, "pool state did not reach the swap's block");
        }
    }

    /// An adopted swap (sent by an earlier process) changed the pools at `block`.
    fn pools_changed_at_adopted(&self, block: u64) {
        if let Some(f) = &self.follower {
            f.changed_at(block);
        }
    }

    /// Records every transaction in `journal` before broadcasting it from now on, and adopts the
    /// orders it names from earlier processes.
    pub fn attach_journal(&self, journal: Arc<dyn TxJournal>) {
        *self.journal.write().unwrap_or_else(|p| p.into_inner()) = Some(journal);
    }

    fn journal(&self) -> Option<Arc<dyn TxJournal>> {
        self.journal
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn chain(&self) -> &str {
        self.venue
            .split_once('@')
            .map(|(_, c)| c)
            .unwrap_or_default()
    }

    fn native_decimals(&self) -> u8 {
        self.tracker.client().spec().native.decimals
    }

    /// The tracker, with the journal (if any) recording each signed transaction before its
    /// broadcast, as serving `client_id` (approvals serve no order).
    fn recording_tracker(&self, client_id: Option<ClientOrderId>) -> TxTracker {
        let Some(journal) = self.journal() else {
            return self.tracker.clone();
        };
        let chain = self.chain().to_string();
        let native = self.native.to_string();
        self.tracker
            .with_before_broadcast(Arc::new(move |s: &SignedTx| {
                journal.record_tx(&TxInfo {
                    chain: chain.clone(),
                    hash: s.hash.to_string(),
                    from: s.from.to_string(),
                    nonce: s.nonce,
                    client_id: client_id.clone(),
                    status: TxState::Pending,
                    gas_used: None,
                    effective_gas_price: None,
                    fee_native: None,
                    native_asset: native.clone(),
                    block: None,
                })
            }))
    }

    pub fn account(&self) -> Address {
        self.tracker.account()
    }

    pub fn order(&self, id: &ClientOrderId) -> Option<Order> {
        lock(&self.orders).get(id).cloned()
    }

    /// The fills of an order (one for a mined swap, none otherwise).
    pub fn fills(&self, id: &ClientOrderId) -> Vec<Fill> {
        lock(&self.fills).get(id).cloned().unwrap_or_default()
    }

    /// Approvals sent so far, oldest first.
    pub fn approvals(&self) -> Vec<ApprovalRecord> {
        lock(&self.approvals).clone()
    }

    /// Swap receipts so far, oldest first.
    pub fn receipts(&self) -> Vec<SwapReceipt> {
        lock(&self.receipts).clone()
    }

    /// Registers the order and runs the swap in the background; returns at once.
    pub fn submit(
        self: &Arc<Self>,
        request: OrderRequest,
        plan: SwapPlan,
    ) -> Result<ClientOrderId, AmmError> {
        let id = request.client_id.clone();
        {
            let mut orders = lock(&self.orders);
            if orders.contains_key(&id) {
                return Err(AmmError::InvalidAmount(format!(
                    "order {id} was already submitted"
                )));
            }
            orders.insert(id.clone(), Order::new(request));
        }
        self.publish_state(&id, None, OrderState::PendingSubmit, None);
        let me = Arc::clone(self);
        let task_id = id.clone();
        tokio::spawn(async move {
            if let Err(reason) = me.run(&task_id, &plan).await {
                me.set_state(&task_id, OrderState::Failed, None, Some(reason));
            }
        });
        Ok(id)
    }

    fn publish_state(
        &self,
        id: &ClientOrderId,
        venue_id: Option<String>,
        state: OrderState,
        reason: Option<String>,
    ) {
        self.events.publish(VenueEvent::Order {
            client_id: id.clone(),
            venue_order_id: venue_id,
            state,
            reason,
        });
    }

    /// Reports a transaction (hash, nonce, status, gas) to consumers, who journal it.
    fn publish_tx(&self, id: Option<&ClientOrderId>, o: &TxOutcomeView) {
        self.events.publish(VenueEvent::Transaction(TxInfo {
            chain: self.chain().to_string(),
            hash: o.hash.to_string(),
            from: self.tracker.account().to_string(),
            nonce: o.nonce,
            client_id: id.cloned(),
            status: o.status,
            gas_used: o.gas_used,
            effective_gas_price: o.effective_gas_price.map(|p| p.to_string()),
            fee_native: o.fee_native,
            native_asset: self.native.to_string(),
            block: o.block,
        }));
    }

    fn set_state(
        &self,
        id: &ClientOrderId,
        state: OrderState,
        tx: Option<B256>,
        reason: Option<String>,
    ) {
        let venue_id = tx.map(|h| h.to_string());
        {
            let mut orders = lock(&self.orders);
            if let Some(o) = orders.get_mut(id) {
                if o.transition(state).is_err() {
                    return;
                }
                if venue_id.is_some() {
                    o.venue_order_id = venue_id.clone();
                }
                if reason.is_some() {
                    o.reason = reason.clone();
                }
            }
        }
        self.publish_state(id, venue_id, state, reason);
    }

    /// Approval, send, wait, decode. An `Err` is the failure reason of the order.
    async fn run(&self, id: &ClientOrderId, plan: &SwapPlan) -> Result<(), String> {
        let token = Erc20::new(self.tracker.client().clone(), plan.token_in);
        let approvals = token
            .ensure_allowance(
                &self.recording_tracker(None),
                plan.router,
                plan.max_in,
                self.policy,
            )
            .await
            .map_err(|e| format!("approval of {} for {}: {e}", plan.token_in, plan.router))?;
        for a in &approvals {
            self.publish_tx(None, &TxOutcomeView::mined(a));
        }
        if !approvals.is_empty() {
            let record = ApprovalRecord {
                token: plan.token_in,
                spender: plan.router,
                tx_hashes: approvals.iter().map(|o| o.hash).collect(),
            };
            tracing::info!(token = %record.token, spender = %record.spender, txs = ?record.tx_hashes, "approved router for input token");
            lock(&self.approvals).push(record);
        }
        let tx = TransactionRequest::default()
            .to(plan.router)
            .input(plan.calldata.clone().into())
            .gas_limit(plan.gas_limit)
            .value(plan.value);
        let sent = match self.recording_tracker(Some(id.clone())).send(tx).await {
            Ok(sent) => sent,
            Err(e) => {
                // Recorded, then refused by the node (or its answer lost): the record says what the
                // node knows now instead of staying pending until a restart.
                self.settle_unsent_records(id).await;
                return Err(format!("send: {e}"));
            }
        };
        self.publish_tx(
            Some(id),
            &TxOutcomeView {
                hash: sent.hash(),
                nonce: sent.nonce(),
                status: TxState::Pending,
                gas_used: None,
                effective_gas_price: None,
                fee_native: None,
                block: None,
            },
        );
        self.set_state(id, OrderState::Open, Some(sent.hash()), None);
        let outcome = match sent.mined().await {
            Ok(o) => o,
            Err(e) => {
                // Sent, outcome unknown: resolved later by polling, never assumed.
                self.set_state(
                    id,
                    OrderState::Unknown,
                    Some(sent.hash()),
                    Some(e.to_string()),
                );
                return Ok(());
            }
        };
        self.publish_tx(Some(id), &TxOutcomeView::mined(&outcome));
        self.publish_superseded(id, &sent.report().events, outcome.hash, outcome.nonce);
        if !outcome.success {
            let reason = outcome
                .revert
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_else(|| "reverted".into());
            lock(&self.receipts).push(SwapReceipt {
                client_id: id.clone(),
                tx_hash: outcome.hash,
                block_number: outcome.block_number,
                success: false,
                amount_in: U256::ZERO,
                amount_out: U256::ZERO,
                gas_used: outcome.gas_used,
                gas_cost_native: outcome.cost_native,
                revert_reason: Some(reason.clone()),
            });
            self.set_state(
                id,
                OrderState::Failed,
                Some(outcome.hash),
                Some(format!("swap reverted: {reason}")),
            );
            return Ok(());
        }
        let receipt = self
            .tracker
            .client()
            .provider()
            .get_transaction_receipt(outcome.hash)
            .await
            .map_err(|e| format!("receipt of {}: {e}", outcome.hash))?
            .ok_or_else(|| format!("receipt of {} not found", outcome.hash))?;
        // The pools are brought to the swap's block before anything about the fill is reported.
        self.pools_changed_at(outcome.block_number).await;
        let logs = receipt.inner.logs().to_vec();
        let (amount_in, amount_out, _lp_fee) =
            (plan.decode_fill)(&logs, plan).map_err(|e| format!("decoding swap logs: {e}"))?;
        lock(&self.receipts).push(SwapReceipt {
            client_id: id.clone(),
            tx_hash: outcome.hash,
            block_number: outcome.block_number,
            success: true,
            amount_in,
            amount_out,
            gas_used: outcome.gas_used,
            gas_cost_native: outcome.cost_native,
            revert_reason: None,
        });
        let fill = self.swap_fill(
            id,
            (&plan.pair, plan.side, &plan.base, &plan.quote),
            (amount_in, amount_out),
            outcome.hash,
            &logs,
            outcome.cost_native,
        )?;
        let state = {
            let mut orders = lock(&self.orders);
            let o = orders.get_mut(id).ok_or("order vanished")?;
            o.apply_fill(&fill).map_err(|e| e.to_string())?;
            o.state
        };
        lock(&self.fills)
            .entry(id.clone())
            .or_default()
            .push(fill.clone());
        self.events.publish(VenueEvent::Fill(fill));
        self.publish_state(id, Some(outcome.hash.to_string()), state, None);
        Ok(())
    }
}

/// The LP fee of an input amount at `fee_ppm`, rounded up as pools charge it.
pub fn lp_fee(amount_in: U256, fee_ppm: u32) -> U256 {
    let num = amount_in * U256::from(fee_ppm);
    let den = U256::from(1_000_000u32);
    num.div_ceil(den)
}

/// The deadline for a swap: the order's, or `seconds` from now.
pub fn deadline(order_deadline: Option<u64>, seconds: u64) -> U256 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    U256::from(order_deadline.unwrap_or(now + seconds))
}

/// The slippage bound of an order in raw quote units: the least quote a sell accepts (rounded up),
/// or the most a buy pays (rounded down), from the order's worst acceptable average price.
pub fn quote_bound(request: &OrderRequest, quote: &Token) -> Result<Option<U256>, AmmError> {
    let Some(price) = request.price else {
        return Ok(None);
    };
    let total = request.amount.checked_mul(price).ok_or_else(|| {
        AmmError::InvalidAmount(format!("{} x {price} overflows", request.amount))
    })?;
    let rounding = match request.side {
        Side::Sell => crate::core::Rounding::Up,
        Side::Buy => crate::core::Rounding::Down,
    };
    crate::core::to_units(total, quote.decimals, rounding)
        .map(Some)
        .map_err(|e| AmmError::InvalidAmount(format!("slippage bound: {e}")))
}

/// A venue's default slippage tolerance when an order has no price: 0.5 %.
pub const DEFAULT_SLIPPAGE_BPS: u32 = 50;

/// `amount` moved against the trader by `bps`: down for a minimum output, up for a maximum input.
pub fn with_slippage(amount: U256, bps: u32, minimum: bool) -> U256 {
    let ten_k = U256::from(10_000u32);
    if minimum {
        amount * U256::from(10_000u32.saturating_sub(bps)) / ten_k
    } else {
        (amount * U256::from(10_000 + bps)).div_ceil(ten_k)
    }
}

/// The parts of a transaction's outcome that consumers journal.
struct TxOutcomeView {
    hash: B256,
    nonce: u64,
    status: TxState,
    gas_used: Option<u64>,
    effective_gas_price: Option<u128>,
    fee_native: Option<Decimal>,
    block: Option<u64>,
}

impl TxOutcomeView {
    fn mined(o: &crate::chain::evm::TxOutcome) -> Self {
        Self {
            hash: o.hash,
            nonce: o.nonce,
            status: if o.success {
                TxState::Mined
            } else {
                TxState::Reverted
            },
            gas_used: Some(o.gas_used),
            effective_gas_price: Some(o.effective_gas_price),
            fee_native: Some(o.cost_native),
            block: Some(o.block_number),
        }
    }
}
