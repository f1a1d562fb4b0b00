//! The constant-product arithmetic of `UniswapV2Library`: output for an exact input, input for an
//! exact output, with the pair's fee (30 bps on the canonical pairs), and both along a path.

use alloy::primitives::U256;

/// The canonical pair fee: 3 per mille, expressed as the multiplier 997/1000 on the input.
pub const DEFAULT_FEE_BPS: u32 = 30;

/// Where the library reverts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum V2MathError {
    #[error("amount is zero")]
    InsufficientAmount,
    #[error("pair has no liquidity")]
    InsufficientLiquidity,
    #[error("output is not less than the pair's reserve")]
    OutputExceedsReserve,
    #[error("fee of {0} bps is not below 10000")]
    BadFee(u32),
    #[error("arithmetic overflow")]
    Overflow,
    #[error("a path needs as many reserve pairs as hops, and at least one")]
    BadPath,
}

/// Reserves of one hop, input side first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HopReserves {
    pub reserve_in: U256,
    pub reserve_out: U256,
    pub fee_bps: u32,
}

fn fee_factor(fee_bps: u32) -> Result<U256, V2MathError> {
    if fee_bps >= 10_000 {
        return Err(V2MathError::BadFee(fee_bps));
    }
    Ok(U256::from(10_000 - fee_bps))
}

/// `getAmountOut`: `in * (1 - fee) * rOut / (rIn + in * (1 - fee))`, rounded down.
pub fn get_amount_out(
    amount_in: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> Result<U256, V2MathError> {
    if amount_in.is_zero() {
        return Err(V2MathError::InsufficientAmount);
    }
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(V2MathError::InsufficientLiquidity);
    }
    let in_with_fee = amount_in
        .checked_mul(fee_factor(fee_bps)?)
        .ok_or(V2MathError::Overflow)?;
    let numerator = in_with_fee
        .checked_mul(reserve_out)
        .ok_or(V2MathError::Overflow)?;
    let denominator = reserve_in
        .checked_mul(U256::from(10_000u32))
        .and_then(|d| d.checked_add(in_with_fee))
        .ok_or(V2MathError::Overflow)?;
    Ok(numerator / denominator)
}

/// `getAmountIn`: the least input that yields `amount_out`, rounded up (`+ 1`, as the library does).
pub fn get_amount_in(
    amount_out: U256,
    reserve_in: U256,
    reserve_out: U256,
    fee_bps: u32,
) -> Result<U256, V2MathError> {
    if amount_out.is_zero() {
        return Err(V2MathError::InsufficientAmount);
    }
    if reserve_in.is_zero() || reserve_out.is_zero() {
        return Err(V2MathError::InsufficientLiquidity);
    }
    if amount_out >= reserve_out {
        // The library would divide by zero or underflow here.
        return Err(V2MathError::OutputExceedsReserve);
    }
    let numerator = reserve_in
        .checked_mul(amount_out)
        .and_then(|n| n.checked_mul(U256::from(10_000u32)))
        .ok_or(V2MathError::Overflow)?;
    let denominator = (reserve_out - amount_out)
        .checked_mul(fee_factor(fee_bps)?)
        .ok_or(V2MathError::Overflow)?;
    (numerator / denominator)
        .checked_add(U256::from(1u8))
        .ok_or(V2MathError::Overflow)
}

/// `getAmountsOut` along a path: the amount after each hop, the input first.
pub fn get_amounts_out(amount_in: U256, hops: &[HopReserves]) -> Result<Vec<U256>, V2MathError> {
    if hops.is_empty() {
        return Err(V2MathError::BadPath);
    }
    let mut amounts = Vec::with_capacity(hops.len() + 1);
    amounts.push(amount_in);
    let mut amount = amount_in;
    for hop in hops {
        amount = get_amount_out(amount, hop.reserve_in, hop.reserve_out, hop.fee_bps)?;
        amounts.push(amount);
    }
    Ok(amounts)
}

