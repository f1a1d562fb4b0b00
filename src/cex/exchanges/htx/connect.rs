//! HTX builds itself: the `[connect.htx]` table (`rest_url`, `ws_url`, `client_id_prefix`; the
//! production endpoints by default; `maker_fee`, `taker_fee`: the account's fee rates as decimal
//! strings, 0.2 % by default; `reconcile_interval_ms`) and, when trading, the API keys from the
//! home's key store.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::{DESCRIPTOR, HtxConfig, HtxSpot};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.htx]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HtxConnect {
    /// REST host (default `https://api.huobi.pro`).
    pub rest_url: Option<String>,
    /// WebSocket base (default `wss://api.huobi.pro`; `/feed` and `/ws/v2` are appended).
    pub ws_url: Option<String>,
    /// Prefix of generated client order ids (default `sluice-`).
    pub client_id_prefix: Option<String>,
    /// The account's maker fee rate as a decimal string (`"0.002"` = 0.2 %, the default).
    pub maker_fee: Option<String>,
    /// The account's taker fee rate, as `maker_fee`.
    pub taker_fee: Option<String>,
    /// How often a started venue polls the orders its private stream may have missed, in
    /// milliseconds (default 5000).
    pub reconcile_interval_ms: Option<u64>,
}

/// The HTX connector.
#[derive(Debug)]
pub struct HtxConnector;

/// HTX spot.
pub static HTX: HtxConnector = HtxConnector;

impl HtxConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<(HtxConfig, Option<Duration>), ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: HtxConnect = parse_config(id, table, ctx)?;
        let fee = |key: &str, value: Option<String>, default: Decimal| match value {
            None => Ok(default),
            Some(t) => match super::api::parse_dec(t.trim()) {
                Some(f) if f >= Decimal::ZERO && f < Decimal::ONE => Ok(f),
                _ => Err(ConnectError::bad_value(
                    id,
                    ctx,
                    key,
                    format!("{t:?} is not a fee rate in [0, 1)"),
                )),
            },
        };
        let reconcile = match c.reconcile_interval_ms {
            Some(0) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "reconcile_interval_ms",
                    "must be at least 1",
                ));
            }
            ms => ms.map(Duration::from_millis),
        };
        let base = HtxConfig::default();
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let rule = &super::api::CLIENT_ID_RULE;
        let client_id_prefix = match c.client_id_prefix {
            Some(p) if p.len() > 32 || !p.chars().all(|ch| (rule.allowed)(ch)) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 32 characters of 0-9 A-Z a-z - _",
                ));
            }
            Some(p) => p,
            None => base.client_id_prefix.clone(),
        };
        let cfg = HtxConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            client_id_prefix,
            maker_fee: fee("maker_fee", c.maker_fee, base.maker_fee)?,
            taker_fee: fee("taker_fee", c.taker_fee, base.taker_fee)?,
            ..base
        };
        Ok((cfg, reconcile))
    }
}

#[async_trait]
impl Connector for HtxConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let (cfg, reconcile) = self.config(id, config, ctx)?;
        let creds = crate::cex::venue::credentials::trading_credentials(id, DESCRIPTOR.name, ctx)?;
        let venue = HtxSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
        if let Some(every) = reconcile {
            venue.set_reconcile_interval(every);
        }
        Ok(Arc::new(venue))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use std::path::Path;

    #[test]
    fn the_table_points_the_connector_anywhere_and_refuses_unknown_keys() {
        let ctx = ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        );
        let id: VenueId = "htx".parse().unwrap();
        let (cfg, reconcile) = HTX.config(&id, &toml::Table::new(), &ctx).unwrap();
        assert_eq!(reconcile, None);
        assert_eq!(cfg.rest_url, "https://api.huobi.pro");
        assert_eq!(cfg.ws_feed_url(), "wss://api.huobi.pro/feed");
        assert_eq!(cfg.ws_private_url(), "wss://api.huobi.pro/ws/v2");
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/\"\nmaker_fee = \"0.001\"\nreconcile_interval_ms = 250"
            .parse()
            .unwrap();
        let (cfg, reconcile) = HTX.config(&id, &t, &ctx).unwrap();
        assert_eq!(cfg.maker_fee, Decimal::new(1, 3));
        assert_eq!(cfg.taker_fee, Decimal::new(2, 3));
        assert_eq!(reconcile, Some(Duration::from_millis(250)));
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        assert_eq!(cfg.ws_private_url(), "ws://127.0.0.1:9/ws/v2");
        let bad = |text: &str| HTX.config(&id, &text.parse().unwrap(), &ctx).unwrap_err();
        assert!(matches!(
            bad("user_stream = \"auto\""),
            ConnectError::UnknownKey { .. }
        ));
        assert!(matches!(
            bad("ws_url = \"http://x\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            bad("taker_fee = \"1.5\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            bad("client_id_prefix = \"a:b\""),
            ConnectError::BadValue { .. }
        ));
        assert!(matches!(
            HTX.config(&"htx@ethereum".parse().unwrap(), &toml::Table::new(), &ctx),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
