//! The one EVM AMM [`Venue`], written once and parameterised by a [`PoolModel`]: what a protocol
//! supplies (its pools' state, synced from logs through [`PoolSet`]; exact local quotes; the swap's
//! router or vault, calldata and receipt decoding in a [`SwapPlan`]; its descriptor). Everything
//! else is here: the token book, gas price, balances, the swap executor, following the chain and
//! the venue's lifecycle. The model is a type parameter, not a trait object, so a quote is
//! statically dispatched down to the protocol's math.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::{DynProvider, Provider};
use async_trait::async_trait;
use rust_decimal::Decimal;

use super::follow::{ChainFollower, Follower, FollowerParts};
use super::native::NativeLeg;
use super::swap::{SwapExecutor, SwapPlan, venue_parts};
use super::tokens::TokenBook;
use super::{PoolSet, SyncOutcome, Tracked, head};
use crate::amm::AmmError;
use crate::chain::evm::{ApprovalPolicy, TxTracker};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, Order, OrderRequest, Pair, Quote,
    QuoteRequest, Side, Token, VenueEvent,
};
use crate::venue::{
    BackgroundTasks, ChainReport, ConnectorDescriptor, DryRun, EventHub, EventReceiver, Execution,
    TxJournal, Venue, VenueError, VenueId, VenueKind,
};

/// One tracked pool as the venue lists it: its tokens, address and LP fee (a fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolListing {
    pub token0: Address,
    pub token1: Address,
    pub address: Address,
    pub fee: Decimal,
}

/// What an AMM protocol supplies to [`EvmAmmVenue`]. The protocol-specific work (loading pools,
/// quoting, planning a swap) is written as inherent methods of `EvmAmmVenue<Model>` in the
/// protocol's folder, which reach the shared parts through the venue's accessors; the model's
/// functions hand them to the generic venue.
pub trait PoolModel: Send + Sync + Sized + 'static {
    /// The tracked pools, brought forward from their logs by [`sync`].
    type Pools: PoolSet + Clone + Send + Sync + 'static;
    /// The protocol's contracts on one chain (factory, router or vault, …).
    type Contracts: fmt::Debug;
    /// What the connector declares to the registry; its name is the venue's name.
    const DESCRIPTOR: ConnectorDescriptor;
    /// The venue's type name in `Debug` output and messages.
    const TYPE_NAME: &'static str;
    /// What the protocol calls its pools in messages ("pairs", "pools").
    const POOLS_NOUN: &'static str;

    fn contracts(&self) -> &Self::Contracts;
    /// The pool set of a venue that tracks nothing yet.
    fn empty_pools(&self) -> Self::Pools;
    /// Every tracked pool.
    fn listing(pools: &Self::Pools) -> Vec<PoolListing>;
    /// Loads the pools a trade between two tokens may use, unless tracked already.
    fn track(
        venue: &EvmAmmVenue<Self>,
        a: Address,
        b: Address,
    ) -> impl Future<Output = Result<(), AmmError>> + Send;
    /// An exact quote from the local state.
    fn quote(
        venue: &EvmAmmVenue<Self>,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> impl Future<Output = Result<Quote, AmmError>> + Send;
    /// The swap transaction of an order (router or vault, calldata, bounds, receipt decoding).
    fn plan(
        venue: &EvmAmmVenue<Self>,
        order: &OrderRequest,
        recipient: Address,
    ) -> impl Future<Output = Result<SwapPlan, AmmError>> + Send;
}

/// An AMM venue on one EVM chain: the protocol's pool model `M` plus everything AMMs share.
pub struct EvmAmmVenue<M: PoolModel> {
    id: VenueId,
    provider: DynProvider,
    model: M,
    native: Asset,
    tokens: Arc<RwLock<TokenBook>>,
    state: Arc<RwLock<Tracked<M::Pools>>>,
    /// Following the chain: syncs one at a time, the gas price, the freshness rule.
    follower: Arc<Follower<M::Pools>>,
    account: Option<Address>,
    events: Arc<EventHub>,
    executor: Option<Arc<SwapExecutor>>,
    /// Itself, once shared ([`EvmAmmVenue::shared`]): what the sync task of `Venue::start` holds.
    me: OnceLock<Weak<Self>>,
    /// How often a started venue follows the chain.
    sync_interval: Duration,
    /// The sync task of `Venue::start`.
    background: BackgroundTasks,
}

