//! ERC-20 and WETH helpers on a real anvil, with the hostile tokens of `contracts-test/`: a USDT-like
//! token (no bool return, zero-first approvals), a fee-on-transfer token, one with 2 decimals, and one
//! that always reverts.

use crate::evm_support;

use alloy::primitives::{Address, U256};
use alloy::sol_types::SolValue;
use rust_decimal_macros::dec;
use sluice::chain::evm::{ApprovalPolicy, Erc20, EvmError, RevertReason, TxTracker, Weth};
use sluice_sim::anvil::Anvil;
use sluice_sim::deploy::tokens::{deploy_weth, units};
use sluice_sim::deploy::{Deployer, TokenInfo};

use evm_support::*;

/// Mints with the tokens' open `mint(address,uint256)`.
async fn mint(anvil: &Anvil, token: Address, to: Address, amount: U256) {
    alloy::sol! { interface IMint { function mint(address to, uint256 value) external; } }
    Deployer::new(anvil.provider(), account(0))
        .call("mint", token, &IMint::mintCall { to, value: amount })
        .await
        .unwrap();
}

async fn mined(tx: sluice::chain::evm::TrackedTx) -> sluice::chain::evm::TxOutcome {
    let o = within("mined", tx.mined()).await.unwrap();
    assert!(o.success, "{o:?}");
    o
}

