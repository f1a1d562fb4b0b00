//! `dydx_v3` builds itself: dYdX v3 closed in 2024, so it connects only to the URLs its
//! `[connect.dydx_v3]` table gives (`rest_url`, `ws_url`; none is a clear error), signs for
//! `network_id` (default 1), and trades with the keys the clients derive from the Ethereum key
//! (`wallet`, account `wallet_index` of its `ethereum` key path: the STARK key and the default API
//! key, `onboarding.rs`), or with API keys from `sluice keys` alone (no orders then: they need the
//! STARK key).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::onboarding::{derive_api_key, derive_stark_key};
use super::{DESCRIPTOR, DydxV3Config, DydxV3Keys, DydxV3Venue};
use crate::cex::auth::ApiCredentials;
use crate::venue::connector::{Access, closed_venue_urls, off_chain, parse_config};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.dydx_v3]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DydxV3Connect {
    /// The REST host serving `/v3/…` (required: the venue closed).
    pub rest_url: Option<String>,
    /// The websocket serving `v3_orderbook` (required: the venue closed).
    pub ws_url: Option<String>,
    /// The Ethereum network id orders are signed for (1: mainnet, 11155111: Sepolia).
    pub network_id: Option<u64>,
    /// The wallet whose Ethereum key the STARK key and API key are derived from.
    pub wallet: Option<String>,
    /// The account index under the wallet's Ethereum key path (default 0).
    pub wallet_index: Option<u64>,
    /// The largest fee an order accepts, a fraction of its notional (default 0.0015).
    pub limit_fee: Option<Decimal>,
    /// How long resting orders live, in seconds (default 28 days).
    pub order_ttl_secs: Option<u64>,
    /// Prefix of generated client ids (default `sluice-`).
    pub client_id_prefix: Option<String>,
}

/// The connector.
#[derive(Debug)]
pub struct DydxV3Connector;

/// dYdX v3.
pub static DYDX_V3: DydxV3Connector = DydxV3Connector;

/// Why the venue has no default URL.
const CLOSED: &str = "dYdX v3 closed in 2024";

impl DydxV3Connector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<(DydxV3Config, DydxV3Connect), ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: DydxV3Connect = parse_config(id, table, ctx)?;
        let base = DydxV3Config::default();
        let (rest_url, ws_url) =
            closed_venue_urls(id, ctx, CLOSED, c.rest_url.clone(), c.ws_url.clone())?;
        let network_id = c.network_id.unwrap_or(base.network_id);
        if ![
            super::starkex::NETWORK_MAINNET,
            super::starkex::NETWORK_SEPOLIA,
        ]
        .contains(&network_id)
        {
            return Err(ConnectError::bad_value(
                id,
                ctx,
                "network_id",
                "1 (mainnet) or 11155111 (Sepolia): the networks dYdX v3 had a collateral asset on",
            ));
        }
        let limit_fee = match c.limit_fee {
            Some(f) if f < Decimal::ZERO || f >= Decimal::ONE => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "limit_fee",
                    "a fraction of the notional, at least 0 and below 1 (0.0015 = 0.15 %)",
                ));
            }
            Some(f) => f,
            None => base.limit_fee,
        };
        let prefix = match &c.client_id_prefix {
            Some(p) if p.len() >= 20 || !p.chars().all(super::api::CLIENT_ID_RULE.allowed) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 19 characters of 0-9 A-Z a-z - _ . :",
                ));
            }
            Some(p) => p.clone(),
            None => base.client_id_prefix.clone(),
        };
        let order_ttl = match c.order_ttl_secs {
            Some(0) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "order_ttl_secs",
                    "must be positive",
                ));
            }
            Some(s) => Duration::from_secs(s),
            None => base.order_ttl,
        };
        let cfg = DydxV3Config {
            name: id.to_string(),
            rest_url,
            ws_url,
            network_id,
            limit_fee,
            order_ttl,
            client_id_prefix: prefix,
            ..base
        };
        Ok((cfg, c))
    }

    /// The keys: derived from the wallet when one is named, else the stored API key alone.
    pub fn keys(
        &self,
        id: &VenueId,
        c: &DydxV3Connect,
        network_id: u64,
        ctx: &ConnectContext,
    ) -> Result<DydxV3Keys, ConnectError> {
        if ctx.access == Access::ReadOnly {
            return Ok(DydxV3Keys::default());
        }
        let Some(name) = &c.wallet else {
            let api =
                crate::cex::venue::credentials::trading_credentials(id, DESCRIPTOR.name, ctx)?;
            return Ok(DydxV3Keys { api, stark: None });
        };
        let wallet = ctx.wallet(id, name)?;
        let chain = ctx.chains.get("ethereum").ok_or_else(|| {
            ConnectError::secrets(id, "no `ethereum` chain spec to derive the wallet's key on")
        })?;
        let signer = wallet
            .evm_signer(chain, c.wallet_index.unwrap_or(0))
            .map_err(|e| ConnectError::secrets(id, e))?;
        let stark =
            derive_stark_key(&signer, network_id).map_err(|e| ConnectError::secrets(id, e))?;
        let derived =
            derive_api_key(&signer, network_id).map_err(|e| ConnectError::secrets(id, e))?;
        let api = ApiCredentials::new(derived.key.clone(), derived.secret.as_str())
            .and_then(|c| c.with_passphrase(derived.passphrase.as_str()))
            .map_err(|e| ConnectError::secrets(id, e))?;
        Ok(DydxV3Keys {
            api: Some(api),
            stark: Some(stark),
        })
    }
}

