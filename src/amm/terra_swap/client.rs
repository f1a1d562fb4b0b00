//! The pair and token queries over the LCD (`/cosmwasm/wasm/v1/contract/{addr}/smart/{query}`):
//! a pair found through the factory, its pool, an Astroport pair's factory and that factory's fees, the contract's own `simulation` and
//! `reverse_simulation`, CW20 balances. Answers are parsed into [`super::msg`] types; a malformed
//! one is a protocol error, never a panic.

use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::msg::{
    Asset, AssetInfo, BalanceResponse, FeeInfoResponse, PairConfigResponse, PairInfo, PairType,
    PoolResponse, ReverseSimulationResponse, SimulationResponse,
};
use crate::chain::cosmos::CosmosError;
use crate::chain::cosmos::lcd::LcdClient;

/// Smart queries of one chain's Terraswap contracts.
#[derive(Debug, Clone)]
pub struct PairClient {
    lcd: LcdClient,
}

fn parse<T: DeserializeOwned>(what: &str, v: Value) -> Result<T, CosmosError> {
    serde_json::from_value(v)
        .map_err(|e| CosmosError::invalid(format!("malformed {what} answer: {e}")))
}

impl PairClient {
    pub fn new(lcd: LcdClient) -> Self {
        Self { lcd }
    }

    pub fn lcd(&self) -> &LcdClient {
        &self.lcd
    }

    /// The factory's pair of these two assets (either order).
    pub async fn find_pair(
        &self,
        factory: &str,
        assets: &[AssetInfo; 2],
    ) -> Result<PairInfo, CosmosError> {
        let v = self
            .lcd
            .smart_query(factory, &json!({"pair": {"asset_infos": assets}}))
            .await?;
        parse("factory pair", v)
    }

    pub async fn pair_info(&self, pair: &str) -> Result<PairInfo, CosmosError> {
        parse(
            "pair",
            self.lcd.smart_query(pair, &json!({"pair": {}})).await?,
        )
    }

    pub async fn pool(&self, pair: &str) -> Result<PoolResponse, CosmosError> {
        parse(
            "pool",
            self.lcd.smart_query(pair, &json!({"pool": {}})).await?,
        )
    }

    /// The pair's own `simulation` query.
    pub async fn simulation(
        &self,
        pair: &str,
        offer: &Asset,
    ) -> Result<SimulationResponse, CosmosError> {
        let q = json!({"simulation": {"offer_asset": offer}});
        parse("simulation", self.lcd.smart_query(pair, &q).await?)
    }

    /// The pair's own `reverse_simulation` query.
    pub async fn reverse_simulation(
        &self,
        pair: &str,
        ask: &Asset,
    ) -> Result<ReverseSimulationResponse, CosmosError> {
        let q = json!({"reverse_simulation": {"ask_asset": ask}});
        parse("reverse simulation", self.lcd.smart_query(pair, &q).await?)
    }

    /// An Astroport factory's fees for its pairs of `pair_type`.
    pub async fn fee_info(
        &self,
        factory: &str,
        pair_type: &PairType,
    ) -> Result<FeeInfoResponse, CosmosError> {
        let q = json!({"fee_info": {"pair_type": pair_type}});
        parse("fee info", self.lcd.smart_query(factory, &q).await?)
    }

    /// The factory of an Astroport pair (its `config`).
    pub async fn pair_factory(&self, pair: &str) -> Result<String, CosmosError> {
        let q = json!({"config": {}});
        let c: PairConfigResponse = parse("pair config", self.lcd.smart_query(pair, &q).await?)?;
        Ok(c.factory_addr)
    }

    /// A CW20 balance.
    pub async fn cw20_balance(&self, token: &str, address: &str) -> Result<u128, CosmosError> {
        let q = json!({"balance": {"address": address}});
        let r: BalanceResponse = parse("cw20 balance", self.lcd.smart_query(token, &q).await?)?;
        Ok(r.balance)
    }
}
