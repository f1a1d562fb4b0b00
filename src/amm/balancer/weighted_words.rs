//! A weighted pool's swap (`onSwap` as the Vault calls it: fee, scaling, `WeightedMath`, the
//! downscale and the Vault's balance checks) on `u128` words: the same steps as
//! [`super::pool::PoolState`] on `U256`, each `FixedPoint` product above 128 bits kept as a
//! (high, low) pair and divided back into a word, so every intermediate is the contract's.
//!
//! Every function returns `None` when a value leaves the words or the contract would revert; the
//! caller then takes the `U256` path, which gives the contract's result or its error.

use alloy::primitives::U256;

use super::fixed_point::word;
use super::fixed_words::{
    ONE, div_down, div_up, downscale_down, mul_down, mul_up, pow_up, vault_checks,
};

/// What a swap between two tokens of a weighted pool reads, as words.
#[derive(Debug, Clone, Copy)]
pub(super) struct WeightedPair {
    pub balance_in: u128,
    pub scale_in: u128,
    pub weight_in: u128,
    pub balance_out: u128,
    pub scale_out: u128,
    pub weight_out: u128,
    pub swap_fee: u128,
}

impl WeightedPair {
    /// The pair `(i, o)` of a pool, when every value fits a word (and both indexes exist).
    #[inline(always)]
    pub(super) fn new(
        balances: &[U256],
        scaling: &[U256],
        weights: &[U256],
        swap_fee: U256,
        (i, o): (usize, usize),
    ) -> Option<Self> {
        Some(Self {
            balance_in: word(*balances.get(i)?)?,
            scale_in: word(*scaling.get(i)?)?,
            weight_in: word(*weights.get(i)?)?,
            balance_out: word(*balances.get(o)?)?,
            scale_out: word(*scaling.get(o)?)?,
            weight_out: word(*weights.get(o)?)?,
            swap_fee: word(swap_fee)?,
        })
    }

    /// `GIVEN_IN`: the fee off `amount_in`, both balances and the net amount upscaled,
    /// `_calcOutGivenIn`, the result downscaled (rounding down), then the Vault's checks.
    #[inline]
    pub(super) fn out_given_in(&self, amount_in: u128) -> Option<u128> {
        if amount_in == 0 {
            return None;
        }
        let fee = mul_up(amount_in, self.swap_fee)?;
        let scaled_in = amount_in.checked_sub(fee)?.checked_mul(self.scale_in)?;
        let balance_in = self.balance_in.checked_mul(self.scale_in)?;
        let balance_out = self.balance_out.checked_mul(self.scale_out)?;
        // `amount > mulDown(balance, 0.3e18)`, i.e. `amount > ⌊3 balance / 10⌋`, is
        // `10 amount > 3 balance`.
        if scaled_in.checked_mul(10)? > balance_in.checked_mul(3)? {
            return None;
        }
        let base = div_up(balance_in, balance_in.checked_add(scaled_in)?)?;
        let exponent = div_down(self.weight_in, self.weight_out)?;
        let power = pow_up(base, exponent)?;
        let out = mul_down(balance_out, ONE.saturating_sub(power))?;
        let out = downscale_down(out, self.scale_out)?;
        vault_checks(self.balance_in, amount_in, self.balance_out, out)?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::balancer::pool::{Curve, PoolState};
    use alloy::primitives::{Address, B256};
    use proptest::prelude::*;

    /// A weighted pool of 2 or 3 tokens (6 or 18 decimals, normalized weights of at least 1 %),
    /// a swap fee, the two indexes and an amount in (raw units).
    fn case() -> impl Strategy<Value = (PoolState, (usize, usize), U256)> {
        let token = (1u128 << 20..1u128 << 100, prop::bool::ANY, 1u128..=98);
        (
            prop::collection::vec(token, 2..=3),
            1_000_000_000_000u128..100_000_000_000_000_000,
            prop::bool::ANY,
            0u128..350,
            prop::option::weighted(0.1, any::<u128>()),
        )
            .prop_map(|(tokens, fee, forward, per_mille, wild)| {
                let n = tokens.len();
                let total: u128 = tokens.iter().map(|t| t.2).sum();
                let mut weights: Vec<U256> = tokens
                    .iter()
                    .map(|t| U256::from(ONE * t.2 / total))
                    .collect();
                let rest = U256::from(ONE) - weights.iter().fold(U256::ZERO, |a, w| a + w);
                weights[0] += rest;
                let (i, o) = if forward { (0, n - 1) } else { (n - 1, 0) };
                let amount = U256::from(wild.unwrap_or(tokens[i].0 / 1000 * per_mille));
                let pool = PoolState {
                    id: B256::ZERO,
                    address: Address::ZERO,
                    tokens: (0..n as u8).map(Address::with_last_byte).collect(),
                    balances: tokens.iter().map(|t| U256::from(t.0)).collect(),
                    scaling: tokens
                        .iter()
                        .map(|t| U256::from(if t.1 { 1u128 } else { 1_000_000_000_000 }))
                        .collect(),
                    swap_fee: U256::from(fee),
                    paused: false,
                    curve: Curve::Weighted { weights },
                    invariant: Default::default(),
                };
                (pool, (i, o), amount)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]
        /// The word path's answer is the `U256` path's, and swaps of up to a quarter of the
        /// balance take it.
        #[test]
        fn the_word_swap_is_the_wide_one((pool, (i, o), amount) in case()) {
            prop_assume!(!amount.is_zero());
            let Curve::Weighted { weights } = &pool.curve else { unreachable!() };
            let pair = WeightedPair::new(&pool.balances, &pool.scaling, weights, pool.swap_fee, (i, o)).unwrap();
            let words = pair.out_given_in(amount.to::<u128>());
            let wide = pool.out_given_in_wide((i, o), amount, 0);
            if let Some(v) = words {
                prop_assert_eq!(Ok(U256::from(v)), wide);
            }
            let fits = [i, o].iter().all(|&k| pool.balances[k] * pool.scaling[k] < U256::from(1u8) << 120);
            if fits && amount * U256::from(4u8) <= pool.balances[i] {
                prop_assert!(words.is_some(), "{:?}", wide);
            }
            prop_assert_eq!(pool.out_given_in(pool.tokens[i], pool.tokens[o], amount, 0), wide);
        }
    }
}
