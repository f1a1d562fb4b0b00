//! The liquidation price of a Perp v1 position: the Amm's spot price (quote reserve / base
//! reserve) at which the ClearingHouse's margin ratio falls to its maintenance margin ratio.
//!
//! The ClearingHouse's margin ratio is `(margin − funding owed + unrealized PnL) / notional`
//! (`getMarginRatio`: remaining margin less bad debt, over the position's notional), where the
//! notional is what closing the position exchanges on the vAMM and the PnL is `notional − open
//! notional` for a long, `open notional − notional` for a short. Others' trades move the reserves
//! along the Amm's constant product `k = quote × base`, so at a spot price `P` the reserves are
//! `(√(kP), √(k/P))` and closing `s` base exchanges
//!
//! ```text
//! long  (base added):   N = √(kP) − k / (√(k/P) + s) = √k · s · x² / (√k + s·x)
//! short (base removed): N = k / (√(k/P) − s) − √(kP) = √k · s · x² / (√k − s·x)     (x = √P)
//! ```
//!
//! The margin ratio reaches `m` (the maintenance ratio) where the notional is
//! `N* = (open − margin′) / (1 − m)` for a long and `N* = (open + margin′) / (1 + m)` for a short
//! (`margin′` = margin less the funding owed), and solving the quadratics for `x`:
//!
//! ```text
//! P = (N* ± √(N*² + 4·k·N*/s))² / (4k)          (+ for a long, − for a short)
//! ```
//!
//! All in 18-decimal integers (`U256`), each root and quotient rounded down. The contract also
//! takes the better of the spot and TWAP PnL, so right after a price move the position is
//! liquidated once the TWAP has followed; this is the spot price at which it is.

use alloy::primitives::{I256, U256};

use super::math::{PerpMathError as E, Reserves, UNIT};

/// The spot price (18 decimals) at which a position of `size` (signed), opened for
/// `open_notional`, with `margin` and `funding_owed` (positive: the trader pays) reaches the
/// maintenance margin ratio `mmr`, on an Amm whose reserves now are `reserves`. `None` when no
/// price liquidates it (a long whose margin covers its whole open notional) or it is empty.
pub fn liquidation_price(
    size: I256,
    open_notional: U256,
    margin: U256,
    funding_owed: I256,
    reserves: Reserves,
    mmr: U256,
) -> Result<Option<U256>, E> {
    if size.is_zero() {
        return Ok(None);
    }
    let s = size.unsigned_abs();
    let long = size.is_positive();
    let signed = |v: U256| I256::try_from(v).map_err(|_| E::Overflow);
    let margin_left = signed(margin)?
        .checked_sub(funding_owed)
        .ok_or(E::Overflow)?;
    let open = signed(open_notional)?;
    // N* = (open ∓ margin′) / (1 ∓ m).
    let (numerator, denominator) = if long {
        (
            open.checked_sub(margin_left).ok_or(E::Overflow)?,
            UNIT.checked_sub(mmr).filter(|d| !d.is_zero()),
        )
    } else {
        (
            open.checked_add(margin_left).ok_or(E::Overflow)?,
            UNIT.checked_add(mmr),
        )
    };
    let Some(denominator) = denominator else {
        return Ok(None);
    };
    if !numerator.is_positive() {
        return Ok(None);
    }
    let notional = mul(numerator.unsigned_abs(), UNIT)? / denominator;
    if notional.is_zero() {
        return Ok(None);
    }
    // k in 36 decimals; N*² and k·N*/s in 36 decimals, their root in 18.
    let k = mul(reserves.quote, reserves.base)?;
    if k.is_zero() {
        return Err(E::DivisionByZero);
    }
    let discriminant = mul(notional, notional)?
        .checked_add(mul(mul(k, notional)?, U256::from(4u8))? / s)
        .ok_or(E::Overflow)?;
    let root = discriminant.root(2);
    let x = if long {
        notional.checked_add(root).ok_or(E::Overflow)?
    } else {
        root.checked_sub(notional).ok_or(E::Underflow)?
    };
    // P = x² / (4k), in 18 decimals.
    let price = mul(mul(x, x)?, UNIT)? / mul(k, U256::from(4u8))?;
    Ok(Some(price))
}

