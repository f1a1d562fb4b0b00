//! `Uint256` and `Decimal256` as the Terraswap pair computes with them (the `cosmwasm-bignumber`
//! types): 256-bit integers and 18-decimal fixed point whose every product and quotient rounds
//! down, and whose overflows, underflows and divisions by zero abort the contract. Here an abort
//! is an `Err(Abort)`, which the pair turns into a failed execution or query.

use alloy::primitives::U256;

/// The contract aborted (a panic in the wasm code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Abort(pub &'static str);

pub type R<T> = Result<T, Abort>;

const FRACTIONAL: U256 = U256::from_limbs([1_000_000_000_000_000_000, 0, 0, 0]);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Uint256(pub U256);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Decimal256(pub U256);

fn mul(a: U256, b: U256) -> R<U256> {
    a.checked_mul(b)
        .ok_or(Abort("arithmetic operation overflow"))
}

fn div(a: U256, b: U256) -> R<U256> {
    a.checked_div(b)
        .ok_or(Abort("Denominator must not be zero"))
}

impl Uint256 {
    pub fn from_u128(v: u128) -> Self {
        Uint256(U256::from(v))
    }

    pub fn one() -> Self {
        Uint256(U256::from(1))
    }

    pub fn zero() -> Self {
        Uint256(U256::ZERO)
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// `Into<Uint128>`: aborts above 2^128 − 1.
    pub fn to_u128(self) -> R<u128> {
        u128::try_from(self.0).map_err(|_| Abort("Uint256 does not fit Uint128"))
    }

    pub fn plus(self, o: Self) -> R<Self> {
        self.0
            .checked_add(o.0)
            .map(Uint256)
            .ok_or(Abort("arithmetic operation overflow"))
    }

    pub fn minus(self, o: Self) -> R<Self> {
        self.0
            .checked_sub(o.0)
            .map(Uint256)
            .ok_or(Abort("assertion failed: self.0 >= rhs.0"))
    }

    /// `Uint256 * Uint256` (0 when either is 0).
    pub fn times(self, o: Self) -> R<Self> {
        if self.is_zero() || o.is_zero() {
            return Ok(Self::zero());
        }
        mul(self.0, o.0).map(Uint256)
    }

    /// `self * nom / denom`.
    pub fn multiply_ratio(self, nom: U256, denom: U256) -> R<Self> {
        if denom.is_zero() {
            return Err(Abort("Denominator must not be zero"));
        }
        Ok(Uint256(mul(self.0, nom)? / denom))
    }

    /// `Uint256 * Decimal256` (0 when either is 0).
    pub fn mul_dec(self, d: Decimal256) -> R<Self> {
        if self.is_zero() || d.0.is_zero() {
            return Ok(Self::zero());
        }
        self.multiply_ratio(d.0, FRACTIONAL)
    }

    /// `Uint256 / Decimal256`.
    pub fn div_dec(self, d: Decimal256) -> R<Self> {
        if d.0.is_zero() {
            return Err(Abort("assertion failed: !rhs.is_zero()"));
        }
        if self.is_zero() {
            return Ok(Self::zero());
        }
        self.multiply_ratio(FRACTIONAL, d.0)
    }
}

impl Decimal256 {
    pub fn one() -> Self {
        Decimal256(FRACTIONAL)
    }

    /// From a `Decimal` string (at most 18 fractional digits).
    pub fn parse(s: &str) -> Option<Self> {
        let (w, f) = s.split_once('.').unwrap_or((s, ""));
        if w.is_empty()
            || (s.contains('.') && f.is_empty())
            || f.len() > 18
            || !(w.bytes().chain(f.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let whole = U256::from_str_radix(w, 10).ok()?.checked_mul(FRACTIONAL)?;
        let frac = if f.is_empty() {
            U256::ZERO
        } else {
            U256::from_str_radix(f, 10).ok()? * U256::from(10u64).pow(U256::from(18 - f.len()))
        };
        whole.checked_add(frac).map(Decimal256)
    }

    pub fn from_ratio(n: Uint256, d: Uint256) -> R<Self> {
        if d.is_zero() {
            return Err(Abort("Denominator must not be zero"));
        }
        Ok(Decimal256(div(mul(n.0, FRACTIONAL)?, d.0)?))
    }

    pub fn from_uint256(v: Uint256) -> R<Self> {
        mul(v.0, FRACTIONAL).map(Decimal256)
    }

    pub fn minus(self, o: Self) -> R<Self> {
        self.0
            .checked_sub(o.0)
            .map(Decimal256)
            .ok_or(Abort("assertion failed: self.0 >= rhs.0"))
    }

    /// `Decimal256 / Decimal256`.
    pub fn over(self, o: Self) -> R<Self> {
        if o.0.is_zero() {
            return Err(Abort("assertion failed: !rhs.is_zero()"));
        }
        Ok(Decimal256(mul(self.0, FRACTIONAL)? / o.0))
    }
}
