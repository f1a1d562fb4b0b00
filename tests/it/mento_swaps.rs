//! Mento swaps through the venue on anvil: a sell (Broker `swapIn`) on the constant-product
//! exchange and a buy (`swapOut`) on the constant-sum one fill exactly as quoted, read from the
//! receipt's `Swap` log, and the buckets follow (the next quote equals the Broker's); a swap beyond a trading limit (L0 of CELO, LG of USDC) is refused with
//! a clear error before anything is sent, and the chain would indeed revert it; an order whose
//! deadline has passed is not sent.

use std::time::Duration;

use crate::mento_support::{TestResult, broker_quote, mento, venue};
use crate::uniswap_support::{IErc20, send};

use alloy::network::TransactionBuilder;
use alloy::primitives::U256;
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::mento::abi::IMentoBroker;
use sluice::core::{
    ClientOrderId, Order, OrderRequest, OrderState, OrderType, QuoteRequest, Side, TimeInForce,
    to_units_exact,
};
use sluice::venue::Venue;
use sluice_sim::anvil::dev_addresses;
use sluice_sim::deploy::LocalEnv;

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
async fn swaps_fill_exactly_as_quoted() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let v = venue(&env, Some(6)).await?;
    // Sell 2,500 CELO for cUSD: swapIn on the constant-product exchange.
    let q = v
        .quote(&QuoteRequest {
            pair: "CELO-cUSD".parse()?,
            side: Side::Sell,
            base_amount: dec!(2500),
        })
        .await?;
    let ord = order(
        "mento-sell",
        "CELO-cUSD",
        Side::Sell,
        dec!(2500),
        q.average_price * dec!(0.999),
    );
    v.submit(ord.clone()).await?;
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(2500));
    assert_eq!(
        o.filled_quote, q.quote_amount,
        "received exactly the local quote"
    );
    // Buy 777.123456 USDC with cUSD: swapOut on the constant-sum exchange (6-decimal output).
    v.refresh().await?;
    let q = v
        .quote(&QuoteRequest {
            pair: "USDC-cUSD".parse()?,
            side: Side::Buy,
            base_amount: dec!(777.123456),
        })
        .await?;
    let ord = order(
        "mento-buy",
        "USDC-cUSD",
        Side::Buy,
        dec!(777.123456),
        dec!(1.01),
    );
    v.submit(ord.clone()).await?;
    let o = wait_final(&v, &ord).await;
    assert_eq!(o.state, OrderState::Filled, "{o:?}");
    assert_eq!(o.filled, dec!(777.123456));
    // What the receipt says was paid, in raw units, is the quote to the wei (the order's decimal
    // `filled_quote` of a buy is derived through an average price and may carry a last-digit
    // artefact of 28-digit decimal division).
    let receipts = v.executor().ok_or("executor")?.receipts();
    let paid = receipts.last().ok_or("no receipt")?.amount_in;
    assert_eq!(
        paid,
        to_units_exact(q.quote_amount, 18)?,
        "paid exactly the local quote"
    );
    assert_eq!(o.filled_quote.round_dp(18), q.quote_amount);
    let fills = v.order_fills(&ord).await?;
    assert_eq!(fills.len(), 1);
    // The state followed both swaps: a new quote still equals the Broker's (see mento_quotes).
    v.refresh().await?;
    let again = v
        .quote(&QuoteRequest {
            pair: "CELO-cUSD".parse()?,
            side: Side::Sell,
            base_amount: dec!(2500),
        })
        .await?;
    let m = mento(&env)?;
    let amount = U256::from(2_500u64) * U256::from(10u64).pow(U256::from(18u8));
    let chain = broker_quote(&env, &m, m.cp, m.celo, m.cusd, true, amount).await?;
    assert_eq!(
        to_units_exact(again.quote_amount, 18)?,
        chain,
        "buckets followed the swap"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trading_limits_and_deadlines_are_checked_before_sending() -> TestResult<()> {
    let env = LocalEnv::start().await?;
    let m = mento(&env)?;
    let v = venue(&env, Some(5)).await?;
    // L0 of CELO is 100,000 units per 5 minutes.
    let too_big = order("mento-l0", "CELO-cUSD", Side::Sell, dec!(100001), dec!(0.1));
    let e = v.submit(too_big).await.expect_err("beyond L0");
    assert!(e.to_string().contains("L0"), "{e}");
    // LG of USDC is 5,000,000 units (L0 1,000,000): buying 1.2 M USDC breaks L0 first.
    let e = v
        .submit(order(
            "mento-usdc",
            "USDC-cUSD",
            Side::Buy,
            dec!(1200000),
            dec!(1.1),
        ))
        .await
        .expect_err("beyond L0 of USDC");
    assert!(e.to_string().contains("L0"), "{e}");
    // The chain agrees: the same CELO swap reverts with the Broker's own reason.
    let trader = dev_addresses()[5];
    let p = env.anvil.provider();
    send(
        &p,
        trader,
        m.celo,
        &IErc20::approveCall {
            spender: m.broker,
            value: U256::MAX,
        },
    )
    .await?;
    let amount = U256::from(100_001u64) * U256::from(10u64).pow(U256::from(18u8));
    let call = IMentoBroker::swapInCall {
        exchangeProvider: m.bpm,
        exchangeId: m.cp,
        tokenIn: m.celo,
        tokenOut: m.cusd,
        amountIn: amount,
        amountOutMin: U256::ZERO,
    };
    let tx = TransactionRequest::default()
        .with_from(trader)
        .with_to(m.broker)
        .with_input(call.abi_encode());
    let err = p.call(tx).await.expect_err("the Broker reverts beyond L0");
    assert!(err.to_string().contains("L0 Exceeded"), "{err}");
    // Just under the limit goes through.
    let ok = order(
        "mento-under",
        "CELO-cUSD",
        Side::Sell,
        dec!(99999),
        dec!(0.1),
    );
    v.submit(ok.clone()).await?;
    assert_eq!(wait_final(&v, &ok).await.state, OrderState::Filled);
    // A deadline in the past: refused, nothing sent.
    let sent = v.executor().map(|x| x.receipts().len()).unwrap_or_default();
    let mut late = order("mento-late", "CELO-cUSD", Side::Sell, dec!(1), dec!(0.1));
    late.deadline = Some(1);
    let e = v.submit(late).await.expect_err("past deadline");
    assert!(e.to_string().contains("deadline"), "{e}");
    assert_eq!(
        v.executor().map(|x| x.receipts().len()).unwrap_or_default(),
        sent
    );
    Ok(())
}
