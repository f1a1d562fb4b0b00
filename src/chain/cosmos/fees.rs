//! Fees: the gas limit from a simulation times a margin, the fee from the chain's gas price, and
//! Terra Classic's burn tax.
//!
//! Gas prices: phoenix-1 validators' minimum is 0.015uluna (Terra docs, "fees"); columbus-5's is
//! 28.325uluna (the Terra Classic core's `minimum-gas-prices` since the 2022 gas price
//! proposals). Both round up: the fee is `ceil(gas_limit × price)`.
//!
//! Terra Classic's tax, as the chain's ante handler computes it (classic-terra/core
//! `custom/auth/ante/fee_tax.go`, `FilterMsgAndComputeTax` / `computeTax`): for each coin sent by
//! a `MsgSend` (its `amount`) or a `MsgExecuteContract` (its `funds`) — also `MsgMultiSend`,
//! `MsgInstantiateContract` and `authz.MsgExec`, which sluice does not send — `tax =
//! trunc(amount × tax_rate)` (the treasury's `tax_rate`, 0.005 today), IBC denoms exempt, zero
//! taxes dropped; the tax is added to the fee in the same denom. The market `MsgSwap` is not taxed.

use rust_decimal::{Decimal, RoundingStrategy};

use super::CosmosError;
use super::coin::{Coin, sorted_coins};
use super::msgs::Msg;

/// A gas price in one denom (`0.015uluna`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GasPrice {
    pub amount: Decimal,
    pub denom: String,
}

impl GasPrice {
    /// `0.015uluna`.
    pub fn parse(s: &str) -> Result<Self, CosmosError> {
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (num, denom) = s.split_at(split);
        let amount: Decimal = num.parse().map_err(|_| {
            CosmosError::invalid(format!("{s:?} is not a gas price (e.g. 0.015uluna)"))
        })?;
        super::coin::validate_denom(denom)?;
        if amount.is_sign_negative() {
            return Err(CosmosError::invalid(format!("negative gas price {s:?}")));
        }
        Ok(Self {
            amount,
            denom: denom.to_string(),
        })
    }

    /// The fee for `gas_limit`, rounded up.
    pub fn fee(&self, gas_limit: u64) -> Result<Coin, CosmosError> {
        let fee = (Decimal::from(gas_limit) * self.amount)
            .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero);
        let amount = u128::try_from(fee)
            .map_err(|_| CosmosError::invalid(format!("fee {fee} does not fit")))?;
        Ok(Coin::new(amount, self.denom.clone()))
    }
}

/// The default gas price of a chain id sluice knows.
pub fn default_gas_price(chain_id: &str) -> Option<GasPrice> {
    let (amount, denom) = match chain_id {
        "phoenix-1" | "pisco-1" => (Decimal::new(15, 3), "uluna"),
        "columbus-5" | "rebel-2" => (Decimal::new(28325, 3), "uluna"),
        _ => return None,
    };
    Some(GasPrice {
        amount,
        denom: denom.into(),
    })
}

/// The gas limit for a simulated `gas_used`: `ceil(gas_used × margin)`.
pub fn gas_limit(gas_used: u64, margin: Decimal) -> Result<u64, CosmosError> {
    let limit = (Decimal::from(gas_used) * margin)
        .round_dp_with_strategy(0, RoundingStrategy::AwayFromZero);
    u64::try_from(limit)
        .map_err(|_| CosmosError::invalid(format!("gas limit {limit} does not fit")))
}

/// Terra Classic's burn tax of `msgs` at `tax_rate` (see the module doc).
pub fn classic_tax(msgs: &[Msg], tax_rate: Decimal) -> Result<Vec<Coin>, CosmosError> {
    let mut taxes: Vec<Coin> = Vec::new();
    for m in msgs {
        let principal = match m {
            Msg::Send { amount, .. } => amount,
            Msg::Execute { funds, .. } => funds,
            Msg::Swap { .. } => continue,
        };
        for c in principal {
            if c.denom.starts_with("ibc/") {
                continue;
            }
            let due = (Decimal::from(c.amount) * tax_rate).trunc();
            let due = u128::try_from(due)
                .map_err(|_| CosmosError::invalid(format!("tax {due} does not fit")))?;
            if due == 0 {
                continue;
            }
            match taxes.iter_mut().find(|t| t.denom == c.denom) {
                Some(t) => t.amount += due,
                None => taxes.push(Coin::new(due, c.denom.clone())),
            }
        }
    }
    sorted_coins(taxes)
}

/// `a + b`, coin by coin, sorted.
pub fn add_coins(a: &[Coin], b: &[Coin]) -> Result<Vec<Coin>, CosmosError> {
    let mut out: Vec<Coin> = a.to_vec();
    for c in b {
        match out.iter_mut().find(|o| o.denom == c.denom) {
            Some(o) => {
                o.amount = o
                    .amount
                    .checked_add(c.amount)
                    .ok_or_else(|| CosmosError::invalid("fee overflows"))?
            }
            None => out.push(c.clone()),
        }
    }
    out.retain(|c| c.amount > 0);
    sorted_coins(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn fees_round_up_and_tax_truncates() {
        let p = GasPrice::parse("0.015uluna").unwrap();
        assert_eq!(p.fee(100_001).unwrap(), Coin::new(1501, "uluna"));
        assert_eq!(gas_limit(100_000, dec!(1.3)).unwrap(), 130_000);
        assert_eq!(gas_limit(3, dec!(1.5)).unwrap(), 5);
        let classic = default_gas_price("columbus-5").unwrap();
        assert_eq!(classic.fee(200_000).unwrap(), Coin::new(5_665_000, "uluna"));
        let msgs = [
            Msg::Send {
                from: "a".into(),
                to: "b".into(),
                amount: vec![Coin::new(1999, "uluna"), Coin::new(100, "ibc/ABC")],
            },
            Msg::Execute {
                sender: "a".into(),
                contract: "c".into(),
                msg: b"{}".to_vec(),
                funds: vec![Coin::new(1_000_000, "uluna"), Coin::new(199, "uusd")],
            },
            Msg::Swap {
                trader: "a".into(),
                offer: Coin::new(1_000_000, "uusd"),
                ask_denom: "uluna".into(),
            },
        ];
        // 1999 × 0.005 = 9.995 → 9; 1e6 × 0.005 = 5000; 199 × 0.005 = 0.995 → 0 (dropped).
        assert_eq!(
            classic_tax(&msgs, dec!(0.005)).unwrap(),
            vec![Coin::new(5009, "uluna")]
        );
        assert_eq!(
            add_coins(
                &[Coin::new(5, "uusd")],
                &[Coin::new(1, "uluna"), Coin::new(2, "uusd")]
            )
            .unwrap(),
            vec![Coin::new(1, "uluna"), Coin::new(7, "uusd")]
        );
        assert!(GasPrice::parse("x").is_err());
    }
}
