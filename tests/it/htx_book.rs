//! The HTX connector's live MBP book against the simulated HTX: identical to the simulator's own
//! book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames (gzip, like every frame of the feed), compared level by level
//! after every round; every gap is a resync, never a silently wrong book. HTX's MBP feed has no
//! checksum, so there is none to corrupt.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::htx::{Htx, HtxConfig, HtxSpot};
use sluice_sim::exchange::dialects::htx::{HtxMockConfig, MockHtx};

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) const SYMBOL: &str = "btcusdt";

pub(crate) fn config(mock: &MockHtx) -> HtxConfig {
    HtxConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..HtxConfig::default()
    }
}

impl BookSim for MockHtx {
    type Api = Htx;
    const SYMBOL: &'static str = SYMBOL;
    const PAIR: &'static str = "BTC-USDT";
    /// Junk frames (gzip, like every frame of the feed).
    const JUNK: &'static [&'static str] = &[
        r#"{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{"seqNum":"#,
        r#"{"ch":"market.btcusdt.mbp.150","tick":{"seqNum":1e400}}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];

    /// HTX's MBP book is numbered by `seqNum`.
    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let (seq, bids, asks) = self.book(Self::SYMBOL).unwrap();
        (Some(seq), norm(&bids), norm(&asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn htx_book_matches_the_simulator_through_10000_updates_with_faults() {
    // pings every 200 ms: the client must answer them or the feed closes
    let mock = MockHtx::start_with(HtxMockConfig {
        ping_every: Duration::from_millis(200),
        ..HtxMockConfig::default()
    })
    .await
    .unwrap();
    mock.seed_book(SYMBOL, dec!(100), 50, 1, dec!(1)).unwrap();
    let venue = HtxSpot::new(config(&mock), None).unwrap();
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
    // the client answered every ping: one connection, dropped only by the fault rounds
    assert_eq!(mock.market_connections(), 1);

    // the one-off REST snapshot (`/market/depth`, 150 levels) agrees with the simulator too
    let rules = venue
        .markets()
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.venue_symbol == SYMBOL)
        .unwrap();
    let market = sluice::cex::venue::Market::new(rules).unwrap();
    let snap = sluice::cex::exchanges::htx::rest::snapshot_book(venue.rest(), &market)
        .await
        .unwrap();
    let (_, bids, asks) = mock.book(SYMBOL).unwrap();
    let (sb, sa) = snap.top(usize::MAX);
    let cut = |l: &[(Decimal, Decimal)]| norm(&l[..l.len().min(150)]);
    assert_eq!((norm(&sb), norm(&sa)), (cut(&bids), cut(&asks)));
}
