//! What every EVM AMM connector does to build itself, written once: its `[connect."<amm>@<chain>"]`
//! table (`rpc_url`, `wallet`, `account_index`, `manifest`, `approval`, `sync_interval_ms`,
//! `fee_currency`), the
//! node (chain id checked against the spec), the tokens (chain spec, then a deployment manifest),
//! and, when trading, the wallet's signer behind a transaction tracker. Quotes need no wallet.

use std::marker::PhantomData;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy::network::EthereumWallet;
use alloy::providers::DynProvider;
use async_trait::async_trait;
use serde::Deserialize;

use super::venue::{EvmAmmVenue, PoolModel};
use crate::amm::AmmError;
use crate::amm::tokens::TokenBook;
use crate::chain::ChainSpec;
use crate::chain::deployment::Manifest;
use crate::chain::evm::{ApprovalPolicy, EvmClient, TrackerConfig, TxTracker};
use crate::core::Asset;
use crate::venue::connector::{Access, parse_config};
use crate::venue::{
    ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueError, VenueId,
};

/// How often a started venue follows the chain unless the table says otherwise.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_millis(500);

/// How much a swap approves when an allowance is short.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Exactly the amount needed (default).
    #[default]
    Exact,
    /// `type(uint256).max`, once.
    Unlimited,
}

/// The table of an EVM AMM venue.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvmAmmConnect {
    /// JSON-RPC endpoint (default: the chain spec's first).
    pub rpc_url: Option<String>,
    /// The sluice wallet that signs swaps; needed only to trade.
    pub wallet: Option<String>,
    /// Account index within the wallet (default 0).
    #[serde(default)]
    pub account_index: u64,
    /// A deployment manifest (`sluice anvil up`): protocol addresses and token symbols, instead
    /// of the chain spec's.
    pub manifest: Option<PathBuf>,
    /// `exact` (default) or `unlimited`.
    #[serde(default)]
    pub approval: Approval,
    /// How often a started venue follows the chain, in milliseconds (default 500).
    pub sync_interval_ms: Option<u64>,
    /// Pay gas in this token (a symbol of the chain's tokens, e.g. `"cUSD"`, or an address):
    /// CIP-64 transactions, on a chain whose fee model is Celo's only.
    pub fee_currency: Option<String>,
}

/// Everything an EVM AMM venue is built from.
#[derive(Debug)]
pub struct EvmAmmParts {
    pub chain: ChainSpec,
    pub provider: DynProvider,
    pub native: Asset,
    pub tokens: TokenBook,
    /// The manifest's deployment, when the table names one.
    pub manifest: Option<Manifest>,
    /// The signer and approval policy, when trading.
    pub executor: Option<(TxTracker, ApprovalPolicy)>,
    pub sync_interval: Duration,
}

/// Parses the table and opens what it names: the node, the tokens, the wallet when trading.
pub async fn open(
    id: &VenueId,
    table: &toml::Table,
    ctx: &ConnectContext,
) -> Result<EvmAmmParts, ConnectError> {
    let c: EvmAmmConnect = parse_config(id, table, ctx)?;
    let spec = ctx.chain_of(id)?;
    let url = match (&c.rpc_url, spec.rpc_urls.first()) {
        (Some(u), _) | (None, Some(u)) => u.clone(),
        (None, None) => {
            return Err(ConnectError::missing(
                id,
                ctx,
                "rpc_url",
                &format!("chain {} lists no RPC URL", spec.name),
            ));
        }
    };
    if ctx.access == Access::Trade && c.wallet.is_none() {
        return Err(ConnectError::missing(
            id,
            ctx,
            "wallet",
            "swaps are signed by a sluice wallet (see `sluice wallet list`)",
        ));
    }
    if c.sync_interval_ms == Some(0) {
        return Err(ConnectError::bad_value(
            id,
            ctx,
            "sync_interval_ms",
            "must be at least 1",
        ));
    }
    let fee_currency = match &c.fee_currency {
        None => None,
        Some(v) => Some(
            spec.fee_currency(v)
                .map_err(|e| ConnectError::bad_value(id, ctx, "fee_currency", e.to_string()))?,
        ),
    };
    let manifest = match &c.manifest {
        None => None,
        Some(path) => Some(
            Manifest::read_file(path)
                .map_err(|e| ConnectError::bad_value(id, ctx, "manifest", e.to_string()))?,
        ),
    };
    let client = EvmClient::connect(spec, &url)
        .await
        .map_err(|e| ConnectError::venue(id, VenueError::Chain(e.to_string())))?;
    // A manifest is for the node it was deployed on: refuse one of another chain or genesis.
    if let (Some(m), Some(path)) = (&manifest, &c.manifest) {
        m.check_on(&path.display().to_string(), client.provider())
            .await
            .map_err(|e| ConnectError::bad_value(id, ctx, "manifest", e.to_string()))?;
    }
    let mut tokens = TokenBook::from_chain_spec(spec);
    if let Some(m) = &manifest {
        tokens.add_manifest(m);
    }
    let native = Asset::new(&spec.native.symbol).map_err(|e| ConnectError::venue(id, e))?;
    let executor = match (ctx.access, &c.wallet) {
        (Access::Trade, Some(name)) => {
            let signer = ctx
                .wallet(id, name)?
                .evm_signer(spec, c.account_index)
                .map_err(|e| ConnectError::secrets(id, e))?;
            let config = TrackerConfig::for_client(&client);
            let mut tracker = TxTracker::new(client.clone(), EthereumWallet::from(signer), config);
            if let Some(token) = fee_currency {
                let chain_err = |e: crate::chain::evm::EvmError| {
                    ConnectError::venue(id, VenueError::Chain(e.to_string()))
                };
                let info = client.fee_currency_info(token).await.map_err(chain_err)?;
                tracker = tracker.with_fee_currency(info).map_err(chain_err)?;
            }
            let policy = match c.approval {
                Approval::Exact => ApprovalPolicy::Exact,
                Approval::Unlimited => ApprovalPolicy::Unlimited,
            };
            Some((tracker, policy))
        }
        _ => None,
    };
    Ok(EvmAmmParts {
        chain: spec.clone(),
        provider: client.provider().clone(),
        native,
        tokens,
        manifest,
        executor,
        sync_interval: c
            .sync_interval_ms
            .map_or(DEFAULT_SYNC_INTERVAL, Duration::from_millis),
    })
}

