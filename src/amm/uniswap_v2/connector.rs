//! `uniswap_v2@<chain>`: the v2 pool model ([`V2Model`]) plugged into the generic
//! [`EvmAmmVenue`], which is the [`Venue`]. Quotes run `getAmountsOut` / `getAmountsIn` on
//! local reserves, over the direct pair or a two-hop path through the wrapped native token,
//! whichever is better; reserves are loaded on first use of a pair and then follow `Sync` logs.

use std::future::Future;

use alloy::primitives::{Address, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;

use super::abi::{IUniswapV2Pair, IUniswapV2Router02};
use super::math::{HopReserves, get_amounts_in, get_amounts_out};
use super::state::{PairState, V2Pairs, discover_pairs, load_pairs};
use crate::amm::AmmError;
use crate::amm::evm::venue::{EvmAmmVenue, PoolListing, PoolModel, lock_err, token_addresses};
use crate::amm::native::{NativeLeg, with_native_output};
use crate::amm::quoting::{SwapQuote, amount_units, build_quote};
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
    name: "uniswap_v2",
    module: "amm::uniswap_v2",
    state: ImplState::Partial(
        "quotes exact to the wei from local reserves synced by logs; swaps through Router02 with native ETH legs; routes only direct or through WETH",
    ),
};

/// Gas estimates for a Router02 swap: the first hop and each further one.
const GAS_FIRST_HOP: u64 = 90_000;
const GAS_PER_EXTRA_HOP: u64 = 60_000;
/// Router02 wrapping a native input or unwrapping a native output.
const GAS_NATIVE_LEG: u64 = 20_000;

/// The v2 contracts of one chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Contracts {
    pub factory: Address,
    pub router02: Option<Address>,
}

impl V2Contracts {
    /// From the chain spec's `[protocols.uniswap_v2]`.
    pub fn from_chain_spec(spec: &ChainSpec) -> Result<Self, AmmError> {
        let factory = spec
            .protocol_address("uniswap_v2", "factory")
            .ok_or_else(|| AmmError::NotDeployed {
                protocol: "uniswap_v2",
                chain: spec.name.clone(),
                role: "factory",
            })?;
        Ok(Self {
            factory,
            router02: spec.protocol_address("uniswap_v2", "router02"),
        })
    }
}

impl From<&Manifest> for V2Contracts {
    fn from(m: &Manifest) -> Self {
        Self {
            factory: m.uniswap_v2.factory,
            router02: Some(m.uniswap_v2.router02),
        }
    }
}

/// A priced path: the tokens from input to output and the amount at each step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathQuote {
    pub path: Vec<Address>,
    pub amounts: Vec<U256>,
    pub hops: Vec<HopReserves>,
}

/// The v2 pool model: the chain's v2 contracts; pairs discovered through the factory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct V2Model {
    contracts: V2Contracts,
}

impl V2Model {
    pub fn new(contracts: V2Contracts) -> Self {
        Self { contracts }
    }
}

/// The v2 venue on one chain.
pub type UniswapV2Venue = EvmAmmVenue<V2Model>;

impl PoolModel for V2Model {
    type Pools = V2Pairs;
    type Contracts = V2Contracts;
    const DESCRIPTOR: ConnectorDescriptor = DESCRIPTOR;
    const TYPE_NAME: &'static str = "UniswapV2Venue";
    const POOLS_NOUN: &'static str = "pairs";

    fn contracts(&self) -> &V2Contracts {
        &self.contracts
    }

    fn empty_pools(&self) -> V2Pairs {
        V2Pairs::default()
    }

    fn listing(pools: &V2Pairs) -> Vec<PoolListing> {
        pools
            .pairs
            .values()
            .map(|p| PoolListing {
                token0: p.token0,
                token1: p.token1,
                address: p.address,
                fee: Decimal::new(i64::from(p.fee_bps), 4),
            })
            .collect()
    }

    fn track(
        venue: &UniswapV2Venue,
        a: Address,
        b: Address,
    ) -> impl Future<Output = Result<(), AmmError>> + Send {
        venue.track_pair(a, b)
    }

