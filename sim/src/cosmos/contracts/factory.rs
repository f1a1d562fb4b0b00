//! A pair factory, Terraswap's or Astroport's: the list of its pairs, found by their two asset
//! infos (either order) or paged (`pairs` with `start_after`/`limit`), each answered as the pair
//! contract answers its own `pair` query (Astroport's carry their `pair_type`), and its `config`.
//! An Astroport factory also answers `fee_info` (the fee its pairs read at every swap and
//! simulation) and keeps its `config` in raw storage, as the pairs read it.

use serde_json::{Value, json};
use sluice::amm::terra_swap::msg::AssetInfo;

use super::{ContractError, State, field};
use crate::cosmos::chain::Balances;

/// What an Astroport factory charges its XYK pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AstroportFees {
    /// Total fee of a swap, in basis points (30: 0.3 %).
    pub total_fee_bps: u16,
    /// The Maker's part of it, in basis points of the fee (no Maker here: nothing is sent).
    pub maker_fee_bps: u16,
}

#[derive(Debug, Clone)]
pub struct Factory {
    pub owner: String,
    pub pair_code_id: u64,
    pub token_code_id: u64,
    /// Pair contract addresses, in creation order.
    pub pairs: Vec<String>,
    /// `Some` for an Astroport factory.
    pub astroport: Option<AstroportFees>,
}

impl Factory {
    /// The raw storage Astroport pairs read: `config` (no `pairs_to_migrate`: none to migrate).
    pub fn raw(&self, key: &[u8]) -> Option<Vec<u8>> {
        (self.astroport.is_some() && key == b"config").then(|| {
            let config = json!({
                "owner": self.owner, "token_code_id": self.token_code_id,
                "generator_address": null, "fee_address": null, "whitelist_code_id": 0,
                "coin_registry_address": self.owner,
            });
            config.to_string().into_bytes()
        })
    }

    /// A listed pair as it describes itself.
    fn pair_info(state: &State, bank: &Balances, addr: &str) -> Result<Value, ContractError> {
        super::query(state, bank, addr, &json!({"pair": {}}))
    }

    pub fn query(
        &self,
        state: &State,
        bank: &Balances,
        kind: &str,
        body: &Value,
    ) -> Result<Value, ContractError> {
        match kind {
            "fee_info" if self.astroport.is_some() => {
                let fees = self.astroport.unwrap_or(AstroportFees {
                    total_fee_bps: 0,
                    maker_fee_bps: 0,
                });
                match field(body, "pair_type")?.get("xyk") {
                    Some(_) => Ok(json!({
                        "fee_address": null, "total_fee_bps": fees.total_fee_bps,
                        "maker_fee_bps": fees.maker_fee_bps,
                    })),
                    None => Err(ContractError("Pair config not found".into())),
                }
            }
            "config" => Ok(json!({
                "owner": self.owner, "pair_code_id": self.pair_code_id, "token_code_id": self.token_code_id,
            })),
            "pair" => {
                let infos: [AssetInfo; 2] =
                    serde_json::from_value(field(body, "asset_infos")?.clone()).map_err(|e| {
                        ContractError(format!("Error parsing into type: asset_infos: {e}"))
                    })?;
                for addr in &self.pairs {
                    let p = Self::pair_info(state, bank, addr)?;
                    let listed: [AssetInfo; 2] =
                        serde_json::from_value(p["asset_infos"].clone())
                            .map_err(|e| ContractError(format!("pair {addr}: {e}")))?;
                    let same = listed == infos || (listed[0] == infos[1] && listed[1] == infos[0]);
                    if same {
                        return Ok(p);
                    }
                }
                Err(ContractError(
                    "terraswap::asset::PairInfoRaw not found".into(),
                ))
            }
            "pairs" => {
                let limit = body
                    .get("limit")
                    .and_then(Value::as_u64)
                    .unwrap_or(10)
                    .min(30) as usize;
                let after: Option<[AssetInfo; 2]> = match body.get("start_after") {
                    None | Some(Value::Null) => None,
                    Some(v) => Some(serde_json::from_value(v.clone()).map_err(|e| {
                        ContractError(format!("Error parsing into type: start_after: {e}"))
                    })?),
                };
                let mut infos = Vec::new();
                for addr in &self.pairs {
                    infos.push(Self::pair_info(state, bank, addr)?);
                }
                let start = match after {
                    None => 0,
                    Some(a) => infos
                        .iter()
                        .position(|p| serde_json::to_value(&a).is_ok_and(|a| p["asset_infos"] == a))
                        .map_or(infos.len(), |i| i + 1),
                };
                let page: Vec<_> = infos.into_iter().skip(start).take(limit).collect();
                Ok(json!({"pairs": page}))
            }
            other => Err(ContractError::unknown_variant(other)),
        }
    }
}
