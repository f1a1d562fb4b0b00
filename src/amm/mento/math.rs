//! Mento v2's swap arithmetic, pure: the two pricing modules (`ConstantProductPricingModule`,
//! `ConstantSumPricingModule`) on 24-decimal FixidityLib values, and `BiPoolManager`'s
//! `getAmountOut` / `getAmountIn` around them: token amounts scaled to 18 decimals by the
//! token's precision multiplier, the buckets reset from the oracle median when
//! `shouldUpdateBuckets` holds at the given time, the result scaled back down (rounding down).
//! Every revert of the contracts is an error here.

use alloy::primitives::{Address, U256};

use super::fixidity::{FIXED1, add, max_new_fixed, mul_int, new_fixed, subtract};

/// Where the contracts revert.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MentoMathError {
    #[error("arithmetic overflow in {0}")]
    Overflow(&'static str),
    #[error("arithmetic underflow in {0}")]
    Underflow(&'static str),
    #[error("division by zero in {0}")]
    DivisionByZero(&'static str),
    #[error("tokenIn and tokenOut must match exchange")]
    WrongTokens,
    #[error("no valid median (a constant-sum exchange needs a recent oracle median)")]
    NoValidMedian,
    #[error("the amount out exceeds the bucket of the token out")]
    OutputExceedsBucket,
}

/// The pricing module of an exchange, by its `name()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PricingModule {
    /// `"ConstantProduct"`.
    ConstantProduct,
    /// `"ConstantSum"`.
    ConstantSum,
}

impl PricingModule {
    /// The module of a `name()`, if it is one of the two.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "ConstantProduct" => Some(Self::ConstantProduct),
            "ConstantSum" => Some(Self::ConstantSum),
            _ => None,
        }
    }

    /// Output for an exact input, on 18-decimal amounts (the module's `getAmountOut`).
    pub fn amount_out(
        self,
        bucket_in: U256,
        bucket_out: U256,
        spread: U256,
        amount_in: U256,
    ) -> Result<U256, MentoMathError> {
        if amount_in.is_zero() {
            return Ok(U256::ZERO);
        }
        // Every `multiply` of the modules has a `newFixed` operand: it is the exact product
        // (see `fixidity::mul_int`), the `newFixed` bound checked in the library's order.
        let kept = subtract(FIXED1, spread)?;
        let net_in = mul_int(kept, fixed_bound(amount_in)?)?;
        let bucket_out = fixed_bound(bucket_out)?;
        let numerator = mul_int(net_in, bucket_out)?;
        let denominator = match self {
            Self::ConstantProduct => add(new_fixed(bucket_in)?, net_in)?,
            Self::ConstantSum => new_fixed(bucket_in)?,
        };
        div(numerator, denominator, "getAmountOut")
    }

    /// Input for an exact output, on 18-decimal amounts (the module's `getAmountIn`).
    pub fn amount_in(
        self,
        bucket_in: U256,
        bucket_out: U256,
        spread: U256,
        amount_out: U256,
    ) -> Result<U256, MentoMathError> {
        match self {
            Self::ConstantProduct => {
                let kept = subtract(FIXED1, spread)?;
                let product = amount_out
                    .checked_mul(bucket_in)
                    .ok_or(MentoMathError::Overflow("amountOut * bucketIn"))?;
                let numerator = new_fixed(product)?;
                let rest = bucket_out
                    .checked_sub(amount_out)
                    .ok_or(MentoMathError::OutputExceedsBucket)?;
                let denominator = mul_int(kept, fixed_bound(rest)?)?;
                div(numerator, denominator, "getAmountIn")
            }
            Self::ConstantSum => {
                if amount_out.is_zero() {
                    return Ok(U256::ZERO);
                }
                let kept = subtract(FIXED1, spread)?;
                let numerator = mul_int(new_fixed(amount_out)?, fixed_bound(bucket_in)?)?;
                let denominator = mul_int(kept, fixed_bound(bucket_out)?)?;
                div(numerator, denominator, "getAmountIn")
            }
        }
    }
}

/// `v` if `newFixed(v)` accepts it (the operand then enters a product as the integer `v`).
#[inline]
fn fixed_bound(v: U256) -> Result<U256, MentoMathError> {
    if v > max_new_fixed() {
        return Err(MentoMathError::Overflow("newFixed"));
    }
    Ok(v)
}

