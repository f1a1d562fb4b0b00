//! `balancer@<chain>`: the Balancer V2 pool model ([`BalancerModel`]) plugged into the generic
//! [`EvmAmmVenue`]. Pools holding a pair (directly, or two joined by a shared token) are
//! found in the Vault's registrations and loaded on first use; quotes run the pools' own math on
//! local state; swaps go through the Vault: `swap` for one pool, `batchSwap` for two, with a limit
//! and a deadline, the fill read from the Vault's `Swap` logs.

use std::future::Future;

use alloy::primitives::{Address, I256, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use alloy::sol_types::{SolCall, SolEvent};
use rust_decimal::Decimal;

use super::abi::IBalancerVault;
use super::abi::vault::IVault;
use super::route::{self, RouteQuote};
use super::state::{BalancerPools, discover, load_pools};
use crate::amm::AmmError;
use crate::amm::evm::abi::IERC20;
use crate::amm::evm::venue::{EvmAmmVenue, PoolListing, PoolModel, lock_err, token_addresses};
use crate::amm::quoting::{SwapQuote, amount_units, build_quote};
use crate::amm::swap::{
    DEFAULT_SLIPPAGE_BPS, FillAmounts, SwapPlan, deadline, lp_fee, quote_bound, with_slippage,
};
use crate::amm::tokens::TokenBook;
use crate::chain::deployment::Manifest;
use crate::chain::spec::ChainSpec;
use crate::core::{Asset, OrderRequest, Quote, QuoteRequest, Side, Token};
use crate::venue::{ConnectorDescriptor, ImplState, Venue};

/// What this connector declares to the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "balancer",
    module: "amm::balancer",
    state: ImplState::Partial(
        "weighted (2021) and stable (v2) pools quoted bit for bit from Vault-synced state; swaps through Vault.swap/batchSwap; routes direct or through one shared token; no native ETH legs, no rate providers",
    ),
};

/// Gas estimates for a Vault swap: the first pool and each further one.
const GAS_FIRST_HOP: u64 = 120_000;
const GAS_PER_EXTRA_HOP: u64 = 80_000;

/// The Balancer contracts of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancerContracts {
    pub vault: Address,
    /// `BalancerQueries` (tests and the bench compare against it).
    pub queries: Option<Address>,
}

impl BalancerContracts {
    /// From the chain spec's `[protocols.balancer_v2]`.
    pub fn from_chain_spec(spec: &ChainSpec) -> Result<Self, AmmError> {
        let vault = spec
            .protocol_address("balancer_v2", "vault")
            .ok_or_else(|| AmmError::NotDeployed {
                protocol: "balancer",
                chain: spec.name.clone(),
                role: "vault",
            })?;
        Ok(Self {
            vault,
            queries: spec.protocol_address("balancer_v2", "balancer_queries"),
        })
    }

    /// From a deployment manifest, if it has Balancer.
    pub fn from_manifest(m: &Manifest) -> Option<Self> {
        m.balancer.as_ref().map(|b| Self {
            vault: b.vault,
            queries: Some(b.queries),
        })
    }
}

/// The Balancer pool model: the chain's Vault; pools discovered from its logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalancerModel {
    contracts: BalancerContracts,
}

impl BalancerModel {
    pub fn new(contracts: BalancerContracts) -> Self {
        Self { contracts }
    }
}

/// The Balancer venue on one chain.
pub type BalancerVenue = EvmAmmVenue<BalancerModel>;

fn fee_decimal(fee: U256) -> Decimal {
    u64::try_from(fee)
        .ok()
        .map(|f| Decimal::from_i128_with_scale(i128::from(f), 18).normalize())
        .unwrap_or(Decimal::ONE)
}

impl PoolModel for BalancerModel {
    type Pools = BalancerPools;
    type Contracts = BalancerContracts;
    const DESCRIPTOR: ConnectorDescriptor = DESCRIPTOR;
    const TYPE_NAME: &'static str = "BalancerVenue";
    const POOLS_NOUN: &'static str = "pools";

    fn contracts(&self) -> &BalancerContracts {
        &self.contracts
    }

    fn empty_pools(&self) -> BalancerPools {
        BalancerPools::new(self.contracts.vault)
    }

