//! `StableMath` of the 2022 stable pools (`StablePool` v2): the invariant by Newton iteration, then
//! the balance of one token given the invariant and the others, as Curve's StableSwap with
//! Balancer's rounding (amplification carries `_AMP_PRECISION` = 1e3). Amounts and balances are
//! scaled to 18 decimals; the fee is handled by the caller.

use std::sync::Mutex;

use alloy::primitives::U256;

use super::error::BalancerMathError as E;
use super::fixed_point::{self as fp, math, word};
pub use super::stable_words::MAX_TOKENS;
use super::stable_words::{self, WordInvariant};

/// `_AMP_PRECISION`.
pub const AMP_PRECISION: U256 = U256::from_limbs([1_000, 0, 0, 0]);

fn one() -> U256 {
    U256::from(1u8)
}

/// `_calculateInvariant(amp, balances)`; `amp` includes the 1e3 precision.
pub fn invariant(amp: U256, balances: &[U256]) -> Result<U256, E> {
    let mut sum = U256::ZERO;
    for b in balances {
        sum = fp::add(sum, *b)?;
    }
    if sum.is_zero() {
        return Ok(U256::ZERO);
    }
    let n = U256::from(balances.len());
    let mut invariant = sum;
    let amp_times_total = amp.wrapping_mul(n);
    for _ in 0..255 {
        let mut d_p = invariant;
        for b in balances {
            d_p = math::div_down(math::mul(d_p, invariant)?, math::mul(*b, n)?)?;
        }
        let prev = invariant;
        let numerator = math::mul(
            fp::add(
                math::div_down(math::mul(amp_times_total, sum)?, AMP_PRECISION)?,
                math::mul(d_p, n)?,
            )?,
            invariant,
        )?;
        // `ampTimesTotal - _AMP_PRECISION` and the final `+` are unchecked in the contract.
        let denominator = math::div_down(
            math::mul(amp_times_total.wrapping_sub(AMP_PRECISION), invariant)?,
            AMP_PRECISION,
        )?
        .wrapping_add(math::mul(n + one(), d_p)?);
        invariant = math::div_down(numerator, denominator)?;
        if invariant.abs_diff(prev) <= one() {
            return Ok(invariant);
        }
    }
    Err(E::StableInvariantDidntConverge)
}

/// The last invariant a pool computed, with the amplification and upscaled balances it is for:
/// the contract computes it on every swap from the current balances, so while they and the
/// amplification are unchanged the stored value is the one it would compute. Clones start empty;
/// it never makes two pools unequal.
#[derive(Debug, Default)]
pub struct InvariantCache(Mutex<Option<CachedInvariant>>);

/// The cache's entry: the invariant, what it was computed from, and its word form.
#[derive(Debug)]
struct CachedInvariant {
    amp: U256,
    balances: Vec<U256>,
    invariant: U256,
    /// Filled on the word path's first use.
    words: Option<WordInvariant>,
}

