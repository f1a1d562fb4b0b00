//! The transaction tracker and the nonce manager on a real anvil: concurrent sends, drops, stuck
//! transactions, cancels, reorgs and reverts.

use crate::evm_support;

use std::time::Duration;

use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use alloy::rpc::types::anvil::ReorgOptions;
use alloy::sol_types::SolValue;
use futures::future::join_all;
use sluice::chain::evm::{EvmError, RevertReason, TxEvent, TxPhase};

use evm_support::*;

fn transfer(to: Address, wei: u64) -> TransactionRequest {
    TransactionRequest::default().to(to).value(U256::from(wei))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_transfers_get_consecutive_nonces() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let tracker = tracker(&client, 3, fast_config());
    let to = account(4);

    let sends = (0..50).map(|i| {
        let tracker = tracker.clone();
        async move { tracker.send(transfer(to, 1_000 + i)).await.unwrap() }
    });
    let txs = join_all(sends).await;
    let mut nonces: Vec<u64> = txs.iter().map(|t| t.nonce()).collect();
    nonces.sort_unstable();
    assert_eq!(nonces, (0..50).collect::<Vec<u64>>());

    let all = join_all(txs.iter().map(|t| t.finalized()));
    let Ok(outcomes) = tokio::time::timeout(Duration::from_secs(20), all).await else {
        let open: Vec<_> = txs
            .iter()
            .map(|t| t.report())
            .filter(|r| r.phase != TxPhase::Final)
            .collect();
        let pool: serde_json::Value = client
            .provider()
            .raw_request("txpool_content".into(), ())
            .await
            .unwrap();
        panic!("not final after 20 s: {open:#?}\npool: {pool:#}");
    };
    let mut mined_nonces = Vec::new();
    for (tx, outcome) in txs.iter().zip(outcomes) {
        let outcome = outcome.unwrap();
        assert!(outcome.success);
        assert_eq!(outcome.hash, tx.hash());
        assert!(outcome.gas_used >= 21_000);
        assert!(outcome.cost_native > rust_decimal::Decimal::ZERO);
        // The node agrees on the nonce of what was mined.
        let on_chain = client
            .provider()
            .get_transaction_by_hash(outcome.hash)
            .await
            .unwrap()
            .unwrap();
        mined_nonces.push(alloy::consensus::Transaction::nonce(&on_chain));
    }
    mined_nonces.sort_unstable();
    assert_eq!(mined_nonces, (0..50).collect::<Vec<u64>>());
    assert_eq!(client.latest_nonce(tracker.account()).await.unwrap(), 50);
    // No gap: a resync finds the node exactly where the manager is.
    let report = tracker.nonces().resync().await.unwrap();
    assert_eq!((report.node_pending, report.next), (50, 50));
    assert!(report.gaps.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_transaction_is_rebroadcast() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    p.anvil_set_auto_mine(false).await.unwrap();
    let tracker = tracker(&client, 1, fast_config());

    let tx = tracker.send(transfer(account(2), 5)).await.unwrap();
    assert_eq!(tx.report().phase, TxPhase::Pending);
    let dropped = p.anvil_drop_transaction(tx.hash()).await.unwrap();
    assert_eq!(dropped, Some(tx.hash()));

    let r = until(&tx, "re-broadcast", |r| {
        r.events
            .iter()
            .any(|e| matches!(e, TxEvent::Rebroadcast { .. }))
    })
    .await;
    assert!(r.events.contains(&TxEvent::Dropped { hash: tx.hash() }));
    // The node has it again, and mining includes it.
    assert!(
        p.get_transaction_by_hash(tx.hash())
            .await
            .unwrap()
            .is_some()
    );
    p.evm_mine(None).await.unwrap();
    let outcome = within("finalized", tx.finalized()).await.unwrap();
    assert_eq!(outcome.hash, tx.hash());
    assert!(outcome.success && !outcome.replaced);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stuck_transaction_is_replaced_with_a_higher_fee() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    p.anvil_set_auto_mine(false).await.unwrap();
    let mut config = fast_config();
    config.stuck_after = Duration::from_millis(300);
    let tracker = tracker(&client, 1, config);

    let tx = tracker.send(transfer(account(2), 7)).await.unwrap();
    let r = until(&tx, "replacement", |r| {
        r.events
            .iter()
            .any(|e| matches!(e, TxEvent::Replaced { .. }))
    })
    .await;
    let (old, new, fees) = r
        .events
        .iter()
        .find_map(|e| match e {
            TxEvent::Replaced { old, new, fees } => Some((*old, *new, *fees)),
            _ => None,
        })
        .unwrap();
    assert_eq!(old, tx.hash());
    assert_ne!(new, old);
    let first_fees = match r.events.first() {
        Some(TxEvent::Sent { fees, .. }) => *fees,
        other => panic!("first event {other:?}"),
    };
    assert!(fees.max_per_gas() > first_fees.max_per_gas());

    p.evm_mine(None).await.unwrap();
    let outcome = within("mined", tx.mined()).await.unwrap();
    assert!(outcome.replaced && outcome.success && !outcome.cancelled);
    // The winner is whichever replacement the node kept: the latest one.
    assert_eq!(outcome.hash, tx.report().hash);
    assert_eq!(outcome.nonce, tx.nonce());
    assert!(p.get_transaction_receipt(old).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_replaces_with_a_zero_value_self_transfer() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    p.anvil_set_auto_mine(false).await.unwrap();
    let tracker = tracker(&client, 1, fast_config());
    let payee = account(5);
    let before = client.native_balance(payee).await.unwrap();

    let tx = tracker
        .send(transfer(payee, 1_000_000_000_000_000_000))
        .await
        .unwrap();
    let cancel_hash = tx.cancel().await.unwrap();
    p.evm_mine(None).await.unwrap();
    let outcome = within("finalized", tx.finalized()).await.unwrap();
    assert!(outcome.cancelled && outcome.replaced && outcome.success);
    assert_eq!(outcome.hash, cancel_hash);
    assert_eq!(client.native_balance(payee).await.unwrap(), before);
    // Nothing left to cancel.
    assert!(tx.cancel().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reorg_removing_a_mined_transaction_is_followed_to_confirmation() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    let mut config = fast_config();
    config.confirmations = 3;
    let tracker = tracker(&client, 1, config);

    let tx = tracker.send(transfer(account(6), 9)).await.unwrap();
    let first = within("mined", tx.mined()).await.unwrap();
    assert!(matches!(
        tx.report().phase,
        TxPhase::Included { confirmations: 1 }
    ));

    // Replace the block that holds it (and nothing put back).
    p.anvil_reorg(ReorgOptions {
        depth: 1,
        tx_block_pairs: vec![],
    })
    .await
    .unwrap();
    let r = until(&tx, "removal by reorg", |r| {
        r.events
            .iter()
            .any(|e| matches!(e, TxEvent::RemovedByReorg { .. }))
    })
    .await;
    assert!(r.events.contains(&TxEvent::RemovedByReorg {
        hash: tx.hash(),
        block_number: first.block_number,
        block_hash: first.block_hash,
    }));

    // Followed again: back in a block (re-broadcast if the node forgot it), then confirmed.
    let again = until(&tx, "re-inclusion", |r| {
        r.outcome
            .as_ref()
            .is_some_and(|o| o.block_hash != first.block_hash)
    })
    .await;
    assert!(again.outcome.unwrap().success);
    p.anvil_mine(Some(3), None).await.unwrap();
    let last = within("finalized", tx.finalized()).await.unwrap();
    assert_ne!(last.block_hash, first.block_hash);
    let receipt = p.get_transaction_receipt(tx.hash()).await.unwrap().unwrap();
    assert_eq!(receipt.block_hash, Some(last.block_hash));
    let included = tx
        .report()
        .events
        .iter()
        .filter(|e| matches!(e, TxEvent::Included { .. }))
        .count();
    assert_eq!(included, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverts_report_their_decoded_reason() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let token = deploy(&anvil, "RevertingToken.sol", "RevertingToken", &[]).await;
    let tracker = tracker(&client, 1, fast_config());
    let data = sluice_transfer_call(account(2), U256::from(1));
    let call = TransactionRequest::default()
        .to(token)
        .input(data.clone().into());
    let want = RevertReason::Error {
        message: "RevertingToken: transfers are disabled".into(),
    };

    // Refused before sending: the gas estimate reverts.
    let err = tracker.send(call.clone()).await.unwrap_err();
    assert_eq!(err.revert_reason(), Some(&want), "{err}");
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("transfers are disabled"), "{err}");

    // Sent anyway (a fixed gas limit skips the estimate): mined as reverted, with the reason.
    let tx = tracker.send(call.gas_limit(100_000)).await.unwrap();
    assert_eq!(tx.nonce(), 0);
    let outcome = within("finalized", tx.finalized()).await.unwrap();
    assert!(!outcome.success);
    assert_eq!(outcome.revert, Some(want));
    assert!(
        tx.report()
            .events
            .iter()
            .any(|e| matches!(e, TxEvent::Included { success: false, .. }))
    );
}

fn sluice_transfer_call(to: Address, amount: U256) -> Vec<u8> {
    let mut data = alloy::primitives::keccak256("transfer(address,uint256)")[..4].to_vec();
    data.extend((to, amount).abi_encode_params());
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chain_id_mismatch_is_a_clear_error() {
    let anvil = node().await;
    let specs = sluice::chain::ChainSpecs::builtin().unwrap();
    let mainnet = specs.get("ethereum").unwrap();
    let err = sluice::chain::evm::EvmClient::connect(mainnet, anvil.url().as_str())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            EvmError::ChainIdMismatch {
                expected: 1,
                actual: 31337,
                ..
            }
        ),
        "{err}"
    );
    let text = err.to_string();
    assert!(
        text.contains("\"ethereum\"") && text.contains("31337"),
        "{text}"
    );
    assert!(!err.is_retryable());
}
