//! What the arbitrage environment needs of a simulated exchange, written once so that the demo can
//! run on any dialect: start it listing the AMM's mirror pair, seed a book, point its connector at
//! it (the `[connect.<id>]` endpoint keys), hand over the trader's API key, read and set the
//! trader's balances, stop it. A dialect implements [`SimExchange`] for its handle; `sluice demo
//! --exchange` then picks it from one line in `sim/src/demo.rs`.

use std::fmt::Debug;
use std::future::Future;
use std::time::Duration;

use rust_decimal::Decimal;
use sluice::venue::connector::ApiKey;

use super::ArbEnvError;
use crate::exchange::dialects::binance::{MockBinance, MockConfig};
use crate::exchange::engine::spec::SymbolSpec;

/// The market the environment needs listed, and the trader's balances beside the defaults.
#[derive(Debug, Clone)]
pub struct ExchangeListing {
    /// The pair's assets (`ETH`, `USDT`).
    pub base: String,
    pub quote: String,
    /// The pair's filters, when the dialect does not list it by default.
    pub extra: Option<SymbolSpec>,
    /// Maker and taker fee rate of the pair.
    pub fee: Decimal,
    /// Free balances of the trader besides the dialect's defaults.
    pub balances: Vec<(String, Decimal)>,
}

/// A simulated exchange as the arbitrage environment drives it.
pub trait SimExchange: Debug + Send + Sync + Sized + 'static {
    /// The connector that talks to this simulator (`binance`).
    const CONNECTOR: &'static str;

    /// Starts the simulator listing `listing`'s pair.
    fn start(listing: ExchangeListing) -> impl Future<Output = Result<Self, ArbEnvError>> + Send;

    /// Seeds `levels` levels on each side of `mid`, `spacing_ticks` ticks apart, `qty` each.
    fn seed_book(
        &self,
        base: &str,
        quote: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), ArbEnvError>;

    /// The keys of its connector's `[connect.<id>]` table that point it here (URLs).
    fn endpoints(&self) -> toml::Table;

    /// The trader account's API key.
    fn trader_key(&self) -> ApiKey;

    /// Table keys of its connector that carry the environment's fee rate and reconcile interval,
    /// for connectors that take them from the table (Binance); none by default (the connector
    /// reads the fee from the exchange's own market rules).
    fn tuning(_fee: Decimal, _reconcile: Duration) -> toml::Table {
        toml::Table::new()
    }

    /// The trader's `asset`, free plus locked.
    fn holding(&self, asset: &str) -> Result<Decimal, ArbEnvError>;

    /// Sets the trader's free `asset`.
    fn set_free(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError>;

    /// Stops its servers.
    fn stop(&self);
}

/// Lists the environment's pair in a dialect's `symbols` under the dialect's own `name` for it:
/// `listing.extra` (renamed `name`) is added when the dialect does not list `name` already, and
/// the pair's maker and taker fees become the listing's. The part of [`SimExchange::start`] every
/// dialect shares.
pub fn list_pair(symbols: &mut Vec<SymbolSpec>, name: &str, listing: &ExchangeListing) {
    if let Some(extra) = &listing.extra
        && !symbols.iter().any(|s| s.symbol == name)
    {
        let mut extra = extra.clone();
        extra.symbol = name.to_string();
        symbols.push(extra);
    }
    for s in symbols.iter_mut().filter(|s| s.symbol == name) {
        s.maker_fee = listing.fee;
        s.taker_fee = listing.fee;
    }
}

/// A `[connect.<id>]` table of URL keys (`rest_url`, `ws_url`, …), for [`SimExchange::endpoints`].
pub fn url_table<'a>(urls: impl IntoIterator<Item = (&'a str, String)>) -> toml::Table {
    urls.into_iter()
        .map(|(key, url)| (key.to_string(), toml::Value::String(url)))
        .collect()
}

/// The environment's error for a simulated exchange's failure, naming it (`simulated OKX: …`).
pub fn setup_error(exchange: &str, e: impl std::fmt::Display) -> ArbEnvError {
    ArbEnvError::Setup(format!("simulated {exchange}: {e}"))
}

impl SimExchange for MockBinance {
    const CONNECTOR: &'static str = "binance";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let symbol = format!("{}{}", listing.base, listing.quote);
        let mut cfg = MockConfig::default();
        list_pair(&mut cfg.symbols, &symbol, &listing);
        cfg.balances.extend(listing.balances);
        Ok(MockBinance::start_with(cfg).await?)
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
        Ok(MockBinance::seed_book(
            self,
            &format!("{base}{quote}"),
            mid,
            levels,
            spacing_ticks,
            qty,
        )?)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([
            ("rest_url", self.rest_url()),
            ("ws_url", self.ws_url()),
            ("ws_api_url", self.ws_api_url()),
        ])
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret())
    }

    fn tuning(fee: Decimal, reconcile: Duration) -> toml::Table {
        let mut t = toml::Table::new();
        let fee = toml::Value::String(fee.to_string());
        t.insert("maker_fee".into(), fee.clone());
        t.insert("taker_fee".into(), fee);
        let ms = i64::try_from(reconcile.as_millis()).unwrap_or(i64::MAX);
        t.insert("reconcile_interval_ms".into(), toml::Value::Integer(ms));
        t
    }

    fn holding(&self, asset: &str) -> Result<Decimal, ArbEnvError> {
        let b = self.balance(self.account(), asset)?;
        Ok(b.free + b.locked)
    }

    fn set_free(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        Ok(self.set_balance(self.account(), asset, free)?)
    }

    fn stop(&self) {
        MockBinance::stop(self);
    }
}
