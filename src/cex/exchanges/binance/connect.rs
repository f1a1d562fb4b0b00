//! Binance and Binance US build themselves: the `[connect.binance]` table (`rest_url`, `ws_url`,
//! `ws_api_url`, `user_stream`; the production endpoints by default; `maker_fee`, `taker_fee`:
//! the account's fee tier; `reconcile_interval_ms`), the API keys from the home's key store when
//! trading, or from the context's keys in memory when it holds them (none for quotes and books).
//! The venue's id is the one it is connected as (`sim-binance` when a table says
//! `connector = "binance"`). The lifecycle behind `Venue::start` /
//! `Venue::close` (a live book per pair, the user stream and the order reconciler) is the
//! framework's ([`crate::cex::venue`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};

use super::{BinanceConfig, BinanceSpot, DESCRIPTOR, DESCRIPTOR_US, UserStreamMode};
use crate::venue::connector::{off_chain, parse_config, url_value};
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
    /// The account's maker fee rate as a decimal string (`"0.00075"` = 0.075 %; default: the
    /// base tier, 0.1 %). Quotes and the strategy's edges count it.
    #[serde(default, deserialize_with = "decimal_string")]
    pub maker_fee: Option<Decimal>,
    /// The account's taker fee rate, as `maker_fee`.
    #[serde(default, deserialize_with = "decimal_string")]
    pub taker_fee: Option<Decimal>,
    /// How often a started venue polls the orders its user stream may have missed, in
    /// milliseconds (default 5000).
    pub reconcile_interval_ms: Option<u64>,
}

/// A decimal written as a string: a TOML float would pass through `f64`.
fn decimal_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let text = String::deserialize(d)?;
    text.trim()
        .parse::<Decimal>()
        .map(Some)
        .map_err(|e| serde::de::Error::custom(format!("{text:?} is not a decimal: {e}")))
}

/// The table's parts that are not in [`BinanceConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinanceExtras {
    /// The reconciler's interval, when the table sets one.
    pub reconcile_interval: Option<Duration>,
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
        Ok(self.config_and_extras(id, table, ctx)?.0)
    }

    /// As [`BinanceConnector::config`], with the table's values that are not Binance's config.
    pub fn config_and_extras(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<(BinanceConfig, BinanceExtras), ConnectError> {
        off_chain(id, self.descriptor.name)?;
        let c: BinanceConnect = parse_config(id, table, ctx)?;
        let base = BinanceConfig::for_venue(self.descriptor.name).ok_or_else(|| {
            ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: "no Binance deployment of this name".into(),
            }
        })?;
        let url = |key: &str, value: Option<String>, default: &str, schemes: &[&str]| {
            url_value(id, ctx, key, value, default, schemes)
        };
        let fee = |key: &str, value: Option<Decimal>, default: Decimal| match value {
            None => Ok(default),
            Some(f) if f >= Decimal::ZERO && f < Decimal::ONE => Ok(f),
            Some(f) => Err(ConnectError::bad_value(
                id,
                ctx,
                key,
                format!("{f} is not a fee rate in [0, 1)"),
            )),
        };
        let reconcile_interval = match c.reconcile_interval_ms {
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
        let cfg = BinanceConfig {
            name: id.to_string(),
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
            ws_url: url("ws_url", c.ws_url, &base.ws_url, &["ws", "wss"])?,
            ws_api_url: url("ws_api_url", c.ws_api_url, &base.ws_api_url, &["ws", "wss"])?,
            user_stream: c.user_stream.unwrap_or(base.user_stream),
            maker_fee: fee("maker_fee", c.maker_fee, base.maker_fee)?,
            taker_fee: fee("taker_fee", c.taker_fee, base.taker_fee)?,
            ..base
        };
        Ok((cfg, BinanceExtras { reconcile_interval }))
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
        let (cfg, extras) = self.config_and_extras(id, config, ctx)?;
        let creds =
            crate::cex::venue::credentials::trading_credentials(id, self.descriptor.name, ctx)?;
        let venue = BinanceSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
        if let Some(every) = extras.reconcile_interval {
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
    fn the_fee_tier_and_the_reconcile_interval_come_from_the_table() {
        let id: VenueId = "sim-binance".parse().unwrap();
        let (cfg, extras) = BINANCE
            .config_and_extras(&id, &toml::Table::new(), &ctx())
            .unwrap();
        assert_eq!(
            (cfg.maker_fee, cfg.taker_fee),
            (Decimal::new(1, 3), Decimal::new(1, 3))
        );
        assert_eq!(extras.reconcile_interval, None);
        assert_eq!(cfg.name, "sim-binance", "the venue is named as connected");
        let t: toml::Table =
            "maker_fee = \"0.00075\"\ntaker_fee = \" 0.002 \"\nreconcile_interval_ms = 250"
                .parse()
                .unwrap();
        let (cfg, extras) = BINANCE.config_and_extras(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.maker_fee, Decimal::new(75, 5));
        assert_eq!(cfg.taker_fee, Decimal::new(2, 3));
        assert_eq!(extras.reconcile_interval, Some(Duration::from_millis(250)));
    }

    #[tokio::test]
    async fn trading_keys_come_from_memory_when_the_context_holds_them() {
        use crate::venue::connector::{ApiKey, MemoryKeys};
        let id: VenueId = "sim-binance".parse().unwrap();
        let keys = MemoryKeys::new().with_api_key("sim-binance", ApiKey::new("k1", "s1"));
        let trading = ctx().with_keys(keys);
        let venue = BINANCE
            .connect(&id, &toml::Table::new(), &trading)
            .await
            .unwrap();
        assert_eq!(venue.id(), &id);
        // keys held for another label only: refused by name, the home never read
        let other =
            ctx().with_keys(MemoryKeys::new().with_api_key("binance", ApiKey::new("k", "s")));
        match BINANCE.connect(&id, &toml::Table::new(), &other).await {
            Err(ConnectError::Secrets { venue, reason }) => {
                assert_eq!(venue, "sim-binance");
                assert!(
                    reason.contains("no API key in memory for sim-binance"),
                    "{reason}"
                );
            }
            other => panic!("{:?}", other.map(|v| v.id().clone())),
        }
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
                assert_eq!(
                    accepted,
                    "rest_url, ws_url, ws_api_url, user_stream, maker_fee, taker_fee, \
                     reconcile_interval_ms"
                );
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
        for (text, key) in [
            ("maker_fee = 0.001", "maker_fee"),
            ("maker_fee = \"-0.001\"", "maker_fee"),
            ("taker_fee = \"1\"", "taker_fee"),
            ("taker_fee = \"ten\"", "taker_fee"),
            ("reconcile_interval_ms = 0", "reconcile_interval_ms"),
        ] {
            match bad(text) {
                ConnectError::BadValue { key: k, .. } => assert_eq!(k, key, "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
        let on_chain: VenueId = "binance@ethereum".parse().unwrap();
        assert!(matches!(
            BINANCE.config(&on_chain, &toml::Table::new(), &ctx()),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
