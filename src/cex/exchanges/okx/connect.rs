//! OKX builds itself: the `[connect.okx]` table (`rest_url`, `ws_url`; the production endpoints
//! by default), the API keys — with their passphrase — from the home's key store when trading
//! (none for quotes and books). The lifecycle behind `Venue::start` / `Venue::close` is the
//! framework's.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{DESCRIPTOR, OkxConfig, OkxSpot};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.okx]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OkxConnect {
    /// REST base URL (default `https://www.okx.com`).
    pub rest_url: Option<String>,
    /// WebSocket base (default `wss://ws.okx.com:8443`); `/ws/v5/public` and `/ws/v5/private`
    /// are appended.
    pub ws_url: Option<String>,
}

/// The OKX connector.
#[derive(Debug)]
pub struct OkxConnector;

/// OKX spot.
pub static OKX: OkxConnector = OkxConnector;

impl OkxConnector {
    /// The venue's configuration from its table (defaults: the production endpoints).
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<OkxConfig, ConnectError> {
        off_chain(id, "okx")?;
        let c: OkxConnect = parse_config(id, table, ctx)?;
        let base = OkxConfig::okx();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        Ok(OkxConfig {
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            // the venue is named by the id it is connected as (a label such as `sim-okx`)
            name: id.to_string(),
            ..base
        })
    }
}

#[async_trait]
impl Connector for OkxConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let cfg = self.config(id, config, ctx)?;
        let creds = crate::cex::venue::credentials::trading_credentials(id, DESCRIPTOR.name, ctx)?;
        let venue = OkxSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
        let id: VenueId = "okx".parse().unwrap();
        let cfg = OKX.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://www.okx.com");
        assert_eq!(cfg.ws_public_url(), "wss://ws.okx.com:8443/ws/v5/public");
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:10/\""
            .parse()
            .unwrap();
        let cfg = OKX.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        assert_eq!(cfg.ws_private_url(), "ws://127.0.0.1:10/ws/v5/private");
    }

    #[test]
    fn bad_tables_and_ids_are_refused_by_name() {
        let id: VenueId = "okx".parse().unwrap();
        let bad = |text: &str| OKX.config(&id, &text.parse().unwrap(), &ctx()).unwrap_err();
        match bad("user_stream = \"x\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "user_stream");
                assert_eq!(accepted, "rest_url, ws_url");
            }
            other => panic!("{other:?}"),
        }
        match bad("ws_url = \"http://127.0.0.1:1\"") {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "ws_url"),
            other => panic!("{other:?}"),
        }
        let on_chain: VenueId = "okx@ethereum".parse().unwrap();
        assert!(matches!(
            OKX.config(&on_chain, &toml::Table::new(), &ctx()),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
