//! Astroport's XYK pair (`astroport-pair` 1.3.3) arithmetic, reproduced exactly: `compute_swap`
//! (`simulation`), `compute_offer_amount` (`reverse_simulation`) and `assert_max_spread`. It
//! differs from Terraswap's in ways that change results: the commission rate is the factory's
//! (`total_fee_bps / 10000`), an empty pool or a zero amount is refused up front, every
//! integer × fixed-point product rounds down through a double-width intermediate
//! (`multiply_ratio`), the reverse spread uses the 128-bit `Decimal`, and the spread check has a
//! default (0.5 %) and a ceiling (50 %), ignores the assets' decimals and compares the return
//! *before* commission. Where the contract returns an error or aborts, these return a
//! [`MathError`]. Pure: no I/O.

use alloy::primitives::{U256, U512};

use super::{Dec18, MathError, ONE, ReverseOut, SwapOut, narrow};
/// `max_spread` when a swap names none (`DEFAULT_SLIPPAGE`, 0.005).
pub const DEFAULT_MAX_SPREAD: Dec18 = Dec18(U256::from_limbs([5_000_000_000_000_000, 0, 0, 0]));
/// The largest `max_spread` a swap may name (`MAX_ALLOWED_SLIPPAGE`, 0.5).
pub const MAX_ALLOWED_SPREAD: Dec18 = Dec18(U256::from_limbs([500_000_000_000_000_000, 0, 0, 0]));

/// The commission of a pair whose factory charges `total_fee_bps` (`Decimal::from_ratio(bps,
/// 10000)`).
pub fn commission_of_bps(total_fee_bps: u16) -> Dec18 {
    Dec18(U256::from(total_fee_bps) * ONE / U256::from(10_000u64))
}

/// `a · b / d` rounded down with a 512-bit product (`multiply_ratio`): a zero `d` and a result
/// beyond 256 bits abort.
fn multiply_ratio(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    // the same floor division in the narrowest words the product fits (pools of real size stay
    // within 256 bits, most within 128)
    if let Some(p) = a.checked_mul(b) {
        if p <= U256::from(u128::MAX) && d <= U256::from(u128::MAX) {
            return Ok(U256::from(p.to::<u128>() / d.to::<u128>()));
        }
        return Ok(p / d);
    }
    wide_multiply_ratio(a, b, d)
}

/// [`multiply_ratio`] through a 512-bit product.
fn wide_multiply_ratio(a: U256, b: U256, d: U256) -> Result<U256, MathError> {
    if d.is_zero() {
        return Err(MathError::DivisionByZero);
    }
    let q = U512::from(a) * U512::from(b) / U512::from(d);
    if q > U512::from(U256::MAX) {
        return Err(MathError::Overflow);
    }
    Ok(U256::from_limbs_slice(&q.as_limbs()[..4]))
}

/// `Uint256 × Decimal256` (and `Uint128 × Decimal` within 128 bits): 0 when either is 0.
fn times(u: U256, d: U256) -> Result<U256, MathError> {
    if u.is_zero() || d.is_zero() {
        return Ok(U256::ZERO);
    }
    multiply_ratio(u, d, ONE)
}

/// `Decimal256::from_ratio(n, d)`.
fn ratio(n: U256, d: U256) -> Result<U256, MathError> {
    multiply_ratio(n, ONE, d)
}

/// `check_swap_parameters`.
fn check(offer_pool: u128, ask_pool: u128, amount: u128) -> Result<(), MathError> {
    if offer_pool == 0 || ask_pool == 0 {
        return Err(MathError::EmptyPool);
    }
    if amount == 0 {
        return Err(MathError::ZeroAmount);
    }
    Ok(())
}

