//! The nonce manager: one per (chain, node, account) in the process ([`NonceManager::shared`]). It hands
//! out nonces under a lock, so concurrent submissions get consecutive nonces; it learns the node's
//! pending count on first use and again after an error ([`NonceManager::invalidate`]); on each
//! resync it reports gaps (nonces handed out that the node does not have) and reuses the ones no
//! tracker will re-broadcast, so the account's queue is never stuck behind a hole.
//!
//! Senders take a [`NonceManager::send_turn`] from allocation to broadcast, so nonces also reach
//! the node in order.
//!
//! The node is reached through the small [`NonceSource`] trait, so the logic is tested without one.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use alloy::primitives::{Address, B256};
use async_trait::async_trait;

use super::client::EvmClient;
use super::error::EvmError;

/// Where the manager learns the node's view of an account.
#[async_trait]
pub trait NonceSource: Send + Sync {
    /// The number of transactions of `account`, counting the node's pending pool.
    async fn pending_count(&self, account: Address) -> Result<u64, EvmError>;

    /// Nonces of `account` waiting in the node's pool behind a missing one ("queued"), if the
    /// node tells (`txpool_contentFrom`); empty when it does not.
    async fn queued_nonces(&self, _account: Address) -> Vec<u64> {
        Vec::new()
    }
}

#[async_trait]
impl NonceSource for EvmClient {
    async fn pending_count(&self, account: Address) -> Result<u64, EvmError> {
        self.pending_nonce(account).await
    }

    async fn queued_nonces(&self, account: Address) -> Vec<u64> {
        self.queued_nonces(account).await
    }
}

/// The outcome of a resynchronisation with the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// The node's pending transaction count.
    pub node_pending: u64,
    /// The next fresh nonce after the resync.
    pub next: u64,
    /// Nonces below `next` that the node does not have and nobody is about to send.
    pub gaps: Vec<u64>,
}

#[derive(Debug, Default)]
struct State {
    synced: bool,
    next: u64,
    /// Handed out, not yet sent or released.
    held: BTreeSet<u64>,
    /// Sent and followed by a tracker, not yet settled.
    sent: BTreeSet<u64>,
    /// Below `next` and free again (released, or a gap): handed out before fresh ones.
    free: BTreeSet<u64>,
    last_report: Option<SyncReport>,
}

/// Nonces of one account on one chain. See the module doc.
pub struct NonceManager {
    account: Address,
    source: Arc<dyn NonceSource>,
    state: Mutex<State>,
    /// Serializes resyncs (they await the node; the state lock is never held across an await).
    sync_gate: tokio::sync::Mutex<()>,
    /// Held from allocation to broadcast by senders, so the node receives nonces in order.
    send_order: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for NonceManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NonceManager")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// Chain id, genesis hash, the node's endpoint (scheme, host, port), account.
type RegistryKey = (u64, B256, String, Address);

fn registry() -> &'static Mutex<HashMap<RegistryKey, Arc<NonceManager>>> {
    static REGISTRY: OnceLock<Mutex<HashMap<RegistryKey, Arc<NonceManager>>>> = OnceLock::new();
    REGISTRY.get_or_init(|| Mutex::new(HashMap::new()))
}

impl NonceManager {
    /// A manager not shared through the process registry (tests, or a fork that shares its
    /// parent's genesis).
    pub fn new(source: Arc<dyn NonceSource>, account: Address) -> Arc<Self> {
        Arc::new(Self {
            account,
            source,
            state: Mutex::new(State::default()),
            sync_gate: tokio::sync::Mutex::new(()),
            send_order: tokio::sync::Mutex::new(()),
        })
    }

    /// The one manager of this process for (the client's chain and node, `account`). A chain is
    /// its chain id plus its genesis hash, and the node its endpoint: the manager asks that node for
    /// the account's pending count, so two nodes that share a genesis but not their state (local
    /// nodes started from one snapshot, a fork and its parent) each get their own, while the
    /// clients of one node (venues on the same chain and RPC URL) share one.
    pub fn shared(client: &EvmClient, account: Address) -> Arc<Self> {
        let key = (
            client.chain_id(),
            client.genesis_hash(),
            client.endpoint().to_string(),
            account,
        );
        let mut map = registry().lock().unwrap_or_else(|p| p.into_inner());
        map.entry(key)
            .or_insert_with(|| Self::new(Arc::new(client.clone()), account))
            .clone()
    }

