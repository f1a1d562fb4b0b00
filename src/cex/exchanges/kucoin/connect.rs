//! KuCoin builds itself: the `[connect.kucoin]` table (`rest_url`; the production endpoint
//! by default), the API keys — with their passphrase — from the home's key store when trading
//! (none for quotes and books). The lifecycle behind `Venue::start` / `Venue::close` is the
//! framework's.

use std::sync::Arc;

use async_trait::async_trait;
use serde::Deserialize;

use super::{DESCRIPTOR, KuCoinConfig, KuCoinSpot};
use crate::cex::auth::ApiCredentials;
use crate::cex::key_store::ApiKeyStore;
use crate::venue::connector::{Access, parse_config};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.kucoin]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KuCoinConnect {
    /// REST base URL (default `https://api.kucoin.com`).
    pub rest_url: Option<String>,
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
        if id.chain.is_some() {
            return Err(ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: "kucoin is an exchange, not on a chain".into(),
            });
        }
        let c: KuCoinConnect = parse_config(id, table, ctx)?;
        let base = KuCoinConfig::kucoin();
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
        Ok(KuCoinConfig {
            rest_url: url("rest_url", c.rest_url, &base.rest_url, &["http", "https"])?,
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
        let creds = match ctx.access {
            Access::ReadOnly => None,
            Access::Trade if ctx.keys.is_some() => {
                let key = match ctx.memory_api_key(id) {
                    Some(found) => found?,
                    None => return Err(ConnectError::secrets(id, "no keys in memory")),
                };
                let mut creds = ApiCredentials::new(key.key(), key.secret())
                    .map_err(|e| ConnectError::secrets(id, e))?;
                if let Some(p) = key.passphrase() {
                    creds = creds
                        .with_passphrase(p)
                        .map_err(|e| ConnectError::secrets(id, e))?;
                }
                Some(creds)
            }
            Access::Trade => {
                let password = ctx
                    .secrets
                    .wallet_password()
                    .map_err(|e| ConnectError::secrets(id, e))?;
                let creds = ApiKeyStore::new(&ctx.home)
                    .load(DESCRIPTOR.name, password.as_bytes())
                    .map_err(|e| ConnectError::secrets(id, e))?;
                Some(creds)
            }
        };
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
                assert_eq!(accepted, "rest_url");
            }
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
