//! Loading v3 pools from the chain and keeping them current.
//!
//! A snapshot is read at one block in three batched round trips: pool fields (slot0, liquidity,
//! tokens, fee, spacing); every tick-bitmap word; then the initialized ticks of the non-empty words
//! (one TickLens `getPopulatedTicksInWord` per word, or `ticks(i)` per set bit without TickLens).
//! After that, Swap / Mint / Burn logs move the state block by block.

use std::collections::BTreeMap;
use std::future::Future;

use alloy::primitives::{Address, B256, U256, aliases::I24};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;

use super::abi::{ITickLens, IUniswapV3Factory, IUniswapV3Pool};
use super::math::{MAX_TICK, MIN_TICK};
use super::pool::{FEE_TIERS, PoolState};
use super::ticks::{TickInfo, TickSet};
use crate::amm::AmmError;
use crate::amm::PoolSet;
use crate::amm::rpc::{ReadCall, batch_call, batch_read, decode};

/// Existing pools of a token pair, one per fee tier, from the factory.
pub async fn discover_pools(
    provider: &DynProvider,
    factory: Address,
    token_a: Address,
    token_b: Address,
    block: u64,
) -> Result<Vec<(u32, Address)>, AmmError> {
    let calls: Vec<ReadCall> = FEE_TIERS
        .iter()
        .map(|(fee, _)| {
            ReadCall::new(
                factory,
                &IUniswapV3Factory::getPoolCall {
                    _0: token_a,
                    _1: token_b,
                    _2: alloy::primitives::aliases::U24::from(*fee),
                },
            )
        })
        .collect();
    let results = batch_call(provider, &calls, block).await?;
    let mut pools = Vec::new();
    for ((fee, _), r) in FEE_TIERS.iter().zip(results) {
        let pool = decode::<IUniswapV3Factory::getPoolCall>(r, factory, "getPool")?;
        if pool != Address::ZERO {
            pools.push((*fee, pool));
        }
    }
    Ok(pools)
}

fn i24(v: i32) -> I24 {
    I24::try_from(v).unwrap_or(I24::ZERO)
}

fn from_i24(v: I24) -> i32 {
    v.as_i32()
}

