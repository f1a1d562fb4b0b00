//! A Perp v1 position on anvil under xDai's chain id, through the ClearingHouse: opened long at the
//! local quote (the base-asset limit equal to it), read, charged funding, partly closed (a smaller
//! opposite position) and closed (`closePosition` with the local quote as its limit); at each step
//! the size equals the local math and the PnL, notional and margin after funding computed locally
//! equal the ClearingHouse's and its viewer's.

use crate::perp_support::{
    IPerpErc20, IPerpPriceFeedMock, PerpEnv, TestResult, e18, read, send, start_xdai,
};
use alloy::primitives::{Address, I256, U256};
use alloy::providers::Provider;
use sluice::amm::evm::rpc::{ReadCall, batch_call, decode};
use sluice::amm::perp::abi::{IPerpClearingHouse, IPerpClearingHouseViewer};
use sluice::amm::perp::math::{self, Dir};
use sluice::amm::perp::position::{PositionView, read_position};
use sluice::amm::perp::state::AmmState;
use sluice::core::Asset;
use sluice_sim::anvil::dev_addresses;

const SPOT_PRICE: u8 = 0;

/// Reads the position locally and checks it against the chain's own views.
pub(crate) async fn check(e: &PerpEnv, trader: Address) -> TestResult<PositionView> {
    let rp = e.env.anvil.read_provider();
    let block = rp.get_block_number().await?;
    let state = AmmState::load(&rp, e.amm, block).await?;
    let v = read_position(&rp, e.clearing_house, e.amm, trader, state.reserves, block).await?;
    let viewed = read(
        &rp,
        trader,
        e.viewer,
        &IPerpClearingHouseViewer::getPersonalPositionWithFundingPaymentCall {
            _amm: e.amm,
            _trader: trader,
        },
    )
    .await?;
    assert_eq!(viewed.size.d, v.size);
    assert_eq!(
        viewed.margin.d, v.margin_with_funding,
        "margin after funding"
    );
    assert_eq!(viewed.openNotional.d, v.open_notional);
    let pnl = read(
        &rp,
        trader,
        e.viewer,
        &IPerpClearingHouseViewer::getUnrealizedPnlCall {
            _amm: e.amm,
            _trader: trader,
            _pnlCalcOption: SPOT_PRICE,
        },
    )
    .await?;
    assert_eq!(pnl.d, v.unrealized_pnl, "unrealized PnL");
    let np = read(
        &rp,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::getPositionNotionalAndUnrealizedPnlCall {
            _amm: e.amm,
            _trader: trader,
            _pnlCalcOption: SPOT_PRICE,
        },
    )
    .await?;
    assert_eq!(np.positionNotional.d, v.spot_notional);
    assert_eq!(np.unrealizedPnl.d, v.unrealized_pnl);
    if !v.size.is_zero() {
        // The margin ratio takes the better of the spot and TWAP PnL, and a TWAP moves with the
        // block's timestamp: compare at the same block.
        let call = ReadCall::new(
            e.viewer,
            &IPerpClearingHouseViewer::getMarginRatioCall {
                _amm: e.amm,
                _trader: trader,
            },
        );
        let res = batch_call(&rp, &[call], block)
            .await?
            .pop()
            .ok_or("no result")?;
        let ratio = decode::<IPerpClearingHouseViewer::getMarginRatioCall>(res, e.viewer, "ratio")?;
        assert_eq!(Some(ratio.d), v.margin_ratio);
    }
    Ok(v)
}

