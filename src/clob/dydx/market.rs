//! dYdX v4 perpetual markets: the indexer's `GET /v4/perpetualMarkets` answer parsed into
//! [`MarketParams`], and the exact conversion of a `Decimal` price and size to the chain's
//! integers and back.
//!
//! The chain counts a size in base **quantums**, `size = quantums × 10^atomicResolution`, in
//! multiples of `stepBaseQuantums`; and a price in **subticks**, `price = subticks ×
//! 10^(quantumConversionExponent − atomicResolution − 6)` (USDC quote quantums have atomic
//! resolution −6), in multiples of `subticksPerTick`. So `subticks = price × 10^(atomicResolution −
//! quantumConversionExponent + 6)` and `quantums = size × 10^−atomicResolution`, exactly as the
//! official v4 clients compute them (TypeScript `calculateQuantums` / `calculateSubticks`, Python
//! `Market.calculate_quantums` / `calculate_subticks`, Rust `OrderMarketParams::quantize_*`).
//!
//! Rounding is explicit: [`MarketParams::quantums`] and [`MarketParams::subticks`] are exact and
//! refuse a value that is not a whole number of steps ([`DydxError::OffGrid`]);
//! [`MarketParams::quantums_with`] / [`MarketParams::subticks_with`] round by a [`QuantizeRule`],
//! of which [`QuantizeRule::TS_PY_CLIENT`] is the TypeScript and Python clients' rule (down to a
//! multiple of the step, then at least one step) and [`QuantizeRule::RUST_CLIENT`] the Rust
//! client's (to the nearest multiple, half to even, then at least one step). All arithmetic is on
//! integers (no float, unlike the TypeScript client's `toNumber()`), so the result is the clients'
//! wherever their floats are exact.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde_json::Value;

use super::DydxError;

/// USDC's atomic resolution: quote quantums are micro-USDC.
pub const QUOTE_QUANTUMS_ATOMIC_RESOLUTION: i32 = -6;

/// A market's status on the indexer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketStatus {
    Active,
    Paused,
    CancelOnly,
    PostOnly,
    Initializing,
    FinalSettlement,
    /// A status this version does not know (not tradable for sluice).
    Other(String),
}

impl MarketStatus {
    fn parse(s: &str) -> Self {
        match s {
            "ACTIVE" => Self::Active,
            "PAUSED" => Self::Paused,
            "CANCEL_ONLY" => Self::CancelOnly,
            "POST_ONLY" => Self::PostOnly,
            "INITIALIZING" => Self::Initializing,
            "FINAL_SETTLEMENT" => Self::FinalSettlement,
            other => Self::Other(other.to_string()),
        }
    }

    /// Whether new orders are accepted (post-only ones only in `PostOnly`).
    pub fn accepts_orders(&self) -> bool {
        matches!(self, Self::Active | Self::PostOnly)
    }
}

/// Cross or isolated margin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarketType {
    Cross,
    Isolated,
}

/// How a price or size that is not a whole number of steps becomes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Not rounded: a value off the grid is an error.
    Exact,
    /// Toward zero.
    Down,
    /// Away from zero.
    Up,
    /// To the nearest multiple, a tie to the even multiple.
    HalfEven,
}

/// A rounding and whether a result below one step is raised to one step (the clients' rule,
/// "step base quantums function as minimum order size") or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuantizeRule {
    pub rounding: Rounding,
    pub raise_to_one_step: bool,
}

impl QuantizeRule {
    /// Exact: off the grid or zero is an error.
    pub const EXACT: Self = Self {
        rounding: Rounding::Exact,
        raise_to_one_step: false,
    };
    /// The TypeScript (`calculateQuantums`, `calculateSubticks`) and Python clients' rule.
    pub const TS_PY_CLIENT: Self = Self {
        rounding: Rounding::Down,
        raise_to_one_step: true,
    };
    /// The Rust client's rule (`quantize`: bigdecimal `round(0)`, half to even).
    pub const RUST_CLIENT: Self = Self {
        rounding: Rounding::HalfEven,
        raise_to_one_step: true,
    };
}

