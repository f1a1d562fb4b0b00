//! Bybit's names for the engine ledger's positions (`engine::perp`): `positionIdx` 0 (one-way),
//! 1 (hedge long), 2 (hedge short), a position's `side`, `tradeMode` 0 cross / 1 isolated, and
//! a funding settlement's id; the positions, settings, funding and liquidations themselves are
//! the ledger's.

use rust_decimal::Decimal;

use crate::exchange::engine::perp::{FundingRecord, MarginMode, PosSide};

/// The leverage a symbol starts at.
pub const DEFAULT_LEVERAGE: u32 = 10;

/// A position side's `positionIdx`.
pub fn idx_of(side: PosSide) -> u8 {
    match side {
        PosSide::Both => 0,
        PosSide::Long => 1,
        PosSide::Short => 2,
    }
}

/// The position side of a `positionIdx`.
pub fn side_of(idx: u8) -> Option<PosSide> {
    match idx {
        0 => Some(PosSide::Both),
        1 => Some(PosSide::Long),
        2 => Some(PosSide::Short),
        _ => None,
    }
}

/// A position's `side`: `Buy`, `Sell`, or empty when flat.
pub fn side_name(size: Decimal) -> &'static str {
    if size.is_zero() {
        ""
    } else if size > Decimal::ZERO {
        "Buy"
    } else {
        "Sell"
    }
}

/// `tradeMode`: 0 cross, 1 isolated.
pub fn trade_mode(mode: MarginMode) -> u8 {
    u8::from(mode == MarginMode::Isolated)
}

/// A funding settlement's id in the transaction log.
pub fn settlement_id(r: &FundingRecord) -> String {
    format!("settle-{}", r.seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_indexes_round_trip() {
        for s in [PosSide::Both, PosSide::Long, PosSide::Short] {
            assert_eq!(side_of(idx_of(s)), Some(s));
        }
        assert_eq!(side_of(3), None);
        assert_eq!(side_name(Decimal::NEGATIVE_ONE), "Sell");
        assert_eq!(trade_mode(MarginMode::Isolated), 1);
    }
}