impl<M: PoolModel> fmt::Debug for EvmAmmVenue<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct(M::TYPE_NAME)
            .field("id", &self.id)
            .field("contracts", self.model.contracts())
            .finish()
    }
}

/// A poisoned lock of the venue's state.
pub(crate) fn lock_err<T>(_: T) -> AmmError {
    AmmError::Rpc("pool state lock poisoned".into())
}

impl<M: PoolModel> EvmAmmVenue<M> {
    /// A venue at the chain's current head with no pool loaded yet.
    pub async fn open(
        chain: &str,
        native: Asset,
        provider: DynProvider,
        model: M,
        tokens: TokenBook,
    ) -> Result<Self, AmmError> {
        let cursor = head(&provider).await?;
        let gas = provider.get_gas_price().await.map_err(AmmError::rpc)?;
        let set = model.empty_pools();
        let id = VenueId::new(M::DESCRIPTOR.name, Some(chain));
        let tokens = Arc::new(RwLock::new(tokens));
        let state = Arc::new(RwLock::new(Tracked { set, cursor }));
        let events = Arc::new(EventHub::new());
        let follower = Arc::new(Follower::new(
            FollowerParts {
                id: id.clone(),
                provider: provider.clone(),
                state: Arc::clone(&state),
                tokens: Arc::clone(&tokens),
                events: Arc::clone(&events),
                gas_price_wei: gas,
            },
            M::POOLS_NOUN,
            Box::new(|set, book| {
                M::listing(set)
                    .into_iter()
                    .filter_map(|p| {
                        let a = book.by_address(p.token0)?;
                        let b = book.by_address(p.token1)?;
                        Some(Pair::new(a.symbol.clone(), b.symbol.clone()))
                    })
                    .collect()
            }),
        ));
        Ok(Self {
            id,
            provider,
            model,
            native,
            tokens,
            state,
            follower,
            account: None,
            events,
            executor: None,
            me: OnceLock::new(),
            sync_interval: super::evm_connect::DEFAULT_SYNC_INTERVAL,
            background: BackgroundTasks::new(),
        })
    }

    /// How often a started venue follows the chain.
    pub fn with_sync_interval(mut self, every: Duration) -> Self {
        self.sync_interval = every;
        self
    }

    /// The venue behind an `Arc`, able to [`Venue::start`] its own sync task (which holds it
    /// weakly, so that dropping the venue stops the task).
    pub fn shared(self) -> Arc<Self> {
        let me = Arc::new(self);
        let _ = me.me.set(Arc::downgrade(&me));
        me
    }

