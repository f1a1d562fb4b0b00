//! The vAMM arithmetic of Perpetual Protocol v1's `Amm.sol` (`@perp/contract` 2.x), integers only:
//! `getInputPriceWithReserves` / `getOutputPriceWithReserves` with their 1-wei rounding against the
//! trader, `calcFee` (toll and spread), the trade limit, the base/quote limits of `swapInput` /
//! `swapOutput`, the block fluctuation limit, and a position's notional, unrealized PnL and funding
//! payment as the ClearingHouse and its viewer compute them.
//!
//! Every amount is an 18-decimal `Decimal` (`U256`) or `SignedDecimal` (`I256`). Every place where the
//! contract reverts (SafeMath, the `int256` conversions of `MixedDecimal`, its `require`s) is a
//! [`PerpMathError`] here, so that a local quote and the chain's either agree to the wei or both reject.

use alloy::primitives::{I256, U256};

/// 10^18, the unit of `Decimal`.
pub const UNIT: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Where `Amm.sol` (or the math libraries under it) reverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PerpMathError {
    #[error("quote asset after is 0")]
    QuoteAssetAfterZero,
    #[error("base asset after is 0")]
    BaseAssetAfterZero,
    #[error("arithmetic overflow")]
    Overflow,
    #[error("arithmetic underflow (the amount exceeds the reserve)")]
    Underflow,
    #[error("division by zero")]
    DivisionByZero,
    #[error("over trading limit")]
    OverTradingLimit,
    #[error("Less than minimal base token")]
    LessThanMinimalBase,
    #[error("More than maximal base token")]
    MoreThanMaximalBase,
    #[error("Less than minimal quote token")]
    LessThanMinimalQuote,
    #[error("More than maximal quote token")]
    MoreThanMaximalQuote,
    #[error("price is already over fluctuation limit")]
    AlreadyOverFluctuationLimit,
    #[error("price is over fluctuation limit")]
    OverFluctuationLimit,
}

type R<T> = Result<T, PerpMathError>;

/// `Dir` of `IAmm`: which way an asset moves relative to the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    AddToAmm,
    RemoveFromAmm,
}

impl Dir {
    /// The ABI value (`uint8`).
    pub fn as_u8(self) -> u8 {
        match self {
            Dir::AddToAmm => 0,
            Dir::RemoveFromAmm => 1,
        }
    }
    pub fn opposite(self) -> Dir {
        match self {
            Dir::AddToAmm => Dir::RemoveFromAmm,
            Dir::RemoveFromAmm => Dir::AddToAmm,
        }
    }
}

/// The virtual reserves of one Amm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reserves {
    pub quote: U256,
    pub base: U256,
}

/// The Amm's parameters that the swap math reads (all 18-decimal ratios).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmmParams {
    pub toll_ratio: U256,
    pub spread_ratio: U256,
    pub trade_limit_ratio: U256,
    /// 0 turns the fluctuation check off.
    pub fluctuation_limit_ratio: U256,
}

fn add(x: U256, y: U256) -> R<U256> {
    x.checked_add(y).ok_or(PerpMathError::Overflow)
}
fn sub(x: U256, y: U256) -> R<U256> {
    x.checked_sub(y).ok_or(PerpMathError::Underflow)
}
fn mul(x: U256, y: U256) -> R<U256> {
    x.checked_mul(y).ok_or(PerpMathError::Overflow)
}

/// `DecimalMath.muld`: `x * y / 1e18`, rounded down.
pub fn mul_d(x: U256, y: U256) -> R<U256> {
    Ok(mul(x, y)? / UNIT)
}

/// `DecimalMath.divd`: `x * 1e18 / y`, rounded down.
pub fn div_d(x: U256, y: U256) -> R<U256> {
    if y.is_zero() {
        return Err(PerpMathError::DivisionByZero);
    }
    Ok(mul(x, UNIT)? / y)
}

/// `MixedDecimal.fromDecimal`: a `uint256` below 2^255 as `int256`.
fn to_signed(x: U256) -> R<I256> {
    I256::checked_from_sign_and_abs(alloy::primitives::Sign::Positive, x)
        .ok_or(PerpMathError::Overflow)
}

/// `SignedDecimalMath.mulD`: `x * y / 1e18`, truncated toward zero (Solidity's signed division).
pub fn mul_d_signed(x: I256, y: I256) -> R<I256> {
    let p = x.checked_mul(y).ok_or(PerpMathError::Overflow)?;
    p.checked_div(I256::try_from(UNIT).map_err(|_| PerpMathError::Overflow)?)
        .ok_or(PerpMathError::Overflow)
}

