//! What a live book follows: the venue's stream, subscription, snapshot request, optional
//! application ping and, for ticketed or stream-snapshot venues, the ticket fetcher or the
//! resubscription.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;

use crate::cex::error::CexError;
use crate::cex::stream::{self, StreamConfig};
use crate::cex::venue::RulesRefresher;
use crate::core::Pair;
use crate::venue::EventHub;

/// The messages that make the venue send a fresh snapshot on the open stream (an unsubscribe,
/// then a subscribe, say).
pub type Resubscriber = Arc<dyn Fn() -> Vec<String> + Send + Sync>;

/// How long a resubscription may go unanswered before it is sent again.
pub const STREAM_SNAPSHOT_WAIT: Duration = Duration::from_secs(5);

/// Fetches the pair's REST snapshot body.
pub type SnapshotFetcher =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Bytes, CexError>> + Send + Sync>;

/// An application-level ping the venue wants sent on the stream, and how often.
#[derive(Clone)]
pub struct AppPing {
    pub every: Duration,
    pub message: Arc<dyn Fn() -> String + Send + Sync>,
}

/// One connection's ticket: the URL to connect to (it carries a token: never logged) and the
/// application ping that connection wants.
#[derive(Clone)]
pub struct Ticket {
    pub url: String,
    pub ping: Option<AppPing>,
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("ping_every", &self.ping.as_ref().map(|p| p.every))
            .finish_non_exhaustive()
    }
}

/// Asks the venue for a connection ticket.
pub type TicketFetcher =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Ticket, CexError>> + Send + Sync>;

/// Where and how a venue's diff stream is followed.
pub struct DiffFeed {
    pub pair: Pair,
    pub stream: StreamConfig,
    pub subscribe: stream::Subscriber,
    pub snapshot: SnapshotFetcher,
    pub ping: Option<AppPing>,
    pub hub: Arc<EventHub>,
    pub refresh_rules: RulesRefresher,
}

impl fmt::Debug for DiffFeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiffFeed")
            .field("pair", &self.pair)
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}
