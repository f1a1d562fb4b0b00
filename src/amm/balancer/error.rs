//! The reasons Balancer's math refuses a swap, named after the contracts' `BAL#` error codes, so
//! that a local refusal reads like the Vault's revert.

/// A swap the pool's math refuses (the contract would revert with the code in the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BalancerMathError {
    #[error("addition overflow (BAL#000)")]
    AddOverflow,
    #[error("subtraction underflow (BAL#001)")]
    SubOverflow,
    #[error("multiplication overflow (BAL#003)")]
    MulOverflow,
    #[error("division by zero (BAL#004)")]
    ZeroDivision,
    #[error("fixed-point division overflow (BAL#005)")]
    DivInternal,
    #[error("power base out of bounds (BAL#006)")]
    XOutOfBounds,
    #[error("power exponent out of bounds (BAL#007)")]
    YOutOfBounds,
    #[error("power result out of bounds (BAL#008)")]
    ProductOutOfBounds,
    #[error("exp argument out of bounds (BAL#009)")]
    InvalidExponent,
    #[error("log argument out of bounds (BAL#010)")]
    OutOfBounds,
    #[error("amount in exceeds 30% of the pool's balance (BAL#304 MAX_IN_RATIO)")]
    MaxInRatio,
    #[error("amount out exceeds 30% of the pool's balance (BAL#305 MAX_OUT_RATIO)")]
    MaxOutRatio,
    #[error("stable invariant did not converge (BAL#321)")]
    StableInvariantDidntConverge,
    #[error("stable balance did not converge (BAL#322)")]
    StableGetBalanceDidntConverge,
    #[error("more tokens than a pool can hold (BAL#201 MAX_TOKENS)")]
    MaxTokens,
    #[error("the pool is paused (BAL#402)")]
    Paused,
    #[error("token not in the pool (BAL#521)")]
    TokenNotRegistered,
    #[error("cannot swap a token for itself (BAL#509)")]
    SameToken,
    #[error("a swap needs a positive amount (BAL#510)")]
    ZeroAmount,
    #[error("pool balance would exceed 112 bits (BAL#526 BALANCE_TOTAL_OVERFLOW)")]
    BalanceTotalOverflow,
}

impl From<BalancerMathError> for crate::amm::AmmError {
    fn from(e: BalancerMathError) -> Self {
        use BalancerMathError::*;
        match e {
            MaxInRatio
            | MaxOutRatio
            | SubOverflow
            | StableGetBalanceDidntConverge
            | BalanceTotalOverflow => {
                crate::amm::AmmError::InsufficientLiquidity(format!("balancer: {e}"))
            }
            ZeroAmount | SameToken | TokenNotRegistered => {
                crate::amm::AmmError::InvalidAmount(format!("balancer: {e}"))
            }
            _ => crate::amm::AmmError::Math(format!("balancer: {e}")),
        }
    }
}
