//! One Balancer pool as the Vault sees it when it swaps: its tokens and balances (cash + managed),
//! their scaling factors, the swap fee and the pool's curve (weighted or stable). A swap here is
//! the pool's `onSwap` as the Vault calls it: the fee taken off an exact input before scaling, or
//! added to the computed input after, amounts upscaled to 18 decimals and the result downscaled
//! rounding in the pool's favour; plus the Vault's own checks (positive amount, distinct tokens,
//! a balance that fits 112 bits).

use alloy::primitives::{Address, B256, U256};

use super::error::BalancerMathError as E;
use super::fixed_point::{self as fp, math};
use super::stable_math::Given;
use super::weighted_words::WeightedPair;
use super::{stable_math, stable_words, weighted_math};

/// The Vault stores each balance in 112 bits.
const MAX_BALANCE_EXCLUSIVE: U256 = U256::from_limbs([0, 1 << 48, 0, 0]);

/// A stable pool's amplification (with its 1e3 precision), possibly moving between two values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amp {
    pub start_value: U256,
    pub end_value: U256,
    pub start_time: u64,
    pub end_time: u64,
}

impl Amp {
    /// A constant amplification.
    pub fn fixed(value: U256) -> Self {
        Self {
            start_value: value,
            end_value: value,
            start_time: 0,
            end_time: 0,
        }
    }

    /// `_getAmplificationParameter` at `timestamp`.
    pub fn at(&self, timestamp: u64) -> U256 {
        if timestamp >= self.end_time || self.end_time <= self.start_time {
            return self.end_value;
        }
        let elapsed = U256::from(timestamp.saturating_sub(self.start_time));
        let span = U256::from(self.end_time - self.start_time);
        if self.end_value > self.start_value {
            self.start_value + (self.end_value - self.start_value) * elapsed / span
        } else {
            self.start_value - (self.start_value - self.end_value) * elapsed / span
        }
    }
}

/// The pool's curve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Curve {
    /// Normalized weights (1e18 = 100 %), in token order.
    Weighted {
        weights: Vec<U256>,
    },
    Stable {
        amp: Amp,
    },
}

/// What the Vault and the pool hold for one pool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolState {
    pub id: B256,
    pub address: Address,
    /// In the Vault's order.
    pub tokens: Vec<Address>,
    /// Raw balances (cash + managed), in token order.
    pub balances: Vec<U256>,
    /// `10^(18 - decimals)` per token.
    pub scaling: Vec<U256>,
    /// 1e18 = 100 %.
    pub swap_fee: U256,
    pub paused: bool,
    pub curve: Curve,
    /// A stable pool's last invariant (see [`stable_math::InvariantCache`]).
    pub invariant: stable_math::InvariantCache,
}

impl PoolState {
    /// The index of a token in the pool.
    pub fn index_of(&self, token: Address) -> Option<usize> {
        self.tokens.iter().position(|t| *t == token)
    }

    /// Whether the pool holds both tokens.
    pub fn has_pair(&self, a: Address, b: Address) -> bool {
        a != b && self.index_of(a).is_some() && self.index_of(b).is_some()
    }

    fn indexes(&self, token_in: Address, token_out: Address) -> Result<(usize, usize), E> {
        if token_in == token_out {
            return Err(E::SameToken);
        }
        let i = self.index_of(token_in).ok_or(E::TokenNotRegistered)?;
        let o = self.index_of(token_out).ok_or(E::TokenNotRegistered)?;
        Ok((i, o))
    }

    fn scaling_of(&self, i: usize) -> Result<U256, E> {
        self.scaling.get(i).copied().ok_or(E::TokenNotRegistered)
    }

    fn balance_of(&self, i: usize) -> Result<U256, E> {
        self.balances.get(i).copied().ok_or(E::TokenNotRegistered)
    }