    pub fn account(&self) -> Address {
        self.account
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next nonce, held until the lease is marked sent or released (dropping it releases it).
    pub async fn allocate(self: &Arc<Self>) -> Result<NonceLease, EvmError> {
        loop {
            {
                let mut s = self.lock();
                if s.synced {
                    let nonce = match s.free.pop_first() {
                        Some(n) => n,
                        None => {
                            let n = s.next;
                            s.next += 1;
                            n
                        }
                    };
                    s.held.insert(nonce);
                    return Ok(NonceLease {
                        nonce,
                        manager: Arc::clone(self),
                        done: false,
                    });
                }
            }
            let _gate = self.sync_gate.lock().await;
            if !self.lock().synced {
                self.resync_now().await?;
            }
        }
    }

    /// A turn to allocate, sign and broadcast: holding it from [`Self::allocate`] until the
    /// transaction is sent makes the node receive this account's nonces in order (some nodes
    /// refuse a nonce above their pending count, and a local anvil may leave one unmined). Only
    /// signing and the broadcast itself are serialized; callers estimate gas and fees before.
    pub async fn send_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.send_order.lock().await
    }

    /// Forces a resync before the next allocation (call after a send failed in a way that may
    /// leave the local view wrong: nonce too low, a timeout, an unknown node error).
    pub fn invalidate(&self) {
        self.lock().synced = false;
    }

    /// Asks the node for the pending count now and reconciles; returns the report (gaps
    /// included). Also logged as a warning when there are gaps.
    pub async fn resync(&self) -> Result<SyncReport, EvmError> {
        let _gate = self.sync_gate.lock().await;
        self.resync_now().await
    }

    async fn resync_now(&self) -> Result<SyncReport, EvmError> {
        let pending = self.source.pending_count(self.account).await?;
        let queued: BTreeSet<u64> = self
            .source
            .queued_nonces(self.account)
            .await
            .into_iter()
            .filter(|n| *n >= pending)
            .collect();
        let mut s = self.lock();
        // Past the node's pending count and whatever waits queued behind a hole.
        let floor = queued.last().map_or(pending, |q| pending.max(q + 1));
        s.next = s.next.max(floor);
        s.sent.retain(|n| *n >= pending);
        s.free.retain(|n| *n >= pending && !queued.contains(n));
        let next = s.next;
        let gaps: Vec<u64> = (pending..next)
            .filter(|n| !s.held.contains(n) && !queued.contains(n))
            .collect();
        for g in &gaps {
            // A tracked transaction re-broadcasts itself; the rest are reused.
            if !s.sent.contains(g) {
                s.free.insert(*g);
            }
        }
        let report = SyncReport {
            node_pending: pending,
            next,
            gaps,
        };
        if !report.gaps.is_empty() {
            tracing::warn!(account = %self.account, gaps = ?report.gaps, node_pending = pending, "nonce gap detected");
        }
        s.synced = true;
        s.last_report = Some(report.clone());
        Ok(report)
    }

    /// The last resync's report.
    pub fn last_report(&self) -> Option<SyncReport> {
        self.lock().last_report.clone()
    }

    /// A tracked transaction with this nonce is mined (or abandoned): stop counting it as sent.
    pub fn settle(&self, nonce: u64) {
        self.lock().sent.remove(&nonce);
    }

    /// The next fresh nonce, if synced.
    pub fn peek_next(&self) -> Option<u64> {
        let s = self.lock();
        s.synced.then_some(s.next)
    }

    fn finish(&self, nonce: u64, sent: bool) {
        let mut s = self.lock();
        s.held.remove(&nonce);
        if sent {
            s.sent.insert(nonce);
        } else if nonce + 1 == s.next && s.free.is_empty() {
            s.next = nonce;
        } else {
            s.free.insert(nonce);
        }
    }
}

/// A nonce handed out by a [`NonceManager`].
#[derive(Debug)]
pub struct NonceLease {
    nonce: u64,
    manager: Arc<NonceManager>,
    done: bool,
}

impl NonceLease {
    pub fn nonce(&self) -> u64 {
        self.nonce
    }

    /// The transaction reached the node: the nonce is used.
    pub fn sent(mut self) {
        self.done = true;
        self.manager.finish(self.nonce, true);
    }

    /// The transaction never reached the node: the nonce goes back to be reused first.
    pub fn release(mut self) {
        self.done = true;
        self.manager.finish(self.nonce, false);
    }
}

