//! `mento@<chain>`: the Mento v2 pool model ([`MentoModel`]) plugged into the generic
//! [`EvmAmmVenue`]. Quotes run BiPoolManager's `getAmountOut` / `getAmountIn` on local state at
//! the chain's current time (the exchange with the best price when several trade the pair);
//! swaps go through the Broker's `swapIn` / `swapOut` with `amountOutMin` / `amountInMax`, after
//! the Broker's trading limits are read and checked locally. The Broker takes no deadline: the
//! venue refuses to plan a swap once the order's deadline has passed (by the wall clock or the
//! chain's), so nothing is sent after it; a sent swap is bounded by its minimum output.

use std::future::Future;

use alloy::primitives::{Address, B256, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::{SolCall, SolEvent};
use rust_decimal::Decimal;

use super::abi::{IMentoBiPoolManager, IMentoBroker};
use super::fixidity::FIXED1;
use super::limits::{LimitCheck, LimitConfig, LimitState, limit_id};
use super::math::SwapResult;
use super::state::{MentoAddresses, MentoPools, TrackedExchange, list_exchanges};
use crate::amm::AmmError;
use crate::amm::evm::venue::{EvmAmmVenue, PoolListing, PoolModel, lock_err, token_addresses};
use crate::amm::quoting::{SwapQuote, amount_units, build_quote};
use crate::amm::rpc::{ReadCall, batch_read};
use crate::amm::swap::{
    DEFAULT_SLIPPAGE_BPS, FillAmounts, SwapPlan, lp_fee, quote_bound, with_slippage,
};
use crate::amm::swap_logs::first_and_last;
use crate::chain::deployment::Manifest;
use crate::chain::spec::ChainSpec;
use crate::core::{OrderRequest, Quote, QuoteRequest, Side, Token};
use crate::venue::{ConnectorDescriptor, ImplState, Venue};

/// What this connector declares to the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "mento",
    module: "amm::mento",
    state: ImplState::Partial(
        "quotes exact to the wei from local buckets and oracle medians synced by logs (constant product and constant sum); swaps through the Broker with bounds, trading limits checked first; one exchange per swap (no multi-hop)",
    ),
};

/// Gas of a Broker swap (two transfers, the pricing module, oracle reads, limits).
const GAS_SWAP: u64 = 250_000;
/// The gas limit a swap is sent with.
const GAS_LIMIT: u64 = 600_000;

/// The Mento v2 contracts of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentoContracts {
    pub broker: Address,
    pub bi_pool_manager: Address,
    /// Read from the BiPoolManager when the chain spec does not name it.
    pub sorted_oracles: Option<Address>,
}

impl MentoContracts {
    /// From the chain spec's `[protocols.mento]` (`broker`, `bi_pool_manager`, optionally
    /// `sorted_oracles`).
    pub fn from_chain_spec(spec: &ChainSpec) -> Result<Self, AmmError> {
        let need = |role: &'static str| {
            spec.protocol_address("mento", role)
                .ok_or_else(|| AmmError::NotDeployed {
                    protocol: "mento",
                    chain: spec.name.clone(),
                    role,
                })
        };
        Ok(Self {
            broker: need("broker")?,
            bi_pool_manager: need("bi_pool_manager")?,
            sorted_oracles: spec.protocol_address("mento", "sorted_oracles"),
        })
    }

    /// From a deployment manifest, if it has Mento.
    pub fn from_manifest(m: &Manifest) -> Option<Self> {
        m.mento.as_ref().map(|x| Self {
            broker: x.broker,
            bi_pool_manager: x.bi_pool_manager,
            sorted_oracles: Some(x.sorted_oracles),
        })
    }
}

/// The Mento pool model: the chain's Broker and BiPoolManager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentoModel {
    contracts: MentoContracts,
}

impl MentoModel {
    pub fn new(contracts: MentoContracts) -> Self {
        Self { contracts }
    }
}