/// Loads complete pool states at `block`.
pub async fn load_pools(
    provider: &DynProvider,
    pools: &[Address],
    tick_lens: Option<Address>,
    block: u64,
) -> Result<Vec<PoolState>, AmmError> {
    // Round 1: the pools' own fields.
    let mut calls = Vec::with_capacity(pools.len() * 6);
    for &p in pools {
        calls.push(ReadCall::new(p, &IUniswapV3Pool::slot0Call {}));
        calls.push(ReadCall::new(p, &IUniswapV3Pool::liquidityCall {}));
        calls.push(ReadCall::new(p, &IUniswapV3Pool::token0Call {}));
        calls.push(ReadCall::new(p, &IUniswapV3Pool::token1Call {}));
        calls.push(ReadCall::new(p, &IUniswapV3Pool::feeCall {}));
        calls.push(ReadCall::new(p, &IUniswapV3Pool::tickSpacingCall {}));
    }
    let mut results = batch_read(provider, &calls, block).await?;
    let mut states = Vec::with_capacity(pools.len());
    for &p in pools {
        let slot0 = results.next_decoded::<IUniswapV3Pool::slot0Call>(p, "slot0")?;
        let liquidity = results.next_decoded::<IUniswapV3Pool::liquidityCall>(p, "liquidity")?;
        let token0 = results.next_decoded::<IUniswapV3Pool::token0Call>(p, "token0")?;
        let token1 = results.next_decoded::<IUniswapV3Pool::token1Call>(p, "token1")?;
        let fee = results.next_decoded::<IUniswapV3Pool::feeCall>(p, "fee")?;
        let spacing = results.next_decoded::<IUniswapV3Pool::tickSpacingCall>(p, "tickSpacing")?;
        let tick_spacing = from_i24(spacing);
        if tick_spacing <= 0 {
            return Err(AmmError::Decode {
                what: "tickSpacing",
                reason: format!("{tick_spacing} is not positive"),
            });
        }
        states.push(PoolState {
            address: p,
            token0,
            token1,
            fee: fee.to::<u32>(),
            tick_spacing,
            sqrt_price_x96: U256::from(slot0.sqrtPriceX96),
            tick: from_i24(slot0.tick),
            liquidity,
            ticks: TickSet::default(),
        });
    }

    // Round 2: every bitmap word of every pool.
    let mut word_calls = Vec::new();
    let mut word_keys = Vec::new();
    for (i, s) in states.iter().enumerate() {
        let (lo, hi) = word_range(s.tick_spacing);
        for w in lo..=hi {
            word_calls.push(ReadCall::new(s.address, &IUniswapV3Pool::tickBitmapCall(w)));
            word_keys.push((i, w));
        }
    }
    let words = batch_call(provider, &word_calls, block).await?;
    let mut non_empty: Vec<(usize, i16, U256)> = Vec::new();
    for ((i, w), r) in word_keys.into_iter().zip(words) {
        let addr = states.get(i).map(|s| s.address).unwrap_or_default();
        let bits = decode::<IUniswapV3Pool::tickBitmapCall>(r, addr, "tickBitmap")?;
        if !bits.is_zero() {
            non_empty.push((i, w, bits));
        }
    }

    // Round 3: the initialized ticks of the non-empty words.
    let mut per_pool: Vec<Vec<TickInfo>> = vec![Vec::new(); states.len()];
    match tick_lens {
        Some(lens) => {
            let calls: Vec<ReadCall> = non_empty
                .iter()
                .filter_map(|(i, w, _)| {
                    states.get(*i).map(|s| {
                        ReadCall::new(
                            lens,
                            &ITickLens::getPopulatedTicksInWordCall {
                                pool: s.address,
                                tickBitmapIndex: *w,
                            },
                        )
                    })
                })
                .collect();
            let results = batch_call(provider, &calls, block).await?;
            for ((i, _, _), r) in non_empty.iter().zip(results) {
                let ticks = decode::<ITickLens::getPopulatedTicksInWordCall>(
                    r,
                    lens,
                    "getPopulatedTicksInWord",
                )?;
                if let Some(v) = per_pool.get_mut(*i) {
                    v.extend(ticks.into_iter().map(|t| TickInfo {
                        tick: from_i24(t.tick),
                        liquidity_net: t.liquidityNet,
                        liquidity_gross: t.liquidityGross,
                    }));
                }
            }
        }
        None => {
            let mut calls = Vec::new();
            let mut keys = Vec::new();
            for (i, w, bits) in &non_empty {
                let Some(s) = states.get(*i) else { continue };
                for bit in 0..256usize {
                    if bits.bit(bit) {
                        let compressed = i32::from(*w) * 256 + bit as i32;
                        let tick = compressed * s.tick_spacing;
                        calls.push(ReadCall::new(
                            s.address,
                            &IUniswapV3Pool::ticksCall(i24(tick)),
                        ));
                        keys.push((*i, tick));
                    }
                }
            }
            let results = batch_call(provider, &calls, block).await?;
            for ((i, tick), r) in keys.into_iter().zip(results) {
                let addr = states.get(i).map(|s| s.address).unwrap_or_default();
                let t = decode::<IUniswapV3Pool::ticksCall>(r, addr, "ticks")?;
                if let Some(v) = per_pool.get_mut(i) {
                    v.push(TickInfo {
                        tick,
                        liquidity_net: t.liquidityNet,
                        liquidity_gross: t.liquidityGross,
                    });
                }
            }
        }
    }
    for (s, ticks) in states.iter_mut().zip(per_pool) {
        s.ticks = TickSet::from_ticks(ticks);
    }
    Ok(states)
}

/// The bitmap words a pool with this spacing can use.
fn word_range(spacing: i32) -> (i16, i16) {
    let lo = MIN_TICK.div_euclid(spacing) >> 8;
    let hi = MAX_TICK.div_euclid(spacing) >> 8;
    (
        i16::try_from(lo).unwrap_or(i16::MIN),
        i16::try_from(hi).unwrap_or(i16::MAX),
    )
}