    fn quote(
        venue: &UniswapV2Venue,
        request: &QuoteRequest,
        base: &Token,
        quote: &Token,
    ) -> impl Future<Output = Result<Quote, AmmError>> + Send {
        venue.quote_tokens(request, base, quote)
    }

    fn plan(
        venue: &UniswapV2Venue,
        order: &OrderRequest,
        recipient: Address,
    ) -> impl Future<Output = Result<SwapPlan, AmmError>> + Send {
        venue.plan_swap(order, recipient)
    }
}

impl UniswapV2Venue {
    /// A venue at the chain's current head with no pair loaded yet.
    pub async fn connect(
        chain: &str,
        native: Asset,
        provider: DynProvider,
        contracts: V2Contracts,
        tokens: TokenBook,
    ) -> Result<Self, AmmError> {
        Self::open(chain, native, provider, V2Model::new(contracts), tokens).await
    }

    /// The Router02 transaction for an order, from local reserves: swapExactTokensForTokens for a
    /// sell, swapTokensForExactTokens for a buy, over the best path, bounded by the order's price
    /// (or the default slippage) and its deadline. A native leg (ETH-USDC) uses the ETH variants:
    /// the input sent as value (the excess of a buy refunded by the router), the output unwrapped.
    pub async fn plan_swap(
        &self,
        order: &OrderRequest,
        recipient: Address,
    ) -> Result<SwapPlan, AmmError> {
        let router = self
            .contracts()
            .router02
            .ok_or_else(|| AmmError::NotDeployed {
                protocol: "uniswap_v2",
                chain: self.id().chain.clone().unwrap_or_default(),
                role: "router02",
            })?;
        let base = self.token_for(&order.pair.base)?;
        let quote = self.token_for(&order.pair.quote)?;
        let (base_addr, quote_addr) = token_addresses(&base, &quote)?;
        let units = amount_units(order.amount, &base)?;
        self.track_pair(base_addr, quote_addr).await?;
        let bound = quote_bound(order, &quote)?;
        let deadline = deadline(order.deadline, 600);
        let leg = self.native_leg(&order.pair, order.side)?;
        let (pq, token_in, max_in, value, calldata) = match order.side {
            Side::Sell => {
                let pq = self.best_path(base_addr, quote_addr, true, units)?;
                let out = pq.amounts.last().copied().unwrap_or_default();
                let min_out =
                    bound.unwrap_or_else(|| with_slippage(out, DEFAULT_SLIPPAGE_BPS, true));
                let path = pq.path.clone();
                let (value, calldata) = match leg {
                    NativeLeg::In => (
                        units,
                        IUniswapV2Router02::swapExactETHForTokensCall {
                            amountOutMin: min_out,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                    NativeLeg::Out => (
                        U256::ZERO,
                        IUniswapV2Router02::swapExactTokensForETHCall {
                            amountIn: units,
                            amountOutMin: min_out,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                    NativeLeg::None => (
                        U256::ZERO,
                        IUniswapV2Router02::swapExactTokensForTokensCall {
                            amountIn: units,
                            amountOutMin: min_out,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                };
                (pq, base_addr, units, value, calldata)
            }
            Side::Buy => {
                let pq = self.best_path(quote_addr, base_addr, false, units)?;
                let input = pq.amounts.first().copied().unwrap_or_default();
                let max_in =
                    bound.unwrap_or_else(|| with_slippage(input, DEFAULT_SLIPPAGE_BPS, false));
                let path = pq.path.clone();
                // Router02 refunds what a native input does not use.
                let (value, calldata) = match leg {
                    NativeLeg::In => (
                        max_in,
                        IUniswapV2Router02::swapETHForExactTokensCall {
                            amountOut: units,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                    NativeLeg::Out => (
                        U256::ZERO,
                        IUniswapV2Router02::swapTokensForExactETHCall {
                            amountOut: units,
                            amountInMax: max_in,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                    NativeLeg::None => (
                        U256::ZERO,
                        IUniswapV2Router02::swapTokensForExactTokensCall {
                            amountOut: units,
                            amountInMax: max_in,
                            path,
                            to: recipient,
                            deadline,
                        }
                        .abi_encode(),
                    ),
                };
                (pq, quote_addr, max_in, value, calldata)
            }
        };
        let pools = {
            let t = self.state().read().map_err(lock_err)?;
            pq.path
                .windows(2)
                .filter_map(|w| match w {
                    [x, y] => t.set.between(*x, *y).map(|p| p.address),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
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
            gas_limit: 250_000 * pq.hops.len() as u64 + 50_000,
            decode_fill: match leg {
                NativeLeg::Out => decode_v2_fill_native_out,
                NativeLeg::In | NativeLeg::None => decode_v2_fill,
            },
            value,
            fees_ppm: pq.hops.iter().map(|h| h.fee_bps * 100).collect(),
            pools,
        })
    }

    /// Loads the direct pair of two tokens and both pairs through the wrapped native token (at the
    /// state's block), those that exist and are not tracked yet.
    pub async fn track_pair(&self, a: Address, b: Address) -> Result<(), AmmError> {
        let mut wanted = vec![(a, b)];
        if let Some(h) = self.wrapped_native_address()
            && h != a
            && h != b
        {
            wanted.push((a, h));
            wanted.push((h, b));
        }
        for _ in 0..5 {
            let (cursor, missing) = {
                let t = self.state().read().map_err(lock_err)?;
                let missing: Vec<(Address, Address)> = wanted
                    .iter()
                    .copied()
                    .filter(|(x, y)| t.set.between(*x, *y).is_none())
                    .collect();
                (t.cursor, missing)
            };
            if missing.is_empty() {
                return Ok(());
            }
            let found = discover_pairs(
                self.provider(),
                self.contracts().factory,
                &missing,
                cursor.number,
            )
            .await?;
            let addresses: Vec<Address> = found.into_iter().flatten().collect();
            let pairs = load_pairs(self.provider(), &addresses, cursor.number).await?;
            let mut t = self.state().write().map_err(lock_err)?;
            if t.cursor == cursor {
                for p in pairs {
                    t.set.pairs.insert(p.address, p);
                }
                return Ok(());
            }
        }
        Err(AmmError::Rpc(
            "the chain kept moving while pairs were loading".into(),
        ))
    }

    /// A copy of the tracked pair of two tokens.
    pub fn pair(&self, a: Address, b: Address) -> Result<Option<PairState>, AmmError> {
        Ok(self
            .state()
            .read()
            .map_err(lock_err)?
            .set
            .between(a, b)
            .cloned())
    }

    /// Candidate paths from `token_in` to `token_out` over tracked pairs.
    fn paths(
        &self,
        token_in: Address,
        token_out: Address,
    ) -> Result<Vec<Vec<HopReserves>>, AmmError> {
        let t = self.state().read().map_err(lock_err)?;
        let hop = |x: Address, y: Address| {
            let p = t.set.between(x, y)?;
            let (reserve_in, reserve_out) = p.reserves_from(x)?;
            Some(HopReserves {
                reserve_in,
                reserve_out,
                fee_bps: p.fee_bps,
            })
        };
        let mut out = Vec::new();
        if let Some(h) = hop(token_in, token_out) {
            out.push(vec![h]);
        }
        if let Some(hub) = self.wrapped_native_address()
            && hub != token_in
            && hub != token_out
            && let (Some(h1), Some(h2)) = (hop(token_in, hub), hop(hub, token_out))
        {
            out.push(vec![h1, h2]);
        }
        Ok(out)
    }

    /// The best path for an exact input (most output) or exact output (least input), from local
    /// reserves.
    pub fn best_path(
        &self,
        token_in: Address,
        token_out: Address,
        exact_in: bool,
        amount: U256,
    ) -> Result<PathQuote, AmmError> {
        let hub = self.wrapped_native_address();
        let candidates = self.paths(token_in, token_out)?;
        if candidates.is_empty() {
            return Err(AmmError::NoPool {
                protocol: "uniswap_v2",
                pair: format!("{token_in}/{token_out}"),
            });
        }
        let mut best: Option<PathQuote> = None;
        let mut last_err = None;
        for hops in candidates {
            let path = match (hops.len(), hub) {
                (2, Some(h)) => vec![token_in, h, token_out],
                _ => vec![token_in, token_out],
            };
            let amounts = if exact_in {
                get_amounts_out(amount, &hops)
            } else {
                get_amounts_in(amount, &hops)
            };
            let amounts = match amounts {
                Ok(a) => a,
                Err(e) => {
                    last_err = Some(e.to_string());
                    continue;
                }
            };
            let better = match &best {
                None => true,
                Some(b) if exact_in => amounts.last() > b.amounts.last(),
                Some(b) => amounts.first() < b.amounts.first(),
            };
            if better {
                best = Some(PathQuote {
                    path,
                    amounts,
                    hops,
                });
            }
        }
        best.ok_or_else(|| {
            AmmError::InsufficientLiquidity(format!(
                "no path can fill {amount}: {}",
                last_err.unwrap_or_default()
            ))
        })
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
        let pq = match request.side {
            Side::Sell => self.best_path(base_addr, quote_addr, true, units)?,
            Side::Buy => self.best_path(quote_addr, base_addr, false, units)?,
        };
        let amount_in = pq.amounts.first().copied().unwrap_or_default();
        let amount_out = pq.amounts.last().copied().unwrap_or_default();
        // The fee of each hop is taken from that hop's input; expressed in the path's input token it
        // is the input times 1 - prod(1 - fee).
        let mut kept_num = U256::from(1u8);
        let mut kept_den = U256::from(1u8);
        for h in &pq.hops {
            kept_num *= U256::from(10_000 - h.fee_bps.min(10_000));
            kept_den *= U256::from(10_000u32);
        }
        let fee_in = amount_in - amount_in * kept_num / kept_den;
        // Marginal price after the swap, fees included: the product over hops of
        // reserve_out' / reserve_in' * (1 - fee), oriented quote per base.
        let (mut num, mut den) = (kept_num, kept_den);
        for (i, h) in pq.hops.iter().enumerate() {
            let a_in = pq.amounts.get(i).copied().unwrap_or_default();
            let a_out = pq.amounts.get(i + 1).copied().unwrap_or_default();
            num = num.saturating_mul(h.reserve_out - a_out.min(h.reserve_out));
            den = den.saturating_mul(h.reserve_in + a_in);
        }
        // num/den is output per input at the margin; make it quote per base.
        let price_after = match request.side {
            Side::Sell => (num, den),
            Side::Buy => (den, num),
        };
        let native_gas = match self.native_leg(&request.pair, request.side)? {
            NativeLeg::None => 0,
            NativeLeg::In | NativeLeg::Out => GAS_NATIVE_LEG,
        };
        let swap = SwapQuote {
            amount_in,
            amount_out,
            fee_in,
            gas_units: GAS_FIRST_HOP + GAS_PER_EXTRA_HOP * (pq.hops.len() as u64 - 1) + native_gas,
            price_after,
            route: format!("uniswap_v2 path {:?}", pq.path),
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

/// (amount in, amount out, LP fee) from the pairs' Swap logs: what went into the first pair and
/// what came out of the last one.
fn decode_v2_fill(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    let (a, b) = first_and_last::<IUniswapV2Pair::Swap>(logs, plan)?;
    let amount_in = a.amount0In + a.amount1In;
    let amount_out = b.amount0Out + b.amount1Out;
    let fee = lp_fee(
        amount_in,
        plan.fees_ppm.first().copied().unwrap_or_default(),
    );
    Ok((amount_in, amount_out, fee))
}

/// [`decode_v2_fill`] for a native output: what came out is the WETH Router02 withdrew and paid as
/// native coin.
fn decode_v2_fill_native_out(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    with_native_output(decode_v2_fill(logs, plan)?, logs, plan)
}
