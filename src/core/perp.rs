//! Perpetual-futures terms shared by every venue that has positions: which side of a position an
//! order acts on (one-way or hedge mode), margin modes, leverage, the mark / index / funding figures
//! of a market, and an order with its perpetual options ([`PerpOrder`]: an [`OrderRequest`] plus
//! position side and reduce-only), so that spot orders keep their shape.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::{
    Asset, ClientOrderId, CoreError, OrderRequest, OrderType, Pair, Position, Side, TimeInForce,
};

/// How an account holds positions in one market: one net position (one-way), or a long and a
/// short side held apart (hedge).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PositionMode {
    OneWay,
    Hedge,
}

/// Which position an order or a position report concerns: the net one (one-way mode), or the
/// long or short side of a hedge-mode account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PositionSide {
    #[default]
    Net,
    Long,
    Short,
}

impl PositionSide {
    /// The position mode this side belongs to.
    pub fn mode(self) -> PositionMode {
        match self {
            PositionSide::Net => PositionMode::OneWay,
            PositionSide::Long | PositionSide::Short => PositionMode::Hedge,
        }
    }
}

/// How margin backs a position: shared by the account's positions (cross) or set apart for one
/// position (isolated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginMode {
    Cross,
    Isolated,
}

impl fmt::Display for MarginMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MarginMode::Cross => "cross",
            MarginMode::Isolated => "isolated",
        })
    }
}

impl FromStr for MarginMode {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cross" | "crossed" => Ok(MarginMode::Cross),
            "isolated" => Ok(MarginMode::Isolated),
            _ => Err(CoreError::InvalidOrder(format!(
                "unknown margin mode {s:?}: expected cross or isolated"
            ))),
        }
    }
}

impl fmt::Display for PositionMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PositionMode::OneWay => "one_way",
            PositionMode::Hedge => "hedge",
        })
    }
}

/// A market's perpetual figures now: mark and index prices, the funding rate of the current
/// interval and when it is next settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingInfo {
    pub pair: Pair,
    /// The price positions are marked at (PnL, liquidation).
    pub mark_price: Decimal,
    /// The spot index the mark follows, where the venue publishes one.
    pub index_price: Option<Decimal>,
    /// The rate paid at the next settlement (positive: longs pay shorts), as a fraction.
    pub funding_rate: Decimal,
    /// Unix milliseconds of the next settlement.
    pub next_funding_time_ms: u64,
}

/// One funding settlement on a position, as the venue booked it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundingPayment {
    pub pair: Pair,
    /// Signed, in `asset`: positive when the account received funding, negative when it paid.
    pub amount: Decimal,
    pub asset: Asset,
    /// Unix milliseconds of the settlement.
    pub time_ms: u64,
    /// The venue's id of the payment (its transaction or bill id): the key that counts it once,
    /// whether it arrived on a stream, by polling, or both.
    pub id: String,
    /// The position side it settled (hedge mode), `Net` in one-way mode.
    #[serde(default)]
    pub position_side: PositionSide,
}

/// The leverage a venue applied to a market, and the largest notional it allows at it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeverageSetting {
    pub pair: Pair,
    pub leverage: u32,
    pub max_notional: Option<Decimal>,
}

/// An order on a perpetual market: the order itself and the options only positions have.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PerpOrder {
    pub order: OrderRequest,
    /// The position the order acts on: `Net` in one-way mode, `Long` or `Short` in hedge mode.
    #[serde(default)]
    pub position_side: PositionSide,
    /// Only reduce the position, never open or grow one (one-way mode; in hedge mode the side
    /// already says so and venues refuse the flag).
    #[serde(default)]
    pub reduce_only: bool,
}

impl PerpOrder {
    /// A one-way-mode order with no option set.
    pub fn plain(order: OrderRequest) -> Self {
        Self {
            order,
            position_side: PositionSide::Net,
            reduce_only: false,
        }
    }