/// `compute_swap`: offering `offer_amount` to a pool of `offer_pool`/`ask_pool`.
pub fn simulate(
    offer_pool: u128,
    ask_pool: u128,
    offer_amount: u128,
    commission: Dec18,
) -> Result<SwapOut, MathError> {
    check(offer_pool, ask_pool, offer_amount)?;
    // Astroport's compute_swap takes the same Decimal256 steps as Terraswap's: amounts and a
    // commission within 64 bits go through the word-level form of those steps
    if let Some(out) = super::word::simulate(offer_pool, ask_pool, offer_amount, commission) {
        return out;
    }
    simulate_wide(offer_pool, ask_pool, offer_amount, commission)
}

/// [`simulate`] by the contract's own 256-bit steps.
fn simulate_wide(
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
    let cp = op * ap;
    let before = ratio(ap, U256::from(1u8))?;
    let after = ratio(cp, op + oa)?;
    let gross = before.checked_sub(after).ok_or(MathError::Underflow)? / ONE;
    let at_price = times(oa, ratio(ap, op)?)?;
    let spread = at_price.checked_sub(gross).ok_or(MathError::Underflow)?;
    let fee = times(gross, commission.0)?;
    SwapOut::narrowed(gross - fee, spread, fee)
}

/// `compute_offer_amount`: what must be offered to receive `ask_amount`.
pub fn reverse_simulate(
    offer_pool: u128,
    ask_pool: u128,
    ask_amount: u128,
    commission: Dec18,
) -> Result<ReverseOut, MathError> {
    check(offer_pool, ask_pool, ask_amount)?;
    let (op, ap) = (U256::from(offer_pool), U256::from(ask_pool));
    let cp = op * ap;
    let keep = ONE.checked_sub(commission.0).ok_or(MathError::Underflow)?;
    let inv_keep = ratio(ONE, keep)?;
    let gross_ask = narrow(times(U256::from(ask_amount), inv_keep)?)?;
    let left = ask_pool
        .checked_sub(gross_ask)
        .ok_or(MathError::Underflow)?;
    let offer = multiply_ratio(cp, U256::from(1u8), U256::from(left))?
        .checked_sub(op)
        .ok_or(MathError::Underflow)?;
    let offer = narrow(offer)?;
    // `Decimal::from_ratio(ask_pool, offer_pool)` is 128-bit, as is the product with it
    let price = narrow(ratio(ap, op)?)?;
    let at_price = narrow(times(U256::from(offer), U256::from(price))?)?;
    let spread = at_price.saturating_sub(gross_ask);
    let fee = narrow(times(U256::from(gross_ask), commission.0)?)?;
    Ok(ReverseOut {
        offer_amount: offer,
        spread_amount: spread,
        commission_amount: fee,
    })
}

