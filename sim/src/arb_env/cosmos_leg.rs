//! The AMM leg on a local Cosmos chain (the Terraswap pair of the local Terra): the chain started
//! beside the environment's anvil with the dev mnemonic's accounts funded and the pools seeded
//! ([`LocalTerra`]), the `[connect.terra_swap@…]` table that points the venue at it, and the
//! trader's bank balances read from the chain itself.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use sluice::core::from_units;

use super::{ArbEnvError, ArbEnvOptions, DEV_WALLET, setup};
use crate::cosmos::{Flavor, LocalTerra};

/// A running local Cosmos chain and the trader's account on it.
pub struct CosmosLeg {
    pub chain: LocalTerra,
    /// The trader's address (dev account `account_index`).
    pub trader: String,
}

impl std::fmt::Debug for CosmosLeg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CosmosLeg")
            .field("lcd_url", &self.chain.lcd_url())
            .field("trader", &self.trader)
            .finish()
    }
}

impl CosmosLeg {
    /// Starts the local chain of `flavor` on a free port; the trader is dev account `index`.
    pub async fn start(flavor: Flavor, index: u64) -> Result<Self, ArbEnvError> {
        let chain = LocalTerra::start(flavor, 0).await.map_err(setup)?;
        let trader = chain
            .accounts
            .iter()
            .find(|a| u64::from(a.index) == index)
            .map(|a| a.address.clone())
            .ok_or_else(|| {
                setup(format!(
                    "dev account {index} is not funded on the local chain"
                ))
            })?;
        Ok(Self { chain, trader })
    }

    /// The AMM venue's table: this node, the dev wallet's account.
    pub fn table(&self, o: &ArbEnvOptions) -> toml::Table {
        let s = |v: &str| toml::Value::String(v.to_string());
        let mut t = toml::Table::new();
        if o.simulated_names {
            t.insert(
                sluice::connectors::CHAIN_KEY.into(),
                s(&self.chain.spec.name),
            );
        }
        t.insert("lcd_url".into(), s(self.chain.lcd_url()));
        t.insert("wallet".into(), s(DEV_WALLET));
        t.insert(
            "account_index".into(),
            toml::Value::Integer(i64::try_from(o.account_index).unwrap_or(i64::MAX)),
        );
        t
    }

    /// The trader's balances of `symbols` (bank coins of the chain spec's tokens), in whole units.
    pub fn holdings(&self, symbols: &[&str]) -> Result<BTreeMap<String, Decimal>, ArbEnvError> {
        let mut out = BTreeMap::new();
        let chain = self.chain.node.chain();
        for symbol in symbols {
            let token = self
                .chain
                .spec
                .token(symbol)
                .ok_or_else(|| setup(format!("{symbol} is not a token of the local chain")))?;
            let units = match &token.denom {
                Some(d) => chain.balance(&self.trader, d),
                None => match &token.address {
                    Some(a) => self.chain.contracts.token_balance(a, &self.trader),
                    None => 0,
                },
            };
            let amount =
                from_units(alloy::primitives::U256::from(units), token.decimals).map_err(setup)?;
            out.insert((*symbol).to_string(), amount);
        }
        Ok(out)
    }
}
