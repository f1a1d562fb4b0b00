//! A Perp v1 order planned from the synced Amm state, integers only. The venue interface trades a
//! base amount; the ClearingHouse opens and reduces positions by a quote notional
//! (`margin × leverage`) with a base-asset limit, and closes a whole position by its size with a
//! quote limit. So:
//!
//! - **open or increase** (`Buy` with no short, `Sell` with no long) and **reduce** (the opposite
//!   side, less than the position): the notional that exchanges exactly the order's base at the
//!   synced reserves ([`exact_notional`]), sent with the base-asset limit equal to that base (a
//!   minimum for a long's `Buy`, a maximum for a `Sell`): the trade fills exactly the order's base
//!   or reverts, and the bound on price is the local quote itself;
//! - **close** (the opposite side, exactly the position's size): `closePosition` with a quote
//!   limit from the order's worst average price, fees included;
//! - more than the position on the opposite side would reverse it: refused (close it first).
//!
//! [`decode_fill`] reads the fill back from the ClearingHouse's `PositionChanged` log.

use alloy::primitives::{Address, I256, U256};
use alloy::rpc::types::Log;
use alloy::sol_types::{SolCall, SolEvent};

use super::abi::IPerpClearingHouse;
use super::math::{self, Dir, PerpMathError, Reserves, UNIT};
use crate::amm::AmmError;
use crate::amm::swap::{FillAmounts, SwapPlan};
use crate::core::Side;

/// What an order does to the account's position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// `openPosition` on the position's side (or a new position).
    Increase,
    /// `openPosition` on the other side, for less than the position.
    Reduce,
    /// `closePosition`: the whole position.
    Close,
}

/// The exact trade of an order: every amount an 18-decimal Perp `Decimal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PerpTrade {
    pub action: Action,
    /// The base exchanged.
    pub base: U256,
    /// The quote notional exchanged (before fees).
    pub notional: U256,
    /// `openPosition`'s `_quoteAssetAmount` (the margin of an increase); 0 for a close.
    pub margin: U256,
    /// `openPosition`'s `_leverage`; 0 for a close.
    pub leverage: U256,
    pub toll: U256,
    pub spread: U256,
}

impl PerpTrade {
    /// Toll plus spread, the fees the ClearingHouse takes from the trader on top.
    pub fn fee(&self) -> Result<U256, PerpMathError> {
        self.toll
            .checked_add(self.spread)
            .ok_or(PerpMathError::Overflow)
    }

    /// What the trader pays (a `Buy`) or receives (a `Sell`) in quote, fees included.
    pub fn quote_with_fees(&self, side: Side) -> Result<U256, PerpMathError> {
        let fee = self.fee()?;
        match side {
            Side::Buy => self
                .notional
                .checked_add(fee)
                .ok_or(PerpMathError::Overflow),
            Side::Sell => self
                .notional
                .checked_sub(fee)
                .ok_or(PerpMathError::Underflow),
        }
    }
}

/// The direction of the quote asset for a side: a `Buy` adds quote to the Amm (base out).
pub fn dir_of_quote(side: Side) -> Dir {
    match side {
        Side::Buy => Dir::AddToAmm,
        Side::Sell => Dir::RemoveFromAmm,
    }
}

/// The first notional `q` in `lo..=hi` with `base(q) >= target` (`base` is non-decreasing in `q`;
/// an error counts as beyond every target), or `None` if even `hi` is below it.
fn first_reaching(
    lo: U256,
    hi: U256,
    target: U256,
    base: impl Fn(U256) -> Option<U256>,
) -> Option<U256> {
    let reaches = |q: U256| base(q).is_none_or(|b| b >= target);
    if !reaches(hi) {
        return None;
    }
    let (mut lo, mut hi) = (lo, hi);
    while lo < hi {
        let mid = lo + (hi - lo) / U256::from(2u8);
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid + U256::from(1u8);
        }
    }
    Some(lo)
}

