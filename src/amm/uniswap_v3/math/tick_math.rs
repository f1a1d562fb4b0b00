//! `TickMath`: the square-root price at a tick, `sqrt(1.0001^tick) * 2^96` as a Q64.96 rounded up,
//! and its inverse, the greatest tick whose price is at or below a given square-root price.

use alloy::primitives::{I256, U256};

use super::MathError;

pub const MIN_TICK: i32 = -887272;
pub const MAX_TICK: i32 = 887272;
/// `get_sqrt_ratio_at_tick(MIN_TICK)`.
pub const MIN_SQRT_RATIO: U256 = U256::from_limbs([4295128739, 0, 0, 0]);
/// `get_sqrt_ratio_at_tick(MAX_TICK)` = 1461446703485210103287273052203988822378723970342.
pub const MAX_SQRT_RATIO: U256 =
    U256::from_limbs([0x5d951d5263988d26, 0xefd1fc6a50648849, 0xfffd8963, 0]);

/// `2^128 / sqrt(1.0001)^(2^i)` in Q128.128 for bit `i` of `|tick|` (the protocol's constants).
const RATIO_FACTORS: [u128; 20] = [
    0xfffcb933bd6fad37aa2d162d1a594001,
    0xfff97272373d413259a46990580e213a,
    0xfff2e50f5f656932ef12357cf3c7fdcc,
    0xffe5caca7e10e4e61c3624eaa0941cd0,
    0xffcb9843d60f6159c9db58835c926644,
    0xff973b41fa98c081472e6896dfb254c0,
    0xff2ea16466c96a3843ec78b326b52861,
    0xfe5dee046a99a2a811c461f1969c3053,
    0xfcbe86c7900a88aedcffc83b479aa3a4,
    0xf987a7253ac413176f2b074cf7815e54,
    0xf3392b0822b70005940c7a398e4b70f3,
    0xe7159475a2c29b7443b29c7fa6e889d9,
    0xd097f3bdfd2022b8845ad8f792aa5825,
    0xa9f746462d870fdf8a65dc1f90e061e5,
    0x70d869a156d2a1b890bb3df62baf32f7,
    0x31be135f97d08fd981231505542fcfa6,
    0x9aa508b5b7a84e1c677de54f3e99bc9,
    0x5d6af8dedb81196699c329225ee604,
    0x2216e584f5fa1ea926041bedfe98,
    0x48a170391f7dc42444e8fa2,
];

/// `log_sqrt(1.0001)(2) * 2^64`: converts a Q64.64 log2 into a Q128.128 tick.
const LOG_SQRT10001_OF_2: u128 = 255738958999603826347141;
/// Error bounds of the tick estimate, in Q128.128.
const TICK_LOW_ERROR: u128 = 3402992956809132418596140100660247210;
const TICK_HIGH_ERROR: u128 = 291339464771989622907027621153398088495;

/// The square-root price at `tick`, a Q64.96, rounded up.
///
/// The contract multiplies 256-bit words; every intermediate ratio here is below 2^128 (a product
/// of factors below 1 in Q128.128), so each step is one 128 × 128-bit multiply keeping the high
/// half, which is the same integer as the contract's `(ratio * factor) >> 128`.
pub fn get_sqrt_ratio_at_tick(tick: i32) -> Result<U256, MathError> {
    let abs_tick = tick.unsigned_abs();
    if abs_tick > MAX_TICK.unsigned_abs() {
        return Err(MathError::TickOutOfRange(tick));
    }
    // `None` is the start value 2^128, which does not fit a u128: times a factor, shifted right by
    // 128, it gives the factor itself.
    let mut ratio: Option<u128> = (abs_tick & 1 != 0).then_some(RATIO_FACTORS[0]);
    for (bit, factor) in RATIO_FACTORS.iter().enumerate().skip(1) {
        if abs_tick & (1 << bit) != 0 {
            ratio = Some(match ratio {
                None => *factor,
                Some(r) => mul_u128(r, *factor).0,
            });
        }
    }
    let Some(ratio) = ratio else {
        // tick 0: 2^128 in Q128.128 is exactly 2^96 in Q64.96
        return Ok(U256::from(1u8) << 96usize);
    };
    let ratio = if tick > 0 {
        U256::MAX / U256::from(ratio)
    } else {
        U256::from(ratio)
    };
    // Q128.128 -> Q64.96, rounding up so that the inverse is exact.
    let rounded_up = if ratio.as_limbs()[0] & 0xffff_ffff == 0 {
        0u8
    } else {
        1
    };
    Ok((ratio >> 32usize) + U256::from(rounded_up))
}

/// The full 256-bit product of two u128: (high half, low half).
#[inline(always)]
pub(crate) fn mul_u128(a: u128, b: u128) -> (u128, u128) {
    const LOW: u128 = u64::MAX as u128;
    let (a1, a0) = (a >> 64, a & LOW);
    let (b1, b0) = (b >> 64, b & LOW);
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let p11 = a1 * b1;
    // each term below 2^64: the sum stays below 2^66
    let mid = (p00 >> 64) + (p01 & LOW) + (p10 & LOW);
    let low = (p00 & LOW) | (mid << 64);
    let high = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
    (high, low)
}

