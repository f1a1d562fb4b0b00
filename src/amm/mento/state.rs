//! Mento exchanges loaded from the chain (BiPoolManager `getExchanges` / `getPoolExchange`,
//! `tokenPrecisionMultipliers`, the pricing modules' `name()`, SortedOracles' median, timestamps
//! and expiry), batched at one block, and kept current from logs:
//!
//! - the Broker's `Swap` moves a constant-product exchange's buckets by the swapped amounts (exact
//!   when both tokens have 18 decimals; otherwise the 18-decimal amounts are not in the event and
//!   the exchanges are read again);
//! - `BucketsUpdated` sets the buckets and the reset time (the log's block timestamp);
//! - any SortedOracles report or removal on a followed rate feed reloads (the median timestamp
//!   and the oldest report cannot be derived from the event alone).
//!
//! A log that cannot be applied exactly makes the kit's sync reload the whole set at the head.

use std::collections::BTreeMap;
use std::future::Future;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Log;
use alloy::sol_types::SolEvent;

use super::abi::{IMentoBiPoolManager, IMentoBroker, IMentoPricingModule, IMentoSortedOracles};
use super::math::{Exchange, OracleFeed, PricingModule};
use crate::amm::AmmError;
use crate::amm::PoolSet;
use crate::amm::rpc::{ReadCall, batch_read};

/// The Mento contracts a pool set follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MentoAddresses {
    pub broker: Address,
    pub bi_pool_manager: Address,
    pub sorted_oracles: Address,
}

/// One tracked exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrackedExchange {
    pub id: B256,
    pub rate_feed: Address,
    pub exchange: Exchange,
}

/// The chain's time as last seen, advanced by the local clock since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainClock {
    pub chain_time: u64,
    pub seen_at: Instant,
}

impl ChainClock {
    pub fn new(chain_time: u64) -> Self {
        Self {
            chain_time,
            seen_at: Instant::now(),
        }
    }

    /// The chain time now (at least the last block's timestamp).
    pub fn now(&self) -> u64 {
        self.chain_time
            .saturating_add(self.seen_at.elapsed().as_secs())
    }
}

/// The exchanges a connector follows and their oracle feeds.
#[derive(Debug, Clone)]
pub struct MentoPools {
    pub contracts: MentoAddresses,
    pub exchanges: BTreeMap<B256, TrackedExchange>,
    pub oracles: BTreeMap<Address, OracleFeed>,
    pub clock: ChainClock,
}

impl MentoPools {
    pub fn new(contracts: MentoAddresses) -> Self {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Self {
            contracts,
            exchanges: BTreeMap::new(),
            oracles: BTreeMap::new(),
            clock: ChainClock::new(wall),
        }
    }

    /// The exchanges between two tokens, in either order.
    pub fn between(&self, a: Address, b: Address) -> Vec<TrackedExchange> {
        self.exchanges
            .values()
            .filter(|x| {
                let e = &x.exchange;
                (e.asset0 == a && e.asset1 == b) || (e.asset0 == b && e.asset1 == a)
            })
            .copied()
            .collect()
    }

    /// The oracle feed of an exchange.
    pub fn oracle(&self, x: &TrackedExchange) -> Result<OracleFeed, AmmError> {
        self.oracles
            .get(&x.rate_feed)
            .copied()
            .ok_or_else(|| AmmError::Inconsistent {
                pool: x.id.to_string(),
                reason: format!("rate feed {} not loaded", x.rate_feed),
            })
    }

    fn inconsistent(id: B256, reason: &str) -> AmmError {
        AmmError::Inconsistent {
            pool: format!("mento exchange {id}"),
            reason: reason.to_string(),
        }
    }

    fn decode<E: SolEvent>(log: &Log, what: &'static str) -> Result<E, AmmError> {
        E::decode_log(&log.inner)
            .map(|e| e.data)
            .map_err(|e| AmmError::Decode {
                what,
                reason: e.to_string(),
            })
    }