impl InvariantCache {
    /// `invariant(amp, balances)`, from the cache when it is for these values.
    pub fn get(&self, amp: U256, balances: &[U256]) -> Result<U256, E> {
        if let Ok(guard) = self.0.try_lock()
            && let Some(entry) = guard.as_ref()
            && entry.amp == amp
            && entry.balances.as_slice() == balances
        {
            return Ok(entry.invariant);
        }
        let inv = invariant(amp, balances)?;
        if let Ok(mut guard) = self.0.try_lock() {
            match guard.as_mut() {
                Some(entry) => {
                    entry.amp = amp;
                    entry.balances.clear();
                    entry.balances.extend_from_slice(balances);
                    entry.invariant = inv;
                    entry.words = None;
                }
                None => {
                    *guard = Some(CachedInvariant {
                        amp,
                        balances: balances.to_vec(),
                        invariant: inv,
                        words: None,
                    })
                }
            }
        }
        Ok(inv)
    }
    /// [`Self::get`] for `u128` amplification and upscaled balances, with what the word path
    /// derives from the invariant (kept with it); `None` when the invariant fails or leaves the
    /// words (the caller then takes the `U256` path and gets the error).
    pub(super) fn get_words(&self, amp: u128, balances: &[u128]) -> Option<WordInvariant> {
        if let Ok(mut guard) = self.0.try_lock()
            && let Some(entry) = guard.as_mut()
            && word(entry.amp) == Some(amp)
            && entry.balances.len() == balances.len()
            && entry
                .balances
                .iter()
                .zip(balances)
                .all(|(x, y)| word(*x) == Some(*y))
        {
            if entry.words.is_none() {
                entry.words = WordInvariant::new(word(entry.invariant)?, amp, balances.len());
            }
            return entry.words;
        }
        let mut buf = [U256::ZERO; MAX_TOKENS];
        let wide = buf.get_mut(..balances.len())?;
        for (w, b) in wide.iter_mut().zip(balances) {
            *w = U256::from(*b);
        }
        let inv = word(self.get(U256::from(amp), wide).ok()?)?;
        WordInvariant::new(inv, amp, balances.len())
    }
}

impl Clone for InvariantCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for InvariantCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for InvariantCache {}

/// `_getTokenBalanceGivenInvariantAndAllOtherBalances`.
fn balance_given_invariant(
    amp: U256,
    balances: &[U256],
    invariant: U256,
    index: usize,
) -> Result<U256, E> {
    let n = U256::from(balances.len());
    let amp_times_total = amp.wrapping_mul(n);
    let first = *balances.first().ok_or(E::TokenNotRegistered)?;
    let mut sum = first;
    let mut p_d = first.wrapping_mul(n);
    for b in &balances[1..] {
        p_d = math::div_down(math::mul(math::mul(p_d, *b)?, n)?, invariant)?;
        sum = fp::add(sum, *b)?;
    }
    let own = *balances.get(index).ok_or(E::TokenNotRegistered)?;
    sum = sum.wrapping_sub(own);
    let inv2 = math::mul(invariant, invariant)?;
    let c = math::mul(
        math::mul(
            math::div_up(inv2, math::mul(amp_times_total, p_d)?)?,
            AMP_PRECISION,
        )?,
        own,
    )?;
    let b = fp::add(
        sum,
        math::mul(math::div_down(invariant, amp_times_total)?, AMP_PRECISION)?,
    )?;
    let mut balance = math::div_up(fp::add(inv2, c)?, fp::add(invariant, b)?)?;
    for _ in 0..255 {
        let prev = balance;
        balance = math::div_up(
            fp::add(math::mul(balance, balance)?, c)?,
            fp::sub(fp::add(math::mul(balance, U256::from(2u8))?, b)?, invariant)?,
        )?;
        if balance.abs_diff(prev) <= one() {
            return Ok(balance);
        }
    }
    Err(E::StableGetBalanceDidntConverge)
}

/// Which amount of a swap is given: the input (`_calcOutGivenIn`) or the output
/// (`_calcInGivenOut`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    In,
    Out,
}

impl Given {
    /// (the balance the given amount moves, the balance solved for).
    pub(super) fn indexes(self, index_in: usize, index_out: usize) -> (usize, usize) {
        match self {
            Given::In => (index_in, index_out),
            Given::Out => (index_out, index_in),
        }
    }
}

/// The balances as words, when they all fit and the pool has at most [`MAX_TOKENS`].
#[inline(always)]
fn balance_words(balances: &[U256], out: &mut [u128; MAX_TOKENS]) -> Option<usize> {
    let slots = out.get_mut(..balances.len())?;
    for (slot, b) in slots.iter_mut().zip(balances) {
        *slot = word(*b)?;
    }
    Some(balances.len())
}

