//! The test-facing handle of the mock Binance: start/stop, URLs, credentials, and the controls
//! (liquidity, balances, inspection, faults). See the module doc of this dialect (`dialects::binance`) for the list.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use tokio::net::TcpListener;
use zeroize::Zeroizing;

use super::error::ApiError;
use super::listen_key::{ListenKeyCounts, UserStreams};
use super::names::BinanceName;
use super::shared::{HttpFault, Shared, lock};
use super::{rest, ws};
use crate::exchange::engine::account::{Account, AccountKey, Balance};
use crate::exchange::engine::book::PriceLevel;
use crate::exchange::engine::error::EngineError;
use crate::exchange::engine::exchange::{Exchange, MARKET_MAKER};
use crate::exchange::engine::order::OrderStatus;
use crate::exchange::engine::random::{RandomUpdater, seed_book};
use crate::exchange::engine::rate_limit::RateLimiter;
use crate::exchange::engine::server::{
    Servers, market_maker_account, release_held_diffs, serve_http, trading_account,
};
use crate::exchange::engine::spec::{RateLimits, SymbolSpec, default_symbols};

/// Errors of the mock's handle.
#[derive(Debug, thiserror::Error)]
pub enum MockError {
    /// Binding a listener on 127.0.0.1 failed.
    #[error("cannot bind the mock Binance on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// An engine operation (seeding, random updates) was rejected.
    #[error("mock Binance rejected the operation: {} {}", .0.code, .0.msg)]
    Rejected(ApiError),
    /// No such account.
    #[error("unknown mock account {0}")]
    UnknownAccount(usize),
}

impl From<ApiError> for MockError {
    fn from(e: ApiError) -> Self {
        MockError::Rejected(e)
    }
}

impl From<EngineError> for MockError {
    fn from(e: EngineError) -> Self {
        MockError::Rejected(e.into())
    }
}

/// Configuration of a mock exchange.
#[derive(Clone)]
pub struct MockConfig {
    /// Listed symbols (default: BTCUSDT, ETHUSDT, ETHBTC).
    pub symbols: Vec<SymbolSpec>,
    /// Rate limits (default: Binance's).
    pub limits: RateLimits,
    /// API key of the default trading account (random 64 characters when `None`).
    pub api_key: Option<String>,
    /// HMAC secret of the default trading account (random 64 characters when `None`).
    pub api_secret: Option<Zeroizing<String>>,
    /// Free balances of the default trading account.
    pub balances: Vec<(String, Decimal)>,
    /// Interval of the servers' websocket pings (Binance: 20 s).
    pub ping_interval: Duration,
    /// `None` (default): one depth diff per engine operation. `Some(interval)`: changes are
    /// batched and sent every `interval` as one diff per symbol spanning all their update ids,
    /// a level changed twice listed once with its final quantity (Binance's 100 ms behaviour;
    /// a snapshot then usually falls inside a diff's `[U; u]`).
    pub depth_batch_interval: Option<Duration>,
    /// Which user-data-stream mechanisms are served (default: Binance.com's, the WebSocket API
    /// only; [`UserStreams::listen_key_only`] for a server that kept the legacy listenKeys).
    pub user_streams: UserStreams,
}

impl fmt::Debug for MockConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockConfig")
            .field("symbols", &self.symbols)
            .field("limits", &self.limits)
            .field("api_key", &self.api_key)
            .field(
                "api_secret",
                &self.api_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("balances", &self.balances)
            .field("ping_interval", &self.ping_interval)
            .field("depth_batch_interval", &self.depth_batch_interval)
            .field("user_streams", &self.user_streams)
            .finish()
    }
}

impl Default for MockConfig {
    fn default() -> Self {
        let symbols = default_symbols();
        let mut balances: Vec<(String, Decimal)> = Vec::new();
        for s in &symbols {
            for (asset, amount) in [(&s.base, dec!(100)), (&s.quote, dec!(10000))] {
                if !balances.iter().any(|(a, _)| a == asset) {
                    balances.push((asset.clone(), amount));
                }
            }
        }
        Self {
            symbols,
            limits: RateLimits::default(),
            api_key: None,
            api_secret: None,
            balances,
            ping_interval: Duration::from_secs(20),
            depth_batch_interval: None,
            user_streams: UserStreams::default(),
        }
    }
}

/// An account of the mock (index; 0 is the market maker).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AccountId(pub usize);

/// The mock's own book for a symbol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookSnapshot {
    /// Update id of the last change (`lastUpdateId`).
    pub last_update_id: u64,
    /// Bids, best (highest) first.
    pub bids: Vec<PriceLevel>,
    /// Asks, best (lowest) first.
    pub asks: Vec<PriceLevel>,
}

