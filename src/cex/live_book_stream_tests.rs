//! The stream-snapshot mode of the live book against a loopback websocket server: the
//! subscription is answered by a snapshot, a gap makes the task send the resubscription (no REST
//! snapshot is ever asked for) and the next snapshot on the stream syncs the book again.

use std::sync::atomic::AtomicUsize;

use futures::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use super::*;

/// `snap` syncs, `delta` changes a synced book (else asks for a snapshot), `gap` breaks it.
#[derive(Debug)]
struct StreamBook {
    book: OrderBook,
    synced: bool,
    snapshots: u64,
}

impl DiffBook for StreamBook {
    fn on_message(&mut self, _: &Pair, m: &[u8]) -> Next {
        match m {
            b"snap" => {
                self.synced = true;
                self.snapshots += 1;
                Next::Synced(self.snapshots)
            }
            b"gap" => {
                self.synced = false;
                Next::Resync("gap")
            }
            _ if self.synced => Next::Changed,
            _ => Next::Snapshot,
        }
    }

    fn on_snapshot(&mut self, _: &[u8]) -> SnapshotStep {
        panic!("no REST snapshot in stream-snapshot mode");
    }

    fn reset(&mut self) {
        self.synced = false;
    }

    fn is_synced(&self) -> bool {
        self.synced
    }

    fn order_book(&self) -> &OrderBook {
        &self.book
    }

    fn last_update_id(&self) -> Option<u64> {
        self.synced.then_some(self.snapshots)
    }

    fn rebuilt(&self, price: Grid, size: Grid) -> Self {
        Self {
            book: OrderBook::new(price, size),
            synced: false,
            snapshots: 0,
        }
    }
}

/// Answers `subscribe` and `resubscribe` with `snap`; after the first snapshot sends a delta and
/// a gap. Counts the resubscriptions.
async fn serve() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let resubs = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&resubs);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                continue;
            };
            let counted = Arc::clone(&counted);
            tokio::spawn(async move {
                while let Some(Ok(Message::Text(t))) = ws.next().await {
                    match t.as_str() {
                        "subscribe" => {
                            for m in ["snap", "delta", "gap", "delta"] {
                                let _ = ws.send(Message::text(m)).await;
                            }
                        }
                        "resubscribe" => {
                            counted.fetch_add(1, Ordering::SeqCst);
                            let _ = ws.send(Message::text("snap")).await;
                        }
                        _ => {}
                    }
                }
            });
        }
    });
    (addr, resubs)
}

#[tokio::test]
async fn a_gap_resubscribes_and_the_streams_snapshot_resyncs() {
    let (addr, resubs) = serve().await;
    let hub = Arc::new(EventHub::new());
    let mut events = hub.subscribe();
    let grid = Grid::new(Decimal::new(1, 2)).unwrap();
    let feed = DiffFeed {
        pair: "BTC-USDT".parse().unwrap(),
        stream: StreamConfig::new("stream snapshots", &format!("ws://{addr}/")),
        subscribe: Arc::new(|| vec!["subscribe".to_string()]),
        snapshot: Arc::new(|| async { Err(CexError::Invalid("never asked".into())) }.boxed()),
        ping: None,
        hub,
        refresh_rules: Arc::new(|| async { Ok(None) }.boxed()),
    };
    let book = StreamBook {
        book: OrderBook::new(grid, grid),
        synced: false,
        snapshots: 0,
    };
    let live =
        LiveBook::spawn_stream_snapshots(feed, book, Arc::new(|| vec!["resubscribe".to_string()]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while live.resync_count() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "no second snapshot");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(live.read().is_synced());
    assert_eq!(live.read().last_update_id(), Some(2));
    // one resubscription: the delta after the gap found a snapshot already awaited
    assert_eq!(resubs.load(Ordering::SeqCst), 1);
    let (mut resynced, mut lost) = (0, 0);
    while let Ok(ev) = events.try_recv() {
        match ev {
            VenueEvent::Resynced { .. } => resynced += 1,
            VenueEvent::ConnectionLost { .. } => lost += 1,
            _ => {}
        }
    }
    assert_eq!((resynced, lost), (2, 1));
}