/// The Mento venue on one chain.
pub type MentoVenue = EvmAmmVenue<MentoModel>;

/// A fraction of FixidityLib (24 decimals) as a `Decimal`, rounded down to 12 places.
fn fixidity_decimal(v: U256) -> Decimal {
    let micro = v / U256::from(1_000_000_000_000u64);
    u64::try_from(micro)
        .map(|m| Decimal::new(m as i64, 12))
        .unwrap_or(Decimal::ONE)
}

impl PoolModel for MentoModel {
    type Pools = MentoPools;
    type Contracts = MentoContracts;
    const DESCRIPTOR: ConnectorDescriptor = DESCRIPTOR;
    const TYPE_NAME: &'static str = "MentoVenue";
    const POOLS_NOUN: &'static str = "exchanges";

    fn contracts(&self) -> &MentoContracts {
        &self.contracts
    }

    fn empty_pools(&self) -> MentoPools {
        MentoPools::new(MentoAddresses {
            broker: self.contracts.broker,
            bi_pool_manager: self.contracts.bi_pool_manager,
            sorted_oracles: self.contracts.sorted_oracles.unwrap_or(Address::ZERO),
        })
    }

    fn listing(pools: &MentoPools) -> Vec<PoolListing> {
        pools
            .exchanges
            .values()
            .map(|x| PoolListing {
                token0: x.exchange.asset0,
                token1: x.exchange.asset1,
                address: pools.contracts.bi_pool_manager,
                fee: fixidity_decimal(x.exchange.spread),
            })
            .collect()
    }

    fn track(
        venue: &MentoVenue,
        a: Address,
        b: Address,
    ) -> impl Future<Output = Result<(), AmmError>> + Send {
        venue.track_exchanges(a, b)
    }

    fn quote(
        venue: &MentoVenue,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> impl Future<Output = Result<Quote, AmmError>> + Send {
        venue.quote_tokens(request, base, quote)
    }

    fn plan(
        venue: &MentoVenue,
        order: &OrderRequest,
        recipient: Address,
    ) -> impl Future<Output = Result<SwapPlan, AmmError>> + Send {
        venue.plan_swap(order, recipient)
    }
}

/// The best priced swap over the exchanges of a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentoSwap {
    pub exchange: TrackedExchange,
    pub result: SwapResult,
}

impl MentoVenue {
    /// Loads the exchanges trading two tokens (at the state's block), those not tracked yet;
    /// finds SortedOracles through the BiPoolManager when it is not known.
    pub async fn track_exchanges(&self, a: Address, b: Address) -> Result<(), AmmError> {
        let bpm = self.contracts().bi_pool_manager;
        for _ in 0..5 {
            let (cursor, known, oracles) = {
                let t = self.state().read().map_err(lock_err)?;
                let known: Vec<B256> = t.set.exchanges.keys().copied().collect();
                (t.cursor, known, t.set.contracts.sorted_oracles)
            };
            let oracles = if oracles == Address::ZERO {
                let mut r = batch_read(
                    self.provider(),
                    &[ReadCall::new(
                        bpm,
                        &IMentoBiPoolManager::sortedOraclesCall {},
                    )],
                    cursor.number,
                )
                .await?;
                r.next_decoded::<IMentoBiPoolManager::sortedOraclesCall>(bpm, "sortedOracles")?
            } else {
                oracles
            };
            let wanted: Vec<B256> = list_exchanges(self.provider(), bpm, cursor.number)
                .await?
                .into_iter()
                .filter(|(id, x, y)| {
                    ((*x == a && *y == b) || (*x == b && *y == a)) && !known.contains(id)
                })
                .map(|(id, _, _)| id)
                .collect();
            if wanted.is_empty() && !known.is_empty() {
                return Ok(());
            }
            let mut fresh = {
                let t = self.state().read().map_err(lock_err)?;
                t.set.clone()
            };
            fresh.contracts.sorted_oracles = oracles;
            let mut all = known.clone();
            all.extend(wanted);
            fresh.load(self.provider(), &all, cursor.number).await?;
            let mut t = self.state().write().map_err(lock_err)?;
            if t.cursor == cursor {
                t.set = fresh;
                return Ok(());
            }
        }
        Err(AmmError::Rpc(
            "the chain kept moving while exchanges were loading".into(),
        ))
    }

