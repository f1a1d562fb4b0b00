//! The dYdX v3 connector's live book against the simulated dYdX v3: identical to the simulator's
//! own book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames, compared level by level after every round; a skipped message id
//! resyncs from the REST snapshot (levels with their offsets), a duplicated one is dropped by the
//! offset rule. Markets, funding and the closed venue's missing-URL error come from the registry.

use std::path::Path;

use rust_decimal_macros::dec;
use sluice::chain::ChainSpecs;
use sluice::clob::dydx_v3::{DydxV3, DydxV3Config, DydxV3Keys, DydxV3Venue};
use sluice::core::Pair;
use sluice::venue::{ConnectContext, ConnectError, VenueKind};
use sluice_sim::exchange::dialects::dydx_v3::MockDydxV3;

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn config(mock: &MockDydxV3) -> DydxV3Config {
    DydxV3Config {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..DydxV3Config::default()
    }
}

impl BookSim for MockDydxV3 {
    type Api = DydxV3;
    const SYMBOL: &'static str = "ETH-USD";
    const PAIR: &'static str = "ETH-USD";
    const JUNK: &'static [&'static str] = &[
        r#"{"type":"channel_data","id":"ETH-USD","channel":"v3_orderbook","message_id":"#,
        r#"{"type":"channel_data","id":"ETH-USD","channel":"v3_trades","message_id":1,"contents":{"trades":[]}}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];
    const DUPLICATE_RESYNCS: Option<bool> = Some(false);

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (None, norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dydx_v3_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockDydxV3::start().await.unwrap();
    mock.seed_book("ETH-USD", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = DydxV3Venue::new(config(&mock), DydxV3Keys::default()).unwrap();
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
async fn the_registry_builds_it_only_with_urls_and_it_reads_markets_and_funding() {
    let id = "dydx_v3".parse().unwrap();
    let e = sluice::connectors::connect(&id, &toml::Table::new(), &ctx())
        .await
        .err()
        .unwrap();
    let text = e.to_string();
    assert!(matches!(e, ConnectError::MissingField { .. }), "{e:?}");
    assert!(
        text.contains("closed in 2024")
            && text.contains("`rest_url`")
            && text.contains("[connect.dydx_v3]"),
        "{text}"
    );

    let mock = MockDydxV3::start().await.unwrap();
    mock.seed_book("BTC-USD", dec!(30000), 5, 1, dec!(1))
        .unwrap();
    mock.set_oracle_price("BTC-USD", dec!(30001));
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
    assert_eq!(venue.kind(), VenueKind::Perp);
    let markets = venue.markets().await.unwrap();
    let btc = markets
        .iter()
        .find(|m| m.venue_symbol == "BTC-USD")
        .unwrap();
    assert_eq!(
        (btc.tick_size, btc.step_size, btc.min_size),
        (dec!(1), dec!(0.001), dec!(0.001))
    );
    assert_eq!(btc.taker_fee, dec!(0.0005));
    let pair: Pair = "BTC-USD".parse().unwrap();
    let f = venue.funding(&pair).await.unwrap();
    assert_eq!(f.mark_price, dec!(30001));
    assert!(f.next_funding_time_ms > 0);
    // a quote walks a REST snapshot of the book (no live book is watched)
    let q = venue
        .quote(&sluice::core::QuoteRequest {
            pair: pair.clone(),
            side: sluice::core::Side::Buy,
            base_amount: dec!(1.5),
        })
        .await
        .unwrap();
    let asks = mock.book("BTC-USD").unwrap().asks;
    assert_eq!(q.worst_price, asks[1].0, "{q:?}");
    // without keys, private calls are refused before the wire
    assert!(venue.balances().await.is_err());
}