#[async_trait]
impl Connector for DydxV3Connector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let (cfg, table) = self.config(id, config, ctx)?;
        let keys = self.keys(id, &table, cfg.network_id, ctx)?;
        let venue = DydxV3Venue::new(cfg, keys).map_err(|e| ConnectError::venue(id, e))?;
        Ok(Arc::new(venue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    #[test]
    fn without_urls_the_error_says_the_venue_closed_and_names_the_key() {
        let id: VenueId = "dydx_v3".parse().unwrap();
        let e = DYDX_V3
            .config(&id, &toml::Table::new(), &ctx())
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("closed in 2024")
                && text.contains("rest_url")
                && text.contains("connect.dydx_v3"),
            "{text}"
        );
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"".parse().unwrap();
        let text = DYDX_V3.config(&id, &t, &ctx()).unwrap_err().to_string();
        assert!(
            text.contains("ws_url") && text.contains("closed in 2024"),
            "{text}"
        );
    }

    #[test]
    fn the_table_is_checked() {
        let id: VenueId = "dydx_v3".parse().unwrap();
        let ok: toml::Table =
            "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/v3/ws\"\nnetwork_id = 11155111\nlimit_fee = 0.001"
                .parse()
                .unwrap();
        let (cfg, _) = DYDX_V3.config(&id, &ok, &ctx()).unwrap();
        assert_eq!(cfg.network_id, 11_155_111);
        assert_eq!(cfg.limit_fee, Decimal::new(1, 3));
        assert_eq!(cfg.ws_url, "ws://127.0.0.1:9/v3/ws");
        let urls = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9\"\n";
        for (extra, key) in [
            ("network_id = 5", "network_id"),
            ("limit_fee = 1.5", "limit_fee"),
            ("client_id_prefix = \"a b\"", "client_id_prefix"),
            ("order_ttl_secs = 0", "order_ttl_secs"),
        ] {
            let t: toml::Table = format!("{urls}{extra}").parse().unwrap();
            match DYDX_V3.config(&id, &t, &ctx()).unwrap_err() {
                ConnectError::BadValue { key: k, .. } => assert_eq!(k, key),
                other => panic!("{extra}: {other:?}"),
            }
        }
        let t: toml::Table = format!("{urls}stark_key = \"0x1\"").parse().unwrap();
        assert!(matches!(
            DYDX_V3.config(&id, &t, &ctx()).unwrap_err(),
            ConnectError::UnknownKey { .. }
        ));
        let t: toml::Table = "rest_url = \"ftp://x\"\nws_url = \"ws://x\""
            .parse()
            .unwrap();
        assert!(matches!(
            DYDX_V3.config(&id, &t, &ctx()).unwrap_err(),
            ConnectError::BadValue { .. }
        ));
    }
}
