//! Which pair contract trades a market: the one named for it in `pairs` (`"BASE-QUOTE" =
//! "terra1…"`), else the `pair` of the table when it holds the market's two assets, else the
//! deepest of the pairs the factories list for them (Astroport and Terraswap both list LUNA
//! pairs on `terra`). Deepest: the larger product of the two reserves (the pool's constant
//! product, which is what a trade's price impact depends on); equal products go to the smaller
//! contract address, so the choice does not depend on the factories' order. The choice is logged
//! with the reserves and the pairs passed over; `markets()` shows the chosen contract. The
//! chosen pair comes with the factory that listed it, which says what the pair runs
//! ([`TerraSwapVenue::kind_of`]).

use alloy::primitives::U256;

use super::{Leg, TerraSwapVenue, chain_err};
use crate::amm::terra_swap::kind::PairKind;
use crate::amm::terra_swap::msg::{AssetInfo, PairInfo, PairType};
use crate::chain::cosmos::CosmosError;
use crate::core::Pair;
use crate::venue::VenueError;

/// Whether the node answered the query (a contract error: the factory lists no such pair), as
/// opposed to not answering at all (after the client's retries).
fn node_answered(e: &CosmosError) -> bool {
    matches!(e, CosmosError::Lcd { detail, .. } if detail.contains(": code "))
}

/// (product of the reserves, address): the key the deepest pool has the greatest of.
fn depth_key(product: U256, address: &str) -> (U256, std::cmp::Reverse<&str>) {
    (product, std::cmp::Reverse(address))
}

impl TerraSwapVenue {
    /// The pair trading `pair`, and the factory that listed it (`None` when named).
    pub(super) async fn choose_pair(
        &self,
        pair: &Pair,
        base: &Leg,
        quote: &Leg,
    ) -> Result<(PairInfo, Option<String>), VenueError> {
        let named = self
            .named
            .get(&pair.to_string())
            .or_else(|| self.named.get(&pair.inverse().to_string()));
        if let Some(addr) = named {
            let info = self.client.pair_info(addr).await.map_err(chain_err)?;
            return Ok((info, None));
        }
        if let Some(addr) = &self.named_pair {
            let info = self.client.pair_info(addr).await.map_err(chain_err)?;
            if holds(&info, base, quote) {
                tracing::info!(venue = %self.id, %pair, pair_contract = %addr, "trading the pair named in the table");
                return Ok((info, None));
            }
        }
        let assets = [base.info.clone(), quote.info.clone()];
        let mut candidates: Vec<PairInfo> = Vec::new();
        let mut listed_by: Vec<String> = Vec::new();
        for factory in &self.factories {
            match self.client.find_pair(factory, &assets).await {
                Ok(info) if holds(&info, base, quote) => {
                    if !candidates
                        .iter()
                        .any(|c| c.contract_addr == info.contract_addr)
                    {
                        candidates.push(info);
                        listed_by.push(factory.clone());
                    }
                }
                Ok(info) => {
                    return Err(VenueError::Protocol(format!(
                        "factory {factory} answered pair {} for {pair}, which does not hold it",
                        info.contract_addr
                    )));
                }
                Err(e) if node_answered(&e) => {
                    tracing::debug!(venue = %self.id, %pair, %factory, "no pair listed: {e}")
                }
                // a factory that did not answer may list the deepest pool: no choice yet
                Err(e) => return Err(chain_err(e)),
            }
        }
        if candidates.len() <= 1 {
            let only = candidates.pop().ok_or_else(|| VenueError::UnknownPair {
                venue: self.id.to_string(),
                pair: pair.clone(),
            })?;
            return Ok((only, listed_by.pop()));
        }
        let mut depths = Vec::with_capacity(candidates.len());
        for c in &candidates {
            let (b, q) = self.pool_of(&c.contract_addr, base, quote).await?;
            depths.push((U256::from(b) * U256::from(q), b, q));
        }
        let best = (0..candidates.len())
            .max_by_key(|i| depth_key(depths[*i].0, &candidates[*i].contract_addr))
            .unwrap_or(0);
        let passed: Vec<String> = candidates
            .iter()
            .zip(&depths)
            .enumerate()
            .filter(|(i, _)| *i != best)
            .map(|(_, (c, d))| format!("{} ({} / {})", c.contract_addr, d.1, d.2))
            .collect();
        tracing::info!(
            venue = %self.id, %pair, pair_contract = %candidates[best].contract_addr,
            base_reserve = depths[best].1, quote_reserve = depths[best].2,
            passed_over = %passed.join(", "),
            "the deepest of {} pools listing {pair}", candidates.len()
        );
        Ok((
            candidates.swap_remove(best),
            Some(listed_by.swap_remove(best)),
        ))
    }

    /// What `info` runs: Terraswap's pair when its factory's answer has no `pair_type`, else
    /// Astroport's, whose fee is that factory's `fee_info` (a named pair's factory is the one
    /// its `config` names).
    pub(super) async fn kind_of(
        &self,
        info: &PairInfo,
        factory: Option<String>,
    ) -> Result<PairKind, VenueError> {
        let unsupported = |e| VenueError::NotSupported(format!("{}: {e}", self.id));
        let bps = match &info.pair_type {
            Some(t @ PairType::Xyk {}) => {
                let factory = match factory {
                    Some(f) => f,
                    None => self
                        .client
                        .pair_factory(&info.contract_addr)
                        .await
                        .map_err(chain_err)?,
                };
                let fees = self.client.fee_info(&factory, t).await.map_err(chain_err)?;
                Some(fees.total_fee_bps)
            }
            _ => None,
        };
        PairKind::of(info, bps).map_err(unsupported)
    }

    /// A pair's (base, quote) reserves, by smart query.
    pub(super) async fn pool_of(
        &self,
        contract: &str,
        base: &Leg,
        quote: &Leg,
    ) -> Result<(u128, u128), VenueError> {
        let pool = self.client.pool(contract).await.map_err(chain_err)?;
        let of = |info: &AssetInfo| {
            pool.assets
                .iter()
                .find(|a| &a.info == info)
                .map(|a| a.amount)
                .ok_or_else(|| {
                    VenueError::Protocol(format!("pool of {contract} lacks an asset of the pair"))
                })
        };
        Ok((of(&base.info)?, of(&quote.info)?))
    }
}

fn holds(info: &PairInfo, base: &Leg, quote: &Leg) -> bool {
    info.asset_infos.contains(&base.info) && info.asset_infos.contains(&quote.info)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_deeper_product_wins_and_a_tie_goes_to_the_smaller_address() {
        let k = |v: u64| U256::from(v);
        assert!(depth_key(k(10), "terra1b") > depth_key(k(9), "terra1a"));
        assert!(depth_key(k(10), "terra1a") > depth_key(k(10), "terra1b"));
        let refused = CosmosError::Lcd {
            url: "u".into(),
            path: "p".into(),
            detail: "HTTP 500: code 2: no pair".into(),
        };
        assert!(node_answered(&refused));
        let silent = CosmosError::Lcd {
            url: "u".into(),
            path: "p".into(),
            detail: "HTTP 502: an HTML page (after 3 attempts)".into(),
        };
        assert!(!node_answered(&silent));
    }
}
