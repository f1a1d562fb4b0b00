//! The simulated Coinbase Advanced Trade as the arbitrage environment and `sluice demo --exchange
//! coinbase_advanced` drive it: the [`SimExchange`] handle over [`MockCoinbaseAdvanced`]. Products
//! are `BASE-QUOTE`; the listing's fee becomes the account's fee tier (every product's maker and
//! taker fee, which `/transaction_summary` reports and the connector reads).

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::handle::{CoinbaseConfig, MockCoinbaseAdvanced, product_spec};
use crate::arb_env::{ArbEnvError, ExchangeListing, SimExchange, setup_error};

fn product(base: &str, quote: &str) -> String {
    format!("{base}-{quote}")
}

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("Coinbase Advanced Trade", e)
}

impl SimExchange for MockCoinbaseAdvanced {
    const CONNECTOR: &'static str = "coinbase_advanced";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let id = product(&listing.base, &listing.quote);
        let mut cfg = CoinbaseConfig::default();
        if !cfg.symbols.iter().any(|s| s.symbol == id) {
            let mut spec = listing
                .extra
                .unwrap_or_else(|| product_spec(&listing.base, &listing.quote));
            spec.symbol = id;
            cfg.symbols.push(spec);
        }
        for spec in &mut cfg.symbols {
            (spec.maker_fee, spec.taker_fee) = (listing.fee, listing.fee);
        }
        cfg.balances.extend(listing.balances);
        MockCoinbaseAdvanced::start_with(cfg)
            .await
            .map_err(env_error)
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
        let id = product(base, quote);
        MockCoinbaseAdvanced::seed_book(self, &id, mid, levels, spacing_ticks, qty)
            .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        [
            ("rest_url", self.rest_url()),
            ("ws_url", self.ws_url()),
            ("user_ws_url", self.user_ws_url()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), toml::Value::String(v)))
        .collect()
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret())
    }

    fn holding(&self, asset: &str) -> Result<Decimal, ArbEnvError> {
        let b = self.balance(self.account(), asset);
        Ok(b.free + b.locked)
    }

    fn set_free(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        let account = self.account();
        self.set_balance(account, asset, free).map_err(env_error)
    }

    fn stop(&self) {
        MockCoinbaseAdvanced::stop(self);
    }
}
