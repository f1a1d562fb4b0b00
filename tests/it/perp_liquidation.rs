//! A Perp v1 position's liquidation price on anvil under xDai's chain id: a 4x long's position
//! reports the spot price at which its margin ratio reaches the ClearingHouse's maintenance
//! ratio; another trader's short then moves the Amm's spot price there, and (once the TWAP has
//! followed) the ClearingHouse's own `getMarginRatio` for the long is the maintenance ratio.
//! The same for a short, moved there by another trader's long.

use crate::perp_positions::check;
use crate::perp_support::{IPerpErc20, PerpEnv, TestResult, e18, read, send, start_xdai};
use alloy::primitives::{Address, I256, U256};
use alloy::providers::Provider;
use sluice::amm::perp::abi::{IPerpClearingHouse, IPerpClearingHouseViewer};
use sluice::amm::perp::state::AmmState;
use sluice_sim::anvil::dev_addresses;

const LONG: u8 = 0;
const SHORT: u8 = 1;

async fn approve(e: &PerpEnv, who: Address) -> TestResult<()> {
    let p = e.env.anvil.provider();
    let call = IPerpErc20::approveCall {
        spender: e.clearing_house,
        value: U256::MAX,
    };
    send(&p, who, e.usdc, &call).await?;
    Ok(())
}

async fn open(e: &PerpEnv, who: Address, side: u8, margin: U256, leverage: u64) -> TestResult<()> {
    let p = e.env.anvil.provider();
    let call = IPerpClearingHouse::openPositionCall {
        _amm: e.amm,
        _side: side,
        _quoteAssetAmount: IPerpClearingHouse::Dec { d: margin },
        _leverage: IPerpClearingHouse::Dec { d: e18(leverage) },
        _baseAssetAmountLimit: IPerpClearingHouse::Dec { d: U256::ZERO },
    };
    send(&p, who, e.clearing_house, &call).await?;
    Ok(())
}

/// Opens `trader`'s position, reads its liquidation price, has `other` trade the spot price there
/// and lets the TWAP follow; returns (the ClearingHouse's margin ratio then, the maintenance ratio).
async fn ratio_at_liquidation_price(
    e: &PerpEnv,
    (trader, other): (Address, Address),
    side: u8,
) -> TestResult<(I256, U256)> {
    approve(e, trader).await?;
    approve(e, other).await?;
    open(e, trader, side, e18(750), 4).await?;
    let view = check(e, trader).await?;
    let mmr = view
        .maintenance_margin_ratio
        .ok_or("no maintenance ratio")?;
    assert_eq!(mmr, e18(625) / U256::from(10_000u32), "6.25 %");
    let price = view.liquidation_price.ok_or("no liquidation price")?;
    let position = view.to_position("ETH-USDC".parse()?, sluice::core::Asset::new("USDC")?)?;
    assert_eq!(
        position.liquidation_price,
        Some(sluice::core::from_units(price, 18)?)
    );

    // The quote reserve at that price on the Amm's curve: √(k·P).
    let rp = e.env.anvil.read_provider();
    let block = rp.get_block_number().await?;
    let r = AmmState::load(&rp, e.amm, block).await?.reserves;
    let k = r.quote * r.base;
    let target = (k * price / e18(1)).root(2);
    // A short takes quote out of the Amm (the price falls), a long puts it in.
    let (other_side, notional) = if target < r.quote {
        (SHORT, r.quote - target)
    } else {
        (LONG, target - r.quote)
    };
    assert_eq!(
        other_side == SHORT,
        side == LONG,
        "the price moves against the position"
    );
    open(e, other, other_side, notional / U256::from(5u8), 5).await?;
    let p = e.env.anvil.provider();
    p.raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (7_200u64,))
        .await?;
    p.raw_request::<_, serde_json::Value>("evm_mine".into(), ())
        .await?;

    // The spot price is the liquidation price (to the rounding of the trade).
    let block = rp.get_block_number().await?;
    let r = AmmState::load(&rp, e.amm, block).await?.reserves;
    let spot = r.quote * e18(1) / r.base;
    assert!(
        spot.abs_diff(price) * U256::from(1_000_000_000u64) < price,
        "spot {spot} vs liquidation price {price}"
    );
    // Nothing else moved: the position still reports the same liquidation price.
    let after = check(e, trader).await?;
    let again = after.liquidation_price.ok_or("no liquidation price")?;
    assert!(
        again.abs_diff(price) * U256::from(1_000_000_000u64) < price,
        "{again} vs {price}"
    );
    let ratio = read(
        &rp,
        trader,
        e.viewer,
        &IPerpClearingHouseViewer::getMarginRatioCall {
            _amm: e.amm,
            _trader: trader,
        },
    )
    .await?
    .d;
    Ok((ratio, mmr))
}

fn assert_near(ratio: I256, mmr: U256) {
    let mmr = I256::try_from(mmr).expect("mmr fits");
    // 1e-9 in 18 decimals.
    assert!(
        (ratio - mmr).unsigned_abs() < U256::from(1_000_000_000u64),
        "margin ratio {ratio} vs maintenance {mmr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_longs_margin_ratio_at_its_liquidation_price_is_the_maintenance_ratio() -> TestResult<()>
{
    let e = start_xdai().await?;
    let a = dev_addresses();
    let (ratio, mmr) = ratio_at_liquidation_price(&e, (a[6], a[7]), LONG).await?;
    assert_near(ratio, mmr);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shorts_margin_ratio_at_its_liquidation_price_is_the_maintenance_ratio() -> TestResult<()>
{
    let e = start_xdai().await?;
    let a = dev_addresses();
    let (ratio, mmr) = ratio_at_liquidation_price(&e, (a[8], a[9]), SHORT).await?;
    assert_near(ratio, mmr);
    Ok(())
}
