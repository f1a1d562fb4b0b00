//! The Terraswap pair and factory messages as JSON (the contracts' `QueryMsg`/`ExecuteMsg`
//! shapes): asset infos (a bank denom or a CW20 contract), assets with `Uint128` amounts as
//! decimal strings, pair info, pool and simulation answers. Shared by the connector and the
//! local chain's contracts in the simulator crate.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// A `Uint128` as CosmWasm writes it: a decimal string.
pub mod u128_str {
    use super::*;

    pub fn serialize<S: Serializer>(v: &u128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u128, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(D::Error::custom(format!("invalid Uint128 {s:?}")));
        }
        s.parse()
            .map_err(|_| D::Error::custom(format!("Uint128 {s:?} out of range")))
    }
}

/// What a pool holds: a bank denom or a CW20 token contract.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetInfo {
    NativeToken { denom: String },
    Token { contract_addr: String },
}

impl AssetInfo {
    pub fn native(denom: &str) -> Self {
        AssetInfo::NativeToken {
            denom: denom.into(),
        }
    }

    pub fn token(contract: &str) -> Self {
        AssetInfo::Token {
            contract_addr: contract.into(),
        }
    }

    pub fn is_native(&self) -> bool {
        matches!(self, AssetInfo::NativeToken { .. })
    }

    /// The denom or the contract address.
    pub fn key(&self) -> &str {
        match self {
            AssetInfo::NativeToken { denom } => denom,
            AssetInfo::Token { contract_addr } => contract_addr,
        }
    }
}

impl fmt::Display for AssetInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.key())
    }
}

/// An amount of an asset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub info: AssetInfo,
    #[serde(with = "u128_str")]
    pub amount: u128,
}

/// An Astroport pair's type, as its factory and the pair itself answer it (Terraswap pairs have
/// none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PairType {
    Xyk {},
    Stable {},
    Custom(String),
}

/// A pair as its contract and the factory describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairInfo {
    pub asset_infos: [AssetInfo; 2],
    pub contract_addr: String,
    pub liquidity_token: String,
    #[serde(default = "default_decimals")]
    pub asset_decimals: [u8; 2],
    /// `Some` for an Astroport pair (its factory's answer says which kind), `None` for Terraswap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pair_type: Option<PairType>,
}

fn default_decimals() -> [u8; 2] {
    [6, 6]
}

/// `{"pool":{}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolResponse {
    pub assets: [Asset; 2],
    #[serde(with = "u128_str")]
    pub total_share: u128,
}

/// `{"simulation":{"offer_asset":…}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimulationResponse {
    #[serde(with = "u128_str")]
    pub return_amount: u128,
    #[serde(with = "u128_str")]
    pub spread_amount: u128,
    #[serde(with = "u128_str")]
    pub commission_amount: u128,
}

/// `{"reverse_simulation":{"ask_asset":…}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReverseSimulationResponse {
    #[serde(with = "u128_str")]
    pub offer_amount: u128,
    #[serde(with = "u128_str")]
    pub spread_amount: u128,
    #[serde(with = "u128_str")]
    pub commission_amount: u128,
}

/// `{"pairs":{…}}` of the factory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairsResponse {
    pub pairs: Vec<PairInfo>,
}

/// An Astroport factory's `{"fee_info":{"pair_type":…}}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeInfoResponse {
    pub fee_address: Option<String>,
    pub total_fee_bps: u16,
    pub maker_fee_bps: u16,
}

/// The part of an Astroport pair's `{"config":{}}` answer that names its factory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PairConfigResponse {
    pub factory_addr: String,
}

/// A CW20 `{"balance":{"address":…}}` answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BalanceResponse {
    #[serde(with = "u128_str")]
    pub balance: u128,
}

/// A CW20 `{"token_info":{}}` answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenInfoResponse {
    pub name: String,
    pub symbol: String,
    pub decimals: u8,
    #[serde(with = "u128_str")]
    pub total_supply: u128,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn asset_json_is_the_contracts_form() {
        let a = Asset {
            info: AssetInfo::native("uluna"),
            amount: 1_000_000,
        };
        let j = serde_json::to_string(&a).unwrap();
        assert_eq!(
            j,
            r#"{"info":{"native_token":{"denom":"uluna"}},"amount":"1000000"}"#
        );
        assert_eq!(serde_json::from_str::<Asset>(&j).unwrap(), a);
        let t: AssetInfo =
            serde_json::from_str(r#"{"token":{"contract_addr":"terra1x"}}"#).unwrap();
        assert_eq!(t, AssetInfo::token("terra1x"));
        for bad in [
            r#""-1""#,
            r#""1e3""#,
            r#""""#,
            r#""340282366920938463463374607431768211456""#,
        ] {
            assert!(
                serde_json::from_str::<BalanceResponse>(&format!(r#"{{"balance":{bad}}}"#))
                    .is_err(),
                "{bad}"
            );
        }
    }
}
