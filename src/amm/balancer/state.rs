//! Balancer pools from the chain: discovered from the Vault's `TokensRegistered` logs, loaded in
//! one batch of reads at one block (the Vault's `getPoolTokens`, the pool's fee, pause state and
//! weights or amplification, the tokens' decimals), then kept current from logs: the Vault's
//! `Swap`, `PoolBalanceChanged` and `PoolBalanceManaged`, and the pool's
//! `SwapFeePercentageChanged`, `AmpUpdateStarted`/`AmpUpdateStopped` and `PausedStateChanged`.

use std::collections::BTreeMap;
use std::future::Future;

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;

use super::abi::{IBalancerStablePool, IBalancerVault, IBalancerWeightedPool};
use super::fixed_point;
use super::pool::{Amp, Curve, PoolState};
use crate::amm::evm::abi::IERC20;
use crate::amm::rpc::{ReadCall, batch_call, decode};
use crate::amm::{AmmError, PoolSet};

/// Blocks per `eth_getLogs` request when discovering pools.
const DISCOVERY_CHUNK: u64 = 10_000;

/// The pool address inside a pool id (its first 20 bytes).
pub fn pool_address(id: B256) -> Address {
    Address::from_slice(&id[..20])
}

/// The Balancer pools a venue follows.
#[derive(Debug, Clone, Default)]
pub struct BalancerPools {
    pub vault: Address,
    /// Every pool the Vault registered, with its tokens (from `TokensRegistered`).
    pub registry: BTreeMap<B256, Vec<Address>>,
    /// Whether `registry` was read from the Vault's logs already.
    pub discovered: bool,
    /// The pools loaded and followed, by id.
    pub pools: BTreeMap<B256, PoolState>,
    /// The timestamp of the last block applied (a stable pool's amplification moves with time).
    pub timestamp: u64,
}

impl BalancerPools {
    pub fn new(vault: Address) -> Self {
        Self {
            vault,
            ..Self::default()
        }
    }

