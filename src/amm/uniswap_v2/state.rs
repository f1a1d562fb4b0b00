//! Loading v2 pairs from the chain (factory `getPair`, then tokens and reserves, all batched at one
//! block) and keeping their reserves current from `Sync` logs.

use std::collections::BTreeMap;
use std::future::Future;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::DynProvider;
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;

use super::abi::{IUniswapV2Factory, IUniswapV2Pair};
use super::math::DEFAULT_FEE_BPS;
use crate::amm::AmmError;
use crate::amm::PoolSet;
use crate::amm::rpc::{ReadCall, batch_call, batch_read, decode};

/// One pair's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PairState {
    pub address: Address,
    pub token0: Address,
    pub token1: Address,
    pub reserve0: U256,
    pub reserve1: U256,
    pub fee_bps: u32,
}

impl PairState {
    /// Reserves seen from `token_in`'s side, or `None` if the token is not in the pair.
    pub fn reserves_from(&self, token_in: Address) -> Option<(U256, U256)> {
        if token_in == self.token0 {
            Some((self.reserve0, self.reserve1))
        } else if token_in == self.token1 {
            Some((self.reserve1, self.reserve0))
        } else {
            None
        }
    }
}

/// The pairs of several token pairs from the factory: the pair address or `None`, in order.
pub async fn discover_pairs(
    provider: &DynProvider,
    factory: Address,
    token_pairs: &[(Address, Address)],
    block: u64,
) -> Result<Vec<Option<Address>>, AmmError> {
    let calls: Vec<ReadCall> = token_pairs
        .iter()
        .map(|(a, b)| ReadCall::new(factory, &IUniswapV2Factory::getPairCall { _0: *a, _1: *b }))
        .collect();
    let results = batch_call(provider, &calls, block).await?;
    results
        .into_iter()
        .map(|r| {
            decode::<IUniswapV2Factory::getPairCall>(r, factory, "getPair")
                .map(|p| (p != Address::ZERO).then_some(p))
        })
        .collect()
}

/// Loads pairs at `block` in one batch.
pub async fn load_pairs(
    provider: &DynProvider,
    pairs: &[Address],
    block: u64,
) -> Result<Vec<PairState>, AmmError> {
    let mut calls = Vec::with_capacity(pairs.len() * 3);
    for &p in pairs {
        calls.push(ReadCall::new(p, &IUniswapV2Pair::token0Call {}));
        calls.push(ReadCall::new(p, &IUniswapV2Pair::token1Call {}));
        calls.push(ReadCall::new(p, &IUniswapV2Pair::getReservesCall {}));
    }
    let mut results = batch_read(provider, &calls, block).await?;
    let mut out = Vec::with_capacity(pairs.len());
    for &p in pairs {
        let token0 = results.next_decoded::<IUniswapV2Pair::token0Call>(p, "token0")?;
        let token1 = results.next_decoded::<IUniswapV2Pair::token1Call>(p, "token1")?;
        let reserves = results.next_decoded::<IUniswapV2Pair::getReservesCall>(p, "getReserves")?;
        out.push(PairState {
            address: p,
            token0,
            token1,
            reserve0: U256::from(reserves._reserve0),
            reserve1: U256::from(reserves._reserve1),
            fee_bps: DEFAULT_FEE_BPS,
        });
    }
    Ok(out)
}

/// The v2 pairs a connector follows, by address.
#[derive(Debug, Clone, Default)]
pub struct V2Pairs {
    pub pairs: BTreeMap<Address, PairState>,
}

impl V2Pairs {
    /// The pair of two tokens, in either order.
    pub fn between(&self, a: Address, b: Address) -> Option<&PairState> {
        self.pairs
            .values()
            .find(|p| (p.token0 == a && p.token1 == b) || (p.token0 == b && p.token1 == a))
    }
}

impl PoolSet for V2Pairs {
    fn addresses(&self) -> Vec<Address> {
        self.pairs.keys().copied().collect()
    }

    fn topics(&self) -> Vec<B256> {
        vec![IUniswapV2Pair::Sync::SIGNATURE_HASH]
    }

    fn apply(&mut self, log: &Log) -> Result<(), AmmError> {
        let Some(pair) = self.pairs.get_mut(&log.address()) else {
            return Ok(());
        };
        if log.topic0() == Some(&IUniswapV2Pair::Sync::SIGNATURE_HASH) {
            let e = IUniswapV2Pair::Sync::decode_log(&log.inner).map_err(|e| AmmError::Decode {
                what: "Sync event",
                reason: e.to_string(),
            })?;
            pair.reserve0 = U256::from(e.reserve0);
            pair.reserve1 = U256::from(e.reserve1);
        }
        Ok(())
    }

    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl Future<Output = Result<Self, AmmError>> + Send {
        let addresses = self.addresses();
        let provider = provider.clone();
        async move {
            let pairs = load_pairs(&provider, &addresses, block).await?;
            Ok(V2Pairs {
                pairs: pairs.into_iter().map(|p| (p.address, p)).collect(),
            })
        }
    }
}
