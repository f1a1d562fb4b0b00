//! A Terraswap factory: the list of its pairs, found by their two asset infos (either order) or
//! paged (`pairs` with `start_after`/`limit`), and its `config`.

use serde_json::{Value, json};
use sluice::amm::terra_swap::msg::AssetInfo;

use super::{ContractError, State, field};

#[derive(Debug, Clone)]
pub struct Factory {
    pub owner: String,
    pub pair_code_id: u64,
    pub token_code_id: u64,
    /// Pair contract addresses, in creation order.
    pub pairs: Vec<String>,
}

impl Factory {
    pub fn query(&self, state: &State, kind: &str, body: &Value) -> Result<Value, ContractError> {
        match kind {
            "config" => Ok(json!({
                "owner": self.owner, "pair_code_id": self.pair_code_id, "token_code_id": self.token_code_id,
            })),
            "pair" => {
                let infos: [AssetInfo; 2] =
                    serde_json::from_value(field(body, "asset_infos")?.clone()).map_err(|e| {
                        ContractError(format!("Error parsing into type: asset_infos: {e}"))
                    })?;
                for addr in &self.pairs {
                    let p = &state.pair(addr)?.info;
                    let same = p.asset_infos == infos
                        || (p.asset_infos[0] == infos[1] && p.asset_infos[1] == infos[0]);
                    if same {
                        return serde_json::to_value(p).map_err(|e| ContractError(e.to_string()));
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
                    infos.push(state.pair(addr)?.info.clone());
                }
                let start = match after {
                    None => 0,
                    Some(a) => infos
                        .iter()
                        .position(|p| p.asset_infos == a)
                        .map_or(infos.len(), |i| i + 1),
                };
                let page: Vec<_> = infos.into_iter().skip(start).take(limit).collect();
                Ok(json!({"pairs": page}))
            }
            other => Err(ContractError::unknown_variant(other)),
        }
    }
}