/// An order as the mock sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderView {
    /// Exchange order id.
    pub order_id: u64,
    /// Client order id.
    pub client_order_id: String,
    /// Binance status name (`NEW`, `PARTIALLY_FILLED`, `FILLED`, `CANCELED`, `EXPIRED`).
    pub status: String,
    /// Executed quantity.
    pub executed_qty: Decimal,
    /// Original quantity.
    pub orig_qty: Decimal,
    /// Binance side name (`BUY`, `SELL`).
    pub side: String,
    /// Binance order type name (`LIMIT`, `LIMIT_MAKER`, `MARKET`).
    pub order_type: String,
}

impl OrderView {
    fn of(o: &crate::exchange::engine::order::Order) -> Self {
        Self {
            order_id: o.id,
            client_order_id: o.client_order_id.clone(),
            status: o.status.binance_name().to_string(),
            executed_qty: o.executed_qty,
            orig_qty: o.orig_qty,
            side: o.side.binance_name().to_string(),
            order_type: o.order_type.binance_name().to_string(),
        }
    }
}

/// One trade of an account as the mock recorded it (tests compare it with a journal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeView {
    /// Trade id (per symbol), as the API reports it.
    pub trade_id: u64,
    pub symbol: String,
    /// The account's order in the trade.
    pub order_id: u64,
    pub price: Decimal,
    pub qty: Decimal,
}

/// A running mock Binance. Dropping it stops the servers.
pub struct MockBinance {
    shared: Arc<Shared>,
    servers: Servers,
    depth_batch_interval: Option<Duration>,
    api_key: String,
    api_secret: Zeroizing<String>,
    account: AccountId,
}

impl fmt::Debug for MockBinance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockBinance")
            .field("rest_url", &self.rest_url())
            .field("ws_url", &self.ws_url())
            .field("api_key", &self.api_key)
            .field("api_secret", &"<redacted>")
            .finish()
    }
}

fn random_token() -> String {
    crate::exchange::engine::server::random_token(64)
}

impl MockBinance {
    /// Starts a mock with the default configuration.
    pub async fn start() -> Result<Self, MockError> {
        Self::start_with(MockConfig::default()).await
    }

    /// Starts a mock with `config`.
    pub async fn start_with(config: MockConfig) -> Result<Self, MockError> {
        let mm = market_maker_account(
            &config.symbols,
            random_token(),
            Zeroizing::new(random_token()),
        );
        let mut exchange = Exchange::new(
            config.symbols.clone(),
            mm,
            std::sync::Arc::new(super::shapes::BinanceEvents),
        );
        if config.depth_batch_interval.is_some() {
            exchange.publisher.batch_depth();
        }
        let api_key = config.api_key.clone().unwrap_or_else(random_token);
        let api_secret = config
            .api_secret
            .clone()
            .unwrap_or_else(|| Zeroizing::new(random_token()));
        let trader = trading_account(api_key.clone(), api_secret.clone(), &config.balances);
        let account = AccountId(exchange.add_account(trader));
        let shared = Arc::new(Shared::new(
            exchange,
            RateLimiter::new(config.limits.clone()),
            config.ping_interval,
            config.user_streams.clone(),
        ));
        let (servers, http, wsl) = Servers::bind().await?;
        let mock = Self {
            shared,
            servers,
            depth_batch_interval: config.depth_batch_interval,
            api_key,
            api_secret,
            account,
        };
        mock.spawn(http, wsl);
        tracing::info!(rest = %mock.rest_url(), ws = %mock.ws_url(), "mock Binance started");
        Ok(mock)
    }

    fn spawn(&self, http: TcpListener, wsl: TcpListener) {
        let shared = self.shared.clone();
        let rest_shared = shared.clone();
        self.servers.track([
            tokio::spawn(serve_http(http, shared.shutdown.subscribe(), move |req| {
                rest::handle(rest_shared.clone(), req)
            })),
            tokio::spawn(ws::serve(wsl, shared.clone())),
            tokio::spawn(release_held_diffs(shared.clone(), Shared::exchange)),
        ]);
        if let Some(interval) = self.depth_batch_interval {
            self.servers
                .track([tokio::spawn(flush_depth_batches(shared, interval))]);
        }
    }

    /// Stops the servers and closes every connection; state is kept for [`MockBinance::restart`].
    pub fn stop(&self) {
        self.servers.stop(&self.shared.shutdown);
    }

