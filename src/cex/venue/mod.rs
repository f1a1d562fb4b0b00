//! The generic exchange venue (DESIGN.md §6): [`ExchangeVenue<E>`] implements [`Venue`] once for
//! every exchange `E: ExchangeApi`. It owns the glue every exchange shares — the markets cache,
//! the order tracker and its "unknown outcome → reconcile, never resend" rules, adoption of
//! orders sent by an earlier process, the reconciler, the private-stream consumer, the live books,
//! the events and the background tasks, and for perpetuals exchanges positions, funding and the
//! leverage / margin / position-mode settings (`perp.rs`) — so an exchange writes only its own
//! protocol ([`ExchangeApi`]).

mod books;
pub mod credentials;
mod dry_run;
pub mod exchange;
pub mod markets;
mod orders;
mod perp;
mod user_stream;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::task::JoinHandle;

use crate::cex::error::CexError;
use crate::cex::http::RestClient;
use crate::cex::order_tracker::{OrderReport, OrderTracker};
use crate::core::{
    Balance, ClientOrderId, Fill, FundingInfo, FundingPayment, LeverageSetting, MarginMode,
    MarketRules, Order, OrderRequest, Pair, PerpOrder, Position, PositionMode, Quote, QuoteRequest,
    VenueEvent,
};
use crate::venue::{
    BackgroundTasks, BookTop, DryRun, EventHub, EventReceiver, Execution, Venue, VenueError,
    VenueId, VenueKind,
};

pub use self::exchange::{
    AccountUpdate, BookFeed, ExchangeApi, LiveBookView, Market, MarketUnavailable, OrderAck,
    OrderUpdate, PollingOnly, RulesRefresher, UserEvent, UserStream,
};
pub use self::markets::{Markets, RELOAD_MIN_INTERVAL};

/// How often a started venue polls the orders its private stream may have missed.
pub const RECONCILE_EVERY: Duration = Duration::from_secs(5);

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[derive(Debug)]
struct Inner<E: ExchangeApi> {
    id: VenueId,
    exchange: E,
    rest: RestClient,
    hub: Arc<EventHub>,
    markets: tokio::sync::Mutex<Option<Arc<Markets>>>,
    /// When the markets were last reloaded for a pair or symbol the cache lacked.
    markets_loaded: Mutex<Option<Instant>>,
    tracker: Mutex<OrderTracker>,
    books: Mutex<HashMap<Pair, Arc<E::Book>>>,
    user_stream: Mutex<Option<user_stream::UserStreamTask<E::Mechanism>>>,
    /// Serializes `start_user_stream` (two starts would open two streams).
    user_stream_start: tokio::sync::Mutex<()>,
    /// What `Venue::start` runs besides books and the private stream (the reconciler).
    background: BackgroundTasks,
    /// How often the reconciler `Venue::start` runs polls (default [`RECONCILE_EVERY`]).
    reconcile_every: Mutex<Duration>,
    /// The funding payments the private stream published (perpetuals), each once.
    funding_seen: Mutex<user_stream::FundingSeen>,
}

impl<E: ExchangeApi> Drop for Inner<E> {
    fn drop(&mut self) {
        // the consumer holds the venue weakly: stop its stream with the venue
        if let Some(task) = lock(&self.user_stream).take() {
            drop(task.shut());
        }
    }
}

/// One exchange as a venue. Cheap to clone (shared state).
#[derive(Debug)]
pub struct ExchangeVenue<E: ExchangeApi> {
    inner: Arc<Inner<E>>,
}

impl<E: ExchangeApi> Clone for ExchangeVenue<E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<E: ExchangeApi> ExchangeVenue<E> {
    /// The venue `id` of `exchange`, talking to it through `rest` (whose signer, if any, makes
    /// trading possible).
    pub fn from_parts(id: VenueId, exchange: E, rest: RestClient) -> Self {
        Self {
            inner: Arc::new(Inner {
                tracker: Mutex::new(OrderTracker::new(&id.to_string())),
                id,
                exchange,
                rest,
                hub: Arc::new(EventHub::new()),
                markets: tokio::sync::Mutex::new(None),
                markets_loaded: Mutex::new(None),
                books: Mutex::new(HashMap::new()),
                user_stream: Mutex::new(None),
                user_stream_start: tokio::sync::Mutex::new(()),
                background: BackgroundTasks::new(),
                reconcile_every: Mutex::new(RECONCILE_EVERY),
                funding_seen: Mutex::new(user_stream::FundingSeen::default()),
            }),
        }
    }