#[tokio::test]
async fn perp_position_open_read_partly_close_close() -> TestResult<()> {
    let e = start_xdai().await?;
    assert_eq!(e.env.anvil.chain_id(), 100);
    let p = e.env.anvil.provider();
    let rp = e.env.anvil.read_provider();
    let accounts = dev_addresses();
    let (trader, other) = (accounts[4], accounts[5]);
    for a in [trader, other] {
        send(
            &p,
            a,
            e.usdc,
            &IPerpErc20::approveCall {
                spender: e.clearing_house,
                value: U256::MAX,
            },
        )
        .await?;
    }

    // Open: 200 USDC at 4x, the base limit the local quote.
    let (margin, leverage) = (e18(200), e18(4));
    let notional = math::mul_d(margin, leverage)?;
    let state = AmmState::load(&rp, e.amm, rp.get_block_number().await?).await?;
    let (base, toll, spread) = state.open_quote(true, notional, U256::ZERO)?;
    assert!(spread > U256::ZERO && toll.is_zero());
    let usdc_before = read(
        &rp,
        trader,
        e.usdc,
        &IPerpErc20::balanceOfCall { owner: trader },
    )
    .await?;
    send(
        &p,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::openPositionCall {
            _amm: e.amm,
            _side: 0,
            _quoteAssetAmount: IPerpClearingHouse::Dec { d: margin },
            _leverage: IPerpClearingHouse::Dec { d: leverage },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: base },
        },
    )
    .await?;
    let usdc_after = read(
        &rp,
        trader,
        e.usdc,
        &IPerpErc20::balanceOfCall { owner: trader },
    )
    .await?;
    // Margin plus the spread, in USDC's 6 decimals (both are whole micro-dollars here).
    let micro = U256::from(10u64).pow(U256::from(12u64));
    assert_eq!(usdc_before - usdc_after, (margin + toll + spread) / micro);
    let opened = check(&e, trader).await?;
    assert_eq!(opened.size, I256::try_from(base)?);
    assert_eq!(opened.margin, margin);
    assert_eq!(opened.open_notional, notional);

    // A larger long by another account moves the price up: the first long is in profit.
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
    let moved = check(&e, trader).await?;
    assert!(moved.unrealized_pnl.is_positive());

    // Funding: the index TWAP below the market, two hours on, settled: longs pay.
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
    assert!(funded.funding_paid.is_positive(), "{funded:?}");
    assert!(funded.margin_with_funding < funded.margin);
    let position = funded.to_position("ETH-USDC".parse()?, Asset::new("USDC")?)?;
    println!("perp position after funding: {position:?}");
    assert!(position.is_long());
    assert_eq!(
        position.funding_paid.map(|f| f.is_sign_positive()),
        Some(true)
    );

    // Partly close: a short of a third of the notional reduces the long by the local quote.
    let state = AmmState::load(&rp, e.amm, rp.get_block_number().await?).await?;
    let reduce = funded.spot_notional / U256::from(3u8);
    let reduce_base = state.input_price(Dir::RemoveFromAmm, reduce)?;
    send(
        &p,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::openPositionCall {
            _amm: e.amm,
            _side: 1,
            _quoteAssetAmount: IPerpClearingHouse::Dec { d: reduce },
            _leverage: IPerpClearingHouse::Dec { d: math::UNIT },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: reduce_base },
        },
    )
    .await?;
    let reduced = check(&e, trader).await?;
    assert_eq!(reduced.size, funded.size - I256::try_from(reduce_base)?);
    assert!(reduced.size.is_positive());
    assert_eq!(
        reduced.funding_paid,
        I256::ZERO,
        "funding settled by the trade"
    );

    // Close at the local quote as the minimum.
    let state = AmmState::load(&rp, e.amm, rp.get_block_number().await?).await?;
    let out = state.output_price(Dir::AddToAmm, reduced.size.unsigned_abs())?;
    send(
        &p,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::closePositionCall {
            _amm: e.amm,
            _quoteAssetAmountLimit: IPerpClearingHouse::Dec { d: out },
        },
    )
    .await?;
    let closed = check(&e, trader).await?;
    assert!(closed.size.is_zero());
    assert_eq!(closed.margin_ratio, None);
    // A limit 1 wei above the quote is refused by the Amm, as locally.
    let state = AmmState::load(&rp, e.amm, rp.get_block_number().await?).await?;
    let (b2, _, _) = state.open_quote(true, e18(100), U256::ZERO)?;
    assert_eq!(
        state.open_quote(true, e18(100), b2 + U256::from(1u8)),
        Err(math::PerpMathError::LessThanMinimalBase)
    );
    let refused = send(
        &p,
        trader,
        e.clearing_house,
        &IPerpClearingHouse::openPositionCall {
            _amm: e.amm,
            _side: 0,
            _quoteAssetAmount: IPerpClearingHouse::Dec { d: e18(100) },
            _leverage: IPerpClearingHouse::Dec { d: math::UNIT },
            _baseAssetAmountLimit: IPerpClearingHouse::Dec {
                d: b2 + U256::from(1u8),
            },
        },
    )
    .await;
    assert!(refused.is_err());
    Ok(())
}