    /// Refreshes every `every` while the venue lives.
    fn follow(me: Weak<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(v) = me.upgrade() else { return };
                v.refresh_or_report().await;
            }
        })
    }

    /// Refreshes once; a failure is logged and published as a lost connection.
    async fn refresh_or_report(&self) {
        if let Err(e) = self.refresh().await {
            tracing::warn!(venue = %self.id, error = %e, "pool sync failed");
            self.events.publish(VenueEvent::ConnectionLost {
                reason: e.to_string(),
            });
        }
    }

    /// Enables swaps, signed and sent by `tracker`'s account (which also becomes the balances'
    /// account). Approvals of the router follow `policy`.
    pub fn with_executor(mut self, tracker: TxTracker, policy: ApprovalPolicy) -> Self {
        self.account = Some(tracker.account());
        self.executor = Some(Arc::new(
            SwapExecutor::new(
                tracker,
                &self.id.to_string(),
                self.native.clone(),
                policy,
                Arc::clone(&self.events),
            )
            .with_follower(Arc::clone(&self.follower) as Arc<dyn ChainFollower>),
        ));
        self
    }

    /// The swap executor, when swaps are enabled (approvals and receipts are read from it).
    pub fn executor(&self) -> Option<&Arc<SwapExecutor>> {
        self.executor.as_ref()
    }

    /// Sets the account whose balances [`Venue::balances`] reports.
    pub fn with_account(mut self, account: Address) -> Self {
        self.account = Some(account);
        self
    }

    /// The protocol's contracts on this chain.
    pub fn contracts(&self) -> &M::Contracts {
        self.model.contracts()
    }

    /// The protocol's pool model.
    pub fn model(&self) -> &M {
        &self.model
    }

    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The chain's native asset.
    pub fn native(&self) -> &Asset {
        &self.native
    }

    /// The tracked pools and the block they are current at.
    pub fn state(&self) -> &RwLock<Tracked<M::Pools>> {
        &self.state
    }

    /// The token book.
    pub fn tokens(&self) -> &RwLock<TokenBook> {
        &self.tokens
    }

    /// The node's gas price at the last refresh, in wei.
    pub fn gas_price_wei(&self) -> u128 {
        self.follower.gas_price_wei()
    }

    /// Resolves a symbol or address to a token.
    pub async fn resolve_token(&self, text: &str) -> Result<Token, AmmError> {
        let mut book = self.tokens.read().map_err(lock_err)?.clone();
        let token = book.resolve(&self.provider, text).await?;
        *self.tokens.write().map_err(lock_err)? = book;
        Ok(token)
    }

    /// Whether `symbol` is the chain's native asset (ETH), traded through its wrapped token and
    /// paid or received as native coin.
    pub fn is_native(&self, symbol: &str) -> bool {
        self.tokens
            .read()
            .map(|b| b.is_native(symbol.trim()))
            .unwrap_or(false)
    }

    /// Which leg of a trade on `pair` is native coin, if any.
    pub(crate) fn native_leg(&self, pair: &Pair, side: Side) -> Result<NativeLeg, AmmError> {
        let book = self.tokens.read().map_err(lock_err)?;
        NativeLeg::of(&book, pair, side)
    }

    /// The known token of a symbol.
    pub(crate) fn token_for(&self, asset: &Asset) -> Result<Token, AmmError> {
        self.tokens
            .read()
            .map_err(lock_err)?
            .by_symbol(asset.as_str())
            .cloned()
            .ok_or_else(|| AmmError::UnknownToken(asset.to_string()))
    }

    /// The wrapped native token's address, the hub of two-hop paths.
    pub(crate) fn wrapped_native_address(&self) -> Option<Address> {
        self.tokens
            .read()
            .ok()?
            .wrapped_native()
            .and_then(Token::erc20)
    }

    /// Brings the tracked pools to the chain head from their logs (or reloads after a reorg), after
    /// any sync already running (syncs run one at a time: no log is applied twice).
    pub async fn refresh(&self) -> Result<SyncOutcome, AmmError> {
        self.follower.refresh().await
    }

    /// The freshness rule ([`follow`](super::follow)): before a quote or a swap plan, state older
    /// than the venue's own latest swap is synced to that swap's block.
    pub async fn ensure_current(&self) -> Result<(), AmmError> {
        self.follower.ensure_current().await
    }

    /// Refreshes every `interval` until the returned task is aborted; errors are logged and retried.
    pub fn spawn_sync(self: &Arc<Self>, interval: Duration) -> tokio::task::JoinHandle<()> {
        let me = Arc::clone(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(interval);
            loop {
                tick.tick().await;
                me.refresh_or_report().await;
            }
        })
    }

    /// The block the local state is current at.
    pub fn synced_block(&self) -> Result<u64, AmmError> {
        self.follower.synced_block()
    }
}

/// Both tokens' addresses; the native asset has none and must be given as its wrapped token.
pub(crate) fn token_addresses(base: &Token, quote: &Token) -> Result<(Address, Address), AmmError> {
    let addr = |t: &Token| {
        t.erc20().ok_or_else(|| {
            AmmError::UnknownToken(format!("{} (native; use its wrapped token)", t.symbol))
        })
    };
    let (b, q) = (addr(base)?, addr(quote)?);
    if b == q {
        return Err(AmmError::InvalidAmount(format!(
            "{} and {} are the same token",
            base.symbol, quote.symbol
        )));
    }
    Ok((b, q))
}

