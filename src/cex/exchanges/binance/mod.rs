//! Binance spot (and Binance US, the same protocol on its own domain) as a [`Venue`]: markets and
//! rules from `exchangeInfo`, live books from the depth stream, quotes walking the book, balances,
//! LIMIT / LIMIT_MAKER / MARKET orders, cancels, order status and account trades over signed REST,
//! and order and balance events from the private user stream, with REST polling to reconcile
//! whatever the stream missed.
//!
//! The user stream speaks whichever mechanism the server serves, with one code path for both
//! venues ([`BinanceConfig::user_stream`], default `auto`): first the WebSocket API subscription
//! (`userDataStream.subscribe.signature`, Binance.com's only mechanism since 2026-02-20); if the
//! server does not serve it (the endpoint cannot be connected to, refuses the upgrade, or answers
//! the method with `-1020 UNSUPPORTED_OPERATION`), the legacy listenKey stream
//! (`listen_key`: `POST /api/v3/userDataStream`, `/ws/<listenKey>`, keepalive `PUT`s, a new
//! key after `listenKeyExpired` or a drop, `DELETE` on stop). An authentication, signature or
//! timestamp error on the subscription is reported, never a reason to fall back. Both streams'
//! events reach the order tracker and the balances the same way, and the mechanism in use is
//! logged at info level on each connect. Binance US, whose switch to the WebSocket API is
//! unverified, is served either way.

pub mod api;
pub mod book;
pub mod connect;
pub mod depth;
pub mod errors;
pub mod listen_key;
mod manual;
mod orders;
pub use orders::order_request;
pub mod sign;
pub mod user;
mod user_stream;

pub use sign::binance_signer;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::Method;
use rust_decimal::Decimal;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cex::auth::ApiCredentials;
use crate::cex::error::CexError;
use crate::cex::grid::Grid;
use crate::cex::http::{ApiRequest, RestClient};
use crate::cex::order_tracker::{OrderReport, OrderTracker};
use crate::cex::rate_limit::RateLimiter;
use crate::cex::sign::Signer;
use crate::cex::stream::{StreamConfig, StreamEvent};
use crate::core::{
    Balance, ClientOrderId, MarketRules, Order, OrderRequest, OrderState, OrderType, Pair, Quote,
    QuoteRequest, Side, TimeInForce, VenueEvent,
};
use crate::venue::{
    BackgroundTasks, ConnectorDescriptor, EventHub, EventReceiver, Execution, ImplState, Venue,
    VenueError, VenueId, VenueKind,
};

use self::api::{
    Account, AccountTrade, BinanceProtocol, ExchangeInfo, ORDERS, OrderResponse, RAW_REQUESTS,
    REQUEST_WEIGHT, code, decode, order_state,
};
use self::book::{LiveBook, RulesRefresher, SNAPSHOT_LIMIT, fetch_snapshot, spawn_live_book};
use self::depth::{SnapshotOutcome, SyncedBook};
use self::listen_key::ListenKeySettings;
pub use self::user::UserStreamMode;
use self::user::{UserMessage, WsApiStart};

/// Binance spot in the registry.
pub const DESCRIPTOR: ConnectorDescriptor = ConnectorDescriptor {
    name: "binance",
    module: "cex::exchanges::binance",
    state: ImplState::Ready,
};

/// Binance US: the same code with its own URLs; its user stream works whether the server serves
/// the WebSocket API subscription or only the legacy listenKey stream.
pub const DESCRIPTOR_US: ConnectorDescriptor = ConnectorDescriptor {
    name: "binance_us",
    module: "cex::exchanges::binance",
    state: ImplState::Ready,
};

/// Where a Binance deployment lives, and the account's trading parameters.
#[derive(Debug, Clone)]
pub struct BinanceConfig {
    /// Venue name: `binance` or `binance_us`.
    pub name: String,
    pub rest_url: String,
    /// Market streams base (`/ws/<stream>` is appended).
    pub ws_url: String,
    /// WebSocket API endpoint (user data stream).
    pub ws_api_url: String,
    pub recv_window_ms: u64,
    pub maker_fee: Decimal,
    pub taker_fee: Decimal,
    /// Prefix of generated client order ids.
    pub client_id_prefix: String,
    /// User-stream mechanism: `auto` (WebSocket API, else listenKey), `ws_api` or `listen_key`.
    pub user_stream: UserStreamMode,
    /// Interval of the listenKey keepalive `PUT`s (Binance: keys lapse after 60 minutes).
    pub listen_key_keepalive: Duration,
    /// How long the WebSocket API subscription may take to be answered before `auto` tries the
    /// listenKey stream.
    pub user_stream_timeout: Duration,
}

