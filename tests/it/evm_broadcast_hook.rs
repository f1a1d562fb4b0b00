//! The tracker's before-broadcast hook on a real anvil: it sees every signed transaction (first send,
//! speed-up and cancel) before the node does, with the hash that then gets mined; a hook that fails
//! stops the broadcast, and the nonce is given back.

use crate::evm_support;

use std::sync::{Arc, Mutex};

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use sluice::chain::evm::{EvmError, SignedTx};

use evm_support::*;

fn transfer(to: Address, wei: u64) -> TransactionRequest {
    TransactionRequest::default().to(to).value(U256::from(wei))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hook_sees_every_signed_transaction_before_the_node() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    p.anvil_set_auto_mine(false).await.unwrap();
    let seen: Arc<Mutex<Vec<(SignedTx, bool)>>> = Arc::default();
    let (log, node) = (seen.clone(), p.clone());
    let tracker =
        tracker(&client, 1, fast_config()).with_before_broadcast(Arc::new(move |s: &SignedTx| {
            // The node must not know it yet: the hook runs before the broadcast.
            let hash = s.hash;
            let known = tokio::task::block_in_place(|| {
                tokio::runtime::Handle::current()
                    .block_on(node.get_transaction_by_hash(hash))
                    .map(|t| t.is_some())
                    .unwrap_or(true)
            });
            log.lock().unwrap().push((s.clone(), known));
            Ok(())
        }));

    let tx = tracker.send(transfer(account(2), 5)).await.unwrap();
    let sped = tx.speed_up().await.unwrap();
    let cancel = tx.cancel().await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "{seen:?}");
    let hashes: Vec<_> = seen.iter().map(|(s, _)| s.hash).collect();
    assert_eq!(hashes, [tx.hash(), sped, cancel]);
    for (s, known) in &seen {
        assert!(!known, "the node knew {} before the hook ran", s.hash);
        assert_eq!(s.nonce, tx.nonce());
        assert_eq!(s.from, account(1));
    }
    assert_eq!(
        seen.iter().map(|(s, _)| s.replacement).collect::<Vec<_>>(),
        [false, true, true]
    );
    assert_eq!(seen[0].0.to, Some(account(2)));
    assert_eq!(
        seen[2].0.to,
        Some(account(1)),
        "a cancel is a transfer to oneself"
    );
    p.evm_mine(None).await.unwrap();
    let outcome = within("mined", tx.mined()).await.unwrap();
    assert!(hashes.contains(&outcome.hash));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_hook_stops_the_broadcast_and_gives_the_nonce_back() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    let plain = tracker(&client, 1, fast_config());
    let refused = Arc::new(Mutex::new(None));
    let r = refused.clone();
    let failing = plain.with_before_broadcast(Arc::new(move |s: &SignedTx| {
        *r.lock().unwrap() = Some(s.hash);
        Err("journal unavailable".into())
    }));
    let err = failing.send(transfer(account(2), 5)).await.unwrap_err();
    let hash = refused.lock().unwrap().unwrap();
    match &err {
        EvmError::NotRecorded {
            hash: h,
            nonce,
            reason,
        } => {
            assert_eq!((*h, *nonce), (hash, 0));
            assert!(reason.contains("journal unavailable"));
        }
        other => panic!("{other:?}"),
    }
    assert!(p.get_transaction_by_hash(hash).await.unwrap().is_none());
    // The same account's next transaction gets nonce 0 (shared nonce manager, nonce given back).
    let tx = plain.send(transfer(account(2), 6)).await.unwrap();
    assert_eq!(tx.nonce(), 0);
    assert!(within("mined", tx.mined()).await.unwrap().success);
}
