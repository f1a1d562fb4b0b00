//! The Terraswap pair's swap arithmetic, reproduced exactly: `simulation` (offer → return,
//! spread, commission), `reverse_simulation` (ask → offer, spread, commission) and the
//! `belief_price`/`max_spread` check of a swap. The pair computes in 256-bit integers with
//! 18-decimal fixed-point ratios that round down at every step (`Decimal256`); this module does the
//! same steps on [`U256`], and where the contract would abort (a division by zero, an underflow,
//! an overflow, a result beyond `Uint128`) it returns a [`MathError`] instead. Pure: no I/O.

use std::fmt;
use std::str::FromStr;

use alloy::primitives::U256;
use rust_decimal::{Decimal, RoundingStrategy};

pub mod astroport;
mod word;

/// 10^18: one in 18-decimal fixed point.
const ONE: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

/// Why the pair would refuse (or abort) an operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("division by zero (an empty pool, or a swap that drains one)")]
    DivisionByZero,
    #[error("arithmetic overflow")]
    Overflow,
    #[error("arithmetic underflow (the ask amount is not available in the pool)")]
    Underflow,
    #[error("operation exceeds max spread limit")]
    MaxSpread,
    #[error("invalid decimal {0:?}")]
    BadDecimal(String),
    #[error("one of the pools is empty")]
    EmptyPool,
    #[error("the swap amount must not be zero")]
    ZeroAmount,
    #[error("max_spread is above the pair's ceiling (50 %)")]
    SpreadLimitTooLarge,
    #[error("the belief price must not be zero")]
    ZeroBeliefPrice,
}

/// A CosmWasm `Decimal`/`Decimal256`: an unsigned value with 18 fractional digits, held as its
/// atomics (value × 10^18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Dec18(pub U256);

impl Dec18 {
    pub const ZERO: Dec18 = Dec18(U256::ZERO);

    /// The pair's commission, 0.3 %.
    pub fn commission() -> Self {
        Dec18(U256::from(3_000_000_000_000_000u64))
    }

    /// `value` with at most 18 fractional digits, rounded with `strategy` beyond that.
    pub fn from_decimal(value: Decimal, strategy: RoundingStrategy) -> Result<Self, MathError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(MathError::BadDecimal(value.to_string()));
        }
        let v = value.round_dp_with_strategy(18, strategy);
        let mantissa = U256::from(v.mantissa().unsigned_abs());
        let scale = v.scale();
        let factor = U256::from(10u64).pow(U256::from(18 - scale));
        mantissa
            .checked_mul(factor)
            .map(Dec18)
            .ok_or(MathError::Overflow)
    }

    /// The value as a `Decimal` (rounded toward zero past 28 significant digits).
    pub fn to_decimal(self) -> Option<Decimal> {
        Decimal::from_str(&self.to_string()).ok()
    }
}

impl FromStr for Dec18 {
    type Err = MathError;

    /// The contract's form: `123`, `0.5`, `1.000000000000000001` (at most 18 fractional digits).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MathError::BadDecimal(s.to_string());
        let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
        if whole.is_empty()
            || (s.contains('.') && frac.is_empty())
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 18
        {
            return Err(bad());
        }
        let w = U256::from_str_radix(whole, 10).map_err(|_| bad())?;
        let f = if frac.is_empty() {
            U256::ZERO
        } else {
            U256::from_str_radix(frac, 10).map_err(|_| bad())?
                * U256::from(10u64).pow(U256::from(18 - frac.len()))
        };
        w.checked_mul(ONE)
            .and_then(|x| x.checked_add(f))
            .map(Dec18)
            .ok_or_else(bad)
    }
}

impl fmt::Display for Dec18 {
    /// The contract's form: no trailing zeros, no fraction when whole.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / ONE;
        let frac = self.0 % ONE;
        if frac.is_zero() {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:0>18}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

/// `simulation`'s answer (and what a swap pays out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapOut {
    /// Paid to the trader, commission deducted.
    pub return_amount: u128,
    /// The shortfall against the pool's price before the swap.
    pub spread_amount: u128,
    /// Kept by the pool.
    pub commission_amount: u128,
}

impl SwapOut {
    /// The three amounts from their 256-bit steps (each must fit `Uint128`, as the contracts
    /// convert them).
    fn narrowed(net: U256, spread: U256, fee: U256) -> Result<Self, MathError> {
        Ok(SwapOut {
            return_amount: narrow(net)?,
            spread_amount: narrow(spread)?,
            commission_amount: narrow(fee)?,
        })
    }
}

/// `reverse_simulation`'s answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReverseOut {
    pub offer_amount: u128,
    pub spread_amount: u128,
    pub commission_amount: u128,
}

fn mul(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_mul(b).ok_or(MathError::Overflow)
}

fn div(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_div(b).ok_or(MathError::DivisionByZero)
}

fn sub(a: U256, b: U256) -> Result<U256, MathError> {
    a.checked_sub(b).ok_or(MathError::Underflow)
}

