//! `perp@<chain>` builds itself from its `[connect."perp@<chain>"]` table ([`PerpConnect`]): the
//! EVM kit's keys (node, wallet, manifest, approval, sync interval) opened by the kit
//! ([`crate::amm::evm::evm_connect::open`]), plus Perp's own: the opening `leverage` and an
//! `address` whose positions and balances a read-only venue reports. The contracts come from a
//! deployment manifest, else the chain spec's `[protocols.perp_v1]` (`clearing_house`,
//! `clearing_house_viewer`, `amm_<base>_<quote>`); the margin token is the Amms' `quoteAsset`.

use std::path::PathBuf;
use std::sync::Arc;

use alloy::primitives::{Address, U256};
use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::abi::{IPerpAmm, IPerpClearingHouse};
use super::venue::{PerpContracts, PerpMarket, PerpParts, PerpVenue};
use crate::amm::AmmError;
use crate::amm::evm::evm_connect::{self, Approval};
use crate::amm::evm::rpc::{ReadCall, batch_read};
use crate::amm::evm::{head, tokens::fetch_token};
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;
use crate::core::{Asset, Pair, Rounding, to_units};
use crate::venue::connector::parse_config;
use crate::venue::{
    ConnectContext, ConnectError, Connector, ConnectorDescriptor, ImplState, Venue, VenueId,
};

/// What this connector declares to the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "perp",
    module: "amm::perp",
    state: ImplState::Partial(
        "quotes exact to the wei from the vAMM reserves synced by logs; openPosition / closePosition with a base-asset (or quote) limit, leverage and margin; positions with PnL, margin ratio and funding from the ClearingHouse; orders of an earlier process are not adopted",
    ),
};

/// The chain spec's protocol table.
const SPEC_PROTOCOL: &str = "perp_v1";

/// The table of a Perp venue.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerpConnect {
    /// JSON-RPC endpoint (default: the chain spec's first).
    pub rpc_url: Option<String>,
    /// The sluice wallet that signs orders; needed only to trade.
    pub wallet: Option<String>,
    /// Account index within the wallet (default 0).
    #[serde(default)]
    pub account_index: u64,
    /// A deployment manifest (`sluice anvil up`) instead of the chain spec's addresses.
    pub manifest: Option<PathBuf>,
    /// How the ClearingHouse is approved for the margin token: `exact` (default) or `unlimited`.
    #[serde(default)]
    pub approval: Approval,
    /// How often a started venue follows the chain, in milliseconds (default 500).
    pub sync_interval_ms: Option<u64>,
    /// The leverage an order opening or increasing a position is sent with, as a string
    /// (`"2.5"`; default `"1"`; at most 1 / the ClearingHouse's initial margin ratio).
    pub leverage: Option<Decimal>,
    /// The account whose positions and balances a read-only venue (no wallet) reports.
    pub address: Option<Address>,
}

/// The keys Perp adds to the kit's table.
const OWN_KEYS: [&str; 2] = ["leverage", "address"];

/// The Perp connector (its line in `src/connectors.rs`).
pub static PERP: PerpConnector = PerpConnector;

#[derive(Debug, Clone, Copy, Default)]
pub struct PerpConnector;

impl PerpContracts {
    /// From a deployment manifest, if it has Perp.
    pub fn from_manifest(m: &Manifest) -> Option<Result<Self, AmmError>> {
        let p = m.perp.as_ref()?;
        let markets = p
            .amms
            .iter()
            .map(|a| {
                let pair: Pair =
                    a.pair
                        .replace('/', "-")
                        .parse()
                        .map_err(|e| AmmError::Decode {
                            what: "manifest perp pair",
                            reason: format!("{}: {e}", a.pair),
                        })?;
                Ok(PerpMarket {
                    pair,
                    amm: a.address,
                })
            })
            .collect::<Result<Vec<_>, AmmError>>();
        Some(markets.map(|markets| Self {
            clearing_house: p.clearing_house,
            viewer: p.clearing_house_viewer,
            markets,
        }))
    }