/// The core of both price functions: with `invariant = q·b/1e18`, the other side after the pool's
/// `amount_side` moves by `amount`, and the absolute change, rounded 1 wei against the trader.
fn other_side_delta(
    dir: Dir,
    amount: U256,
    this_pool: U256,
    other_pool: U256,
    zero: PerpMathError,
) -> R<U256> {
    let invariant = mul_d(this_pool, other_pool)?;
    let invariant_s = to_signed(invariant)?;
    let after = match dir {
        Dir::AddToAmm => add(this_pool, amount)?,
        Dir::RemoveFromAmm => sub(this_pool, amount)?,
    };
    if after.is_zero() {
        return Err(zero);
    }
    // SignedDecimal(invariant).divD(after): int256 multiply by 1e18 (checked), then divide.
    let after_s = to_signed(after)?;
    let scaled = invariant_s
        .checked_mul(I256::try_from(UNIT).map_err(|_| PerpMathError::Overflow)?)
        .ok_or(PerpMathError::Overflow)?;
    let other_after = scaled.checked_div(after_s).ok_or(PerpMathError::Overflow)?;
    let diff = other_after
        .checked_sub(to_signed(other_pool)?)
        .ok_or(PerpMathError::Overflow)?;
    let mut delta = diff.unsigned_abs();
    // invariant.abs().modD(after): x * 1e18 % y on uint256.
    if !(mul(invariant, UNIT)? % after).is_zero() {
        delta = match dir {
            Dir::AddToAmm => sub(delta, U256::from(1u8))?,
            Dir::RemoveFromAmm => add(delta, U256::from(1u8))?,
        };
    }
    Ok(delta)
}

/// `getInputPriceWithReserves`: the base asset exchanged for `quote_amount` of quote moving `dir`.
pub fn get_input_price(dir: Dir, quote_amount: U256, r: Reserves) -> R<U256> {
    if quote_amount.is_zero() {
        return Ok(U256::ZERO);
    }
    other_side_delta(
        dir,
        quote_amount,
        r.quote,
        r.base,
        PerpMathError::QuoteAssetAfterZero,
    )
}

/// `getOutputPriceWithReserves`: the quote asset exchanged for `base_amount` of base moving `dir`.
pub fn get_output_price(dir: Dir, base_amount: U256, r: Reserves) -> R<U256> {
    if base_amount.is_zero() {
        return Ok(U256::ZERO);
    }
    other_side_delta(
        dir,
        base_amount,
        r.base,
        r.quote,
        PerpMathError::BaseAssetAfterZero,
    )
}

/// `calcFee`: (toll, spread) on a quote notional, each rounded down.
pub fn calc_fee(quote_amount: U256, p: &AmmParams) -> R<(U256, U256)> {
    if quote_amount.is_zero() {
        return Ok((U256::ZERO, U256::ZERO));
    }
    Ok((
        mul_d(quote_amount, p.toll_ratio)?,
        mul_d(quote_amount, p.spread_ratio)?,
    ))
}

/// `getPriceBoundariesOfLastBlock`: (upper, lower) around the price of the reference snapshot (the
/// latest one of an earlier block).
pub fn price_boundaries(reference: Reserves, fluctuation_limit_ratio: U256) -> R<(U256, U256)> {
    let last = div_d(reference.quote, reference.base)?;
    let upper = mul_d(last, add(UNIT, fluctuation_limit_ratio)?)?;
    let lower = mul_d(last, sub(UNIT, fluctuation_limit_ratio)?)?;
    Ok((upper, lower))
}

/// `checkIsOverBlockFluctuationLimit` before a reserve update of `quote`/`base` with the quote moving
/// `dir_of_quote`. `reference` is the snapshot the boundaries come from.
pub fn check_fluctuation(
    dir_of_quote: Dir,
    quote: U256,
    base: U256,
    r: Reserves,
    reference: Reserves,
    p: &AmmParams,
    can_over_limit: bool,
) -> R<()> {
    if p.fluctuation_limit_ratio.is_zero() {
        return Ok(());
    }
    let (upper, lower) = price_boundaries(reference, p.fluctuation_limit_ratio)?;
    let price = div_d(r.quote, r.base)?;
    if price > upper || price < lower {
        return Err(PerpMathError::AlreadyOverFluctuationLimit);
    }
    if !can_over_limit {
        let price = match dir_of_quote {
            Dir::AddToAmm => div_d(add(r.quote, quote)?, sub(r.base, base)?)?,
            Dir::RemoveFromAmm => div_d(sub(r.quote, quote)?, add(r.base, base)?)?,
        };
        if price > upper || price < lower {
            return Err(PerpMathError::OverFluctuationLimit);
        }
    }
    Ok(())
}

/// The reserves after a swap of `quote`/`base` with the quote moving `dir_of_quote` (`updateReserve`).
pub fn apply(dir_of_quote: Dir, quote: U256, base: U256, r: Reserves) -> R<Reserves> {
    Ok(match dir_of_quote {
        Dir::AddToAmm => Reserves {
            quote: add(r.quote, quote)?,
            base: sub(r.base, base)?,
        },
        Dir::RemoveFromAmm => Reserves {
            quote: sub(r.quote, quote)?,
            base: add(r.base, base)?,
        },
    })
}

