//! The simulated Kraken as the arbitrage environment and `sluice demo --exchange kraken` drive it:
//! the [`SimExchange`] handle over [`MockKraken`]. Kraken names assets by its own codes and pairs
//! by its own names, so the environment's pair is listed as Kraken lists it: ETH/USDT is the pair
//! `ETHUSDT` of the codes `XETH` and `USDT` (REST key `XETHUSDT`, v2 symbol `ETH/USDT`), with the
//! filters of Kraken's other `XETH` pair unless the environment gives its own; balances the
//! environment names by ticker (`ETH`) are the codes' (`XETH`).

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::venue::connector::ApiKey;

use super::handle::{KrakenMockConfig, MockKraken, altname, kraken_pair};
use super::names::code_of_name;
use crate::arb_env::{
    ArbEnvError, ExchangeListing, SimExchange, list_pair, setup_error, url_table,
};
use crate::exchange::engine::spec::SymbolSpec;

fn env_error(e: impl std::fmt::Display) -> ArbEnvError {
    setup_error("Kraken", e)
}

/// The Kraken pair of the environment's `base`/`quote` tickers (`ETH`, `USDT` → `ETHUSDT`).
fn pair_name(base: &str, quote: &str) -> String {
    altname(&code_of_name(base), &code_of_name(quote))
}

/// The Kraken listing of the environment's pair: its own filters (`extra`) or those of a pair the
/// simulator lists with the same base, or Kraken's defaults; base and quote as Kraken's codes.
fn kraken_listing(symbols: &[SymbolSpec], listing: &ExchangeListing) -> SymbolSpec {
    let (base, quote) = (code_of_name(&listing.base), code_of_name(&listing.quote));
    let mut spec = listing
        .extra
        .clone()
        .or_else(|| symbols.iter().find(|s| s.base == base).cloned())
        .unwrap_or_else(|| kraken_pair(&base, &quote, dec!(0.01), dec!(0.0001)));
    spec.symbol = altname(&base, &quote);
    spec.base = base;
    spec.quote = quote;
    spec
}

impl SimExchange for MockKraken {
    const CONNECTOR: &'static str = "kraken";

    async fn start(listing: ExchangeListing) -> Result<Self, ArbEnvError> {
        let mut cfg = KrakenMockConfig::default();
        let kraken = ExchangeListing {
            extra: Some(kraken_listing(&cfg.symbols, &listing)),
            ..listing.clone()
        };
        list_pair(
            &mut cfg.symbols,
            &pair_name(&listing.base, &listing.quote),
            &kraken,
        );
        cfg.balances.extend(
            listing
                .balances
                .into_iter()
                .map(|(asset, amount)| (code_of_name(&asset), amount)),
        );
        MockKraken::start_with(cfg).await.map_err(env_error)
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
        MockKraken::seed_book(
            self,
            &pair_name(base, quote),
            mid,
            levels,
            spacing_ticks,
            qty,
        )
        .map_err(env_error)
    }

    fn endpoints(&self) -> toml::Table {
        url_table([
            ("rest_url", self.rest_url()),
            ("ws_url", self.ws_url()),
            ("ws_auth_url", self.ws_auth_url()),
        ])
    }

    fn trader_key(&self) -> ApiKey {
        ApiKey::new(self.api_key(), self.api_secret())
    }

    fn holding(&self, asset: &str) -> Result<Decimal, ArbEnvError> {
        let b = self.balance(&code_of_name(asset));
        Ok(b.free + b.locked)
    }

    fn set_free(&self, asset: &str, free: Decimal) -> Result<(), ArbEnvError> {
        self.set_balance(&code_of_name(asset), free);
        Ok(())
    }

    fn stop(&self) {
        MockKraken::stop(self);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exchange::dialects::kraken::kraken_symbols;

    fn listing(base: &str, quote: &str, extra: Option<SymbolSpec>) -> ExchangeListing {
        ExchangeListing {
            base: base.into(),
            quote: quote.into(),
            extra,
            fee: dec!(0.001),
            balances: vec![("ETH".into(), dec!(5))],
        }
    }

    #[test]
    fn eth_usdt_is_listed_under_krakens_names() {
        let symbols = kraken_symbols();
        let spec = kraken_listing(&symbols, &listing("ETH", "USDT", None));
        assert_eq!(
            (
                spec.symbol.as_str(),
                spec.base.as_str(),
                spec.quote.as_str()
            ),
            ("ETHUSDT", "XETH", "USDT")
        );
        // The filters of Kraken's ETH/USD pair.
        assert_eq!((spec.tick_size, spec.min_qty), (dec!(0.01), dec!(0.002)));
        assert_eq!(pair_name("ETH", "USDT"), "ETHUSDT");
        assert_eq!(pair_name("BTC", "USD"), "XBTUSD");
    }

    #[test]
    fn an_environment_listing_keeps_its_filters_under_krakens_names() {
        let mut celo = SymbolSpec::new("CELO", "USDT");
        celo.tick_size = dec!(0.0001);
        let spec = kraken_listing(&kraken_symbols(), &listing("CELO", "USDT", Some(celo)));
        assert_eq!(
            (
                spec.symbol.as_str(),
                spec.base.as_str(),
                spec.quote.as_str()
            ),
            ("CELOUSDT", "CELO", "USDT")
        );
        assert_eq!(spec.tick_size, dec!(0.0001));
    }

    #[tokio::test]
    async fn the_environment_starts_it_with_the_pair_fee_and_balances() {
        let mock = <MockKraken as SimExchange>::start(listing("ETH", "USDT", None))
            .await
            .unwrap();
        SimExchange::seed_book(&mock, "ETH", "USDT", dec!(3100), 5, 10, dec!(2)).unwrap();
        let (bids, asks) = mock.top("ETHUSDT", 5);
        assert_eq!((bids.len(), asks.len()), (5, 5));
        assert_eq!(mock.holding("ETH").unwrap(), dec!(5));
        mock.set_free("USDT", dec!(1234)).unwrap();
        assert_eq!(mock.balance("USDT").free, dec!(1234));
        assert_eq!(mock.holding("USDT").unwrap(), dec!(1234));
        let t = mock.endpoints();
        assert_eq!(t["ws_auth_url"].as_str(), Some(mock.ws_auth_url().as_str()));
        mock.stop();
    }
}