fn div(n: U256, d: U256, what: &'static str) -> Result<U256, MentoMathError> {
    n.checked_div(d).ok_or(MentoMathError::DivisionByZero(what))
}

/// The reference rate feed as SortedOracles reports it, at one block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OracleFeed {
    /// `medianRate`'s numerator (the median report, 24 decimals).
    pub median: U256,
    /// `medianRate`'s denominator: 10^24, or 0 without reports.
    pub denominator: U256,
    /// `medianTimestamp`.
    pub median_timestamp: u64,
    /// `numRates`.
    pub num_rates: u64,
    /// The timestamp of the oldest report (`isOldestReportExpired` compares it with the expiry).
    pub oldest_timestamp: u64,
    /// `getTokenReportExpirySeconds`.
    pub expiry_seconds: u64,
}

/// One exchange of a BiPoolManager (its `PoolExchange`) with its tokens' precision multipliers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub asset0: Address,
    pub asset1: Address,
    pub module: PricingModule,
    /// Buckets in 18 decimals.
    pub bucket0: U256,
    pub bucket1: U256,
    pub last_bucket_update: u64,
    /// FixidityLib value (24 decimals).
    pub spread: U256,
    pub reset_frequency: u64,
    pub minimum_reports: u64,
    pub stable_pool_reset_size: U256,
    /// `tokenPrecisionMultipliers`: 10^(18 - decimals).
    pub multiplier0: U256,
    pub multiplier1: U256,
}

impl Exchange {
    /// `oracleHasValidMedian` at time `now`.
    pub fn has_valid_median(&self, oracle: &OracleFeed, now: u64) -> Result<bool, MentoMathError> {
        let age = now
            .checked_sub(oracle.oldest_timestamp)
            .ok_or(MentoMathError::Underflow("now - oldest report"))?;
        let expired = age >= oracle.expiry_seconds;
        let enough = oracle.num_rates >= self.minimum_reports;
        let horizon = now
            .checked_sub(self.reset_frequency)
            .ok_or(MentoMathError::Underflow("now - reset frequency"))?;
        let recent = oracle.median_timestamp > horizon;
        Ok(!expired && enough && recent)
    }

    /// `shouldUpdateBuckets` at time `now` (a constant-sum exchange without a valid median
    /// reverts).
    pub fn should_update_buckets(
        &self,
        oracle: &OracleFeed,
        now: u64,
    ) -> Result<bool, MentoMathError> {
        let valid = self.has_valid_median(oracle, now)?;
        if self.module == PricingModule::ConstantSum && !valid {
            return Err(MentoMathError::NoValidMedian);
        }
        let due = self
            .last_bucket_update
            .checked_add(self.reset_frequency)
            .ok_or(MentoMathError::Overflow("lastBucketUpdate + frequency"))?;
        Ok(now >= due && valid)
    }

    /// `getUpdatedBuckets`: the stable bucket at its reset size, the other at the oracle rate.
    pub fn reset_buckets(&self, oracle: &OracleFeed) -> Result<(U256, U256), MentoMathError> {
        if oracle.denominator.is_zero() {
            return Err(MentoMathError::DivisionByZero("oracle rate denominator"));
        }
        let bucket0 = self.stable_pool_reset_size;
        let bucket1 = oracle
            .denominator
            .checked_mul(bucket0)
            .ok_or(MentoMathError::Overflow("rate denominator * bucket0"))?
            .checked_div(oracle.median)
            .ok_or(MentoMathError::DivisionByZero("oracle median"))?;
        Ok((bucket0, bucket1))
    }

    /// The buckets a swap at time `now` prices against, and whether they were reset.
    pub fn current_buckets(
        &self,
        oracle: &OracleFeed,
        now: u64,
    ) -> Result<(U256, U256, bool), MentoMathError> {
        if self.should_update_buckets(oracle, now)? {
            let (b0, b1) = self.reset_buckets(oracle)?;
            Ok((b0, b1, true))
        } else {
            Ok((self.bucket0, self.bucket1, false))
        }
    }

    /// Whether `token_in` is asset0 (and `token_out` asset1), asset1 (and asset0), or neither.
    fn direction(&self, token_in: Address, token_out: Address) -> Result<bool, MentoMathError> {
        if token_in == self.asset0 && token_out == self.asset1 {
            Ok(true)
        } else if token_in == self.asset1 && token_out == self.asset0 {
            Ok(false)
        } else {
            Err(MentoMathError::WrongTokens)
        }
    }

