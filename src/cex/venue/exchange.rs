//! What an exchange supplies to the generic [`ExchangeVenue`](super::ExchangeVenue): the
//! [`ExchangeApi`] trait (its own protocol only: markets, order requests, open orders, trades,
//! balances, book snapshot and depth stream, private stream, client-id rules; for a perpetuals
//! exchange its positions, funding, leverage, margin and position modes and perpetual orders) and
//! the framework's typed messages it answers with.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::BoxFuture;
use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};

use crate::cex::book::OrderBook;
use crate::cex::clock::ServerClock;
use crate::cex::error::CexError;
use crate::cex::grid::Grid;
use crate::cex::http::RestClient;
use crate::cex::order_tracker::ClientIdRule;
use crate::cex::stream::{StreamEvent, Subscriber};
use crate::core::VenueEvent;
use crate::core::{
    Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, LeverageSetting, MarginMode,
    MarketRules, Order, OrderRequest, OrderState, Pair, PerpOrder, Position, PositionMode,
};
use crate::venue::{EventHub, Execution, VenueError, VenueId, VenueKind};

use super::markets::Markets;

/// One tradable symbol: its rules and the grids its book is kept on.
#[derive(Debug, Clone)]
pub struct Market {
    pub rules: MarketRules,
    pub price: Grid,
    pub size: Grid,
}

impl Market {
    /// The market of `rules`; `None` (logged) if its tick or step size cannot key a book.
    pub fn new(rules: MarketRules) -> Option<Self> {
        let (Ok(price), Ok(size)) = (Grid::new(rules.tick_size), Grid::new(rules.step_size)) else {
            tracing::warn!(symbol = %rules.venue_symbol, "unusable tick or step size; symbol skipped");
            return None;
        };
        Some(Self { rules, price, size })
    }
}

/// The exchange's record of one order, as an order request, cancel or query answers it.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderAck {
    /// The exchange's own id of the order.
    pub venue_order_id: String,
    /// The exchange's status word (kept for messages).
    pub status: String,
    /// The status on the shared state machine; `None` if the word is not one the exchange
    /// documents.
    pub state: Option<OrderState>,
    /// The quantity executed so far, if the answer says.
    pub executed: Option<Decimal>,
    /// Fills carried by the answer itself (an order response that reports its trades).
    pub fills: Vec<Fill>,
}

/// One order update from the private stream, already resolved to a pair and a client id.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderUpdate {
    pub client_id: ClientOrderId,
    pub pair: Pair,
    pub venue_order_id: String,
    pub state: OrderState,
    /// Why the exchange refused or ended it, if it says.
    pub reason: Option<String>,
    /// The trade this update reports, if any.
    pub fill: Option<Fill>,
    /// The quantity executed so far.
    pub cumulative_filled: Decimal,
}

/// One frame of the private stream, in the framework's terms.
#[derive(Debug, Clone, PartialEq)]
pub enum UserEvent {
    Order(Box<OrderUpdate>),
    /// Balances the exchange reports as changed.
    Balances(Vec<Balance>),
    /// What an account frame of a perpetuals exchange reports: events published as they are
    /// (balances, positions, margin calls), and funding settled at a time (see [`AccountUpdate`]).
    Account(Box<AccountUpdate>),
    /// An order update for a symbol `markets` does not know: the framework reloads the markets
    /// (the exchange may have listed it since) and parses the frame once more.
    UnknownSymbol(String),
    /// A control frame or an event with no use here (logged by the exchange, then ignored).
    Ignored,
}

/// An account frame of a perpetuals exchange.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountUpdate {
    /// Published unchanged, in this order.
    pub events: Vec<VenueEvent>,
    /// Funding was settled at this time (Unix ms) but the frame does not carry the payments'
    /// ids: the framework reads the payments since then ([`ExchangeApi::funding_payments`]) and
    /// publishes each one it has not published before, so that the stream and polling count a
    /// payment once.
    pub funding_at_ms: Option<u64>,
}

/// A connected (or connecting) private stream, as the exchange opened it.
pub struct UserStream<M> {
    /// The mechanism in use (reported by `user_stream_mechanism`, logged on each connect).
    pub mechanism: M,
    /// What keeps the stream running (a socket handle, a key driver's task); dropped when the
    /// consumer ends.
    pub keep: Box<dyn Send + Sync>,
    /// An event received while opening, applied before the rest.
    pub first: Option<StreamEvent>,
    pub events: mpsc::Receiver<StreamEvent>,
    /// Asks the stream to stop cleanly (then `events` ends); `None`: the consumer is aborted.
    pub stop: Option<watch::Sender<bool>>,
}

/// The private-stream mechanism of a venue that has none (yet): its orders are followed by the
/// framework's reconciler alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PollingOnly;

impl fmt::Display for PollingOnly {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("none (orders reconciled by polling)")
    }
}

