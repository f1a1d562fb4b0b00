//! `bybit_perpetual` builds itself: the `[connect.bybit_perpetual]` table (`rest_url`, `ws_url`,
//! `private_ws_url`, `recv_window_ms`, `client_id_prefix`; Bybit's production endpoints by default) and, when
//! trading, the API keys stored under `bybit_perpetual`.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{BybitPerpConfig, BybitPerpetual, DESCRIPTOR};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.bybit_perpetual]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BybitPerpConnect {
    /// REST host (default `https://api.bybit.com`; `/v5/…` is appended).
    pub rest_url: Option<String>,
    /// The public linear stream (default `wss://stream.bybit.com/v5/public/linear`).
    pub ws_url: Option<String>,
    /// The private stream (default `/v5/private` on `ws_url`'s host).
    pub private_ws_url: Option<String>,
    /// `X-BAPI-RECV-WINDOW` in ms (default 5000, at most 60000).
    pub recv_window_ms: Option<u32>,
    /// Prefix of generated `orderLinkId`s (default `sluice-`).
    pub client_id_prefix: Option<String>,
}

/// The connector.
#[derive(Debug)]
pub struct BybitPerpConnector;

/// Bybit linear perpetuals.
pub static BYBIT_PERPETUAL: BybitPerpConnector = BybitPerpConnector;

impl BybitPerpConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<BybitPerpConfig, ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: BybitPerpConnect = parse_config(id, table, ctx)?;
        let base = BybitPerpConfig::default();
        let rule = &super::api::CLIENT_ID_RULE;
        let client_id_prefix = match c.client_id_prefix {
            Some(p) if p.len() > 16 || !p.chars().all(rule.allowed) => {
                let why = "at most 16 characters of 0-9 A-Z a-z - _";
                return Err(ConnectError::bad_value(id, ctx, "client_id_prefix", why));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        let recv_window_ms = match c.recv_window_ms {
            Some(w) if w == 0 || w > 60_000 => {
                let why = "between 1 and 60000 ms";
                return Err(ConnectError::bad_value(id, ctx, "recv_window_ms", why));
            }
            Some(w) => w,
            None => base.recv_window_ms,
        };
        let rest_url = url_value(
            id,
            ctx,
            "rest_url",
            c.rest_url,
            &base.rest_url,
            &["http", "https"],
        )?;
        let ws_url = url_value(id, ctx, "ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?;
        let private_ws_url = c
            .private_ws_url
            .map(|u| url_value(id, ctx, "private_ws_url", Some(u), "", &["ws", "wss"]))
            .transpose()?;
        Ok(BybitPerpConfig {
            name: id.to_string(),
            rest_url,
            ws_url,
            private_ws_url,
            recv_window_ms,
            client_id_prefix,
            ..base
        })
    }
}

#[async_trait]
impl Connector for BybitPerpConnector {
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
        let venue = BybitPerpetual::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
        Ok(Arc::new(venue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    #[test]
    fn defaults_overrides_and_refusals() {
        let ctx = ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        );
        let id: VenueId = "bybit_perpetual".parse().unwrap();
        let conf = |text: &str| BYBIT_PERPETUAL.config(&id, &text.parse().unwrap(), &ctx);
        let cfg = conf("").unwrap();
        assert_eq!(cfg.rest_url, "https://api.bybit.com");
        assert_eq!(cfg.ws_url, "wss://stream.bybit.com/v5/public/linear");
        assert_eq!(cfg.private_url(), "wss://stream.bybit.com/v5/private");
        let cfg = conf("ws_url = \"ws://127.0.0.1:9/v5/public/linear\"").unwrap();
        assert_eq!(cfg.private_url(), "ws://127.0.0.1:9/v5/private");
        let cfg = conf("private_ws_url = \"ws://127.0.0.1:8/p\"").unwrap();
        assert_eq!(cfg.private_url(), "ws://127.0.0.1:8/p");
        assert!(matches!(
            conf("private_ws_url = \"https://x\""),
            Err(ConnectError::BadValue { .. })
        ));
        let cfg = conf("rest_url = \"http://127.0.0.1:9\"\nrecv_window_ms = 20000").unwrap();
        assert_eq!(
            (cfg.rest_url.as_str(), cfg.recv_window_ms),
            ("http://127.0.0.1:9", 20000)
        );
        assert!(matches!(
            conf("listen = 1"),
            Err(ConnectError::UnknownKey { .. })
        ));
        assert!(matches!(
            conf("ws_url = \"http://x\""),
            Err(ConnectError::BadValue { .. })
        ));
        assert!(matches!(
            conf("recv_window_ms = 0"),
            Err(ConnectError::BadValue { .. })
        ));
        assert!(matches!(
            conf("client_id_prefix = \"a.b\""),
            Err(ConnectError::BadValue { .. })
        ));
    }
}
