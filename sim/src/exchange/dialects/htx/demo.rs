//! The simulated HTX as the arbitrage environment and `sluice demo --exchange htx` drive
//! it: the [`SimExchange`] handle over [`MockHtx`]. Symbols are HTX's lower-case `basequote`; HTX
//! lists no fee per symbol, so the connector is told the listing's fee in its table.

use std::time::Duration;

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{HtxMockConfig, MockHtx};
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};

fn pair(base: &str, quote: &str) -> String {
    format!("{base}{quote}").to_ascii_lowercase()
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("HTX", e)
}

impl SimExchange for MockHtx {
    const CONNECTOR: &'static str = "htx";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let name = pair(&listing.base, &listing.quote);
        let mut cfg = HtxMockConfig::default();
        list_pair(&mut cfg.symbols, &name, &listing);
        cfg.balances.extend(listing.balances);
        MockHtx::start_with(cfg).await.map_err(env_error)
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
        MockHtx::seed_book(self, &pair(base, quote), mid, levels, spacing_ticks, qty)
            .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([("rest_url", self.rest_url()), ("ws_url", self.ws_url())])
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret())
    }

    /// HTX lists no fee per symbol: the connector is told the listing's rate.
    fn tuning(fee: Decimal, reconcile: Duration) -> toml::Table {
        let mut t = toml::Table::new();
        for key in ["maker_fee", "taker_fee"] {
            t.insert(key.into(), toml::Value::String(fee.to_string()));
        }
        let ms = i64::try_from(reconcile.as_millis()).unwrap_or(i64::MAX);
        t.insert("reconcile_interval_ms".into(), toml::Value::Integer(ms));
        t
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
        MockHtx::stop(self);
    }
}