/// `getAmountsIn` along a path: the amount before each hop, computed from the last hop back.
pub fn get_amounts_in(amount_out: U256, hops: &[HopReserves]) -> Result<Vec<U256>, V2MathError> {
    if hops.is_empty() {
        return Err(V2MathError::BadPath);
    }
    let mut amounts = vec![U256::ZERO; hops.len() + 1];
    let mut amount = amount_out;
    if let Some(last) = amounts.last_mut() {
        *last = amount_out;
    }
    for (i, hop) in hops.iter().enumerate().rev() {
        amount = get_amount_in(amount, hop.reserve_in, hop.reserve_out, hop.fee_bps)?;
        if let Some(slot) = amounts.get_mut(i) {
            *slot = amount;
        }
    }
    Ok(amounts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn e18(x: u64) -> U256 {
        U256::from(x) * U256::from(10u64).pow(U256::from(18))
    }

    #[test]
    fn known_router_quote() {
        // 1e18 into a 1000/1000 pair: 996006981039903216 (the value measured on anvil).
        let out = get_amount_out(e18(1), e18(1000), e18(1000), DEFAULT_FEE_BPS).unwrap();
        assert_eq!(out.to_string(), "996006981039903216");
        // And the input for that output is 1e18 again (the +1 rounding lands on it).
        let back = get_amount_in(out, e18(1000), e18(1000), DEFAULT_FEE_BPS).unwrap();
        assert_eq!(back, e18(1));
    }

    #[test]
    fn bad_inputs_fail() {
        assert_eq!(
            get_amount_out(U256::ZERO, e18(1), e18(1), 30),
            Err(V2MathError::InsufficientAmount)
        );
        assert_eq!(
            get_amount_out(e18(1), U256::ZERO, e18(1), 30),
            Err(V2MathError::InsufficientLiquidity)
        );
        assert_eq!(
            get_amount_in(e18(1), e18(1), e18(1), 30),
            Err(V2MathError::OutputExceedsReserve)
        );
        assert_eq!(
            get_amount_out(e18(1), e18(1), e18(1), 10_000),
            Err(V2MathError::BadFee(10_000))
        );
        assert_eq!(get_amounts_out(e18(1), &[]), Err(V2MathError::BadPath));
    }

    #[test]
    fn two_hops() {
        let hops = [
            HopReserves {
                reserve_in: e18(1000),
                reserve_out: e18(2000),
                fee_bps: 30,
            },
            HopReserves {
                reserve_in: e18(500),
                reserve_out: e18(500),
                fee_bps: 30,
            },
        ];
        let out = get_amounts_out(e18(1), &hops).unwrap();
        let first = get_amount_out(e18(1), e18(1000), e18(2000), 30).unwrap();
        assert_eq!(out[1], first);
        assert_eq!(
            out[2],
            get_amount_out(first, e18(500), e18(500), 30).unwrap()
        );
        let back = get_amounts_in(out[2], &hops).unwrap();
        assert!(back[0] <= e18(1));
        assert_eq!(back[2], out[2]);
    }

    proptest! {
        #[test]
        fn amount_in_buys_at_least_the_output(
            r_in in 1_000u128..(1u128 << 112),
            r_out in 1_000u128..(1u128 << 112),
            out_frac in 1u32..999_999,
        ) {
            let (r_in, r_out) = (U256::from(r_in), U256::from(r_out));
            let out = r_out * U256::from(out_frac) / U256::from(1_000_000u32);
            prop_assume!(!out.is_zero());
            let needed = get_amount_in(out, r_in, r_out, 30).unwrap();
            // Paying the computed input yields at least the output; one less may not.
            prop_assert!(get_amount_out(needed, r_in, r_out, 30).unwrap() >= out);
            if needed > U256::from(1u8) {
                prop_assert!(get_amount_out(needed - U256::from(1u8), r_in, r_out, 30).unwrap() <= out);
            }
        }

        #[test]
        fn output_is_monotonic_and_below_reserve(
            r_in in 1u128..(1u128 << 112),
            r_out in 1u128..(1u128 << 112),
            a in 1u128..(1u128 << 112),
        ) {
            let (r_in, r_out, a) = (U256::from(r_in), U256::from(r_out), U256::from(a));
            let o1 = get_amount_out(a, r_in, r_out, 30).unwrap();
            let o2 = get_amount_out(a + U256::from(1u8), r_in, r_out, 30).unwrap();
            prop_assert!(o1 <= o2);
            prop_assert!(o2 < r_out);
        }
    }
}