/// One perpetual market's parameters, as the indexer gives them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketParams {
    /// `BTC-USD`.
    pub ticker: String,
    pub clob_pair_id: u32,
    pub status: MarketStatus,
    pub atomic_resolution: i32,
    pub quantum_conversion_exponent: i32,
    pub step_base_quantums: u64,
    pub subticks_per_tick: u32,
    /// The price step in USDC (equal to `subticks_per_tick` subticks; checked when parsed).
    pub tick_size: Decimal,
    /// The size step in base units (equal to `step_base_quantums` quantums; checked).
    pub step_size: Decimal,
    pub oracle_price: Option<Decimal>,
    pub initial_margin_fraction: Decimal,
    pub maintenance_margin_fraction: Option<Decimal>,
    pub next_funding_rate: Option<Decimal>,
    pub market_type: Option<MarketType>,
}

/// The indexer's `GET /v4/perpetualMarkets` answer (`{"markets": {"BTC-USD": {…}, …}}`), its
/// markets ordered by clob pair id. Unknown fields are ignored; a malformed market is an error.
pub fn parse_perpetual_markets(body: &str) -> Result<Vec<MarketParams>, DydxError> {
    let v: Value = serde_json::from_str(body)
        .map_err(|e| DydxError::market("(answer)", format!("not JSON: {e}")))?;
    let markets = v
        .get("markets")
        .and_then(Value::as_object)
        .ok_or_else(|| DydxError::market("(answer)", "no \"markets\" object"))?;
    let mut out = Vec::with_capacity(markets.len());
    for (key, m) in markets {
        let p = MarketParams::from_json(m)?;
        if &p.ticker != key {
            return Err(DydxError::market(
                key,
                format!("listed under {key:?} but its ticker is {:?}", p.ticker),
            ));
        }
        out.push(p);
    }
    out.sort_by_key(|p| p.clob_pair_id);
    if let Some(w) = out
        .windows(2)
        .find(|w| w[0].clob_pair_id == w[1].clob_pair_id)
    {
        return Err(DydxError::market(
            &w[1].ticker,
            format!(
                "clob pair id {} is also {}'s",
                w[1].clob_pair_id, w[0].ticker
            ),
        ));
    }
    Ok(out)
}

