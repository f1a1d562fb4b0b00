//! `terra_swap@<chain>` builds itself from its table ([`TerraSwapConfig`]): the LCD (checked to
//! serve the chain's id), the factory (the spec's `[protocols.terraswap]` unless named), the
//! wallet's Cosmos signer when trading, the sender configured from the chain spec's gas price and
//! burn tax.

use std::sync::Arc;

use async_trait::async_trait;
use rust_decimal::Decimal;

use super::client::PairClient;
use super::config::TerraSwapConfig;
use super::venue::{TerraSwapVenue, VenueParts};
use crate::chain::ChainFamily;
use crate::chain::cosmos::SignMode;
use crate::chain::cosmos::lcd::{LcdClient, LcdConfig};
use crate::chain::cosmos::sender::{CosmosSender, SenderConfig};
use crate::venue::connector::parse_config;
use crate::venue::{
    Access, ConnectContext, ConnectError, Connector, ConnectorDescriptor, ImplState, Venue,
    VenueError, VenueId,
};

/// The `terra_swap` connector (its line in `src/connectors.rs`).
pub static TERRA_SWAP: TerraSwapConnector = TerraSwapConnector;

pub struct TerraSwapConnector;

#[async_trait]
impl Connector for TerraSwapConnector {
    fn descriptor(&self) -> ConnectorDescriptor {
        ConnectorDescriptor {
            name: "terra_swap",
            module: "amm::terra_swap",
            state: ImplState::Partial(
                "Terraswap and Astroport XYK pairs (native and CW20), each quoted with its own contract's math (Astroport's fee from its factory): quotes, swaps, balances, the deepest pool of several factories, journal adoption; Astroport stable pairs are refused",
            ),
        }
    }

    async fn connect(
        &self,
        id: &VenueId,
        table: &toml::Table,
        ctx: &ConnectContext,
    ) -> Result<Arc<dyn Venue>, ConnectError> {
        let c: TerraSwapConfig = parse_config(id, table, ctx)?;
        let spec = ctx.chain_of(id)?.clone();
        if spec.family != ChainFamily::Cosmos {
            return Err(ConnectError::BadVenueId {
                venue: id.to_string(),
                reason: format!("terra_swap runs on a Cosmos chain, not {}", spec.name),
            });
        }
        let url = c
            .lcd_url
            .clone()
            .or_else(|| spec.lcd_urls.first().cloned())
            .ok_or_else(|| {
                ConnectError::missing(id, ctx, "lcd_url", "the chain spec has no LCD")
            })?;
        let lcd = LcdClient::connect(&url, &spec.chain_id.to_string(), LcdConfig::default())
            .await
            .map_err(|e| ConnectError::venue(id, VenueError::Network(e.to_string())))?;
        let mut scfg = SenderConfig::from_spec(&spec)
            .map_err(|e| ConnectError::venue(id, VenueError::Chain(e.to_string())))?;
        if let Some(m) = c.gas_margin {
            if m < Decimal::ONE {
                return Err(ConnectError::bad_value(
                    id,
                    ctx,
                    "gas_margin",
                    "must be at least 1",
                ));
            }
            scfg.gas_margin = m;
        }
        if let Some(mode) = &c.sign_mode {
            scfg.sign_mode = SignMode::parse(mode)
                .map_err(|e| ConnectError::bad_value(id, ctx, "sign_mode", e.to_string()))?;
        }
        let default_max_spread = c.default_max_spread.unwrap_or(Decimal::new(1, 2));
        if default_max_spread < Decimal::ZERO || default_max_spread >= Decimal::ONE {
            return Err(ConnectError::bad_value(
                id,
                ctx,
                "default_max_spread",
                "must be in [0, 1)",
            ));
        }
        if ctx.access == Access::Trade && c.wallet.is_none() {
            return Err(ConnectError::missing(
                id,
                ctx,
                "wallet",
                "swaps are signed by a sluice wallet (see `sluice wallet list`)",
            ));
        }
        let hrp = spec.bech32_prefix.clone().unwrap_or_else(|| "terra".into());
        let (sender, address) = match (ctx.access, &c.wallet) {
            (Access::Trade, Some(name)) => {
                // in memory (the demo, the tests), else unlocked from the home
                let signer = ctx
                    .wallet(id, name)?
                    .cosmos_signer(&spec, c.account_index)
                    .map_err(|e| ConnectError::secrets(id, e))?;
                let sender = CosmosSender::new(
                    lcd.clone(),
                    &spec.chain_id.to_string(),
                    &hrp,
                    signer,
                    scfg.clone(),
                )
                .map_err(|e| ConnectError::secrets(id, e))?;
                let address = sender.address().to_string();
                (Some(sender), Some(address))
            }
            _ => (None, None),
        };
        let mut factories: Vec<String> = c.factory.iter().chain(&c.factories).cloned().collect();
        if factories.is_empty() {
            factories = ["terraswap", "astroport"]
                .iter()
                .filter_map(|p| spec.protocols.get(*p)?.get("factory").cloned())
                .collect();
        }
        factories.dedup();
        Ok(Arc::new(TerraSwapVenue::new(VenueParts {
            id: id.clone(),
            spec: spec.clone(),
            client: PairClient::new(lcd),
            factories,
            named_pair: c.pair.clone(),
            named: c.pairs.clone(),
            sender,
            address,
            default_max_spread,
            gas_price: scfg.gas_price,
        })))
    }
}
