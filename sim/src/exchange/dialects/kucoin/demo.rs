//! The simulated KuCoin as the arbitrage environment and `sluice demo --exchange kucoin` drive
//! it: the [`SimExchange`] handle over [`MockKuCoin`]. Symbols are KuCoin's `BASE-QUOTE`; KuCoin's
//! symbol list carries no fee, so the environment's fee goes to the connector through its table
//! (`maker_fee`, `taker_fee`), and the trader's key carries KuCoin's passphrase.

use std::time::Duration;

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{KuCoinConfig, MockKuCoin};
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};

fn symbol(base: &str, quote: &str) -> String {
    format!("{base}-{quote}")
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("KuCoin", e)
}

impl SimExchange for MockKuCoin {
    const CONNECTOR: &'static str = "kucoin";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let name = symbol(&listing.base, &listing.quote);
        let mut cfg = KuCoinConfig::default();
        list_pair(&mut cfg.symbols, &name, &listing);
        cfg.balances.extend(listing.balances);
        MockKuCoin::start_with(cfg).await.map_err(env_error)
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
        MockKuCoin::seed_book(self, &symbol(base, quote), mid, levels, spacing_ticks, qty)
            .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([("rest_url", self.rest_url())])
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret()).with_passphrase(self.passphrase())
    }

    fn tuning(fee: Decimal, _reconcile: Duration) -> toml::Table {
        let mut t = toml::Table::new();
        let fee = toml::Value::String(fee.to_string());
        t.insert("maker_fee".into(), fee.clone());
        t.insert("taker_fee".into(), fee);
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
        MockKuCoin::stop(self);
    }
}
