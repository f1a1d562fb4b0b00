//! `StableMath`'s swap formulas on `u128` words: the same steps as [`super::stable_math`], each
//! product above 128 bits kept as a (high, low) pair ([`super::words`]) and divided back into a
//! word, so every intermediate is the contract's. A pool's balances, invariant and amplification
//! fit 128 bits (the Vault keeps balances in 112 bits; scaled to 18 decimals they stay far below
//! 2^128), while `invariant²`, `balance²` and `c` do not; those are the ones kept as pairs.
//!
//! Every function returns `None` when a value leaves the words or the contract would revert
//! (overflow, underflow, a zero divisor, no convergence); the caller then takes the `U256` path,
//! which gives the contract's result or its error by construction. Proptests below check that
//! any `Some` is the `U256` path's result and that swap-sized inputs take this path.

use alloy::primitives::U256;

use super::fixed_point::word;
use super::fixed_words::{downscale_down, mul_up, vault_checks};
use super::pool::PoolState;
use super::stable_math::Given;
use super::stable_root;
use super::words::{Divisor, div_var, mul_wide};

/// `_AMP_PRECISION`.
const AMP_PRECISION: u128 = 1_000;

/// The most tokens a pool has (the Vault's weighted pools: 8; stable pools: 5).
pub const MAX_TOKENS: usize = 8;

/// `(high, low) + (high, low)`, `None` past 256 bits.
#[inline(always)]
fn add_wide(a: (u128, u128), b: (u128, u128)) -> Option<(u128, u128)> {
    let (low, carry) = a.1.overflowing_add(b.1);
    let high = a.0.checked_add(b.0)?.checked_add(u128::from(carry))?;
    Some((high, low))
}

/// `(high, low) * m`, `None` past 256 bits.
#[inline(always)]
fn mul_wide_by(a: (u128, u128), m: u128) -> Option<(u128, u128)> {
    let (carry, low) = mul_wide(a.1, m);
    let (over, high) = mul_wide(a.0, m);
    if over != 0 {
        return None;
    }
    Some((high.checked_add(carry)?, low))
}

/// `Math.divUp((high, low), d)`: `None` when `d` is zero or the quotient needs more than 128 bits.
#[inline(always)]
fn div_up_wide(a: (u128, u128), d: u128) -> Option<u128> {
    if d == 0 {
        return None;
    }
    if a == (0, 0) {
        return Some(0);
    }
    let (high, low) = if a.1 == 0 {
        (a.0 - 1, u128::MAX)
    } else {
        (a.0, a.1 - 1)
    };
    div_var(high, low, d)?.checked_add(1)
}

/// A pool's invariant as a word, with what the swap formulas derive from it and the
/// amplification alone: its reciprocal (the `p_d` steps divide by it) and
/// `invariant / (amp * n)`. Computed once per pool state ([`super::stable_math::InvariantCache`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WordInvariant {
    pub value: u128,
    divisor: Divisor,
    amp_times_total: u128,
    per_amp: u128,
}

impl WordInvariant {
    /// `None` when a value leaves the words or a division would be by zero.
    pub(super) fn new(value: u128, amp: u128, n: usize) -> Option<Self> {
        let amp_times_total = amp.checked_mul(n as u128)?;
        Some(Self {
            value,
            divisor: Divisor::at_run_time(value)?,
            amp_times_total,
            per_amp: value.checked_div(amp_times_total)?,
        })
    }
}

/// `_getTokenBalanceGivenInvariantAndAllOtherBalances` on words.
pub(super) fn balance_given_invariant(
    amp: u128,
    balances: &[u128],
    inv: &WordInvariant,
    index: usize,
) -> Option<u128> {
    let invariant = inv.value;
    let n = balances.len() as u128;
    let amp_times_total = amp.checked_mul(n)?;
    if amp_times_total != inv.amp_times_total {
        return None;
    }
    let (&first, rest) = balances.split_first()?;
    let mut sum = first;
    let mut p_d = first.checked_mul(n)?;
    for &b in rest {
        let product = mul_wide_by(mul_wide(p_d, b), n)?;
        p_d = inv.divisor.div(product.0, product.1)?;
        sum = sum.checked_add(b)?;
    }
    let own = *balances.get(index)?;
    sum = sum.checked_sub(own)?;
    let inv2 = mul_wide(invariant, invariant);
    let c = div_up_wide(inv2, amp_times_total.checked_mul(p_d)?)?.checked_mul(AMP_PRECISION)?;
    let c = mul_wide(c, own);
    let b = sum.checked_add(inv.per_amp.checked_mul(AMP_PRECISION)?)?;
    stable_root::converged_balance(invariant, b, c).or_else(|| iterate(invariant, b, c))
}

