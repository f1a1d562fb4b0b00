//! `uniswap_v3@<chain>`: the v3 pool model ([`V3Model`]) plugged into the generic
//! [`EvmAmmVenue`], which is the [`Venue`]. Quotes run the exact swap loop on local state
//! (every fee tier of the pair, the best one for the size); the state is loaded on first use of a
//! pair and then follows the chain from the pools' logs ([`UniswapV3Venue::refresh`], or the
//! background task of [`UniswapV3Venue::spawn_sync`]).

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::RwLock;

use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use rust_decimal::Decimal;

use super::abi::IUniswapV3Pool;
use super::math::{Q96, mul_div};
use super::pool::{PoolState, SwapAmount};
pub use super::route::BestSwap;
use super::route::{Route, along, best_route};
use super::router::{Exact, FollowUp, V3Router};
use super::state::{V3Pools, discover_pools, load_pools};
use crate::amm::AmmError;
pub(crate) use crate::amm::evm::venue::token_addresses;
use crate::amm::evm::venue::{EvmAmmVenue, PoolListing, PoolModel, lock_err};
use crate::amm::native::{NativeLeg, with_native_output};
use crate::amm::quoting::{SwapQuote, amount_units, build_quote, marginal_with_fee};
use crate::amm::swap::{
    DEFAULT_SLIPPAGE_BPS, FillAmounts, SwapPlan, deadline, lp_fee, quote_bound, with_slippage,
};
use crate::amm::swap_logs::first_and_last;
use crate::amm::tokens::TokenBook;
use crate::chain::deployment::Manifest;
use crate::chain::spec::ChainSpec;
use crate::core::{Asset, OrderRequest, Quote, QuoteRequest, Side, Token};
use crate::venue::{ConnectorDescriptor, ImplState, Venue};

/// What this connector declares to the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "uniswap_v3",
    module: "amm::uniswap_v3",
    state: ImplState::Partial(
        "quotes exact to the wei from local state synced by logs; swaps through SwapRouter (or SwapRouter02 where only it is deployed) with native ETH legs; routes of at most two pools, and a pool created after its pair was first looked up is not seen",
    ),
};

/// Gas of a single-pool swap through SwapRouter, and per initialized tick crossed: estimates for
/// the quote's gas cost (the fill reports the actual gas).
const GAS_BASE: u64 = 110_000;
const GAS_PER_TICK: u64 = 25_000;
const GAS_PER_EXTRA_HOP: u64 = 80_000;
/// Wrapping a native input or unwrapping a native output (and the multicall around it).
const GAS_NATIVE_LEG: u64 = 30_000;

/// The v3 contracts of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V3Contracts {
    pub factory: Address,
    pub tick_lens: Option<Address>,
    pub quoter_v2: Option<Address>,
    pub swap_router: Option<Address>,
    /// SwapRouter02 (used where no SwapRouter is listed, e.g. on Celo).
    pub swap_router02: Option<Address>,
}

impl V3Contracts {
    /// From the chain spec's `[protocols.uniswap_v3]`.
    pub fn from_chain_spec(spec: &ChainSpec) -> Result<Self, AmmError> {
        let factory = spec
            .protocol_address("uniswap_v3", "factory")
            .ok_or_else(|| AmmError::NotDeployed {
                protocol: "uniswap_v3",
                chain: spec.name.clone(),
                role: "factory",
            })?;
        Ok(Self {
            factory,
            tick_lens: spec.protocol_address("uniswap_v3", "tick_lens"),
            quoter_v2: spec.protocol_address("uniswap_v3", "quoter_v2"),
            swap_router: spec.protocol_address("uniswap_v3", "swap_router"),
            swap_router02: spec.protocol_address("uniswap_v3", "swap_router02"),
        })
    }
}

impl From<&Manifest> for V3Contracts {
    fn from(m: &Manifest) -> Self {
        Self {
            factory: m.uniswap_v3.factory,
            tick_lens: Some(m.uniswap_v3.tick_lens),
            quoter_v2: Some(m.uniswap_v3.quoter_v2),
            swap_router: Some(m.uniswap_v3.swap_router),
            swap_router02: None,
        }
    }
}