impl MarketParams {
    /// One market object of the indexer (REST answer or `v4_markets` channel's full form).
    pub fn from_json(v: &Value) -> Result<Self, DydxError> {
        let obj = v
            .as_object()
            .ok_or_else(|| DydxError::market("(market)", "not a JSON object"))?;
        let ticker = obj
            .get("ticker")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| DydxError::market("(market)", "no \"ticker\" string"))?
            .to_string();
        let f = Fields {
            obj,
            ticker: &ticker,
        };
        let p = MarketParams {
            clob_pair_id: f.int("clobPairId")?,
            status: MarketStatus::parse(f.string("status")?),
            atomic_resolution: f.int("atomicResolution")?,
            quantum_conversion_exponent: f.int("quantumConversionExponent")?,
            step_base_quantums: f.int("stepBaseQuantums")?,
            subticks_per_tick: f.int("subticksPerTick")?,
            tick_size: f.decimal("tickSize")?,
            step_size: f.decimal("stepSize")?,
            oracle_price: f.opt_decimal("oraclePrice")?,
            initial_margin_fraction: f.decimal("initialMarginFraction")?,
            maintenance_margin_fraction: f.opt_decimal("maintenanceMarginFraction")?,
            next_funding_rate: f.opt_decimal("nextFundingRate")?,
            market_type: match obj.get("marketType") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) if s == "CROSS" => Some(MarketType::Cross),
                Some(Value::String(s)) if s == "ISOLATED" => Some(MarketType::Isolated),
                Some(other) => {
                    return Err(f.bad("marketType", format!("{other} is not CROSS or ISOLATED")));
                }
            },
            ticker,
        };
        p.check()?;
        Ok(p)
    }

    /// The grid is usable and agrees with the indexer's tick and step sizes.
    fn check(&self) -> Result<(), DydxError> {
        let bad = |problem: String| DydxError::market(&self.ticker, problem);
        if self.step_base_quantums == 0 {
            return Err(bad("stepBaseQuantums is 0".into()));
        }
        if self.subticks_per_tick == 0 {
            return Err(bad("subticksPerTick is 0".into()));
        }
        let step = self
            .size_of(self.step_base_quantums)
            .map_err(|e| bad(e.to_string()))?;
        if step != self.step_size {
            return Err(bad(format!(
                "stepSize {} is not stepBaseQuantums {} × 10^{} = {step}",
                self.step_size, self.step_base_quantums, self.atomic_resolution
            )));
        }
        let tick = self
            .price_of(u64::from(self.subticks_per_tick))
            .map_err(|e| bad(e.to_string()))?;
        if tick != self.tick_size {
            return Err(bad(format!(
                "tickSize {} is not subticksPerTick {} × 10^{} = {tick}",
                self.tick_size,
                self.subticks_per_tick,
                -self.price_exponent()
            )));
        }
        Ok(())
    }

    /// `subticks = price × 10^price_exponent`: `atomicResolution − quantumConversionExponent + 6`.
    pub fn price_exponent(&self) -> i32 {
        self.atomic_resolution - self.quantum_conversion_exponent - QUOTE_QUANTUMS_ATOMIC_RESOLUTION
    }

    /// The size in quantums, exactly: a size that is not a whole number of steps is an error.
    pub fn quantums(&self, size: Decimal) -> Result<u64, DydxError> {
        self.quantums_with(size, QuantizeRule::EXACT)
    }

    /// The price in subticks, exactly: a price that is not a whole number of ticks is an error.
    pub fn subticks(&self, price: Decimal) -> Result<u64, DydxError> {
        self.subticks_with(price, QuantizeRule::EXACT)
    }

    /// The size in quantums, a multiple of `step_base_quantums` by `rule`.
    pub fn quantums_with(&self, size: Decimal, rule: QuantizeRule) -> Result<u64, DydxError> {
        self.quantize(
            "size",
            size,
            -self.atomic_resolution,
            self.step_base_quantums,
            rule,
        )
    }

    /// The price in subticks, a multiple of `subticks_per_tick` by `rule`.
    pub fn subticks_with(&self, price: Decimal, rule: QuantizeRule) -> Result<u64, DydxError> {
        self.quantize(
            "price",
            price,
            self.price_exponent(),
            u64::from(self.subticks_per_tick),
            rule,
        )
    }

    /// The size of `quantums`, exact.
    pub fn size_of(&self, quantums: u64) -> Result<Decimal, DydxError> {
        shift10(Decimal::from(quantums), self.atomic_resolution)
            .ok_or_else(|| self.out_of_range("quantums", quantums.to_string(), "no exact Decimal"))
    }

    /// The price of `subticks`, exact.
    pub fn price_of(&self, subticks: u64) -> Result<Decimal, DydxError> {
        shift10(Decimal::from(subticks), -self.price_exponent())
            .ok_or_else(|| self.out_of_range("subticks", subticks.to_string(), "no exact Decimal"))
    }

    fn out_of_range(&self, what: &'static str, value: String, problem: &str) -> DydxError {
        DydxError::OutOfRange {
            ticker: self.ticker.clone(),
            what,
            value,
            problem: problem.into(),
        }
    }

    /// `value × 10^exp` in whole `unit`s by `rule`, times `unit`.
    fn quantize(
        &self,
        what: &'static str,
        value: Decimal,
        exp: i32,
        unit: u64,
        rule: QuantizeRule,
    ) -> Result<u64, DydxError> {
        let range = |problem: &str| self.out_of_range(what, value.to_string(), problem);
        if value <= Decimal::ZERO {
            return Err(range("must be positive"));
        }
        let value_n = value.normalize();
        let mantissa = u128::try_from(value_n.mantissa()).map_err(|_| range("must be positive"))?;
        // value × 10^exp / unit = num / den, both integers.
        let k = i64::from(exp) - i64::from(value_n.scale());
        let pow = |e: i64| u32::try_from(e).ok().and_then(|e| 10u128.checked_pow(e));
        let num = if k >= 0 {
            pow(k)
                .and_then(|p| mantissa.checked_mul(p))
                .ok_or_else(|| range("too large"))?
        } else {
            mantissa
        };
        let den = if k < 0 {
            pow(-k).and_then(|p| p.checked_mul(u128::from(unit)))
        } else {
            Some(u128::from(unit))
        };
        // A denominator past u128 is larger than any numerator (< 2^96 here): quotient 0.
        let (q, r, den) = match den {
            Some(d) => (num / d, num % d, Some(d)),
            None => (0, num, None),
        };
        let steps = match rule.rounding {
            Rounding::Down => q,
            Rounding::Exact if r == 0 => q,
            Rounding::Exact => {
                return Err(DydxError::OffGrid {
                    ticker: self.ticker.clone(),
                    what,
                    value,
                    step: self.step_of(what, unit)?,
                });
            }
            Rounding::Up => q + u128::from(r != 0),
            Rounding::HalfEven => match den {
                // r versus den − r: above half rounds up, a tie goes to the even quotient.
                Some(d) => match r.cmp(&(d - r)) {
                    Ordering::Greater => q + 1,
                    Ordering::Equal => q + (q & 1),
                    Ordering::Less => q,
                },
                None => q,
            },
        };
        let steps = match steps {
            0 if rule.raise_to_one_step => 1,
            0 => return Err(range("below one step after rounding")),
            s => s,
        };
        steps
            .checked_mul(u128::from(unit))
            .and_then(|n| u64::try_from(n).ok())
            .ok_or_else(|| range("does not fit 64 bits"))
    }

    fn step_of(&self, what: &'static str, unit: u64) -> Result<Decimal, DydxError> {
        if what == "size" {
            self.size_of(unit)
        } else {
            self.price_of(unit)
        }
    }
}