    /// From the chain spec's `[protocols.perp_v1]`: every `amm_<base>_<quote>` is a market.
    pub fn from_chain_spec(spec: &ChainSpec) -> Result<Self, AmmError> {
        let need = |role: &'static str| {
            spec.protocol_address(SPEC_PROTOCOL, role)
                .ok_or_else(|| AmmError::NotDeployed {
                    protocol: "perp",
                    chain: spec.name.clone(),
                    role,
                })
        };
        let mut markets = Vec::new();
        for (role, _) in spec.protocols.get(SPEC_PROTOCOL).into_iter().flatten() {
            let Some(name) = role.strip_prefix("amm_") else {
                continue;
            };
            let (Some(amm), Some((base, quote))) = (
                spec.protocol_address(SPEC_PROTOCOL, role),
                name.split_once('_'),
            ) else {
                continue;
            };
            let asset = |s: &str| {
                Asset::new(&s.to_ascii_uppercase()).map_err(|e| AmmError::Decode {
                    what: "chain spec perp market",
                    reason: format!("{role}: {e}"),
                })
            };
            markets.push(PerpMarket {
                pair: Pair::new(asset(base)?, asset(quote)?),
                amm,
            });
        }
        if markets.is_empty() {
            return Err(AmmError::NotDeployed {
                protocol: "perp",
                chain: spec.name.clone(),
                role: "amm_<base>_<quote>",
            });
        }
        Ok(Self {
            clearing_house: need("clearing_house")?,
            viewer: need("clearing_house_viewer")?,
            markets,
        })
    }
}

/// The 18-decimal leverage of the table, checked against the ClearingHouse's initial margin ratio.
fn leverage_units(
    id: &VenueId,
    ctx: &ConnectContext,
    leverage: Option<Decimal>,
    init_margin_ratio: U256,
) -> Result<U256, ConnectError> {
    let l = leverage.unwrap_or(Decimal::ONE);
    let bad = |why: String| ConnectError::bad_value(id, ctx, "leverage", why);
    if l <= Decimal::ZERO {
        return Err(bad(format!("{l} must be positive")));
    }
    let units = to_units(l, 18, Rounding::Down).map_err(|e| bad(e.to_string()))?;
    // The ClearingHouse requires 1/leverage >= its initial margin ratio.
    let unit = super::math::UNIT;
    if !init_margin_ratio.is_zero() && units * init_margin_ratio > unit * unit {
        let max = unit / init_margin_ratio;
        return Err(bad(format!(
            "{l} is above the ClearingHouse's maximum of {max}x (initial margin ratio {init_margin_ratio} / 1e18)"
        )));
    }
    Ok(units)
}

