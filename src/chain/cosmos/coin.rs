//! Bank coins: an integer amount of a denom, parsed from `AMOUNTDENOM` (`1500uluna`) as the SDK
//! writes them, and converted to and from the protobuf `Coin` (amount as a decimal string).

use std::fmt;

use cosmos_sdk_proto::cosmos::base::v1beta1::Coin as ProtoCoin;
use serde::{Deserialize, Serialize};

use super::CosmosError;

/// An amount of a bank denom in its smallest unit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Coin {
    pub denom: String,
    #[serde(with = "amount_str")]
    pub amount: u128,
}

mod amount_str {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_amount(&s).map_err(|e| D::Error::custom(e.to_string()))
    }
}

impl Coin {
    pub fn new(amount: u128, denom: impl Into<String>) -> Self {
        Self {
            denom: denom.into(),
            amount,
        }
    }

    /// `1500uluna` → 1500 of `uluna`.
    pub fn parse(s: &str) -> Result<Self, CosmosError> {
        let s = s.trim();
        let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
        let (amount, denom) = s.split_at(split);
        if amount.is_empty() {
            return Err(CosmosError::invalid(format!(
                "{s:?} is not a coin (AMOUNTDENOM, e.g. 1500uluna)"
            )));
        }
        validate_denom(denom)?;
        Ok(Self::new(parse_amount(amount)?, denom))
    }

    /// `a,b,…` of [`Coin::parse`], sorted by denom and each denom at most once (as the SDK's
    /// `Coins` require).
    pub fn parse_list(s: &str) -> Result<Vec<Coin>, CosmosError> {
        let coins = s
            .split(',')
            .map(Coin::parse)
            .collect::<Result<Vec<_>, _>>()?;
        sorted_coins(coins)
    }

    pub fn to_proto(&self) -> ProtoCoin {
        ProtoCoin {
            denom: self.denom.clone(),
            amount: self.amount.to_string(),
        }
    }

    pub fn from_proto(c: &ProtoCoin) -> Result<Self, CosmosError> {
        validate_denom(&c.denom)?;
        Ok(Self::new(parse_amount(&c.amount)?, c.denom.clone()))
    }
}

impl fmt::Display for Coin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.amount, self.denom)
    }
}

/// Coins sorted by denom, a denom at most once, no zero amounts (the SDK's `Coins.Validate`).
pub fn sorted_coins(mut coins: Vec<Coin>) -> Result<Vec<Coin>, CosmosError> {
    coins.sort_by(|a, b| a.denom.cmp(&b.denom));
    for pair in coins.windows(2) {
        if pair[0].denom == pair[1].denom {
            return Err(CosmosError::invalid(format!(
                "denom {:?} given twice",
                pair[0].denom
            )));
        }
    }
    if let Some(zero) = coins.iter().find(|c| c.amount == 0) {
        return Err(CosmosError::invalid(format!(
            "zero amount of {:?}",
            zero.denom
        )));
    }
    Ok(coins)
}

/// A whole amount in decimal digits (no sign, no fraction).
pub fn parse_amount(s: &str) -> Result<u128, CosmosError> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CosmosError::invalid(format!(
            "{s:?} is not a whole amount (decimal digits)"
        )));
    }
    s.parse::<u128>()
        .map_err(|_| CosmosError::invalid(format!("amount {s} does not fit 128 bits")))
}

/// The SDK's denom rule: `[a-zA-Z][a-zA-Z0-9/:._-]{2,127}`.
pub fn validate_denom(d: &str) -> Result<(), CosmosError> {
    let ok = (3..=128).contains(&d.len())
        && d.starts_with(|c: char| c.is_ascii_alphabetic())
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/:._-".contains(c));
    if ok {
        Ok(())
    } else {
        Err(CosmosError::invalid(format!("{d:?} is not a denom")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_coins_and_lists() {
        assert_eq!(Coin::parse("1500uluna").unwrap(), Coin::new(1500, "uluna"));
        assert_eq!(
            Coin::parse_list("2uusd,1uluna").unwrap(),
            vec![Coin::new(1, "uluna"), Coin::new(2, "uusd")]
        );
        for bad in [
            "uluna",
            "15",
            "1.5uluna",
            "-1uluna",
            "1ul",
            "1uluna,2uluna",
            "0uluna",
        ] {
            assert!(Coin::parse_list(bad).is_err(), "{bad}");
        }
        let ibc = "ibc/B3504E092456BA618CC28AC671A71FB08C6CA0FD0BE7C8A5B5A3E2DD933CC9E4";
        assert_eq!(Coin::parse(&format!("7{ibc}")).unwrap().denom, ibc);
    }
}
