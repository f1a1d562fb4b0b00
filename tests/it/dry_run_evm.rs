//! `Venue::dry_run` on an EVM AMM (uniswap_v2 on the local anvil): the printed raw transaction
//! decodes to the swap (router, calldata, value, signer, next nonce), the account's nonce did not
//! move and the nonce manager gives the same nonce again; broadcast afterwards by hand, the
//! bytes mine as the swap. A venue without a signer cannot dry-run and says why.

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{Transaction, TxEnvelope};
use alloy::eips::Decodable2718;
use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol;
use alloy::sol_types::SolCall;
use rust_decimal_macros::dec;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::chain::evm::ApprovalPolicy;
use sluice::core::{Asset, ClientOrderId, OrderRequest, OrderType, Side, TimeInForce};
use sluice::venue::{Venue, VenueError, WireForm};
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::LocalEnv;

use crate::uniswap_support::dev_tracker;

sol! {
    interface IRouter02Swaps {
        function swapExactETHForTokens(uint256 amountOutMin, address[] path, address to, uint256 deadline) external payable returns (uint256[] amounts);
    }
}

const ACCOUNT: usize = 7;

async fn venue(env: &LocalEnv) -> UniswapV2Venue {
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    UniswapV2Venue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        V2Contracts::from(&env.manifest),
        book,
    )
    .await
    .unwrap()
}

fn sell_one_eth(id: &str) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: "ETH-USDC".parse().unwrap(),
        side: Side::Sell,
        order_type: OrderType::Swap,
        amount: dec!(1),
        // the worst acceptable average price: at least 1 USDC per ETH
        price: Some(dec!(1)),
        time_in_force: TimeInForce::Ioc,
        deadline: Some(u64::MAX / 4),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uniswap_v2_dry_run_signs_the_swap_without_sending_or_consuming_the_nonce() {
    let env = LocalEnv::start().await.unwrap();
    let p = env.anvil.read_provider();
    let me = dev_addresses()[ACCOUNT];
    let router = env.manifest.uniswap_v2.router02;
    let usdc = env.manifest.tokens["USDC"].address;

    // without a signer: a clear refusal
    let unsigned = venue(&env).await;
    match unsigned.dry_run(sell_one_eth("dry-v2-0")).await {
        Err(VenueError::NotSupported(m)) => assert!(m.contains("no signer"), "{m}"),
        other => panic!("expected a refusal: {other:?}"),
    }

    let v = venue(&env)
        .await
        .with_executor(dev_tracker(&env, ACCOUNT).await, ApprovalPolicy::Exact);
    let nonce_before = p.get_transaction_count(me).await.unwrap();
    let dry = v.dry_run(sell_one_eth("dry-v2-1")).await.unwrap();
    let json = serde_json::to_value(&dry).unwrap();
    assert_eq!(json["venue"], "uniswap_v2@anvil", "{json}");
    assert_eq!(json["kind"], "evm_tx", "{json}");
    let WireForm::EvmTx(form) = &dry.wire else {
        panic!("not an EVM transaction: {dry:?}");
    };
    assert_eq!(p.get_transaction_count(me).await.unwrap(), nonce_before);
    assert_eq!(form.nonce, nonce_before);

    // the raw bytes decode to the swap, signed by the account
    let raw: Bytes = form.raw_tx.parse().unwrap();
    let tx = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
    assert_eq!(tx.tx_hash().to_string(), form.hash);
    assert_eq!(tx.recover_signer().unwrap(), me);
    assert_eq!(tx.to(), Some(router));
    assert_eq!(tx.nonce(), nonce_before);
    assert_eq!(tx.value(), U256::from(10).pow(U256::from(18)));
    assert_eq!(tx.gas_limit(), form.gas);
    assert_eq!(tx.chain_id(), Some(form.chain_id));
    let call = IRouter02Swaps::swapExactETHForTokensCall::abi_decode(tx.input()).unwrap();
    assert_eq!(call.to, me);
    assert_eq!(call.path.last(), Some(&usdc));
    assert!(call.amountOutMin > U256::ZERO);
    assert_eq!(form.to.as_deref(), Some(router.to_string().as_str()));

    // the nonce manager gives the same nonce to the next dry run (nothing consumed)
    let again = v.dry_run(sell_one_eth("dry-v2-2")).await.unwrap();
    let WireForm::EvmTx(again) = again.wire else {
        panic!("not an EVM transaction");
    };
    assert_eq!(again.nonce, nonce_before);
    assert!(
        v.tracked_order(&sell_one_eth("dry-v2-1").client_id)
            .is_none()
    );

    // the printed bytes, broadcast by hand, mine as the swap
    let usdc_before = balance_of(&env, usdc, me).await;
    let pending = p.send_raw_transaction(&raw).await.unwrap();
    let receipt = pending.get_receipt().await.unwrap();
    assert!(receipt.status(), "{receipt:?}");
    assert_eq!(p.get_transaction_count(me).await.unwrap(), nonce_before + 1);
    assert!(balance_of(&env, usdc, me).await > usdc_before);
}

async fn balance_of(env: &LocalEnv, token: Address, owner: Address) -> U256 {
    crate::uniswap_support::read(
        &env.anvil.read_provider(),
        token,
        &crate::uniswap_support::IErc20::balanceOfCall { owner },
    )
    .await
    .unwrap()
}