/// The greatest tick whose square-root price is at or below `sqrt_price_x96`.
pub fn get_tick_at_sqrt_ratio(sqrt_price_x96: U256) -> Result<i32, MathError> {
    if sqrt_price_x96 < MIN_SQRT_RATIO || sqrt_price_x96 >= MAX_SQRT_RATIO {
        return Err(MathError::SqrtPriceOutOfRange);
    }
    let ratio = sqrt_price_x96 << 32usize;
    // ratio < 2^192, so its most significant bit fits an i32.
    let msb = (ratio.bit_len() - 1) as i32;
    let r = if msb >= 128 {
        ratio >> (msb - 127) as usize
    } else {
        ratio << (127 - msb) as usize
    };
    // r is in [2^127, 2^128): it fits a u128
    let mut r = r.to::<u128>();
    // Integer part of log2, in Q64.64; it stays well inside an i128.
    let mut log_2: i128 = i128::from(msb - 128) << 64usize;
    // 14 fractional bits by repeated squaring: r is in [2^127, 2^128) before each square, so
    // r * r >> 127 is below 2^129; its bit 128 is the next bit of the log, and when it is set the
    // contract halves it (which is r * r >> 128, the high half of the square).
    for shift in (50..=63).rev() {
        let (high, low) = mul_u128(r, r);
        if high >> 127 != 0 {
            log_2 |= 1i128 << shift;
            r = high;
        } else {
            r = (high << 1) | (low >> 127);
        }
    }
    let magnitude = I256::from_raw(U256::from(log_2.unsigned_abs()));
    let log_2 = if log_2 < 0 { -magnitude } else { magnitude };
    let log_sqrt10001 = log_2.wrapping_mul(I256::from_raw(U256::from(LOG_SQRT10001_OF_2)));
    let tick_low =
        asr128_to_i32(log_sqrt10001.wrapping_sub(I256::from_raw(U256::from(TICK_LOW_ERROR))));
    let tick_high =
        asr128_to_i32(log_sqrt10001.wrapping_add(I256::from_raw(U256::from(TICK_HIGH_ERROR))));
    if tick_low == tick_high {
        return Ok(tick_low);
    }
    if get_sqrt_ratio_at_tick(tick_high)? <= sqrt_price_x96 {
        Ok(tick_high)
    } else {
        Ok(tick_low)
    }
}

