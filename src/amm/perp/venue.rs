//! `perp@<chain>`: Perpetual Protocol v1 as a [`Venue`] that changes positions
//! ([`Execution::PositionChange`]). Built on the EVM AMM kit: the Amms' state is followed from
//! their logs by the kit's log sync, orders are sent by the kit's [`SwapExecutor`] (margin-token
//! approval of the ClearingHouse, nonce, journal before broadcast, receipt), balances and events
//! come from the kit. What is Perp's own: quotes from the vAMM math on the synced reserves, the
//! order planned as `openPosition` / `closePosition` ([`super::order`]), its fill read from
//! `PositionChanged` (live, and for an order sent before a restart, adopted from the journal's
//! records and the chain by [`Venue::order_status`]: found, never resent), and
//! [`Venue::positions`] read from the ClearingHouse with the liquidation price.
//!
//! A `Buy` of `x` base goes long by `x` (opens or increases a long, or reduces or closes a
//! short); a `Sell` goes short by `x`. The ClearingHouse takes no deadline: an order whose
//! deadline has passed (by the wall clock or the chain's) is refused before it is sent.

use std::fmt;
use std::sync::{Arc, OnceLock, RwLock, Weak};
use std::time::Duration;

mod orders;

use alloy::primitives::{Address, Bytes, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Log;
use alloy::sol_types::SolCall;
use async_trait::async_trait;
use rust_decimal::Decimal;

use super::abi::IPerpClearingHouse;
use super::position::read_position;
use super::state::{AmmState, PerpAmms};
use super::{math, order};
use crate::amm::AmmError;
use crate::amm::evm::follow::{ChainFollower, Follower, FollowerParts};
use crate::amm::evm::swap::{AdoptedAmounts, SwapExecutor, venue_parts};
use crate::amm::evm::tokens::TokenBook;
use crate::amm::evm::venue::lock_err;
use crate::amm::evm::{Tracked, head};
use crate::chain::evm::{ApprovalPolicy, TxTracker};
use crate::core::{
    Asset, Balance, ClientOrderId, Fill, MarketRules, Order, OrderRequest, Pair, Position, Quote,
    QuoteRequest, Token, TokenId, VenueEvent, from_units,
};
use crate::venue::{
    BackgroundTasks, ChainReport, DryRun, EventHub, EventReceiver, Execution, TxJournal, Venue,
    VenueError, VenueId, VenueKind,
};

/// Gas of an `openPosition` / `closePosition` (the Amm swap, funding and margin checks, transfers).
pub const GAS_TRADE: u64 = 450_000;
/// The gas limit an order is sent with.
const GAS_LIMIT: u64 = 1_500_000;

/// One market: a pair traded on one Amm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerpMarket {
    pub pair: Pair,
    pub amm: Address,
}

/// The Perp v1 contracts of one chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PerpContracts {
    pub clearing_house: Address,
    pub viewer: Address,
    pub markets: Vec<PerpMarket>,
}

/// The Perp v1 venue on one chain.
pub struct PerpVenue {
    id: VenueId,
    provider: DynProvider,
    contracts: PerpContracts,
    /// The margin token as the chain has it (USDC, 6 decimals on xDai).
    margin: Token,
    /// Opening leverage, 18 decimals.
    leverage: U256,
    native: Asset,
    tokens: Arc<RwLock<TokenBook>>,
    state: Arc<RwLock<Tracked<PerpAmms>>>,
    /// Following the chain (the EVM kit's): syncs one at a time, the gas price, the freshness rule.
    follower: Arc<Follower<PerpAmms>>,
    account: Option<Address>,
    events: Arc<EventHub>,
    executor: Option<Arc<SwapExecutor>>,
    me: OnceLock<Weak<Self>>,
    sync_interval: Duration,
    background: BackgroundTasks,
}

impl fmt::Debug for PerpVenue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PerpVenue")
            .field("id", &self.id)
            .field("contracts", &self.contracts)
            .finish()
    }
}

/// What [`PerpVenue::open`] is built from.
#[derive(Debug)]
pub struct PerpParts {
    pub chain: String,
    pub provider: DynProvider,
    pub contracts: PerpContracts,
    pub margin: Token,
    pub leverage: U256,
    pub native: Asset,
    pub tokens: TokenBook,
    pub sync_interval: Duration,
}

