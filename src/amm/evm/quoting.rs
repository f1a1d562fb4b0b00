//! Turning an exact integer swap result into the venue-neutral [`Quote`]: amounts in `Decimal` by
//! the tokens' decimals, average and marginal prices, the fee in the input token, and a gas estimate
//! priced at the node's last gas price.

use alloy::primitives::U256;
use rust_decimal::Decimal;

use crate::amm::AmmError;
use crate::core::{Asset, GasCost, Quote, QuoteRequest, Side, Token, from_units, to_units_exact};

/// The exact result of a simulated swap, before conversion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SwapQuote {
    pub amount_in: U256,
    pub amount_out: U256,
    /// Fee paid, in the input token.
    pub fee_in: U256,
    pub gas_units: u64,
    /// Marginal price of the last unit swapped, fees included, as a ratio of raw units:
    /// `quote_raw / base_raw` (see [`marginal_with_fee`]).
    pub price_after: (U256, U256),
    /// Human-readable route (pool, fee tier, path).
    pub route: String,
}

/// The pool's marginal price `num / den` (quote per base, raw units) with the fee of `fee_ppm`
/// millionths applied the way the trade pays it: a seller gets `(1 - fee)` of it, a buyer pays it
/// divided by `(1 - fee)`.
pub fn marginal_with_fee(num: U256, den: U256, fee_ppm: u32, side: Side) -> (U256, U256) {
    let million = U256::from(1_000_000u32);
    let kept = U256::from(1_000_000u32.saturating_sub(fee_ppm));
    match side {
        Side::Sell => (num.saturating_mul(kept), den.saturating_mul(million)),
        Side::Buy => (num.saturating_mul(million), den.saturating_mul(kept)),
    }
}

/// A request's base amount in raw units of `token`: positive, and no finer than its decimals.
pub fn amount_units(amount: Decimal, token: &Token) -> Result<U256, AmmError> {
    if amount.is_sign_negative() || amount.is_zero() {
        return Err(AmmError::InvalidAmount(format!(
            "{amount} {}: the amount must be positive",
            token.symbol
        )));
    }
    let units = to_units_exact(amount, token.decimals)
        .map_err(|e| AmmError::InvalidAmount(format!("{amount} {}: {e}", token.symbol)))?;
    if units.is_zero() {
        return Err(AmmError::InvalidAmount(format!(
            "{amount} {} is zero",
            token.symbol
        )));
    }
    Ok(units)
}

/// `num / den` raw units converted to a price in whole tokens: times `10^(base_dec - quote_dec)`.
///
/// As many digits as a `Decimal` holds are kept: the quotient is taken at the largest scale
/// (at most 28) whose result fits a `Decimal` once its trailing zeros are dropped, rounded
/// down, then shifted by the decimals. `num * 10^28 / den` is divided once and the scale found
/// by comparisons; only when `num * 10^28` does not fit 256 bits are the scales tried one by one.
pub fn price_from_raw_ratio(
    num: U256,
    den: U256,
    quote_decimals: u8,
    base_decimals: u8,
) -> Result<Decimal, AmmError> {
    if den.is_zero() {
        return Err(AmmError::Math("price of an empty reserve".into()));
    }
    let overflow = || AmmError::Math(format!("price {num}/{den} does not fit a decimal"));
    let value = match num.checked_mul(U256::from(POW10_28)) {
        Some(scaled) => largest_fitting_scale(scaled / den),
        None => ratio_scale_by_scale(num, den),
    }
    .ok_or_else(overflow)?;
    let shift = i32::from(base_decimals) - i32::from(quote_decimals);
    let ten_pow = Decimal::from_i128_with_scale(10i128.pow(shift.unsigned_abs().min(28)), 0);
    let adjusted = if shift >= 0 {
        value.checked_mul(ten_pow)
    } else {
        value.checked_div(ten_pow)
    };
    adjusted.map(|d| d.normalize()).ok_or_else(overflow)
}

const POW10_28: u128 = 10u128.pow(28);

/// `q / 10^28` as a `Decimal` with as many of its digits as fit (the rest dropped, rounding
/// down): the fewest digits `d` dropped so that `q / 10^d` fits 96 bits, found by comparing `q`
/// with `2^96 * 10^d`; `None` if even `q / 10^28` does not fit.
fn largest_fitting_scale(q: U256) -> Option<Decimal> {
    let limit = U256::from(1u128 << 96);
    let mut bound = limit;
    for dropped in 0..=28u8 {
        if q < bound {
            let kept = q / U256::from(10u128.pow(u32::from(dropped)));
            return from_units(kept, 28 - dropped).ok();
        }
        bound = bound.checked_mul(U256::from(10u8))?;
    }
    None
}

/// The same value for a `num` too large to be multiplied by `10^28`: each scale from 28 down
/// tried in turn.
fn ratio_scale_by_scale(num: U256, den: U256) -> Option<Decimal> {
    (0..=28u8).rev().find_map(|scale| {
        let scaled = num.checked_mul(U256::from(10u128.pow(u32::from(scale))))?;
        from_units(scaled / den, scale).ok()
    })
}