    /// The market order that closes `position` whole: the opposite side for its size, reduce-only
    /// in one-way mode, on the position's own side in hedge mode.
    pub fn close(position: &Position, client_id: ClientOrderId) -> Result<Self, CoreError> {
        if position.size.is_zero() {
            return Err(CoreError::InvalidOrder(format!(
                "{client_id}: no position of {} to close",
                position.pair
            )));
        }
        let side = if position.is_long() {
            Side::Sell
        } else {
            Side::Buy
        };
        let order = OrderRequest {
            client_id,
            pair: position.pair.clone(),
            side,
            order_type: OrderType::Market,
            amount: position.size.abs(),
            price: None,
            time_in_force: TimeInForce::Gtc,
            deadline: None,
        };
        let position_side = position.position_side;
        let out = Self {
            order,
            position_side,
            reduce_only: position_side == PositionSide::Net,
        };
        out.check_shape()?;
        Ok(out)
    }

    /// The order's own shape, and options that fit together: reduce-only belongs to one-way mode.
    pub fn check_shape(&self) -> Result<(), CoreError> {
        self.order.check_shape()?;
        if self.order.order_type == OrderType::Swap {
            return Err(CoreError::InvalidOrder(format!(
                "{}: a swap is not a perpetual order",
                self.order.client_id
            )));
        }
        if self.reduce_only && self.position_side != PositionSide::Net {
            return Err(CoreError::InvalidOrder(format!(
                "{}: reduce-only is for one-way mode; in hedge mode the position side says it",
                self.order.client_id
            )));
        }
        Ok(())
    }

    /// Whether the order increases the position it acts on (hedge mode: buying the long side or
    /// selling the short side; one-way mode: unknown without the position, so not reduce-only).
    pub fn opens(&self) -> bool {
        match self.position_side {
            PositionSide::Net => !self.reduce_only,
            PositionSide::Long => self.order.side == Side::Buy,
            PositionSide::Short => self.order.side == Side::Sell,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::Asset;
    use rust_decimal_macros::dec;

    fn position(size: Decimal, side: PositionSide) -> Position {
        Position {
            pair: "BTC-USDT".parse().unwrap(),
            size,
            entry_notional: dec!(100),
            entry_price: None,
            mark_notional: None,
            margin: dec!(10),
            margin_asset: Asset::new("USDT").unwrap(),
            unrealized_pnl: dec!(0),
            margin_ratio: None,
            liquidation_price: None,
            funding_paid: None,
            position_side: side,
            mark_price: None,
            leverage: None,
            margin_mode: None,
        }
    }

    #[test]
    fn closing_orders_take_the_opposite_side_for_the_whole_size() {
        let id = ClientOrderId::new("c1").unwrap();
        let c = PerpOrder::close(&position(dec!(-0.5), PositionSide::Net), id.clone()).unwrap();
        assert_eq!(c.order.side, Side::Buy);
        assert_eq!(c.order.amount, dec!(0.5));
        assert!(c.reduce_only);
        assert!(!c.opens());
        let c = PerpOrder::close(&position(dec!(2), PositionSide::Long), id.clone()).unwrap();
        assert_eq!(c.order.side, Side::Sell);
        assert_eq!(c.position_side, PositionSide::Long);
        assert!(!c.reduce_only && !c.opens());
        assert!(PerpOrder::close(&position(dec!(0), PositionSide::Net), id).is_err());
    }

    #[test]
    fn reduce_only_is_refused_in_hedge_mode() {
        let id = ClientOrderId::new("c2").unwrap();
        let mut c = PerpOrder::close(&position(dec!(1), PositionSide::Net), id).unwrap();
        c.position_side = PositionSide::Short;
        assert!(c.check_shape().is_err());
        assert_eq!(PositionSide::Short.mode(), PositionMode::Hedge);
        assert_eq!("Crossed".parse::<MarginMode>().unwrap(), MarginMode::Cross);
        assert!("both".parse::<MarginMode>().is_err());
    }
}