impl BinanceConfig {
    pub fn binance() -> Self {
        Self {
            name: "binance".into(),
            rest_url: "https://api.binance.com".into(),
            ws_url: "wss://stream.binance.com:9443".into(),
            ws_api_url: "wss://ws-api.binance.com:443/ws-api/v3".into(),
            recv_window_ms: 5000,
            maker_fee: Decimal::new(1, 3),
            taker_fee: Decimal::new(1, 3),
            client_id_prefix: "sluice-".into(),
            user_stream: UserStreamMode::Auto,
            listen_key_keepalive: Duration::from_secs(30 * 60),
            user_stream_timeout: Duration::from_secs(10),
        }
    }

    pub fn binance_us() -> Self {
        Self {
            name: "binance_us".into(),
            rest_url: "https://api.binance.us".into(),
            ws_url: "wss://stream.binance.us:9443".into(),
            ws_api_url: "wss://ws-api.binance.us:443/ws-api/v3".into(),
            ..Self::binance()
        }
    }

    /// The configuration of a venue by name.
    pub fn for_venue(name: &str) -> Option<Self> {
        match name {
            "binance" => Some(Self::binance()),
            "binance_us" => Some(Self::binance_us()),
            _ => None,
        }
    }
}

/// One tradable symbol: its rules and the grids its book is kept on.
#[derive(Debug, Clone)]
pub struct Market {
    pub rules: MarketRules,
    pub price: Grid,
    pub size: Grid,
}

#[derive(Debug, Default)]
struct Markets {
    by_pair: HashMap<Pair, Market>,
    by_symbol: HashMap<String, Pair>,
}

#[derive(Debug)]
struct Inner {
    id: VenueId,
    cfg: BinanceConfig,
    rest: RestClient,
    hub: Arc<EventHub>,
    markets: tokio::sync::Mutex<Option<Arc<Markets>>>,
    tracker: Mutex<OrderTracker>,
    books: Mutex<HashMap<Pair, Arc<LiveBook>>>,
    user_stream: Mutex<Option<UserStreamTask>>,
    /// Serializes `start_user_stream` (two starts would share, then close, one listenKey).
    user_stream_start: tokio::sync::Mutex<()>,
    /// What `Venue::start` runs besides books and the user stream (the reconciler).
    background: BackgroundTasks,
}

/// The running user stream.
#[derive(Debug)]
struct UserStreamTask {
    /// The consumer task (it owns the stream or the listenKey driver).
    task: JoinHandle<()>,
    /// `WsApi` or `ListenKey`.
    mechanism: UserStreamMode,
    /// Stops the listenKey driver, which then closes its key.
    stop: Option<watch::Sender<bool>>,
}

impl UserStreamTask {
    /// Stops it: a listenKey driver closes its key and ends (which ends the consumer); a
    /// WebSocket API stream is aborted.
    fn shut(self) -> JoinHandle<()> {
        match self.stop {
            Some(stop) => {
                stop.send_replace(true);
            }
            None => self.task.abort(),
        }
        self.task
    }
}

