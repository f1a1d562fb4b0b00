//! The ticketed mode of the live book against a loopback websocket server that honours each
//! token once: every connection (the first and each reconnect) must come with a fresh ticket, a
//! refused ticket is announced and asked for again, and the ticket's ping is sent.

use std::sync::atomic::AtomicUsize;

use futures::{SinkExt, StreamExt};
use rust_decimal::Decimal;
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};

use super::*;

/// A book that is synced by any snapshot and changed by any message after it.
#[derive(Debug)]
struct CountingBook {
    book: OrderBook,
    synced: bool,
}

impl CountingBook {
    fn new() -> Self {
        let grid = Grid::new(Decimal::new(1, 2)).unwrap();
        Self {
            book: OrderBook::new(grid, grid),
            synced: false,
        }
    }
}

impl DiffBook for CountingBook {
    fn on_message(&mut self, _: &Pair, _: &[u8]) -> Next {
        if self.synced {
            Next::Changed
        } else {
            Next::Snapshot
        }
    }

    fn on_snapshot(&mut self, _: &[u8]) -> SnapshotStep {
        self.synced = true;
        SnapshotStep::Synced { id: 1 }
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
        self.synced.then_some(1)
    }

    fn rebuilt(&self, _: Grid, _: Grid) -> Self {
        Self::new()
    }
}

/// What the server saw: the token of every connection, whether it was honoured, and the pings.
#[derive(Default)]
struct Seen {
    tokens: Mutex<Vec<(String, bool)>>,
    pings: AtomicUsize,
}

/// A server honouring each `tok…` token once. With `drop_after_one`, an honoured connection gets
/// one message and is dropped; otherwise it stays open, counting the client's `ping`s.
async fn serve(drop_after_one: bool) -> (std::net::SocketAddr, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Seen::default());
    let state = Arc::clone(&seen);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let uri = Arc::new(Mutex::new(String::new()));
            let captured = Arc::clone(&uri);
            // the error type is tungstenite's handshake callback's, not ours
            #[allow(clippy::result_large_err)]
            let callback = move |req: &Request, resp: Response| {
                *captured.lock().unwrap() = req.uri().to_string();
                Ok(resp)
            };
            let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
                continue;
            };
            let token = uri
                .lock()
                .unwrap()
                .split("token=")
                .nth(1)
                .unwrap_or("")
                .to_string();
            let fresh = {
                let mut tokens = state.tokens.lock().unwrap();
                let fresh = token.starts_with("tok") && !tokens.iter().any(|(t, _)| *t == token);
                tokens.push((token, fresh));
                fresh
            };
            if !fresh {
                let _ = ws.send(Message::text("token is invalid")).await;
                continue;
            }
            let _ = ws.send(Message::text("diff")).await;
            if drop_after_one {
                continue;
            }
            let state = Arc::clone(&state);
            tokio::spawn(async move {
                while let Some(Ok(m)) = ws.next().await {
                    if matches!(m, Message::Text(ref t) if t.as_str() == "ping") {
                        state.pings.fetch_add(1, Ordering::SeqCst);
                    }
                }
            });
        }
    });
    (addr, seen)
}

/// A fetcher handing out `tok1`, `tok2`, … for `addr` (refusing the first `refuse` calls), with a
/// `ping` every 50 ms; and how many times it was called.
fn tickets(addr: std::net::SocketAddr, refuse: usize) -> (TicketFetcher, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let fetch: TicketFetcher = Arc::new(move || {
        let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
        async move {
            if n <= refuse {
                return Err(CexError::Invalid("bullet refused".into()));
            }
            Ok(Ticket {
                url: format!("ws://{addr}/?token=tok{n}"),
                ping: Some(AppPing {
                    every: Duration::from_millis(50),
                    message: Arc::new(|| "ping".to_string()),
                }),
            })
        }
        .boxed()
    });
    (fetch, calls)
}

fn feed(hub: Arc<EventHub>) -> DiffFeed {
    let mut stream = StreamConfig::new("ticketed test", "");
    stream.backoff_initial = Duration::from_millis(10);
    DiffFeed {
        pair: "BTC-USDT".parse().unwrap(),
        stream,
        subscribe: Arc::new(|| vec!["subscribe".to_string()]),
        snapshot: Arc::new(|| async { Ok(Bytes::from_static(b"snapshot")) }.boxed()),
        ping: None,
        hub,
        refresh_rules: Arc::new(|| async { Ok(None) }.boxed()),
    }
}

async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn every_reconnect_asks_for_a_fresh_ticket() {
    let (addr, seen) = serve(true).await;
    let (fetch, calls) = tickets(addr, 0);
    let hub = Arc::new(EventHub::new());
    let mut events = hub.subscribe();
    let live = LiveBook::spawn_ticketed(feed(hub), CountingBook::new(), fetch);
    wait_until("three connections", || {
        seen.tokens.lock().unwrap().len() >= 3
    })
    .await;
    drop(live);
    let tokens = seen.tokens.lock().unwrap().clone();
    let expected: Vec<(String, bool)> = (1..=tokens.len())
        .map(|n| (format!("tok{n}"), true))
        .collect();
    assert_eq!(tokens, expected, "a spent ticket was reused");
    assert!(calls.load(Ordering::SeqCst) >= tokens.len());
    let mut lost = 0;
    while let Ok(ev) = events.try_recv() {
        lost += usize::from(matches!(ev, VenueEvent::ConnectionLost { .. }));
    }
    assert!(lost >= 2, "each dropped connection is announced ({lost})");
}

#[tokio::test]
async fn a_refused_ticket_is_announced_and_asked_again_and_its_ping_is_sent() {
    let (addr, seen) = serve(false).await;
    let (fetch, calls) = tickets(addr, 2);
    let hub = Arc::new(EventHub::new());
    let mut events = hub.subscribe();
    let live = LiveBook::spawn_ticketed(feed(hub), CountingBook::new(), fetch);
    assert!(live.wait_synced(Duration::from_secs(10)).await);
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    wait_until("two pings", || seen.pings.load(Ordering::SeqCst) >= 2).await;
    assert_eq!(
        *seen.tokens.lock().unwrap(),
        vec![("tok3".to_string(), true)]
    );
    let mut refused = 0;
    while let Ok(ev) = events.try_recv() {
        if let VenueEvent::ConnectionLost { reason } = ev {
            assert!(reason.contains("no connection ticket"), "{reason}");
            assert!(!reason.contains("tok"), "{reason}");
            refused += 1;
        }
    }
    assert_eq!(refused, 2);
}