/// The contract's Newton iteration for the balance, from `divUp(D² + c, D + b)`.
pub(super) fn iterate(invariant: u128, b: u128, c: (u128, u128)) -> Option<u128> {
    let inv2 = mul_wide(invariant, invariant);
    let mut balance = div_up_wide(add_wide(inv2, c)?, invariant.checked_add(b)?)?;
    for _ in 0..255 {
        let prev = balance;
        let denominator = balance
            .checked_mul(2)?
            .checked_add(b)?
            .checked_sub(invariant)?;
        balance = div_up_wide(add_wide(mul_wide(balance, balance), c)?, denominator)?;
        if balance.abs_diff(prev) <= 1 {
            return Some(balance);
        }
    }
    None
}

/// `_calcOutGivenIn` / `_calcInGivenOut` on words (`balances` upscaled; for `In` the fee
/// already taken off the amount, for `Out` the fee not yet added to the result).
pub(super) fn swap(
    given: Given,
    amp: u128,
    balances: &[u128],
    (index_in, index_out): (usize, usize),
    amount: u128,
    invariant: &WordInvariant,
) -> Option<u128> {
    let (moved_index, solved_index) = given.indexes(index_in, index_out);
    let mut moved = [0u128; MAX_TOKENS];
    let moved = moved.get_mut(..balances.len())?;
    moved.copy_from_slice(balances);
    let slot = moved.get_mut(moved_index)?;
    *slot = match given {
        Given::In => slot.checked_add(amount)?,
        Given::Out => slot.checked_sub(amount)?,
    };
    let solved = balance_given_invariant(amp, moved, invariant, solved_index)?;
    let before = *balances.get(solved_index)?;
    match given {
        Given::In => before.checked_sub(solved)?.checked_sub(1),
        Given::Out => solved.checked_sub(before)?.checked_add(1),
    }
}

