//! The simulated OKX as the arbitrage environment and `sluice demo --exchange okx` drive it: the
//! [`SimExchange`] handle over [`MockOkx`]. Instruments are OKX's `BASE-QUOTE`; the listing's fee
//! is the instrument's fee, and the trader's key carries OKX's passphrase.

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{MockOkx, OkxMockConfig};
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};

fn instrument(base: &str, quote: &str) -> String {
    format!("{base}-{quote}")
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("OKX", e)
}

impl SimExchange for MockOkx {
    const CONNECTOR: &'static str = "okx";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let name = instrument(&listing.base, &listing.quote);
        let mut cfg = OkxMockConfig::default();
        list_pair(&mut cfg.symbols, &name, &listing);
        cfg.balances.extend(listing.balances);
        MockOkx::start_with(cfg).await.map_err(env_error)
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
        MockOkx::seed_book(
            self,
            &instrument(base, quote),
            mid,
            levels,
            spacing_ticks,
            qty,
        )
        .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([("rest_url", self.rest_url()), ("ws_url", self.ws_url())])
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
        MockOkx::stop(self);
    }
}
