//! The HTX connector's live MBP book against the simulated HTX: identical to the simulator's own
//! book through 10,000 random updates with injected gaps, duplicates, reorderings, dropped
//! connections and junk frames (gzip, like every frame of the feed), compared level by level
//! after every round; every gap is a resync, never a silently wrong book. HTX's MBP feed has no
//! checksum, so there is none to corrupt.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::htx::live::LiveBook;
use sluice::cex::exchanges::htx::{HtxConfig, HtxSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::htx::{HtxMockConfig, MockHtx};

pub(crate) const SYMBOL: &str = "btcusdt";

pub(crate) fn config(mock: &MockHtx) -> HtxConfig {
    HtxConfig {
        rest_url: mock.rest_url(),
        ws_url: mock.ws_url(),
        ..HtxConfig::default()
    }
}

type Levels = Vec<(Decimal, Decimal)>;

fn norm(v: &[(Decimal, Decimal)]) -> Levels {
    v.iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

fn ours(live: &LiveBook) -> Option<(u64, Levels, Levels)> {
    let b = live.read();
    let seq = b.seq_num()?;
    let (bids, asks) = b.book.top(usize::MAX);
    Some((seq, norm(&bids), norm(&asks)))
}

async fn assert_same_book(mock: &MockHtx, live: &LiveBook, when: &str) {
    let (seq, bids, asks) = mock.book(SYMBOL).unwrap();
    let want = (seq, norm(&bids), norm(&asks));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(got) = ours(live)
            && got.0 >= want.0
        {
            assert_eq!(got, want, "books differ {when}");
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "book did not catch up {when}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
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
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "never synced"
    );
    assert_same_book(&mock, &live, "after the first sync").await;

    let mut total = 0;
    for round in 0..20u64 {
        let before = live.resync_count();
        let fault = round % 5;
        match fault {
            0 => mock.skip_next_diff(SYMBOL),
            1 => mock.duplicate_next_diff(SYMBOL),
            2 => mock.swap_next_diffs(SYMBOL),
            3 => mock.drop_market_streams(),
            _ => {
                mock.push_raw_market_message(
                    r#"{"ch":"market.btcusdt.mbp.150","ts":1,"tick":{"seqNum":"#,
                );
                mock.push_raw_market_message(
                    r#"{"ch":"market.btcusdt.mbp.150","tick":{"seqNum":1e400}}"#,
                );
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
            }
        }
        total += 500;
        mock.random_book_updates_paced(SYMBOL, round + 1, 500, Duration::from_micros(50))
            .await
            .unwrap();
        assert_same_book(
            &mock,
            &live,
            &format!("after round {round} (fault {fault})"),
        )
        .await;
        if matches!(fault, 0 | 2 | 3 | 4) {
            assert!(
                live.resync_count() > before,
                "round {round}: fault {fault} must force a resync"
            );
        }
    }
    assert_eq!(total, 10_000);
    assert!(
        live.resync_count() >= 17,
        "resyncs: {}",
        live.resync_count()
    );
    // the client answered every ping: one connection, dropped only by the fault rounds
    assert_eq!(mock.market_connections(), 1);
    let (mut lost, mut resynced) = (0, 0);
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::ConnectionLost { .. } => lost += 1,
            VenueEvent::Resynced { .. } => resynced += 1,
            _ => {}
        }
    }
    assert!(
        lost >= 16 && resynced >= 17,
        "lost {lost}, resynced {resynced}"
    );

    // quotes walk the synced book
    let q = venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.5),
        })
        .await
        .unwrap();
    let best_ask = mock.book(SYMBOL).unwrap().2[0].0;
    assert!(q.worst_price >= best_ask, "{q:?}");
    let top = venue.book_top(&pair, 3).await.unwrap().unwrap();
    assert_eq!(top.asks[0].0, best_ask);
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