fn test_token_args(name: &str, symbol: &str, decimals: u8) -> Vec<u8> {
    (name.to_string(), symbol.to_string(), U256::from(decimals)).abi_encode_params()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn standard_token_metadata_balances_transfer_and_approvals() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let address = deploy(
        &anvil,
        "TestToken.sol",
        "TestToken",
        &test_token_args("Dai Stablecoin", "DAI", 18),
    )
    .await;
    let me = account(1);
    mint(&anvil, address, me, units(1_000, 18)).await;
    let tracker: TxTracker = tracker(&client, 1, fast_config());
    let token = Erc20::new(client.clone(), address);

    assert!(client.cached_token(address).is_none());
    let meta = token.metadata().await.unwrap();
    assert_eq!(
        (meta.symbol.as_str(), meta.name.as_str(), meta.decimals),
        ("DAI", "Dai Stablecoin", 18)
    );
    assert_eq!(client.cached_token(address), Some(meta.clone()));
    // A second handle on the same client reads the cache.
    assert_eq!(
        Erc20::new(client.clone(), address)
            .metadata()
            .await
            .unwrap(),
        meta
    );
    assert_eq!(token.balance_decimal(me).await.unwrap(), dec!(1000));

    let payee = account(2);
    mined(
        token
            .transfer(&tracker, payee, units(250, 18))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(token.balance_of(payee).await.unwrap(), units(250, 18));
    assert_eq!(token.balance_decimal(me).await.unwrap(), dec!(750));

    // Exact, then a larger need with the unlimited policy: reset to zero first, then the maximum.
    let spender = account(7);
    let steps = token
        .ensure_allowance(&tracker, spender, units(10, 18), ApprovalPolicy::Exact)
        .await
        .unwrap();
    assert_eq!(steps.len(), 1);
    assert_eq!(token.allowance(me, spender).await.unwrap(), units(10, 18));
    let none = token
        .ensure_allowance(&tracker, spender, units(5, 18), ApprovalPolicy::Exact)
        .await
        .unwrap();
    assert!(none.is_empty());
    let steps = token
        .ensure_allowance(&tracker, spender, units(20, 18), ApprovalPolicy::Unlimited)
        .await
        .unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(token.allowance(me, spender).await.unwrap(), U256::MAX);

    // More than the balance: refused before sending, with the token's own reason.
    let err = token
        .transfer(&tracker, payee, units(1_000_000, 18))
        .await
        .unwrap_err();
    assert!(
        matches!(err.revert_reason(), Some(RevertReason::Error { message }) if message.contains("balance")),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usdt_like_token_without_bool_and_with_zero_first_approvals() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let address = deploy(&anvil, "NoBoolToken.sol", "NoBoolToken", &[]).await;
    let me = account(1);
    mint(&anvil, address, me, units(1_000, 6)).await;
    let tracker = tracker(&client, 1, fast_config());
    let token = Erc20::new(client.clone(), address);
    assert_eq!(token.metadata().await.unwrap().decimals, 6);

    // No return value at all: accepted.
    mined(
        token
            .transfer(&tracker, account(2), units(1, 6))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(token.balance_decimal(account(2)).await.unwrap(), dec!(1));

    let spender = account(8);
    token
        .ensure_allowance(&tracker, spender, units(5, 6), ApprovalPolicy::Exact)
        .await
        .unwrap();
    // A plain non-zero to non-zero approve is refused by this token ...
    let err = token
        .approve(&tracker, spender, units(9, 6))
        .await
        .unwrap_err();
    assert_eq!(
        err.revert_reason(),
        Some(&RevertReason::Error {
            message: "NoBoolToken: approve from non-zero".into()
        })
    );
    // ... and the safe sequence goes through zero first.
    let steps = token
        .ensure_allowance(&tracker, spender, units(9, 6), ApprovalPolicy::Exact)
        .await
        .unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(token.allowance(me, spender).await.unwrap(), units(9, 6));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fee_on_transfer_two_decimals_and_reverting_tokens() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let me = account(1);
    let tracker = tracker(&client, 1, fast_config());

    // 1 % fee: the payee receives less than was sent; balances are read, never assumed.
    let fot = deploy(
        &anvil,
        "FeeOnTransferToken.sol",
        "FeeOnTransferToken",
        &U256::from(100).abi_encode(),
    )
    .await;
    mint(&anvil, fot, me, units(100, 18)).await;
    let fot = Erc20::new(client.clone(), fot);
    mined(
        fot.transfer(&tracker, account(2), units(10, 18))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(fot.balance_decimal(account(2)).await.unwrap(), dec!(9.9));
    assert_eq!(fot.balance_decimal(me).await.unwrap(), dec!(90));

    let two = deploy(&anvil, "TwoDecimalsToken.sol", "TwoDecimalsToken", &[]).await;
    mint(&anvil, two, me, U256::from(12_345)).await;
    let two = Erc20::new(client.clone(), two);
    assert_eq!(two.metadata().await.unwrap().decimals, 2);
    assert_eq!(two.balance_decimal(me).await.unwrap(), dec!(123.45));

    let rev = deploy(&anvil, "RevertingToken.sol", "RevertingToken", &[]).await;
    let rev = Erc20::new(client.clone(), rev);
    let err = rev
        .ensure_allowance(&tracker, account(3), U256::from(1), ApprovalPolicy::Exact)
        .await
        .unwrap_err();
    assert!(matches!(err, EvmError::Reverted { .. }), "{err}");
    assert!(err.to_string().contains("approvals are disabled"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn weth_wraps_and_unwraps() {
    let anvil = node().await;
    let client = client(&anvil).await;
    let d = Deployer::new(anvil.provider(), account(0));
    let info: TokenInfo = deploy_weth(&d).await.unwrap();
    let me = account(1);
    let tracker = tracker(&client, 1, fast_config());
    let weth = Weth::new(client.clone(), info.address);
    let eth_before = client.native_balance(me).await.unwrap();

    let wrap = mined(weth.wrap(&tracker, units(2, 18)).await.unwrap()).await;
    assert_eq!(weth.token().balance_decimal(me).await.unwrap(), dec!(2));
    let unwrap = mined(
        weth.unwrap(&tracker, U256::from(500_000_000_000_000_000u64))
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(weth.token().balance_decimal(me).await.unwrap(), dec!(1.5));
    // Native balance moved by the wrapped amount plus exactly the gas both paid.
    let eth_after = client.native_balance(me).await.unwrap();
    assert_eq!(
        eth_before - eth_after,
        units(15, 17) + wrap.cost_wei + unwrap.cost_wei
    );
    assert_eq!(weth.token().metadata().await.unwrap().symbol, "WETH");
}
