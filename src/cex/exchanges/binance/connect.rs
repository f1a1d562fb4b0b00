//! Binance and Binance US build themselves: the `[connect.binance]` table (`rest_url`, `ws_url`,
//! `ws_api_url`, `user_stream`; the production endpoints by default), the API keys from the home's
//! key store when trading (none for quotes and books). The lifecycle behind `Venue::start` /
//! `Venue::close` (a live book per pair, the user stream and the order reconciler) is the
//! framework's ([`crate::cex::venue`]).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{BinanceConfig, BinanceSpot, DESCRIPTOR, DESCRIPTOR_US, UserStreamMode};
use crate::cex::key_store::ApiKeyStore;
use crate::venue::connector::{Access, parse_config};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// How often a started venue polls the orders its user stream may have missed.
pub use crate::cex::venue::RECONCILE_EVERY;

/// The `[connect.binance]` / `[connect.binance_us]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinanceConnect {
    /// REST base URL (default: the venue's production endpoint).
    pub rest_url: Option<String>,
    /// Market-stream websocket base (`/ws/<stream>` is appended).
    pub ws_url: Option<String>,
    /// WebSocket API endpoint (the user-data subscription).
    pub ws_api_url: Option<String>,
    /// `auto` (default), `ws_api` or `listen_key`: how fills and balances arrive.
    pub user_stream: Option<UserStreamMode>,
}

/// The connector of one Binance deployment.
#[derive(Debug)]
pub struct BinanceConnector {
    descriptor: ConnectorDescriptor,
}

/// Binance spot.
pub static BINANCE: BinanceConnector = BinanceConnector {
    descriptor: DESCRIPTOR,
};

/// Binance US.
pub static BINANCE_US: BinanceConnector = BinanceConnector {
    descriptor: DESCRIPTOR_US,
};

impl BinanceConnector {
    /// The venue's configuration from its table (defaults: the production endpoints).
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<BinanceConfig, ConnectError> {
        if id.chain.is_some() {
            return Err(ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: format!("{} is an exchange, not on a chain", self.descriptor.name),
            });
        }
        let c: BinanceConnect = parse_config(id, table, ctx)?;
        let base = BinanceConfig::for_venue(self.descriptor.name).ok_or_else(|| {
            ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: "no Binance deployment of this name".into(),
            }
        })?;
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            let Some(v) = value else {
                return Ok(default.to_string());
            };
            match url::Url::parse(&v) {
                Ok(u) if schemes.contains(&u.scheme()) => Ok(v),
                Ok(u) => Err(ConnectError::bad_value(
                    id,
                    ctx,
                    key,
                    format!("scheme {:?}; expected {}", u.scheme(), schemes.join(" or ")),
                )),
                Err(e) => Err(ConnectError::bad_value(id, ctx, key, e)),
            }
        };
        Ok(BinanceConfig {
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            ws_api_url: url("ws_api_url", c.ws_api_url, &base.ws_api_url, &["ws", "wss"])?,
            user_stream: c.user_stream.unwrap_or(base.user_stream),
            ..base
        })
    }
}

#[async_trait]
impl Connector for BinanceConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        self.descriptor
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let cfg = self.config(id, config, ctx)?;
        let creds = match ctx.access {
            Access::ReadOnly => None,
            Access::Trade => {
                let password = ctx
                    .secrets
                    .wallet_password()
                    .map_err(|e| ConnectError::secrets(id, e))?;
                let creds = ApiKeyStore::new(&ctx.home)
                    .load(self.descriptor.name, password.as_bytes())
                    .map_err(|e| ConnectError::secrets(id, e))?;
                Some(creds)
            }
        };
        let venue = BinanceSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
    fn the_table_overrides_the_production_endpoints() {
        let id: VenueId = "binance_us".parse().unwrap();
        let cfg = BINANCE_US.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://api.binance.us");
        assert_eq!(cfg.user_stream, UserStreamMode::Auto);
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nuser_stream = \"listen_key\""
            .parse()
            .unwrap();
        let cfg = BINANCE_US.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        assert_eq!(cfg.ws_url, "wss://stream.binance.us:9443");
        assert_eq!(cfg.user_stream, UserStreamMode::ListenKey);
    }

    #[test]
    fn bad_tables_and_ids_are_refused_by_name() {
        let id: VenueId = "binance".parse().unwrap();
        let bad = |text: &str| {
            BINANCE
                .config(&id, &text.parse().unwrap(), &ctx())
                .unwrap_err()
        };
        match bad("rpc_url = \"http://x\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "rpc_url");
                assert_eq!(accepted, "rest_url, ws_url, ws_api_url, user_stream");
            }
            other => panic!("{other:?}"),
        }
        match bad("ws_url = \"http://127.0.0.1:1\"") {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "ws_url"),
            other => panic!("{other:?}"),
        }
        match bad("user_stream = \"push\"") {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "user_stream"),
            other => panic!("{other:?}"),
        }
        let on_chain: VenueId = "binance@ethereum".parse().unwrap();
        assert!(matches!(
            BINANCE.config(&on_chain, &toml::Table::new(), &ctx()),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
