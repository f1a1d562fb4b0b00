//! Swaps through the Balancer connector on a local anvil: a one-pool sell (`Vault.swap`
//! GIVEN_IN) and buy (GIVEN_OUT), and two-pool routes (`Vault.batchSwap`, cUSD → stable pool →
//! weighted pool → WETH) both ways, each filled with exactly the local quote as decoded from the
//! Vault's `Swap` logs; a bound tighter than the pool gives reverts on chain with the Vault's reason.

use crate::anvil_support::trades;
use crate::uniswap_support::{dev_tracker, final_order};

use alloy::primitives::U256;
use alloy::sol;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::balancer::connector::{BalancerContracts, BalancerVenue};
use sluice::amm::tokens::TokenBook;
use sluice::chain::evm::ApprovalPolicy;
use sluice::core::{
    Asset, ClientOrderId, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
};
use sluice::venue::Venue;
use sluice_sim::deploy::LocalEnv;

sol! {
    interface IWeth {
        function deposit() external payable;
    }
}

/// A venue trading as dev account `account`, which first wraps 10 ETH.
async fn trading_venue(env: &LocalEnv, account: usize) -> BalancerVenue {
    let weth = env.manifest.token_address("WETH").unwrap();
    let me = sluice_sim::anvil::dev_addresses()[account];
    let ten = U256::from(10u8) * U256::from(10u64).pow(U256::from(18u8));
    trades::send(&env.anvil.provider(), me, weth, &IWeth::depositCall {}, ten)
        .await
        .unwrap();
    let mut book = TokenBook::new("anvil");
    book.set_native("ETH");
    book.add_manifest(&env.manifest);
    BalancerVenue::connect(
        "anvil",
        Asset::new("ETH").unwrap(),
        env.anvil.read_provider(),
        BalancerContracts::from_manifest(&env.manifest).unwrap(),
        book,
    )
    .await
    .unwrap()
    .with_executor(dev_tracker(env, account).await, ApprovalPolicy::Exact)
}

fn order(id: &str, pair: &str, side: Side, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: pair.parse().unwrap(),
        side,
        order_type: OrderType::Swap,
        amount,
        price: Some(price),
        time_in_force: TimeInForce::Fok,
        deadline: Some(u64::MAX / 4),
    }
}

/// Quotes, swaps bounded 0.5 % beyond the quote's price, and checks the fill equals the quote.
async fn swap_equals_quote(v: &BalancerVenue, id: &str, pair: &str, side: Side, amount: Decimal) {
    v.refresh().await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: pair.parse().unwrap(),
            side,
            base_amount: amount,
        })
        .await
        .unwrap();
    let bound = match side {
        Side::Sell => q.average_price * dec!(0.995),
        Side::Buy => q.average_price * dec!(1.005),
    };
    let ord = order(id, pair, side, amount, bound);
    v.submit(ord.clone()).await.unwrap();
    let o = final_order(v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{id}: {o:?}");
    assert_eq!(o.filled, amount, "{id}");
    assert_eq!(
        o.filled_quote, q.quote_amount,
        "{id}: the fill equals the local quote"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_and_two_pool_swaps_fill_exactly_their_quotes() {
    let env = LocalEnv::start().await.unwrap();
    let v = trading_venue(&env, 6).await;
    swap_equals_quote(&v, "bal-sell", "WETH-USDC", Side::Sell, dec!(1.25)).await;
    swap_equals_quote(&v, "bal-buy", "WETH-USDC", Side::Buy, dec!(0.5)).await;
    swap_equals_quote(&v, "bal-stable", "DAI-USDC", Side::Sell, dec!(25000)).await;
    // cUSD and WETH share no pool: cUSD -> (stable) -> USDC or DAI -> (weighted) -> WETH.
    swap_equals_quote(&v, "bal-2hop-buy", "WETH-CUSD", Side::Buy, dec!(0.2)).await;
    swap_equals_quote(&v, "bal-2hop-sell", "WETH-CUSD", Side::Sell, dec!(0.3)).await;
    let receipts = v.executor().unwrap().receipts();
    assert_eq!(receipts.len(), 5);
    assert!(receipts.iter().all(|r| r.success && r.gas_used > 50_000));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bound_beyond_the_pool_reverts_with_the_vaults_reason() {
    let env = LocalEnv::start().await.unwrap();
    let v = trading_venue(&env, 8).await;
    let q = v
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(2),
        })
        .await
        .unwrap();
    // Asking 1 % more than the pool gives: the Vault's limit check fails (BAL#507).
    let ord = order(
        "bal-greedy",
        "WETH-USDC",
        Side::Sell,
        dec!(2),
        q.average_price * dec!(1.01),
    );
    v.submit(ord.clone()).await.unwrap();
    let o = final_order(&v, &ord).await;
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    let why = format!("{o:?}");
    assert!(why.contains("BAL#507"), "{why}");
}