/// Builds the venue quote of a swap that sells (`Side::Sell`, base in) or buys (`Side::Buy`, base
/// out) the request's base amount.
pub fn build_quote(
    venue: &str,
    request: &QuoteRequest,
    base: &Token,
    quote: &Token,
    swap: &SwapQuote,
    native: &Asset,
    gas_price_wei: u128,
) -> Result<Quote, AmmError> {
    let conv = |raw: U256, t: &Token| {
        from_units(raw, t.decimals).map_err(|e| AmmError::Math(format!("{} amount: {e}", t.symbol)))
    };
    let (quote_raw, fee_token) = match request.side {
        Side::Sell => (swap.amount_out, base),
        Side::Buy => (swap.amount_in, quote),
    };
    let quote_amount = conv(quote_raw, quote)?;
    let fee_amount = conv(swap.fee_in, fee_token)?;
    let average_price = quote_amount
        .checked_div(request.base_amount)
        .ok_or_else(|| AmmError::InvalidAmount("zero base amount".into()))?;
    let worst_price = price_from_raw_ratio(
        swap.price_after.0,
        swap.price_after.1,
        quote.decimals,
        base.decimals,
    )?;
    let gas_wei = U256::from(swap.gas_units) * U256::from(gas_price_wei);
    let gas = GasCost {
        gas_units: swap.gas_units,
        native_asset: native.clone(),
        native_amount: from_units(gas_wei, 18)
            .map_err(|e| AmmError::Math(format!("gas cost: {e}")))?,
        quote_amount: None,
    };
    Ok(Quote {
        venue: venue.to_string(),
        pair: request.pair.clone(),
        side: request.side,
        base_amount: request.base_amount,
        quote_amount,
        average_price,
        worst_price,
        fee_asset: fee_token.symbol.clone(),
        fee_amount,
        gas: Some(gas),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::TokenId;
    use alloy::primitives::Address;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    /// `price_from_raw_ratio` as first written: every scale from 28 down, until one fits.
    fn reference_price(num: U256, den: U256, quote_dec: u8, base_dec: u8) -> Option<Decimal> {
        if den.is_zero() {
            return None;
        }
        let mut value = None;
        for scale in (0..=28u8).rev() {
            let factor = U256::from(10u8).pow(U256::from(scale));
            let Some(scaled) = num.checked_mul(factor) else {
                continue;
            };
            if let Ok(d) = from_units(scaled / den, scale) {
                value = Some(d);
                break;
            }
        }
        let shift = i32::from(base_dec) - i32::from(quote_dec);
        let ten_pow = Decimal::from_i128_with_scale(10i128.pow(shift.unsigned_abs().min(28)), 0);
        let adjusted = if shift >= 0 {
            value?.checked_mul(ten_pow)
        } else {
            value?.checked_div(ten_pow)
        };
        adjusted.map(|d| d.normalize())
    }

    /// A `U256` of random magnitude: `mantissa * 2^shift`, sometimes times a power of ten
    /// (trailing decimal zeros).
    fn wide() -> impl Strategy<Value = U256> {
        (any::<u128>(), 0usize..200, 0u8..30, any::<bool>()).prop_map(|(m, shift, tens, round)| {
            let v = U256::from(m).checked_shl(shift).unwrap_or(U256::from(m));
            if round {
                U256::from(m % 1000).saturating_mul(U256::from(10u8).pow(U256::from(tens)))
            } else {
                v
            }
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The one-division price equals the scale-by-scale reference: the same `Decimal`
        /// (value and text) or both no price, for ratios of every magnitude.
        #[test]
        fn price_equals_the_scale_by_scale_reference(
            num in wide(),
            den in wide(),
            quote_dec in 0u8..=24,
            base_dec in 0u8..=24,
        ) {
            let got = price_from_raw_ratio(num, den, quote_dec, base_dec).ok();
            let want = reference_price(num, den, quote_dec, base_dec);
            prop_assert_eq!(got.map(|d| d.to_string()), want.map(|d| d.to_string()));
        }
    }

    fn token(symbol: &str, decimals: u8) -> Token {
        Token {
            symbol: Asset::new(symbol).unwrap(),
            decimals,
            chain: "anvil".into(),
            id: TokenId::Erc20(Address::ZERO),
        }
    }

    #[test]
    fn amounts_must_be_positive_and_exact() {
        let usdc = token("USDC", 6);
        assert_eq!(
            amount_units(dec!(1.5), &usdc).unwrap(),
            U256::from(1_500_000u64)
        );
        assert!(amount_units(dec!(0), &usdc).is_err());
        assert!(amount_units(dec!(-1), &usdc).is_err());
        assert!(amount_units(dec!(0.0000001), &usdc).is_err());
    }

    #[test]
    fn prices_adjust_for_decimals() {
        // 3000 USDC (6 dec) per 1 WETH (18 dec): raw ratio 3000e6 / 1e18.
        let p = price_from_raw_ratio(
            U256::from(3_000_000_000u64),
            U256::from(10u64).pow(U256::from(18)),
            6,
            18,
        )
        .unwrap();
        assert_eq!(p, dec!(3000));
        // And the inverse.
        let p = price_from_raw_ratio(
            U256::from(10u64).pow(U256::from(18)),
            U256::from(3_000_000_000u64),
            18,
            6,
        )
        .unwrap();
        assert_eq!(p.round_dp(10), dec!(0.0003333333));
        assert!(price_from_raw_ratio(U256::from(1u8), U256::ZERO, 18, 18).is_err());
    }
}
