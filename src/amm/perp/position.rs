//! A trader's position in one Perp v1 Amm: read from the ClearingHouse at a block (size, margin,
//! open notional, last cumulative premium fraction; the latest fraction; the margin ratio), its
//! spot notional, unrealized PnL and unsettled funding computed locally from the Amm's reserves
//! with the contracts' own rounding, the liquidation price from the maintenance margin ratio
//! ([`liquidation`]), and converted to the venue interface's [`Position`].

use alloy::primitives::{Address, I256, U256};
use alloy::providers::DynProvider;

use super::abi::IPerpClearingHouse;
use super::liquidation;
use super::math::{self, Reserves};
use crate::amm::AmmError;
use crate::amm::evm::rpc::{ReadCall, batch_call, decode};
use crate::core::{Asset, CoreError, Pair, Position, from_units};

/// The raw position and what the local math derives from it, 18-decimal integers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PositionView {
    pub size: I256,
    pub margin: U256,
    pub open_notional: U256,
    pub last_premium_fraction: I256,
    pub latest_premium_fraction: I256,
    /// What closing it at the spot reserves exchanges (`getPositionNotionalAndUnrealizedPnl`, spot).
    pub spot_notional: U256,
    pub unrealized_pnl: I256,
    /// Funding owed since the last settlement (positive: the trader pays).
    pub funding_paid: I256,
    /// The margin after that funding (`getPersonalPositionWithFundingPayment`).
    pub margin_with_funding: U256,
    /// The ClearingHouse's `getMarginRatio` (`None` for an empty position, where it reverts).
    pub margin_ratio: Option<I256>,
    /// The ClearingHouse's `maintenanceMarginRatio` (set by [`PositionView::with_maintenance`]).
    pub maintenance_margin_ratio: Option<U256>,
    /// The spot price at which the margin ratio reaches the maintenance ratio
    /// ([`liquidation::liquidation_price`]; `None` when no price does, or not computed).
    pub liquidation_price: Option<U256>,
}

fn math_err(what: &'static str) -> impl Fn(math::PerpMathError) -> AmmError {
    move |e| AmmError::Decode {
        what,
        reason: e.to_string(),
    }
}

/// Reads `trader`'s position in `amm` at `block`, given the Amm's reserves at that block.
pub async fn read_position(
    provider: &DynProvider,
    clearing_house: Address,
    amm: Address,
    trader: Address,
    reserves: Reserves,
    block: u64,
) -> Result<PositionView, AmmError> {
    let calls = [
        ReadCall::new(
            clearing_house,
            &IPerpClearingHouse::getPositionCall {
                _amm: amm,
                _trader: trader,
            },
        ),
        ReadCall::new(
            clearing_house,
            &IPerpClearingHouse::getLatestCumulativePremiumFractionCall { _amm: amm },
        ),
        ReadCall::new(
            clearing_house,
            &IPerpClearingHouse::getMarginRatioCall {
                _amm: amm,
                _trader: trader,
            },
        ),
        ReadCall::new(
            clearing_house,
            &IPerpClearingHouse::maintenanceMarginRatioCall {},
        ),
    ];
    let mut results = batch_call(provider, &calls, block).await?.into_iter();
    let mut next = || {
        results
            .next()
            .unwrap_or_else(|| Err("missing batch result".into()))
    };
    let p = decode::<IPerpClearingHouse::getPositionCall>(next(), clearing_house, "getPosition")?;
    let latest = decode::<IPerpClearingHouse::getLatestCumulativePremiumFractionCall>(
        next(),
        clearing_house,
        "getLatestCumulativePremiumFraction",
    )?
    .d;
    let ratio = next();
    let mmr = decode::<IPerpClearingHouse::maintenanceMarginRatioCall>(
        next(),
        clearing_house,
        "maintenanceMarginRatio",
    )?;
    let margin_ratio = if p.size.d.is_zero() {
        None
    } else {
        Some(
            decode::<IPerpClearingHouse::getMarginRatioCall>(
                ratio,
                clearing_house,
                "getMarginRatio",
            )?
            .d,
        )
    };
    view(
        p.size.d,
        p.margin.d,
        p.openNotional.d,
        p.lastUpdatedCumulativePremiumFraction.d,
        latest,
        margin_ratio,
        reserves,
    )
    .map(|v| v.with_maintenance(mmr, reserves))
}

