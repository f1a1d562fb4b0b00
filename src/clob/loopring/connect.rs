//! `loopring` builds itself: Loopring's exchange shut on 2026-06-28, so it connects only to the
//! URLs its `[connect.loopring]` table gives (`rest_url`, `ws_url`; none is a clear error). It
//! trades with the L2 key derived from the wallet's Ethereum key (`wallet`, account
//! `wallet_index`, `key_nonce`: as `sluice keys derive --venue loopring` derives it), the account
//! of that Ethereum address (`GET /api/v3/account`) and its API key: `api_key` if given, else
//! asked with the key's signature (`GET /api/v3/apiKey`).

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::Address;
use async_trait::async_trait;
use serde::Deserialize;

use super::keys::{MAINNET_EXCHANGE, derive_l2_key};
use super::recipe::LoopringRecipe;
use super::venue::{LoopringAccount, LoopringConfig};
use super::{DESCRIPTOR, loopring_venue, rest_client};
use crate::cex::sign::{Credentials, Signer};
use crate::venue::connector::{Access, closed_venue_urls, off_chain, parse_config};
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The `[connect.loopring]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoopringConnect {
    /// The REST host serving `/api/v3/…` (required: the exchange shut).
    pub rest_url: Option<String>,
    /// The websocket serving the `orderbook` topic (required: the exchange shut).
    pub ws_url: Option<String>,
    /// The wallet whose Ethereum key the L2 key is derived from.
    pub wallet: Option<String>,
    /// The account index under the wallet's Ethereum key path (default 0).
    pub wallet_index: Option<u64>,
    /// Loopring's key nonce (default 0; raised each time the account reset its key).
    pub key_nonce: Option<u64>,
    /// The account's API key, if known (else asked from `/api/v3/apiKey`).
    pub api_key: Option<String>,
    /// The exchange contract (default: Loopring v3's mainnet exchange).
    pub exchange: Option<String>,
    /// The largest fee an order accepts, in basis points (default 50).
    pub max_fee_bips: Option<u32>,
    /// How long resting orders are valid, in seconds (default 28 days).
    pub order_ttl_secs: Option<u64>,
    /// Prefix of generated client ids (default `sluice-`).
    pub client_id_prefix: Option<String>,
}

/// The connector.
#[derive(Debug)]
pub struct LoopringConnector;

/// Loopring.
pub static LOOPRING: LoopringConnector = LoopringConnector;

/// Why the venue has no default URL.
const CLOSED: &str = "Loopring's exchange shut on 2026-06-28";

impl LoopringConnector {
    /// The venue's configuration from its table.
    pub fn config(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<(LoopringConfig, LoopringConnect), ConnectError> {
        off_chain(id, DESCRIPTOR.name)?;
        let c: LoopringConnect = parse_config(id, table, ctx)?;
        let (rest_url, ws_url) =
            closed_venue_urls(id, ctx, CLOSED, c.rest_url.clone(), c.ws_url.clone())?;
        let exchange: Address = c
            .exchange
            .as_deref()
            .unwrap_or(MAINNET_EXCHANGE)
            .parse()
            .map_err(|_| ConnectError::bad_value(id, ctx, "exchange", "an Ethereum address"))?;
        let max_fee_bips = match c.max_fee_bips {
            Some(b) if b == 0 || b > 63 => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "max_fee_bips",
                    "1 to 63 basis points (the order's 6-bit field)",
                ));
            }
            Some(b) => b,
            None => 50,
        };
        let order_ttl = match c.order_ttl_secs {
            Some(0) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "order_ttl_secs",
                    "must be positive",
                ));
            }
            Some(s) => Duration::from_secs(s),
            None => Duration::from_secs(28 * 24 * 3600),
        };
        let prefix = match &c.client_id_prefix {
            Some(p) if p.len() >= 60 || !p.chars().all(super::venue::CLIENT_ID_RULE.allowed) => {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "client_id_prefix",
                    "at most 59 characters of 0-9 A-Z a-z - _ . :",
                ));
            }
            Some(p) => p.clone(),
            None => "sluice-".into(),
        };
        let cfg = LoopringConfig {
            name: id.to_string(),
            exchange,
            max_fee_bips,
            order_ttl,
            client_id_prefix: prefix,
            ..LoopringConfig::new(&rest_url, &ws_url)
        };
        Ok((cfg, c))
    }

    /// The L2 key of the table's wallet, or `None` when none is named or access is read-only.
    pub fn l2_key(
        &self,
        id: &VenueId,
        c: &LoopringConnect,
        cfg: &LoopringConfig,
        ctx: &ConnectContext,
    ) -> Result<Option<(Address, super::eddsa::EddsaKey)>, ConnectError> {
        if ctx.access == Access::ReadOnly {
            return Ok(None);
        }
        let Some(name) = &c.wallet else {
            return Ok(None);
        };
        let wallet = ctx.wallet(id, name)?;
        let chain = ctx.chains.get("ethereum").ok_or_else(|| {
            ConnectError::secrets(id, "no `ethereum` chain spec to derive the wallet's key on")
        })?;
        let signer = wallet
            .evm_signer(chain, c.wallet_index.unwrap_or(0))
            .map_err(|e| ConnectError::secrets(id, e))?;
        let key = derive_l2_key(
            &signer,
            &cfg.exchange.to_checksum(None),
            c.key_nonce.unwrap_or(0),
        )
        .map_err(|e| ConnectError::secrets(id, e))?;
        Ok(Some((signer.address(), key)))
    }
}

/// A signer of Loopring requests with `key` and `api_key` (empty: not issued yet).
pub fn loopring_signer(
    key: Arc<super::eddsa::EddsaKey>,
    base_url: &str,
    api_key: &str,
) -> Result<Signer, crate::cex::error::CexError> {
    let creds = Credentials::key_only(api_key)
        .map_err(|e| crate::cex::error::CexError::Invalid(format!("Loopring API key: {e}")))?;
    Ok(Signer::new(
        Box::new(LoopringRecipe::new(key, base_url)),
        creds,
    )?)
}

#[async_trait]
impl Connector for LoopringConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let (cfg, table) = self.config(id, config, ctx)?;
        let venue_err = |e| ConnectError::venue(id, e);
        let Some((owner, key)) = self.l2_key(id, &table, &cfg, ctx)? else {
            return Ok(Arc::new(loopring_venue(cfg, None).map_err(venue_err)?));
        };
        let key = Arc::new(key);
        // the account of the owner, and its API key asked with the L2 key's signature alone
        let bare = loopring_signer(key.clone(), &cfg.rest_url, "").map_err(venue_err)?;
        let boot = rest_client(&cfg.rest_url, Some(Arc::new(bare))).map_err(venue_err)?;
        let account = super::rest::account_of(&boot, &owner.to_checksum(None))
            .await
            .map_err(venue_err)?;
        let api_key = match table.api_key {
            Some(k) => zeroize::Zeroizing::new(k),
            None => zeroize::Zeroizing::new(
                super::rest::api_key(&boot, account.account_id)
                    .await
                    .map_err(venue_err)?
                    .api_key,
            ),
        };
        let account = LoopringAccount {
            account_id: account.account_id,
            key,
        };
        let venue = loopring_venue(cfg, Some((account, api_key.as_str()))).map_err(venue_err)?;
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
    fn without_urls_the_error_says_the_exchange_shut_and_names_the_key() {
        let id: VenueId = "loopring".parse().unwrap();
        let text = LOOPRING
            .config(&id, &toml::Table::new(), &ctx())
            .unwrap_err()
            .to_string();
        assert!(
            text.contains("shut on 2026-06-28")
                && text.contains("rest_url")
                && text.contains("connect.loopring"),
            "{text}"
        );
        let t: toml::Table = "rest_url = \"http://127.0.0.1:9\"".parse().unwrap();
        let text = LOOPRING.config(&id, &t, &ctx()).unwrap_err().to_string();
        assert!(
            text.contains("ws_url") && text.contains("2026-06-28"),
            "{text}"
        );
    }

    #[test]
    fn the_table_is_checked() {
        let id: VenueId = "loopring".parse().unwrap();
        let urls = "rest_url = \"http://127.0.0.1:9\"\nws_url = \"ws://127.0.0.1:9/v3/ws\"\n";
        let t: toml::Table = format!("{urls}max_fee_bips = 20").parse().unwrap();
        let (cfg, _) = LOOPRING.config(&id, &t, &ctx()).unwrap();
        assert_eq!(cfg.max_fee_bips, 20);
        assert_eq!(cfg.exchange.to_checksum(None), MAINNET_EXCHANGE);
        for (extra, key) in [
            ("max_fee_bips = 64", "max_fee_bips"),
            ("exchange = \"0x12\"", "exchange"),
            ("order_ttl_secs = 0", "order_ttl_secs"),
            ("client_id_prefix = \"a b\"", "client_id_prefix"),
        ] {
            let t: toml::Table = format!("{urls}{extra}").parse().unwrap();
            match LOOPRING.config(&id, &t, &ctx()).unwrap_err() {
                ConnectError::BadValue { key: k, .. } => assert_eq!(k, key),
                other => panic!("{extra}: {other:?}"),
            }
        }
        let t: toml::Table = format!("{urls}eddsa_key = \"0x1\"").parse().unwrap();
        assert!(matches!(
            LOOPRING.config(&id, &t, &ctx()).unwrap_err(),
            ConnectError::UnknownKey { .. }
        ));
    }
}
