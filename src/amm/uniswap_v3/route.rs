//! Routes through v3 pools: the direct pool of a pair, or two pools through an intermediate token
//! (base → WETH → quote), whichever gives the most output for an exact input or takes the least
//! input for an exact output. Also the packed path the periphery takes (`token fee token …`).
//!
//! Choosing each hop's best fee tier independently is optimal: for an exact input the second hop's
//! output grows with its input, so the first hop should give the most; for an exact output the
//! first hop's input grows with its output, so the second hop should take the least.

use alloy::primitives::{Address, Bytes, U256};

use super::math::{Q96, mul_div};
use super::pool::{SwapAmount, SwapOutcome};
use crate::amm::AmmError;

/// The best pool for one swap and its exact outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BestSwap {
    pub pool: Address,
    pub fee: u32,
    pub zero_for_one: bool,
    pub outcome: SwapOutcome,
}

/// A priced route: its hops in swap order (input token first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The tokens from input to output (one more than the hops).
    pub tokens: Vec<Address>,
    pub hops: Vec<BestSwap>,
}

impl Route {
    /// What the route takes in (the first hop's input).
    pub fn amount_in(&self) -> U256 {
        self.hops
            .first()
            .map(|h| h.outcome.amount_in)
            .unwrap_or_default()
    }

    /// What the route pays out (the last hop's output).
    pub fn amount_out(&self) -> U256 {
        self.hops
            .last()
            .map(|h| h.outcome.amount_out)
            .unwrap_or_default()
    }

    /// Initialized ticks crossed on every hop.
    pub fn ticks_crossed(&self) -> u32 {
        self.hops.iter().map(|h| h.outcome.ticks_crossed).sum()
    }

    pub fn pools(&self) -> Vec<Address> {
        self.hops.iter().map(|h| h.pool).collect()
    }

    pub fn fees(&self) -> Vec<u32> {
        self.hops.iter().map(|h| h.fee).collect()
    }

    /// The packed path in swap order, as `exactInput` and `quoteExactInput` take it.
    pub fn path_forward(&self) -> Result<Bytes, AmmError> {
        encode_path(&self.tokens, &self.fees())
    }

    /// The packed path from output to input, as `exactOutput` and `quoteExactOutput` take it.
    pub fn path_reversed(&self) -> Result<Bytes, AmmError> {
        let tokens: Vec<Address> = self.tokens.iter().rev().copied().collect();
        let fees: Vec<u32> = self.fees().into_iter().rev().collect();
        encode_path(&tokens, &fees)
    }

    /// The fee of the whole route in its input token: the input times `1 - Π(1 - fee)`, rounded
    /// up (each pool rounds its fee up).
    pub fn fee_in(&self) -> U256 {
        if let [only] = self.hops.as_slice() {
            return only.outcome.fee_amount;
        }
        let million = U256::from(1_000_000u32);
        let (mut kept, mut scale) = (U256::from(1u8), U256::from(1u8));
        for h in &self.hops {
            kept *= U256::from(1_000_000u32.saturating_sub(h.fee));
            scale *= million;
        }
        let amount_in = self.amount_in();
        amount_in - (amount_in.saturating_mul(kept) / scale).min(amount_in)
    }

    /// The marginal rate after the swap, output per input in raw units, fees included, as a
    /// Q96 fixed-point number: the product over hops of each pool's price after its swap (oriented
    /// in the swap's direction) times `1 - fee`.
    pub fn marginal_out_per_in_x96(&self) -> Result<U256, AmmError> {
        let math = |e: super::math::MathError| AmmError::Math(e.to_string());
        let mut rate = Q96;
        for h in &self.hops {
            let p = h.outcome.sqrt_price_after;
            // token1 per token0 = sqrtP^2 / 2^192, as Q96.
            let one_per_zero = mul_div(p, p, Q96).map_err(math)?;
            if one_per_zero.is_zero() {
                return Err(AmmError::Math(format!("pool {} price is zero", h.pool)));
            }
            let hop_rate = if h.zero_for_one {
                one_per_zero
            } else {
                mul_div(Q96, Q96, one_per_zero).map_err(math)?
            };
            let with_fee = mul_div(
                hop_rate,
                U256::from(1_000_000u32.saturating_sub(h.fee)),
                U256::from(1_000_000u32),
            )
            .map_err(math)?;
            rate = mul_div(rate, with_fee, Q96).map_err(math)?;
        }
        Ok(rate)
    }