/// `assert_max_spread` as the pair calls it from a swap: `return_amount` and
/// `commission_amount` are what [`simulate`] gave (the pair checks their sum). `max_spread`
/// defaults to 0.5 % and may not exceed 50 %; with a `belief_price` (offer units per ask unit)
/// the return is compared with `offer / belief_price`, else the spread with the return.
pub fn check_max_spread(
    belief_price: Option<Dec18>,
    max_spread: Option<Dec18>,
    offer_amount: u128,
    return_amount: u128,
    commission_amount: u128,
    spread_amount: u128,
) -> Result<(), MathError> {
    let limit = max_spread.unwrap_or(DEFAULT_MAX_SPREAD);
    if limit > MAX_ALLOWED_SPREAD {
        return Err(MathError::SpreadLimitTooLarge);
    }
    // both `Decimal`s (128-bit)
    for d in [Some(limit), belief_price].into_iter().flatten() {
        narrow(d.0)?;
    }
    let ret = return_amount
        .checked_add(commission_amount)
        .ok_or(MathError::Overflow)?;
    match belief_price {
        Some(price) => {
            if price.0.is_zero() {
                return Err(MathError::ZeroBeliefPrice);
            }
            let inv = (ONE * ONE) / price.0;
            let expected = narrow(times(U256::from(offer_amount), inv)?)?;
            let short = expected.saturating_sub(ret);
            if ret < expected && ratio(U256::from(short), U256::from(expected))? > limit.0 {
                return Err(MathError::MaxSpread);
            }
        }
        None => {
            let total = ret.checked_add(spread_amount).ok_or(MathError::Overflow)?;
            if ratio(U256::from(spread_amount), U256::from(total))? > limit.0 {
                return Err(MathError::MaxSpread);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Dec18 {
        s.parse().unwrap()
    }

    proptest::proptest! {
        /// The word-level simulation equals the contract's steps (results and refusals) for
        /// pools, amounts and commissions within 64 bits.
        #[test]
        fn word_simulation_equals_the_contract_steps(
            op in 1u64.., ap in 1u64.., oa in 1u64..,
            fee in 0u64..1_000_000_000_000_000_000,
        ) {
            let c = Dec18(U256::from(fee));
            let (op, ap, oa) = (u128::from(op), u128::from(ap), u128::from(oa));
            proptest::prop_assert_eq!(simulate(op, ap, oa, c), simulate_wide(op, ap, oa, c));
        }

        /// The narrow-word paths give the 512-bit product's quotient, for values of every size.
        #[test]
        fn multiply_ratio_equals_the_wide_product(
            a in proptest::prelude::any::<[u64; 4]>(),
            b in proptest::prelude::any::<[u64; 4]>(),
            d in proptest::prelude::any::<[u64; 4]>(),
            shift in 0usize..256,
        ) {
            let a = U256::from_limbs(a) >> shift;
            let b = U256::from_limbs(b) >> (255 - shift);
            let d = U256::from_limbs(d) >> (shift / 2);
            proptest::prop_assert_eq!(multiply_ratio(a, b, d), wide_multiply_ratio(a, b, d));
        }
    }

    #[test]
    fn a_known_swap_by_hand() {
        let c = commission_of_bps(30);
        assert_eq!(c, d("0.003"));
        // as Terraswap's for small round numbers: gross 999, spread 1, commission 2
        let s = simulate(1_000_000, 1_000_000, 1000, c).unwrap();
        assert_eq!(
            (s.return_amount, s.spread_amount, s.commission_amount),
            (997, 1, 2)
        );
        let r = reverse_simulate(1_000_000, 1_000_000, 997, c).unwrap();
        assert_eq!((r.offer_amount, r.commission_amount), (999, 2));
    }

    #[test]
    fn refusals_are_the_contracts() {
        let c = commission_of_bps(30);
        assert_eq!(simulate(0, 5, 1, c), Err(MathError::EmptyPool));
        assert_eq!(simulate(5, 5, 0, c), Err(MathError::ZeroAmount));
        assert_eq!(
            reverse_simulate(1000, 1000, 1000, c),
            Err(MathError::Underflow)
        );
        // ask/offer price beyond 128-bit Decimal: the reverse quote aborts
        assert_eq!(
            reverse_simulate(1, u128::MAX / 2, 1, c),
            Err(MathError::Overflow)
        );
    }

    #[test]
    fn max_spread_rules() {
        // default 0.5 %: spread 5 of 1000 passes, 6 does not
        assert_eq!(check_max_spread(None, None, 1000, 990, 5, 5), Ok(()));
        assert_eq!(
            check_max_spread(None, None, 1000, 989, 5, 6),
            Err(MathError::MaxSpread)
        );
        assert_eq!(
            check_max_spread(None, Some(d("0.51")), 1000, 990, 0, 0),
            Err(MathError::SpreadLimitTooLarge)
        );
        // belief price 1: the return *with* commission is compared: 990 + 10 = 1000, no shortfall
        assert_eq!(
            check_max_spread(Some(d("1")), Some(d("0")), 1000, 990, 10, 0),
            Ok(())
        );
        assert_eq!(
            check_max_spread(Some(d("1")), Some(d("0.0099")), 1000, 980, 10, 0),
            Err(MathError::MaxSpread)
        );
        assert_eq!(
            check_max_spread(Some(d("0")), None, 1000, 980, 10, 0),
            Err(MathError::ZeroBeliefPrice)
        );
    }
}