impl Drop for NonceLease {
    fn drop(&mut self) {
        if !self.done {
            self.manager.finish(self.nonce, false);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A node whose pending count the test sets.
    struct FakeNode {
        pending: AtomicU64,
        calls: AtomicU64,
        queued: Mutex<Vec<u64>>,
    }

    #[async_trait]
    impl NonceSource for FakeNode {
        async fn pending_count(&self, _account: Address) -> Result<u64, EvmError> {
            self.calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(self.pending.load(Ordering::SeqCst))
        }

        async fn queued_nonces(&self, _account: Address) -> Vec<u64> {
            self.queued.lock().unwrap().clone()
        }
    }

    fn manager(pending: u64) -> (Arc<FakeNode>, Arc<NonceManager>) {
        let node = Arc::new(FakeNode {
            pending: AtomicU64::new(pending),
            calls: AtomicU64::new(0),
            queued: Mutex::new(Vec::new()),
        });
        let m = NonceManager::new(node.clone(), Address::repeat_byte(1));
        (node, m)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_allocations_are_consecutive() {
        let (node, m) = manager(7);
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let m = m.clone();
            tasks.push(tokio::spawn(async move {
                let lease = m.allocate().await.unwrap();
                let n = lease.nonce();
                lease.sent();
                n
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        got.sort_unstable();
        assert_eq!(got, (7..57).collect::<Vec<_>>());
        // Synced once, however many raced for the first nonce.
        assert_eq!(node.calls.load(Ordering::SeqCst), 1);
        assert_eq!(m.peek_next(), Some(57));
    }

    #[tokio::test]
    async fn released_nonces_are_reused_first() {
        let (_node, m) = manager(0);
        let a = m.allocate().await.unwrap();
        let b = m.allocate().await.unwrap();
        let c = m.allocate().await.unwrap();
        assert_eq!((a.nonce(), b.nonce(), c.nonce()), (0, 1, 2));
        a.sent();
        b.release();
        c.sent();
        assert_eq!(m.allocate().await.unwrap().nonce(), 1);
        // Dropping a lease released it; the last one just rolls `next` back.
        let d = m.allocate().await.unwrap();
        assert_eq!(d.nonce(), 1);
        drop(d);
        let e = m.allocate().await.unwrap();
        assert_eq!(e.nonce(), 1);
        e.sent();
        let f = m.allocate().await.unwrap();
        assert_eq!(f.nonce(), 3);
        f.release();
        assert_eq!(m.peek_next(), Some(3));
    }

    #[tokio::test]
    async fn resync_reports_and_fills_gaps() {
        let (node, m) = manager(10);
        for _ in 0..5 {
            m.allocate().await.unwrap().sent(); // 10..15 sent
        }
        let held = m.allocate().await.unwrap(); // 15, being signed
        // The node lost 12..15 (dropped); it has 10 and 11.
        node.pending.store(12, Ordering::SeqCst);
        // The trackers of 12 and 13 settle them as abandoned; 14 is still tracked.
        m.settle(12);
        m.settle(13);
        let r = m.resync().await.unwrap();
        assert_eq!(
            r,
            SyncReport {
                node_pending: 12,
                next: 16,
                gaps: vec![12, 13, 14]
            }
        );
        assert_eq!(m.last_report(), Some(r));
        // Untracked gaps are reused first; 14 is left to its tracker.
        assert_eq!(m.allocate().await.unwrap().nonce(), 12);
        drop(held);
    }

    #[tokio::test]
    async fn invalidate_follows_the_node_forward() {
        let (node, m) = manager(3);
        m.allocate().await.unwrap().sent();
        // Another process sent 5 transactions from the same account.
        node.pending.store(9, Ordering::SeqCst);
        m.invalidate();
        assert_eq!(m.peek_next(), None);
        let l = m.allocate().await.unwrap();
        assert_eq!(l.nonce(), 9);
        assert_eq!(node.calls.load(Ordering::SeqCst), 2);
        assert!(m.last_report().unwrap().gaps.is_empty());
    }

    #[tokio::test]
    async fn a_gap_found_at_start_is_reported_and_filled() {
        // After a restart: the node mined up to 4, and holds 6 and 8 queued behind holes.
        let (node, m) = manager(5);
        *node.queued.lock().unwrap() = vec![8, 6, 2];
        let r = m.resync().await.unwrap();
        assert_eq!(
            r,
            SyncReport {
                node_pending: 5,
                next: 9,
                gaps: vec![5, 7]
            }
        );
        assert_eq!(m.allocate().await.unwrap().nonce(), 5);
        let a = m.allocate().await.unwrap();
        let b = m.allocate().await.unwrap();
        assert_eq!((a.nonce(), b.nonce()), (5, 7));
        assert_eq!(m.allocate().await.unwrap().nonce(), 9);
    }
}
