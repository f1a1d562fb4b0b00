//! The Loopring connector's live book against the simulated Loopring: identical to the
//! simulator's own book through 10,000 random updates with injected gaps, duplicates,
//! reorderings, dropped connections and junk frames (the shared book suite); a skipped version
//! resyncs from `/api/v3/depth`. Markets from the exchange's tokens and markets, and the closed
//! venue's missing-URL error, through the registry.

use std::path::Path;

use rust_decimal_macros::dec;
use sluice::chain::ChainSpecs;
use sluice::clob::loopring::venue::{Loopring, LoopringConfig};
use sluice::clob::loopring::{LoopringVenue, loopring_venue};
use sluice::venue::{ConnectContext, ConnectError};
use sluice_sim::exchange::dialects::loopring::MockLoopring;

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn public_venue(mock: &MockLoopring) -> LoopringVenue {
    loopring_venue(LoopringConfig::new(&mock.rest_url(), &mock.ws_url()), None).unwrap()
}

impl BookSim for MockLoopring {
    type Api = Loopring;
    const SYMBOL: &'static str = "ETH-USDC";
    const PAIR: &'static str = "ETH-USDC";
    const JUNK: &'static [&'static str] = &[
        r#"{"topic":{"topic":"orderbook","market":"ETH-USDC","level":0},"startVersion":"#,
        r#"{"op":"sub","result":{"status":"OK"}}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (None, norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopring_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockLoopring::start().await.unwrap();
    mock.seed_book("ETH-USDC", dec!(2000), 50, 1, dec!(1))
        .unwrap();
    let venue = public_venue(&mock);
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
}

fn ctx() -> ConnectContext {
    ConnectContext::new(
        Path::new("/nonexistent"),
        ChainSpecs::builtin().unwrap(),
        Path::new("sluice.toml"),
    )
}

#[tokio::test]
async fn the_registry_builds_it_only_with_urls_and_it_reads_markets() {
    let id = "loopring".parse().unwrap();
    let e = sluice::connectors::connect(&id, &toml::Table::new(), &ctx())
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(matches!(e, ConnectError::MissingField { .. }), "{e:?}");
    assert!(
        text.contains("shut on 2026-06-28")
            && text.contains("`rest_url`")
            && text.contains("[connect.loopring]"),
        "{text}"
    );

    let mock = MockLoopring::start().await.unwrap();
    mock.seed_book("ETH-USDC", dec!(2000), 5, 1, dec!(1))
        .unwrap();
    let table: toml::Table = format!(
        "rest_url = \"{}\"\nws_url = \"{}\"",
        mock.rest_url(),
        mock.ws_url()
    )
    .parse()
    .unwrap();
    let venue = sluice::connectors::connect(&id, &table, &ctx())
        .await
        .unwrap();
    let markets = venue.markets().await.unwrap();
    let eth = markets
        .iter()
        .find(|m| m.venue_symbol == "ETH-USDC")
        .unwrap();
    assert_eq!((eth.tick_size, eth.step_size), (dec!(0.01), dec!(0.001)));
    assert_eq!(eth.taker_fee, dec!(0.0025));
    // a quote walks the depth snapshot (sizes in token units read exactly)
    let q = venue
        .quote(&sluice::core::QuoteRequest {
            pair: "ETH-USDC".parse().unwrap(),
            side: sluice::core::Side::Buy,
            base_amount: dec!(1.5),
        })
        .await
        .unwrap();
    let asks = mock.book("ETH-USDC").unwrap().asks;
    assert_eq!(q.worst_price, asks[1].0, "{q:?}");
    // without keys, private calls are refused before the wire
    assert!(venue.balances().await.is_err());
}
