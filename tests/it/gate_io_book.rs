//! The Gate.io connector's live book against the simulated Gate.io: identical to the simulator's
//! own book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames, compared level by level after every round; every gap is a resync,
//! never a silently wrong book.

use rust_decimal_macros::dec;
use sluice::cex::exchanges::gate_io::{GateIo, GateIoConfig, GateIoSpot};
use sluice_sim::exchange::dialects::gate_io::MockGateIo;

use crate::cex_support::book::{self, BookSim, Levels, book_sim_controls, norm};

pub(crate) fn config(mock: &MockGateIo) -> GateIoConfig {
    GateIoConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..GateIoConfig::default()
    }
}

impl BookSim for MockGateIo {
    type Api = GateIo;
    const SYMBOL: &'static str = "BTC_USDT";
    const PAIR: &'static str = "BTC-USDT";
    const JUNK: &'static [&'static str] = &[
        r#"{"channel":"spot.order_book_update","event":"update","result":{"s":"BTC_USDT","U":"#,
        r#"{"channel":"spot.something_new","event":"update","result":{}}"#,
        "<html><body>502 Bad Gateway</body></html>",
    ];

    /// The book's update id is Gate.io's `id`.
    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        let b = self.book(Self::SYMBOL).unwrap();
        (Some(b.id), norm(&b.bids), norm(&b.asks))
    }
    book_sim_controls!();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gate_io_book_matches_the_simulator_through_10000_updates_with_faults() {
    let mock = MockGateIo::start().await.unwrap();
    mock.seed_book("BTC_USDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = GateIoSpot::new(config(&mock), None).unwrap();
    book::book_matches_the_simulator_through_10000_updates_with_faults(&mock, &venue).await;
}
