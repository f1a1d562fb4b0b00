//! The OKX connector's live book against the simulated OKX: identical to the simulator's book
//! through 10,000 random updates with faults — dropped, duplicated and swapped pushes, dropped
//! connections, junk frames, corrupted checksums (with checksums off, as OKX sends 0 since June
//! 2026, and on), idle pushes and a documented `seqId` reset (neither a gap) — compared level
//! by level after every round; quotes walk the synced book.

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::exchanges::okx::{LiveBook, OkxSpot};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};
use sluice_sim::exchange::dialects::okx::MockOkx;

use crate::okx_orders::okx_config;

type Levels = Vec<(Decimal, Decimal)>;

fn norm(v: &Levels) -> Levels {
    v.iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

/// Waits until our book shows the simulator's current `seqId`, then compares every level.
async fn assert_same_book(mock: &MockOkx, live: &LiveBook, when: &str) {
    let want = mock.book("BTC-USDT").unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let ours = {
            let b = live.read();
            b.seq_id().map(|s| {
                let (bids, asks) = b.book.top(usize::MAX);
                (s, bids, asks)
            })
        };
        if let Some((seq, bids, asks)) = ours
            && seq == want.seq_id
        {
            assert_eq!(norm(&bids), norm(&want.bids), "bids differ {when}");
            assert_eq!(norm(&asks), norm(&want.asks), "asks differ {when}");
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
async fn book_matches_the_simulator_through_faults() {
    let mock = MockOkx::start().await.unwrap();
    mock.seed_book("BTC-USDT", dec!(100), 50, 1, dec!(1))
        .unwrap();
    let venue = OkxSpot::new(okx_config(&mock), None).unwrap();
    let pair: Pair = "BTC-USDT".parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        live.wait_synced(Duration::from_secs(10)).await,
        "book never synced"
    );
    assert_same_book(&mock, &live, "after the first sync").await;

    let mut total = 0;
    // 20 rounds × 500 updates = 10,000, each round with a fault.
    for round in 0..20u64 {
        let before = live.resync_count();
        let fault = round % 10;
        mock.set_checksums(round >= 10);
        match fault {
            0 => mock.skip_next_diff("BTC-USDT"),
            1 => mock.duplicate_next_diff("BTC-USDT"),
            2 => mock.swap_next_diffs("BTC-USDT"),
            3 => mock.drop_market_streams(),
            4 => {
                mock.push_raw_market_message("{\"arg\":{\"channel\":\"books\"},\"action\":\"update\",\"data\":[{\"asks\":[[\"1");
                mock.push_raw_market_message("<html><body>502 Bad Gateway</body></html>");
                mock.push_raw_market_message("{\"event\":\"notice\",\"code\":\"64008\",\"msg\":\"reconnect soon\"}");
            }
            5 => mock.corrupt_next_checksum(),
            6 => mock.push_idle_updates(),
            7 => mock.reset_seq_ids("BTC-USDT", 7).unwrap(),
            8 => mock.push_raw_market_message(
                "{\"arg\":{\"channel\":\"books\",\"instId\":\"BTC-USDT\"},\"action\":\"update\",\"data\":[{\"asks\":[[\"99999999999999999999999999\",\"1\",\"0\",\"1\"]],\"bids\":[],\"prevSeqId\":1,\"seqId\":2,\"checksum\":0}]}",
            ),
            _ => {}
        }
        total += 500;
        mock.random_book_updates_paced("BTC-USDT", round + 1, 500, Duration::from_micros(50))
            .await
            .unwrap();
        if fault == 6 {
            mock.push_idle_updates();
        }
        assert_same_book(
            &mock,
            &live,
            &format!("after round {round} (fault {fault})"),
        )
        .await;
        match fault {
            0 | 2 | 3 | 4 | 5 | 8 => assert!(
                live.resync_count() > before,
                "round {round}: fault {fault} must force a resync"
            ),
            1 | 6 | 7 => assert_eq!(
                live.resync_count(),
                before,
                "round {round}: fault {fault} is not a gap"
            ),
            _ => {}
        }
    }
    assert_eq!(total, 10_000);
    let mut lost = 0;
    let mut resynced = 0;
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::ConnectionLost { .. } => lost += 1,
            VenueEvent::Resynced { .. } => resynced += 1,
            _ => {}
        }
    }
    assert!(
        lost >= 12 && resynced >= 13,
        "lost {lost}, resynced {resynced}"
    );

    // quotes walk the synced book: the same walk done here on the simulator's levels
    let asks = mock.book("BTC-USDT").unwrap().asks;
    let depth: Decimal = asks.iter().map(|(_, q)| *q).sum();
    let want = (depth / dec!(2)).round_dp(8);
    assert!(want > Decimal::ZERO, "the random updates emptied the asks");
    let q = venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: want,
        })
        .await
        .unwrap();
    let (mut left, mut gross) = (want, Decimal::ZERO);
    for (price, qty) in &asks {
        if left.is_zero() {
            break;
        }
        let take = left.min(*qty);
        gross += take * price;
        left -= take;
    }
    assert!(left.is_zero());
    assert_eq!(q.quote_amount, gross + gross * dec!(0.001), "{q:?}");
}