/// The v3 pool model: the chain's v3 contracts, and the token pairs already looked up at the
/// factory.
#[derive(Debug)]
pub struct V3Model {
    contracts: V3Contracts,
    /// Token pairs already looked up at the factory (sorted), so a pair without pools is not
    /// asked for again on every quote.
    looked_up: RwLock<BTreeSet<(Address, Address)>>,
}

impl V3Model {
    pub fn new(contracts: V3Contracts) -> Self {
        Self {
            contracts,
            looked_up: RwLock::new(BTreeSet::new()),
        }
    }
}

/// The v3 venue on one chain.
pub type UniswapV3Venue = EvmAmmVenue<V3Model>;

impl PoolModel for V3Model {
    type Pools = V3Pools;
    type Contracts = V3Contracts;
    const DESCRIPTOR: ConnectorDescriptor = DESCRIPTOR;
    const TYPE_NAME: &'static str = "UniswapV3Venue";
    const POOLS_NOUN: &'static str = "pools";

    fn contracts(&self) -> &V3Contracts {
        &self.contracts
    }

    fn empty_pools(&self) -> V3Pools {
        V3Pools {
            tick_lens: self.contracts.tick_lens,
            ..V3Pools::default()
        }
    }

    fn listing(pools: &V3Pools) -> Vec<PoolListing> {
        pools
            .pools
            .values()
            .map(|p| PoolListing {
                token0: p.token0,
                token1: p.token1,
                address: p.address,
                fee: Decimal::new(i64::from(p.fee), 6),
            })
            .collect()
    }

    async fn track(venue: &UniswapV3Venue, a: Address, b: Address) -> Result<(), AmmError> {
        venue.track_pair(a, b).await.map(|_| ())
    }

    fn quote(
        venue: &UniswapV3Venue,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> impl Future<Output = Result<Quote, AmmError>> + Send {
        venue.quote_tokens(request, base, quote)
    }

    fn plan(
        venue: &UniswapV3Venue,
        order: &OrderRequest,
        recipient: Address,
    ) -> impl Future<Output = Result<SwapPlan, AmmError>> + Send {
        venue.plan_swap(order, recipient)
    }
}

impl UniswapV3Venue {
    /// A venue at the chain's current head with no pool loaded yet.
    pub async fn connect(
        chain: &str,
        native: Asset,
        provider: DynProvider,
        contracts: V3Contracts,
        tokens: TokenBook,
    ) -> Result<Self, AmmError> {
        Self::open(chain, native, provider, V3Model::new(contracts), tokens).await
    }