impl UserStream<PollingOnly> {
    /// A stream that stays open and silent (its sender is kept), so that the reconciler alone
    /// follows the orders.
    pub fn polling_only() -> Self {
        let (tx, events) = mpsc::channel(1);
        Self {
            mechanism: PollingOnly,
            keep: Box::new(tx),
            first: None,
            events,
            stop: None,
        }
    }
}

/// Aborts a task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<M> UserStream<M> {
    /// A stream whose events a relay task sends (the task owning the socket, between it and the
    /// consumer): the relay, and with it the socket, is aborted when the consumer ends.
    pub fn relayed(
        mechanism: M,
        relay: tokio::task::JoinHandle<()>,
        events: mpsc::Receiver<StreamEvent>,
    ) -> Self {
        Self {
            mechanism,
            keep: Box::new(AbortOnDrop(relay)),
            first: None,
            events,
            stop: None,
        }
    }
}

/// The subscriber of a private stream that signs in on each connect (a login or auth message):
/// `sign` gets the exchange's time then (Unix ms) and makes the messages, so that a reconnect
/// never resends a stale signature; a message that cannot be signed is logged (never its
/// content) and the connect sends nothing.
pub fn signed_on_connect(
    clock: Arc<ServerClock>,
    sign: impl Fn(u64) -> Result<Vec<String>, CexError> + Send + Sync + 'static,
) -> Subscriber {
    Arc::new(move || {
        let now = u64::try_from(clock.now_ms()).unwrap_or(0);
        sign(now).unwrap_or_else(|e| {
            tracing::error!(error = %e, "cannot sign the private stream's login");
            Vec::new()
        })
    })
}

impl<M: fmt::Debug> fmt::Debug for UserStream<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UserStream")
            .field("mechanism", &self.mechanism)
            .finish_non_exhaustive()
    }
}

/// A market whose book cannot be kept: its data is off the grid the exchange lists for it, or it
/// is no longer traded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("market {pair} is unavailable: {reason}")]
pub struct MarketUnavailable {
    pub pair: Pair,
    pub reason: String,
}

/// Refetches a symbol's rules from the exchange: the (price, size) grids its book must use now,
/// or `None` if the symbol is no longer traded.
pub type RulesRefresher =
    Arc<dyn Fn() -> BoxFuture<'static, Result<Option<(Grid, Grid)>, CexError>> + Send + Sync>;

/// What a live book is started with.
pub struct BookFeed {
    pub pair: Pair,
    pub market: Market,
    pub rest: RestClient,
    /// Where the book publishes `BookChanged`, `ConnectionLost` and `Resynced`.
    pub hub: Arc<EventHub>,
    /// Called when the stream's data goes off the market's grids.
    pub refresh_rules: RulesRefresher,
}

/// A running book subscription, as the framework reads it. Dropping it stops its task.
pub trait LiveBookView: Send + Sync + fmt::Debug + 'static {
    /// `f` over the book and its sequence number, if the book is synced now.
    fn with_synced<R>(&self, f: impl FnOnce(&OrderBook, Option<u64>) -> R) -> Option<R>;
    /// Why the book was given up, if it was.
    fn unavailable(&self) -> Option<MarketUnavailable>;
}