    fn apply_swap(&mut self, log: &Log) -> Result<(), AmmError> {
        let e = Self::decode::<IMentoBroker::Swap>(log, "Broker Swap event")?;
        if e.exchangeProvider != self.contracts.bi_pool_manager {
            return Ok(());
        }
        let Some(x) = self.exchanges.get_mut(&e.exchangeId) else {
            return Ok(());
        };
        let ex = &mut x.exchange;
        if ex.module == PricingModule::ConstantSum {
            return Ok(());
        }
        let one = U256::from(1u8);
        if ex.multiplier0 != one || ex.multiplier1 != one {
            return Err(Self::inconsistent(
                e.exchangeId,
                "a token below 18 decimals: the bucket change is not in the Swap event",
            ));
        }
        let under = || Self::inconsistent(e.exchangeId, "swap output beyond the bucket");
        let over = || Self::inconsistent(e.exchangeId, "bucket overflow");
        if e.tokenIn == ex.asset0 {
            ex.bucket0 = ex.bucket0.checked_add(e.amountIn).ok_or_else(over)?;
            ex.bucket1 = ex.bucket1.checked_sub(e.amountOut).ok_or_else(under)?;
        } else {
            ex.bucket1 = ex.bucket1.checked_add(e.amountIn).ok_or_else(over)?;
            ex.bucket0 = ex.bucket0.checked_sub(e.amountOut).ok_or_else(under)?;
        }
        Ok(())
    }

    fn apply_buckets(&mut self, log: &Log) -> Result<(), AmmError> {
        if log.address() != self.contracts.bi_pool_manager {
            return Ok(());
        }
        let e = Self::decode::<IMentoBiPoolManager::BucketsUpdated>(log, "BucketsUpdated")?;
        let Some(x) = self.exchanges.get_mut(&e.exchangeId) else {
            return Ok(());
        };
        let ts = log.block_timestamp.ok_or_else(|| {
            Self::inconsistent(e.exchangeId, "BucketsUpdated without a block timestamp")
        })?;
        x.exchange.bucket0 = e.bucket0;
        x.exchange.bucket1 = e.bucket1;
        x.exchange.last_bucket_update = ts;
        Ok(())
    }
}

/// The feed (first indexed or data address) an oracle event is about.
fn oracle_event_feed(log: &Log) -> Option<Address> {
    let t = log.topic0()?;
    if *t == IMentoSortedOracles::MedianUpdated::SIGNATURE_HASH {
        IMentoSortedOracles::MedianUpdated::decode_log(&log.inner)
            .ok()
            .map(|e| e.data.token)
    } else if *t == IMentoSortedOracles::OracleReported::SIGNATURE_HASH {
        IMentoSortedOracles::OracleReported::decode_log(&log.inner)
            .ok()
            .map(|e| e.data.token)
    } else if *t == IMentoSortedOracles::OracleReportRemoved::SIGNATURE_HASH {
        IMentoSortedOracles::OracleReportRemoved::decode_log(&log.inner)
            .ok()
            .map(|e| e.data.token)
    } else {
        None
    }
}

impl PoolSet for MentoPools {
    fn addresses(&self) -> Vec<Address> {
        let c = self.contracts;
        vec![c.broker, c.bi_pool_manager, c.sorted_oracles]
    }

    fn topics(&self) -> Vec<B256> {
        vec![
            IMentoBroker::Swap::SIGNATURE_HASH,
            IMentoBiPoolManager::BucketsUpdated::SIGNATURE_HASH,
            IMentoSortedOracles::MedianUpdated::SIGNATURE_HASH,
            IMentoSortedOracles::OracleReported::SIGNATURE_HASH,
            IMentoSortedOracles::OracleReportRemoved::SIGNATURE_HASH,
        ]
    }