/// Applies one Swap, Mint or Burn log of this pool.
pub fn apply_log(pool: &mut PoolState, log: &Log) -> Result<(), AmmError> {
    let address = pool.address;
    let inconsistent = |reason: String| AmmError::Inconsistent {
        pool: address.to_string(),
        reason,
    };
    let decode_err = |e: alloy::sol_types::Error| AmmError::Decode {
        what: "pool event",
        reason: e.to_string(),
    };
    match log.topic0() {
        Some(&IUniswapV3Pool::Swap::SIGNATURE_HASH) => {
            let e = IUniswapV3Pool::Swap::decode_log(&log.inner).map_err(decode_err)?;
            pool.sqrt_price_x96 = U256::from(e.sqrtPriceX96);
            pool.liquidity = e.liquidity;
            pool.tick = from_i24(e.tick);
        }
        Some(&IUniswapV3Pool::Mint::SIGNATURE_HASH) => {
            let e = IUniswapV3Pool::Mint::decode_log(&log.inner).map_err(decode_err)?;
            change_position(
                pool,
                from_i24(e.tickLower),
                from_i24(e.tickUpper),
                e.amount,
                true,
            )
            .map_err(inconsistent)?;
        }
        Some(&IUniswapV3Pool::Burn::SIGNATURE_HASH) => {
            let e = IUniswapV3Pool::Burn::decode_log(&log.inner).map_err(decode_err)?;
            change_position(
                pool,
                from_i24(e.tickLower),
                from_i24(e.tickUpper),
                e.amount,
                false,
            )
            .map_err(inconsistent)?;
        }
        _ => {}
    }
    Ok(())
}

fn change_position(
    pool: &mut PoolState,
    lower: i32,
    upper: i32,
    amount: u128,
    add: bool,
) -> Result<(), String> {
    if amount == 0 {
        return Ok(());
    }
    let signed = i128::try_from(amount).map_err(|_| format!("liquidity {amount} exceeds i128"))?;
    let delta = if add { signed } else { -signed };
    pool.ticks
        .update_position(lower, upper, delta)
        .map_err(|e| e.to_string())?;
    if lower <= pool.tick && pool.tick < upper {
        pool.liquidity = pool
            .liquidity
            .checked_add_signed(delta)
            .ok_or_else(|| format!("in-range liquidity under/overflows by {delta}"))?;
    }
    Ok(())
}

/// The v3 pools a connector follows, by address.
#[derive(Debug, Clone, Default)]
pub struct V3Pools {
    pub pools: BTreeMap<Address, PoolState>,
    pub tick_lens: Option<Address>,
}

impl V3Pools {
    /// The pools between two tokens, in either order.
    pub fn between(&self, a: Address, b: Address) -> impl Iterator<Item = &PoolState> {
        self.pools
            .values()
            .filter(move |p| (p.token0 == a && p.token1 == b) || (p.token0 == b && p.token1 == a))
    }
}

impl PoolSet for V3Pools {
    fn addresses(&self) -> Vec<Address> {
        self.pools.keys().copied().collect()
    }

    fn topics(&self) -> Vec<B256> {
        vec![
            IUniswapV3Pool::Swap::SIGNATURE_HASH,
            IUniswapV3Pool::Mint::SIGNATURE_HASH,
            IUniswapV3Pool::Burn::SIGNATURE_HASH,
        ]
    }

    fn apply(&mut self, log: &Log) -> Result<(), AmmError> {
        match self.pools.get_mut(&log.address()) {
            Some(pool) => apply_log(pool, log),
            None => Ok(()),
        }
    }

    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl Future<Output = Result<Self, AmmError>> + Send {
        let addresses = self.addresses();
        let tick_lens = self.tick_lens;
        let provider = provider.clone();
        async move {
            let states = load_pools(&provider, &addresses, tick_lens, block).await?;
            Ok(V3Pools {
                pools: states.into_iter().map(|s| (s.address, s)).collect(),
                tick_lens,
            })
        }
    }
}