    /// The swap transaction for an order, from local state, over the best route (one pool or two
    /// through an intermediate token): exactInputSingle / exactInput for a sell, exactOutputSingle /
    /// exactOutput (path reversed) for a buy, bounded by the order's price (or the default slippage)
    /// and its deadline. A native input is sent as value (a buy's excess refunded by `refundETH`);
    /// a native output is swapped to the router and unwrapped to the recipient by `unwrapWETH9`,
    /// in one `multicall`.
    pub async fn plan_swap(
        &self,
        order: &OrderRequest,
        recipient: Address,
    ) -> Result<SwapPlan, AmmError> {
        let chosen = V3Router::choose(self.contracts().swap_router, self.contracts().swap_router02)
            .ok_or_else(|| AmmError::NotDeployed {
                protocol: "uniswap_v3",
                chain: self.id().chain.clone().unwrap_or_default(),
                role: "swap_router",
            })?;
        let router = chosen.address();
        let base = self.token_for(&order.pair.base)?;
        let quote = self.token_for(&order.pair.quote)?;
        let leg = self.native_leg(&order.pair, order.side)?;
        let route = self
            .best_route(&base, &quote, order.side, order.amount)
            .await?;
        let bound = quote_bound(order, &quote)?;
        let deadline = deadline(order.deadline, 600);
        // A native output goes to the router first, which unwraps it to the recipient.
        let swap_to = match leg {
            NativeLeg::Out => router,
            NativeLeg::In | NativeLeg::None => recipient,
        };
        let (amount_in, amount_out) = (route.amount_in(), route.amount_out());
        let (max_in, min_out, exact) = match order.side {
            Side::Sell => {
                let min_out =
                    bound.unwrap_or_else(|| with_slippage(amount_out, DEFAULT_SLIPPAGE_BPS, true));
                (amount_in, min_out, Exact::In { min_out })
            }
            Side::Buy => {
                let max_in =
                    bound.unwrap_or_else(|| with_slippage(amount_in, DEFAULT_SLIPPAGE_BPS, false));
                (max_in, amount_out, Exact::Out { max_in })
            }
        };
        let (value, follow_up) = match (leg, order.side) {
            (NativeLeg::None, _) => (U256::ZERO, None),
            // An exact input spends all the value sent.
            (NativeLeg::In, Side::Sell) => (max_in, None),
            (NativeLeg::In, Side::Buy) => (max_in, Some(FollowUp::RefundEth)),
            (NativeLeg::Out, _) => (
                U256::ZERO,
                Some(FollowUp::UnwrapWeth {
                    min: min_out,
                    recipient,
                }),
            ),
        };
        let calldata = chosen.calldata(&route, swap_to, deadline, exact, follow_up)?;
        let token_in = route.tokens.first().copied().unwrap_or_default();
        let extra_hops = route.hops.len().saturating_sub(1) as u64;
        let native_gas = if leg == NativeLeg::None { 0 } else { 60_000 };
        Ok(SwapPlan {
            pair: order.pair.clone(),
            side: order.side,
            base,
            quote,
            token_in,
            // A native input is sent as value: nothing to approve.
            max_in: if leg == NativeLeg::In {
                U256::ZERO
            } else {
                max_in
            },
            router,
            calldata: calldata.into(),
            gas_limit: 300_000
                + 60_000 * u64::from(route.ticks_crossed())
                + 200_000 * extra_hops
                + native_gas,
            decode_fill: match leg {
                NativeLeg::Out => decode_v3_fill_native_out,
                NativeLeg::In | NativeLeg::None => decode_v3_fill,
            },
            pools: route.pools(),
            fees_ppm: route.fees(),
            value,
        })
    }

    /// Loads every fee tier's pool of a token pair (at the state's current block) unless already
    /// tracked or already looked up. Returns the number of pools of the pair. A pool created after
    /// the pair was looked up is not seen by this venue.
    pub async fn track_pair(&self, a: Address, b: Address) -> Result<usize, AmmError> {
        self.track_pairs(&[(a, b)]).await?;
        Ok(self
            .state()
            .read()
            .map_err(lock_err)?
            .set
            .between(a, b)
            .count())
    }

    /// [`UniswapV3Venue::track_pair`] for several pairs at once: the factory lookups of all of
    /// them run concurrently, and their pools load in one batched snapshot.
    pub async fn track_pairs(&self, pairs: &[(Address, Address)]) -> Result<(), AmmError> {
        // Retry when the state moved to a newer block while the pools were loading, so that
        // everything tracked is always at the same block.
        for _ in 0..5 {
            let (cursor, wanted) = {
                let t = self.state().read().map_err(lock_err)?;
                let looked_up = self.model().looked_up.read().map_err(lock_err)?;
                let mut wanted: Vec<(Address, Address)> = pairs
                    .iter()
                    .map(|&(a, b)| (a.min(b), a.max(b)))
                    .filter(|&(a, b)| {
                        a != b
                            && !looked_up.contains(&(a, b))
                            && t.set.between(a, b).next().is_none()
                    })
                    .collect();
                wanted.sort();
                wanted.dedup();
                (t.cursor, wanted)
            };
            if wanted.is_empty() {
                return Ok(());
            }
            let lookups = wanted.iter().map(|&(a, b)| {
                discover_pools(
                    self.provider(),
                    self.contracts().factory,
                    a,
                    b,
                    cursor.number,
                )
            });
            let found = futures::future::try_join_all(lookups).await?;
            let addresses: Vec<Address> = found.iter().flatten().map(|(_, p)| *p).collect();
            let states = load_pools(
                self.provider(),
                &addresses,
                self.contracts().tick_lens,
                cursor.number,
            )
            .await?;
            let mut t = self.state().write().map_err(lock_err)?;
            if t.cursor == cursor {
                for s in states {
                    t.set.pools.insert(s.address, s);
                }
                self.model()
                    .looked_up
                    .write()
                    .map_err(lock_err)?
                    .extend(wanted);
                return Ok(());
            }
        }
        Err(AmmError::Rpc(
            "the chain kept moving while pools were loading".into(),
        ))
    }