    fn multipliers(&self, in0: bool) -> (U256, U256) {
        if in0 {
            (self.multiplier0, self.multiplier1)
        } else {
            (self.multiplier1, self.multiplier0)
        }
    }

    /// `BiPoolManager.getAmountOut` at time `now`, with the scaled (18-decimal) amounts kept.
    pub fn amount_out(
        &self,
        oracle: &OracleFeed,
        now: u64,
        token_in: Address,
        token_out: Address,
        amount_in: U256,
    ) -> Result<SwapResult, MentoMathError> {
        let in0 = self.direction(token_in, token_out)?;
        let (m_in, m_out) = self.multipliers(in0);
        let scaled_in = amount_in
            .checked_mul(m_in)
            .ok_or(MentoMathError::Overflow("amountIn * precision multiplier"))?;
        let (b0, b1, reset) = self.current_buckets(oracle, now)?;
        let (b_in, b_out) = if in0 { (b0, b1) } else { (b1, b0) };
        let scaled_out = self
            .module
            .amount_out(b_in, b_out, self.spread, scaled_in)?;
        let amount_out = div(scaled_out, m_out, "amountOut / precision multiplier")?;
        Ok(SwapResult {
            amount_in,
            amount_out,
            scaled_in,
            scaled_out,
            buckets_reset: reset.then_some((b0, b1)),
        })
    }

    /// `BiPoolManager.getAmountIn` at time `now`, with the scaled (18-decimal) amounts kept.
    pub fn amount_in(
        &self,
        oracle: &OracleFeed,
        now: u64,
        token_in: Address,
        token_out: Address,
        amount_out: U256,
    ) -> Result<SwapResult, MentoMathError> {
        let in0 = self.direction(token_in, token_out)?;
        let (m_in, m_out) = self.multipliers(in0);
        let scaled_out = amount_out
            .checked_mul(m_out)
            .ok_or(MentoMathError::Overflow("amountOut * precision multiplier"))?;
        let (b0, b1, reset) = self.current_buckets(oracle, now)?;
        let (b_in, b_out) = if in0 { (b0, b1) } else { (b1, b0) };
        let scaled_in = self
            .module
            .amount_in(b_in, b_out, self.spread, scaled_out)?;
        let amount_in = div(scaled_in, m_in, "amountIn / precision multiplier")?;
        Ok(SwapResult {
            amount_in,
            amount_out,
            scaled_in,
            scaled_out,
            buckets_reset: reset.then_some((b0, b1)),
        })
    }

    /// The buckets after a swap (BiPoolManager's `executeSwap`): reset first if due, then, for a
    /// constant-product exchange, the scaled input added to its bucket and the output taken from
    /// the other.
    pub fn after_swap(
        &self,
        token_in: Address,
        result: &SwapResult,
    ) -> Result<(U256, U256), MentoMathError> {
        let (b0, b1) = result.buckets_reset.unwrap_or((self.bucket0, self.bucket1));
        if self.module == PricingModule::ConstantSum {
            return Ok((b0, b1));
        }
        let of = MentoMathError::Overflow("bucket + amountIn");
        let uf = MentoMathError::OutputExceedsBucket;
        if token_in == self.asset0 {
            Ok((
                b0.checked_add(result.scaled_in).ok_or(of)?,
                b1.checked_sub(result.scaled_out).ok_or(uf)?,
            ))
        } else {
            Ok((
                b0.checked_sub(result.scaled_out).ok_or(uf)?,
                b1.checked_add(result.scaled_in).ok_or(of)?,
            ))
        }
    }
}