/// `getInputPrice` in closed form, inverted: with `K = (q·b/1e18)·1e18`, a long's base is
/// `b − ⌈K/(q+n)⌉` and a short's `⌈K/(q−n)⌉ − b`, so the notionals giving exactly `base` are
/// bounds on `⌈K/·⌉`. `None` where the form does not apply (the caller then searches).
fn closed_form_range(dir: Dir, base: U256, r: Reserves) -> Option<(U256, U256)> {
    let one = U256::from(1u8);
    let k = math::mul_d(r.quote, r.base).ok()?.checked_mul(UNIT)?;
    let ceil_div = |d: U256| (!d.is_zero()).then(|| k.div_ceil(d));
    match dir {
        Dir::AddToAmm => {
            // n ≥ ⌈K/(b−x)⌉ − q, and n ≤ ⌈K/(b−x−1)⌉ − 1 − q.
            let lo = ceil_div(r.base.checked_sub(base)?)?.checked_sub(r.quote)?;
            let hi = ceil_div(r.base.checked_sub(base)?.checked_sub(one)?)?
                .checked_sub(one)?
                .checked_sub(r.quote)?;
            Some((lo, hi))
        }
        Dir::RemoveFromAmm => {
            // n ≥ q − ⌈K/(b+x−1)⌉ + 1, and n ≤ q − ⌈K/(b+x)⌉.
            let lo = r
                .quote
                .checked_sub(ceil_div(r.base.checked_add(base)?.checked_sub(one)?)?)?
                .checked_add(one)?;
            let hi = r.quote.checked_sub(ceil_div(r.base.checked_add(base)?)?)?;
            Some((lo, hi))
        }
    }
}

/// The range `[q_min, q_max]` of notionals that exchange exactly `base` of base moving with the
/// quote in `dir`, at `reserves` (`getInputPrice` with its rounding). Empty when the price per
/// wei is below 1 (no notional hits `base` exactly) or `base` is beyond the reserves. The closed
/// form is taken when `getInputPrice` itself confirms both ends and their neighbours (four
/// evaluations); otherwise the range is searched.
pub fn exact_notional_range(
    dir: Dir,
    base: U256,
    reserves: Reserves,
) -> Result<(U256, U256), AmmError> {
    if base.is_zero() {
        return Err(AmmError::InvalidAmount("a zero base amount".into()));
    }
    if let Some((lo, hi)) = closed_form_range(dir, base, reserves) {
        let f = |q: U256| math::get_input_price(dir, q, reserves).ok();
        let one = U256::from(1u8);
        let confirmed = !lo.is_zero()
            && lo <= hi
            && f(lo) == Some(base)
            && f(hi) == Some(base)
            && f(lo - one).is_some_and(|b| b < base)
            && f(hi + one).is_none_or(|b| b > base);
        if confirmed {
            return Ok((lo, hi));
        }
    }
    search_notional_range(dir, base, reserves)
}

/// [`exact_notional_range`] by bisection (the reference of the closed form, and its fallback).
pub fn search_notional_range(
    dir: Dir,
    base: U256,
    reserves: Reserves,
) -> Result<(U256, U256), AmmError> {
    if base.is_zero() {
        return Err(AmmError::InvalidAmount("a zero base amount".into()));
    }
    let no = |why: String| AmmError::InsufficientLiquidity(format!("perp: {why}"));
    let f = |q: U256| math::get_input_price(dir, q, reserves).ok();
    // A start close to the answer: the quote the output form gives for the same base.
    let guess = math::get_output_price(dir.opposite(), base, reserves)
        .map_err(|e| no(format!("{base} base is beyond the reserves ({e})")))?;
    let pad = guess / U256::from(1_000u32) + U256::from(1_000u32);
    let (mut lo, mut hi) = (guess.saturating_sub(pad), guess.saturating_add(pad));
    if f(lo).is_none_or(|b| b >= base) {
        lo = U256::ZERO;
    }
    if f(hi).is_some_and(|b| b <= base) {
        hi = match dir {
            Dir::AddToAmm => U256::MAX / UNIT,
            Dir::RemoveFromAmm => reserves.quote,
        };
    }
    let q_min = first_reaching(lo, hi, base, f)
        .ok_or_else(|| no(format!("no notional exchanges {base} base")))?;
    let exact = f(q_min) == Some(base);
    if !exact {
        return Err(no(format!(
            "no notional exchanges exactly {base} base at this price (one wei of quote moves more \
             than one wei of base)"
        )));
    }
    let above = base
        .checked_add(U256::from(1u8))
        .ok_or_else(|| no("base overflows".into()))?;
    let q_max = first_reaching(q_min, hi, above, f).map_or(hi, |q| q - U256::from(1u8));
    Ok((q_min, q_max))
}