#[async_trait]
impl<M: PoolModel> Venue for EvmAmmVenue<M> {
    fn id(&self) -> &VenueId {
        &self.id
    }

    fn kind(&self) -> VenueKind {
        VenueKind::Amm
    }

    fn execution(&self) -> Execution {
        Execution::SwapMinOut
    }

    fn chain_report(&self, id: &ClientOrderId) -> Option<ChainReport> {
        self.executor
            .as_ref()
            .map(|e| super::report::chain_report(e, id))
    }

    /// Loads the pools of each pair, then follows the chain in the background.
    async fn start(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        for pair in pairs {
            let base = self.resolve_token(pair.base.as_str()).await?;
            let quote = self.resolve_token(pair.quote.as_str()).await?;
            let (a, b) = token_addresses(&base, &quote)?;
            M::track(self, a, b).await?;
        }
        if self.background.running() == 0 {
            let me = self.me.get().cloned().ok_or_else(|| {
                VenueError::InvalidRequest(format!(
                    "{}: only a shared venue ({}::shared) follows the chain by itself",
                    self.id,
                    M::TYPE_NAME
                ))
            })?;
            self.background.keep(Self::follow(me, self.sync_interval));
        }
        Ok(())
    }

    async fn close(&self) {
        self.background.stop_all();
    }

    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError> {
        let t = self.state.read().map_err(lock_err)?;
        let book = self.tokens.read().map_err(lock_err)?;
        let mut out = Vec::new();
        for p in M::listing(&t.set) {
            let (Some(a), Some(b)) = (book.by_address(p.token0), book.by_address(p.token1)) else {
                continue;
            };
            // A pool trades both ways: either token may be the base.
            for (base, quote) in [(a, b), (b, a)] {
                out.push(MarketRules {
                    pair: Pair::new(base.symbol.clone(), quote.symbol.clone()),
                    venue_symbol: p.address.to_string(),
                    tick_size: Decimal::ZERO,
                    step_size: Decimal::new(1, u32::from(base.decimals.min(28))),
                    min_size: Decimal::ZERO,
                    max_size: None,
                    min_notional: Decimal::ZERO,
                    maker_fee: p.fee,
                    taker_fee: p.fee,
                });
            }
        }
        Ok(out)
    }

    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        let base = self.token_for(&request.pair.base)?;
        let quote = self.token_for(&request.pair.quote)?;
        self.ensure_current().await?;
        Ok(M::quote(self, request, &base, &quote).await?)
    }

    async fn balances(&self) -> Result<Vec<Balance>, VenueError> {
        venue_parts::balances(
            &self.id,
            &self.provider,
            self.account,
            &self.tokens,
            &self.native,
        )
        .await
    }

    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError> {
        order.check_shape()?;
        let executor = venue_parts::executor(&self.id, self.executor.as_ref())?;
        self.ensure_current().await?;
        let plan = M::plan(self, &order, executor.account()).await?;
        venue_parts::submit(executor, order, plan)
    }

    async fn dry_run(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        order.check_shape()?;
        let executor = venue_parts::executor(&self.id, self.executor.as_ref())?;
        self.ensure_current().await?;
        let plan = M::plan(self, &order, executor.account()).await?;
        venue_parts::dry_run(&self.id, executor, &plan).await
    }

    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        Err(venue_parts::cannot_cancel(id))
    }

    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError> {
        venue_parts::order_status(self.executor.as_ref(), &self.tokens, order).await
    }

    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError> {
        venue_parts::order_fills(self.executor.as_ref(), &self.tokens, order).await
    }

    fn attach_tx_journal(&self, journal: Arc<dyn TxJournal>) -> bool {
        venue_parts::attach_tx_journal(self.executor.as_ref(), journal)
    }

    async fn reconcile_transactions(&self) -> Result<usize, VenueError> {
        venue_parts::reconcile_transactions(self.executor.as_ref()).await
    }

    fn events(&self) -> EventReceiver {
        self.events.subscribe()
    }
}