/// `n / d` in 18-decimal fixed point, rounded down (`Decimal256::from_ratio`).
fn ratio(n: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    div(mul(n, ONE)?, d)
}

/// `u × d` for an integer and a fixed-point value, rounded down (0 when either is 0).
fn scale(u: U256, d: U256) -> Result<U256, MathError> {
    if u.is_zero() || d.is_zero() {
        return Ok(U256::ZERO);
    }
    Ok(mul(u, d)? / ONE)
}

fn narrow(v: U256) -> Result<u128, MathError> {
    u128::try_from(v).map_err(|_| MathError::Overflow)
}

/// Offering `offer_amount` to a pool holding `offer_pool` and `ask_pool`:
/// `return = ask_pool − offer_pool·ask_pool/(offer_pool + offer_amount)` (rounded down), the
/// spread against `offer_amount · ask_pool/offer_pool`, and the commission taken from the return.
///
/// Amounts and commission within 64 bits (every 6-decimal pool) take [`word::simulate`]: the same
/// result from `u128` words, no allocation, about 13× faster; anything larger, or a step whose
/// `u128` product would overflow, takes the contract's `U256` steps.
pub fn simulate(
    offer_pool: u128,
    ask_pool: u128,
    offer_amount: u128,
    commission: Dec18,
) -> Result<SwapOut, MathError> {
    word::simulate(offer_pool, ask_pool, offer_amount, commission)
        .unwrap_or_else(|| simulate_wide(offer_pool, ask_pool, offer_amount, commission))
}

/// [`simulate`] step by step as the contract does it, in `U256`.
pub fn simulate_wide(
    offer_pool: u128,
    ask_pool: u128,
    offer_amount: u128,
    commission: Dec18,
) -> Result<SwapOut, MathError> {
    let (op, ap, oa) = (
        U256::from(offer_pool),
        U256::from(ask_pool),
        U256::from(offer_amount),
    );
    let k = if op.is_zero() || ap.is_zero() {
        U256::ZERO
    } else {
        mul(op, ap)?
    };
    let after = ratio(k, op + oa)?;
    let gross = sub(mul(ap, ONE)?, after)? / ONE;
    let at_price = scale(oa, ratio(ap, op)?)?;
    let spread = sub(at_price, gross)?;
    let fee = scale(gross, commission.0)?;
    let net = sub(gross, fee)?;
    SwapOut::narrowed(net, spread, fee)
}

/// What must be offered to receive `ask_amount` (commission included):
/// `offer = offer_pool·ask_pool / (ask_pool − ask_amount/(1 − commission)) − offer_pool`, each
/// step rounded down as the pair does. Small amounts take [`word::reverse_simulate`], as in
/// [`simulate`].
pub fn reverse_simulate(
    offer_pool: u128,
    ask_pool: u128,
    ask_amount: u128,
    commission: Dec18,
) -> Result<ReverseOut, MathError> {
    word::reverse_simulate(offer_pool, ask_pool, ask_amount, commission)
        .unwrap_or_else(|| reverse_simulate_wide(offer_pool, ask_pool, ask_amount, commission))
}

/// [`reverse_simulate`] step by step as the contract does it, in `U256`.
pub fn reverse_simulate_wide(
    offer_pool: u128,
    ask_pool: u128,
    ask_amount: u128,
    commission: Dec18,
) -> Result<ReverseOut, MathError> {
    let (op, ap, aa) = (
        U256::from(offer_pool),
        U256::from(ask_pool),
        U256::from(ask_amount),
    );
    let k = if op.is_zero() || ap.is_zero() {
        U256::ZERO
    } else {
        mul(op, ap)?
    };
    let keep = sub(ONE, commission.0)?;
    let inv_keep = ratio(ONE, keep)?;
    let gross_ask = scale(aa, inv_keep)?;
    let left = sub(ap, gross_ask)?;
    let offer = sub(div(k, left)?, op)?;
    let at_price = scale(offer, ratio(ap, op)?)?;
    let spread = at_price.saturating_sub(gross_ask);
    let fee = scale(gross_ask, commission.0)?;
    Ok(ReverseOut {
        offer_amount: narrow(offer)?,
        spread_amount: narrow(spread)?,
        commission_amount: narrow(fee)?,
    })
}

fn pow10(exp: u8) -> Result<u128, MathError> {
    10u64
        .checked_pow(exp.into())
        .map(u128::from)
        .ok_or(MathError::Overflow)
}

