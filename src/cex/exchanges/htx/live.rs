//! A live HTX book: a task on the MBP feed (`/feed`) that subscribes to
//! `market.$symbol.mbp.$levels` and asks for its snapshot with a `req` on the same topic after
//! every connect, inflates each gzip frame, answers the server's `{"ping":n}` with `{"pong":n}`
//! (HTX closes a connection that misses two), and keeps the book by HTX's `seqNum`/`prevSeqNum`
//! rule ([`HtxBook`]). On a gap, an unreadable frame or a refused snapshot the book is reset,
//! `ConnectionLost` is published and the snapshot is asked for again (pushes are buffered
//! meanwhile); a reconnect does the same. Data off the market's cached grids makes it refetch the
//! rules and rebuild the book on the new grids, or give the market up if they did not change.

use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::cex::book::OrderBook;
use crate::cex::grid::GridError;
use crate::cex::stream::{self, StreamConfig, StreamEvent, StreamHandle};
use crate::cex::venue::{BookFeed, LiveBookView, MarketUnavailable};
use crate::core::{Pair, VenueEvent};

use super::book::{BookError, BookOutcome, HtxBook};

/// Levels of the MBP topic followed (HTX offers 5, 20, 150 and 400).
pub const MBP_LEVELS: u32 = 150;

/// Largest inflated frame accepted (a 400-level snapshot is far below).
pub const MAX_INFLATED: u64 = 8 << 20;

/// Why a frame could not be inflated.
#[derive(Debug, thiserror::Error)]
pub enum InflateError {
    #[error("gzip frame unreadable: {0}")]
    Gzip(#[from] std::io::Error),
    #[error("gzip frame inflates past {MAX_INFLATED} bytes")]
    TooLarge,
}

/// A frame as text: gzip frames (magic `1f 8b`) are inflated into `out`, others returned as
/// they are.
pub fn inflate<'a>(frame: &'a [u8], out: &'a mut Vec<u8>) -> Result<&'a [u8], InflateError> {
    if !frame.starts_with(&[0x1f, 0x8b]) {
        return Ok(frame);
    }
    out.clear();
    let mut d = flate2::read::GzDecoder::new(frame).take(MAX_INFLATED + 1);
    d.read_to_end(out)?;
    if out.len() as u64 > MAX_INFLATED {
        return Err(InflateError::TooLarge);
    }
    Ok(out)
}

/// The MBP topic of `symbol`.
pub fn topic(symbol: &str) -> String {
    format!("market.{symbol}.mbp.{MBP_LEVELS}")
}

/// `{"sub":topic,"id":…}` or `{"req":topic,"id":…}`.
pub fn topic_request(verb: &str, symbol: &str) -> String {
    serde_json::json!({verb: topic(symbol), "id": format!("sluice-{verb}")}).to_string()
}

/// The server's `{"ping":n}` as its answer `{"pong":n}`; `None` for any other frame.
pub fn pong_for(text: &[u8]) -> Option<String> {
    let t = text.strip_prefix(b"{\"ping\":")?.strip_suffix(b"}")?;
    let n: u64 = std::str::from_utf8(t).ok()?.trim().parse().ok()?;
    Some(format!("{{\"pong\":{n}}}"))
}

/// A running book subscription; dropping it stops the task.
#[derive(Debug)]
pub struct LiveBook {
    pub pair: Pair,
    book: Arc<RwLock<HtxBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
    task: JoinHandle<()>,
}

impl Drop for LiveBook {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl LiveBookView for LiveBook {
    fn with_synced<R>(&self, f: impl FnOnce(&OrderBook, Option<u64>) -> R) -> Option<R> {
        let b = self.read();
        b.is_synced().then(|| f(&b.book, b.seq_num()))
    }

