//! Following pools block by block from their logs: the logs since the last synced block (in chunks,
//! so a long gap is backfilled), and reorg detection by checking that the last synced block is
//! still canonical. A reorg makes the caller reload its pools at the new head.

use alloy::consensus::BlockHeader;
use alloy::eips::BlockNumberOrTag;
use alloy::network::primitives::HeaderResponse;
use alloy::primitives::{Address, B256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};

use crate::amm::AmmError;

/// Blocks per `eth_getLogs` request when backfilling.
const LOG_CHUNK: u64 = 2_000;

/// The last block whose logs were applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockCursor {
    pub number: u64,
    pub hash: B256,
}

/// What happened since the cursor.
#[derive(Debug)]
pub enum SyncStep {
    /// No new block.
    UpToDate,
    /// New logs up to and including `head`, in chain order (possibly none).
    Logs { logs: Vec<Log>, head: BlockCursor },
    /// The cursor's block is no longer canonical: reload everything at `head`.
    Reorged { head: BlockCursor },
}

/// The current head block.
pub async fn head(provider: &DynProvider) -> Result<BlockCursor, AmmError> {
    header_at(provider, BlockNumberOrTag::Latest).await
}

async fn header_at(provider: &DynProvider, at: BlockNumberOrTag) -> Result<BlockCursor, AmmError> {
    let block = provider
        .get_block_by_number(at)
        .await
        .map_err(AmmError::rpc)?
        .ok_or_else(|| AmmError::Rpc(format!("block {at} not found")))?;
    Ok(BlockCursor {
        number: block.header.number(),
        hash: block.header.hash(),
    })
}

/// Logs of `addresses` with one of `topics` since `cursor`, or a reorg.
pub async fn next_logs(
    provider: &DynProvider,
    cursor: BlockCursor,
    addresses: &[Address],
    topics: &[B256],
) -> Result<SyncStep, AmmError> {
    let still = header_at(provider, BlockNumberOrTag::Number(cursor.number)).await;
    match still {
        Ok(b) if b.hash == cursor.hash => {}
        // Our block is gone or replaced.
        _ => {
            return Ok(SyncStep::Reorged {
                head: head(provider).await?,
            });
        }
    }
    let head = head(provider).await?;
    if head.number <= cursor.number {
        return Ok(SyncStep::UpToDate);
    }
    let mut logs = Vec::new();
    if !addresses.is_empty() {
        let mut from = cursor.number + 1;
        while from <= head.number {
            let to = (from + LOG_CHUNK - 1).min(head.number);
            let filter = Filter::new()
                .address(addresses.to_vec())
                .event_signature(topics.to_vec())
                .from_block(from)
                .to_block(to);
            let chunk = provider.get_logs(&filter).await.map_err(AmmError::rpc)?;
            logs.extend(chunk);
            from = to + 1;
        }
    }
    // A log marked removed, or one from a block at the head with another hash, means the chain moved
    // under us while we read: treat it as a reorg.
    let moved = logs.iter().any(|l| {
        l.removed || (l.block_number == Some(head.number) && l.block_hash != Some(head.hash))
    });
    if moved {
        return Ok(SyncStep::Reorged {
            head: self::head(provider).await?,
        });
    }
    logs.sort_by_key(|l| (l.block_number, l.log_index));
    Ok(SyncStep::Logs { logs, head })
}

/// A set of pools that follows the chain from its logs.
pub trait PoolSet: Sized + Send + Sync {
    /// The contracts whose logs matter.
    fn addresses(&self) -> Vec<Address>;
    /// The event signatures that change the state.
    fn topics(&self) -> Vec<B256>;
    /// Applies one log (logs arrive in chain order).
    fn apply(&mut self, log: &Log) -> Result<(), AmmError>;
    /// The same pools read afresh at `block`.
    fn reload(
        &self,
        provider: &DynProvider,
        block: u64,
    ) -> impl std::future::Future<Output = Result<Self, AmmError>> + Send;
}

/// A pool set and the block it is current at.
#[derive(Debug, Clone)]
pub struct Tracked<S> {
    pub set: S,
    pub cursor: BlockCursor,
}

/// What one sync did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncOutcome {
    UpToDate,
    /// Applied this many logs up to this block.
    Advanced {
        logs: usize,
        block: u64,
    },
    /// Reloaded everything at this block after a reorg (or an inconsistent log).
    Reloaded {
        block: u64,
    },
}

/// Brings `tracked` to the chain head: logs since its cursor, or a full reload after a reorg or a
/// log that does not fit the state. The lock is never held across a network call.
pub async fn sync<S: PoolSet + Clone>(
    provider: &DynProvider,
    tracked: &std::sync::RwLock<Tracked<S>>,
) -> Result<SyncOutcome, AmmError> {
    let (cursor, addresses, topics) = {
        let t = tracked
            .read()
            .map_err(|_| AmmError::Rpc("pool state lock poisoned".into()))?;
        (t.cursor, t.set.addresses(), t.set.topics())
    };
    let step = next_logs(provider, cursor, &addresses, &topics).await?;
    let reload_at = match step {
        SyncStep::UpToDate => return Ok(SyncOutcome::UpToDate),
        SyncStep::Reorged { head } => head,
        SyncStep::Logs { logs, head } => {
            let mut t = tracked
                .write()
                .map_err(|_| AmmError::Rpc("pool state lock poisoned".into()))?;
            if t.cursor != cursor {
                // Someone else synced meanwhile.
                return Ok(SyncOutcome::UpToDate);
            }
            let mut next = t.set.clone();
            let applied = logs.iter().try_for_each(|l| next.apply(l));
            match applied {
                Ok(()) => {
                    t.set = next;
                    t.cursor = head;
                    return Ok(SyncOutcome::Advanced {
                        logs: logs.len(),
                        block: head.number,
                    });
                }
                Err(e) => {
                    tracing::warn!(error = %e, "pool log did not apply; reloading pools");
                    head
                }
            }
        }
    };
    let current = {
        let t = tracked
            .read()
            .map_err(|_| AmmError::Rpc("pool state lock poisoned".into()))?;
        t.set.clone()
    };
    let fresh = current.reload(provider, reload_at.number).await?;
    let mut t = tracked
        .write()
        .map_err(|_| AmmError::Rpc("pool state lock poisoned".into()))?;
    t.set = fresh;
    t.cursor = reload_at;
    Ok(SyncOutcome::Reloaded {
        block: reload_at.number,
    })
}