    /// A copy of one tracked pool.
    pub fn pool(&self, address: Address) -> Result<Option<PoolState>, AmmError> {
        Ok(self
            .state()
            .read()
            .map_err(lock_err)?
            .set
            .pools
            .get(&address)
            .cloned())
    }

    /// The exact outcome of a swap on each tracked pool between the tokens, best first (most output
    /// for an exact input, least input for an exact output). Only complete swaps are returned.
    pub fn simulate(
        &self,
        token_in: Address,
        token_out: Address,
        amount: SwapAmount,
    ) -> Result<Vec<BestSwap>, AmmError> {
        let t = self.state().read().map_err(lock_err)?;
        let mut results = Vec::new();
        let mut any_pool = false;
        let mut last_err = None;
        for pool in t.set.between(token_in, token_out) {
            any_pool = true;
            let zero_for_one = pool.token0 == token_in;
            match pool.simulate_swap(zero_for_one, amount, None) {
                Ok(outcome) if outcome.complete => results.push(BestSwap {
                    pool: pool.address,
                    fee: pool.fee,
                    zero_for_one,
                    outcome,
                }),
                Ok(outcome) => {
                    last_err = Some(format!(
                        "the {} pool {} can only fill {} in / {} out",
                        pool.fee, pool.address, outcome.amount_in, outcome.amount_out
                    ))
                }
                Err(e) => last_err = Some(format!("pool {}: {e}", pool.address)),
            }
        }
        if !any_pool {
            return Err(AmmError::NoPool {
                protocol: "uniswap_v3",
                pair: format!("{token_in}/{token_out}"),
            });
        }
        if results.is_empty() {
            return Err(AmmError::InsufficientLiquidity(
                last_err.unwrap_or_default(),
            ));
        }
        match amount {
            SwapAmount::ExactIn(_) => {
                results.sort_by_key(|r| std::cmp::Reverse(r.outcome.amount_out))
            }
            SwapAmount::ExactOut(_) => results.sort_by_key(|r| r.outcome.amount_in),
        }
        Ok(results)
    }

    /// The tokens a route may go through: every token of the book with an address.
    fn intermediates(&self, a: Address, b: Address) -> Result<Vec<Address>, AmmError> {
        Ok(self
            .tokens()
            .read()
            .map_err(lock_err)?
            .iter()
            .filter_map(Token::erc20)
            .filter(|&t| t != a && t != b)
            .collect())
    }

    /// Loads the pools of the direct pair and of every pair a two-hop route between the tokens
    /// may use (each pair looked up once).
    pub async fn track_routes(&self, a: Address, b: Address) -> Result<(), AmmError> {
        let mut pairs = vec![(a, b)];
        for mid in self.intermediates(a, b)? {
            pairs.push((a, mid));
            pairs.push((mid, b));
        }
        self.track_pairs(&pairs).await
    }

    /// The best exact swap between two tokens on the tracked pools, direct or through one
    /// intermediate token (every fee tier of each pair considered).
    pub fn route(
        &self,
        token_in: Address,
        token_out: Address,
        amount: SwapAmount,
    ) -> Result<Route, AmmError> {
        let mids = self.intermediates(token_in, token_out)?;
        best_route(token_in, token_out, amount, &mids, |i, o, a| {
            self.simulate(i, o, a)?.into_iter().next().ok_or_else(|| {
                AmmError::InsufficientLiquidity("no pool can fill the amount".into())
            })
        })
    }