    /// Starts the servers again on the same ports with the same state.
    pub async fn restart(&self) -> Result<(), MockError> {
        let (http, wsl) = self.servers.rebind(&self.shared.shutdown).await?;
        self.spawn(http, wsl);
        Ok(())
    }

    /// Base REST URL, `http://127.0.0.1:<port>` (endpoints under `/api/v3/...`).
    pub fn rest_url(&self) -> String {
        format!("http://{}", self.servers.http_addr())
    }

    /// Base market-stream URL, `ws://127.0.0.1:<port>` (append `/ws/<stream>` or
    /// `/stream?streams=a/b`).
    pub fn ws_url(&self) -> String {
        format!("ws://{}", self.servers.ws_addr())
    }

    /// WebSocket API URL, `ws://127.0.0.1:<port>/ws-api/v3`.
    pub fn ws_api_url(&self) -> String {
        format!("ws://{}/ws-api/v3", self.servers.ws_addr())
    }

    /// API key of the default trading account.
    pub fn api_key(&self) -> &str {
        &self.api_key
    }

    /// HMAC secret of the default trading account.
    pub fn api_secret(&self) -> &str {
        &self.api_secret
    }

    /// The default trading account.
    pub fn account(&self) -> AccountId {
        self.account
    }

    /// The market-maker account (its orders make the seeded and random liquidity).
    pub fn market_maker(&self) -> AccountId {
        AccountId(MARKET_MAKER)
    }

    /// Adds a trading account with these credentials and no balances.
    pub fn add_account(&self, api_key: &str, api_secret: &str) -> AccountId {
        let acct = Account::new(api_key.to_string(), Zeroizing::new(api_secret.to_string()));
        AccountId(self.shared.exchange().add_account(acct))
    }

    /// Adds a trading account whose requests are signed with an Ed25519 key (base64 signatures;
    /// REST signatures percent-encoded; `session.logon` works for it), with no balances.
    pub fn add_ed25519_account(
        &self,
        api_key: &str,
        public_key: ed25519_dalek::VerifyingKey,
    ) -> AccountId {
        let acct = Account::with_key(api_key.to_string(), AccountKey::Ed25519(public_key));
        AccountId(self.shared.exchange().add_account(acct))
    }

    /// Sets an account's free balance of `asset` (emits `balanceUpdate` and
    /// `outboundAccountPosition`).
    pub fn set_balance(
        &self,
        account: AccountId,
        asset: &str,
        free: Decimal,
    ) -> Result<(), MockError> {
        let now = self.shared.now_ms();
        let mut ex = self.shared.exchange();
        if account.0 >= ex.accounts.len() {
            return Err(MockError::UnknownAccount(account.0));
        }
        ex.set_balance(account.0, asset, free, now);
        Ok(())
    }

    /// An account's balance of `asset`.
    pub fn balance(&self, account: AccountId, asset: &str) -> Result<Balance, MockError> {
        let ex = self.shared.exchange();
        let acct = ex
            .accounts
            .get(account.0)
            .ok_or(MockError::UnknownAccount(account.0))?;
        Ok(acct.balances.get(asset).copied().unwrap_or_default())
    }

    /// The mock's own book for `symbol`, every level, with its `lastUpdateId`.
    pub fn book(&self, symbol: &str) -> Result<BookSnapshot, MockError> {
        let ex = self.shared.exchange();
        let book = ex.books.get(symbol).ok_or_else(ApiError::invalid_symbol)?;
        let (bids, asks) = book.levels(usize::MAX);
        Ok(BookSnapshot {
            last_update_id: book.update_id,
            bids,
            asks,
        })
    }

    /// An order by exchange id.
    pub fn order(&self, order_id: u64) -> Option<OrderView> {
        let ex = self.shared.exchange();
        ex.orders.get(&order_id).map(OrderView::of)
    }

    /// Every order an account placed (accepted by the engine; rejected requests leave none), oldest
    /// first.
    pub fn orders_of(&self, account: AccountId) -> Vec<OrderView> {
        let ex = self.shared.exchange();
        ex.orders
            .values()
            .filter(|o| o.account == account.0)
            .map(OrderView::of)
            .collect()
    }

    /// Every trade `account` took part in, by symbol then trade id.
    pub fn trades_of(&self, account: AccountId) -> Vec<TradeView> {
        let ex = self.shared.exchange();
        let mut out = Vec::new();
        for t in ex.trades.values().flatten() {
            for (order_id, acct) in [t.buyer, t.seller] {
                if acct == account.0 {
                    out.push(TradeView {
                        trade_id: t.id,
                        symbol: t.symbol.clone(),
                        order_id,
                        price: t.price,
                        qty: t.qty,
                    });
                }
            }
        }
        out
    }

