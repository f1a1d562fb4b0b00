//! Shared by the EVM layer's integration tests: a fresh anvil per test, a client on it, trackers for
//! dev accounts, and deployment of the test tokens compiled in `contracts-test/`.
#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::Address;
use sluice::chain::evm::{EvmClient, TrackerConfig, TxReport, TxTracker};
use sluice::chain::{ChainSpec, ChainSpecs};
use sluice_sim::anvil::{Anvil, AnvilOptions, dev_signer};
use sluice_sim::deploy::{Artifact, Deployer};

pub fn anvil_spec() -> ChainSpec {
    ChainSpecs::builtin().unwrap().get("anvil").unwrap().clone()
}

/// A fresh anvil. Each gets its own genesis timestamp, so that nodes started in the same second are
/// different chains to the process-wide nonce managers (keyed by chain id and genesis hash).
pub async fn node() -> Anvil {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    Anvil::spawn(AnvilOptions {
        timestamp: Some(1_700_000_000 + n * 1_000),
        ..AnvilOptions::default()
    })
    .await
    .unwrap()
}

/// Awaits `fut` for at most 20 s.
pub async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

pub async fn client(anvil: &Anvil) -> EvmClient {
    EvmClient::connect(&anvil_spec(), anvil.url().as_str())
        .await
        .unwrap()
}

/// Fast polling, no automatic replacement unless a test asks for it, final at inclusion.
pub fn fast_config() -> TrackerConfig {
    TrackerConfig {
        poll_interval: Duration::from_millis(50),
        stuck_after: Duration::from_secs(600),
        confirmations: 1,
        drop_after_misses: 2,
        max_replacements: 3,
    }
}

/// A tracker signing as dev account `index` (account 0 is the deployer's).
pub fn tracker(client: &EvmClient, index: usize, config: TrackerConfig) -> TxTracker {
    let wallet = EthereumWallet::from(dev_signer(index).unwrap().clone());
    TxTracker::new(client.clone(), wallet, config)
}

pub fn account(index: usize) -> Address {
    dev_signer(index).unwrap().address()
}

/// Deploys `contracts-test/out/<file>/<name>.json` from dev account 0.
pub async fn deploy(anvil: &Anvil, file: &str, name: &str, args: &[u8]) -> Address {
    let artifact = Artifact::load(&format!("contracts-test/out/{file}/{name}.json")).unwrap();
    Deployer::new(anvil.provider(), account(0))
        .deploy(name, &artifact, args)
        .await
        .unwrap()
}

/// Waits (at most 20 s) until the report satisfies `pred`.
pub async fn until(
    tx: &sluice::chain::evm::TrackedTx,
    what: &str,
    pred: impl FnMut(&TxReport) -> bool,
) -> TxReport {
    tokio::time::timeout(Duration::from_secs(20), tx.wait_for(pred))
        .await
        .unwrap_or_else(|_| panic!("timed out waiting for {what}: {:#?}", tx.report()))
        .unwrap()
}