fn perp_math(e: math::PerpMathError) -> AmmError {
    AmmError::Math(format!("perp: {e}"))
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl PerpVenue {
    /// A venue with every market's Amm loaded at the chain's head.
    pub async fn open(parts: PerpParts) -> Result<Self, AmmError> {
        let cursor = head(&parts.provider).await?;
        let amms: Vec<Address> = parts.contracts.markets.iter().map(|m| m.amm).collect();
        let set = PerpAmms::load(&parts.provider, &amms, cursor.number).await?;
        let gas = parts
            .provider
            .get_gas_price()
            .await
            .map_err(AmmError::rpc)?;
        let id = VenueId::new(super::connect::DESCRIPTOR.name, Some(&parts.chain));
        let tokens = Arc::new(RwLock::new(parts.tokens));
        let state = Arc::new(RwLock::new(Tracked { set, cursor }));
        let events = Arc::new(EventHub::new());
        // Every market's pair moves when its Amm's logs are applied.
        let pairs: Vec<Pair> = parts
            .contracts
            .markets
            .iter()
            .map(|m| m.pair.clone())
            .collect();
        let follower = Arc::new(Follower::new(
            FollowerParts {
                id: id.clone(),
                provider: parts.provider.clone(),
                state: Arc::clone(&state),
                tokens: Arc::clone(&tokens),
                events: Arc::clone(&events),
                gas_price_wei: gas,
            },
            "Amms",
            Box::new(move |_, _| pairs.clone()),
        ));
        Ok(Self {
            id,
            provider: parts.provider,
            contracts: parts.contracts,
            margin: parts.margin,
            leverage: parts.leverage,
            native: parts.native,
            tokens,
            state,
            follower,
            account: None,
            events,
            executor: None,
            me: OnceLock::new(),
            sync_interval: parts.sync_interval,
            background: BackgroundTasks::new(),
        })
    }

    /// Enables orders, signed and sent by `tracker`'s account (also the positions' account).
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

    /// Sets the account whose balances and positions are read.
    pub fn with_account(mut self, account: Address) -> Self {
        self.account = Some(account);
        self
    }

    /// The venue behind an `Arc`, able to follow the chain by itself once started.
    pub fn shared(self) -> Arc<Self> {
        let me = Arc::new(self);
        let _ = me.me.set(Arc::downgrade(&me));
        me
    }

    pub fn contracts(&self) -> &PerpContracts {
        &self.contracts
    }

    /// The margin token.
    pub fn margin_token(&self) -> &Token {
        &self.margin
    }

    /// The synced state of a market's Amm and the block it is current at.
    pub fn amm_state(&self, pair: &Pair) -> Result<(AmmState, u64), AmmError> {
        let market = self.market(pair)?;
        let t = self.state.read().map_err(lock_err)?;
        let s = t
            .set
            .get(market.amm)
            .cloned()
            .ok_or_else(|| AmmError::NoPool {
                protocol: "perp",
                pair: pair.to_string(),
            })?;
        Ok((s, t.cursor.number))
    }

    fn market(&self, pair: &Pair) -> Result<&PerpMarket, AmmError> {
        self.contracts
            .markets
            .iter()
            .find(|m| &m.pair == pair)
            .ok_or_else(|| AmmError::NoPool {
                protocol: "perp",
                pair: format!(
                    "{pair} (markets: {})",
                    self.contracts
                        .markets
                        .iter()
                        .map(|m| m.pair.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            })
    }

    /// Brings the Amms to the chain head from their logs (or reloads after a reorg), after any
    /// sync already running (syncs run one at a time: no log is applied twice).
    pub async fn refresh(&self) -> Result<(), AmmError> {
        self.follower.refresh().await.map(|_| ())
    }

    fn follow(me: Weak<Self>, every: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let Some(v) = me.upgrade() else { return };
                if let Err(e) = v.refresh().await {
                    tracing::warn!(venue = %v.id, error = %e, "perp amm sync failed");
                    v.events.publish(VenueEvent::ConnectionLost {
                        reason: e.to_string(),
                    });
                }
            }
        })
    }

    /// The position's signed size (18 decimals) of the account in `amm` at `block`.
    async fn position_size(&self, amm: Address, account: Address) -> Result<I256, AmmError> {
        let call = IPerpClearingHouse::getPositionCall {
            _amm: amm,
            _trader: account,
        };
        let tx = alloy::rpc::types::TransactionRequest::default()
            .to(self.contracts.clearing_house)
            .input(call.abi_encode().into());
        let out = self.provider.call(tx).await.map_err(AmmError::rpc)?;
        let p = IPerpClearingHouse::getPositionCall::abi_decode_returns(&out).map_err(|e| {
            AmmError::Decode {
                what: "getPosition",
                reason: e.to_string(),
            }
        })?;
        Ok(p.size.d)
    }

    /// The base token of a market as the fills count it: Perp's virtual asset, 18 decimals (named
    /// by its Amm's address: it has no token).
    fn base_token(&self, pair: &Pair, amm: Address) -> Token {
        Token {
            symbol: pair.base.clone(),
            decimals: 18,
            chain: self.id.chain.clone().unwrap_or_default(),
            id: TokenId::Erc20(amm),
        }
    }

    /// The margin token as Perp counts it: 18 decimals.
    fn quote_token_18(&self, pair: &Pair) -> Token {
        Token {
            symbol: pair.quote.clone(),
            decimals: 18,
            ..self.margin.clone()
        }
    }

    /// The account's positions at the chain's head (of `pair`, or every market), empty ones left
    /// out.
    pub async fn positions_of(
        &self,
        account: Address,
        pair: Option<&Pair>,
    ) -> Result<Vec<Position>, AmmError> {
        let block = head(&self.provider).await?.number;
        let mut out = Vec::new();
        for m in &self.contracts.markets {
            if pair.is_some_and(|p| p != &m.pair) {
                continue;
            }
            let state = AmmState::load(&self.provider, m.amm, block).await?;
            let v = read_position(
                &self.provider,
                self.contracts.clearing_house,
                m.amm,
                account,
                state.reserves,
                block,
            )
            .await?;
            if v.size.is_zero() {
                continue;
            }
            out.push(
                v.to_position(m.pair.clone(), self.margin.symbol.clone())
                    .map_err(|e| AmmError::Math(format!("perp position: {e}")))?,
            );
        }
        Ok(out)
    }
}