    /// The exact swap along a given token path (input first), each hop on its best tracked pool;
    /// the pools must be tracked already ([`UniswapV3Venue::track_pair`]).
    pub fn route_through(&self, tokens: &[Address], amount: SwapAmount) -> Result<Route, AmmError> {
        along(tokens, amount, |i, o, a| {
            self.simulate(i, o, a)?.into_iter().next().ok_or_else(|| {
                AmmError::InsufficientLiquidity("no pool can fill the amount".into())
            })
        })
    }

    /// The best route for a base amount: selling it (exact input) or buying it (exact output).
    pub async fn best_route(
        &self,
        base: &Token,
        quote: &Token,
        side: Side,
        base_amount: Decimal,
    ) -> Result<Route, AmmError> {
        let (base_addr, quote_addr) = token_addresses(base, quote)?;
        let units = amount_units(base_amount, base)?;
        self.track_routes(base_addr, quote_addr).await?;
        match side {
            Side::Sell => self.route(base_addr, quote_addr, SwapAmount::ExactIn(units)),
            Side::Buy => self.route(quote_addr, base_addr, SwapAmount::ExactOut(units)),
        }
    }

    /// A quote for explicit tokens (symbols or addresses resolved by the caller).
    pub async fn quote_tokens(
        &self,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> Result<Quote, AmmError> {
        let route = self
            .best_route(base, quote, request.side, request.base_amount)
            .await?;
        let price_after = match route.hops.as_slice() {
            [only] => single_pool_price_after(only, request.side)?,
            _ => {
                // Output per input at the margin, fees included, oriented quote per base.
                let rate = route.marginal_out_per_in_x96()?;
                match request.side {
                    Side::Sell => (rate, Q96),
                    Side::Buy => (Q96, rate),
                }
            }
        };
        let extra_hops = route.hops.len().saturating_sub(1) as u64;
        let native_gas = match self.native_leg(&request.pair, request.side)? {
            NativeLeg::None => 0,
            NativeLeg::In | NativeLeg::Out => GAS_NATIVE_LEG,
        };
        let swap = SwapQuote {
            amount_in: route.amount_in(),
            amount_out: route.amount_out(),
            fee_in: route.fee_in(),
            gas_units: GAS_BASE
                + GAS_PER_EXTRA_HOP * extra_hops
                + GAS_PER_TICK * u64::from(route.ticks_crossed())
                + native_gas,
            price_after,
            route: route.describe(),
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
}

/// The marginal price (quote per base, raw units, fee included) of one pool after a swap.
fn single_pool_price_after(best: &BestSwap, side: Side) -> Result<(U256, U256), AmmError> {
    // The pool price after the swap is token1 per token0 = sqrtP^2 / 2^192.
    let p = best.outcome.sqrt_price_after;
    let price1_per0_x96 = mul_div(p, p, Q96).map_err(|e| AmmError::Math(e.to_string()))?;
    let base_is_token0 = match side {
        Side::Sell => best.zero_for_one,
        Side::Buy => !best.zero_for_one,
    };
    let (num, den) = if base_is_token0 {
        (price1_per0_x96, Q96)
    } else {
        (Q96, price1_per0_x96)
    };
    Ok(marginal_with_fee(num, den, best.fee, side))
}

/// (amount in, amount out, LP fee) from the pools' Swap logs: the positive delta of the first pool
/// went in, the negative delta of the last pool came out.
fn decode_v3_fill(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    let (a, b) = first_and_last::<IUniswapV3Pool::Swap>(logs, plan)?;
    let amount_in = if a.amount0.is_positive() {
        a.amount0.unsigned_abs()
    } else {
        a.amount1.unsigned_abs()
    };
    let amount_out = if b.amount0.is_negative() {
        b.amount0.unsigned_abs()
    } else {
        b.amount1.unsigned_abs()
    };
    let fee = lp_fee(
        amount_in,
        plan.fees_ppm.first().copied().unwrap_or_default(),
    );
    Ok((amount_in, amount_out, fee))
}

/// [`decode_v3_fill`] for a native output: what came out is the WETH the router unwrapped and paid
/// as native coin.
fn decode_v3_fill_native_out(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    with_native_output(decode_v3_fill(logs, plan)?, logs, plan)
}