    /// The tracked exchanges of two tokens.
    pub fn exchanges_between(
        &self,
        a: Address,
        b: Address,
    ) -> Result<Vec<TrackedExchange>, AmmError> {
        Ok(self.state().read().map_err(lock_err)?.set.between(a, b))
    }

    /// The chain time the local state prices at.
    pub fn chain_now(&self) -> Result<u64, AmmError> {
        Ok(self.state().read().map_err(lock_err)?.set.clock.now())
    }

    /// The best swap from local state at chain time `now`: most output for an exact input, least
    /// input for an exact output.
    pub fn best_swap(
        &self,
        token_in: Address,
        token_out: Address,
        exact_in: bool,
        amount: U256,
        now: u64,
    ) -> Result<MentoSwap, AmmError> {
        let t = self.state().read().map_err(lock_err)?;
        let candidates = t.set.between(token_in, token_out);
        if candidates.is_empty() {
            return Err(AmmError::NoPool {
                protocol: "mento",
                pair: format!("{token_in}/{token_out}"),
            });
        }
        let mut best: Option<MentoSwap> = None;
        let mut last_err = None;
        for x in candidates {
            let oracle = t.set.oracle(&x)?;
            let r = if exact_in {
                x.exchange
                    .amount_out(&oracle, now, token_in, token_out, amount)
            } else {
                x.exchange
                    .amount_in(&oracle, now, token_in, token_out, amount)
            };
            let result = match r {
                Ok(r) => r,
                Err(e) => {
                    last_err = Some(e.to_string());
                    continue;
                }
            };
            let better = match &best {
                None => true,
                Some(b) if exact_in => result.amount_out > b.result.amount_out,
                Some(b) => result.amount_in < b.result.amount_in,
            };
            if better {
                best = Some(MentoSwap {
                    exchange: x,
                    result,
                });
            }
        }
        best.ok_or_else(|| {
            AmmError::InsufficientLiquidity(format!(
                "no Mento exchange can fill {amount}: {}",
                last_err.unwrap_or_default()
            ))
        })
    }

    /// The swap of a request: tokens in and out, exact side, from local state.
    async fn swap_for(
        &self,
        side: Side,
        amount: Decimal,
        base: &Token,
        quote: &Token,
    ) -> Result<(MentoSwap, Address), AmmError> {
        let (base_addr, quote_addr) = token_addresses(base, quote)?;
        let units = amount_units(amount, base)?;
        self.track_exchanges(base_addr, quote_addr).await?;
        let now = self.chain_now()?;
        let (token_in, token_out, exact_in) = match side {
            Side::Sell => (base_addr, quote_addr, true),
            Side::Buy => (quote_addr, base_addr, false),
        };
        Ok((
            self.best_swap(token_in, token_out, exact_in, units, now)?,
            token_in,
        ))
    }

