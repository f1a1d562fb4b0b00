//! Maintenance margin and the liquidation and bankruptcy prices, as the venues document them.
//!
//! - Maintenance margin of a position = notional × the maintenance margin rate of the notional's
//!   tier − the tier's maintenance amount (Binance's `cum` of `/fapi/v1/leverageBracket`, Bybit's
//!   `mmDeduction` of `/v5/market/risk-limit`); the tier is the one of the notional at the mark.
//! - Cross margin (Binance's USDⓈ-M formula, which Bybit's cross mode shares in substance: the
//!   price where the margin balance equals the maintenance margin):
//!   `LP = (WB − TMM1 + UPNL1 + Σcum − Σ sᵢ·EPᵢ) / (Σ |sᵢ|·MMRᵢ − Σ sᵢ)` over the symbol's
//!   positions (signed sizes `sᵢ`; one-way BOTH, or hedge LONG and SHORT sharing one price), with
//!   WB the cross wallet, TMM1 / UPNL1 the maintenance margin and unrealized PnL of the account's
//!   other cross positions. Isolated, Binance: the same with WB the position's isolated wallet and
//!   TMM1 = UPNL1 = 0. Isolated, Bybit: `LP = entry ∓ (IM − MM) / |size|` with IM and MM on the
//!   entry value (long: entry × (1 − 1/leverage + MMR) when the deduction is 0).
//! - Bankruptcy price (where the margin is spent, the price a liquidation closes at): the cross /
//!   isolated formula with no maintenance margin; Bybit isolated `entry × (1 ∓ 1/leverage)`.
//!
//! Simplified: the tier is taken at the mark and not re-chosen at the liquidation price; no
//! closing fee is reserved; an isolated wallet is the entry notional over the leverage (no added
//! margin). A price that is not positive, or a formula with a zero denominator, is `None`.

use rust_decimal::Decimal;

use super::position::round_price;

/// One tier of a symbol's maintenance margin table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RiskTier {
    /// The tier covers notionals up to this (inclusive), from the previous tier's cap.
    pub notional_cap: Decimal,
    /// Maintenance margin rate.
    pub mmr: Decimal,
    /// Maintenance amount (Binance `cum`, Bybit `mmDeduction`).
    pub maint_amount: Decimal,
    /// Highest leverage allowed in the tier.
    pub max_leverage: u32,
}

/// Binance's USDⓈ-M BTCUSDT table as its liquidation-price page quotes it (the sim's table for
/// every symbol): 0.4% up to 50,000; 0.5% (cum 50) to 250,000; 1% (cum 1,300) to 1,000,000.
pub fn binance_brackets() -> Vec<RiskTier> {
    let tier = |cap: i64, mmr: Decimal, cum: i64, lev: u32| RiskTier {
        notional_cap: Decimal::from(cap),
        mmr,
        maint_amount: Decimal::from(cum),
        max_leverage: lev,
    };
    vec![
        tier(50_000, Decimal::new(4, 3), 0, 125),
        tier(250_000, Decimal::new(5, 3), 50, 100),
        tier(1_000_000, Decimal::new(1, 2), 1_300, 50),
    ]
}

/// Bybit's BTCUSDT risk limits in the sim: 0.5% up to 2,000,000, then 1% (deduction 10,000) to
/// 10,000,000.
pub fn bybit_risk_limits() -> Vec<RiskTier> {
    vec![
        RiskTier {
            notional_cap: Decimal::from(2_000_000),
            mmr: Decimal::new(5, 3),
            maint_amount: Decimal::ZERO,
            max_leverage: 100,
        },
        RiskTier {
            notional_cap: Decimal::from(10_000_000),
            mmr: Decimal::new(1, 2),
            maint_amount: Decimal::from(10_000),
            max_leverage: 50,
        },
    ]
}

/// The tier of `notional` (the last one past every cap).
pub fn tier_of(tiers: &[RiskTier], notional: Decimal) -> Option<&RiskTier> {
    let n = notional.abs();
    tiers
        .iter()
        .find(|t| n <= t.notional_cap)
        .or_else(|| tiers.last())
}

/// Maintenance margin of a position of `notional`: notional × MMR − maintenance amount.
pub fn maintenance_margin(tiers: &[RiskTier], notional: Decimal) -> Decimal {
    tier_of(tiers, notional).map_or(Decimal::ZERO, |t| {
        (notional.abs() * t.mmr - t.maint_amount).max(Decimal::ZERO)
    })
}

/// One position of the symbol a cross (or Binance isolated) price is solved for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Leg {
    /// Signed size.
    pub size: Decimal,
    pub entry: Decimal,
    pub mmr: Decimal,
    pub maint_amount: Decimal,
}

/// The price where `collateral` (WB − TMM1 + UPNL1) plus the legs' PnL equals their maintenance
/// margin: Binance's formula. With `mmr` and `maint_amount` zero it is the bankruptcy price.
pub fn solve_price(collateral: Decimal, legs: &[Leg]) -> Option<Decimal> {
    let mut num = collateral;
    let mut den = Decimal::ZERO;
    for l in legs {
        num += l.maint_amount - l.size * l.entry;
        den += l.size.abs() * l.mmr - l.size;
    }
    if den.is_zero() {
        return None;
    }
    let p = round_price(num.checked_div(den)?);
    (p > Decimal::ZERO).then_some(p)
}