/// The connector. Cheap to clone (shared state).
#[derive(Debug, Clone)]
pub struct BinanceSpot {
    inner: Arc<Inner>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl BinanceSpot {
    /// A connector; without credentials only public data (markets, books, quotes) works.
    /// An HMAC secret signs with Binance's HMAC recipe, an Ed25519 PEM key with its Ed25519 one.
    pub fn new(cfg: BinanceConfig, creds: Option<ApiCredentials>) -> Result<Self, CexError> {
        let signer = match creds {
            Some(c) => Some(Arc::new(binance_signer(&c, cfg.recv_window_ms)?)),
            None => None,
        };
        Self::with_signer(cfg, signer)
    }

    /// A connector with any signer.
    pub fn with_signer(cfg: BinanceConfig, signer: Option<Arc<Signer>>) -> Result<Self, CexError> {
        let id: VenueId = cfg
            .name
            .parse()
            .map_err(|e: VenueError| CexError::Invalid(e.to_string()))?;
        let limiter = Arc::new(RateLimiter::new(&api::default_limits()));
        let protocol = Arc::new(BinanceProtocol {
            recv_window_ms: cfg.recv_window_ms,
        });
        let rest = RestClient::new(&cfg.rest_url, protocol, signer, limiter)?;
        Ok(Self {
            inner: Arc::new(Inner {
                tracker: Mutex::new(OrderTracker::new(&cfg.name)),
                id,
                cfg,
                rest,
                hub: Arc::new(EventHub::new()),
                markets: tokio::sync::Mutex::new(None),
                books: Mutex::new(HashMap::new()),
                user_stream: Mutex::new(None),
                user_stream_start: tokio::sync::Mutex::new(()),
                background: BackgroundTasks::new(),
            }),
        })
    }

    pub fn config(&self) -> &BinanceConfig {
        &self.inner.cfg
    }

    /// The tasks `Venue::start` started (the reconciler), stopped by `Venue::close`.
    pub(crate) fn background_tasks(&self) -> &BackgroundTasks {
        &self.inner.background
    }

    /// The REST client (its limiter and clock), for tests and tools.
    pub fn rest(&self) -> &RestClient {
        &self.inner.rest
    }

    /// Syncs the clock offset with the exchange.
    pub async fn sync_clock(&self) -> Result<i64, CexError> {
        self.inner.rest.sync_clock().await
    }

    async fn load_markets(&self) -> Result<Arc<Markets>, CexError> {
        let mut guard = self.inner.markets.lock().await;
        if let Some(m) = guard.as_ref() {
            return Ok(m.clone());
        }
        let req = ApiRequest::new(Method::GET, "/api/v3/exchangeInfo")
            .cost(REQUEST_WEIGHT, 20)
            .cost(RAW_REQUESTS, 1);
        let body = self.inner.rest.request(&req).await?;
        let info: ExchangeInfo = decode("exchangeInfo", &body)?;
        let limits = info.limits();
        if !limits.is_empty() {
            self.inner.rest.limiter.set_limits(&limits);
        }
        let mut m = Markets::default();
        for s in &info.symbols {
            let Some(market) = self.market_of(s) else {
                continue;
            };
            m.by_symbol
                .insert(s.symbol.clone(), market.rules.pair.clone());
            m.by_pair.insert(market.rules.pair.clone(), market);
        }
        let m = Arc::new(m);
        *guard = Some(m.clone());
        Ok(m)
    }

    /// The market of one `exchangeInfo` symbol; `None` if it is not trading or its tick or step
    /// size cannot key a book.
    fn market_of(&self, s: &api::SymbolInfo) -> Option<Market> {
        let rules = api::symbol_rules(s, self.inner.cfg.maker_fee, self.inner.cfg.taker_fee)?;
        let (Ok(price), Ok(size)) = (Grid::new(rules.tick_size), Grid::new(rules.step_size)) else {
            tracing::warn!(symbol = %s.symbol, "unusable tick or step size; symbol skipped");
            return None;
        };
        Some(Market { rules, price, size })
    }

    /// Refetches the rules of one pair's symbol (`exchangeInfo?symbol=`) and replaces them in the
    /// markets cache: the exchange may have changed its filters (tick size, step size). `None`
    /// (and the pair dropped from the cache) if the symbol is no longer trading.
    pub async fn refresh_market(&self, pair: &Pair) -> Result<Option<Market>, VenueError> {
        let symbol = self.market(pair).await?.rules.venue_symbol;
        let req = ApiRequest::new(Method::GET, "/api/v3/exchangeInfo")
            .param("symbol", &symbol)
            .cost(REQUEST_WEIGHT, 20)
            .cost(RAW_REQUESTS, 1);
        let market = match self.inner.rest.request(&req).await {
            Ok(body) => decode::<ExchangeInfo>("exchangeInfo", &body)?
                .symbols
                .iter()
                .find(|s| s.symbol == symbol)
                .and_then(|s| self.market_of(s))
                .filter(|m| &m.rules.pair == pair),
            // delisted: `Invalid symbol.`
            Err(CexError::Api {
                code: code::BAD_SYMBOL,
                ..
            }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut guard = self.inner.markets.lock().await;
        let mut m = Markets::default();
        if let Some(old) = guard.as_ref() {
            m.by_pair = old.by_pair.clone();
            m.by_symbol = old.by_symbol.clone();
        }
        match &market {
            Some(market) => {
                m.by_symbol.insert(symbol, pair.clone());
                m.by_pair.insert(pair.clone(), market.clone());
            }
            None => {
                m.by_symbol.remove(&symbol);
                m.by_pair.remove(pair);
            }
        }
        *guard = Some(Arc::new(m));
        Ok(market)
    }

    /// The market of a pair, or `UnknownPair`.
    pub async fn market(&self, pair: &Pair) -> Result<Market, VenueError> {
        let m = self.load_markets().await?;
        m.by_pair
            .get(pair)
            .cloned()
            .ok_or_else(|| VenueError::UnknownPair {
                venue: self.inner.id.to_string(),
                pair: pair.clone(),
            })
    }

    /// Starts (or returns) the live book of a pair.
    ///
    /// A book whose market was given up (its data off the rules the exchange lists, see
    /// [`MarketUnavailable`](self::book::MarketUnavailable)) is an error, not restarted.
    pub async fn watch_book(&self, pair: &Pair) -> Result<Arc<LiveBook>, VenueError> {
        if let Some(b) = lock(&self.inner.books).get(pair) {
            if let Some(u) = b.unavailable() {
                return Err(VenueError::Protocol(u.to_string()));
            }
            return Ok(b.clone());
        }
        let market = self.market(pair).await?;
        let book = SyncedBook::new(&market.rules.venue_symbol, market.price, market.size);
        // weak: the connector owns its books, a book task must not keep the connector alive
        let weak = Arc::downgrade(&self.inner);
        let refresh_pair = pair.clone();
        let refresh_rules: RulesRefresher = Arc::new(move || {
            let (inner, pair) = (weak.upgrade(), refresh_pair.clone());
            Box::pin(async move {
                let Some(inner) = inner else {
                    return Err(CexError::Invalid("the connector was dropped".into()));
                };
                match (BinanceSpot { inner }).refresh_market(&pair).await {
                    Ok(m) => Ok(m.map(|m| (m.price, m.size))),
                    Err(VenueError::UnknownPair { .. }) => Ok(None),
                    Err(e) => Err(CexError::Invalid(e.to_string())),
                }
            })
        });
        let live = Arc::new(spawn_live_book(
            pair.clone(),
            book,
            self.inner.rest.clone(),
            &self.inner.cfg.ws_url,
            self.inner.hub.clone(),
            refresh_rules,
        ));
        let mut books = lock(&self.inner.books);
        Ok(books.entry(pair.clone()).or_insert(live).clone())
    }

    /// A one-off book from a REST snapshot.
    pub async fn snapshot_book(&self, pair: &Pair, limit: u32) -> Result<SyncedBook, VenueError> {
        let market = self.market(pair).await?;
        let body = fetch_snapshot(&self.inner.rest, &market.rules.venue_symbol, limit).await?;
        let mut book = SyncedBook::new(&market.rules.venue_symbol, market.price, market.size);
        match book.on_snapshot(&body).map_err(CexError::from)? {
            SnapshotOutcome::Synced { .. } => Ok(book),
            other => Err(VenueError::Protocol(format!(
                "snapshot not applied: {other:?}"
            ))),
        }
    }

    /// Recent public trades of a pair: (trade id, price, size, buyer is maker).
    pub async fn recent_trades(
        &self,
        pair: &Pair,
        limit: u32,
    ) -> Result<Vec<(i64, Decimal, Decimal, bool)>, VenueError> {
        #[derive(serde::Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct T {
            id: i64,
            price: Decimal,
            qty: Decimal,
            is_buyer_maker: bool,
        }
        let market = self.market(pair).await?;
        let req = ApiRequest::new(Method::GET, "/api/v3/trades")
            .param("symbol", &market.rules.venue_symbol)
            .param("limit", limit)
            .cost(REQUEST_WEIGHT, 25)
            .cost(RAW_REQUESTS, 1);
        let body = self.inner.rest.request(&req).await?;
        let t: Vec<T> = decode("trades", &body)?;
        Ok(t.into_iter()
            .map(|t| (t.id, t.price, t.qty, t.is_buyer_maker))
            .collect())
    }

    /// Orders open at the exchange (all symbols, or one pair).
    pub async fn open_orders(&self, pair: Option<&Pair>) -> Result<Vec<OrderResponse>, VenueError> {
        let mut req = ApiRequest::new(Method::GET, "/api/v3/openOrders").signed();
        match pair {
            Some(p) => {
                let m = self.market(p).await?;
                req = req
                    .param("symbol", &m.rules.venue_symbol)
                    .cost(REQUEST_WEIGHT, 6);
            }
            None => req = req.cost(REQUEST_WEIGHT, 80),
        }
        let body = self.inner.rest.request(&req.cost(RAW_REQUESTS, 1)).await?;
        Ok(decode("openOrders", &body)?)
    }

    /// The account's trades on a pair (of one order, if given).
    pub async fn account_trades(
        &self,
        pair: &Pair,
        order_id: Option<i64>,
    ) -> Result<Vec<AccountTrade>, VenueError> {
        let m = self.market(pair).await?;
        let mut req = ApiRequest::new(Method::GET, "/api/v3/myTrades")
            .param("symbol", &m.rules.venue_symbol)
            .signed()
            .cost(RAW_REQUESTS, 1);
        req = match order_id {
            Some(id) => req.param("orderId", id).cost(REQUEST_WEIGHT, 5),
            None => req.cost(REQUEST_WEIGHT, 20),
        };
        let body = self.inner.rest.request(&req).await?;
        Ok(decode("myTrades", &body)?)
    }

    /// A tracked order as known now (no request).
    pub fn tracked(&self, id: &ClientOrderId) -> Option<Order> {
        lock(&self.inner.tracker).get(id).cloned()
    }

    /// Whether a tracked order was marked lost.
    pub fn is_lost(&self, id: &ClientOrderId) -> bool {
        lock(&self.inner.tracker).is_lost(id)
    }

    /// Stops this connector's background streams (live books and the user-data stream), e.g.
    /// before the exchange it talks to goes away. Public calls keep working over REST.
    pub fn close(&self) {
        lock(&self.inner.books).clear();
        if let Some(task) = lock(&self.inner.user_stream).take() {
            // a listenKey driver goes on just long enough to close its key
            drop(task.shut());
        }
    }

    /// Stops the user stream and waits until it ended (a listenKey is closed with `DELETE`).
    pub async fn stop_user_stream(&self) {
        let task = lock(&self.inner.user_stream).take();
        if let Some(task) = task {
            let _ = task.shut().await;
        }
    }

    /// The user-stream mechanism in use (`WsApi` or `ListenKey`), once started.
    pub fn user_stream_mechanism(&self) -> Option<UserStreamMode> {
        lock(&self.inner.user_stream).as_ref().map(|t| t.mechanism)
    }

    /// A client order id that fits Binance's limits.
    pub fn new_client_id(&self) -> Result<ClientOrderId, VenueError> {
        Ok(api::CLIENT_ID_RULE.fresh(&self.inner.cfg.client_id_prefix)?)
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

    fn reference_price(&self, pair: &Pair, side: Side) -> Option<Decimal> {
        let books = lock(&self.inner.books);
        let live = books.get(pair)?;
        let b = live.read();
        if !b.is_synced() {
            return None;
        }
        let l = match side {
            Side::Buy => b.book.best_ask()?,
            Side::Sell => b.book.best_bid()?,
        };
        Some(b.book.price(l.ticks))
    }
}

#[async_trait]
impl Venue for BinanceSpot {
    fn id(&self) -> &VenueId {
        &self.inner.id
    }

    fn kind(&self) -> VenueKind {
        VenueKind::Cex
    }

    fn execution(&self) -> Execution {
        Execution::IocLimit
    }

    async fn start(&self, pairs: &[Pair]) -> Result<(), VenueError> {
        self::connect::start(self, pairs).await
    }

    async fn close(&self) {
        self::connect::close(self).await
    }

    fn new_client_id(&self) -> Result<ClientOrderId, VenueError> {
        BinanceSpot::new_client_id(self)
    }

    fn tracked_order(&self, id: &ClientOrderId) -> Option<Order> {
        self.tracked(id)
    }

    async fn list_open_orders(&self, pair: Option<&Pair>) -> Result<Vec<Order>, VenueError> {
        manual::open_orders(self, pair).await
    }

    async fn adopt_order(&self, id: &ClientOrderId) -> Result<Order, VenueError> {
        self.adopt_open_order(id).await
    }

    async fn book_top(
        &self,
        pair: &Pair,
        depth: usize,
    ) -> Result<Option<crate::venue::BookTop>, VenueError> {
        manual::book_top(self, pair, depth)
    }

    async fn markets(&self) -> Result<Vec<MarketRules>, VenueError> {
        let m = self.load_markets().await?;
        let mut v: Vec<_> = m.by_pair.values().map(|m| m.rules.clone()).collect();
        v.sort_by(|a, b| a.pair.cmp(&b.pair));
        Ok(v)
    }

    async fn quote(&self, request: &QuoteRequest) -> Result<Quote, VenueError> {
        let market = self.market(&request.pair).await?;
        let live = lock(&self.inner.books).get(&request.pair).cloned();
        if let Some(u) = live.as_ref().and_then(|l| l.unavailable()) {
            return Err(VenueError::Protocol(u.to_string()));
        }
        let book_quote = match live {
            Some(live) if live.read().is_synced() => {
                live.read()
                    .book
                    .quote(request.side, request.base_amount, market.rules.taker_fee)
            }
            _ => self
                .snapshot_book(&request.pair, SNAPSHOT_LIMIT)
                .await?
                .book
                .quote(request.side, request.base_amount, market.rules.taker_fee),
        }
        .map_err(|e| VenueError::InsufficientLiquidity(e.to_string()))?;
        if book_quote.filled < request.base_amount {
            return Err(VenueError::InsufficientLiquidity(format!(
                "the book holds only {} of {} {}",
                book_quote.filled, request.base_amount, request.pair.base
            )));
        }
        Ok(Quote {
            venue: self.inner.id.to_string(),
            pair: request.pair.clone(),
            side: request.side,
            base_amount: request.base_amount,
            quote_amount: book_quote.net,
            average_price: book_quote.average_price,
            worst_price: book_quote.worst_price,
            fee_asset: request.pair.quote.clone(),
            fee_amount: book_quote.fee,
            gas: None,
        })
    }

    async fn balances(&self) -> Result<Vec<Balance>, VenueError> {
        let req = ApiRequest::new(Method::GET, "/api/v3/account")
            .param("omitZeroBalances", "true")
            .signed()
            .cost(REQUEST_WEIGHT, 20)
            .cost(RAW_REQUESTS, 1);
        let body = self.inner.rest.request(&req).await?;
        let acct: Account = decode("account", &body)?;
        let mut out = Vec::new();
        for b in acct.balances {
            let bal = b.to_balance()?;
            if !bal.total.is_zero() {
                out.push(bal);
            }
        }
        Ok(out)
    }

    async fn submit(&self, order: OrderRequest) -> Result<ClientOrderId, VenueError> {
        self.submit_order(order).await
    }

    async fn cancel(&self, id: &ClientOrderId) -> Result<(), VenueError> {
        self.cancel_order(id).await
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

    async fn order_fills(
        &self,
        order: &OrderRequest,
    ) -> Result<Vec<crate::core::Fill>, VenueError> {
        let Some(resp) = self.query_order(order).await? else {
            return Err(VenueError::UnknownOrder(order.client_id.clone()));
        };
        let trades = self
            .account_trades(&order.pair, Some(resp.order_id))
            .await?;
        let mut fills = Vec::with_capacity(trades.len());
        for t in trades {
            let mut f = t.to_fill(&order.client_id, &order.pair)?;
            f.venue = self.inner.id.to_string();
            fills.push(f);
        }
        Ok(fills)
    }

    fn events(&self) -> EventReceiver {
        self.inner.hub.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_request_lists_the_parameters_in_submit_order() {
        let order = OrderRequest {
            client_id: ClientOrderId::new("arb-7").unwrap(),
            pair: "ETH-USDT".parse().unwrap(),
            side: Side::Sell,
            order_type: OrderType::Limit,
            amount: Decimal::new(1500, 3),
            price: Some(Decimal::new(301_250, 2)),
            time_in_force: TimeInForce::Ioc,
            deadline: None,
        };
        let req = order_request(&order, "ETHUSDT");
        assert_eq!(req.method, Method::POST);
        assert_eq!(req.path, "/api/v3/order");
        assert!(req.signed);
        let q = crate::cex::http::encode_query(&req.params);
        assert_eq!(
            q,
            "symbol=ETHUSDT&side=SELL&type=LIMIT&timeInForce=IOC&quantity=1.5&price=3012.5&newClientOrderId=arb-7&newOrderRespType=FULL"
        );
        let market = OrderRequest {
            order_type: OrderType::Market,
            ..order
        };
        let q = crate::cex::http::encode_query(&order_request(&market, "ETHUSDT").params);
        assert_eq!(
            q,
            "symbol=ETHUSDT&side=SELL&type=MARKET&quantity=1.5&newClientOrderId=arb-7&newOrderRespType=FULL"
        );
    }
}