    /// The exchange's own part.
    pub fn exchange(&self) -> &E {
        &self.inner.exchange
    }

    /// The REST client (its limiter and clock), for tests and tools.
    pub fn rest(&self) -> &RestClient {
        &self.inner.rest
    }

    /// Syncs the clock offset with the exchange.
    pub async fn sync_clock(&self) -> Result<i64, CexError> {
        self.inner.rest.sync_clock().await
    }

    /// The tasks `Venue::start` started (the reconciler), stopped by `Venue::close`.
    pub fn background_tasks(&self) -> &BackgroundTasks {
        &self.inner.background
    }

    /// How often the reconciler that `Venue::start` runs polls (a connector's table sets it;
    /// a reconciler already running keeps its interval).
    pub fn set_reconcile_interval(&self, every: Duration) {
        *lock(&self.inner.reconcile_every) = every;
    }

    /// A tracked order as known now (no request).
    pub fn tracked(&self, id: &ClientOrderId) -> Option<Order> {
        lock(&self.inner.tracker).get(id).cloned()
    }

    /// Whether a tracked order was marked lost.
    pub fn is_lost(&self, id: &ClientOrderId) -> bool {
        lock(&self.inner.tracker).is_lost(id)
    }

    /// A client order id that fits the exchange's rules.
    pub fn new_client_id(&self) -> Result<ClientOrderId, VenueError> {
        let e = &self.inner.exchange;
        Ok(e.client_id_rule().fresh(e.client_id_prefix())?)
    }

    /// Stops this venue's background streams (live books and the private stream), e.g. before
    /// the exchange it talks to goes away. Public calls keep working over REST.
    pub fn close(&self) {
        lock(&self.inner.books).clear();
        if let Some(task) = lock(&self.inner.user_stream).take() {
            // a stream with a clean stop goes on just long enough to stop
            drop(task.shut());
        }
    }

    fn publish_all(&self, events: Vec<VenueEvent>) {
        for e in events {
            self.inner.hub.publish(e);
        }
    }

    fn apply_report(&self, report: OrderReport) {
        let r = lock(&self.inner.tracker).apply(report);
        match r {
            Ok(ev) => self.publish_all(ev),
            Err(e) => tracing::error!(error = %e, "order report not applied"),
        }
    }

    /// `Venue::start`: a live book per pair; with keys, the private stream and the reconciler.
    pub async fn start_pairs(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        for pair in pairs {
            self.watch_book(pair).await?;
        }
        if self.inner.rest.signer().is_some() {
            self.start_user_stream().await?;
            if self.inner.background.running() == 0 {
                self.inner
                    .background
                    .keep(self.spawn_reconciler(*lock(&self.inner.reconcile_every)));
            }
        }
        Ok(())
    }
}

#[async_trait]
impl<E: ExchangeApi> Venue for ExchangeVenue<E> {
    fn id(&self) -> &VenueId {
        &self.inner.id
    }

    fn kind(&self) -> VenueKind {
        self.inner.exchange.kind()
    }

    fn execution(&self) -> Execution {
        self.inner.exchange.execution()
    }

    async fn start(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        self.start_pairs(pairs).await
    }

    async fn close(&self) {
        self.inner.background.stop_all();
        self.stop_user_stream().await;
        ExchangeVenue::close(self);
    }

    fn new_client_id(&self) -> Result<ClientOrderId, VenueError> {
        ExchangeVenue::new_client_id(self)
    }

    fn tracked_order(&self, id: &ClientOrderId) -> Option<Order> {
        self.tracked(id)
    }

    async fn list_open_orders(&self, pair: Option<&Pair>) -> Result<Vec<Order>, VenueError> {
        self.open_orders(pair).await
    }

    async fn adopt_order(&self, id: &ClientOrderId) -> Result<Order, VenueError> {
        self.adopt_open_order(id).await
    }