    /// The balances scaled to 18 decimals, written into `buf` (no allocation per quote).
    fn upscaled_balances<'a>(
        &self,
        buf: &'a mut [U256; stable_math::MAX_TOKENS],
    ) -> Result<&'a [U256], E> {
        let n = self.balances.len().min(self.scaling.len());
        let out = buf.get_mut(..n).ok_or(E::MaxTokens)?;
        for (slot, (b, s)) in out.iter_mut().zip(self.balances.iter().zip(&self.scaling)) {
            *slot = math::mul(*b, *s)?;
        }
        Ok(out)
    }

    /// `amount_in` of `token_in` in: how much of `token_out` comes out (`GIVEN_IN`).
    pub fn out_given_in(
        &self,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        timestamp: u64,
    ) -> Result<U256, E> {
        let (i, o) = self.indexes(token_in, token_out)?;
        if amount_in.is_zero() {
            return Err(E::ZeroAmount);
        }
        if self.paused {
            return Err(E::Paused);
        }
        if let Curve::Weighted { weights } = &self.curve
            && let Some(pair) = WeightedPair::new(
                &self.balances,
                &self.scaling,
                weights,
                self.swap_fee,
                (i, o),
            )
            && let Some(amount) = fp::word(amount_in)
            && let Some(out) = pair.out_given_in(amount)
        {
            return Ok(U256::from(out));
        }
        if let Curve::Stable { amp } = &self.curve
            && let Some(out) =
                stable_words::pool_out_given_in(self, (i, o), amount_in, amp.at(timestamp))
        {
            return Ok(U256::from(out));
        }
        self.out_given_in_wide((i, o), amount_in, timestamp)
    }

    /// [`Self::out_given_in`] on `U256` only, for valid indexes, a non-zero amount and a pool
    /// not paused (the reference of the word path).
    pub(super) fn out_given_in_wide(
        &self,
        (i, o): (usize, usize),
        amount_in: U256,
        timestamp: u64,
    ) -> Result<U256, E> {
        let fee = fp::mul_up(amount_in, self.swap_fee)?;
        let net = fp::sub(amount_in, fee)?;
        let (sf_in, sf_out) = (self.scaling_of(i)?, self.scaling_of(o)?);
        let scaled_in = math::mul(net, sf_in)?;
        let out = match &self.curve {
            Curve::Weighted { weights } => weighted_math::out_given_in(
                math::mul(self.balance_of(i)?, sf_in)?,
                weight(weights, i)?,
                math::mul(self.balance_of(o)?, sf_out)?,
                weight(weights, o)?,
                scaled_in,
            )?,
            Curve::Stable { amp } => {
                let amp = amp.at(timestamp);
                let mut buf = [U256::ZERO; stable_math::MAX_TOKENS];
                let balances = self.upscaled_balances(&mut buf)?;
                let inv = self.invariant.get(amp, balances)?;
                stable_math::swap(Given::In, amp, balances, (i, o), scaled_in, inv)?
            }
        };
        let out = math::div_down(out, sf_out)?;
        self.vault_checks(i, amount_in, o, out)?;
        Ok(out)
    }

    /// `amount_out` of `token_out` out: how much of `token_in` goes in (`GIVEN_OUT`).
    pub fn in_given_out(
        &self,
        token_in: Address,
        token_out: Address,
        amount_out: U256,
        timestamp: u64,
    ) -> Result<U256, E> {
        let (i, o) = self.indexes(token_in, token_out)?;
        if amount_out.is_zero() {
            return Err(E::ZeroAmount);
        }
        if self.paused {
            return Err(E::Paused);
        }
        let (sf_in, sf_out) = (self.scaling_of(i)?, self.scaling_of(o)?);
        let scaled_out = math::mul(amount_out, sf_out)?;
        let amount_in = match &self.curve {
            Curve::Weighted { weights } => weighted_math::in_given_out(
                math::mul(self.balance_of(i)?, sf_in)?,
                weight(weights, i)?,
                math::mul(self.balance_of(o)?, sf_out)?,
                weight(weights, o)?,
                scaled_out,
            )?,
            Curve::Stable { amp } => {
                let amp = amp.at(timestamp);
                let mut buf = [U256::ZERO; stable_math::MAX_TOKENS];
                let balances = self.upscaled_balances(&mut buf)?;
                let inv = self.invariant.get(amp, balances)?;
                stable_math::swap(Given::Out, amp, balances, (i, o), scaled_out, inv)?
            }
        };
        let amount_in = math::div_up(amount_in, sf_in)?;
        let with_fee = fp::div_up(amount_in, fp::complement(self.swap_fee))?;
        self.vault_checks(i, with_fee, o, amount_out)?;
        Ok(with_fee)
    }

    /// The Vault's balance update: the input added (within 112 bits), the output taken from cash.
    fn vault_checks(&self, i: usize, amount_in: U256, o: usize, amount_out: U256) -> Result<(), E> {
        let new_in = fp::add(self.balance_of(i)?, amount_in)?;
        if new_in >= MAX_BALANCE_EXCLUSIVE {
            return Err(E::BalanceTotalOverflow);
        }
        fp::sub(self.balance_of(o)?, amount_out)?;
        Ok(())
    }

    /// Applies a swap the Vault reported (`Swap` event).
    pub fn apply_swap(
        &mut self,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
        amount_out: U256,
    ) -> Result<(), E> {
        let (i, o) = self.indexes(token_in, token_out)?;
        self.balances[i] = fp::add(self.balances[i], amount_in)?;
        self.balances[o] = fp::sub(self.balances[o], amount_out)?;
        Ok(())
    }
}