/// `value × 10^exp` exactly, or `None` when a `Decimal` cannot hold it.
fn shift10(value: Decimal, exp: i32) -> Option<Decimal> {
    let v = value.normalize();
    let scale = i64::from(v.scale()) - i64::from(exp);
    if scale >= 0 {
        Decimal::try_from_i128_with_scale(v.mantissa(), u32::try_from(scale).ok()?).ok()
    } else {
        let m = v
            .mantissa()
            .checked_mul(10i128.checked_pow(u32::try_from(-scale).ok()?)?)?;
        Decimal::try_from_i128_with_scale(m, 0).ok()
    }
}

/// Typed access to one market's fields.
struct Fields<'a> {
    obj: &'a serde_json::Map<String, Value>,
    ticker: &'a str,
}

impl Fields<'_> {
    fn bad(&self, key: &str, problem: String) -> DydxError {
        DydxError::market(self.ticker, format!("{key}: {problem}"))
    }

    fn get(&self, key: &str) -> Result<&Value, DydxError> {
        self.obj
            .get(key)
            .filter(|v| !v.is_null())
            .ok_or_else(|| self.bad(key, "missing".into()))
    }

    fn string(&self, key: &str) -> Result<&str, DydxError> {
        self.get(key)?
            .as_str()
            .ok_or_else(|| self.bad(key, "not a string".into()))
    }

    /// An integer given as a JSON number or a decimal string (the indexer writes `clobPairId`
    /// as a string), in range of `T`.
    fn int<T: TryFrom<i128>>(&self, key: &str) -> Result<T, DydxError> {
        let v = self.get(key)?;
        let text = match v {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            other => return Err(self.bad(key, format!("{other} is not an integer"))),
        };
        let n: i128 = text
            .parse()
            .map_err(|_| self.bad(key, format!("{text:?} is not an integer")))?;
        T::try_from(n).map_err(|_| self.bad(key, format!("{n} is out of range")))
    }

    fn decimal(&self, key: &str) -> Result<Decimal, DydxError> {
        let v = self.get(key)?;
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            other => return Err(self.bad(key, format!("{other} is not a decimal"))),
        };
        text.parse::<Decimal>()
            .or_else(|_| Decimal::from_scientific(&text))
            .map_err(|_| self.bad(key, format!("{text:?} is not a decimal")))
    }

    fn opt_decimal(&self, key: &str) -> Result<Option<Decimal>, DydxError> {
        match self.obj.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.decimal(key).map(Some),
        }
    }
}

#[cfg(test)]
#[path = "market_tests.rs"]
mod tests;