    async fn book_top(&self, pair: &Pair, depth: usize) -> Result<Option<BookTop>, VenueError> {
        self.top_of_book(pair, depth)
    }

    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError> {
        let m = self.load_markets().await?;
        let mut v: Vec<_> = m.iter().map(|m| m.rules.clone()).collect();
        v.sort_by(|a, b| a.pair.cmp(&b.pair));
        Ok(v)
    }

    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        self.book_quote(request).await
    }

    async fn balances(&self) -> Result<Vec<Balance>, VenueError> {
        let all = self.inner.exchange.balances(&self.inner.rest).await?;
        Ok(all.into_iter().filter(|b| !b.total.is_zero()).collect())
    }

    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError> {
        self.submit_order(order).await
    }

    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        self.cancel_order(id).await
    }

    async fn dry_run(&self, order: OrderRequest) -> Result<DryRun, VenueError> {
        self.dry_run_order(order).await
    }

    async fn submit_perp(&self, order: PerpOrder) -> Result<ClientOrderId, VenueError> {
        self.submit_perp_order(order).await
    }

    async fn positions(&self, pair: Option<&Pair>) -> Result<Vec<Position>, VenueError> {
        self.exchange_positions(pair).await
    }

    async fn funding(&self, pair: &Pair) -> Result<FundingInfo, VenueError> {
        self.exchange_funding(pair).await
    }

    async fn funding_payments(
        &self,
        pair: Option<&Pair>,
        since_ms: u64,
    ) -> Result<Vec<FundingPayment>, VenueError> {
        self.exchange_funding_payments(pair, since_ms).await
    }

    async fn set_leverage(
        &self,
        pair: &Pair,
        leverage: u32,
    ) -> Result<LeverageSetting, VenueError> {
        self.exchange_set_leverage(pair, leverage).await
    }

    async fn set_margin_mode(&self, pair: &Pair, mode: MarginMode) -> Result<(), VenueError> {
        self.exchange_set_margin_mode(pair, mode).await
    }

    async fn position_mode(&self) -> Result<PositionMode, VenueError> {
        self.exchange_position_mode().await
    }

    async fn set_position_mode(&self, mode: PositionMode) -> Result<(), VenueError> {
        self.exchange_set_position_mode(mode).await
    }

    async fn order_status(&self, order: &OrderRequest) -> Result<Order, VenueError> {
        let id = &order.client_id;
        if self.tracked(id).is_none() {
            // An order sent before a restart: adopt it only if the exchange knows it.
            if self.query_order(order).await?.is_none() {
                return Err(VenueError::UnknownOrder(id.clone()));
            }
            lock(&self.inner.tracker).track(order.clone())?;
        }
        self.reconcile_order(id).await?;
        self.tracked(id)
            .ok_or_else(|| VenueError::UnknownOrder(id.clone()))
    }

    async fn order_fills(&self, order: &OrderRequest) -> Result<Vec<Fill>, VenueError> {
        let Some(ack) = self.query_order(order).await? else {
            return Err(VenueError::UnknownOrder(order.client_id.clone()));
        };
        let market = self.market(&order.pair).await?;
        let trades = self
            .inner
            .exchange
            .order_trades(
                &self.inner.rest,
                &order.client_id,
                &ack.venue_order_id,
                &market,
            )
            .await?;
        Ok(trades
            .into_iter()
            .map(|mut f| {
                f.venue = self.inner.id.to_string();
                f
            })
            .collect())
    }

    fn events(&self) -> EventReceiver {
        self.inner.hub.subscribe()
    }
}

/// A reconciler task that holds the venue weakly: it ends once the venue is dropped.
fn spawn_weak_loop<E: ExchangeApi>(venue: &ExchangeVenue<E>, every: Duration) -> JoinHandle<()> {
    let weak = Arc::downgrade(&venue.inner);
    tokio::spawn(async move {
        let mut t = tokio::time::interval(every);
        loop {
            t.tick().await;
            let Some(inner) = weak.upgrade() else {
                break;
            };
            let _ = ExchangeVenue { inner }.reconcile().await;
        }
    })
}
