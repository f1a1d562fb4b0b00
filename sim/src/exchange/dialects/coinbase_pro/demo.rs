//! The simulated Coinbase Exchange as the arbitrage environment and `sluice demo --exchange
//! coinbase_pro` drive it: the [`SimExchange`] handle over [`MockCoinbasePro`]. Products are
//! Coinbase's `BASE-QUOTE`; the listing's fee is the account's `/fees` rate, which the connector
//! reads.

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{CbConfig, MockCoinbasePro, product_spec};
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};

fn product(base: &str, quote: &str) -> String {
    format!("{base}-{quote}")
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("Coinbase Exchange", e)
}

impl SimExchange for MockCoinbasePro {
    const CONNECTOR: &'static str = "coinbase_pro";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let name = product(&listing.base, &listing.quote);
        let mut cfg = CbConfig::default();
        if listing.extra.is_none() && !cfg.symbols.iter().any(|s| s.symbol == name) {
            cfg.symbols.push(product_spec(
                &listing.base,
                &listing.quote,
                Decimal::new(1, 3),
            ));
        }
        list_pair(&mut cfg.symbols, &name, &listing);
        cfg.fee_rates = (listing.fee, listing.fee);
        cfg.balances.extend(listing.balances);
        MockCoinbasePro::start_with(cfg).await.map_err(env_error)
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
        MockCoinbasePro::seed_book(self, &product(base, quote), mid, levels, spacing_ticks, qty)
            .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        let mut t = url_table([("rest_url", self.rest_url()), ("ws_url", self.ws_url())]);
        t.insert("heartbeat_check".into(), "count".into());
        t
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret()).with_passphrase(self.passphrase())
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
        MockCoinbasePro::stop(self);
    }
}