    /// A quote for explicit tokens.
    pub async fn quote_tokens(
        &self,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> Result<Quote, AmmError> {
        let (s, token_in) = self
            .swap_for(request.side, request.base_amount, base, quote)
            .await?;
        let x = &s.exchange.exchange;
        let r = &s.result;
        let kept = FIXED1 - x.spread.min(FIXED1);
        let fee_in = r.amount_in - r.amount_in * kept / FIXED1;
        // Marginal output per input after the swap, in raw units: (1 - spread) times the buckets'
        // ratio (moved by the swap for constant product), each bucket scaled to its token.
        let (b0, b1) = x
            .after_swap(token_in, r)
            .map_err(|e| AmmError::Math(e.to_string()))?;
        let (m_in, m_out, b_in, b_out) = if token_in == x.asset0 {
            (x.multiplier0, x.multiplier1, b0, b1)
        } else {
            (x.multiplier1, x.multiplier0, b1, b0)
        };
        let num = kept.saturating_mul(b_out).saturating_mul(m_in);
        let den = FIXED1.saturating_mul(b_in).saturating_mul(m_out);
        let price_after = match request.side {
            Side::Sell => (num, den),
            Side::Buy => (den, num),
        };
        let swap = SwapQuote {
            amount_in: r.amount_in,
            amount_out: r.amount_out,
            fee_in,
            gas_units: GAS_SWAP,
            price_after,
            route: format!("mento exchange {}", s.exchange.id),
        };
        build_quote(
            &self.id().to_string(),
            request,
            base,
            quote,
            &swap,
            self.native(),
            self.gas_price_wei(),
        )
    }

    /// The Broker's trading limits of both tokens of a swap on `exchange`, read at the state's
    /// block.
    pub async fn trading_limits(
        &self,
        exchange: B256,
        tokens: [(Address, u8); 2],
    ) -> Result<[LimitCheck; 2], AmmError> {
        let broker = self.contracts().broker;
        let block = self.synced_block()?;
        let mut calls = Vec::new();
        for (token, _) in tokens {
            let id = limit_id(exchange, token);
            calls.push(ReadCall::new(
                broker,
                &IMentoBroker::tradingLimitsConfigCall(id),
            ));
            calls.push(ReadCall::new(
                broker,
                &IMentoBroker::tradingLimitsStateCall(id),
            ));
        }
        let mut r = batch_read(self.provider(), &calls, block).await?;
        let mut out = [LimitCheck {
            token: Address::ZERO,
            decimals: 18,
            config: LimitConfig::default(),
            state: LimitState::default(),
        }; 2];
        for (slot, (token, decimals)) in out.iter_mut().zip(tokens) {
            let c = r.next_decoded::<IMentoBroker::tradingLimitsConfigCall>(
                broker,
                "tradingLimitsConfig",
            )?;
            let s = r.next_decoded::<IMentoBroker::tradingLimitsStateCall>(
                broker,
                "tradingLimitsState",
            )?;
            *slot = LimitCheck {
                token,
                decimals,
                config: LimitConfig {
                    timestep0: c.timestep0,
                    timestep1: c.timestep1,
                    limit0: c.limit0.as_i64(),
                    limit1: c.limit1.as_i64(),
                    limit_global: c.limitGlobal.as_i64(),
                    flags: c.flags,
                },
                state: LimitState {
                    last_updated0: s.lastUpdated0,
                    last_updated1: s.lastUpdated1,
                    netflow0: s.netflow0.as_i64(),
                    netflow1: s.netflow1.as_i64(),
                    netflow_global: s.netflowGlobal.as_i64(),
                },
            };
        }
        Ok(out)
    }

    /// The Broker transaction for an order, from local state: `swapIn` for a sell, `swapOut` for
    /// a buy, bounded by the order's price (or the default slippage). Refused when the order's
    /// deadline has passed or the swap would break a trading limit.
    pub async fn plan_swap(
        &self,
        order: &OrderRequest,
        _recipient: Address,
    ) -> Result<SwapPlan, AmmError> {
        let base = self.token_for(&order.pair.base)?;
        let quote = self.token_for(&order.pair.quote)?;
        let (s, token_in) = self
            .swap_for(order.side, order.amount, &base, &quote)
            .await?;
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let now = self.chain_now()?.max(wall);
        if let Some(deadline) = order.deadline
            && now >= deadline
        {
            return Err(AmmError::InvalidAmount(format!(
                "the order's deadline {deadline} has passed (now {now}): not sent"
            )));
        }
        let (token_in_t, token_out_t) = match order.side {
            Side::Sell => (&base, &quote),
            Side::Buy => (&quote, &base),
        };
        let token_out = if token_in == s.exchange.exchange.asset0 {
            s.exchange.exchange.asset1
        } else {
            s.exchange.exchange.asset0
        };
        let limits = self
            .trading_limits(
                s.exchange.id,
                [
                    (token_in, token_in_t.decimals),
                    (token_out, token_out_t.decimals),
                ],
            )
            .await?;
        // The Broker checks at the next block's time: at least the chain's clock.
        let block_time = self.chain_now()?;
        let [lim_in, lim_out] = limits;
        lim_in
            .apply(s.result.amount_in, true, block_time)
            .and_then(|_| lim_out.apply(s.result.amount_out, false, block_time))
            .map_err(|e| AmmError::InvalidAmount(format!("mento: {e}")))?;
        let bound = quote_bound(order, &quote)?;
        let broker = self.contracts().broker;
        let bpm = self.contracts().bi_pool_manager;
        let (max_in, calldata) = match order.side {
            Side::Sell => {
                let min_out = bound.unwrap_or_else(|| {
                    with_slippage(s.result.amount_out, DEFAULT_SLIPPAGE_BPS, true)
                });
                (
                    s.result.amount_in,
                    IMentoBroker::swapInCall {
                        exchangeProvider: bpm,
                        exchangeId: s.exchange.id,
                        tokenIn: token_in,
                        tokenOut: token_out,
                        amountIn: s.result.amount_in,
                        amountOutMin: min_out,
                    }
                    .abi_encode(),
                )
            }
            Side::Buy => {
                let max_in = bound.unwrap_or_else(|| {
                    with_slippage(s.result.amount_in, DEFAULT_SLIPPAGE_BPS, false)
                });
                (
                    max_in,
                    IMentoBroker::swapOutCall {
                        exchangeProvider: bpm,
                        exchangeId: s.exchange.id,
                        tokenIn: token_in,
                        tokenOut: token_out,
                        amountOut: s.result.amount_out,
                        amountInMax: max_in,
                    }
                    .abi_encode(),
                )
            }
        };
        let spread_ppm = s.exchange.exchange.spread / U256::from(1_000_000_000_000_000_000u64);
        Ok(SwapPlan {
            pair: order.pair.clone(),
            side: order.side,
            base,
            quote,
            token_in,
            max_in,
            router: broker,
            calldata: calldata.into(),
            gas_limit: GAS_LIMIT,
            decode_fill: decode_mento_fill,
            pools: vec![broker],
            fees_ppm: vec![u32::try_from(spread_ppm).unwrap_or(1_000_000)],
            value: U256::ZERO,
        })
    }
}

/// (amount in, amount out, spread paid) from the Broker's `Swap` log.
fn decode_mento_fill(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    let (e, _) = first_and_last::<IMentoBroker::Swap>(logs, plan)?;
    let fee = lp_fee(
        e.amountIn,
        plan.fees_ppm.first().copied().unwrap_or_default(),
    );
    // What the trader actually got: a fee-on-transfer token delivers less than the Broker's Swap
    // log says was paid out; the fill reports what arrived.
    let out = received(logs, e.tokenOut, e.trader).map_or(e.amountOut, |r| r.min(e.amountOut));
    Ok((e.amountIn, out, fee))
}

/// The sum of `token`'s `Transfer` logs to `to`, if any.
fn received(logs: &[Log], token: Address, to: Address) -> Option<U256> {
    let mut total: Option<U256> = None;
    for l in logs.iter().filter(|l| l.address() == token) {
        if let Ok(t) = crate::amm::evm::abi::IERC20::Transfer::decode_log(&l.inner)
            && t.to == to
        {
            total = Some(total.unwrap_or_default().saturating_add(t.value));
        }
    }
    total
}
