//! How one EVM AMM venue follows the chain, and the freshness rule of its quotes.
//!
//! The venue's pool state moves forward only through [`sync`]: the logs since the synced block, in
//! chain order, through the pool model's own [`PoolSet::apply`](super::PoolSet::apply) (or a reload
//! after a reorg). Syncs run one at a time behind a gate, and each starts at the block the previous
//! one reached, so no log is ever applied twice and none is skipped; the timer's sync and a
//! catch-up after the venue's own swap share that one path.
//!
//! **Freshness rule.** The venue remembers the highest block at which it knows its pools changed:
//! the block of each of its own swaps, told by the swap executor when the receipt arrives
//! ([`ChainFollower`]). The executor then brings the state to at least that block before it reports
//! the fill, so the fill's consumer, and every quote after it, sees the pools with the swap in
//! them. And a quote or a swap plan is never computed from state older than that block
//! ([`Follower::ensure_current`]): if the catch-up failed, or the venue was never shared, the next
//! quote syncs first (or fails). Changes by others are followed by the sync timer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use alloy::providers::{DynProvider, Provider};
use async_trait::async_trait;

use super::tokens::TokenBook;
use super::venue::lock_err;
use super::{PoolSet, SyncOutcome, Tracked, sync};
use crate::amm::AmmError;
use crate::core::{Pair, VenueEvent};
use crate::venue::{EventHub, VenueId};

/// How often a catch-up asks the node again when its head is still below the block it must reach
/// (a node behind a load balancer may answer from a replica a block behind the one that mined the
/// swap).
const REACH_ATTEMPTS: u32 = 20;
const REACH_RETRY: Duration = Duration::from_millis(25);

/// What the swap executor tells the venue whose swaps it sends.
#[async_trait]
pub trait ChainFollower: Send + Sync {
    /// The venue's pools changed at `block` (its own swap was mined there): no quote is answered
    /// from state older than that block from now on.
    fn changed_at(&self, block: u64);
    /// Brings the pool state to at least `block`.
    async fn reach(&self, block: u64) -> Result<(), AmmError>;
}

/// The pairs whose state moved when the pool set `P` moved (those whose tokens are in the book).
pub type PairsOf<P> = Box<dyn Fn(&P, &TokenBook) -> Vec<Pair> + Send + Sync>;

/// The chain-following part of an EVM venue ([`EvmAmmVenue`](super::venue::EvmAmmVenue), the Perp
/// venue): its pool state, the gate its syncs pass one at a time, the gas price, and the block of
/// its latest own swap.
pub struct Follower<P: PoolSet> {
    id: VenueId,
    provider: DynProvider,
    state: Arc<RwLock<Tracked<P>>>,
    tokens: Arc<RwLock<TokenBook>>,
    events: Arc<EventHub>,
    /// What the protocol calls its pools in messages ("pairs", "pools", "Amms").
    noun: &'static str,
    pairs: PairsOf<P>,
    gas_price_wei: AtomicU64,
    /// One sync at a time (held across its network calls).
    gate: tokio::sync::Mutex<()>,
    /// The highest block at which the venue's own swap changed its pools (0: none yet).
    changed_at: AtomicU64,
}

fn gas_u64(gas: u128) -> u64 {
    u64::try_from(gas).unwrap_or(u64::MAX)
}

/// The parts of a [`Follower`] the venue shares with it.
pub(crate) struct FollowerParts<P> {
    pub id: VenueId,
    pub provider: DynProvider,
    pub state: Arc<RwLock<Tracked<P>>>,
    pub tokens: Arc<RwLock<TokenBook>>,
    pub events: Arc<EventHub>,
    pub gas_price_wei: u128,
}

impl<P: PoolSet + Clone> Follower<P> {
    pub(crate) fn new(parts: FollowerParts<P>, noun: &'static str, pairs: PairsOf<P>) -> Self {
        Self {
            id: parts.id,
            provider: parts.provider,
            state: parts.state,
            tokens: parts.tokens,
            events: parts.events,
            noun,
            pairs,
            gas_price_wei: AtomicU64::new(gas_u64(parts.gas_price_wei)),
            gate: tokio::sync::Mutex::new(()),
            changed_at: AtomicU64::new(0),
        }
    }

    /// The node's gas price at the last sync, in wei.
    pub fn gas_price_wei(&self) -> u128 {
        u128::from(self.gas_price_wei.load(Ordering::Relaxed))
    }

    /// The block the local state is current at.
    pub fn synced_block(&self) -> Result<u64, AmmError> {
        Ok(self.state.read().map_err(lock_err)?.cursor.number)
    }

    /// The highest block the venue knows its own swap changed its pools at (0: none).
    pub fn known_change(&self) -> u64 {
        self.changed_at.load(Ordering::Acquire)
    }

    /// Brings the pools to the chain head (waiting for a sync already running, then running one).
    pub async fn refresh(&self) -> Result<SyncOutcome, AmmError> {
        let _one_at_a_time = self.gate.lock().await;
        self.sync_now().await
    }

    /// The freshness rule: state older than the venue's own latest swap is synced to it first.
    pub async fn ensure_current(&self) -> Result<(), AmmError> {
        let known = self.known_change();
        if known == 0 || self.synced_block()? >= known {
            return Ok(());
        }
        self.reach(known).await
    }

    /// One sync, the gate held by the caller; then the gas price, and the events of what moved.
    async fn sync_now(&self) -> Result<SyncOutcome, AmmError> {
        let outcome = sync(&self.provider, &self.state).await?;
        if let Ok(gas) = self.provider.get_gas_price().await {
            self.gas_price_wei.store(gas_u64(gas), Ordering::Relaxed);
        }
        let block = match outcome {
            SyncOutcome::Advanced { logs, block } if logs > 0 => Some(block),
            SyncOutcome::Reloaded { block } => {
                self.events.publish(VenueEvent::Resynced {
                    what: format!("{} {} at block {block} after a reorg", self.id, self.noun),
                });
                Some(block)
            }
            _ => None,
        };
        if let Some(block) = block {
            for pair in self.tracked_pairs() {
                self.events.publish(VenueEvent::PoolChanged { pair, block });
            }
        }
        Ok(outcome)
    }

    /// The pair of each tracked pool whose tokens are in the book.
    fn tracked_pairs(&self) -> Vec<Pair> {
        match (self.state.read(), self.tokens.read()) {
            (Ok(t), Ok(book)) => (self.pairs)(&t.set, &book),
            _ => Vec::new(),
        }
    }
}

#[async_trait]
impl<P: PoolSet + Clone> ChainFollower for Follower<P> {
    fn changed_at(&self, block: u64) {
        self.changed_at.fetch_max(block, Ordering::AcqRel);
    }

    async fn reach(&self, block: u64) -> Result<(), AmmError> {
        let _one_at_a_time = self.gate.lock().await;
        for attempt in 0..REACH_ATTEMPTS {
            if self.synced_block()? >= block {
                return Ok(());
            }
            if attempt > 0 {
                tokio::time::sleep(REACH_RETRY).await;
            }
            self.sync_now().await?;
        }
        let at = self.synced_block()?;
        if at >= block {
            return Ok(());
        }
        Err(AmmError::Rpc(format!(
            "{}: the node's head is still at block {at}, below block {block} of the venue's own swap",
            self.id
        )))
    }
}