    /// Each pool once per pair of its tokens.
    fn listing(pools: &BalancerPools) -> Vec<PoolListing> {
        let mut out = Vec::new();
        for p in pools.pools.values() {
            for (i, a) in p.tokens.iter().enumerate() {
                for b in &p.tokens[i + 1..] {
                    out.push(PoolListing {
                        token0: *a,
                        token1: *b,
                        address: p.address,
                        fee: fee_decimal(p.swap_fee),
                    });
                }
            }
        }
        out
    }

    fn track(
        venue: &BalancerVenue,
        a: Address,
        b: Address,
    ) -> impl Future<Output = Result<(), AmmError>> + Send {
        venue.track_pair(a, b)
    }

    fn quote(
        venue: &BalancerVenue,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> impl Future<Output = Result<Quote, AmmError>> + Send {
        venue.quote_tokens(request, base, quote)
    }

    fn plan(
        venue: &BalancerVenue,
        order: &OrderRequest,
        recipient: Address,
    ) -> impl Future<Output = Result<SwapPlan, AmmError>> + Send {
        venue.plan_swap(order, recipient)
    }
}

impl BalancerVenue {
    /// A venue at the chain's current head with no pool loaded yet.
    pub async fn connect(
        chain: &str,
        native: Asset,
        provider: DynProvider,
        contracts: BalancerContracts,
        tokens: TokenBook,
    ) -> Result<Self, AmmError> {
        Self::open(
            chain,
            native,
            provider,
            BalancerModel::new(contracts),
            tokens,
        )
        .await
    }

    /// Loads (at the state's block) every registered pool holding either token that is not
    /// loaded yet: the direct pools and the two-pool routes between them. The Vault's
    /// registrations are read from its logs the first time.
    pub async fn track_pair(&self, a: Address, b: Address) -> Result<(), AmmError> {
        for _ in 0..5 {
            let (cursor, discovered) = {
                let t = self.state().read().map_err(lock_err)?;
                (t.cursor, t.set.discovered)
            };
            let registry = if discovered {
                None
            } else {
                Some(discover(self.provider(), self.contracts().vault, 0, cursor.number).await?)
            };
            let missing = {
                let t = self.state().read().map_err(lock_err)?;
                let mut set = t.set.clone();
                if let Some(r) = &registry {
                    set.registry = r.clone();
                }
                let mut ids = set.registered_with_any(a, b);
                ids.sort();
                ids.dedup();
                ids.retain(|id| !set.pools.contains_key(id));
                ids
            };
            let loaded = if missing.is_empty() {
                None
            } else {
                Some(
                    load_pools(
                        self.provider(),
                        self.contracts().vault,
                        &missing,
                        cursor.number,
                    )
                    .await?,
                )
            };
            let mut t = self.state().write().map_err(lock_err)?;
            if t.cursor != cursor {
                continue;
            }
            if let Some(r) = registry {
                t.set.registry = r;
                t.set.discovered = true;
            }
            if let Some((pools, timestamp)) = loaded {
                t.set.timestamp = t.set.timestamp.max(timestamp);
                for p in pools {
                    t.set.pools.insert(p.id, p);
                }
            }
            return Ok(());
        }
        Err(AmmError::Rpc(
            "the chain kept moving while pools were loading".into(),
        ))
    }

    /// The best route for an exact input or output, from local state.
    pub fn best_route(
        &self,
        token_in: Address,
        token_out: Address,
        exact_in: bool,
        amount: U256,
    ) -> Result<RouteQuote, AmmError> {
        let t = self.state().read().map_err(lock_err)?;
        route::best(&t.set, token_in, token_out, exact_in, amount)?.ok_or_else(|| {
            AmmError::NoPool {
                protocol: "balancer",
                pair: format!("{token_in}/{token_out}"),
            }
        })
    }

    /// A copy of the tracked pools.
    pub fn pools(&self) -> Result<BalancerPools, AmmError> {
        Ok(self.state().read().map_err(lock_err)?.set.clone())
    }

