//! Gate.io builds itself: the `[connect.gate_io]` table (`rest_url`, `ws_url`, `client_id_prefix`;
//! the production endpoints by default) and, when trading, the API keys from the home's key store.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{DESCRIPTOR, GateIoConfig, GateIoSpot};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.gate_io]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GateIoConnect {
    /// REST host (default `https://api.gateio.ws`; `/api/v4/…` is appended).
    pub rest_url: Option<String>,
    /// Websocket endpoint (default `wss://api.gateio.ws/ws/v4/`).
    pub ws_url: Option<String>,
    /// Prefix of generated client ids after Gate.io's `t-` (default `sl-`).
    pub client_id_prefix: Option<String>,
}

/// The Gate.io connector.
#[derive(Debug)]
pub struct GateIoConnector;

/// Gate.io spot.
pub static GATE_IO: GateIoConnector = GateIoConnector;

impl GateIoConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<GateIoConfig, ConnectError> {
        off_chain(id, "gate_io")?;
        let c: GateIoConnect = parse_config(id, table, ctx)?;
        let base = GateIoConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let prefix = match c.client_id_prefix {
            Some(p)
                if p.len() >= 20
                    || !p.chars().all(|ch| (super::api::CLIENT_ID_RULE.allowed)(ch)) =>
            {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 19 characters of 0-9 A-Z a-z _ - .",
                ));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        Ok(GateIoConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            client_id_prefix: prefix,
            ..base
        })
    }
}

#[async_trait]
impl Connector for GateIoConnector {
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
        let venue = GateIoSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
        let id: VenueId = "gate_io".parse().unwrap();
        let cfg = GATE_IO.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://api.gateio.ws");
        assert_eq!(cfg.ws_url, "wss://api.gateio.ws/ws/v4/");
        let t: toml::Table =
            "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/ws/v4/\""
                .parse()
                .unwrap();
        let cfg = GATE_IO.config(&id, &t, &ctx()).unwrap();
        assert_eq!(
            (cfg.rest_url.as_str(), cfg.ws_url.as_str()),
            ("http://127.0.0.1:9", "ws://127.0.0.1:9/ws/v4/")
        );
        let bad = |text: &str| {
            GATE_IO
                .config(&id, &text.parse().unwrap(), &ctx())
                .unwrap_err()
        };
        match bad("user_stream = \"auto\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "user_stream");
                assert_eq!(accepted, "rest_url, ws_url, client_id_prefix");
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
            GATE_IO.config(
                &"gate_io@ethereum".parse().unwrap(),
                &toml::Table::new(),
                &ctx()
            ),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
