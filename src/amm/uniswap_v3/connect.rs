//! `uniswap_v3@<chain>` builds itself: the shared EVM AMM table and parts
//! ([`crate::amm::evm_connect`]), the v3 contracts from the manifest or the chain spec, and the
//! swap executor when trading.

use std::sync::Arc;

use async_trait::async_trait;

use super::connector::{DESCRIPTOR, UniswapV3Venue, V3Contracts};
use crate::amm::evm_connect;
use crate::venue::{ConnectContext, ConnectError, Connector, ConnectorDescriptor, Venue, VenueId};

/// The Uniswap v3 connector.
#[derive(Debug)]
pub struct UniswapV3Connector;

#[async_trait]
impl Connector for UniswapV3Connector {
    fn descriptor(&self) -> ConnectorDescriptor {
        DESCRIPTOR
    }

    async fn connect(
        &self,
        id: &VenueId,
        config: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let parts = evm_connect::open(id, config, ctx).await?;
        let contracts = match &parts.manifest {
            Some(m) => V3Contracts::from(m),
            None => V3Contracts::from_chain_spec(&parts.chain)
                .map_err(|e| ConnectError::venue(id, e))?,
        };
        let mut venue = UniswapV3Venue::connect(
            &parts.chain.name,
            parts.native,
            parts.provider,
            contracts,
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
