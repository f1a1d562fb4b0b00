//! The Kraken connector's live book against the simulated Kraken: identical to the simulator's
//! true book (top 10, the subscribed depth) through more than 10,000 book changes with dropped,
//! duplicated and swapped updates, corrupted checksums, dropped connections and junk messages;
//! every divergence is caught by the CRC32 checksum and repaired by a resubscription.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::kraken::KrakenSpot;
use sluice::cex::venue::LiveBookView;
use sluice::core::{Pair, VenueEvent};
use sluice_sim::exchange::dialects::kraken::{BookFaults, MockKraken};

use crate::kraken_support::{config, eventually, start};

type Levels = Vec<(Decimal, Decimal)>;

fn theirs(mock: &MockKraken) -> (Levels, Levels) {
    let (b, a) = mock.top("XBTUSD", 10);
    let norm = |v: Levels| {
        v.into_iter()
            .map(|(p, q)| (p.normalize(), q.normalize()))
            .collect()
    };
    (norm(b), norm(a))
}

fn ours<B: LiveBookView>(live: &B) -> Option<(Levels, Levels)> {
    live.with_synced(|book, _| {
        let (b, a) = book.top(usize::MAX);
        let norm = |v: Levels| {
            v.into_iter()
                .map(|(p, q)| (p.normalize(), q.normalize()))
                .collect()
        };
        (norm(b), norm(a))
    })
}

async fn assert_same<B: LiveBookView>(mock: &MockKraken, live: &B, when: &str) {
    let same = eventually(Duration::from_secs(10), || ours(live) == Some(theirs(mock))).await;
    assert!(
        same,
        "books differ {when}: ours {:?} theirs {:?}",
        ours(live),
        theirs(mock)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kraken_book_matches_the_simulator_through_faults() {
    let mock = start(20).await;
    mock.seed_book("XBTUSD", dec!(30000), 40, 3, dec!(0.5))
        .unwrap();
    let venue = KrakenSpot::new(config(&mock, 20), None).unwrap();
    let pair: Pair = "BTC-USD".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "book never synced"
    );
    assert_same(&mock, live.as_ref(), "after the first snapshot").await;

    let mut changes = 0;
    for round in 0..20u64 {
        let faults = match round % 5 {
            0 => BookFaults {
                drop: 3,
                ..Default::default()
            },
            1 => BookFaults {
                duplicate: 3,
                ..Default::default()
            },
            2 => BookFaults {
                swap: 3,
                ..Default::default()
            },
            3 => BookFaults {
                corrupt: 2,
                ..Default::default()
            },
            _ => BookFaults::default(),
        };
        mock.add_book_faults(faults);
        if round == 4 {
            mock.drop_market_streams();
        }
        if round == 9 {
            mock.push_raw_market_message("{\"channel\":\"book\",\"type\":\"update\",\"data\":[{\"symbol\":\"BTC/USD\",\"bids\":[{\"price\":");
        }
        if round == 14 {
            mock.push_raw_market_message("<html>502 Bad Gateway</html>");
        }
        changes += mock
            .random_book_updates_paced("XBTUSD", round + 1, 520, Duration::from_micros(200))
            .await
            .unwrap();
        assert_same(&mock, live.as_ref(), &format!("after round {round}")).await;
    }
    assert!(changes >= 10_000, "only {changes} book changes");
    assert_eq!(
        mock.pending_book_faults(),
        BookFaults::default(),
        "every fault was applied"
    );
    // every corruption and reconnection was noticed and repaired by a new snapshot
    assert!(live.resync_count() >= 5, "resyncs: {}", live.resync_count());
    let mut mismatches = 0;
    while let Ok(ev) = events.try_recv() {
        if let VenueEvent::ConnectionLost { reason } = ev
            && reason.contains("checksum mismatch")
        {
            mismatches += 1;
        }
    }
    assert!(mismatches >= 4, "checksum mismatches seen: {mismatches}");
}