    /// Registered pools holding both tokens.
    pub fn registered_with(&self, a: Address, b: Address) -> Vec<B256> {
        self.registry
            .iter()
            .filter(|(_, t)| t.contains(&a) && t.contains(&b))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Registered pools holding either token.
    pub fn registered_with_any(&self, a: Address, b: Address) -> Vec<B256> {
        self.registry
            .iter()
            .filter(|(_, t)| t.contains(&a) || t.contains(&b))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Loaded pools holding both tokens, funded (a registered pool never joined holds nothing).
    pub fn with_pair(&self, a: Address, b: Address) -> impl Iterator<Item = &PoolState> {
        self.pools
            .values()
            .filter(move |p| p.has_pair(a, b) && p.balances.iter().all(|x| !x.is_zero()))
    }

    fn pool_by_address(&mut self, address: Address) -> Option<&mut PoolState> {
        self.pools.values_mut().find(|p| p.address == address)
    }
}

fn decode_err(what: &'static str) -> impl Fn(alloy::sol_types::Error) -> AmmError {
    move |e| AmmError::Decode {
        what,
        reason: e.to_string(),
    }
}

fn inconsistent(id: B256, reason: impl std::fmt::Display) -> AmmError {
    AmmError::Inconsistent {
        pool: format!("balancer pool {id}"),
        reason: reason.to_string(),
    }
}

/// Adds a signed delta to a balance.
fn add_delta(balance: U256, delta: I256) -> Option<U256> {
    if delta.is_negative() {
        balance.checked_sub(delta.unsigned_abs())
    } else {
        balance.checked_add(delta.into_raw())
    }
}

impl PoolSet for BalancerPools {
    fn addresses(&self) -> Vec<Address> {
        let mut out = vec![self.vault];
        out.extend(self.pools.values().map(|p| p.address));
        out
    }

    fn topics(&self) -> Vec<B256> {
        vec![
            IBalancerVault::Swap::SIGNATURE_HASH,
            IBalancerVault::PoolBalanceChanged::SIGNATURE_HASH,
            IBalancerVault::PoolBalanceManaged::SIGNATURE_HASH,
            IBalancerVault::TokensRegistered::SIGNATURE_HASH,
            IBalancerWeightedPool::SwapFeePercentageChanged::SIGNATURE_HASH,
            IBalancerWeightedPool::PausedStateChanged::SIGNATURE_HASH,
            IBalancerStablePool::AmpUpdateStarted::SIGNATURE_HASH,
            IBalancerStablePool::AmpUpdateStopped::SIGNATURE_HASH,
        ]
    }

    fn apply(&mut self, log: &Log) -> Result<(), AmmError> {
        if let Some(ts) = log.block_timestamp {
            self.timestamp = self.timestamp.max(ts);
        }
        let Some(topic) = log.topic0().copied() else {
            return Ok(());
        };
        if log.address() == self.vault {
            return self.apply_vault(topic, log);
        }
        let Some(pool) = self.pool_by_address(log.address()) else {
            return Ok(());
        };
        if topic == IBalancerWeightedPool::SwapFeePercentageChanged::SIGNATURE_HASH {
            let e = IBalancerWeightedPool::SwapFeePercentageChanged::decode_log(&log.inner)
                .map_err(decode_err("SwapFeePercentageChanged event"))?;
            pool.swap_fee = e.swapFeePercentage;
        } else if topic == IBalancerWeightedPool::PausedStateChanged::SIGNATURE_HASH {
            let e = IBalancerWeightedPool::PausedStateChanged::decode_log(&log.inner)
                .map_err(decode_err("PausedStateChanged event"))?;
            pool.paused = e.paused;
        } else if topic == IBalancerStablePool::AmpUpdateStarted::SIGNATURE_HASH {
            let e = IBalancerStablePool::AmpUpdateStarted::decode_log(&log.inner)
                .map_err(decode_err("AmpUpdateStarted event"))?;
            pool.curve = Curve::Stable {
                amp: Amp {
                    start_value: e.startValue,
                    end_value: e.endValue,
                    start_time: u64::try_from(e.startTime).unwrap_or(u64::MAX),
                    end_time: u64::try_from(e.endTime).unwrap_or(u64::MAX),
                },
            };
        } else if topic == IBalancerStablePool::AmpUpdateStopped::SIGNATURE_HASH {
            let e = IBalancerStablePool::AmpUpdateStopped::decode_log(&log.inner)
                .map_err(decode_err("AmpUpdateStopped event"))?;
            pool.curve = Curve::Stable {
                amp: Amp::fixed(e.currentValue),
            };
        }
        Ok(())
    }

    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl Future<Output = Result<Self, AmmError>> + Send {
        let ids: Vec<B256> = self.pools.keys().copied().collect();
        let mut next = self.clone();
        let provider = provider.clone();
        async move {
            let (pools, timestamp) = load_pools(&provider, next.vault, &ids, block).await?;
            next.pools = pools.into_iter().map(|p| (p.id, p)).collect();
            next.timestamp = timestamp;
            Ok(next)
        }
    }
}

impl BalancerPools {
    fn apply_vault(&mut self, topic: B256, log: &Log) -> Result<(), AmmError> {
        if topic == IBalancerVault::Swap::SIGNATURE_HASH {
            let e = IBalancerVault::Swap::decode_log(&log.inner)
                .map_err(decode_err("Vault Swap event"))?;
            if let Some(p) = self.pools.get_mut(&e.poolId) {
                p.apply_swap(e.tokenIn, e.tokenOut, e.amountIn, e.amountOut)
                    .map_err(|r| inconsistent(e.poolId, r))?;
            }
        } else if topic == IBalancerVault::PoolBalanceChanged::SIGNATURE_HASH {
            let e = IBalancerVault::PoolBalanceChanged::decode_log(&log.inner)
                .map_err(decode_err("Vault PoolBalanceChanged event"))?;
            let Some(p) = self.pools.get_mut(&e.poolId) else {
                return Ok(());
            };
            // The pool's balance moves by the delta less the protocol's fee, joins and exits alike.
            for ((token, delta), fee) in e.tokens.iter().zip(&e.deltas).zip(&e.protocolFeeAmounts) {
                let i = p
                    .index_of(*token)
                    .ok_or_else(|| inconsistent(e.poolId, "unknown token"))?;
                p.balances[i] = add_delta(p.balances[i], *delta)
                    .and_then(|b| b.checked_sub(*fee))
                    .ok_or_else(|| inconsistent(e.poolId, "balance out of range"))?;
            }
        } else if topic == IBalancerVault::PoolBalanceManaged::SIGNATURE_HASH {
            let e = IBalancerVault::PoolBalanceManaged::decode_log(&log.inner)
                .map_err(decode_err("Vault PoolBalanceManaged event"))?;
            if let Some(p) = self.pools.get_mut(&e.poolId) {
                let i = p
                    .index_of(e.token)
                    .ok_or_else(|| inconsistent(e.poolId, "unknown token"))?;
                p.balances[i] = add_delta(p.balances[i], e.cashDelta)
                    .and_then(|b| add_delta(b, e.managedDelta))
                    .ok_or_else(|| inconsistent(e.poolId, "balance out of range"))?;
            }
        } else if topic == IBalancerVault::TokensRegistered::SIGNATURE_HASH {
            let e = IBalancerVault::TokensRegistered::decode_log(&log.inner)
                .map_err(decode_err("Vault TokensRegistered event"))?;
            self.registry
                .entry(e.poolId)
                .or_default()
                .extend(e.tokens.iter().copied());
            if self.pools.contains_key(&e.poolId) {
                // A loaded pool's token list changed: reload it.
                return Err(inconsistent(e.poolId, "tokens registered after loading"));
            }
        }
        Ok(())
    }
}

/// Every pool the Vault registered up to `block`, with its tokens, from `TokensRegistered` logs.
pub async fn discover(
    provider: &DynProvider,
    vault: Address,
    from_block: u64,
    block: u64,
) -> Result<BTreeMap<B256, Vec<Address>>, AmmError> {
    let mut registry: BTreeMap<B256, Vec<Address>> = BTreeMap::new();
    let mut from = from_block;
    while from <= block {
        let to = (from + DISCOVERY_CHUNK - 1).min(block);
        let filter = Filter::new()
            .address(vault)
            .event_signature(IBalancerVault::TokensRegistered::SIGNATURE_HASH)
            .from_block(from)
            .to_block(to);
        let logs = provider.get_logs(&filter).await.map_err(AmmError::rpc)?;
        for l in logs {
            let e = IBalancerVault::TokensRegistered::decode_log(&l.inner)
                .map_err(decode_err("Vault TokensRegistered event"))?;
            registry
                .entry(e.poolId)
                .or_default()
                .extend(e.tokens.iter().copied());
        }
        from = to + 1;
    }
    Ok(registry)
}

/// Loads pools at `block` in one batch of reads; also returns the block's timestamp.
pub async fn load_pools(
    provider: &DynProvider,
    vault: Address,
    ids: &[B256],
    block: u64,
) -> Result<(Vec<PoolState>, u64), AmmError> {
    let timestamp = provider
        .get_block_by_number(BlockNumberOrTag::Number(block))
        .await
        .map_err(AmmError::rpc)?
        .map(|b| b.header.timestamp)
        .ok_or_else(|| AmmError::Rpc(format!("block {block} not found")))?;
    // First the tokens and balances, to know which decimals to read.
    let calls: Vec<ReadCall> = ids
        .iter()
        .map(|id| ReadCall::new(vault, &IBalancerVault::getPoolTokensCall { poolId: *id }))
        .collect();
    let mut tokens_of = Vec::with_capacity(ids.len());
    for r in batch_call(provider, &calls, block).await? {
        tokens_of.push(decode::<IBalancerVault::getPoolTokensCall>(
            r,
            vault,
            "getPoolTokens",
        )?);
    }
    let mut calls = Vec::new();
    for (id, t) in ids.iter().zip(&tokens_of) {
        let pool = pool_address(*id);
        calls.push(ReadCall::new(
            pool,
            &IBalancerWeightedPool::getSwapFeePercentageCall {},
        ));
        calls.push(ReadCall::new(
            pool,
            &IBalancerWeightedPool::getPausedStateCall {},
        ));
        calls.push(ReadCall::new(
            pool,
            &IBalancerWeightedPool::getNormalizedWeightsCall {},
        ));
        calls.push(ReadCall::new(
            pool,
            &IBalancerStablePool::getAmplificationParameterCall {},
        ));
        calls.push(ReadCall::new(
            pool,
            &IBalancerStablePool::getScalingFactorsCall {},
        ));
        for token in &t.tokens {
            calls.push(ReadCall::new(*token, &IERC20::decimalsCall {}));
        }
    }
    let mut results = batch_call(provider, &calls, block).await?.into_iter();
    let mut next = || {
        results
            .next()
            .unwrap_or_else(|| Err("missing batch result".into()))
    };
    let mut out = Vec::with_capacity(ids.len());
    for (id, t) in ids.iter().zip(tokens_of) {
        let address = pool_address(*id);
        let swap_fee = decode::<IBalancerWeightedPool::getSwapFeePercentageCall>(
            next(),
            address,
            "getSwapFeePercentage",
        )?;
        let paused =
            decode::<IBalancerWeightedPool::getPausedStateCall>(next(), address, "getPausedState")?
                .paused;
        let weights = next();
        let amp = next();
        let factors = next();
        let curve = if let Ok(w) =
            decode::<IBalancerWeightedPool::getNormalizedWeightsCall>(weights, address, "weights")
        {
            Curve::Weighted { weights: w }
        } else {
            let a = decode::<IBalancerStablePool::getAmplificationParameterCall>(
                amp,
                address,
                "getAmplificationParameter (neither a weighted nor a stable pool)",
            )?;
            let amp = if a.isUpdating {
                amp_update(provider, address, block).await?
            } else {
                Amp::fixed(a.value)
            };
            Curve::Stable { amp }
        };
        let mut scaling = Vec::with_capacity(t.tokens.len());
        for token in &t.tokens {
            let d = decode::<IERC20::decimalsCall>(next(), *token, "decimals")?;
            let diff = 18u8
                .checked_sub(d)
                .ok_or_else(|| inconsistent(*id, format!("token {token} has {d} decimals")))?;
            scaling.push(U256::from(10u8).pow(U256::from(diff)));
        }
        // Modelled: the 2021 weighted pools and plain stable pools (no rate providers). A pool
        // holding its own BPT (composable, phantom) or whose scaling factors carry rates is not.
        let rated =
            decode::<IBalancerStablePool::getScalingFactorsCall>(factors, address, "factors")
                .map(|f| {
                    f != scaling
                        .iter()
                        .map(|s| *s * fixed_point::ONE)
                        .collect::<Vec<_>>()
                })
                .unwrap_or(false);
        if t.tokens.contains(&address) || rated {
            tracing::warn!(pool = %id, "balancer pool type not modelled (BPT among its tokens or rate providers); skipped");
            continue;
        }
        out.push(PoolState {
            id: *id,
            address,
            tokens: t.tokens,
            balances: t.balances,
            scaling,
            swap_fee,
            paused,
            curve,
            invariant: Default::default(),
        });
    }
    Ok((out, timestamp))
}

/// The amplification update in progress: the pool's last `AmpUpdateStarted`.
async fn amp_update(provider: &DynProvider, pool: Address, block: u64) -> Result<Amp, AmmError> {
    let filter = Filter::new()
        .address(pool)
        .event_signature(IBalancerStablePool::AmpUpdateStarted::SIGNATURE_HASH)
        .from_block(0)
        .to_block(block);
    let logs = provider.get_logs(&filter).await.map_err(AmmError::rpc)?;
    let last = logs.last().ok_or_else(|| AmmError::Inconsistent {
        pool: pool.to_string(),
        reason: "amplification updating but no AmpUpdateStarted log".into(),
    })?;
    let e = IBalancerStablePool::AmpUpdateStarted::decode_log(&last.inner)
        .map_err(decode_err("AmpUpdateStarted event"))?;
    Ok(Amp {
        start_value: e.startValue,
        end_value: e.endValue,
        start_time: u64::try_from(e.startTime).unwrap_or(u64::MAX),
        end_time: u64::try_from(e.endTime).unwrap_or(u64::MAX),
    })
}