/// The swap's slippage rule. With both `belief_price` (offer units per ask unit) and
/// `max_spread`: refused when the return falls short of `offer / belief_price` by more than
/// `max_spread` of it. With `max_spread` alone: refused when `spread / (return + spread)` exceeds
/// it. Amounts are first brought to the larger of the two assets' decimals.
pub fn check_max_spread(
    belief_price: Option<Dec18>,
    max_spread: Option<Dec18>,
    offer_amount: u128,
    return_amount: u128,
    spread_amount: u128,
    offer_decimals: u8,
    ask_decimals: u8,
) -> Result<(), MathError> {
    let up = |v: u128, f: u128| v.checked_mul(f).ok_or(MathError::Overflow);
    let (offer, ret, spread) = if offer_decimals > ask_decimals {
        let f = pow10(offer_decimals - ask_decimals)?;
        (offer_amount, up(return_amount, f)?, up(spread_amount, f)?)
    } else if offer_decimals < ask_decimals {
        let f = pow10(ask_decimals - offer_decimals)?;
        (up(offer_amount, f)?, return_amount, spread_amount)
    } else {
        (offer_amount, return_amount, spread_amount)
    };
    let (offer, ret, spread) = (U256::from(offer), U256::from(ret), U256::from(spread));
    match (belief_price, max_spread) {
        (Some(price), Some(limit)) => {
            if price.0.is_zero() {
                return Err(MathError::DivisionByZero);
            }
            let expected = if offer.is_zero() {
                U256::ZERO
            } else {
                div(mul(offer, ONE)?, price.0)?
            };
            if ret < expected && ratio(expected - ret, expected)? > limit.0 {
                return Err(MathError::MaxSpread);
            }
        }
        (None, Some(limit)) if ratio(spread, ret + spread)? > limit.0 => {
            return Err(MathError::MaxSpread);
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec18 {
        s.parse().unwrap()
    }

    #[test]
    fn decimals_parse_and_print_as_the_contract_does() {
        assert_eq!(d("0.003"), Dec18::commission());
        assert_eq!(d("1").to_string(), "1");
        assert_eq!(d("1.500").to_string(), "1.5");
        assert_eq!(d("0.000000000000000001").0, U256::from(1));
        for bad in [
            "",
            ".5",
            "1.",
            "-1",
            "1e3",
            "0.0000000000000000001",
            "1.2.3",
        ] {
            assert!(bad.parse::<Dec18>().is_err(), "{bad}");
        }
        let x = Dec18::from_decimal(Decimal::new(12345, 4), RoundingStrategy::ToZero).unwrap();
        assert_eq!(x.to_string(), "1.2345");
        assert_eq!(x.to_decimal(), Some(Decimal::new(12345, 4)));
    }

    #[test]
    fn a_known_swap_by_hand() {
        // 1_000_000 / 1_000_000 pool, offer 1000: k/(1001000) = 999000.999000999000999000 (18 dp),
        // gross 999, spread 1000 - 999 = 1, commission floor(999 * 0.003) = 2, return 997.
        let s = simulate(1_000_000, 1_000_000, 1000, Dec18::commission()).unwrap();
        assert_eq!(
            s,
            SwapOut {
                return_amount: 997,
                spread_amount: 1,
                commission_amount: 2
            }
        );
        // 1/(1-0.003) = 1.003009027081243731; 997 → gross 999 (999.99999…), left 999001,
        // offer floor(1e12/999001) - 1e6 = 999 (the contract's reverse quote rounds down twice),
        // commission floor(999 * 0.003) = 2.
        let r = reverse_simulate(1_000_000, 1_000_000, 997, Dec18::commission()).unwrap();
        assert_eq!(r.offer_amount, 999);
        assert_eq!(r.commission_amount, 2);
    }

    #[test]
    fn refusals() {
        let c = Dec18::commission();
        assert_eq!(simulate(0, 5, 1, c), Err(MathError::DivisionByZero));
        assert_eq!(
            reverse_simulate(1000, 1000, 1000, c),
            Err(MathError::Underflow)
        );
        assert_eq!(
            reverse_simulate(1000, 1000, 998, c),
            Err(MathError::Underflow)
        );
        // the huge-variance case the contract's own test names: return 0
        assert_eq!(simulate(395451850234, 317, 1, c).unwrap().return_amount, 0);
    }

    #[test]
    fn max_spread_rules() {
        // belief price 1, offer 1000, return 990: 1 % short
        let ok = check_max_spread(Some(d("1")), Some(d("0.01")), 1000, 990, 0, 6, 6);
        assert_eq!(ok, Ok(()));
        let no = check_max_spread(Some(d("1")), Some(d("0.0099")), 1000, 990, 0, 6, 6);
        assert_eq!(no, Err(MathError::MaxSpread));
        // max_spread alone: spread/(return+spread) = 10/1000
        assert_eq!(
            check_max_spread(None, Some(d("0.01")), 1000, 990, 10, 6, 6),
            Ok(())
        );
        assert_eq!(
            check_max_spread(None, Some(d("0.0099")), 1000, 990, 10, 6, 6),
            Err(MathError::MaxSpread)
        );
        // belief price alone: no check
        assert_eq!(
            check_max_spread(Some(d("1")), None, 1000, 1, 999, 6, 6),
            Ok(())
        );
        // decimals: offer 6, ask 18 → the offer is scaled up by 10^12
        assert_eq!(
            check_max_spread(
                Some(d("0.000000000001")),
                Some(d("0")),
                1,
                1_000_000_000_000_000_000_000_000,
                0,
                6,
                18
            ),
            Ok(())
        );
    }
}