    fn apply(&mut self, log: &Log) -> Result<(), AmmError> {
        if let Some(ts) = log.block_timestamp
            && ts > self.clock.chain_time
        {
            self.clock = ChainClock::new(ts);
        }
        let Some(topic) = log.topic0() else {
            return Ok(());
        };
        if log.address() == self.contracts.broker && *topic == IMentoBroker::Swap::SIGNATURE_HASH {
            return self.apply_swap(log);
        }
        if *topic == IMentoBiPoolManager::BucketsUpdated::SIGNATURE_HASH {
            return self.apply_buckets(log);
        }
        if log.address() == self.contracts.sorted_oracles
            && let Some(feed) = oracle_event_feed(log)
            && self.oracles.contains_key(&feed)
        {
            return Err(AmmError::Inconsistent {
                pool: format!("mento rate feed {feed}"),
                reason: "a new oracle report: the feed is read again".into(),
            });
        }
        Ok(())
    }

    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl Future<Output = Result<Self, AmmError>> + Send {
        let ids: Vec<B256> = self.exchanges.keys().copied().collect();
        let contracts = self.contracts;
        let provider = provider.clone();
        async move {
            let mut fresh = MentoPools::new(contracts);
            fresh.load(&provider, &ids, block).await?;
            Ok(fresh)
        }
    }
}

/// The ids and assets of every exchange of a BiPoolManager, at `block`.
pub async fn list_exchanges(
    provider: &DynProvider,
    bi_pool_manager: Address,
    block: u64,
) -> Result<Vec<(B256, Address, Address)>, AmmError> {
    let mut r = batch_read(
        provider,
        &[ReadCall::new(
            bi_pool_manager,
            &IMentoBiPoolManager::getExchangesCall {},
        )],
        block,
    )
    .await?;
    let list =
        r.next_decoded::<IMentoBiPoolManager::getExchangesCall>(bi_pool_manager, "getExchanges")?;
    Ok(list
        .into_iter()
        .filter_map(|e| match e.assets.as_slice() {
            [a, b] => Some((e.exchangeId, *a, *b)),
            _ => None,
        })
        .collect())
}

fn to_u64(v: U256, what: &'static str) -> Result<u64, AmmError> {
    u64::try_from(v).map_err(|_| AmmError::Decode {
        what,
        reason: format!("{v} does not fit 64 bits"),
    })
}