    /// A quote for explicit tokens.
    pub async fn quote_tokens(
        &self,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> Result<Quote, AmmError> {
        let (base_addr, quote_addr) = token_addresses(base, quote)?;
        let units = amount_units(request.base_amount, base)?;
        self.track_pair(base_addr, quote_addr).await?;
        let q = match request.side {
            Side::Sell => self.best_route(base_addr, quote_addr, true, units)?,
            Side::Buy => self.best_route(quote_addr, base_addr, false, units)?,
        };
        let (num, den) = {
            let t = self.state().read().map_err(lock_err)?;
            route::marginal_after(&t.set, &q)
        };
        let price_after = match request.side {
            Side::Sell => (num, den),
            Side::Buy => (den, num),
        };
        let swap = SwapQuote {
            amount_in: q.amount_in(),
            amount_out: q.amount_out(),
            fee_in: route::fee_in(&q),
            gas_units: GAS_FIRST_HOP + GAS_PER_EXTRA_HOP * (q.hops.len() as u64 - 1),
            price_after,
            route: format!(
                "balancer pools {:?}",
                q.hops.iter().map(|h| h.pool).collect::<Vec<_>>()
            ),
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

    /// The Vault transaction for an order, from local state: `swap` (one pool) or `batchSwap`
    /// (two), GIVEN_IN for a sell and GIVEN_OUT for a buy, bounded by the order's price (or the
    /// default slippage) and its deadline.
    pub async fn plan_swap(
        &self,
        order: &OrderRequest,
        recipient: Address,
    ) -> Result<SwapPlan, AmmError> {
        let vault = self.contracts().vault;
        let base = self.token_for(&order.pair.base)?;
        let quote = self.token_for(&order.pair.quote)?;
        let (base_addr, quote_addr) = token_addresses(&base, &quote)?;
        let units = amount_units(order.amount, &base)?;
        self.track_pair(base_addr, quote_addr).await?;
        let bound = quote_bound(order, &quote)?;
        let deadline = deadline(order.deadline, 600);
        let (q, token_in, token_out, max_in, min_out) = match order.side {
            Side::Sell => {
                let q = self.best_route(base_addr, quote_addr, true, units)?;
                let min_out = bound
                    .unwrap_or_else(|| with_slippage(q.amount_out(), DEFAULT_SLIPPAGE_BPS, true));
                (q, base_addr, quote_addr, units, min_out)
            }
            Side::Buy => {
                let q = self.best_route(quote_addr, base_addr, false, units)?;
                let max_in = bound
                    .unwrap_or_else(|| with_slippage(q.amount_in(), DEFAULT_SLIPPAGE_BPS, false));
                (q, quote_addr, base_addr, max_in, units)
            }
        };
        let exact_in = order.side == Side::Sell;
        let calldata = vault_calldata(
            &q, exact_in, recipient, max_in, min_out, token_in, token_out, deadline,
        )?;
        Ok(SwapPlan {
            pair: order.pair.clone(),
            side: order.side,
            base,
            quote,
            token_in,
            max_in,
            router: vault,
            calldata: calldata.into(),
            gas_limit: 400_000 * q.hops.len() as u64 + 100_000,
            decode_fill: decode_vault_fill,
            pools: q.hops.iter().map(|h| h.address).collect(),
            fees_ppm: q
                .hops
                .iter()
                .map(|h| {
                    u32::try_from(h.swap_fee / U256::from(1_000_000_000_000u64)).unwrap_or(u32::MAX)
                })
                .collect(),
            value: U256::ZERO,
        })
    }
}

/// The Vault call of a route: `swap` for one hop; `batchSwap` for more, with the hops in the
/// order the Vault computes them (forwards for GIVEN_IN, backwards for GIVEN_OUT, each later
/// hop's amount 0 = "the previous hop's result") and limits per asset (positive = the most the
/// Vault may take, negative = the least it must pay).
#[allow(clippy::too_many_arguments)]
pub fn vault_calldata(
    q: &RouteQuote,
    exact_in: bool,
    recipient: Address,
    max_in: U256,
    min_out: U256,
    token_in: Address,
    token_out: Address,
    deadline: U256,
) -> Result<Vec<u8>, AmmError> {
    let funds = IVault::FundManagement {
        sender: recipient,
        fromInternalBalance: false,
        recipient,
        toInternalBalance: false,
    };
    let kind = if exact_in { 0u8 } else { 1u8 };
    if let [h] = q.hops.as_slice() {
        let single = IVault::SingleSwap {
            poolId: h.pool,
            kind,
            assetIn: h.token_in,
            assetOut: h.token_out,
            amount: if exact_in {
                q.amount_in()
            } else {
                q.amount_out()
            },
            userData: Default::default(),
        };
        let limit = if exact_in { min_out } else { max_in };
        return Ok(IBalancerVault::swapCall {
            singleSwap: single,
            funds,
            limit,
            deadline,
        }
        .abi_encode());
    }
    // Assets: the route's tokens in order.
    let mut assets = vec![token_in];
    for h in &q.hops {
        assets.push(h.token_out);
    }
    let index = |t: Address| {
        assets
            .iter()
            .position(|a| *a == t)
            .map(U256::from)
            .ok_or_else(|| AmmError::Math("route token missing from the assets".into()))
    };
    let mut steps = Vec::with_capacity(q.hops.len());
    let ordered: Vec<_> = if exact_in {
        q.hops.iter().collect()
    } else {
        q.hops.iter().rev().collect()
    };
    for (i, h) in ordered.into_iter().enumerate() {
        let amount = match (i, exact_in) {
            (0, true) => q.amount_in(),
            (0, false) => q.amount_out(),
            _ => U256::ZERO,
        };
        steps.push(IVault::BatchSwapStep {
            poolId: h.pool,
            assetInIndex: index(h.token_in)?,
            assetOutIndex: index(h.token_out)?,
            amount,
            userData: Default::default(),
        });
    }
    let signed = |v: U256| {
        I256::try_from(v).map_err(|_| AmmError::InvalidAmount(format!("{v} does not fit a limit")))
    };
    let mut limits = vec![I256::ZERO; assets.len()];
    let last = assets.len() - 1;
    limits[0] = signed(max_in)?;
    limits[last] = -signed(min_out)?;
    let _ = token_out;
    Ok(IBalancerVault::batchSwapCall {
        kind,
        swaps: steps,
        assets,
        funds,
        limits,
        deadline,
    }
    .abi_encode())
}

/// The sum of `token`'s `Transfer` logs from the Vault to anyone but the zero address, if any.
fn delivered(logs: &[Log], token: Address, vault: Address) -> Option<U256> {
    let mut total = None;
    for l in logs.iter().filter(|l| l.address() == token) {
        if let Ok(t) = IERC20::Transfer::decode_log(&l.inner)
            && t.from == vault
            && t.to != Address::ZERO
        {
            total = Some(total.unwrap_or(U256::ZERO) + t.value);
        }
    }
    total
}

/// (amount in, amount out, LP fee) from the Vault's `Swap` logs: what the Vault took of the
/// input token and paid of the output token.
fn decode_vault_fill(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    let token_out = match plan.side {
        Side::Sell => plan.quote.erc20(),
        Side::Buy => plan.base.erc20(),
    };
    let swaps: Vec<IBalancerVault::Swap> = logs
        .iter()
        .filter(|l| l.address() == plan.router)
        .filter(|l| l.topic0() == Some(&IBalancerVault::Swap::SIGNATURE_HASH))
        .filter_map(|l| {
            IBalancerVault::Swap::decode_log(&l.inner)
                .ok()
                .map(|e| e.data)
        })
        .collect();
    let amount_in = swaps
        .iter()
        .find(|s| s.tokenIn == plan.token_in)
        .map(|s| s.amountIn);
    let amount_out = swaps
        .iter()
        .find(|s| Some(s.tokenOut) == token_out)
        .map(|s| s.amountOut);
    // What the recipient actually got: a fee-on-transfer token delivers less than the Vault's
    // Swap log says it paid; the fill reports what arrived.
    let amount_out = amount_out.map(|o| match token_out {
        Some(t) => delivered(logs, t, plan.router).map_or(o, |d| d.min(o)),
        None => o,
    });
    match (amount_in, amount_out) {
        (Some(i), Some(o)) => Ok((
            i,
            o,
            lp_fee(i, plan.fees_ppm.first().copied().unwrap_or_default()),
        )),
        _ => Err(AmmError::Decode {
            what: "Vault Swap log",
            reason: format!("no Swap log of the Vault {} in the receipt", plan.router),
        }),
    }
}