/// A pool model that knows where its protocol's contracts are: in a deployment manifest when
/// the table names one, else in the chain spec.
pub trait ModelFromChain: PoolModel {
    fn from_chain(manifest: Option<&Manifest>, chain: &ChainSpec) -> Result<Self, AmmError>;
}

/// The connector of every EVM AMM: the shared table and parts ([`open`]), the protocol's model
/// from the manifest or the chain spec, the generic venue, and the swap executor when trading.
/// A protocol's connector is one `static` of it (`uniswap_v3/connect.rs`).
pub struct EvmAmmConnector<M>(PhantomData<fn() -> M>);

impl<M> EvmAmmConnector<M> {
    pub const fn new() -> Self {
        Self(PhantomData)
    }
}

impl<M> Default for EvmAmmConnector<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M> std::fmt::Debug for EvmAmmConnector<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EvmAmmConnector")
    }
}

#[async_trait]
impl<M: ModelFromChain> Connector for EvmAmmConnector<M> {
    fn descriptor(&self) -> ConnectorDescriptor {
        M::DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let parts = open(id, config, ctx).await?;
        let model = M::from_chain(parts.manifest.as_ref(), &parts.chain)
            .map_err(|e| ConnectError::venue(id, e))?;
        let mut venue = EvmAmmVenue::open(
            &parts.chain.name,
            parts.native,
            parts.provider,
            model,
            parts.tokens,
        )
        .await
        .map_err(|e| ConnectError::venue(id, e))?
        .with_sync_interval(parts.sync_interval);
        if let Some((tracker, policy)) = parts.executor {
            venue = venue.with_executor(tracker, policy);
        }
        Ok(venue.shared())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::ChainSpecs;
    use crate::venue::connector::{FixedPassword, config_keys};
    use std::path::Path;
    use std::sync::Arc;

    fn ctx() -> ConnectContext {
        ConnectContext::new(
            Path::new("/nonexistent"),
            ChainSpecs::builtin().unwrap(),
            Path::new("arb.toml"),
        )
    }

    #[test]
    fn the_accepted_keys() {
        assert_eq!(
            config_keys::<EvmAmmConnect>(),
            [
                "rpc_url",
                "wallet",
                "account_index",
                "manifest",
                "approval",
                "sync_interval_ms",
                "fee_currency"
            ]
        );
    }

    /// Refusals that need no node: they come before any connection.
    #[tokio::test]
    async fn trading_without_a_wallet_and_bad_values_are_refused_before_connecting() {
        let id: VenueId = "uniswap_v3@anvil".parse().unwrap();
        let url: toml::Table = "rpc_url = \"http://127.0.0.1:9\"".parse().unwrap();
        let trading = ctx().trading(Arc::new(FixedPassword("pw".into())));
        match open(&id, &url, &trading).await.unwrap_err() {
            ConnectError::MissingField { field, table, .. } => {
                assert_eq!(field, "wallet");
                assert_eq!(table, "connect.\"uniswap_v3@anvil\"");
            }
            other => panic!("{other:?}"),
        }
        let manifest: toml::Table = "manifest = \"/nonexistent/m.json\"".parse().unwrap();
        match open(&id, &manifest, &ctx()).await.unwrap_err() {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "manifest"),
            other => panic!("{other:?}"),
        }
        // A fee currency: refused on a chain whose fee model is not Celo's, and an unknown one.
        let fc: toml::Table = "rpc_url = \"http://127.0.0.1:9\"\nfee_currency = \"cUSD\""
            .parse()
            .unwrap();
        match open(&id, &fc, &ctx()).await.unwrap_err() {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "fee_currency"),
            other => panic!("{other:?}"),
        }
        let celo: VenueId = "uniswap_v3@celo".parse().unwrap();
        let doge: toml::Table = "rpc_url = \"http://127.0.0.1:9\"\nfee_currency = \"DOGE\""
            .parse()
            .unwrap();
        match open(&celo, &doge, &ctx()).await.unwrap_err() {
            ConnectError::BadValue { key, .. } => assert_eq!(key, "fee_currency"),
            other => panic!("{other:?}"),
        }
        let chainless: VenueId = "uniswap_v3".parse().unwrap();
        assert!(matches!(
            open(&chainless, &url, &ctx()).await.unwrap_err(),
            ConnectError::BadVenueId { .. }
        ));
        let unknown: VenueId = "uniswap_v3@atlantis".parse().unwrap();
        assert!(matches!(
            open(&unknown, &url, &ctx()).await.unwrap_err(),
            ConnectError::BadVenueId { .. }
        ));
    }
}
