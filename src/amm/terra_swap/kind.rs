//! Which contract a pair runs, and so which math quotes it: a Terraswap pair (0.3 %, the
//! Terraswap arithmetic of [`super::math`]) or an Astroport XYK pair (its factory's fee, the
//! arithmetic of [`super::math::astroport`]). The kind is read from where the pair was found:
//! an Astroport factory (and an Astroport pair's own `pair` answer) carries a `pair_type`, a
//! Terraswap factory never does; an Astroport pair's fee is its factory's `fee_info`.

use rust_decimal::{Decimal, RoundingStrategy};

use super::math::{self, Dec18, MathError, ReverseOut, SwapOut, astroport};
use super::msg::{PairInfo, PairType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PairKind {
    Terraswap,
    /// An Astroport XYK pair charging `commission` (the factory's `total_fee_bps` / 10000).
    AstroportXyk {
        commission: Dec18,
    },
}

/// Why a pair cannot be quoted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("pair {pair}: Astroport pair type {pair_type:?} is not an XYK pair (no math for it here)")]
pub struct UnsupportedPair {
    pub pair: String,
    pub pair_type: PairType,
}

/// The bounds a swap is sent with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapBounds {
    pub belief_price: Dec18,
    pub max_spread: Dec18,
}

impl PairKind {
    /// The kind of `info` as its factory (or the pair) described it; `fee_bps` is asked for only
    /// for an Astroport XYK pair.
    pub fn of(info: &PairInfo, fee_bps: Option<u16>) -> Result<Self, UnsupportedPair> {
        match (&info.pair_type, fee_bps) {
            (None, _) => Ok(PairKind::Terraswap),
            (Some(PairType::Xyk {}), Some(bps)) => Ok(PairKind::AstroportXyk {
                commission: astroport::commission_of_bps(bps),
            }),
            (Some(t), _) => Err(UnsupportedPair {
                pair: info.contract_addr.clone(),
                pair_type: t.clone(),
            }),
        }
    }

    pub fn commission(&self) -> Dec18 {
        match self {
            PairKind::Terraswap => Dec18::commission(),
            PairKind::AstroportXyk { commission } => *commission,
        }
    }

    /// The pair's `simulation`.
    pub fn simulate(
        &self,
        offer_pool: u128,
        ask_pool: u128,
        offer: u128,
    ) -> Result<SwapOut, MathError> {
        match self {
            PairKind::Terraswap => math::simulate(offer_pool, ask_pool, offer, Dec18::commission()),
            PairKind::AstroportXyk { commission } => {
                astroport::simulate(offer_pool, ask_pool, offer, *commission)
            }
        }
    }

    /// The pair's `reverse_simulation`.
    pub fn reverse_simulate(
        &self,
        offer_pool: u128,
        ask_pool: u128,
        ask: u128,
    ) -> Result<ReverseOut, MathError> {
        match self {
            PairKind::Terraswap => {
                math::reverse_simulate(offer_pool, ask_pool, ask, Dec18::commission())
            }
            PairKind::AstroportXyk { commission } => {
                astroport::reverse_simulate(offer_pool, ask_pool, ask, *commission)
            }
        }
    }

    /// The `belief_price` and `max_spread` of a swap offering `offer` (with `decimals`
    /// (offer, ask)) whose simulation is `out`, refusing less than `min_return` ask units; checked
    /// here as the pair will check them on the same pool, so a breach is refused before anything
    /// is sent. Terraswap compares the net return at the larger decimals; Astroport the return
    /// before commission, unscaled, and caps `max_spread` at 50 % (a looser bound is tightened
    /// to it).
    pub fn bounds(
        &self,
        offer: u128,
        out: &SwapOut,
        decimals: (u8, u8),
        min_return: Option<u128>,
        default_max_spread: Decimal,
    ) -> Result<SwapBounds, MathError> {
        let (od, ad) = decimals;
        let (offer_s, ret_s, min_s) = match self {
            PairKind::Terraswap => {
                let top = od.max(ad);
                let scale = |v: u128, d: u8| {
                    10u128
                        .checked_pow((top - d).into())
                        .and_then(|f| v.checked_mul(f))
                        .ok_or(MathError::Overflow)
                };
                let min = min_return.map(|m| scale(m, ad)).transpose()?;
                (scale(offer, od)?, scale(out.return_amount, ad)?, min)
            }
            PairKind::AstroportXyk { .. } => {
                let gross = out
                    .return_amount
                    .checked_add(out.commission_amount)
                    .ok_or(MathError::Overflow)?;
                (offer, gross, min_return)
            }
        };
        if ret_s == 0 {
            return Err(MathError::DivisionByZero);
        }
        let one = alloy::primitives::U256::from(10u64).pow(alloy::primitives::U256::from(18));
        let belief = Dec18(
            (alloy::primitives::U256::from(offer_s) * one)
                .div_ceil(alloy::primitives::U256::from(ret_s)),
        );
        // the least return accepted, against the net return of the quote
        let net_s = match self {
            PairKind::Terraswap => ret_s,
            PairKind::AstroportXyk { .. } => out.return_amount,
        };
        let mut max_spread = match min_s {
            None => Dec18::from_decimal(default_max_spread, RoundingStrategy::ToZero)?,
            Some(min) if min > net_s => return Err(MathError::MaxSpread),
            Some(min) if min == net_s => Dec18::ZERO,
            Some(min) => {
                let ratio = Decimal::from(min) / Decimal::from(net_s);
                Dec18::from_decimal(Decimal::ONE - ratio, RoundingStrategy::ToZero)?
            }
        };
        match self {
            PairKind::Terraswap => math::check_max_spread(
                Some(belief),
                Some(max_spread),
                offer,
                out.return_amount,
                out.spread_amount,
                od,
                ad,
            )?,
            PairKind::AstroportXyk { .. } => {
                max_spread = max_spread.min(astroport::MAX_ALLOWED_SPREAD);
                astroport::check_max_spread(
                    Some(belief),
                    Some(max_spread),
                    offer,
                    out.return_amount,
                    out.commission_amount,
                    out.spread_amount,
                )?
            }
        }
        Ok(SwapBounds {
            belief_price: belief,
            max_spread,
        })
    }
}