/// A stable pool's `onSwap` for `GIVEN_IN` as the Vault calls it, on words: the fee off
/// `amount_in`, balances and amount upscaled, the invariant from `cache`, `_calcOutGivenIn`, the
/// result downscaled (rounding down), the Vault's checks.
pub(super) fn pool_out_given_in(
    pool: &PoolState,
    (i, o): (usize, usize),
    amount_in: U256,
    amp: U256,
) -> Option<u128> {
    let (amount_in, amp) = (word(amount_in)?, word(amp)?);
    let n = pool.balances.len();
    if pool.scaling.len() != n || n > MAX_TOKENS {
        return None;
    }
    let mut raw = [0u128; MAX_TOKENS];
    let mut upscaled = [0u128; MAX_TOKENS];
    for (k, (r, u)) in raw.iter_mut().zip(upscaled.iter_mut()).take(n).enumerate() {
        *r = word(*pool.balances.get(k)?)?;
        *u = r.checked_mul(word(*pool.scaling.get(k)?)?)?;
    }
    let (scale_in, scale_out) = (word(*pool.scaling.get(i)?)?, word(*pool.scaling.get(o)?)?);
    let fee = mul_up(amount_in, word(pool.swap_fee)?)?;
    let scaled_in = amount_in.checked_sub(fee)?.checked_mul(scale_in)?;
    let upscaled = upscaled.get(..n)?;
    let invariant = pool.invariant.get_words(amp, upscaled)?;
    let out = swap(Given::In, amp, upscaled, (i, o), scaled_in, &invariant)?;
    let out = downscale_down(out, scale_out)?;
    vault_checks(*raw.get(i)?, amount_in, *raw.get(o)?, out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::stable_math;
    use super::*;
    use proptest::prelude::*;

    fn wide(v: &[u128]) -> Vec<U256> {
        v.iter().map(|b| U256::from(*b)).collect()
    }

    /// Balances of a pool: `n` tokens, each `base` scaled by up to ±`spread` (in 1/1000).
    fn pool() -> impl Strategy<Value = (u128, Vec<u128>)> {
        (
            1u128..=5_000,
            2usize..=5,
            1e3 as u128..1e29 as u128,
            0u128..1_000,
        )
            .prop_flat_map(|(amp, n, base, spread)| {
                let balances =
                    proptest::collection::vec((1_000 - spread)..=(1_000 + spread), n..=n)
                        .prop_map(move |f| f.iter().map(|f| base / 1_000 * f).collect::<Vec<_>>());
                (Just(amp * AMP_PRECISION), balances)
            })
    }

    /// Where both paths answer, they agree; where the `U256` path fails, so does this one.
    fn check_both(
        amp: u128,
        balances: &[u128],
        i: usize,
        o: usize,
        amount: u128,
    ) -> Result<bool, TestCaseError> {
        let amp_w = U256::from(amp);
        let Ok(inv) = stable_math::invariant(amp_w, &wide(balances)) else {
            return Ok(false);
        };
        let inv_word = inv.to::<u128>();
        let mut answered = Vec::new();
        for given in [Given::In, Given::Out] {
            let (x, w) = (U256::from(amount), wide(balances));
            let want = stable_math::swap_wide(given, amp_w, &w, (i, o), x, inv);
            let got = WordInvariant::new(inv_word, amp, balances.len())
                .and_then(|w| swap(given, amp, balances, (i, o), amount, &w));
            if let Some(g) = got {
                prop_assert_eq!(Ok(U256::from(g)), want);
            }
            answered.push((got.is_some(), want.is_ok()));
        }
        // Whether the word path answered the given input, and the given output wherever the
        // `U256` path did.
        Ok(answered[0].0 && answered[1].0 == answered[1].1)
    }

    #[test]
    fn more_tokens_than_a_pool_holds_is_an_error_not_a_panic() {
        use super::super::error::BalancerMathError;
        use super::super::pool::{Amp, Curve};
        use alloy::primitives::{Address, B256};
        let n = MAX_TOKENS + 1;
        let pool = PoolState {
            id: B256::ZERO,
            address: Address::ZERO,
            tokens: (0..n as u8).map(Address::with_last_byte).collect(),
            balances: vec![U256::from(10u128.pow(24)); n],
            scaling: vec![U256::from(1u8); n],
            swap_fee: U256::ZERO,
            paused: false,
            curve: Curve::Stable {
                amp: Amp::fixed(U256::from(200_000u32)),
            },
            invariant: Default::default(),
        };
        let amount = U256::from(10u128.pow(18));
        assert_eq!(
            pool_out_given_in(&pool, (0, 1), amount, U256::from(200_000u32)),
            None
        );
        let (a, b) = (pool.tokens[0], pool.tokens[1]);
        assert_eq!(
            pool.out_given_in(a, b, amount, 0),
            Err(BalancerMathError::MaxTokens)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        /// Swaps up to half a balance (the Vault's range): the word path answers, and equals the
        /// `U256` path.
        #[test]
        fn swap_sized_quotes_take_the_word_path_and_equal_the_wide_one(
            (amp, balances) in pool(),
            i in 0usize..5,
            step in 0usize..4,
            fraction in 1u128..500_000_000,
        ) {
            let n = balances.len();
            let (i, o) = (i % n, (i + 1 + step % (n - 1)) % n);
            let amount = (balances[o] / 1_000_000_000 * fraction).max(1);
            prop_assert!(check_both(amp, &balances, i, o, amount)?);
        }

        /// Any inputs at all: whatever the word path answers is the `U256` path's answer.
        #[test]
        fn any_word_answer_is_the_wide_one(
            amp in 1u128..u128::MAX,
            balances in proptest::collection::vec(1u128..u128::MAX, 2..=5),
            shifts in proptest::collection::vec(0u32..128, 5),
            i in 0usize..5,
            step in 0usize..4,
            amount in any::<u128>(),
            amp_shift in 0u32..128,
        ) {
            let balances: Vec<u128> =
                balances.iter().zip(&shifts).map(|(b, s)| (b >> s).max(1)).collect();
            let n = balances.len();
            let (i, o) = (i % n, (i + 1 + step % (n - 1)) % n);
            check_both(amp >> amp_shift, &balances, i, o, amount)?;
        }

        /// A stable pool's quote on words (fee, scaling, cached invariant, the Vault's checks)
        /// is the `U256` path's, and swap-sized quotes take it.
        #[test]
        fn the_pools_word_quote_is_the_wide_one(
            (amp, balances) in pool(),
            decimals in proptest::collection::vec(prop::bool::ANY, 5),
            fee in 1_000_000_000_000u128..50_000_000_000_000_000,
            i in 0usize..5,
            step in 0usize..4,
            fraction in 1u128..500_000_000,
        ) {
            use super::super::pool::{Amp, Curve};
            use alloy::primitives::{Address, B256};
            let n = balances.len();
            let (i, o) = (i % n, (i + 1 + step % (n - 1)) % n);
            let scaling: Vec<U256> = (0..n)
                .map(|k| U256::from(if decimals[k] { 1u128 } else { 1_000_000_000_000 }))
                .collect();
            let raw: Vec<U256> = balances
                .iter()
                .zip(&scaling)
                .map(|(b, s)| (U256::from(*b) / s).max(U256::from(1u8)))
                .collect();
            let amount = (raw[i] / U256::from(1_000_000_000u64) * U256::from(fraction))
                .max(U256::from(1u8));
            let pool = PoolState {
                id: B256::ZERO,
                address: Address::ZERO,
                tokens: (0..n as u8).map(Address::with_last_byte).collect(),
                balances: raw,
                scaling,
                swap_fee: U256::from(fee),
                paused: false,
                curve: Curve::Stable { amp: Amp::fixed(U256::from(amp)) },
                invariant: Default::default(),
            };
            let wide = pool.out_given_in_wide((i, o), amount, 0);
            let words = pool_out_given_in(&pool, (i, o), amount, U256::from(amp));
            if let Some(w) = words {
                prop_assert_eq!(Ok(U256::from(w)), wide);
            } else {
                prop_assert!(wide.is_err(), "{:?}", wide);
            }
            // Again from the filled cache.
            prop_assert_eq!(pool_out_given_in(&pool, (i, o), amount, U256::from(amp)), words);
        }

        /// The wide helpers equal `ruint`.
        #[test]
        fn the_wide_helpers_are_ruints(a in any::<u128>(), b in any::<u128>(), c in any::<u128>(), d in any::<u128>(), m in any::<u128>(), k in 0u32..128) {
            let w = |p: (u128, u128)| -> U256 { (U256::from(p.0) << 128) | U256::from(p.1) };
            let (x, y) = (w((a, b)), w((c, d)));
            prop_assert_eq!(add_wide((a, b), (c, d)).map(w), x.checked_add(y));
            prop_assert_eq!(mul_wide_by((a, b), m).map(w), x.checked_mul(U256::from(m)));
            let div_up = |x: U256, m: u128| -> Option<U256> {
                if m == 0 {
                    return None;
                }
                let one = U256::from(1u8);
                let q = if x.is_zero() { x } else { (x - one) / U256::from(m) + one };
                (q <= U256::from(u128::MAX)).then_some(q)
            };
            prop_assert_eq!(div_up_wide((a, b), m).map(U256::from), div_up(x, m));
            let small = (a >> k, b);
            prop_assert_eq!(div_up_wide(small, m).map(U256::from), div_up(w(small), m));
            prop_assert_eq!(div_up_wide((0, 0), m).map(U256::from), div_up(U256::ZERO, m));
            prop_assert_eq!(div_up_wide((a >> k, 0), m).map(U256::from), div_up(w((a >> k, 0)), m));
        }
    }
}
