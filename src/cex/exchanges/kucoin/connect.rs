//! KuCoin builds itself: the `[connect.kucoin]` table (`rest_url`, the production endpoint by
//! default; `maker_fee`, `taker_fee`), the API keys (with their passphrase) by the framework's
//! `trading_credentials` when trading, none for quotes and books. The lifecycle behind
//! `Venue::start` / `Venue::close` is the framework's.

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;
use serde::Deserialize;

use super::api::dec_str;
use super::{DESCRIPTOR, KuCoinConfig, KuCoinSpot};
use crate::venue::connector::{off_chain, parse_config, url_value};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.kucoin]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KuCoinConnect {
    /// REST base URL (default `https://api.kucoin.com`).
    pub rest_url: Option<String>,
    /// The account's maker fee rate as a decimal string (`"0.0008"`; default: level 0, 0.1 %).
    /// KuCoin's symbol list carries no fee; quotes and the strategy's edges count this one.
    #[serde(default, deserialize_with = "dec_str")]
    pub maker_fee: Option<Decimal>,
    /// The account's taker fee rate, as `maker_fee`.
    #[serde(default, deserialize_with = "dec_str")]
    pub taker_fee: Option<Decimal>,
}

/// The KuCoin connector.
#[derive(Debug)]
pub struct KuCoinConnector;

/// KuCoin spot.
pub static KUCOIN: KuCoinConnector = KuCoinConnector;

impl KuCoinConnector {
    /// The venue's configuration from its table (defaults: the production endpoints).
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<KuCoinConfig, ConnectError> {
        off_chain(id, "kucoin")?;
        let c: KuCoinConnect = parse_config(id, table, ctx)?;
        let base = KuCoinConfig::kucoin();
        let rate = |key: &str, value: Option<Decimal>, default: Decimal| {
            let r = value.unwrap_or(default);
            if (Decimal::ZERO..Decimal::ONE).contains(&r) {
                Ok(r)
            } else {
                Err(ConnectError::bad_value(
                    id,
                    ctx,
                    key,
                    format!("{r} is not a rate in [0, 1)"),
                ))
            }
        };
        Ok(KuCoinConfig {
            maker_fee: rate("maker_fee", c.maker_fee, base.maker_fee)?,
            taker_fee: rate("taker_fee", c.taker_fee, base.taker_fee)?,
            name: id.to_string(),
            rest_url: url_value(
                id,
                ctx,
                "rest_url",
                c.rest_url,
                &base.rest_url,
                &["http", "https"],
            )?,
            ..base
        })
    }
}

#[async_trait]
impl Connector for KuCoinConnector {
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
        let venue = KuCoinSpot::new(cfg, creds).map_err(|e| ConnectError::venue(id, e))?;
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
        let id: VenueId = "kucoin".parse().unwrap();
        let cfg = KUCOIN.config(&id, &toml::Table::new(), &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "https://api.kucoin.com");
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"".parse().unwrap();
        let cfg = KUCOIN.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.rest_url, "http://127.0.0.1:9");
        let t: toml::Table = "maker_fee = \"0.0008\"\ntaker_fee = \"0.002\""
            .parse()
            .unwrap();
        let cfg = KUCOIN.config(&id, &t, &ctx()).unwrap();
        assert_eq!(
            (cfg.maker_fee, cfg.taker_fee),
            (Decimal::new(8, 4), Decimal::new(2, 3))
        );
    }

    #[test]
    fn bad_tables_and_ids_are_refused_by_name() {
        let id: VenueId = "kucoin".parse().unwrap();
        let bad = |text: &str| {
            KUCOIN
                .config(&id, &text.parse().unwrap(), &ctx())
                .unwrap_err()
        };
        match bad("user_stream = \"x\"") {
            ConnectError::UnknownKey { key, accepted, .. } => {
                assert_eq!(key, "user_stream");
                assert_eq!(accepted, "rest_url, maker_fee, taker_fee");
            }
            other => panic!("{other:?}"),
        }
        match bad("taker_fee = \"1.5\"") {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "taker_fee"),
            other => panic!("{other:?}"),
        }
        match bad("rest_url = \"ws://127.0.0.1:1\"") {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "rest_url"),
            other => panic!("{other:?}"),
        }
        let on_chain: VenueId = "kucoin@ethereum".parse().unwrap();
        assert!(matches!(
            KUCOIN.config(&on_chain, &toml::Table::new(), &ctx()),
            Err(ConnectError::BadVenueId { .. })
        ));
    }
}