    /// A readable description: `uniswap_v3 pool 0x… fee 500` or `uniswap_v3 path 0x… -500-> 0x… …`.
    pub fn describe(&self) -> String {
        match self.hops.as_slice() {
            [only] => format!("uniswap_v3 pool {} fee {}", only.pool, only.fee),
            hops => {
                let mut s = String::from("uniswap_v3 path");
                for (i, t) in self.tokens.iter().enumerate() {
                    if i > 0 {
                        let fee = hops.get(i - 1).map(|h| h.fee).unwrap_or_default();
                        s.push_str(&format!(" -{fee}->"));
                    }
                    s.push_str(&format!(" {t}"));
                }
                s
            }
        }
    }
}

/// `token (20 bytes) fee (3 bytes) token …`: the periphery's packed path.
pub fn encode_path(tokens: &[Address], fees: &[u32]) -> Result<Bytes, AmmError> {
    if tokens.len() != fees.len() + 1 || fees.is_empty() {
        return Err(AmmError::InvalidAmount(format!(
            "a path needs one more token than fees ({} tokens, {} fees)",
            tokens.len(),
            fees.len()
        )));
    }
    let mut out = Vec::with_capacity(20 + 23 * fees.len());
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 {
            let fee = fees.get(i - 1).copied().unwrap_or_default();
            if fee >= 1 << 24 {
                return Err(AmmError::InvalidAmount(format!("fee {fee} exceeds uint24")));
            }
            out.extend_from_slice(&fee.to_be_bytes()[1..]);
        }
        out.extend_from_slice(t.as_slice());
    }
    Ok(out.into())
}

/// The best route along a given token path (two or more tokens), each hop on its best pool:
/// forward from the input for an exact input, backward from the output for an exact output.
pub fn along(
    tokens: &[Address],
    amount: SwapAmount,
    best: impl Fn(Address, Address, SwapAmount) -> Result<BestSwap, AmmError>,
) -> Result<Route, AmmError> {
    if tokens.len() < 2 {
        return Err(AmmError::InvalidAmount(format!(
            "a route needs at least two tokens, got {}",
            tokens.len()
        )));
    }
    let mut hops = Vec::with_capacity(tokens.len() - 1);
    match amount {
        SwapAmount::ExactIn(mut x) => {
            for w in tokens.windows(2) {
                let &[i, o] = w else { continue };
                let h = best(i, o, SwapAmount::ExactIn(x))?;
                x = h.outcome.amount_out;
                hops.push(h);
            }
        }
        SwapAmount::ExactOut(mut y) => {
            for w in tokens.windows(2).rev() {
                let &[i, o] = w else { continue };
                let h = best(i, o, SwapAmount::ExactOut(y))?;
                y = h.outcome.amount_in;
                hops.push(h);
            }
            hops.reverse();
        }
    }
    Ok(Route {
        tokens: tokens.to_vec(),
        hops,
    })
}

