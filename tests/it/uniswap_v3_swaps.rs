//! Swaps through the v3 connector on a local anvil: a buy and a sell filled with the amounts of the
//! receipt's Swap log (equal to the local quote), the router approved once and visibly, and a swap
//! whose price moved beyond its tolerance reverting on chain and reported as a failed order with the
//! reason, nothing left pending.

use crate::uniswap_support;

use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::primitives::{U160, U256, aliases::U24};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::uniswap_v3::abi::ISwapRouter;
use sluice::amm::uniswap_v3::connector::UniswapV3Venue;
use sluice::chain::ChainSpecs;
use sluice::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
    VenueEvent,
};
use sluice::venue::Venue;
use sluice_sim::anvil::{dev_addresses, dev_signer};
use uniswap_support::*;

async fn trading_venue(e: &Env, account: usize) -> UniswapV3Venue {
    let specs = ChainSpecs::builtin().unwrap();
    let spec = specs.get("anvil").unwrap();
    let client = EvmClient::connect(spec, e.env.anvil.url().as_str())
        .await
        .unwrap();
    let wallet = EthereumWallet::from(dev_signer(account).unwrap().clone());
    let config = TrackerConfig::for_client(&client);
    let tracker = TxTracker::new(client, wallet, config);
    venue(e)
        .await
        .unwrap()
        .with_executor(tracker, ApprovalPolicy::Unlimited)
}

fn order(id: &str, side: Side, amount: Decimal, price: Decimal) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        pair: "WETH-USDC".parse().unwrap(),
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
    panic!(
        "order {} not final: {:?}",
        req.client_id,
        v.order_status(req).await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buy_and_sell_fill_from_the_receipt_with_one_visible_approval() {
    let e = start(6, 21).await.unwrap();
    let v = trading_venue(&e, 4).await;
    let mut events = v.events();
    // Buy 2 WETH with USDC, 1 % slippage on the quote.
    let req = QuoteRequest {
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Buy,
        base_amount: dec!(2),
    };
    let q = v.quote(&req).await.unwrap();
    let ord = order("buy-1", Side::Buy, dec!(2), q.average_price * dec!(1.01));
    v.submit(ord.clone()).await.unwrap();
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(2));
    assert_eq!(
        o.filled_quote, q.quote_amount,
        "paid exactly the local quote"
    );
    let ex = v.executor().unwrap();
    assert_eq!(ex.approvals().len(), 1, "USDC approved once");
    let r = &ex.receipts()[0];
    assert!(r.success && r.gas_used > 50_000);
    // Sell 1 WETH back: a WETH approval, then the fill; a second buy needs no new approval.
    v.refresh().await.unwrap();
    let req = QuoteRequest {
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Sell,
        base_amount: dec!(1),
    };
    let q = v.quote(&req).await.unwrap();
    let ord = order("sell-1", Side::Sell, dec!(1), q.average_price * dec!(0.99));
    v.submit(ord.clone()).await.unwrap();
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled_quote, q.quote_amount);
    v.refresh().await.unwrap();
    let req = QuoteRequest {
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Buy,
        base_amount: dec!(0.5),
    };
    let q = v.quote(&req).await.unwrap();
    let ord = order("buy-2", Side::Buy, dec!(0.5), q.average_price * dec!(1.01));
    v.submit(ord.clone()).await.unwrap();
    assert_eq!(wait_final(&v, &ord).await.state, OrderState::Filled);
    assert_eq!(
        ex.approvals().len(),
        2,
        "USDC once, WETH once: {:?}",
        ex.approvals()
    );
    // The events: pending, open (with the hash), fill, filled.
    let mut seen = Vec::new();
    while let Ok(ev) = events.try_recv() {
        seen.push(ev);
    }
    assert!(
        seen.iter()
            .any(|e| matches!(e, VenueEvent::Fill(f) if f.amount == dec!(2)))
    );
    assert!(seen.iter().any(|e| matches!(
        e,
        VenueEvent::Order {
            state: OrderState::Open,
            venue_order_id: Some(_),
            ..
        }
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn price_moved_beyond_tolerance_reverts_and_fails_the_order() {
    let e = start(4, 22).await.unwrap();
    let v = trading_venue(&e, 5).await;
    v.track_pair(e.weth, e.usdc).await.unwrap();
    // Another account moves the WETH price up a lot on every tier; our local state is not refreshed,
    // so the order's bound (0.2 % over a stale quote) is beyond what the chain now gives.
    let req = QuoteRequest {
        pair: "WETH-USDC".parse().unwrap(),
        side: Side::Buy,
        base_amount: dec!(1),
    };
    let q = v.quote(&req).await.unwrap();
    let other = dev_addresses()[6];
    let router = e.manifest().uniswap_v3.swap_router;
    let p = e.env.anvil.provider();
    send(
        &p,
        other,
        e.usdc,
        &IErc20::approveCall {
            spender: router,
            value: U256::MAX,
        },
    )
    .await
    .unwrap();
    for (fee, _) in &e.pools {
        send(
            &p,
            other,
            router,
            &ISwapRouter::exactInputSingleCall {
                params: ISwapRouter::ExactInputSingleParams {
                    tokenIn: e.usdc,
                    tokenOut: e.weth,
                    fee: U24::from(*fee),
                    recipient: other,
                    deadline: U256::from(u64::MAX / 2),
                    amountIn: units(60_000, 6),
                    amountOutMinimum: U256::ZERO,
                    sqrtPriceLimitX96: U160::ZERO,
                },
            },
        )
        .await
        .unwrap();
    }
    let ord = order(
        "late-buy",
        Side::Buy,
        dec!(1),
        q.average_price * dec!(1.002),
    );
    v.submit(ord.clone()).await.unwrap();
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Failed, "{o:?}");
    let reason = o.reason.clone().unwrap();
    assert!(
        reason.contains("swap reverted") && reason.contains("Too much requested"),
        "{reason}"
    );
    assert!(
        o.venue_order_id.is_some(),
        "the transaction was sent and mined"
    );
    let r = &v.executor().unwrap().receipts()[0];
    assert!(!r.success && r.gas_used > 0, "{r:?}");
    assert_eq!(o.filled, Decimal::ZERO);
}
