//! An open position on a perpetual venue (a vAMM such as Perp v1, or a futures exchange), in the
//! venue's own quote units. One shape for every perpetual venue: what one cannot report is `None`
//! (the fields added for futures exchanges default when read from an older document).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{Asset, MarginMode, Pair, PositionSide};

/// One position of the account: signed size (positive long, negative short) in the base asset, what
/// it cost to open, the margin behind it, and the venue's risk figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub pair: Pair,
    /// Base asset, signed: > 0 long, < 0 short.
    pub size: Decimal,
    /// The quote notional the position was opened for (what the venue calls open or entry notional).
    pub entry_notional: Decimal,
    /// `entry_notional / |size|`, where the size is not zero.
    pub entry_price: Option<Decimal>,
    /// The quote notional the position is worth now (what closing it would exchange).
    pub mark_notional: Option<Decimal>,
    /// The collateral behind the position, after the funding not yet settled where the venue says so.
    pub margin: Decimal,
    /// The asset the margin and PnL are in.
    pub margin_asset: Asset,
    /// Unrealized PnL at the venue's mark (for a vAMM, what a close would realize before fees).
    pub unrealized_pnl: Decimal,
    /// `(margin + unrealized PnL) / notional` as the venue defines it, where it reports one.
    pub margin_ratio: Option<Decimal>,
    /// The mark price at which the position is liquidated, where the venue says.
    pub liquidation_price: Option<Decimal>,
    /// Funding the position owes since its last settlement (positive: the account pays), where known.
    pub funding_paid: Option<Decimal>,
    /// Which position this is: the net one (one-way mode) or a hedge-mode side.
    #[serde(default)]
    pub position_side: PositionSide,
    /// The venue's mark price now, where it reports one.
    #[serde(default)]
    pub mark_price: Option<Decimal>,
    /// The leverage set for the market, where the venue has one.
    #[serde(default)]
    pub leverage: Option<Decimal>,
    /// Cross or isolated margin, where the venue says.
    #[serde(default)]
    pub margin_mode: Option<MarginMode>,
}

impl Position {
    /// Whether the position is long (a zero size is neither).
    pub fn is_long(&self) -> bool {
        self.size.is_sign_positive() && !self.size.is_zero()
    }

    /// No position on `pair` (on `side`): what a venue that lists open positions only means by
    /// listing none. Margined in the pair's quote asset.
    pub fn flat(pair: Pair, position_side: PositionSide) -> Self {
        let margin_asset = pair.quote.clone();
        Self {
            pair,
            size: Decimal::ZERO,
            entry_notional: Decimal::ZERO,
            entry_price: None,
            mark_notional: None,
            margin: Decimal::ZERO,
            margin_asset,
            unrealized_pnl: Decimal::ZERO,
            margin_ratio: None,
            liquidation_price: None,
            funding_paid: None,
            position_side,
            mark_price: None,
            leverage: None,
            margin_mode: None,
        }
    }

    /// `entry_notional / |size|`, or `None` for an empty position.
    pub fn entry_price_of(size: Decimal, entry_notional: Decimal) -> Option<Decimal> {
        if size.is_zero() {
            None
        } else {
            entry_notional.checked_div(size.abs())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn entry_price_and_side() {
        assert_eq!(
            Position::entry_price_of(dec!(-2), dec!(4000)),
            Some(dec!(2000))
        );
        assert_eq!(Position::entry_price_of(dec!(0), dec!(4000)), None);
        let p = Position {
            pair: "ETH-USDC".parse().unwrap(),
            size: dec!(-2),
            entry_notional: dec!(4000),
            entry_price: Some(dec!(2000)),
            mark_notional: None,
            margin: dec!(400),
            margin_asset: Asset::new("USDC").unwrap(),
            unrealized_pnl: dec!(0),
            margin_ratio: None,
            liquidation_price: None,
            funding_paid: None,
            position_side: PositionSide::Net,
            mark_price: None,
            leverage: None,
            margin_mode: None,
        };
        assert!(!p.is_long());
        let flat = Position::flat("ETH-USDC".parse().unwrap(), PositionSide::Net);
        assert!(flat.size.is_zero() && !flat.is_long());
        assert_eq!(flat.margin_asset, Asset::new("USDC").unwrap());
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Position>(&json).unwrap(), p);
        // a document written before the futures fields existed still reads
        let mut old: serde_json::Value = serde_json::from_str(&json).unwrap();
        for k in ["position_side", "mark_price", "leverage", "margin_mode"] {
            old.as_object_mut().unwrap().remove(k);
        }
        assert_eq!(serde_json::from_value::<Position>(old).unwrap(), p);
    }
}