fn mul(a: U256, b: U256) -> Result<U256, E> {
    a.checked_mul(b).ok_or(E::Overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::perp::math::{self, Dir};
    use proptest::prelude::*;

    fn e18(v: u64) -> U256 {
        U256::from(v) * UNIT
    }

    /// The reserves at spot price `p` on the curve `k` of `r` (rounded down).
    fn at_price(r: Reserves, p: U256) -> Reserves {
        let k = r.quote * r.base;
        Reserves {
            quote: (k * p / UNIT).root(2),
            base: (k * UNIT / p).root(2),
        }
    }

    /// The ClearingHouse's margin ratio at reserves `r` (spot PnL, no bad debt), 18 decimals.
    fn margin_ratio(size: I256, open: U256, margin: I256, r: Reserves) -> I256 {
        let s = size.unsigned_abs();
        let dir = if size.is_positive() {
            Dir::AddToAmm
        } else {
            Dir::RemoveFromAmm
        };
        let notional = math::get_output_price(dir, s, r).unwrap();
        let n = I256::try_from(notional).unwrap();
        let o = I256::try_from(open).unwrap();
        let pnl = if size.is_positive() { n - o } else { o - n };
        (margin + pnl) * I256::try_from(UNIT).unwrap() / n
    }

    fn close(a: I256, b: U256, tolerance: u64) -> bool {
        a.unsigned_abs().abs_diff(b) <= U256::from(tolerance)
    }

    #[test]
    fn a_4x_long_and_short_at_3000() {
        let r = Reserves {
            quote: e18(3_000_000),
            base: e18(1_000),
        };
        let mmr = UNIT / U256::from(16u8); // 6.25 %
        // Long 1 ETH for 3000 with 750 margin: liquidated where closing it exchanges
        // (3000 − 750) / 0.9375 = 2400, a spot price a little above 2400 (the close's slippage).
        let long = I256::try_from(UNIT).unwrap();
        let p = liquidation_price(long, e18(3000), e18(750), I256::ZERO, r, mmr)
            .unwrap()
            .unwrap();
        assert!(p > e18(2400) && p < e18(2410), "{p}");
        let at = at_price(r, p);
        let ratio = margin_ratio(long, e18(3000), I256::try_from(e18(750)).unwrap(), at);
        assert!(close(ratio, mmr, 1_000_000), "{ratio} vs {mmr}");
        // Funding owed brings it closer.
        let owed = I256::try_from(e18(50)).unwrap();
        let q = liquidation_price(long, e18(3000), e18(750), owed, r, mmr)
            .unwrap()
            .unwrap();
        assert!(q > p);
        // Short 1 ETH for 3000 with 750 margin: near (3000 + 750) / 1.0625 = 3529.
        let short = -long;
        let p = liquidation_price(short, e18(3000), e18(750), I256::ZERO, r, mmr)
            .unwrap()
            .unwrap();
        assert!(p > e18(3520) && p < e18(3530), "{p}");
        let ratio = margin_ratio(
            short,
            e18(3000),
            I256::try_from(e18(750)).unwrap(),
            at_price(r, p),
        );
        assert!(close(ratio, mmr, 1_000_000), "{ratio} vs {mmr}");
        // A long backed by its whole notional is never liquidated; an empty position neither.
        assert_eq!(
            liquidation_price(long, e18(3000), e18(3000), I256::ZERO, r, mmr),
            Ok(None)
        );
        assert_eq!(
            liquidation_price(I256::ZERO, e18(3000), e18(750), I256::ZERO, r, mmr),
            Ok(None)
        );
    }

    proptest! {
        /// At the liquidation price the margin ratio is the maintenance ratio (to the rounding
        /// of the reserves placed there), for longs and shorts from 1x to 10x.
        #[test]
        fn the_margin_ratio_at_the_price_is_the_maintenance_ratio(
            price in 10u64..100_000,
            depth in 100u64..100_000,
            size_milli in 1u64..50_000,
            leverage_tenths in 10u64..100,
            long in any::<bool>(),
            mmr_bp in 100u64..2_000,
        ) {
            let r = Reserves { quote: e18(price * depth), base: e18(depth) };
            let s = e18(size_milli) / U256::from(1000u32);
            prop_assume!(s < r.base / U256::from(4u8));
            let dir = if long { Dir::AddToAmm } else { Dir::RemoveFromAmm };
            let open = math::get_output_price(dir, s, r).unwrap();
            let margin = open * U256::from(10u8) / U256::from(leverage_tenths);
            let mmr = UNIT * U256::from(mmr_bp) / U256::from(10_000u32);
            prop_assume!(margin > open * U256::from(mmr_bp) / U256::from(10_000u32));
            let size = if long { I256::try_from(s).unwrap() } else { -I256::try_from(s).unwrap() };
            let Some(p) = liquidation_price(size, open, margin, I256::ZERO, r, mmr).unwrap() else {
                prop_assert!(long && margin >= open);
                return Ok(());
            };
            let at = at_price(r, p);
            // A short may only be liquidated while its base can still be bought back.
            prop_assume!(long || at.base > s * U256::from(2u8));
            let ratio = margin_ratio(size, open, I256::try_from(margin).unwrap(), at);
            let tolerance = I256::try_from(UNIT / U256::from(1_000_000u32)).unwrap();
            prop_assert!((ratio - I256::try_from(mmr).unwrap()).abs() <= tolerance,
                "ratio {} vs mmr {} at price {}", ratio, mmr, p);
        }
    }
}