/// A priced swap: the token amounts, the 18-decimal amounts the buckets move by, and the buckets
/// the swap reset to, if the reset was due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SwapResult {
    pub amount_in: U256,
    pub amount_out: U256,
    pub scaled_in: U256,
    pub scaled_out: U256,
    pub buckets_reset: Option<(U256, U256)>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e18(n: u64) -> U256 {
        U256::from(n) * U256::from(10u64).pow(U256::from(18u8))
    }

    fn exchange(module: PricingModule) -> Exchange {
        Exchange {
            asset0: Address::repeat_byte(1),
            asset1: Address::repeat_byte(2),
            module,
            bucket0: e18(1_000_000),
            bucket1: e18(2_000_000),
            last_bucket_update: 1_000,
            spread: FIXED1 / U256::from(400u16),
            reset_frequency: 300,
            minimum_reports: 1,
            stable_pool_reset_size: e18(5_000_000),
            multiplier0: U256::from(1u8),
            multiplier1: U256::from(1u8),
        }
    }

    fn oracle(now: u64) -> OracleFeed {
        OracleFeed {
            median: FIXED1 / U256::from(2u8),
            denominator: FIXED1,
            median_timestamp: now - 10,
            num_rates: 1,
            oldest_timestamp: now - 10,
            expiry_seconds: 3_600,
        }
    }

    #[test]
    fn constant_product_matches_a_hand_computation() {
        // 100 in at 0.25 % spread against 1 M / 2 M: net 99.75, out = 99.75 * 2M / (1M + 99.75).
        let out = PricingModule::ConstantProduct
            .amount_out(
                e18(1_000_000),
                e18(2_000_000),
                FIXED1 / U256::from(400u16),
                e18(100),
            )
            .unwrap();
        let net = e18(9975) / U256::from(100u8);
        assert_eq!(out, net * e18(2_000_000) / (e18(1_000_000) + net));
    }

    #[test]
    fn constant_sum_is_linear_in_the_bucket_ratio() {
        let out = PricingModule::ConstantSum
            .amount_out(e18(1), e18(2), U256::ZERO, e18(10))
            .unwrap();
        assert_eq!(out, e18(20));
        let back = PricingModule::ConstantSum
            .amount_in(e18(1), e18(2), U256::ZERO, e18(20))
            .unwrap();
        assert_eq!(back, e18(10));
    }

    #[test]
    fn exact_out_beyond_the_bucket_is_refused() {
        let m = PricingModule::ConstantProduct;
        assert_eq!(
            m.amount_in(e18(1), e18(2), U256::ZERO, e18(3)),
            Err(MentoMathError::OutputExceedsBucket)
        );
        assert!(matches!(
            m.amount_in(e18(1), e18(2), U256::ZERO, e18(2)),
            Err(MentoMathError::DivisionByZero(_))
        ));
    }

    #[test]
    fn buckets_reset_from_the_oracle_once_due() {
        let x = exchange(PricingModule::ConstantProduct);
        let (a0, a1) = (x.asset0, x.asset1);
        // Not due yet: the stored buckets.
        let r = x.amount_out(&oracle(1_200), 1_200, a0, a1, e18(1)).unwrap();
        assert_eq!(r.buckets_reset, None);
        // Due: stable bucket at its reset size, the other at the rate (1 / 0.5).
        let r = x.amount_out(&oracle(1_300), 1_300, a0, a1, e18(1)).unwrap();
        assert_eq!(r.buckets_reset, Some((e18(5_000_000), e18(10_000_000))));
        // Due but the median is stale: no reset for constant product, a revert for constant sum.
        let mut stale = oracle(1_300);
        stale.median_timestamp = 1_000;
        let r = x.amount_out(&stale, 1_300, a0, a1, e18(1)).unwrap();
        assert_eq!(r.buckets_reset, None);
        let cs = exchange(PricingModule::ConstantSum);
        assert_eq!(
            cs.amount_out(&stale, 1_300, a0, a1, e18(1)),
            Err(MentoMathError::NoValidMedian)
        );
    }

    #[test]
    fn scaling_rounds_the_output_down_and_checks_tokens() {
        let mut x = exchange(PricingModule::ConstantSum);
        x.multiplier1 = U256::from(10u64).pow(U256::from(12u8));
        let now = 1_200;
        let r = x
            .amount_out(&oracle(now), now, x.asset0, x.asset1, U256::from(3u8))
            .unwrap();
        // 3 wei of an 18-decimal token is worth less than one unit of the 6-decimal one.
        assert_eq!(r.amount_out, U256::ZERO);
        assert_eq!(r.scaled_out, U256::from(5u8));
        assert_eq!(
            x.amount_out(&oracle(now), now, x.asset0, Address::ZERO, U256::from(1u8)),
            Err(MentoMathError::WrongTokens)
        );
    }

    #[test]
    fn a_constant_product_swap_moves_the_buckets() {
        let x = exchange(PricingModule::ConstantProduct);
        let r = x
            .amount_out(&oracle(1_200), 1_200, x.asset1, x.asset0, e18(10))
            .unwrap();
        let (b0, b1) = x.after_swap(x.asset1, &r).unwrap();
        assert_eq!(b0, x.bucket0 - r.scaled_out);
        assert_eq!(b1, x.bucket1 + e18(10));
    }
}
