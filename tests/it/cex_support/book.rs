//! The live-book scenario every simulated exchange runs the same way: the connector's book equals
//! the simulator's through 10,000 random updates with a fault every round (a skipped diff, a
//! duplicate, two swapped, dropped connections, junk frames), every gap a resync, and quotes walk
//! the synced book. A venue says what differs through [`BookSim`].

use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use sluice::Venue;
use sluice::cex::venue::{ExchangeApi, ExchangeVenue, LiveBookView};
use sluice::core::{Pair, QuoteRequest, Side, VenueEvent};

/// Price levels, best first.
pub type Levels = Vec<(Decimal, Decimal)>;

/// The levels with trailing zeros dropped, for comparing books built from different strings.
pub fn norm(v: &[(Decimal, Decimal)]) -> Levels {
    v.iter()
        .map(|(p, q)| (p.normalize(), q.normalize()))
        .collect()
}

/// The connector's live book of exchange `S`.
pub type Book<S> = <<S as BookSim>::Api as ExchangeApi>::Book;

/// A simulated exchange's market data as the book scenario drives it.
pub trait BookSim {
    /// The exchange the connector speaks.
    type Api: ExchangeApi;
    /// The simulator's symbol of the book, and the pair as sluice names it.
    const SYMBOL: &'static str;
    const PAIR: &'static str;
    /// Frames the connector must survive, pushed in the junk round (a cut frame, an unknown
    /// channel, a gateway page).
    const JUNK: &'static [&'static str];
    /// Whether a duplicated diff must force a resync (`Some(true)`), must not (`Some(false)`), or
    /// either (`None`).
    const DUPLICATE_RESYNCS: Option<bool> = None;
    /// How long the connector's book may take to catch up with the simulator's.
    const CATCH_UP: Duration = Duration::from_secs(15);

    /// The simulator's book: its sequence (if its feed numbers the book), bids and asks.
    fn theirs(&self) -> (Option<u64>, Levels, Levels);
    fn skip_next(&self);
    fn duplicate_next(&self);
    fn swap_next(&self);
    fn drop_streams(&self);
    fn push_raw(&self, frame: &str);
    /// `n` random updates from `seed`, `pace` apart; how many changed the book.
    fn updates(&self, seed: u64, n: usize, pace: Duration) -> impl Future<Output = usize>;
    fn resyncs(live: &Book<Self>) -> u64;
    fn wait_synced(live: &Book<Self>, timeout: Duration) -> impl Future<Output = bool>;
}

/// The forwarders of [`BookSim`] to the controls every simulator handle names the same way;
/// invoked inside `impl BookSim for <handle>`.
macro_rules! book_sim_controls {
    () => {
        fn skip_next(&self) {
            self.skip_next_diff(Self::SYMBOL);
        }
        fn duplicate_next(&self) {
            self.duplicate_next_diff(Self::SYMBOL);
        }
        fn swap_next(&self) {
            self.swap_next_diffs(Self::SYMBOL);
        }
        fn drop_streams(&self) {
            self.drop_market_streams();
        }
        fn push_raw(&self, frame: &str) {
            self.push_raw_market_message(frame);
        }
        async fn updates(&self, seed: u64, n: usize, pace: std::time::Duration) -> usize {
            self.random_book_updates_paced(Self::SYMBOL, seed, n, pace)
                .await
                .unwrap()
        }
        fn resyncs(live: &$crate::cex_support::book::Book<Self>) -> u64 {
            live.resync_count()
        }
        async fn wait_synced(
            live: &$crate::cex_support::book::Book<Self>,
            timeout: std::time::Duration,
        ) -> bool {
            live.wait_synced(timeout).await
        }
    };
}
pub(crate) use book_sim_controls;

/// A simulated market feed with its faults, and the connector's live book of it: what the
/// scenario needs whether or not the connector is a framework exchange venue. Every [`BookSim`]
/// is one; a venue outside the framework (dYdX v4's indexer book) implements it directly.
pub trait FaultFeed {
    /// The connector's live book.
    type Live: LiveBookView;
    const JUNK: &'static [&'static str];
    const DUPLICATE_RESYNCS: Option<bool>;
    const CATCH_UP: Duration;

    fn theirs(&self) -> (Option<u64>, Levels, Levels);
    fn skip_next(&self);
    fn duplicate_next(&self);
    fn swap_next(&self);
    fn drop_streams(&self);
    fn push_raw(&self, frame: &str);
    fn updates(&self, seed: u64, n: usize, pace: Duration) -> impl Future<Output = usize>;
    fn resyncs(live: &Self::Live) -> u64;
}

impl<S: BookSim> FaultFeed for S {
    type Live = Book<S>;
    const JUNK: &'static [&'static str] = S::JUNK;
    const DUPLICATE_RESYNCS: Option<bool> = S::DUPLICATE_RESYNCS;
    const CATCH_UP: Duration = S::CATCH_UP;

    fn theirs(&self) -> (Option<u64>, Levels, Levels) {
        BookSim::theirs(self)
    }
    fn skip_next(&self) {
        BookSim::skip_next(self)
    }
    fn duplicate_next(&self) {
        BookSim::duplicate_next(self)
    }
    fn swap_next(&self) {
        BookSim::swap_next(self)
    }
    fn drop_streams(&self) {
        BookSim::drop_streams(self)
    }
    fn push_raw(&self, frame: &str) {
        BookSim::push_raw(self, frame)
    }
    fn updates(&self, seed: u64, n: usize, pace: Duration) -> impl Future<Output = usize> {
        BookSim::updates(self, seed, n, pace)
    }
    fn resyncs(live: &Self::Live) -> u64 {
        S::resyncs(live)
    }
}

