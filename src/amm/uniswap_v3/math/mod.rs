//! Uniswap v3 arithmetic, integer for integer as the core contracts compute it: `FullMath`,
//! `TickMath`, `SqrtPriceMath` and `SwapMath`. Every place where a contract reverts is an error here.

mod full_math;
mod narrow;
mod sqrt_price_math;
mod swap_math;
mod tick_math;

pub(crate) use full_math::as_u128;
pub use full_math::{mul_div, mul_div_rounding_up};
pub use sqrt_price_math::{
    get_amount0_delta, get_amount1_delta, get_next_sqrt_price_from_input,
    get_next_sqrt_price_from_output,
};
pub use swap_math::{
    NarrowStep, RangeAmounts, SwapStep, compute_swap_step, compute_swap_step_in,
    compute_swap_step_narrow,
};
pub use tick_math::{
    MAX_SQRT_RATIO, MAX_TICK, MIN_SQRT_RATIO, MIN_TICK, get_sqrt_ratio_at_tick,
    get_tick_at_sqrt_ratio,
};

use alloy::primitives::U256;

/// `a == b` by scalar limb compares. `U256`'s own `==` and `is_zero` compile to 16-byte vector
/// loads, which stall (no store-to-load forwarding) on a value just written limb by limb, the
/// swap loop's usual case: profiled, those compares were a quarter of the loop's time.
#[inline(always)]
pub(crate) fn eq(a: &U256, b: &U256) -> bool {
    let (x, y) = (a.as_limbs(), b.as_limbs());
    ((x[0] ^ y[0]) | (x[1] ^ y[1]) | (x[2] ^ y[2]) | (x[3] ^ y[3])) == 0
}

/// `a == 0` by scalar limb compares (see [`eq`]).
#[inline(always)]
pub(crate) fn is_zero(a: &U256) -> bool {
    let x = a.as_limbs();
    x[0] == 0 && (x[1] | x[2] | x[3]) == 0
}

/// 2^96, the scale of a Q64.96 square-root price.
pub const Q96: U256 = U256::from_limbs([0, 1 << 32usize, 0, 0]);

/// The largest value of a `uint160`.
pub const MAX_U160: U256 = U256::from_limbs([u64::MAX, u64::MAX, u32::MAX as u64, 0]);

/// Where the contracts would revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MathError {
    #[error("mulDiv: denominator is zero")]
    DivisionByZero,
    #[error("mulDiv: result exceeds 2^256")]
    MulDivOverflow,
    #[error("tick {0} outside [MIN_TICK, MAX_TICK]")]
    TickOutOfRange(i32),
    #[error("sqrt price outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)")]
    SqrtPriceOutOfRange,
    #[error("sqrt price or liquidity is zero")]
    ZeroPriceOrLiquidity,
    #[error("price would leave the representable range")]
    PriceOverflow,
    #[error("amount does not fit the pool's reserves at this price")]
    NotEnoughReserve,
    #[error("liquidity delta under- or overflows")]
    LiquidityOverflow,
    #[error("amount exceeds int256")]
    AmountOverflow,
}
