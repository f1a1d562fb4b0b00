//! The EVM client on a real anvil: websocket and HTTP, retries while a node comes up, JSON-RPC
//! batches, EIP-1559 and legacy fees with their cap, gas estimates with a margin.

use crate::evm_support;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use alloy::eips::BlockNumberOrTag;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::providers::ext::AnvilApi;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::{SolCall, SolValue};
use sluice::chain::FeeModel;
use sluice::chain::evm::{
    Backoff, ClientOptions, EvmClient, EvmError, FeePolicy, Fees, RevertReason,
};
use sluice_sim::anvil::{Anvil, AnvilOptions};

use evm_support::*;

const GWEI: u128 = 1_000_000_000;

fn transfer(to: Address, wei: u64) -> TransactionRequest {
    TransactionRequest::default().to(to).value(U256::from(wei))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_client_reads_and_sends() {
    let anvil = node().await;
    let ws = EvmClient::connect(&anvil_spec(), &anvil.ws_url())
        .await
        .unwrap();
    assert_eq!(ws.chain_id(), 31337);
    assert_eq!(ws.endpoint(), anvil.ws_url());
    let http = client(&anvil).await;
    assert_eq!(ws.genesis_hash(), http.genesis_hash());

    let payee = account(9);
    let before = ws.native_balance(payee).await.unwrap();
    let tx = tracker(&ws, 1, fast_config())
        .send(transfer(payee, 42))
        .await
        .unwrap();
    let outcome = within("mined over ws", tx.mined()).await.unwrap();
    assert!(outcome.success);
    assert_eq!(
        http.native_balance(payee).await.unwrap(),
        before + U256::from(42)
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transient_errors_are_retried_with_backoff() {
    // Nothing listens yet: the connection is refused until the node starts 400 ms later.
    let port = free_port();
    let starter = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(400)).await;
        Anvil::spawn(AnvilOptions {
            port: Some(port),
            ..AnvilOptions::default()
        })
        .await
        .unwrap()
    });
    let started = Instant::now();
    let client = EvmClient::connect(&anvil_spec(), &format!("http://127.0.0.1:{port}"))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400));
    assert_eq!(client.chain_id(), 31337);
    let _anvil = starter.await.unwrap();

    // A node that never comes: the retries run out and the error says it may succeed later.
    let dead = free_port();
    let mut options = ClientOptions::for_spec(&anvil_spec());
    options.backoff = Backoff {
        initial: Duration::from_millis(40),
        max: Duration::from_millis(100),
        factor: 2,
        max_retries: 3,
        attempt_timeout: Duration::from_secs(5),
    };
    let started = Instant::now();
    let err = EvmClient::connect_with(&anvil_spec(), &format!("http://127.0.0.1:{dead}"), options)
        .await
        .unwrap_err();
    // Three waits of at least 20, 40 and 50 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(110),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_retryable(), "{err}");
    assert!(matches!(err, EvmError::Rpc { .. }), "{err}");

    // A node that accepts connections and never answers: each attempt times out, then retries.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    let _holder = std::thread::spawn(move || {
        let mut held = Vec::new();
        for conn in silent.incoming().take(8) {
            held.push(conn);
        }
        std::thread::sleep(Duration::from_secs(5));
    });
    let mut options = ClientOptions::for_spec(&anvil_spec());
    options.backoff = Backoff {
        initial: Duration::from_millis(10),
        max: Duration::from_millis(10),
        factor: 1,
        max_retries: 2,
        attempt_timeout: Duration::from_millis(150),
    };
    let started = Instant::now();
    let err = EvmClient::connect_with(
        &anvil_spec(),
        &format!("http://127.0.0.1:{silent_port}"),
        options,
    )
    .await
    .unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(450), "{waited:?}");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
    assert!(
        err.is_retryable() && err.to_string().contains("no answer within"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_calls_go_in_one_batch_with_results_in_order() {
    alloy::sol! {
        interface IToken {
            function symbol() external view returns (string);
            function decimals() external view returns (uint8);
            function transfer(address to, uint256 value) external returns (bool);
        }
    }
    let anvil = node().await;
    let client = client(&anvil).await;
    let token = deploy(&anvil, "RevertingToken.sol", "RevertingToken", &[]).await;
    let call = |data: Vec<u8>| {
        TransactionRequest::default()
            .to(token)
            .input(Bytes::from(data).into())
    };
    let results = client
        .call_many(&[
            call(IToken::symbolCall {}.abi_encode()),
            call(IToken::decimalsCall {}.abi_encode()),
            call(
                IToken::transferCall {
                    to: account(2),
                    value: U256::from(1),
                }
                .abi_encode(),
            ),
        ])
        .await
        .unwrap();
    assert_eq!(results.len(), 3);
    let symbol = results[0].as_ref().unwrap();
    assert_eq!(String::abi_decode(symbol).unwrap(), "REV");
    assert_eq!(
        U256::abi_decode(results[1].as_ref().unwrap()).unwrap(),
        U256::from(18)
    );
    match &results[2] {
        Err(e) => assert_eq!(
            e.revert_reason(),
            Some(&RevertReason::Error {
                message: "RevertingToken: transfers are disabled".into()
            })
        ),
        Ok(out) => panic!("transfer should revert, got {out}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eip1559_fees_follow_the_base_fee_and_respect_the_cap() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let p = anvil.read_provider();
    p.anvil_set_next_block_base_fee_per_gas(50 * GWEI)
        .await
        .unwrap();
    p.evm_mine(None).await.unwrap();
    let history = p
        .get_fee_history(1, BlockNumberOrTag::Latest, &[])
        .await
        .unwrap();
    let next = history.next_block_base_fee().unwrap();
    assert!(next > 40 * GWEI && next <= 50 * GWEI, "{next}");

    let fees = client.suggest_fees().await.unwrap();
    // Empty blocks pay no tips: the policy's minimum tip (1 gwei); twice the base fee of headroom.
    assert_eq!(
        fees,
        Fees::Eip1559 {
            max_fee_per_gas: 2 * next + GWEI,
            max_priority_fee_per_gas: GWEI
        }
    );

    let tx = tracker(&client, 1, fast_config())
        .send(transfer(account(2), 1))
        .await
        .unwrap();
    let outcome = within("mined", tx.mined()).await.unwrap();
    let block = p
        .get_block_by_number(outcome.block_number.into())
        .await
        .unwrap()
        .unwrap();
    let base = u128::from(block.header.base_fee_per_gas.unwrap());
    assert_eq!(outcome.effective_gas_price, base + GWEI);
    assert_eq!(
        outcome.cost_wei,
        U256::from(outcome.gas_used) * U256::from(base + GWEI)
    );

    // A cap below base fee + tip: refused, and worth retrying later.
    let mut options = ClientOptions::for_spec(&anvil_spec());
    options.fees = FeePolicy {
        cap_wei: 10 * GWEI,
        ..FeePolicy::default()
    };
    let capped = EvmClient::connect_with(&anvil_spec(), anvil.url().as_str(), options)
        .await
        .unwrap();
    let err = capped.suggest_fees().await.unwrap_err();
    assert!(
        matches!(err, EvmError::FeeCapExceeded { cap, .. } if cap == 10 * GWEI),
        "{err}"
    );
    assert!(err.is_retryable());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_chains_use_the_gas_price() {
    let anvil = node().await;
    let mut spec = anvil_spec();
    spec.fee_model = FeeModel::Legacy;
    let client = EvmClient::connect(&spec, anvil.url().as_str())
        .await
        .unwrap();
    let node_price = anvil.read_provider().get_gas_price().await.unwrap();
    assert_eq!(
        client.suggest_fees().await.unwrap(),
        Fees::Legacy {
            gas_price: node_price
        }
    );
    // Gas limit = estimate + 20 %.
    let gas = client
        .estimate_gas(&transfer(account(2), 1).from(account(1)))
        .await
        .unwrap();
    assert_eq!(gas, 25_200);

    let tx = tracker(&client, 1, fast_config())
        .send(transfer(account(2), 1))
        .await
        .unwrap();
    let outcome = within("mined", tx.mined()).await.unwrap();
    assert!(outcome.success);
    let sent = anvil
        .read_provider()
        .get_transaction_by_hash(outcome.hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        alloy::consensus::Typed2718::ty(&sent),
        0,
        "a legacy transaction"
    );
    assert_eq!(outcome.effective_gas_price, node_price);
}
