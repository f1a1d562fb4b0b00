//! Coinbase Exchange builds itself: the `[connect.coinbase_pro]` table (`rest_url`, `ws_url`,
//! `client_id_prefix`, `heartbeat_check`; the production endpoints by default) and, when trading,
//! the API keys (key, base64 secret, passphrase) from the home's key store.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::depth::HeartbeatCheck;
use super::{CoinbaseProConfig, CoinbaseProSpot, DESCRIPTOR};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.coinbase_pro]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoinbaseProConnect {
    /// REST host (default `https://api.exchange.coinbase.com`).
    pub rest_url: Option<String>,
    /// Websocket feed (default `wss://ws-feed.exchange.coinbase.com`).
    pub ws_url: Option<String>,
    /// Prefix of generated client ids (default `sl-`; ids are at most 16 characters).
    pub client_id_prefix: Option<String>,
    /// `advance` (default: the production feed, whose sequence counts the whole full feed) or
    /// `count` (each book update is one sequence step: the simulator's feed).
    pub heartbeat_check: Option<String>,
}

/// The Coinbase Exchange connector.
#[derive(Debug)]
pub struct CoinbaseProConnector;

/// Coinbase Exchange (Coinbase Pro).
pub static COINBASE_PRO: CoinbaseProConnector = CoinbaseProConnector;

impl CoinbaseProConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<CoinbaseProConfig, ConnectError> {
        off_chain(id, "coinbase_pro")?;
        let c: CoinbaseProConnect = parse_config(id, table, ctx)?;
        let base = CoinbaseProConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let prefix = match c.client_id_prefix {
            Some(p)
                if p.len() >= 8
                    || !p.chars().all(|ch| (super::api::CLIENT_ID_RULE.allowed)(ch)) =>
            {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 7 characters of 0-9 A-Z a-z _ - .",
                ));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        let heartbeat_check = match c.heartbeat_check.as_deref() {
            None | Some("advance") => HeartbeatCheck::Advance,
            Some("count") => HeartbeatCheck::Count,
            Some(_) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "heartbeat_check",
                    "advance or count",
                ));
            }
        };
        Ok(CoinbaseProConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            client_id_prefix: prefix,
            heartbeat_check,
            ..base
        })
    }
}

#[async_trait]
impl Connector for CoinbaseProConnector {
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
        let venue = CoinbaseProSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
        let id: VenueId = "coinbase_pro".parse().unwrap();
        let cfg = COINBASE_PRO
            .config(&id, &toml::Table::new(), &ctx())
            .unwrap();
        assert_eq!(cfg.rest_url, "https://api.exchange.coinbase.com");
        assert_eq!(cfg.ws_url, "wss://ws-feed.exchange.coinbase.com");
        assert_eq!(cfg.heartbeat_check, HeartbeatCheck::Advance);
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/\"\nheartbeat_check = \"count\""
            .parse()
            .unwrap();
        let cfg = COINBASE_PRO.config(&id, &t, &ctx()).unwrap();
        assert_eq!(
            (
                cfg.rest_url.as_str(),
                cfg.ws_url.as_str(),
                cfg.heartbeat_check
            ),
            (
                "http://127.0.0.1:9",
                "ws://127.0.0.1:9/",
                HeartbeatCheck::Count
            )
        );
        let bad = |text: &str| {
            COINBASE_PRO
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
            bad("client_id_prefix = \"a:b\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            bad("heartbeat_check = \"never\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            COINBASE_PRO.config(
                &"coinbase_pro@ethereum".parse().unwrap(),
                &toml::Table::new(),
                &ctx()
            ),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