/// The margin and notional of an `openPosition` at `leverage` (18 decimals) that exchanges exactly
/// `base`: the least notional for a `Buy`, the most for a `Sell` (the trader's better price), with
/// `notional = margin.mulD(leverage)` as the ClearingHouse computes it.
pub fn exact_notional(
    side: Side,
    base: U256,
    leverage: U256,
    reserves: Reserves,
) -> Result<(U256, U256), AmmError> {
    if leverage.is_zero() {
        return Err(AmmError::InvalidAmount("perp: a zero leverage".into()));
    }
    let (q_min, q_max) = exact_notional_range(dir_of_quote(side), base, reserves)?;
    let math = |e: PerpMathError| AmmError::Math(format!("perp margin: {e}"));
    let scaled = |q: U256| q.checked_mul(UNIT).ok_or(PerpMathError::Overflow);
    let margin = match side {
        Side::Buy => scaled(q_min).map_err(math)?.div_ceil(leverage),
        Side::Sell => scaled(q_max).map_err(math)? / leverage,
    };
    let notional = math::mul_d(margin, leverage).map_err(math)?;
    if margin.is_zero() || notional < q_min || notional > q_max {
        return Err(AmmError::InvalidAmount(format!(
            "perp: no margin at leverage {leverage} (1e18 = 1x) gives a notional in [{q_min}, \
             {q_max}], the notionals that exchange exactly {base} base; use a lower leverage"
        )));
    }
    Ok((margin, notional))
}

/// The trade of an order of `base` on `side` for an account whose position is `size` (signed),
/// at the synced `reserves`, opening at `leverage`.
pub fn plan_trade(
    side: Side,
    base: U256,
    size: I256,
    leverage: U256,
    reserves: Reserves,
    params: &math::AmmParams,
) -> Result<PerpTrade, AmmError> {
    let same_side = size.is_zero() || (size.is_positive() == (side == Side::Buy));
    let held = size.unsigned_abs();
    let math_err = |e: PerpMathError| AmmError::Math(format!("perp: {e}"));
    let (action, margin, lev, notional) = if same_side {
        let (m, n) = exact_notional(side, base, leverage, reserves)?;
        (Action::Increase, m, leverage, n)
    } else if base < held {
        // A reduce takes no margin: leverage 1 makes the notional any integer.
        let (m, n) = exact_notional(side, base, UNIT, reserves)?;
        (Action::Reduce, m, UNIT, n)
    } else if base == held {
        // closePosition: swapOutput of the whole size.
        let dir_of_base = match side {
            Side::Buy => Dir::RemoveFromAmm,
            Side::Sell => Dir::AddToAmm,
        };
        let n = math::get_output_price(dir_of_base, base, reserves).map_err(math_err)?;
        (Action::Close, U256::ZERO, U256::ZERO, n)
    } else {
        return Err(AmmError::InvalidAmount(format!(
            "perp: a {side} of {base} would reverse the position of {size} (all amounts 1e18 = 1): \
             close it first (a {side} of {held}), then open the other side"
        )));
    };
    let (toll, spread) = math::calc_fee(notional, params).map_err(math_err)?;
    Ok(PerpTrade {
        action,
        base,
        notional,
        margin,
        leverage: lev,
        toll,
        spread,
    })
}