/// The protocol of one exchange: everything the generic venue cannot know. Errors are the
/// exchange's own, typed by its `errors.rs` ([`CexError::Api`] with an
/// [`ApiErrorKind`](crate::cex::error::ApiErrorKind)): the framework reads `UnknownOrder` as "the
/// exchange has no such order" and `UnknownSymbol` as "no longer traded", and any error without an
/// answer as an unknown outcome (never a reason to resend).
#[async_trait]
pub trait ExchangeApi: Send + Sync + fmt::Debug + 'static {
    /// How the private stream is delivered (one value if the exchange has one mechanism).
    type Mechanism: Copy + PartialEq + fmt::Debug + fmt::Display + Send + Sync + 'static;
    /// A live book of the exchange's depth stream (its continuity rule inside).
    type Book: LiveBookView;

    /// What kind of venue this is (a perpetuals exchange says so).
    fn kind(&self) -> VenueKind {
        VenueKind::Cex
    }
    /// How it trades.
    fn execution(&self) -> Execution {
        Execution::IocLimit
    }
    /// The id rules of the exchange's client order ids.
    fn client_id_rule(&self) -> &ClientIdRule;
    /// The prefix of the ids `new_client_id` makes.
    fn client_id_prefix(&self) -> &str;

    /// Every tradable market (symbols whose rules cannot key a book left out).
    async fn load_markets(&self, rest: &RestClient) -> Result<Vec<Market>, CexError>;
    /// The market of one symbol now; `None` if it is not traded any more.
    async fn load_market(
        &self,
        rest: &RestClient,
        symbol: &str,
    ) -> Result<Option<Market>, CexError>;

    /// Sends `order` (already checked against `market`'s rules and the id rule).
    async fn submit(
        &self,
        rest: &RestClient,
        order: &OrderRequest,
        market: &Market,
    ) -> Result<OrderAck, CexError>;
    /// Cancels the order of client id `id`.
    async fn cancel(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError>;
    /// The exchange's record of the order of client id `id`.
    async fn query(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        market: &Market,
    ) -> Result<OrderAck, CexError>;
    /// Orders open at the exchange (of one symbol, or all), as shared orders; orders of a symbol
    /// not in `markets` are left out.
    async fn open_orders(
        &self,
        rest: &RestClient,
        markets: &Markets,
        symbol: Option<&str>,
    ) -> Result<Vec<Order>, CexError>;
    /// The account's trades of one order.
    async fn order_trades(
        &self,
        rest: &RestClient,
        id: &ClientOrderId,
        venue_order_id: &str,
        market: &Market,
    ) -> Result<Vec<Fill>, CexError>;
    /// The account's balances.
    async fn balances(&self, rest: &RestClient) -> Result<Vec<Balance>, CexError>;

    /// Starts following the book of `feed.pair`.
    fn spawn_book(&self, feed: BookFeed) -> Self::Book;
    /// A one-off book from a REST snapshot (synced, or an error).
    async fn snapshot_book(
        &self,
        rest: &RestClient,
        market: &Market,
    ) -> Result<OrderBook, CexError>;

    /// Opens the private stream (subscribed, or retrying in the background); its error is the
    /// caller's (refused keys are reported, never retried silently).
    async fn open_user_stream(
        &self,
        id: &VenueId,
        rest: &RestClient,
    ) -> Result<UserStream<Self::Mechanism>, VenueError>;
    /// One frame of the private stream; `markets` resolves symbols to pairs.
    fn parse_user_frame(&self, frame: &[u8], markets: &Markets) -> Result<UserEvent, CexError>;
    /// Logged on each connect of the private stream.
    fn user_stream_connected(&self, id: &VenueId, mechanism: Self::Mechanism) {
        tracing::info!(venue = %id, %mechanism, "user data stream connected");
    }

    // ---- perpetuals: a spot exchange keeps every default below ----

    /// Whether the exchange trades perpetuals (its orders may carry [`PerpOrder`] options).
    fn perpetuals(&self) -> bool {
        false
    }
    /// Sends a perpetual order (already checked like [`ExchangeApi::submit`]'s, and its options
    /// by [`PerpOrder::check_shape`]). Called only when [`ExchangeApi::perpetuals`] says so.
    async fn submit_perp(
        &self,
        _rest: &RestClient,
        order: &PerpOrder,
        _market: &Market,
    ) -> Result<OrderAck, CexError> {
        Err(CexError::Invalid(format!(
            "perpetual order {}: not supported by this exchange",
            order.order.client_id
        )))
    }
    /// The account's open positions (of one symbol, or all); positions of a symbol not in
    /// `markets` are left out.
    async fn positions(
        &self,
        _rest: &RestClient,
        _markets: &Markets,
        _symbol: Option<&str>,
    ) -> Result<Vec<Position>, VenueError> {
        Err(VenueError::NotSupported("positions".into()))
    }
    /// Mark and index price, funding rate and next funding time of a market.
    async fn funding(
        &self,
        _rest: &RestClient,
        market: &Market,
    ) -> Result<FundingInfo, VenueError> {
        Err(VenueError::NotSupported(format!(
            "funding of {}",
            market.rules.pair
        )))
    }
    /// The funding settlements booked since `since_ms` (of one symbol, or all), oldest first;
    /// those of a symbol not in `markets` are left out.
    async fn funding_payments(
        &self,
        _rest: &RestClient,
        _markets: &Markets,
        _symbol: Option<&str>,
        _since_ms: u64,
    ) -> Result<Vec<FundingPayment>, VenueError> {
        Err(VenueError::NotSupported("funding payments".into()))
    }
    /// Sets a market's leverage.
    async fn set_leverage(
        &self,
        _rest: &RestClient,
        market: &Market,
        _leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        Err(VenueError::NotSupported(format!(
            "leverage of {}",
            market.rules.pair
        )))
    }
    /// Sets a market's margin mode.
    async fn set_margin_mode(
        &self,
        _rest: &RestClient,
        market: &Market,
        mode: MarginMode,
    ) -> Result<(), VenueError> {
        Err(VenueError::NotSupported(format!(
            "{mode} margin on {}",
            market.rules.pair
        )))
    }
    /// The account's position mode.
    async fn position_mode(&self, _rest: &RestClient) -> Result<PositionMode, VenueError> {
        Err(VenueError::NotSupported("position mode".into()))
    }
    /// Sets the account's position mode.
    async fn set_position_mode(
        &self,
        _rest: &RestClient,
        mode: PositionMode,
    ) -> Result<(), VenueError> {
        Err(VenueError::NotSupported(format!("{mode} position mode")))
    }
}
