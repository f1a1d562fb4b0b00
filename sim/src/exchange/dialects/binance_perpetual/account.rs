//! Binance's names for the engine ledger's position sides and margin modes (`BOTH` / `LONG` /
//! `SHORT`, `isolated` / `cross`); the positions themselves are the engine's perpetual ledger's
//! (`engine::perp`).

use crate::exchange::engine::perp::{MarginMode, PosSide};

/// The leverage a symbol starts at.
pub const DEFAULT_LEVERAGE: u32 = 20;

/// `BOTH`, `LONG` or `SHORT`.
pub fn side_name(side: PosSide) -> &'static str {
    match side {
        PosSide::Both => "BOTH",
        PosSide::Long => "LONG",
        PosSide::Short => "SHORT",
    }
}

/// A `positionSide` parameter.
pub fn parse_side(s: &str) -> Option<PosSide> {
    match s {
        "BOTH" => Some(PosSide::Both),
        "LONG" => Some(PosSide::Long),
        "SHORT" => Some(PosSide::Short),
        _ => None,
    }
}

/// `isolated` or `cross`, as `positionRisk` and `ACCOUNT_UPDATE` name them.
pub fn margin_name(mode: MarginMode) -> &'static str {
    match mode {
        MarginMode::Isolated => "isolated",
        MarginMode::Cross => "cross",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_names_round_trip() {
        for s in [PosSide::Both, PosSide::Long, PosSide::Short] {
            assert_eq!(parse_side(side_name(s)), Some(s));
        }
        assert_eq!(parse_side("UP"), None);
    }
}