    fn unavailable(&self) -> Option<MarketUnavailable> {
        self.unavailable
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl LiveBook {
    /// The book (check `is_synced()` before trusting it).
    pub fn read(&self) -> RwLockReadGuard<'_, HtxBook> {
        self.book.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How many snapshots the book was (re)built from.
    pub fn resync_count(&self) -> u64 {
        self.resyncs.load(Ordering::Relaxed)
    }

    /// Waits until the book is synced (or `timeout` passes, or the market is unavailable).
    pub async fn wait_synced(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while tokio::time::Instant::now() < deadline {
            if self.read().is_synced() {
                return true;
            }
            if LiveBookView::unavailable(self).is_some() {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }
}

fn write(b: &RwLock<HtxBook>) -> RwLockWriteGuard<'_, HtxBook> {
    b.write().unwrap_or_else(|p| p.into_inner())
}

/// Starts following the book of `feed.pair` on the MBP feed `feed_url`.
pub fn spawn_live_book(feed: BookFeed, feed_url: &str) -> LiveBook {
    let m = &feed.market;
    let book = Arc::new(RwLock::new(HtxBook::new(m.price, m.size)));
    let resyncs = Arc::new(AtomicU64::new(0));
    let unavailable = Arc::new(Mutex::new(None));
    let pair = feed.pair.clone();
    let cfg = StreamConfig::new(&format!("htx mbp {pair}"), feed_url);
    let task = tokio::spawn(run(
        feed,
        cfg,
        book.clone(),
        resyncs.clone(),
        unavailable.clone(),
    ));
    LiveBook {
        pair,
        book,
        resyncs,
        unavailable,
        task,
    }
}

fn ask_snapshot(handle: &StreamHandle, symbol: &str) {
    if !handle.send(topic_request("req", symbol)) {
        tracing::warn!(%symbol, "snapshot request not sent; the stream reconnects");
    }
}

async fn run(
    feed: BookFeed,
    cfg: StreamConfig,
    book: Arc<RwLock<HtxBook>>,
    resyncs: Arc<AtomicU64>,
    unavailable: Arc<Mutex<Option<MarketUnavailable>>>,
) {
    let symbol = feed.market.rules.venue_symbol.clone();
    let sub = symbol.clone();
    let (handle, mut rx) = stream::spawn(
        cfg,
        Arc::new(move || vec![topic_request("sub", &sub), topic_request("req", &sub)]),
    );
    let pair = feed.pair.clone();
    let hub = feed.hub.clone();
    let lost = |reason: String| {
        hub.publish(VenueEvent::ConnectionLost {
            reason: format!("htx mbp {pair}: {reason}"),
        })
    };
    let mut text = Vec::new();
    while let Some(ev) = rx.recv().await {
        let m = match ev {
            StreamEvent::Connected { reconnect } => {
                write(&book).reset();
                if reconnect {
                    tracing::info!(%pair, "mbp feed reconnected; snapshot asked again");
                }
                continue;
            }
            StreamEvent::Disconnected { reason } => {
                write(&book).reset();
                lost(reason);
                continue;
            }
            StreamEvent::Message(m) => m,
        };
        let msg = match inflate(&m, &mut text) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(%pair, error = %e, "unreadable mbp frame; resyncing");
                write(&book).reset();
                lost(e.to_string());
                ask_snapshot(&handle, &symbol);
                continue;
            }
        };
        if let Some(pong) = pong_for(msg) {
            handle.send(pong);
            continue;
        }
        let outcome = write(&book).on_message(msg);
        match outcome {
            Ok(BookOutcome::Applied) => hub.publish(VenueEvent::BookChanged { pair: pair.clone() }),
            Ok(BookOutcome::Snapshot { seq_num }) => {
                resyncs.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(%pair, seq_num, "book synced");
                hub.publish(VenueEvent::Resynced {
                    what: format!("book {pair}"),
                });
                hub.publish(VenueEvent::BookChanged { pair: pair.clone() });
            }
            Ok(BookOutcome::Duplicate | BookOutcome::Buffered | BookOutcome::Other) => {}
            Ok(BookOutcome::Gap { expected, got }) => {
                tracing::warn!(%pair, expected, got, "gap in the mbp feed; asking the snapshot again");
                lost("book out of sequence".into());
                ask_snapshot(&handle, &symbol);
            }
            Err(BookError::Level(GridError::OffGrid { .. })) => {
                lost("data off the cached tick/step grid; refetching the rules".into());
                match (feed.refresh_rules)().await {
                    Ok(Some((price, size))) => {
                        let same = {
                            let b = book.read().unwrap_or_else(|p| p.into_inner());
                            (b.book.price_grid, b.book.size_grid) == (price, size)
                        };
                        if same {
                            give_up(
                                &feed,
                                &book,
                                &unavailable,
                                "its data is off the tick and step sizes HTX lists",
                            );
                            return;
                        }
                        *write(&book) = HtxBook::new(price, size);
                        ask_snapshot(&handle, &symbol);
                    }
                    Ok(None) => {
                        give_up(
                            &feed,
                            &book,
                            &unavailable,
                            "HTX no longer lists it as online",
                        );
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(%pair, error = %e, "refetching the rules failed; asking the snapshot again");
                        ask_snapshot(&handle, &symbol);
                    }
                }
            }
            Err(BookError::Refused(why)) => {
                tracing::warn!(%pair, %why, "mbp request refused; asking the snapshot again");
                lost(format!("refused: {why}"));
                tokio::time::sleep(Duration::from_millis(200)).await;
                ask_snapshot(&handle, &symbol);
            }
            Err(e) => {
                tracing::error!(%pair, error = %e, "unreadable mbp push; resyncing");
                lost(format!("unreadable push: {e}"));
                ask_snapshot(&handle, &symbol);
            }
        }
    }
}

fn give_up(
    feed: &BookFeed,
    book: &RwLock<HtxBook>,
    unavailable: &Mutex<Option<MarketUnavailable>>,
    reason: &str,
) {
    let e = MarketUnavailable {
        pair: feed.pair.clone(),
        reason: reason.to_string(),
    };
    tracing::error!(pair = %feed.pair, error = %e, "book given up");
    write(book).reset();
    *unavailable.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.clone());
    feed.hub.publish(VenueEvent::ConnectionLost {
        reason: e.to_string(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(b: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_frames_inflate_and_pings_are_answered() {
        let mut buf = Vec::new();
        let z = gzip(br#"{"ping":1492420473027}"#);
        let t = inflate(&z, &mut buf).unwrap();
        assert_eq!(pong_for(t).as_deref(), Some(r#"{"pong":1492420473027}"#));
        assert_eq!(
            inflate(b"{\"a\":1}", &mut Vec::new()).unwrap(),
            b"{\"a\":1}"
        );
        assert!(pong_for(br#"{"ping":"x"}"#).is_none());
        assert!(pong_for(br#"{"ch":"market.btcusdt.mbp.150"}"#).is_none());
        // a truncated gzip stream is an error, not a panic
        assert!(inflate(&z[..z.len() - 6], &mut buf).is_err());
        assert_eq!(
            topic_request("req", "btcusdt"),
            r#"{"id":"sluice-req","req":"market.btcusdt.mbp.150"}"#
        );
    }
}