/// The local part of [`read_position`]: notional, PnL and funding from the raw fields.
pub fn view(
    size: I256,
    margin: U256,
    open_notional: U256,
    last_premium_fraction: I256,
    latest_premium_fraction: I256,
    margin_ratio: Option<I256>,
    reserves: Reserves,
) -> Result<PositionView, AmmError> {
    let (spot_notional, unrealized_pnl) =
        math::spot_notional_and_pnl(size, open_notional, reserves)
            .map_err(math_err("position notional"))?;
    let funding_paid = math::funding_payment(size, last_premium_fraction, latest_premium_fraction)
        .map_err(math_err("funding payment"))?;
    let margin_with_funding =
        math::margin_with_funding(margin, funding_paid).map_err(math_err("margin"))?;
    Ok(PositionView {
        size,
        margin,
        open_notional,
        last_premium_fraction,
        latest_premium_fraction,
        spot_notional,
        unrealized_pnl,
        funding_paid,
        margin_with_funding,
        margin_ratio,
        maintenance_margin_ratio: None,
        liquidation_price: None,
    })
}

fn signed(x: I256) -> Result<rust_decimal::Decimal, CoreError> {
    let abs = from_units(x.unsigned_abs(), 18)?;
    Ok(if x.is_negative() { -abs } else { abs })
}

impl PositionView {
    /// With the ClearingHouse's maintenance margin ratio and the liquidation price it gives at
    /// the Amm's `reserves`. A price the math cannot give (an overflow on absurd values) is left
    /// `None` and logged: the position itself is still reported.
    pub fn with_maintenance(mut self, mmr: U256, reserves: Reserves) -> Self {
        self.maintenance_margin_ratio = Some(mmr);
        self.liquidation_price = liquidation::liquidation_price(
            self.size,
            self.open_notional,
            self.margin,
            self.funding_paid,
            reserves,
            mmr,
        )
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, size = %self.size, "perp: no liquidation price");
            None
        });
        self
    }

    /// The venue interface's form (18-decimal integers to decimals, exact or an error).
    pub fn to_position(&self, pair: Pair, margin_asset: Asset) -> Result<Position, CoreError> {
        let size = signed(self.size)?;
        let entry_notional = from_units(self.open_notional, 18)?;
        Ok(Position {
            pair,
            entry_price: Position::entry_price_of(size, entry_notional),
            size,
            entry_notional,
            mark_notional: Some(from_units(self.spot_notional, 18)?),
            margin: from_units(self.margin_with_funding, 18)?,
            margin_asset,
            unrealized_pnl: signed(self.unrealized_pnl)?,
            margin_ratio: self.margin_ratio.map(signed).transpose()?,
            liquidation_price: self
                .liquidation_price
                .map(|p| from_units(p, 18))
                .transpose()?,
            funding_paid: Some(signed(self.funding_paid)?),
            position_side: crate::core::PositionSide::Net,
            mark_price: None,
            leverage: None,
            margin_mode: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_long_in_profit_after_funding() {
        let unit = math::UNIT;
        let r = Reserves {
            quote: unit * U256::from(1_000_000u64),
            base: unit * U256::from(1_000u64),
        };
        let size = I256::try_from(unit).unwrap();
        // opened for 900 USDC, 100 margin; premium fraction up 2 USDC per ETH since.
        let v = view(
            size,
            unit * U256::from(100u64),
            unit * U256::from(900u64),
            I256::ZERO,
            I256::try_from(unit * U256::from(2u64)).unwrap(),
            Some(I256::try_from(unit / U256::from(10u64)).unwrap()),
            r,
        )
        .unwrap();
        let p = v
            .to_position("ETH-USDC".parse().unwrap(), Asset::new("USDC").unwrap())
            .unwrap();
        assert_eq!(p.size, dec!(1));
        assert_eq!(p.entry_price, Some(dec!(900)));
        assert_eq!(p.funding_paid, Some(dec!(2)));
        assert_eq!(p.margin, dec!(98));
        assert_eq!(p.margin_ratio, Some(dec!(0.1)));
        assert_eq!(p.mark_notional, Some(dec!(999.000999000999000999)));
        assert_eq!(p.unrealized_pnl, dec!(99.000999000999000999));
    }
}