/// The best route between two tokens, direct or through one of `intermediates`, given the best
/// single-pool swap between any two tokens (`best`, which fails when no pool can fill it).
pub fn best_route(
    token_in: Address,
    token_out: Address,
    amount: SwapAmount,
    intermediates: &[Address],
    best: impl Fn(Address, Address, SwapAmount) -> Result<BestSwap, AmmError>,
) -> Result<Route, AmmError> {
    let paths = std::iter::once(vec![token_in, token_out]).chain(
        intermediates
            .iter()
            .filter(|&&m| m != token_in && m != token_out)
            .map(|&m| vec![token_in, m, token_out]),
    );
    let mut candidates = Vec::new();
    let mut errors = Vec::new();
    for tokens in paths {
        match along(&tokens, amount, &best) {
            Ok(r) => candidates.push(r),
            Err(e) => errors.push(e),
        }
    }
    let chosen = match amount {
        SwapAmount::ExactIn(_) => candidates.into_iter().max_by(|a, b| {
            a.amount_out()
                .cmp(&b.amount_out())
                // On a tie the shorter route (less gas).
                .then(b.hops.len().cmp(&a.hops.len()))
        }),
        SwapAmount::ExactOut(_) => candidates.into_iter().min_by(|a, b| {
            a.amount_in()
                .cmp(&b.amount_in())
                .then(a.hops.len().cmp(&b.hops.len()))
        }),
    };
    if let Some(route) = chosen {
        return Ok(route);
    }
    // No route: "no pool" only if no pair of the routes had one, else the liquidity reason.
    let liquidity = errors
        .into_iter()
        .find(|e| !matches!(e, AmmError::NoPool { .. }));
    Err(liquidity.unwrap_or_else(|| AmmError::NoPool {
        protocol: "uniswap_v3",
        pair: format!("{token_in}/{token_out}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(byte: u8) -> Address {
        Address::repeat_byte(byte)
    }

    fn outcome(amount_in: u64, amount_out: u64) -> SwapOutcome {
        SwapOutcome {
            amount_in: U256::from(amount_in),
            amount_out: U256::from(amount_out),
            fee_amount: U256::ZERO,
            sqrt_price_after: Q96,
            tick: Some(0),
            liquidity_after: 0,
            ticks_crossed: 1,
            complete: true,
        }
    }

    #[test]
    fn paths_are_packed_token_fee_token() {
        let p = encode_path(&[a(1), a(2), a(3)], &[500, 3000]).unwrap();
        assert_eq!(p.len(), 66);
        assert_eq!(&p[..20], a(1).as_slice());
        assert_eq!(&p[20..23], &[0x00, 0x01, 0xf4]);
        assert_eq!(&p[23..43], a(2).as_slice());
        assert_eq!(&p[43..46], &[0x00, 0x0b, 0xb8]);
        assert_eq!(&p[46..], a(3).as_slice());
        assert!(encode_path(&[a(1)], &[]).is_err());
        assert!(encode_path(&[a(1), a(2)], &[1 << 24]).is_err());
        let r = Route {
            tokens: vec![a(1), a(2), a(3)],
            hops: vec![
                BestSwap {
                    pool: a(7),
                    fee: 500,
                    zero_for_one: true,
                    outcome: outcome(10, 9),
                },
                BestSwap {
                    pool: a(8),
                    fee: 3000,
                    zero_for_one: false,
                    outcome: outcome(9, 8),
                },
            ],
        };
        let rev = r.path_reversed().unwrap();
        assert_eq!(&rev[..20], a(3).as_slice());
        assert_eq!(&rev[20..23], &[0x00, 0x0b, 0xb8]);
        assert_eq!(&rev[46..], a(1).as_slice());
        assert_eq!(
            (r.amount_in(), r.amount_out()),
            (U256::from(10), U256::from(8))
        );
        assert_eq!(r.ticks_crossed(), 2);
    }

    /// A toy market: pools as (from, to) → fixed rate numerator / 100.
    fn toy(
        rates: &[(Address, Address, u64)],
    ) -> impl Fn(Address, Address, SwapAmount) -> Result<BestSwap, AmmError> + '_ {
        move |i, o, amount| {
            let &(_, _, rate) =
                rates
                    .iter()
                    .find(|(x, y, _)| *x == i && *y == o)
                    .ok_or(AmmError::NoPool {
                        protocol: "uniswap_v3",
                        pair: "toy".into(),
                    })?;
            let (ai, ao) = match amount {
                SwapAmount::ExactIn(x) => (x, x * U256::from(rate) / U256::from(100)),
                SwapAmount::ExactOut(y) => ((y * U256::from(100)).div_ceil(U256::from(rate)), y),
            };
            let mut oc = outcome(0, 0);
            oc.amount_in = ai;
            oc.amount_out = ao;
            Ok(BestSwap {
                pool: a(rate as u8),
                fee: 500,
                zero_for_one: true,
                outcome: oc,
            })
        }
    }

    #[test]
    fn the_better_of_direct_and_two_hops_wins() {
        let (x, m, y) = (a(1), a(2), a(3));
        // Direct 90 %, via m 95 % then 98 % (950, then 931): the path wins both ways.
        let rates = [(x, y, 90), (x, m, 95), (m, y, 98)];
        let r = best_route(
            x,
            y,
            SwapAmount::ExactIn(U256::from(1000)),
            &[m, x],
            toy(&rates),
        )
        .unwrap();
        assert_eq!(r.tokens, vec![x, m, y]);
        assert_eq!(r.amount_out(), U256::from(931u32));
        let r = best_route(
            x,
            y,
            SwapAmount::ExactOut(U256::from(931)),
            &[m],
            toy(&rates),
        )
        .unwrap();
        assert_eq!(r.tokens, vec![x, m, y]);
        // Direct better now.
        let rates = [(x, y, 99), (x, m, 95), (m, y, 98)];
        let r = best_route(
            x,
            y,
            SwapAmount::ExactIn(U256::from(1000)),
            &[m],
            toy(&rates),
        )
        .unwrap();
        assert_eq!(r.tokens, vec![x, y]);
        // No direct pool: the path.
        let rates = [(x, m, 95), (m, y, 98)];
        let r = best_route(
            x,
            y,
            SwapAmount::ExactIn(U256::from(1000)),
            &[m],
            toy(&rates),
        )
        .unwrap();
        assert_eq!(r.hops.len(), 2);
        // Nothing at all.
        let e = best_route(x, y, SwapAmount::ExactIn(U256::from(1000)), &[m], toy(&[]));
        assert!(matches!(e, Err(AmmError::NoPool { .. })));
    }
}
