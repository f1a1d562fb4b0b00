//! Swaps through the v2 connector on a local anvil: a two-hop sell filled with the receipt's
//! amounts (equal to the local quote), and a buy whose bound is beyond what the pair gives reverting
//! on chain and reported as a failed order with the router's reason.

use std::time::Duration;

use alloy::network::EthereumWallet;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::tokens::TokenBook;
use sluice::amm::uniswap_v2::connector::{UniswapV2Venue, V2Contracts};
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::{
    Asset, ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side,
    TimeInForce,
};
use sluice::venue::Venue;
use sluice_sim::anvil::dev_signer;
use sluice_sim::deploy::LocalEnv;

async fn trading_venue(env: &LocalEnv, account: usize) -> UniswapV2Venue {
    let specs = ChainSpecs::builtin().unwrap();
    let client = EvmClient::connect(specs.get("anvil").unwrap(), env.anvil.url().as_str())
        .await
        .unwrap();
    let wallet = EthereumWallet::from(dev_signer(account).unwrap().clone());
    let config = TrackerConfig::for_client(&client);
    let tracker = TxTracker::new(client, wallet, config);
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
    .with_executor(tracker, ApprovalPolicy::Exact)
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

async fn wait_final(v: &dyn Venue, req: &OrderRequest) -> Order {
    for _ in 0..600 {
        let o = v.order_status(req).await.unwrap();
        if o.state.is_terminal() {
            return o;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("order {} not final", req.client_id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sell_fills_from_the_receipt_and_a_bound_beyond_the_pool_fails() {
    let env = LocalEnv::start().await.unwrap();
    let v = trading_venue(&env, 7).await;
    // USDC -> DAI: direct or via WETH, whichever the local reserves say is better.
    let q = v
        .quote(&QuoteRequest {
            pair: "USDC-DAI".parse().unwrap(),
            side: Side::Sell,
            base_amount: dec!(1500),
        })
        .await
        .unwrap();
    let ord = order(
        "v2-sell",
        "USDC-DAI",
        Side::Sell,
        dec!(1500),
        q.average_price * dec!(0.995),
    );
    v.submit(ord.clone()).await.unwrap();
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(1500));
    assert_eq!(
        o.filled_quote, q.quote_amount,
        "received exactly the local quote"
    );
    let fills = v.order_fills(&ord).await.unwrap();
    assert_eq!(fills.len(), 1);
    // The pool's fee is inside the price; the fill's fee is the gas, in the native asset.
    let ex = v.executor().unwrap();
    assert_eq!(ex.approvals().len(), 1);
    assert!(ex.receipts()[0].gas_used > 50_000);
    assert_eq!(fills[0].fee_asset.as_str(), "ETH");
    assert_eq!(fills[0].fee_amount, ex.receipts()[0].gas_cost_native);
    // A buy of 1 WETH paying at most 1 % under the current price: Router02 reverts on chain.
    v.refresh().await.unwrap();
    let q = v
        .quote(&QuoteRequest {
            pair: "WETH-USDC".parse().unwrap(),
            side: Side::Buy,
            base_amount: dec!(1),
        })
        .await
        .unwrap();
    let ord = order(
        "v2-cheap",
        "WETH-USDC",
        Side::Buy,
        dec!(1),
        q.average_price * dec!(0.99),
    );
    v.submit(ord.clone()).await.unwrap();
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    let reason = o.reason.unwrap();
    assert!(reason.contains("EXCESSIVE_INPUT_AMOUNT"), "{reason}");
    assert!(o.venue_order_id.is_some());
    assert!(v.order_fills(&ord).await.unwrap().is_empty());
}