#[async_trait]
impl Connector for PerpConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let own: PerpConnect = parse_config(id, config, ctx)?;
        let mut kit_table = config.clone();
        for k in OWN_KEYS {
            kit_table.remove(k);
        }
        let parts = evm_connect::open(id, &kit_table, ctx).await?;
        let err = |e: AmmError| ConnectError::venue(id, e);
        let contracts = match parts
            .manifest
            .as_ref()
            .and_then(PerpContracts::from_manifest)
        {
            Some(c) => c.map_err(err)?,
            None => PerpContracts::from_chain_spec(&parts.chain).map_err(err)?,
        };
        let first = contracts.markets.first().map(|m| m.amm).unwrap_or_default();
        let block = head(&parts.provider).await.map_err(err)?.number;
        let mut r = batch_read(
            &parts.provider,
            &[
                ReadCall::new(first, &IPerpAmm::quoteAssetCall {}),
                ReadCall::new(
                    contracts.clearing_house,
                    &IPerpClearingHouse::initMarginRatioCall {},
                ),
            ],
            block,
        )
        .await
        .map_err(err)?;
        let quote_asset = r
            .next_decoded::<IPerpAmm::quoteAssetCall>(first, "quoteAsset")
            .map_err(err)?;
        let init_margin_ratio = r
            .next_decoded::<IPerpClearingHouse::initMarginRatioCall>(
                contracts.clearing_house,
                "initMarginRatio",
            )
            .map_err(err)?;
        let leverage = leverage_units(id, ctx, own.leverage, init_margin_ratio)?;
        let mut tokens = parts.tokens;
        let margin = match tokens.by_address(quote_asset) {
            Some(t) => t.clone(),
            None => {
                let t = fetch_token(&parts.provider, &parts.chain.name, quote_asset)
                    .await
                    .map_err(err)?;
                tokens.insert(t.clone());
                t
            }
        };
        let mut venue = PerpVenue::open(PerpParts {
            chain: parts.chain.name.clone(),
            provider: parts.provider,
            contracts,
            margin,
            leverage,
            native: parts.native,
            tokens,
            sync_interval: parts.sync_interval,
        })
        .await
        .map_err(err)?;
        if let Some(address) = own.address {
            venue = venue.with_account(address);
        }
        if let Some((tracker, policy)) = parts.executor {
            venue = venue.with_executor(tracker, policy);
        }
        Ok(venue.shared())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use crate::venue::connector::config_keys;
    use std::path::Path;

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    #[test]
    fn the_accepted_keys_are_the_kits_and_perps() {
        assert_eq!(
            config_keys::<PerpConnect>(),
            [
                "rpc_url",
                "wallet",
                "account_index",
                "manifest",
                "approval",
                "sync_interval_ms",
                "leverage",
                "address"
            ]
        );
        let kit = config_keys::<evm_connect::EvmAmmConnect>();
        for k in config_keys::<PerpConnect>() {
            assert!(kit.contains(k) || OWN_KEYS.contains(k), "{k}");
        }
    }

    #[tokio::test]
    async fn unknown_keys_and_bad_values_are_refused_before_connecting() {
        let id: VenueId = "perp@xdai".parse().unwrap();
        let t: toml::Table = "levrage = \"2\"".parse().unwrap();
        match PERP.connect(&id, &t, &ctx()).await.err().unwrap() {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "levrage");
                assert!(accepted.contains("leverage"), "{accepted}");
            }
            other => panic!("{other:?}"),
        }
        let t: toml::Table = "address = \"0x12\"".parse().unwrap();
        assert!(matches!(
            PERP.connect(&id, &t, &ctx()).await.err().unwrap(),
            ConnectError::BadValue { .. }
        ));
        let c: PerpConnect = parse_config(&id, &"leverage = \"2.5\"".parse().unwrap(), &ctx())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.leverage, Some(Decimal::new(25, 1)));
    }

    #[test]
    fn leverage_is_checked_against_the_initial_margin_ratio() {
        let id: VenueId = "perp@xdai".parse().unwrap();
        let tenth = super::super::math::UNIT / U256::from(10u8);
        let ok = leverage_units(&id, &ctx(), Some(Decimal::new(10, 0)), tenth).unwrap();
        assert_eq!(ok, super::super::math::UNIT * U256::from(10u8));
        assert_eq!(
            leverage_units(&id, &ctx(), None, tenth).unwrap(),
            super::super::math::UNIT
        );
        for bad in [Decimal::new(101, 1), Decimal::ZERO, Decimal::NEGATIVE_ONE] {
            assert!(
                matches!(
                    leverage_units(&id, &ctx(), Some(bad), tenth),
                    Err(ConnectError::BadValue { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn xdai_markets_come_from_the_chain_spec() {
        let specs = ChainSpecs::builtin().unwrap();
        let c = PerpContracts::from_chain_spec(specs.get("xdai").unwrap()).unwrap();
        let pairs: Vec<String> = c.markets.iter().map(|m| m.pair.to_string()).collect();
        assert!(pairs.contains(&"ETH-USDC".to_string()), "{pairs:?}");
        assert!(pairs.contains(&"BTC-USDC".to_string()), "{pairs:?}");
        assert!(matches!(
            PerpContracts::from_chain_spec(specs.get("ethereum").unwrap()),
            Err(AmmError::NotDeployed { .. })
        ));
    }
}