fn weight(weights: &[U256], i: usize) -> Result<U256, E> {
    weights.get(i).copied().ok_or(E::TokenNotRegistered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amm::balancer::fixed_point::ONE;

    fn pool(curve: Curve) -> PoolState {
        PoolState {
            id: B256::ZERO,
            address: Address::ZERO,
            tokens: vec![Address::with_last_byte(1), Address::with_last_byte(2)],
            balances: vec![
                U256::from(1_000_000_000_000u64),
                ONE * U256::from(1_000_000u64),
            ],
            scaling: vec![U256::from(1_000_000_000_000u64), U256::from(1u8)],
            swap_fee: ONE / U256::from(1000u32),
            paused: false,
            curve,
            invariant: Default::default(),
        }
    }

    #[test]
    fn amplification_moves_linearly_between_its_times() {
        let a = Amp {
            start_value: U256::from(100_000u32),
            end_value: U256::from(200_000u32),
            start_time: 1_000,
            end_time: 2_000,
        };
        assert_eq!(a.at(1_000), U256::from(100_000u32));
        assert_eq!(a.at(1_500), U256::from(150_000u32));
        assert_eq!(a.at(5_000), U256::from(200_000u32));
        let down = Amp {
            start_value: U256::from(200_000u32),
            end_value: U256::from(100_000u32),
            ..a
        };
        assert_eq!(down.at(1_250), U256::from(175_000u32));
    }

    #[test]
    fn the_vaults_checks_and_the_fee_direction() {
        let half = ONE / U256::from(2u8);
        let p = pool(Curve::Weighted {
            weights: vec![half, half],
        });
        let (a, b) = (p.tokens[0], p.tokens[1]);
        assert_eq!(p.out_given_in(a, a, U256::from(1u8), 0), Err(E::SameToken));
        assert_eq!(p.out_given_in(a, b, U256::ZERO, 0), Err(E::ZeroAmount));
        assert_eq!(
            p.out_given_in(Address::with_last_byte(9), b, U256::from(1u8), 0),
            Err(E::TokenNotRegistered)
        );
        // 1 USDC (6 decimals) in: about 1 token out less 0.1 %, rounded down.
        let out = p.out_given_in(a, b, U256::from(1_000_000u32), 0).unwrap();
        assert!(
            out < ONE * U256::from(999u32) / U256::from(1000u32),
            "{out}"
        );
        // Buying it back costs more than was paid (fee and rounding both favour the pool).
        let back = p.in_given_out(a, b, out, 0).unwrap();
        assert!(back >= U256::from(1_000_000u32), "{back}");
        let mut paused = p.clone();
        paused.paused = true;
        assert_eq!(
            paused.out_given_in(a, b, U256::from(5u8), 0),
            Err(E::Paused)
        );
    }
}
