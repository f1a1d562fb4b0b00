//! Conversions between on-chain integer units (`U256`) and off-chain `Decimal` amounts, by a token's
//! decimals. Every conversion is explicit about rounding; overflow is an error, never a wrap.

use alloy::primitives::U256;
use rust_decimal::Decimal;

use super::{CoreError, Rounding};

/// Largest mantissa a `Decimal` holds (2^96 - 1).
const DECIMAL_MAX_MANTISSA: u128 = (1u128 << 96) - 1;

fn pow10(decimals: u8) -> Result<U256, CoreError> {
    if decimals > 77 {
        return Err(CoreError::DecimalsOutOfRange(decimals));
    }
    if decimals <= 38 {
        // below 2^128: no 256-bit exponentiation
        return Ok(U256::from(10u128.pow(u32::from(decimals))));
    }
    Ok(U256::from(10u8).pow(U256::from(decimals)))
}

/// Converts an amount to integer units, rounding to `decimals` places with `rounding` first.
/// Negative amounts are an error.
pub fn to_units(amount: Decimal, decimals: u8, rounding: Rounding) -> Result<U256, CoreError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(CoreError::NegativeAmount { amount });
    }
    let rounded = if amount.scale() > u32::from(decimals) {
        amount.round_dp_with_strategy(u32::from(decimals), rounding.strategy())
    } else {
        amount
    };
    scale_up(rounded, decimals)
}

/// Converts an amount to integer units and fails if the amount has more decimals than the token.
pub fn to_units_exact(amount: Decimal, decimals: u8) -> Result<U256, CoreError> {
    if amount.is_sign_negative() && !amount.is_zero() {
        return Err(CoreError::NegativeAmount { amount });
    }
    let normalized = amount.normalize();
    if normalized.scale() > u32::from(decimals) {
        return Err(CoreError::LostPrecision { amount, decimals });
    }
    scale_up(normalized, decimals)
}

fn scale_up(amount: Decimal, decimals: u8) -> Result<U256, CoreError> {
    let mantissa =
        u128::try_from(amount.mantissa()).map_err(|_| CoreError::NegativeAmount { amount })?;
    let scale = amount.scale();
    // scale <= decimals here: the caller rounded or checked.
    let shift = u8::try_from(u32::from(decimals) - scale)
        .map_err(|_| CoreError::DecimalsOutOfRange(decimals))?;
    U256::from(mantissa)
        .checked_mul(pow10(shift)?)
        .ok_or_else(|| CoreError::Overflow {
            what: format!("{amount} with {decimals} decimals exceeds 2^256"),
        })
}

/// Converts integer units to an exact `Decimal`. Fails when the value cannot be held exactly
/// (a `Decimal` has a 96-bit mantissa and at most 28 decimal places).
pub fn from_units(raw: U256, decimals: u8) -> Result<Decimal, CoreError> {
    if decimals > 77 {
        return Err(CoreError::DecimalsOutOfRange(decimals));
    }
    // The usual case, in machine words: at most 64 bits and 28 decimals.
    if let Ok(small) = u64::try_from(raw)
        && decimals <= 28
    {
        let (mantissa, scale) = strip_zeros(small, u32::from(decimals));
        return Ok(Decimal::from_i128_with_scale(i128::from(mantissa), scale));
    }
    from_units_wide(raw, decimals)
}

/// `mantissa / 10^scale` with the trailing zeros of the fraction dropped (the scale lowered as
/// far as the mantissa allows): 8 digits at a time, then one at a time.
#[inline]
fn strip_zeros(mut mantissa: u64, mut scale: u32) -> (u64, u32) {
    if mantissa == 0 {
        return (0, 0);
    }
    while scale >= 8 && mantissa.is_multiple_of(100_000_000) {
        mantissa /= 100_000_000;
        scale -= 8;
    }
    while scale > 0 && mantissa.is_multiple_of(10) {
        mantissa /= 10;
        scale -= 1;
    }
    (mantissa, scale)
}