#[async_trait]
impl Venue for PerpVenue {
    fn id(&self) -> &VenueId {
        &self.id
    }

    fn kind(&self) -> VenueKind {
        VenueKind::Perp
    }

    fn execution(&self) -> Execution {
        Execution::PositionChange
    }

    fn chain_report(&self, id: &ClientOrderId) -> Option<ChainReport> {
        self.executor
            .as_ref()
            .map(|e| crate::amm::evm::report::chain_report(e, id))
    }

    /// Checks each pair is a market here, brings the Amms to the head, then follows the chain.
    async fn start(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        for pair in pairs {
            self.market(pair)?;
        }
        self.refresh().await?;
        if self.background.running() == 0 {
            let me = self.me.get().cloned().ok_or_else(|| {
                VenueError::InvalidRequest(format!(
                    "{}: only a shared venue (PerpVenue::shared) follows the chain by itself",
                    self.id
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
        let mut out = Vec::new();
        for m in &self.contracts.markets {
            let Some(s) = t.set.get(m.amm) else { continue };
            let fee = from_units(s.params.toll_ratio + s.params.spread_ratio, 18)?;
            out.push(MarketRules {
                pair: m.pair.clone(),
                venue_symbol: m.amm.to_string(),
                tick_size: Decimal::ZERO,
                step_size: Decimal::new(1, 18),
                min_size: Decimal::ZERO,
                max_size: None,
                min_notional: Decimal::ZERO,
                maker_fee: fee,
                taker_fee: fee,
            });
        }
        Ok(out)
    }

    /// The trade an open or increase of the request's size would make on the synced reserves
    /// (a reduce or close of the same size trades at the same vAMM price, its fee on its own
    /// notional).
    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        self.follower.ensure_current().await?;
        let (trade, state) =
            self.trade(&request.pair, request.side, request.base_amount, I256::ZERO)?;
        Ok(self.quote_of(request, &trade, &state)?)
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
        let plan = self.plan_order(&order, executor.account()).await?;
        venue_parts::submit(executor, order, plan)
    }

    async fn dry_run(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        order.check_shape()?;
        let executor = venue_parts::executor(&self.id, self.executor.as_ref())?;
        let plan = self.plan_order(&order, executor.account()).await?;
        venue_parts::dry_run(&self.id, executor, &plan).await
    }

    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        Err(venue_parts::cannot_cancel(id))
    }

    /// An order of this process; one sent by an earlier process (before a crash or restart) is
    /// adopted from the journal's records of its transactions and the chain, its fill decoded
    /// from the ClearingHouse's `PositionChanged` log as a live order's (margin moves are not the
    /// trade). An order whose transaction was never recorded (never broadcast) is `UnknownOrder`.
    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError> {
        let unknown = || VenueError::UnknownOrder(order.client_id.clone());
        let executor = self.executor.as_ref().ok_or_else(unknown)?;
        let amm = self.market(&order.pair)?.amm;
        let side = order.side;
        let decode = move |logs: &[Log], clearing_house: Address, calldata: &Bytes| {
            order::decode_position_change(logs, clearing_house, amm, side, calldata)
                .map(|(paid, received, _fee)| (paid, received))
        };
        let tokens = (
            &self.base_token(&order.pair, amm),
            &self.quote_token_18(&order.pair),
        );
        executor
            .adopt(order, tokens, AdoptedAmounts::Decoded(&decode))
            .await?
            .ok_or_else(unknown)
    }

    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError> {
        self.order_status(order).await?;
        Ok(self
            .executor
            .as_ref()
            .map(|e| e.fills(&order.client_id))
            .unwrap_or_default())
    }

    fn attach_tx_journal(&self, journal: Arc<dyn TxJournal>) -> bool {
        venue_parts::attach_tx_journal(self.executor.as_ref(), journal)
    }

    async fn reconcile_transactions(&self) -> Result<usize, VenueError> {
        venue_parts::reconcile_transactions(self.executor.as_ref()).await
    }

    async fn positions(&self, pair: Option<&Pair>) -> Result<Vec<Position>, VenueError> {
        let account = self.account.ok_or_else(|| {
            VenueError::InvalidRequest(format!(
                "{}: no account to read positions of (name a wallet)",
                self.id
            ))
        })?;
        Ok(self.positions_of(account, pair).await?)
    }

    fn events(&self) -> EventReceiver {
        self.events.subscribe()
    }
}
