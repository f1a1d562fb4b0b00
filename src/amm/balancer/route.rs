//! Routes through Balancer pools, priced from local state: one pool (`Vault.swap`) or two pools
//! joined by a token they share (`Vault.batchSwap`), exact input chained forwards and exact output chained
//! backwards as the Vault computes a batch.

use alloy::primitives::{Address, B256, U256};

use super::error::BalancerMathError;
use super::fixed_point::ONE;
use super::pool::PoolState;
use super::state::BalancerPools;

/// One hop: a pool and the tokens it swaps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hop {
    pub pool: B256,
    pub address: Address,
    pub token_in: Address,
    pub token_out: Address,
    /// 1e18 = 100 %.
    pub swap_fee: U256,
}

/// A priced route: the hops and the amount before and after each (`amounts[0]` in, last out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteQuote {
    pub hops: Vec<Hop>,
    pub amounts: Vec<U256>,
}

impl RouteQuote {
    pub fn amount_in(&self) -> U256 {
        self.amounts.first().copied().unwrap_or_default()
    }

    pub fn amount_out(&self) -> U256 {
        self.amounts.last().copied().unwrap_or_default()
    }
}

fn hop(p: &PoolState, token_in: Address, token_out: Address) -> Hop {
    Hop {
        pool: p.id,
        address: p.address,
        token_in,
        token_out,
        swap_fee: p.swap_fee,
    }
}

/// Every candidate route from `token_in` to `token_out`: each pool holding both, then each pair
/// of distinct pools joined by a token they share.
pub fn candidates(set: &BalancerPools, token_in: Address, token_out: Address) -> Vec<Vec<Hop>> {
    let mut out: Vec<Vec<Hop>> = set
        .with_pair(token_in, token_out)
        .map(|p| vec![hop(p, token_in, token_out)])
        .collect();
    for p1 in set
        .pools
        .values()
        .filter(|p| p.index_of(token_in).is_some())
    {
        for &mid in p1
            .tokens
            .iter()
            .filter(|t| **t != token_in && **t != token_out)
        {
            for p2 in set.with_pair(mid, token_out).filter(|p2| p2.id != p1.id) {
                out.push(vec![hop(p1, token_in, mid), hop(p2, mid, token_out)]);
            }
        }
    }
    out
}

/// Prices `hops` for an exact input (`exact_in`) or an exact output.
pub fn price(
    set: &BalancerPools,
    hops: &[Hop],
    exact_in: bool,
    amount: U256,
) -> Result<Vec<U256>, BalancerMathError> {
    let pool = |h: &Hop| {
        set.pools
            .get(&h.pool)
            .ok_or(BalancerMathError::TokenNotRegistered)
    };
    let mut amounts = vec![amount];
    if exact_in {
        let mut a = amount;
        for h in hops {
            a = pool(h)?.out_given_in(h.token_in, h.token_out, a, set.timestamp)?;
            amounts.push(a);
        }
    } else {
        let mut a = amount;
        for h in hops.iter().rev() {
            a = pool(h)?.in_given_out(h.token_in, h.token_out, a, set.timestamp)?;
            amounts.insert(0, a);
        }
    }
    Ok(amounts)
}

/// The best route: most output for an exact input, least input for an exact output.
pub fn best(
    set: &BalancerPools,
    token_in: Address,
    token_out: Address,
    exact_in: bool,
    amount: U256,
) -> Result<Option<RouteQuote>, BalancerMathError> {
    let mut best: Option<RouteQuote> = None;
    let mut last_err = None;
    for hops in candidates(set, token_in, token_out) {
        let amounts = match price(set, &hops, exact_in, amount) {
            Ok(a) => a,
            Err(e) => {
                last_err = Some(e);
                continue;
            }
        };
        let q = RouteQuote { hops, amounts };
        let better = match &best {
            None => true,
            Some(b) if exact_in => q.amount_out() > b.amount_out(),
            Some(b) => q.amount_in() < b.amount_in(),
        };
        if better {
            best = Some(q);
        }
    }
    match (best, last_err) {
        (Some(b), _) => Ok(Some(b)),
        (None, Some(e)) => Err(e),
        (None, None) => Ok(None),
    }
}

/// The marginal rate after the route, output per input, fees included, as a ratio: each hop's
/// pool (with the swap applied) quoted for a small input (a millionth of its input balance).
pub fn marginal_after(set: &BalancerPools, q: &RouteQuote) -> (U256, U256) {
    let (mut num, mut den) = (U256::from(1u8), U256::from(1u8));
    for (i, h) in q.hops.iter().enumerate() {
        let Some(p) = set.pools.get(&h.pool) else {
            continue;
        };
        let mut after = p.clone();
        let (a_in, a_out) = (
            q.amounts.get(i).copied().unwrap_or_default(),
            q.amounts.get(i + 1).copied().unwrap_or_default(),
        );
        if after
            .apply_swap(h.token_in, h.token_out, a_in, a_out)
            .is_err()
        {
            continue;
        }
        let Some(bal) = after
            .index_of(h.token_in)
            .and_then(|i| after.balances.get(i))
        else {
            continue;
        };
        let probe = (*bal / U256::from(1_000_000u32)).max(U256::from(1u8));
        if let Ok(out) = after.out_given_in(h.token_in, h.token_out, probe, set.timestamp) {
            num = num.saturating_mul(out);
            den = den.saturating_mul(probe);
        }
    }
    (num, den)
}

/// The fee of a route in its input token: the input times `1 - prod(1 - fee)`.
pub fn fee_in(q: &RouteQuote) -> U256 {
    let mut kept = ONE;
    for h in &q.hops {
        kept = kept * (ONE - h.swap_fee.min(ONE)) / ONE;
    }
    let a = q.amount_in();
    a - a * kept / ONE
}
