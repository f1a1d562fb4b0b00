//! The hostile test tokens from `contracts-test/` are deployed in the environment, funded, and misbehave
//! exactly as documented, so the EVM layer's tests can rely on them.

use crate::anvil_support;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol;
use alloy::sol_types::SolCall;
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::LocalEnv;
use sluice_sim::deploy::test_contracts::FEE_ON_TRANSFER_BPS;

use anvil_support::trades;

sol! {
    interface IToken {
        function transfer(address to, uint256 value) external returns (bool);
        function approve(address spender, uint256 value) external returns (bool);
        function decimals() external view returns (uint8);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_tokens_misbehave_as_documented() {
    let env = LocalEnv::start().await.unwrap();
    let p = env.anvil.provider();
    let h = env
        .manifest
        .hostile_tokens
        .clone()
        .expect("hostile tokens in the manifest");
    let (alice, bob) = (dev_addresses()[4], dev_addresses()[5]);

    // Fee on transfer: bob receives 1 % less than alice sent.
    let sent = U256::from(10_000u64);
    let before = trades::balance(&p, h.fee_on_transfer, bob).await.unwrap();
    trades::send(
        &p,
        alice,
        h.fee_on_transfer,
        &IToken::transferCall {
            to: bob,
            value: sent,
        },
        U256::ZERO,
    )
    .await
    .unwrap();
    let got = trades::balance(&p, h.fee_on_transfer, bob).await.unwrap() - before;
    assert_eq!(
        got,
        sent - sent * U256::from(FEE_ON_TRANSFER_BPS) / U256::from(10_000u64)
    );

    // No bool: transfer returns no data at all, and a non-zero → non-zero approval reverts.
    let raw = call_raw(
        &p,
        alice,
        h.no_bool,
        IToken::transferCall {
            to: bob,
            value: U256::from(1u64),
        }
        .abi_encode(),
    )
    .await
    .unwrap();
    assert!(
        raw.is_empty(),
        "USDT-like transfer returns nothing, got {raw:?}"
    );
    assert!(IToken::transferCall::abi_decode_returns(&raw).is_err());
    let approve = |v: u64| IToken::approveCall {
        spender: bob,
        value: U256::from(v),
    };
    trades::send(&p, alice, h.no_bool, &approve(5), U256::ZERO)
        .await
        .unwrap();
    let err = call_raw(&p, alice, h.no_bool, approve(6).abi_encode())
        .await
        .unwrap_err();
    assert!(err.contains("NoBoolToken: approve from non-zero"), "{err}");
    trades::send(&p, alice, h.no_bool, &approve(0), U256::ZERO)
        .await
        .unwrap();
    trades::send(&p, alice, h.no_bool, &approve(6), U256::ZERO)
        .await
        .unwrap();

    // Always reverting, with a reason.
    let err = call_raw(
        &p,
        alice,
        h.reverting,
        IToken::transferCall {
            to: bob,
            value: U256::from(1u64),
        }
        .abi_encode(),
    )
    .await
    .unwrap_err();
    assert!(
        err.contains("RevertingToken: transfers are disabled"),
        "{err}"
    );
    assert!(trades::balance(&p, h.reverting, alice).await.unwrap() > U256::ZERO);

    // Two decimals.
    let d = trades::read(&p, alice, h.two_decimals, &IToken::decimalsCall {})
        .await
        .unwrap();
    assert_eq!(d, 2);
    assert_eq!(
        trades::balance(&p, h.two_decimals, alice).await.unwrap(),
        U256::from(100_000_000u64)
    );
}

async fn call_raw(
    p: &alloy::providers::DynProvider,
    from: Address,
    to: Address,
    data: Vec<u8>,
) -> Result<alloy::primitives::Bytes, String> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(data);
    p.call(tx).await.map_err(|e| e.to_string())
}