    /// Changes a symbol's tick size mid-stream, as exchanges do: `tick` must divide the current
    /// tick size (a finer grid). Resting orders keep their prices; `exchangeInfo` lists the new
    /// size (unless [`MockBinance::set_listed_tick_size`] says otherwise) and PRICE_FILTER
    /// enforces it.
    pub fn set_tick_size(&self, symbol: &str, tick: Decimal) -> Result<(), MockError> {
        self.shared.exchange().set_tick_size(symbol, tick)?;
        Ok(())
    }

    /// Makes `exchangeInfo` list `tick` as the symbol's tick size whatever it enforces (`None`:
    /// list the real one again): a stale or broken listing.
    pub fn set_listed_tick_size(
        &self,
        symbol: &str,
        tick: Option<Decimal>,
    ) -> Result<(), MockError> {
        let mut ex = self.shared.exchange();
        ex.spec(symbol)?;
        match tick {
            Some(t) => ex.listed_tick_sizes.insert(symbol.to_string(), t),
            None => ex.listed_tick_sizes.remove(symbol),
        };
        Ok(())
    }

    /// Seeds `levels` bids and asks of `qty` around `mid`, `spacing_ticks` apart, from the market
    /// maker.
    pub fn seed_book(
        &self,
        symbol: &str,
        mid: Decimal,
        levels: usize,
        spacing_ticks: u64,
        qty: Decimal,
    ) -> Result<(), MockError> {
        let now = self.shared.now_ms();
        let mut ex = self.shared.exchange();
        seed_book(&mut ex, symbol, mid, levels, spacing_ticks, qty, now)?;
        self.shared.settle_first_fills(&mut ex);
        Ok(())
    }

    /// Applies `count` random book operations (adds, cancels, small market takes by the market
    /// maker) to `symbol`, deterministic for a given seed and starting book. Returns how many
    /// changed the book (each emitted one depth diff).
    pub fn random_book_updates(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
    ) -> Result<usize, MockError> {
        let mut ex = self.shared.exchange();
        let mut updater = RandomUpdater::new(&ex, symbol, seed);
        let mut changed = 0;
        for _ in 0..count {
            if updater.step(&mut ex, self.shared.now_ms())? {
                changed += 1;
            }
        }
        self.shared.settle_first_fills(&mut ex);
        Ok(changed)
    }

    /// Like [`MockBinance::random_book_updates`], one operation every `pause`, releasing the
    /// engine in between so that clients can snapshot and trade meanwhile.
    pub async fn random_book_updates_paced(
        &self,
        symbol: &str,
        seed: u64,
        count: usize,
        pause: Duration,
    ) -> Result<usize, MockError> {
        let mut updater = RandomUpdater::new(&self.shared.exchange(), symbol, seed);
        let mut changed = 0;
        for _ in 0..count {
            {
                let mut ex = self.shared.exchange();
                if updater.step(&mut ex, self.shared.now_ms())? {
                    changed += 1;
                }
                self.shared.settle_first_fills(&mut ex);
            }
            tokio::time::sleep(pause).await;
        }
        Ok(changed)
    }

    /// Fills a resting order by `qty` (its whole remainder when `None`) against the market maker.
    /// Returns the quantity filled (zero when the order is not resting).
    pub fn fill_order(&self, order_id: u64, qty: Option<Decimal>) -> Decimal {
        let now = self.shared.now_ms();
        let mut ex = self.shared.exchange();
        let filled = ex.fill_resting(order_id, qty, now);
        self.shared.settle_first_fills(&mut ex);
        filled
    }

    /// Drops every user-data connection, refuses new ones, then fills the order: its events are
    /// lost, as a real outage would lose them. Call `set_user_streams_down(false)` to end it.
    pub fn fill_order_while_user_streams_down(
        &self,
        order_id: u64,
        qty: Option<Decimal>,
    ) -> Decimal {
        self.set_user_streams_down(true);
        self.drop_user_streams();
        self.fill_order(order_id, qty)
    }

    /// Whether an order is still open on the book.
    pub fn is_open(&self, order_id: u64) -> bool {
        self.shared
            .exchange()
            .orders
            .get(&order_id)
            .is_some_and(|o| matches!(o.status, OrderStatus::New | OrderStatus::PartiallyFilled))
    }

    /// Closes every market-stream connection abruptly (no close frame).
    pub fn drop_market_streams(&self) {
        self.shared.market_kill.send_modify(|g| *g += 1);
    }

    /// Closes every user-data connection (WebSocket API and listenKey streams) abruptly (no
    /// close frame).
    pub fn drop_user_streams(&self) {
        self.shared.user_kill.send_modify(|g| *g += 1);
    }

