//! `binance_perpetual` builds itself: the `[connect.binance_perpetual]` table (`rest_url`,
//! `ws_url`, `client_id_prefix`; Binance's production endpoints by default) and, when trading, the
//! API keys (the same scheme as Binance spot's keys).

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{BinancePerpConfig, BinancePerpetual, DESCRIPTOR};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.binance_perpetual]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BinancePerpConnect {
    /// REST host (default `https://fapi.binance.com`; `/fapi/…` is appended).
    pub rest_url: Option<String>,
    /// Public market streams (default `wss://fstream.binance.com/public`; `/ws/<stream>` is
    /// appended).
    pub ws_url: Option<String>,
    /// Private stream host (default: `ws_url` with its last `/public` segment made `/private`, so
    /// Binance's production hosts pair up and a simulator serving both on one host needs no key).
    pub user_ws_url: Option<String>,
    /// Prefix of generated client ids (default `sluice-`).
    pub client_id_prefix: Option<String>,
}

/// The connector.
#[derive(Debug)]
pub struct BinancePerpConnector;

/// Binance USDⓈ-M futures.
pub static BINANCE_PERPETUAL: BinancePerpConnector = BinancePerpConnector;

impl BinancePerpConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<BinancePerpConfig, ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: BinancePerpConnect = parse_config(id, table, ctx)?;
        let base = BinancePerpConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let prefix = match c.client_id_prefix {
            Some(p) if p.len() >= 16 || !p.chars().all(super::api::CLIENT_ID_RULE.allowed) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 15 characters of 0-9 A-Z a-z . : / _ -",
                ));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        let ws_url = url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?;
        let private = private_host(&ws_url);
        Ok(BinancePerpConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            user_ws_url: url("user_ws_url", c.user_ws_url, &private, &["ws", "wss"])?,
            ws_url,
            client_id_prefix: prefix,
            ..base
        })
    }
}

/// The private stream host paired with a public one: a trailing `/public` becomes `/private`;
/// any other host serves both.
fn private_host(ws_url: &str) -> String {
    let trimmed = ws_url.trim_end_matches('/');
    match trimmed.strip_suffix("/public") {
        Some(host) => format!("{host}/private"),
        None => trimmed.to_string(),
    }
}

#[async_trait]
impl Connector for BinancePerpConnector {
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
        let venue = BinancePerpetual::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
    fn the_table_points_the_connector_anywhere_and_refuses_unknown_keys() {
        let id: VenueId = "binance_perpetual".parse().unwrap();
        let cfg = BINANCE_PERPETUAL
            .config(&id, &toml::Table::new(), &ctx())
            .unwrap();
        assert_eq!(cfg.rest_url, "https://fapi.binance.com");
        assert_eq!(cfg.ws_url, "wss://fstream.binance.com/public");
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9\""
            .parse()
            .unwrap();
        let cfg = BINANCE_PERPETUAL.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        assert_eq!(cfg.user_ws_url, "ws://127.0.0.1:9");
        let default = BINANCE_PERPETUAL
            .config(&id, &toml::Table::new(), &ctx())
            .unwrap();
        assert_eq!(default.user_ws_url, "wss://fstream.binance.com/private");
        let bad = |text: &str| {
            BINANCE_PERPETUAL
                .config(&id, &text.parse().unwrap(), &ctx())
                .unwrap_err()
        };
        assert!(matches!(
            bad("user_stream = \"auto\""),
            ConnectError::UnknownKey { .. }
        ));
        assert!(matches!(
            bad("ws_url = \"http://x\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            bad("client_id_prefix = \"a b\""),
            ConnectError::BadValue { .. }
        ));
    }
}