/// The same legs with no maintenance margin (for the bankruptcy price).
pub fn without_maintenance(legs: &[Leg]) -> Vec<Leg> {
    legs.iter()
        .map(|l| Leg {
            mmr: Decimal::ZERO,
            maint_amount: Decimal::ZERO,
            ..*l
        })
        .collect()
}

/// Bybit's isolated liquidation price: `entry ∓ (IM − MM) / |size|`, IM = value / leverage,
/// MM = value × MMR − deduction, value = |size| × entry.
pub fn bybit_isolated_liquidation(leg: &Leg, leverage: u32) -> Option<Decimal> {
    if leg.size.is_zero() || leverage == 0 {
        return None;
    }
    let value = leg.size.abs() * leg.entry;
    let im = value / Decimal::from(leverage);
    let mm = value * leg.mmr - leg.maint_amount;
    let step = (im - mm) / leg.size.abs();
    let p = round_price(if leg.size > Decimal::ZERO {
        leg.entry - step
    } else {
        leg.entry + step
    });
    (p > Decimal::ZERO).then_some(p)
}

/// Bybit's isolated bankruptcy price: `entry × (1 ∓ 1/leverage)`.
pub fn bybit_isolated_bankruptcy(leg: &Leg, leverage: u32) -> Option<Decimal> {
    if leg.size.is_zero() || leverage == 0 {
        return None;
    }
    let imr = Decimal::ONE / Decimal::from(leverage);
    let p = round_price(if leg.size > Decimal::ZERO {
        leg.entry * (Decimal::ONE - imr)
    } else {
        leg.entry * (Decimal::ONE + imr)
    });
    (p > Decimal::ZERO).then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn binance_documented_brackets_and_maintenance_margin() {
        let b = binance_brackets();
        // "a position of 264,000 USDT: the maintenance margin rate would be 1%"
        assert_eq!(tier_of(&b, dec!(264000)).unwrap().mmr, dec!(0.01));
        // "Level 3 = 250,000 × (1% − 0.5%) + 50 = 1,300"
        let level3 = dec!(250000) * (b[2].mmr - b[1].mmr) + b[1].maint_amount;
        assert_eq!(level3, b[2].maint_amount);
        assert_eq!(b[1].maint_amount, dec!(50000) * (b[1].mmr - b[0].mmr));
        // notional × MMR − maintenance amount, in the tier of the notional
        assert_eq!(maintenance_margin(&b, dec!(264000)), dec!(1340));
        assert_eq!(maintenance_margin(&b, dec!(100000)), dec!(450));
        assert_eq!(maintenance_margin(&b, dec!(10000)), dec!(40));
    }

    #[test]
    fn bybit_documented_isolated_examples() {
        // "a long entry of 1 BTC at 20,000 USDT with 50x leverage, MMR 0.5%: LP = 19,700"
        let long = Leg {
            size: dec!(1),
            entry: dec!(20000),
            mmr: dec!(0.005),
            maint_amount: dec!(0),
        };
        assert_eq!(bybit_isolated_liquidation(&long, 50), Some(dec!(19700)));
        let short = Leg {
            size: dec!(-1),
            ..long
        };
        assert_eq!(bybit_isolated_liquidation(&short, 50), Some(dec!(20300)));
        // bankruptcy: entry × (1 ∓ 1/leverage)
        assert_eq!(bybit_isolated_bankruptcy(&long, 50), Some(dec!(19600)));
        assert_eq!(bybit_isolated_bankruptcy(&short, 50), Some(dec!(20400)));
        // the entry × (1 − 1/leverage + MMR) form
        assert_eq!(
            bybit_isolated_liquidation(&long, 50),
            Some(dec!(20000) * (dec!(1) - dec!(0.02) + dec!(0.005)))
        );
    }

    #[test]
    fn at_the_solved_price_the_margin_balance_equals_the_maintenance_margin() {
        // one-way long 2 @ 100 with 20 of isolated wallet (10x), tier 0.4%
        let leg = Leg {
            size: dec!(2),
            entry: dec!(100),
            mmr: dec!(0.004),
            maint_amount: dec!(0),
        };
        let lp = solve_price(dec!(20), &[leg]).unwrap();
        // (20 − 200) / (0.008 − 2) = 90.36144578…
        assert_eq!(lp, dec!(90.36144578));
        let balance = dec!(20) + (lp - dec!(100)) * dec!(2);
        let mm = dec!(2) * lp * dec!(0.004);
        assert!((balance - mm).abs() < dec!(0.0000001));
        assert_eq!(
            solve_price(dec!(20), &without_maintenance(&[leg])),
            Some(dec!(90))
        );
        // a short: the price rises to it
        let short = Leg {
            size: dec!(-2),
            ..leg
        };
        assert_eq!(solve_price(dec!(20), &[short]), Some(dec!(109.56175299)));
        // hedge long and short of the same size, cross: no price liquidates them
        assert_eq!(
            solve_price(dec!(20), &without_maintenance(&[leg, short])),
            None
        );
        // a 1x long (its whole notional as margin) is never liquidated: the price is not positive
        assert_eq!(solve_price(dec!(200), &without_maintenance(&[leg])), None);
    }
}