/// [`swap`] on `U256` only: the contract's steps (the reference of the word path).
pub(super) fn swap_wide(
    given: Given,
    amp: U256,
    balances: &[U256],
    (index_in, index_out): (usize, usize),
    amount: U256,
    invariant: U256,
) -> Result<U256, E> {
    let (moved_index, solved_index) = given.indexes(index_in, index_out);
    let mut buf = [U256::ZERO; MAX_TOKENS];
    let moved = buf.get_mut(..balances.len()).ok_or(E::MaxTokens)?;
    moved.copy_from_slice(balances);
    let slot = moved.get_mut(moved_index).ok_or(E::TokenNotRegistered)?;
    *slot = match given {
        Given::In => fp::add(*slot, amount)?,
        Given::Out => fp::sub(*slot, amount)?,
    };
    let solved = balance_given_invariant(amp, moved, invariant, solved_index)?;
    let before = *balances.get(solved_index).ok_or(E::TokenNotRegistered)?;
    match given {
        Given::In => fp::sub(fp::sub(before, solved)?, one()),
        Given::Out => fp::add(fp::sub(solved, before)?, one()),
    }
}

/// `_calcOutGivenIn` (`Given::In`: tokens out for `amount` in, the fee already taken off) or
/// `_calcInGivenOut` (`Given::Out`: tokens in for `amount` out, before the fee is added), on
/// `u128` words when the values fit ([`stable_words`]), else on `U256`.
pub fn swap(
    given: Given,
    amp: U256,
    balances: &[U256],
    indexes: (usize, usize),
    amount: U256,
    invariant: U256,
) -> Result<U256, E> {
    let mut words = [0u128; MAX_TOKENS];
    if let (Some(n), Some(a), Some(x), Some(inv)) = (
        balance_words(balances, &mut words),
        word(amp),
        word(amount),
        word(invariant),
    ) && let Some(inv) = WordInvariant::new(inv, a, n)
        && let Some(v) = stable_words::swap(given, a, &words[..n], indexes, x, &inv)
    {
        return Ok(U256::from(v));
    }
    swap_wide(given, amp, balances, indexes, amount, invariant)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::balancer::fixed_point::ONE;

    #[test]
    fn a_balanced_pool_trades_near_one_to_one() {
        let amp = U256::from(200u32) * AMP_PRECISION;
        let balances = vec![U256::from(1_000_000u64) * ONE; 3];
        let inv = invariant(amp, &balances).unwrap();
        assert!(inv.abs_diff(U256::from(3_000_000u64) * ONE) <= U256::from(3u8));
        let out = swap(
            Given::In,
            amp,
            &balances,
            (0, 1),
            U256::from(1000u64) * ONE,
            inv,
        )
        .unwrap();
        assert!(out < U256::from(1000u64) * ONE);
        assert!(out > U256::from(999u64) * ONE, "{out}");
        let back = swap(Given::Out, amp, &balances, (0, 1), out, inv).unwrap();
        assert!(
            back.abs_diff(U256::from(1000u64) * ONE) < U256::from(1_000_000u64),
            "{back}"
        );
        // The cache answers the same invariant, and a new one when the balances move.
        let cache = InvariantCache::default();
        assert_eq!(cache.get(amp, &balances).unwrap(), inv);
        assert_eq!(cache.get(amp, &balances).unwrap(), inv);
        let mut moved = balances.clone();
        moved[0] += ONE;
        assert_eq!(
            cache.get(amp, &moved).unwrap(),
            invariant(amp, &moved).unwrap()
        );
        assert_ne!(cache.get(amp, &moved).unwrap(), inv);
        assert_eq!(
            cache.get(amp + U256::from(1u8), &balances).unwrap(),
            invariant(amp + U256::from(1u8), &balances).unwrap()
        );
        // Taking the whole balance out underflows, as in the contract.
        assert!(
            swap(
                Given::Out,
                amp,
                &balances,
                (0, 1),
                U256::from(1_000_000u64) * ONE,
                inv
            )
            .is_err()
        );
    }
}