/// `closePosition`'s quote limit from the order's worst average price (fees included), times the
/// base (both 18 decimals): a long's close (`Sell`) receives at least `worst·base / (1 − fee)`,
/// rounded up; a short's (`Buy`) pays at most `worst·base / (1 + fee)`, rounded down.
pub fn close_quote_limit(
    side: Side,
    worst_total: U256,
    params: &math::AmmParams,
) -> Result<U256, PerpMathError> {
    let fee_ratio = params
        .toll_ratio
        .checked_add(params.spread_ratio)
        .ok_or(PerpMathError::Overflow)?;
    let scaled = worst_total
        .checked_mul(UNIT)
        .ok_or(PerpMathError::Overflow)?;
    match side {
        Side::Sell => {
            let kept = UNIT
                .checked_sub(fee_ratio)
                .filter(|k| !k.is_zero())
                .ok_or(PerpMathError::Underflow)?;
            Ok(scaled.div_ceil(kept))
        }
        Side::Buy => {
            let paid = UNIT.checked_add(fee_ratio).ok_or(PerpMathError::Overflow)?;
            Ok(scaled / paid)
        }
    }
}

/// (amount in, amount out, fee) of a mined order from the ClearingHouse's `PositionChanged` log
/// of the plan's Amm (see [`decode_position_change`]).
pub fn decode_fill(logs: &[Log], plan: &SwapPlan) -> Result<FillAmounts, AmmError> {
    let amm = plan
        .pools
        .first()
        .copied()
        .ok_or_else(|| AmmError::Decode {
            what: "PositionChanged",
            reason: "the plan names no Amm".into(),
        })?;
    decode_position_change(logs, plan.router, amm, plan.side, &plan.calldata)
}

/// (amount in, amount out, fee) of a mined order, from the `PositionChanged` log that
/// `clearing_house` emitted for `amm`, with the fee inside the price as a swap's: a `Buy` pays
/// notional + fee for the base, a `Sell` gives the base for notional − fee. An `openPosition`
/// (`calldata`, the call as sent) must have exchanged exactly its base-asset limit (the order's
/// base); anything else is reported, never recorded. The same reading serves a live order and
/// one adopted after a restart.
pub fn decode_position_change(
    logs: &[Log],
    clearing_house: Address,
    amm: Address,
    side: Side,
    calldata: &[u8],
) -> Result<FillAmounts, AmmError> {
    let e = logs
        .iter()
        .filter(|l| l.address() == clearing_house)
        .filter_map(|l| IPerpClearingHouse::PositionChanged::decode_log(&l.inner).ok())
        .map(|l| l.data)
        .find(|e| e.amm == amm)
        .ok_or_else(|| AmmError::Decode {
            what: "PositionChanged",
            reason: format!("no PositionChanged log of Amm {amm} in the receipt"),
        })?;
    let bad = |reason: String| AmmError::Decode {
        what: "PositionChanged",
        reason,
    };
    let base = e.exchangedPositionSize.unsigned_abs();
    let bought = e.exchangedPositionSize.is_positive();
    if base.is_zero() || bought != (side == Side::Buy) {
        return Err(bad(format!(
            "the position changed by {} for a {side}",
            e.exchangedPositionSize
        )));
    }
    if let Ok(call) = IPerpClearingHouse::openPositionCall::abi_decode(calldata) {
        let wanted = call._baseAssetAmountLimit.d;
        if base != wanted {
            return Err(bad(format!(
                "the position changed by {base} base, not the {wanted} ordered (the price moved \
                 before it was mined); see `sluice positions`"
            )));
        }
    }
    let (amount_in, amount_out) = match side {
        Side::Buy => (
            e.positionNotional
                .checked_add(e.fee)
                .ok_or_else(|| bad("notional + fee overflows".into()))?,
            base,
        ),
        Side::Sell => (
            base,
            e.positionNotional
                .checked_sub(e.fee)
                .ok_or_else(|| bad("the fee exceeds the notional".into()))?,
        ),
    };
    Ok((amount_in, amount_out, e.fee))
}

#[cfg(test)]
#[path = "order_tests.rs"]
mod tests;