/// Waits until the connector's synced book has reached the simulator's sequence, then asserts the
/// two equal level by level; a simulator without a sequence must come to equal it. The simulator
/// is quiet when this is called.
pub async fn assert_same_book<S: FaultFeed>(mock: &S, live: &S::Live, when: &str) {
    let (want_seq, bids, asks) = mock.theirs();
    let want = (bids, asks);
    let deadline = tokio::time::Instant::now() + S::CATCH_UP;
    loop {
        let got = live.with_synced(|b, seq| {
            let (bids, asks) = b.top(usize::MAX);
            (seq, (norm(&bids), norm(&asks)))
        });
        match (&got, want_seq) {
            (Some((Some(seq), levels)), Some(w)) if *seq >= w => {
                assert_eq!((*seq, levels), (w, &want), "books differ {when}");
                return;
            }
            (Some((_, levels)), None) if *levels == want => return,
            _ => {}
        }
        if tokio::time::Instant::now() >= deadline {
            let got = got.map(|(_, levels)| levels);
            assert_eq!(got.as_ref(), Some(&want), "book did not catch up {when}");
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The scenario: synced once, then 20 rounds of 500 updates, each after a fault (round % 5: a
/// skipped diff, a duplicate, two swapped, the market streams dropped, junk frames), the books
/// compared after every round; the faults that break continuity each force a resync, seen as
/// `ConnectionLost` / `Resynced` events; finally a quote and the book's top read the synced book.
/// `mock` holds a book of 50 levels a side around 100; `venue` has no keys.
pub async fn book_matches_the_simulator_through_10000_updates_with_faults<S: BookSim>(
    mock: &S,
    venue: &ExchangeVenue<S::Api>,
) {
    let pair: Pair = S::PAIR.parse().unwrap();
    let mut events = venue.events();
    let live = venue.watch_book(&pair).await.unwrap();
    assert!(
        S::wait_synced(&live, Duration::from_secs(10)).await,
        "never synced"
    );
    live_book_matches_the_simulator_through_10000_updates_with_faults(mock, &live, &mut events)
        .await;

    // quotes walk the synced book
    let q = venue
        .quote(&QuoteRequest {
            pair: pair.clone(),
            side: Side::Buy,
            base_amount: dec!(0.5),
        })
        .await
        .unwrap();
    let best_ask = BookSim::theirs(mock).2[0].0;
    assert!(q.worst_price >= best_ask, "{q:?}");
    let top = venue.book_top(&pair, 3).await.unwrap().unwrap();
    assert_eq!(top.asks[0].0, best_ask);
}

/// The rounds of [`book_matches_the_simulator_through_10000_updates_with_faults`] over a synced
/// live book `live` whose events arrive on `events`: 20 rounds of 500 updates after a fault each,
/// the books compared after every round, every continuity fault a resync announced by
/// `ConnectionLost` and `Resynced`.
pub async fn live_book_matches_the_simulator_through_10000_updates_with_faults<S: FaultFeed>(
    mock: &S,
    live: &S::Live,
    events: &mut sluice::venue::EventReceiver,
) {
    assert_same_book(mock, live, "after the first sync").await;
    let mut total = 0;
    for round in 0..20u64 {
        let before = S::resyncs(live);
        let fault = round % 5;
        match fault {
            0 => mock.skip_next(),
            1 => mock.duplicate_next(),
            2 => mock.swap_next(),
            3 => mock.drop_streams(),
            _ => S::JUNK.iter().for_each(|f| mock.push_raw(f)),
        }
        total += 500;
        mock.updates(round + 1, 500, Duration::from_micros(50))
            .await;
        assert_same_book(mock, live, &format!("after round {round} (fault {fault})")).await;
        match (fault, S::DUPLICATE_RESYNCS) {
            (1, None) => {}
            (1, Some(false)) => assert_eq!(
                S::resyncs(live),
                before,
                "round {round}: a duplicate is dropped, not a resync"
            ),
            _ => assert!(
                S::resyncs(live) > before,
                "round {round}: fault {fault} must force a resync"
            ),
        }
    }
    assert_eq!(total, 10_000);
    // the rounds that must resync, each a lost connection and a resync after the first sync
    let forced = if S::DUPLICATE_RESYNCS == Some(true) {
        20
    } else {
        16
    };
    assert!(S::resyncs(live) > forced, "resyncs: {}", S::resyncs(live));
    let (mut lost, mut resynced) = (0, 0);
    while let Ok(e) = events.try_recv() {
        match e {
            VenueEvent::ConnectionLost { .. } => lost += 1,
            VenueEvent::Resynced { .. } => resynced += 1,
            _ => {}
        }
    }
    assert!(
        lost >= forced && resynced > forced,
        "lost {lost}, resynced {resynced}"
    );
}