    /// Sends Binance's `serverShutdown` event on every websocket connection (raw, combined and
    /// WebSocket API shapes); the connections stay open until dropped or stopped.
    pub fn announce_server_shutdown(&self) {
        self.shared
            .shutdown_notice
            .send_replace(self.shared.now_ms());
    }

    /// While `true`, new market-stream connections are refused with 503.
    pub fn set_market_streams_down(&self, down: bool) {
        self.shared
            .market_streams_down
            .store(down, Ordering::SeqCst);
    }

    /// While `true`, new user-data connections (WebSocket API, listenKey streams) are refused
    /// with 503.
    pub fn set_user_streams_down(&self, down: bool) {
        self.shared.user_streams_down.store(down, Ordering::SeqCst);
    }

    /// Drops the next depth diff of `symbol`: the client sees a gap in update ids.
    pub fn skip_next_diff(&self, symbol: &str) {
        self.shared.exchange().publisher.skip_next_diff(symbol);
    }

    /// Sends the next depth diff of `symbol` twice.
    pub fn duplicate_next_diff(&self, symbol: &str) {
        self.shared.exchange().publisher.duplicate_next_diff(symbol);
    }

    /// Sends the next two depth diffs of `symbol` in reverse order (a diff still waiting for its
    /// partner after 50 ms goes out alone).
    pub fn swap_next_diffs(&self, symbol: &str) {
        self.shared.exchange().publisher.swap_next_diffs(symbol);
    }

    /// Sends the batched depth changes now (with [`MockConfig::depth_batch_interval`] set).
    pub fn flush_depth_batches(&self) {
        let now = self.shared.now_ms();
        self.shared.exchange().publisher.flush_batches(now);
    }

    /// Sends `text` as is to every market-stream connection (malformed JSON, unknown events).
    pub fn push_raw_market_message(&self, text: &str) {
        self.shared.exchange().publisher.raw(text);
    }

    /// Serves `fault` instead of the next REST response (faults queue up, one per request).
    pub fn inject_http_fault(&self, fault: HttpFault) {
        tracing::debug!(?fault, "mock Binance: HTTP fault queued");
        lock(&self.shared.http_faults).push_back(fault);
    }

    /// Delays the responses to order placement and cancel by `delay` (the order executes at once).
    pub fn set_ack_delay(&self, delay: Duration) {
        *lock(&self.shared.ack_delay) = delay;
    }

    /// Moves the mock's clock by `offset_ms` from the system clock.
    pub fn set_clock_offset_ms(&self, offset_ms: i64) {
        self.shared
            .clock_offset_ms
            .store(offset_ms, Ordering::Relaxed);
    }

    /// The mock's clock (ms).
    pub fn server_time_ms(&self) -> u64 {
        self.shared.now_ms()
    }

    /// REQUEST_WEIGHT used in the current minute.
    pub fn used_weight(&self) -> u64 {
        let now = self.shared.now_ms();
        self.shared.limiter().used_weight(now)
    }

    /// (10 s, 1 day) unfilled order counts of an account.
    pub fn order_counts(&self, account: AccountId) -> (u64, u64) {
        let now = self.shared.now_ms();
        self.shared.limiter().order_counts(account.0, now)
    }

    /// Open market-stream connections.
    pub fn market_connections(&self) -> usize {
        self.shared.market_connections.load(Ordering::SeqCst)
    }

    /// What happened to listenKeys so far (created, reused, kept alive, closed, expired).
    pub fn listen_key_counts(&self) -> ListenKeyCounts {
        self.shared.listen_keys().counts
    }

    /// The listenKeys alive now.
    pub fn active_listen_keys(&self) -> Vec<String> {
        let now = self.shared.now_ms();
        let mut keys = self.shared.listen_keys();
        for k in keys.active_keys() {
            keys.status(&k, now);
        }
        keys.active_keys()
    }

    /// Makes every listenKey lapse now: their sockets get `listenKeyExpired` and are closed.
    pub fn expire_listen_keys(&self) {
        self.shared.listen_keys().expire_all();
    }

    /// Open user-data connections (WebSocket API and listenKey streams).
    pub fn user_connections(&self) -> usize {
        self.shared.user_connections.load(Ordering::SeqCst)
    }
}

impl Drop for MockBinance {
    fn drop(&mut self) {
        self.stop();
    }
}

async fn flush_depth_batches(shared: Arc<Shared>, interval: Duration) {
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
    loop {
        tick.tick().await;
        let now = shared.now_ms();
        shared.exchange().publisher.flush_batches(now);
    }
}
