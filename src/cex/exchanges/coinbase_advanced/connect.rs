//! Coinbase Advanced Trade builds itself: the `[connect.coinbase_advanced]` table (`rest_url`,
//! `ws_url`, `user_ws_url`, `client_id_prefix`; the production endpoints by default) and, when
//! trading, the CDP key (key name and PEM private key) from the home's key store. A table that
//! moves `ws_url` but not `user_ws_url` (a local simulator, `sluice book --ws-url`) serves the
//! `user` channel on `ws_url` too: the market endpoint takes every channel.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{CoinbaseAdvancedConfig, CoinbaseAdvancedSpot, DESCRIPTOR};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.coinbase_advanced]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinbaseAdvancedConnect {
    /// REST host (default `https://api.coinbase.com`; `/api/v3/brokerage/…` is appended).
    pub rest_url: Option<String>,
    /// Market-data websocket (default `wss://advanced-trade-ws.coinbase.com`).
    pub ws_url: Option<String>,
    /// User-order websocket (default `wss://advanced-trade-ws-user.coinbase.com`, or `ws_url` when
    /// only that is set).
    pub user_ws_url: Option<String>,
    /// Prefix of generated client order ids (default `sl-`).
    pub client_id_prefix: Option<String>,
}

/// The Coinbase Advanced Trade connector.
#[derive(Debug)]
pub struct CoinbaseAdvancedConnector;

/// Coinbase Advanced Trade spot.
pub static COINBASE_ADVANCED: CoinbaseAdvancedConnector = CoinbaseAdvancedConnector;

impl CoinbaseAdvancedConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<CoinbaseAdvancedConfig, ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: CoinbaseAdvancedConnect = parse_config(id, table, ctx)?;
        let base = CoinbaseAdvancedConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let rule = &super::api::CLIENT_ID_RULE;
        let prefix = match c.client_id_prefix {
            Some(p) if p.len() >= 20 || !p.chars().all(|ch| (rule.allowed)(ch)) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 19 characters of 0-9 A-Z a-z _ -",
                ));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        // A moved market endpoint serves the user channel too unless `user_ws_url` says otherwise.
        let ws_moved = c.ws_url.is_some();
        let ws_url = url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?;
        let user_default = if ws_moved { &ws_url } else { &base.user_ws_url };
        let user_ws_url = url("user_ws_url", c.user_ws_url, user_default, &["ws", "wss"])?;
        Ok(CoinbaseAdvancedConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url,
            user_ws_url,
            client_id_prefix: prefix,
            ..base
        })
    }
}

#[async_trait]
impl Connector for CoinbaseAdvancedConnector {
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
        let venue =
            CoinbaseAdvancedSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
        let id: VenueId = "coinbase_advanced".parse().unwrap();
        let c = &COINBASE_ADVANCED;
        let cfg = c.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://api.coinbase.com");
        assert_eq!(cfg.ws_url, "wss://advanced-trade-ws.coinbase.com");
        assert_eq!(cfg.user_ws_url, "wss://advanced-trade-ws-user.coinbase.com");
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/\"\nuser_ws_url = \"ws://127.0.0.1:9/user\""
            .parse()
            .unwrap();
        let cfg = c.config(&id, &t, &ctx()).unwrap();
        assert_eq!(
            (
                cfg.rest_url.as_str(),
                cfg.ws_url.as_str(),
                cfg.user_ws_url.as_str()
            ),
            (
                "http://127.0.0.1:9",
                "ws://127.0.0.1:9/",
                "ws://127.0.0.1:9/user"
            )
        );
        let only_ws: toml::Table = "ws_url = \"ws://127.0.0.1:9/\"".parse().unwrap();
        let cfg = c.config(&id, &only_ws, &ctx()).unwrap();
        assert_eq!(
            cfg.user_ws_url, "ws://127.0.0.1:9/",
            "the market endpoint serves user too"
        );
        let bad = |text: &str| c.config(&id, &text.parse().unwrap(), &ctx()).unwrap_err();
        match bad("passphrase = \"x\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "passphrase");
                assert_eq!(accepted, "rest_url, ws_url, user_ws_url, client_id_prefix");
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            bad("ws_url = \"http://x\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            bad("client_id_prefix = \"a:b\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            c.config(
                &"coinbase_advanced@ethereum".parse().unwrap(),
                &toml::Table::new(),
                &ctx()
            ),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