impl MentoPools {
    /// Loads (or reloads) the exchanges `ids`, their modules, multipliers and oracle feeds, and
    /// the block's timestamp, at `block`; what is loaded replaces what was tracked under the
    /// same ids.
    pub async fn load(
        &mut self,
        provider: &DynProvider,
        ids: &[B256],
        block: u64,
    ) -> Result<(), AmmError> {
        let bpm = self.contracts.bi_pool_manager;
        let calls: Vec<ReadCall> = ids
            .iter()
            .map(|id| {
                ReadCall::new(
                    bpm,
                    &IMentoBiPoolManager::getPoolExchangeCall { exchangeId: *id },
                )
            })
            .collect();
        let mut r = batch_read(provider, &calls, block).await?;
        let mut pools = Vec::with_capacity(ids.len());
        for id in ids {
            let p =
                r.next_decoded::<IMentoBiPoolManager::getPoolExchangeCall>(bpm, "getPoolExchange")?;
            pools.push((*id, p));
        }
        // Modules' names, multipliers, and each feed's oracle data, in one batch.
        let so = self.contracts.sorted_oracles;
        let mut feeds: Vec<Address> = pools
            .iter()
            .map(|(_, p)| p.config.referenceRateFeedID)
            .collect();
        feeds.sort();
        feeds.dedup();
        let mut calls = Vec::new();
        for (_, p) in &pools {
            calls.push(ReadCall::new(
                p.pricingModule,
                &IMentoPricingModule::nameCall {},
            ));
            calls.push(ReadCall::new(
                bpm,
                &IMentoBiPoolManager::tokenPrecisionMultipliersCall(p.asset0),
            ));
            calls.push(ReadCall::new(
                bpm,
                &IMentoBiPoolManager::tokenPrecisionMultipliersCall(p.asset1),
            ));
        }
        for &token in &feeds {
            calls.push(ReadCall::new(
                so,
                &IMentoSortedOracles::medianRateCall { token },
            ));
            calls.push(ReadCall::new(
                so,
                &IMentoSortedOracles::medianTimestampCall { token },
            ));
            calls.push(ReadCall::new(
                so,
                &IMentoSortedOracles::numRatesCall { token },
            ));
            calls.push(ReadCall::new(
                so,
                &IMentoSortedOracles::getTimestampsCall { token },
            ));
            calls.push(ReadCall::new(
                so,
                &IMentoSortedOracles::getTokenReportExpirySecondsCall { token },
            ));
        }
        let mut r = batch_read(provider, &calls, block).await?;
        for (id, p) in pools {
            let name = r.next_decoded::<IMentoPricingModule::nameCall>(p.pricingModule, "name")?;
            let module = PricingModule::from_name(&name).ok_or_else(|| AmmError::Decode {
                what: "pricing module",
                reason: format!("unknown Mento pricing module {name:?}"),
            })?;
            let m0 = r.next_decoded::<IMentoBiPoolManager::tokenPrecisionMultipliersCall>(
                bpm,
                "tokenPrecisionMultipliers",
            )?;
            let m1 = r.next_decoded::<IMentoBiPoolManager::tokenPrecisionMultipliersCall>(
                bpm,
                "tokenPrecisionMultipliers",
            )?;
            let c = &p.config;
            let exchange = Exchange {
                asset0: p.asset0,
                asset1: p.asset1,
                module,
                bucket0: p.bucket0,
                bucket1: p.bucket1,
                last_bucket_update: to_u64(p.lastBucketUpdate, "lastBucketUpdate")?,
                spread: c.spread.value,
                reset_frequency: to_u64(
                    c.referenceRateResetFrequency,
                    "referenceRateResetFrequency",
                )?,
                minimum_reports: to_u64(c.minimumReports, "minimumReports")?,
                stable_pool_reset_size: c.stablePoolResetSize,
                multiplier0: m0,
                multiplier1: m1,
            };
            self.exchanges.insert(
                id,
                TrackedExchange {
                    id,
                    rate_feed: c.referenceRateFeedID,
                    exchange,
                },
            );
        }
        for feed in feeds {
            let rate = r.next_decoded::<IMentoSortedOracles::medianRateCall>(so, "medianRate")?;
            let median_ts =
                r.next_decoded::<IMentoSortedOracles::medianTimestampCall>(so, "medianTimestamp")?;
            let num = r.next_decoded::<IMentoSortedOracles::numRatesCall>(so, "numRates")?;
            let ts =
                r.next_decoded::<IMentoSortedOracles::getTimestampsCall>(so, "getTimestamps")?;
            let expiry = r.next_decoded::<IMentoSortedOracles::getTokenReportExpirySecondsCall>(
                so,
                "getTokenReportExpirySeconds",
            )?;
            // The list is sorted from the newest; its tail is the oldest report (0 when empty).
            let oldest = ts._1.last().copied().unwrap_or_default();
            self.oracles.insert(
                feed,
                OracleFeed {
                    median: rate._0,
                    denominator: rate._1,
                    median_timestamp: to_u64(median_ts, "medianTimestamp")?,
                    num_rates: to_u64(num, "numRates")?,
                    oldest_timestamp: to_u64(oldest, "report timestamp")?,
                    expiry_seconds: to_u64(expiry, "report expiry")?,
                },
            );
        }
        let header = provider
            .get_block_by_number(BlockNumberOrTag::Number(block))
            .await
            .map_err(AmmError::rpc)?
            .ok_or_else(|| AmmError::Rpc(format!("block {block} not found")))?;
        self.clock = ChainClock::new(header.header.timestamp);
        Ok(())
    }
}
