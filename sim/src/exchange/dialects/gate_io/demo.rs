//! The simulated Gate.io as the arbitrage environment and `sluice demo --exchange gate_io` drive
//! it: the [`SimExchange`] handle over [`MockGateIo`]. Pairs are Gate.io's `BASE_QUOTE`; the fee of
//! the listing is the pair's fee in `currency_pairs`, which the connector reads.

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{GateConfig, MockGateIo};
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};

fn pair(base: &str, quote: &str) -> String {
    format!("{base}_{quote}")
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("Gate.io", e)
}

impl SimExchange for MockGateIo {
    const CONNECTOR: &'static str = "gate_io";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let name = pair(&listing.base, &listing.quote);
        let mut cfg = GateConfig::default();
        list_pair(&mut cfg.symbols, &name, &listing);
        cfg.balances.extend(listing.balances);
        MockGateIo::start_with(cfg).await.map_err(env_error)
    }

    fn seed_book(
        &self,
        base: &str,
        quote: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), ArbEnvError> {
        MockGateIo::seed_book(self, &pair(base, quote), mid, levels, spacing_ticks, qty)
            .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([("rest_url", self.rest_url()), ("ws_url", self.ws_url())])
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret())
    }

    fn holding(&self, asset: &str) -> Result<Decimal, ArbEnvError> {
        let b = self.balance(self.account(), asset);
        Ok(b.free + b.locked)
    }

    fn set_free(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        self.set_balance(self.account(), asset, free)
            .map_err(env_error)
    }

    fn stop(&self) {
        MockGateIo::stop(self);
    }
}
