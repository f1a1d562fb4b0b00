//! The nonce manager on a real anvil: a gap left in the node's pool (as after a crash between two
//! sends) is detected on start, reported, and filled by the next transaction.

use crate::evm_support;

use std::sync::Arc;

use alloy::network::TransactionBuilder;
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use sluice::chain::evm::{NonceManager, SyncReport, TxTracker};

use evm_support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gap_after_restart_is_detected_reported_and_filled() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let me = account(2);
    // Another run of the program sent nonces 0 and 2; 1 never reached the node.
    let p = anvil.provider();
    for nonce in [0u64, 2] {
        let tx = TransactionRequest::default()
            .with_from(me)
            .with_to(account(3))
            .with_value(U256::from(1))
            .with_nonce(nonce)
            .with_gas_limit(21_000)
            .with_max_fee_per_gas(10_000_000_000)
            .with_max_priority_fee_per_gas(1_000_000_000);
        let _pending = p.send_transaction(tx).await.unwrap();
    }
    assert_eq!(client.queued_nonces(me).await, vec![2]);

    let nonces = NonceManager::new(Arc::new(client.clone()), me);
    let report = nonces.resync().await.unwrap();
    assert_eq!(
        report,
        SyncReport {
            node_pending: 1,
            next: 3,
            gaps: vec![1]
        }
    );

    // The next transaction takes the hole, which lets the queued one through as well.
    let wallet =
        alloy::network::EthereumWallet::from(sluice_sim::anvil::dev_signer(2).unwrap().clone());
    let tracker =
        TxTracker::with_nonce_manager(client.clone(), wallet, nonces.clone(), fast_config());
    let tx = tracker
        .send(
            TransactionRequest::default()
                .to(account(3))
                .value(U256::from(1)),
        )
        .await
        .unwrap();
    assert_eq!(tx.nonce(), 1);
    within("mined", tx.mined()).await.unwrap();
    assert_eq!(client.latest_nonce(me).await.unwrap(), 3);
    let after = nonces.resync().await.unwrap();
    assert!(after.gaps.is_empty());
    assert_eq!(
        tracker
            .send(TransactionRequest::default().to(account(3)))
            .await
            .unwrap()
            .nonce(),
        3
    );
}

/// Two local nodes with one genesis (as every test node started from the deployment snapshot) are
/// two chains to the nonce manager: an account's nonces on one do not leak into the other.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_sharing_a_genesis_keep_their_own_nonces() {
    use sluice_sim::anvil::{Anvil, AnvilOptions};
    let options = || AnvilOptions {
        timestamp: Some(1_600_000_000),
        ..AnvilOptions::default()
    };
    let (a, b) = (
        Anvil::spawn(options()).await.unwrap(),
        Anvil::spawn(options()).await.unwrap(),
    );
    let (ca, cb) = (client(&a).await, client(&b).await);
    assert_eq!(ca.genesis_hash(), cb.genesis_hash(), "one genesis");
    let wallet =
        || alloy::network::EthereumWallet::from(sluice_sim::anvil::dev_signer(7).unwrap().clone());
    let transfer = || {
        TransactionRequest::default()
            .to(account(3))
            .value(U256::from(1))
    };
    let on_a = TxTracker::new(ca.clone(), wallet(), fast_config());
    for want in 0..2u64 {
        let tx = on_a.send(transfer()).await.unwrap();
        assert_eq!(tx.nonce(), want);
    }
    // Node B has never seen the account: its first transaction is nonce 0, and it is mined.
    let on_b = TxTracker::new(cb.clone(), wallet(), fast_config());
    let tx = on_b.send(transfer()).await.unwrap();
    assert_eq!(
        tx.nonce(),
        0,
        "a nonce from the other node would never be mined here"
    );
    let p = b.provider();
    for _ in 0..200 {
        if p.get_transaction_count(account(7)).await.unwrap() == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the transaction on node B was not mined");
}