/// `swapInput`: the base exchanged for `quote_amount`, checked against the trade limit,
/// `base_limit` (0 = none) and the fluctuation limit; with the reserves after.
pub fn swap_input(
    dir_of_quote: Dir,
    quote_amount: U256,
    base_limit: U256,
    can_over_limit: bool,
    r: Reserves,
    reference: Reserves,
    p: &AmmParams,
) -> R<(U256, Reserves)> {
    if quote_amount.is_zero() {
        return Ok((U256::ZERO, r));
    }
    if dir_of_quote == Dir::RemoveFromAmm && mul_d(r.quote, p.trade_limit_ratio)? < quote_amount {
        return Err(PerpMathError::OverTradingLimit);
    }
    let base = get_input_price(dir_of_quote, quote_amount, r)?;
    if !base_limit.is_zero() {
        match dir_of_quote {
            Dir::AddToAmm if base < base_limit => return Err(PerpMathError::LessThanMinimalBase),
            Dir::RemoveFromAmm if base > base_limit => {
                return Err(PerpMathError::MoreThanMaximalBase);
            }
            _ => {}
        }
    }
    check_fluctuation(
        dir_of_quote,
        quote_amount,
        base,
        r,
        reference,
        p,
        can_over_limit,
    )?;
    Ok((base, apply(dir_of_quote, quote_amount, base, r)?))
}

/// `swapOutput` (closing and liquidating; may go over the fluctuation limit once): the quote
/// exchanged for `base_amount` of base moving `dir_of_base`, checked against the trade limit and
/// `quote_limit` (0 = none); with the reserves after.
pub fn swap_output(
    dir_of_base: Dir,
    base_amount: U256,
    quote_limit: U256,
    r: Reserves,
    reference: Reserves,
    p: &AmmParams,
) -> R<(U256, Reserves)> {
    if base_amount.is_zero() {
        return Ok((U256::ZERO, r));
    }
    if dir_of_base == Dir::RemoveFromAmm && mul_d(r.base, p.trade_limit_ratio)? < base_amount {
        return Err(PerpMathError::OverTradingLimit);
    }
    let quote = get_output_price(dir_of_base, base_amount, r)?;
    let dir_of_quote = dir_of_base.opposite();
    if !quote_limit.is_zero() {
        match dir_of_quote {
            Dir::RemoveFromAmm if quote < quote_limit => {
                return Err(PerpMathError::LessThanMinimalQuote);
            }
            Dir::AddToAmm if quote > quote_limit => {
                return Err(PerpMathError::MoreThanMaximalQuote);
            }
            _ => {}
        }
    }
    check_fluctuation(dir_of_quote, quote, base_amount, r, reference, p, true)?;
    Ok((quote, apply(dir_of_quote, quote, base_amount, r)?))
}

/// A position's spot notional and unrealized PnL (`getPositionNotionalAndUnrealizedPnl`, SPOT_PRICE):
/// the quote a close would receive (long) or pay (short), and the PnL against the open notional.
pub fn spot_notional_and_pnl(size: I256, open_notional: U256, r: Reserves) -> R<(U256, I256)> {
    if size.is_zero() {
        return Ok((U256::ZERO, I256::ZERO));
    }
    let long = size.is_positive();
    let dir = if long {
        Dir::AddToAmm
    } else {
        Dir::RemoveFromAmm
    };
    let notional = get_output_price(dir, size.unsigned_abs(), r)?;
    let (n, o) = (to_signed(notional)?, to_signed(open_notional)?);
    let pnl = if long {
        n.checked_sub(o)
    } else {
        o.checked_sub(n)
    };
    Ok((notional, pnl.ok_or(PerpMathError::Overflow)?))
}

/// The funding a position pays since its last update (positive: the trader pays), as the viewer's
/// `getFundingPayment` negates it: `(latest − last) · size / 1e18`.
pub fn funding_payment(
    size: I256,
    last_premium_fraction: I256,
    latest_premium_fraction: I256,
) -> R<I256> {
    if size.is_zero() {
        return Ok(I256::ZERO);
    }
    let delta = latest_premium_fraction
        .checked_sub(last_premium_fraction)
        .ok_or(PerpMathError::Overflow)?;
    mul_d_signed(delta, size)
}

/// The margin after funding as `getPersonalPositionWithFundingPayment` reports it (never below 0).
pub fn margin_with_funding(margin: U256, funding_paid: I256) -> R<U256> {
    let m = to_signed(margin)?
        .checked_sub(funding_paid)
        .ok_or(PerpMathError::Overflow)?;
    Ok(if m.is_negative() {
        U256::ZERO
    } else {
        m.unsigned_abs()
    })
}

#[cfg(test)]
#[path = "math_tests.rs"]
mod tests;
