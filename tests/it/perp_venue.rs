//! The `perp@xdai` venue on anvil under xDai's chain id (100): a long opened through
//! `Venue::submit` at 4x fills exactly its quote; `Venue::positions` equals the ClearingHouse's
//! and its viewer's view (size, margin after funding, open notional, PnL, margin ratio, funding)
//! after the price moved and funding was paid, both from the trading venue and from a read-only
//! one built by the registry's connector with `address`; a reduce fills exactly; a sell larger
//! than the long is refused before anything is sent; the close empties the position.

use crate::perp_positions::check;
use crate::perp_support::{
    IPerpErc20, IPerpPriceFeedMock, TestResult, connected, e18, order, send, start_xdai,
    submit_and_wait, trading,
};
use alloy::primitives::U256;
use alloy::providers::Provider;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::amm::perp::abi::IPerpClearingHouse;
use sluice::core::{Asset, OrderState, Pair, QuoteRequest, Side};
use sluice::venue::{Execution, Venue, VenueError, VenueKind};
use sluice_sim::anvil::dev_addresses;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn perp_venue_opens_reads_reduces_and_closes_a_position() -> TestResult<()> {
    let e = start_xdai().await?;
    let accounts = dev_addresses();
    let (trader, other) = (accounts[6], accounts[7]);
    let v = trading(&e, 6, e18(4)).await?;
    assert_eq!(v.execution(), Execution::PositionChange);
    assert_eq!(v.kind(), VenueKind::Perp);
    assert_eq!(v.id().to_string(), "perp@xdai");
    let pair: Pair = "ETH-USDC".parse()?;
    v.start(std::slice::from_ref(&pair)).await?;
    let usdc = Asset::new("USDC")?;

    // Open: a 0.5 ETH long at 4x fills exactly its quote.
    let quote = |side, base_amount| QuoteRequest {
        pair: pair.clone(),
        side,
        base_amount,
    };
    let q = v.quote(&quote(Side::Buy, dec!(0.5))).await?;
    assert_eq!(q.fee_asset, usdc);
    assert!(q.fee_amount > Decimal::ZERO);
    let o = order(
        "ETH-USDC",
        Side::Buy,
        dec!(0.5),
        q.average_price * dec!(1.01),
    )?;
    let opened = submit_and_wait(v.as_ref(), &o).await?;
    assert_eq!(opened.state, OrderState::Filled, "{opened:?}");
    assert_eq!(opened.filled, dec!(0.5));
    assert_eq!(
        opened.filled_quote, q.quote_amount,
        "the fill equals the quote"
    );
    let report = v.chain_report(&o.client_id).ok_or("no chain report")?;
    assert_eq!(report.approvals.len(), 1, "the ClearingHouse approved once");
    let view = check(&e, trader).await?;
    let notional = q.quote_amount - q.fee_amount;
    assert_eq!(sluice::core::from_units(view.open_notional, 18)?, notional);
    // The margin is the notional at 4x (rounded up to the wei).
    let margin = view.margin;
    assert!(margin * U256::from(4u8) >= view.open_notional);
    assert!(margin * U256::from(4u8) < view.open_notional + U256::from(4u8));
    let positions = v.positions(None).await?;
    assert_eq!(
        positions,
        vec![view.to_position(pair.clone(), usdc.clone())?]
    );
    assert_eq!(positions[0].size, dec!(0.5));

    // Another long moves the price; funding with the index below the market: longs pay.
    let p = e.env.anvil.provider();
    send(
        &p,
        other,
        e.usdc,
        &IPerpErc20::approveCall {
            spender: e.clearing_house,
            value: U256::MAX,
        },
    )
    .await?;
    send(
        &p,
        other,
        e.clearing_house,
        &IPerpClearingHouse::openPositionCall {
            _amm: e.amm,
            _side: 0,
            _quoteAssetAmount: IPerpClearingHouse::Dec { d: e18(5_000) },
            _leverage: IPerpClearingHouse::Dec { d: e18(5) },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: U256::ZERO },
        },
    )
    .await?;
    send(
        &p,
        other,
        e.price_feed,
        &IPerpPriceFeedMock::setTwapPriceCall { _price: e18(2_900) },
    )
    .await?;
    p.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (7_200u64,))
        .await?;
    p.raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await?;
    send(
        &p,
        other,
        e.clearing_house,
        &IPerpClearingHouse::payFundingCall { _amm: e.amm },
    )
    .await?;
    let funded = check(&e, trader).await?;
    let positions = v.positions(Some(&pair)).await?;
    let expected = funded.to_position(pair.clone(), usdc.clone())?;
    assert_eq!(positions, vec![expected.clone()]);
    assert!(expected.unrealized_pnl > Decimal::ZERO, "{expected:?}");
    assert!(
        expected.funding_paid.is_some_and(|f| f > Decimal::ZERO),
        "{expected:?}"
    );
    assert!(expected.margin_ratio.is_some());

    // The same positions through the registry's connector, read-only, by address.
    let home = tempfile::tempdir()?;
    let ro = connected(&e, home.path(), &format!("address = \"{trader}\"")).await?;
    assert_eq!(ro.positions(None).await?, vec![expected]);
    assert!(matches!(
        ro.submit(o.clone()).await,
        Err(VenueError::NotSupported(_))
    ));

    // Reduce: sell 0.2 of the 0.5 long; exactly 0.2 is exchanged, at the quote's vAMM price.
    v.refresh().await?;
    let q = v.quote(&quote(Side::Sell, dec!(0.2))).await?;
    let o = order(
        "ETH-USDC",
        Side::Sell,
        dec!(0.2),
        q.average_price * dec!(0.99),
    )?;
    let reduced = submit_and_wait(v.as_ref(), &o).await?;
    assert_eq!(reduced.state, OrderState::Filled, "{reduced:?}");
    assert_eq!(reduced.filled, dec!(0.2));
    // A reduce's notional (leverage 1) and the quote's (4x) may differ by the margin's rounding.
    assert!(
        (reduced.filled_quote - q.quote_amount).abs() < dec!(1e-15),
        "{reduced:?} {q:?}"
    );
    let after = check(&e, trader).await?;
    assert_eq!(
        after.size,
        alloy::primitives::I256::try_from(e18(3) / U256::from(10u8))?
    );
    assert_eq!(
        v.positions(None).await?,
        vec![after.to_position(pair.clone(), usdc.clone())?]
    );

    // More than the long on the other side would reverse it: refused before sending.
    let flip = order("ETH-USDC", Side::Sell, dec!(0.5), dec!(1))?;
    match v.submit(flip).await {
        Err(VenueError::InvalidRequest(m)) => assert!(m.contains("close it first"), "{m}"),
        other => panic!("{other:?}"),
    }
    // A passed deadline: refused.
    let mut late = order("ETH-USDC", Side::Buy, dec!(0.1), dec!(100000))?;
    late.deadline = Some(1);
    assert!(matches!(
        v.submit(late).await,
        Err(VenueError::InvalidRequest(m)) if m.contains("deadline")
    ));

    // Close: sell exactly the remaining 0.3 (closePosition with a quote limit).
    v.refresh().await?;
    let q = v.quote(&quote(Side::Sell, dec!(0.3))).await?;
    let o = order(
        "ETH-USDC",
        Side::Sell,
        dec!(0.3),
        q.average_price * dec!(0.99),
    )?;
    let closed = submit_and_wait(v.as_ref(), &o).await?;
    assert_eq!(closed.state, OrderState::Filled, "{closed:?}");
    assert_eq!(closed.filled, dec!(0.3));
    assert!(check(&e, trader).await?.size.is_zero());
    assert!(v.positions(None).await?.is_empty());
    v.close().await;
    Ok(())
}