/// [`from_units`] for any value, in `U256` arithmetic.
fn from_units_wide(raw: U256, decimals: u8) -> Result<Decimal, CoreError> {
    let mut mantissa = raw;
    let mut scale = u32::from(decimals);
    let ten = U256::from(10u8);
    // Drop trailing zeros of the fraction first: 10^30 wei is 10^12 ETH, exactly representable.
    while scale > 0 && (mantissa % ten).is_zero() && !mantissa.is_zero() {
        mantissa /= ten;
        scale -= 1;
    }
    if mantissa.is_zero() {
        return Ok(Decimal::ZERO);
    }
    if scale > 28 {
        return Err(CoreError::Overflow {
            what: format!(
                "{raw} units with {decimals} decimals needs {scale} decimal places (at most 28)"
            ),
        });
    }
    let small = u128::try_from(mantissa)
        .ok()
        .filter(|m| *m <= DECIMAL_MAX_MANTISSA)
        .ok_or_else(|| CoreError::Overflow {
            what: format!("{raw} units with {decimals} decimals exceeds a 96-bit decimal mantissa"),
        })?;
    let signed = i128::try_from(small).map_err(|_| CoreError::Overflow {
        what: format!("{raw} units"),
    })?;
    Ok(Decimal::from_i128_with_scale(signed, scale))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal_macros::dec;

    proptest! {
        /// The machine-word path of `from_units` gives the same `Decimal`, scale included (so
        /// the same text), as the `U256` path, for values of every size and with trailing zeros.
        #[test]
        fn word_path_equals_the_wide_path(
            digits in 0u64..=u64::MAX,
            zeros in 0u32..20,
            decimals in 0u8..=30,
        ) {
            let raw = U256::from(digits) * U256::from(10u8).pow(U256::from(zeros));
            let fast = from_units(raw, decimals);
            let wide = from_units_wide(raw, decimals);
            prop_assert_eq!(&fast, &wide);
            if let Ok(d) = fast {
                prop_assert_eq!(d.to_string(), wide.unwrap().to_string());
                prop_assert_eq!(d.scale(), d.normalize().scale());
            }
        }
    }

    #[test]
    fn eighteen_decimals_round_trip() {
        let one_eth = U256::from(10u64).pow(U256::from(18));
        assert_eq!(to_units_exact(dec!(1), 18).unwrap(), one_eth);
        assert_eq!(from_units(one_eth, 18).unwrap(), dec!(1));
        let wei = U256::from(1u8);
        assert_eq!(from_units(wei, 18).unwrap(), dec!(0.000000000000000001));
        assert_eq!(to_units_exact(dec!(0.000000000000000001), 18).unwrap(), wei);
    }

    #[test]
    fn max_supply_of_an_eighteen_decimal_token() {
        // 79,228,162,514.264337593543950335 tokens: the largest 18-decimal amount a Decimal holds exactly.
        let max = U256::from((1u128 << 96) - 1);
        let d = from_units(max, 18).unwrap();
        assert_eq!(d.to_string(), "79228162514.264337593543950335");
        assert_eq!(to_units_exact(d, 18).unwrap(), max);
        // One more unit does not fit: an error, not a wrap.
        assert!(matches!(
            from_units(max + U256::from(1u8), 18),
            Err(CoreError::Overflow { .. })
        ));
        // A round number of 10^30 units (10^12 tokens) is fine because trailing zeros are dropped.
        let big = U256::from(10u8).pow(U256::from(30));
        assert_eq!(from_units(big, 18).unwrap(), dec!(1000000000000));
        // U256::MAX never fits.
        assert!(from_units(U256::MAX, 18).is_err());
        // 1e27 (a billion-token supply) round trips.
        let supply = U256::from(10u8).pow(U256::from(27));
        assert_eq!(
            to_units_exact(from_units(supply, 18).unwrap(), 18).unwrap(),
            supply
        );
    }

    #[test]
    fn six_decimals_and_rounding() {
        assert_eq!(
            to_units_exact(dec!(1.5), 6).unwrap(),
            U256::from(1_500_000u64)
        );
        assert_eq!(
            from_units(U256::from(1_234_567u64), 6).unwrap(),
            dec!(1.234567)
        );
        assert!(matches!(
            to_units_exact(dec!(1.0000001), 6),
            Err(CoreError::LostPrecision { .. })
        ));
        assert_eq!(
            to_units(dec!(1.0000001), 6, Rounding::Down).unwrap(),
            U256::from(1_000_000u64)
        );
        assert_eq!(
            to_units(dec!(1.0000001), 6, Rounding::Up).unwrap(),
            U256::from(1_000_001u64)
        );
        assert_eq!(
            to_units(dec!(1.0000005), 6, Rounding::Nearest).unwrap(),
            U256::from(1_000_000u64)
        );
        assert_eq!(
            to_units(dec!(1.0000015), 6, Rounding::Nearest).unwrap(),
            U256::from(1_000_002u64)
        );
        // trailing zeros beyond the token's decimals are not a loss
        assert_eq!(
            to_units_exact(dec!(2.50000000), 6).unwrap(),
            U256::from(2_500_000u64)
        );
    }

    #[test]
    fn bad_inputs() {
        assert!(matches!(
            to_units(dec!(-1), 18, Rounding::Down),
            Err(CoreError::NegativeAmount { .. })
        ));
        assert!(matches!(
            to_units_exact(dec!(1), 78),
            Err(CoreError::DecimalsOutOfRange(78))
        ));
        assert!(matches!(
            from_units(U256::from(1u8), 200),
            Err(CoreError::DecimalsOutOfRange(200))
        ));
        // 0 decimals with a huge amount: fits U256 but 10^77 overflows when scaled up by 77
        assert!(to_units_exact(Decimal::MAX, 77).is_err());
        assert_eq!(to_units(dec!(0), 18, Rounding::Up).unwrap(), U256::ZERO);
        // more than 28 decimal places cannot be a Decimal
        assert!(from_units(U256::from(1u8), 30).is_err());
        assert_eq!(from_units(U256::ZERO, 30).unwrap(), Decimal::ZERO);
    }
}