/// `int24(x >> 128usize)` with an arithmetic shift; the value is a tick within ±887273 here.
fn asr128_to_i32(x: I256) -> i32 {
    let shifted = x.asr(128);
    // Low 32 bits of the two's complement representation.
    shifted.into_raw().as_limbs()[0] as u32 as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds() {
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK).unwrap(),
            U256::from(4295128739u64)
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK).unwrap().to_string(),
            "1461446703485210103287273052203988822378723970342"
        );
        assert_eq!(get_sqrt_ratio_at_tick(MAX_TICK).unwrap(), MAX_SQRT_RATIO);
        assert!(get_sqrt_ratio_at_tick(MIN_TICK - 1).is_err());
        assert!(get_sqrt_ratio_at_tick(MAX_TICK + 1).is_err());
        assert_eq!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO).unwrap(), MIN_TICK);
        assert_eq!(
            get_tick_at_sqrt_ratio(MAX_SQRT_RATIO - U256::from(1u8)).unwrap(),
            MAX_TICK - 1
        );
        assert!(get_tick_at_sqrt_ratio(MIN_SQRT_RATIO - U256::from(1u8)).is_err());
        assert!(get_tick_at_sqrt_ratio(MAX_SQRT_RATIO).is_err());
    }

    #[test]
    fn known_points() {
        // Tick 0 is price 1: 2^96.
        assert_eq!(
            get_sqrt_ratio_at_tick(0).unwrap(),
            U256::from(1u8) << 96usize
        );
        assert_eq!(
            get_tick_at_sqrt_ratio(U256::from(1u8) << 96usize).unwrap(),
            0
        );
        // Values of the v3-core test suite's snapshot.
        assert_eq!(
            get_sqrt_ratio_at_tick(MIN_TICK + 1).unwrap(),
            U256::from(4295343490u64)
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(MAX_TICK - 1).unwrap().to_string(),
            "1461373636630004318706518188784493106690254656249"
        );
        // sqrt(1.0001) * 2^96, rounded up: 79232123823359799118286999568.
        assert_eq!(
            get_sqrt_ratio_at_tick(1).unwrap().to_string(),
            "79232123823359799118286999568"
        );
        assert_eq!(
            get_sqrt_ratio_at_tick(-1).unwrap().to_string(),
            "79224201403219477170569942574"
        );
    }

    /// The contract's computation word for word in 256-bit arithmetic (the reference the fast
    /// version is checked against).
    fn sqrt_ratio_reference(tick: i32) -> U256 {
        let abs_tick = tick.unsigned_abs();
        let mut ratio = if abs_tick & 1 != 0 {
            U256::from(RATIO_FACTORS[0])
        } else {
            U256::from(1u8) << 128usize
        };
        for (bit, factor) in RATIO_FACTORS.iter().enumerate().skip(1) {
            if abs_tick & (1 << bit) != 0 {
                ratio = (ratio * U256::from(*factor)) >> 128usize;
            }
        }
        if tick > 0 {
            ratio = U256::MAX / ratio;
        }
        let up = u8::from(ratio.as_limbs()[0] & 0xffff_ffff != 0);
        (ratio >> 32usize) + U256::from(up)
    }

    /// The contract's log2 squaring loop in 256-bit arithmetic.
    fn tick_reference(sqrt_price_x96: U256) -> i32 {
        let ratio = sqrt_price_x96 << 32usize;
        let msb = (ratio.bit_len() - 1) as i32;
        let mut r = if msb >= 128 {
            ratio >> (msb - 127) as usize
        } else {
            ratio << (127 - msb) as usize
        };
        let mut log_2: i128 = i128::from(msb - 128) << 64usize;
        for shift in (50..=63).rev() {
            r = (r * r) >> 127usize;
            if r.bit(128) {
                log_2 |= 1i128 << shift;
                r >>= 1;
            }
        }
        let magnitude = I256::from_raw(U256::from(log_2.unsigned_abs()));
        let log_2 = if log_2 < 0 { -magnitude } else { magnitude };
        let l = log_2.wrapping_mul(I256::from_raw(U256::from(LOG_SQRT10001_OF_2)));
        let lo = asr128_to_i32(l.wrapping_sub(I256::from_raw(U256::from(TICK_LOW_ERROR))));
        let hi = asr128_to_i32(l.wrapping_add(I256::from_raw(U256::from(TICK_HIGH_ERROR))));
        if lo == hi || sqrt_ratio_reference(hi) > sqrt_price_x96 {
            lo
        } else {
            hi
        }
    }

    #[test]
    fn fast_sqrt_ratio_equals_the_reference_on_a_dense_sample() {
        for t in (MIN_TICK..=MAX_TICK)
            .step_by(61)
            .chain(MIN_TICK..MIN_TICK + 300)
            .chain(-300..300)
            .chain(MAX_TICK - 300..=MAX_TICK)
        {
            assert_eq!(
                get_sqrt_ratio_at_tick(t).unwrap(),
                sqrt_ratio_reference(t),
                "tick {t}"
            );
        }
    }

    #[test]
    fn u128_product_matches_u256() {
        let edges = [
            0u128,
            1,
            2,
            u64::MAX as u128,
            1u128 << 64,
            (1u128 << 64) + 1,
            u128::MAX,
            u128::MAX - 1,
            1u128 << 127,
            RATIO_FACTORS[0],
        ];
        for a in edges {
            for b in edges {
                let (h, l) = mul_u128(a, b);
                let want = U256::from(a) * U256::from(b);
                assert_eq!(
                    (U256::from(h) << 128usize) | U256::from(l),
                    want,
                    "{a} * {b}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn fast_tick_math_equals_the_reference(
            tick in MIN_TICK..=MAX_TICK,
            raw in proptest::prelude::any::<[u64; 3]>(),
            a in proptest::prelude::any::<u128>(),
            b in proptest::prelude::any::<u128>(),
        ) {
            proptest::prop_assert_eq!(get_sqrt_ratio_at_tick(tick).unwrap(), sqrt_ratio_reference(tick));
            let price = U256::from_limbs([raw[0], raw[1], raw[2] & 0xffff_ffff, 0]);
            if price >= MIN_SQRT_RATIO && price < MAX_SQRT_RATIO {
                proptest::prop_assert_eq!(get_tick_at_sqrt_ratio(price).unwrap(), tick_reference(price));
            }
            let p = get_sqrt_ratio_at_tick(tick).unwrap();
            for q in [p, p - U256::from(1u8), p + U256::from(1u8)] {
                if q >= MIN_SQRT_RATIO && q < MAX_SQRT_RATIO {
                    proptest::prop_assert_eq!(get_tick_at_sqrt_ratio(q).unwrap(), tick_reference(q));
                }
            }
            let (h, l) = mul_u128(a, b);
            proptest::prop_assert_eq!((U256::from(h) << 128usize) | U256::from(l), U256::from(a) * U256::from(b));
        }
    }

    #[test]
    fn inverse_of_every_tick_in_a_sample() {
        for t in (MIN_TICK..=MAX_TICK)
            .step_by(997)
            .chain([-1, 0, 1, MAX_TICK - 1])
        {
            let p = get_sqrt_ratio_at_tick(t).unwrap();
            if t < MAX_TICK {
                assert_eq!(get_tick_at_sqrt_ratio(p).unwrap(), t, "tick {t}");
            }
            if p > MIN_SQRT_RATIO {
                assert_eq!(get_tick_at_sqrt_ratio(p - U256::from(1u8)).unwrap(), t - 1);
            }
        }
    }
}
